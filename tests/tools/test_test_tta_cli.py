"""tools/test.py --tta end to end on the demo config (synthetic data, an
untrained model): the TTA model and pipeline are swapped in, the views are
merged, scored and written as DOTA Task1 files."""
import os
import os.path as osp
import subprocess
import sys

import pytest

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _load import REPO, load_tool  # noqa: E402

synth = load_tool('data/synth_dota.py')
DEMO = osp.join('configs', 'demo', 'oriented-rcnn-le90_tiny_rr_synth.py')


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    import torch
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from rotaug.registry import MODELS
    root = tmp_path_factory.mktemp('tta_synth')
    synth.generate(str(root), seed=3, num=(1, 1, 2), verbose=False)
    cfg = Config.fromfile(osp.join(REPO, DEMO))
    with DefaultScope.overwrite_default_scope('rotaug'):
        model = MODELS.build(cfg.model)
    ckpt = str(root / 'random.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    return str(root) + '/', ckpt


def test_tta_scores_and_writes_task1_files(setup, tmp_path):
    root, ckpt = setup
    out = tmp_path / 'sub'
    opts = [f'test_dataloader.dataset.data_root={root}',
            'test_dataloader.num_workers=0',
            'test_dataloader.persistent_workers=False',
            f'test_evaluator.outfile_prefix={out}']
    env = dict(os.environ, OMP_NUM_THREADS='2')
    proc = subprocess.run(
        [sys.executable, 'tools/test.py', DEMO, ckpt, '--tta', '--work-dir',
         str(tmp_path / 'work'), '--cfg-options'] + opts, cwd=REPO, env=env,
        capture_output=True, text=True, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    # the model the runner built is the TTA wrapper (config dump: model
    # and tta_model both name it)
    assert log.count("type='rotaug.RotatedTTAModel'") >= 2, log[-3000:]
    assert 'dota/mAP' in log
    assert (out / 'Task1_plane.txt').exists()
