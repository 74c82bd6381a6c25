"""The user's path end to end: tools/train.py on the demo config (synthetic
data), --resume, then tools/test.py scoring and --format-only."""
import os
import os.path as osp
import subprocess
import sys

import pytest

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _load import REPO, load_tool  # noqa: E402

synth = load_tool('data/synth_dota.py')
DEMO = osp.join('configs', 'demo', 'oriented-rcnn-le90_tiny_rr_synth.py')


def _run(args, timeout=600):
    env = dict(os.environ, OMP_NUM_THREADS='2')
    proc = subprocess.run([sys.executable] + args, cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('cli_synth')
    synth.generate(str(root), seed=2, num=(4, 2, 2), verbose=False)
    return str(root) + '/'


def _opts(root, iters):
    opts = [f'{k}.dataset.data_root={root}' for k in (
        'train_dataloader', 'val_dataloader', 'test_dataloader')]
    for k in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{k}.num_workers=0', f'{k}.persistent_workers=False',
                 f'{k}.batch_size=2']
    return opts + [f'train_cfg.max_iters={iters}',
                   f'train_cfg.val_interval={iters}',
                   f'default_hooks.checkpoint.interval={iters}']


def test_train_resume_test_and_format_only(data_root, tmp_path):
    work = str(tmp_path / 'work')
    _run(['tools/train.py', DEMO, '--work-dir', work, '--cfg-options'] +
         _opts(data_root, 2))
    assert osp.exists(osp.join(work, 'iter_2.pth'))
    # resume from the latest checkpoint in the work dir and go on to 3
    log = _run(['tools/train.py', DEMO, '--work-dir', work, '--resume',
                '--cfg-options'] + _opts(data_root, 3))
    assert 'resumed' in log.lower() or 'Load checkpoint' in log
    assert osp.exists(osp.join(work, 'iter_3.pth'))
    ckpt = osp.join(work, 'iter_3.pth')
    log = _run(['tools/test.py', DEMO, ckpt, '--work-dir', work,
                '--cfg-options'] + _opts(data_root, 3))
    assert 'dota/mAP' in log
    out = str(tmp_path / 'task1')
    _run(['tools/test.py', DEMO, ckpt, '--work-dir', work, '--format-only',
          '--cfg-options'] + _opts(data_root, 3) +
         [f'test_evaluator.outfile_prefix={out}'])
    files = sorted(os.listdir(out))
    assert any(f.startswith('Task1_') for f in files), files
    # the config's test-time rotation through the command line, as mmdet's
    # tools/test.py --tta, with the Task1 files written from merged views
    out_tta = str(tmp_path / 'task1_tta')
    log = _run(['tools/test.py', DEMO, ckpt, '--work-dir', work, '--tta',
                '--format-only', '--cfg-options'] + _opts(data_root, 3) +
               [f'test_evaluator.outfile_prefix={out_tta}'])
    assert 'RotatedTTAModel: 4 views per image, merged by wbf' in log
    task1 = [f for f in files if f.endswith('.txt')]
    assert task1 and sorted(
        f for f in os.listdir(out_tta) if f.endswith('.txt')) == task1
