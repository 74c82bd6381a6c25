"""``gpu_check.py train``: a few iterations of every config in ``configs/``
on synthetic DOTA-style data, with the config's pipeline rotation and with
``rotaug.BatchRandomRotate`` in the data preprocessor instead (issue 21,
docs/gpu_check.md). The backbone's ``init_cfg`` is set to None: nothing
downloads."""
import gc
import glob
import json
import os.path as osp
import time
from typing import Dict, List, Optional

import harness
import numpy as np

ROOT = harness.ROOT


def list_configs() -> List[str]:
    """Every runnable config under configs/ (not _base_, not _partials),
    the full-size ones first (a run short of time skips the demos)."""
    paths = [osp.relpath(f, ROOT) for f in glob.glob(
        osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
        if '_base_' not in f and not osp.basename(f).startswith('_')]
    return sorted(paths, key=lambda p: ('/demo/' in p, p))


def to_batch_rotation(cfg) -> dict:
    """``harness.to_batch_rotation``: the pipeline's rotation moved into
    the data preprocessor."""
    return harness.to_batch_rotation(cfg)


def train_config(path: str, variant: str, data_root: str, work_dir: str,
                 a) -> 'object':
    """The config of one short run of ``path`` on the synthetic data."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, path))
    cfg.work_dir = work_dir
    cfg.experiment_name = f'{osp.basename(work_dir)}_{time.time_ns()}'
    cfg.model.backbone.init_cfg = None  # nothing downloads
    ds = cfg.train_dataloader.dataset
    ds.update(data_root=data_root, ann_file='train/labelTxt/',
              data_prefix=dict(img_path='train/images/'))
    if a.tiny:
        for t in ds.pipeline:
            if 'Resize' in t['type']:
                t['scale'] = (a.size, a.size)
    if variant == 'batch':
        to_batch_rotation(cfg)
    if a.workers is not None:
        cfg.train_dataloader.num_workers = a.workers
    cfg.train_dataloader.persistent_workers = False
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=a.iters,
                         val_interval=a.iters + 1)
    for key in ('val', 'test'):
        cfg[f'{key}_dataloader'] = cfg[f'{key}_cfg'] = None
        cfg[f'{key}_evaluator'] = None
    # the first iterations of the real schedule: its iteration-based
    # warm-up; epoch-based steps come later than these runs go
    scheds = cfg.get('param_scheduler') or []
    cfg.param_scheduler = [s for s in ([scheds] if isinstance(scheds, dict)
                                       else scheds)
                           if not s.get('by_epoch', True)]
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger.interval = a.iters
    cfg.log_processor = dict(type='LogProcessor', window_size=a.iters,
                             by_epoch=False)
    cfg.randomness = dict(seed=a.seed)
    return cfg


def run_train(path: str, variant: str, data_root: str, a) -> dict:
    """Build the runner, train ``a.iters`` iterations, time them."""
    import torch
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    tag = f'{osp.splitext(osp.basename(path))[0]}_{variant}'
    t0 = time.time()
    cfg = train_config(path, variant, data_root,
                       osp.join(a.work_dir, tag), a)
    init_default_scope(cfg.get('default_scope', 'rotaug'))
    runner = Runner.from_cfg(cfg)
    log = {}
    runner.register_hook(harness.iter_times_hook(log), priority='LOWEST')
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    build_s = time.time() - t0
    runner.train()
    skip = untimed(a)
    nonfinite = int(runner.message_hub.get_info('train/nonfinite_losses')
                    or 0)
    model = getattr(runner.model, 'module', runner.model)
    res = dict(
        config=path, variant=variant, iters=len(log['time']),
        finite=bool(log['finite']) and all(log['finite']) and not nonfinite,
        nonfinite=nonfinite, build_s=build_s, wall_s=time.time() - t0,
        s_per_iter=float(np.mean(log['time'][skip:])),
        data_s_per_iter=float(np.mean(log['data_time'][skip:])),
        peak_mem_gb=torch.cuda.max_memory_allocated() / 2**30
        if torch.cuda.is_available() else None,
        batch_augments=[aug.stats.summary() for aug in getattr(
            model.data_preprocessor, 'batch_augments', None) or []])
    del runner, model  # free the device for the next run
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return res


def untimed(a) -> int:
    """The first iterations left out of the means (at least one timed)."""
    return min(a.warmup, max(0, a.iters - 1))


def _load_synth():
    return harness.load_tool('tools/data/synth_dota.py')


def done_runs(path: Optional[str]) -> Dict[tuple, dict]:
    """(config, variant) -> record of an earlier train.json's runs that
    ran (finished or failed); those skipped for time are not done."""
    if not path or not osp.exists(path):
        return {}
    with open(path) as f:
        runs = json.load(f).get('runs', [])
    return {(r['config'], r['variant']): r for r in runs
            if 'skipped' not in r}


def cmd_train(a) -> dict:
    """Every config, pipeline rotation then batch rotation, within
    ``--budget-s`` (runs that would not fit are listed as skipped);
    ``--resume``: the runs an earlier train.json holds are kept, not run
    again."""
    a.size = a.size or (256 if a.tiny else 1024)
    data_root = osp.join(a.work_dir, f'synth_{a.size}') + '/'
    if not osp.exists(osp.join(data_root, 'meta.json')):
        _load_synth().generate(data_root, seed=0, num=(a.images, 0, 0),
                               size=a.size, verbose=False)
    done = done_runs(a.resume)
    t_start, runs = time.time(), []
    for path in a.configs or list_configs():
        for variant in ('pipeline', 'batch'):
            walls = [r['wall_s'] for r in runs if 'wall_s' in r]
            need = float(np.mean(walls)) if walls else 0.0
            if (path, variant) in done:
                runs.append(dict(done[path, variant], resumed=True))
            elif a.budget_s and time.time() - t_start + need > a.budget_s:
                runs.append(dict(config=path, variant=variant,
                                 skipped=f'budget {a.budget_s:.0f} s'))
                continue
            else:
                try:
                    runs.append(run_train(path, variant, data_root, a))
                except Exception as err:  # the next config still runs
                    runs.append(dict(config=path, variant=variant,
                                     error=repr(err)[:500], finite=False))
            print(f'[gpu_check] train {runs[-1]}', flush=True)
    return dict(device=a.device, tiny=a.tiny, size=a.size, iters=a.iters,
                untimed=untimed(a), runs=runs,
                passed=all(r.get('finite') for r in runs
                           if 'skipped' not in r))
