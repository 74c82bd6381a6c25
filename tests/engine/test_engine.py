"""Engine: resume under torch>=2.6 weights_only, the non-finite loss
guard, distributed CPU training with gloo."""
import os
import os.path as osp
import pickle
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOY = osp.join(REPO, 'tests', 'data', 'toy_config.py')
sys.path.insert(0, osp.join(REPO, 'tests', 'data', 'engine'))


def _cfg(work_dir, **over):
    cfg = Config.fromfile(TOY)
    cfg.work_dir = str(work_dir)
    cfg.merge_from_dict(over)
    return cfg


def test_save_then_resume(tmp_path):
    cfg = _cfg(tmp_path, **{'train_cfg.max_iters': 4})
    Runner.from_cfg(cfg).train()
    ckpt = tmp_path / 'iter_4.pth'
    assert ckpt.exists()
    # the checkpoint loads with torch's default weights_only=True
    state = torch.load(str(ckpt))
    assert state['meta']['iter'] == 4
    cfg = _cfg(tmp_path, **{'train_cfg.max_iters': 6})
    cfg.resume = True
    # a name of its own: two runners started within one second would share
    # the time-stamped default (and mmengine's loggers)
    cfg.experiment_name = 'resumed'

    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 6
    hub = runner.message_hub
    assert hub.get_scalar('train/loss') is not None
    opt_state = runner.optim_wrapper.optimizer.state_dict()['state']
    assert opt_state and all('momentum_buffer' in s
                             for s in opt_state.values())
    # the log shows it resumed at iteration 4
    logs = open(next((tmp_path).rglob('*.log'))).read() if list(
        tmp_path.rglob('*.log')) else ''
    assert 'resumed' in logs.lower() or runner._has_loaded


class _Evil:
    def __reduce__(self):
        return (os.system, ('echo pwned',))


def test_unsafe_globals_are_still_refused(tmp_path):
    from rotaug.engine.checkpoint import _history_buffer_getattr
    f = tmp_path / 'evil.pth'
    torch.save({'x': _Evil()}, str(f))
    with pytest.raises(pickle.UnpicklingError):
        torch.load(str(f))
    with pytest.raises(pickle.UnpicklingError):
        _history_buffer_getattr(os, 'system')
    from mmengine.logging import HistoryBuffer
    assert _history_buffer_getattr(HistoryBuffer, 'mean') is \
        HistoryBuffer.mean
    with pytest.raises(pickle.UnpicklingError):
        _history_buffer_getattr(HistoryBuffer, '__init__')


def test_checkpoint_loads_in_a_fresh_process(tmp_path):
    """A new process (no HistoryBuffer built yet, as when resuming) reads a
    checkpoint whose message hub names min/max/mean/current."""
    from mmengine.logging import HistoryBuffer
    buf = HistoryBuffer()
    for v in (3.0, 1.0, 2.0):
        buf.update(v)
    torch.save({'message_hub': {'log_scalars': {'loss': buf}}},
               str(tmp_path / 'c.pth'))
    code = ('import torch, rotaug; '
            f"s = torch.load({str(tmp_path / 'c.pth')!r}); "
            "b = s['message_hub']['log_scalars']['loss']; "
            "print(b.min(), b.max(), b.mean(), b.current())")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-4:] == ['1.0', '3.0', '2.0', '2.0']


# the guard skips the optimizer step of the bad batch, so the scheduler's
# first step comes before any optimizer step: PyTorch says so, as it should
@pytest.mark.filterwarnings(
    r'ignore:Detected call of `scheduler.step\(\)` before:UserWarning')
def test_nonfinite_loss_is_skipped_and_reported(tmp_path, caplog):
    cfg = _cfg(tmp_path, **{'train_cfg.max_iters': 8})
    cfg.model.nan_ids = ['img003']
    cfg.train_dataloader.sampler.shuffle = False
    runner = Runner.from_cfg(cfg)
    runner.train()
    wrapper = runner.optim_wrapper
    # 16 samples, batch 4, 8 iterations: img003 is in 2 batches
    assert wrapper.nonfinite_steps == 2
    assert runner.message_hub.get_info('train/nonfinite_losses') == 2
    for p in runner.model.parameters():
        assert torch.isfinite(p).all()
    log = open(next(tmp_path.rglob('*.log'))).read()
    assert 'img003' in log and 'non-finite' in log


def test_nonfinite_guard_can_raise(tmp_path):
    cfg = _cfg(tmp_path, **{'train_cfg.max_iters': 4,
                            'optim_wrapper.action': 'raise'})
    cfg.model.nan_ids = ['img000']
    cfg.train_dataloader.sampler.shuffle = False
    with pytest.raises(FloatingPointError, match='img000'):
        Runner.from_cfg(cfg).train()


def test_distributed_cpu_gloo_two_processes(tmp_path):
    """2 processes with gloo; one rank's first batch has a NaN loss: both
    ranks skip that step together (no hang in the gradient all-reduce)."""
    env = dict(os.environ,
               PYTHONPATH=os.pathsep.join([
                   osp.join(REPO, 'tests', 'data', 'engine'),
                   os.environ.get('PYTHONPATH', '')
               ]),
               PORT=str(29500 + os.getpid() % 1000),
               PYTHON=sys.executable, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), TOY, '2',
         '--work-dir', str(tmp_path), '--cfg-options',
         'train_cfg.max_iters=4', 'model.nan_ids=[img003]',
         'train_dataloader.sampler.shuffle=False'],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (tmp_path / 'iter_4.pth').exists()
    log = open(next(tmp_path.rglob('*.log'))).read()
    assert 'Distributed training: True' in log
    # img003 is in rank 1's first batch only; rank 0 logs that it skipped
    # because of another rank
    assert 'non-finite loss on another rank' in log
    state = torch.load(str(tmp_path / 'iter_4.pth'))
    assert all(torch.isfinite(v).all() for v in state['state_dict'].values())
