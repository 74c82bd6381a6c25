"""What the benchmark scripts, tools/demo.py and the tests share: loading
a script of tools/ as a module, timing a training, moving the pipeline's
rotation into the data preprocessor, and predicting every view of a
rotation TTA once.

Scripts in tools/benchmarks/ import it as ``import harness`` (their folder
is on ``sys.path`` when run); tools/demo.py puts that folder on the path
first, and the tests load this file by path once, as the module
``harness`` (``tests/tools/_load.py``), so that the scripts they load find
the same module.
"""
import copy
import importlib.util
import inspect
import json
import os
import os.path as osp
import sys
import time
from typing import Dict, List, Optional, Sequence

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.modules.setdefault('harness', sys.modules.get(__name__))


def load_tool(rel_path: str):
    """The script ``rel_path`` (relative to the repository root, e.g.
    ``tools/data/synth_dota.py``) as a module, loaded once per process."""
    rel_path = rel_path.replace('\\', '/')
    name = 'rotaug_tool_' + rel_path.replace('/', '_').replace('.py', '')
    if name in sys.modules:
        return sys.modules[name]
    path = osp.join(ROOT, rel_path)
    if not osp.exists(path):
        raise FileNotFoundError(f'{path}: no such tool script')
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        del sys.modules[name]
        raise
    return mod


def read_json(path: str, default=None):
    """The JSON file ``path``, or ``default`` when it does not exist."""
    if not osp.exists(path):
        return default
    with open(path) as f:
        return json.load(f)


def write_json(path: str, data) -> None:
    """Write ``data`` to ``path`` atomically (a cut run leaves the old
    file, never half a file)."""
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)


def git_commit() -> str:
    """The checkout's commit (``+dirty`` when tracked files changed), so
    that a result says which code produced it; '' outside git."""
    import subprocess
    try:
        head = subprocess.run(['git', 'rev-parse', '--short=12', 'HEAD'],
                              cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(['git', 'status', '--porcelain', '-uno'],
                               cwd=ROOT, capture_output=True, text=True,
                               check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ''
    return head + ('+dirty' if dirty else '')


def iter_times_hook(log: Dict[str, list]):
    """An mmengine hook appending, after every training iteration, the
    iteration's ``time`` and ``data_time`` (seconds) and whether all of its
    outputs were finite (``finite``) to the lists of ``log``."""
    import torch
    from mmengine.hooks import Hook
    for key in ('time', 'data_time', 'finite'):
        log.setdefault(key, [])

    class IterTimes(Hook):
        priority = 'LOWEST'

        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            hub = runner.message_hub
            for key in ('time', 'data_time'):
                buf = hub.log_scalars.get(f'train/{key}')
                if buf is not None:
                    log[key].append(float(buf.current()))
            log['finite'].append(all(
                bool(torch.isfinite(torch.as_tensor(v)).all())
                for v in (outputs or {}).values()))

    return IterTimes()


def to_batch_rotation(cfg) -> dict:
    """Move the train pipeline's ``rotaug.RandomRotate`` into the data
    preprocessor as ``rotaug.BatchRandomRotate`` (the arguments both take;
    a later ``SanitizeGT(out_box_type=...)`` becomes its ``out_box_type``).
    Returns the batch augment's config."""
    from rotaug.models import BatchRandomRotate
    pipe = cfg.train_dataloader.dataset.pipeline
    idx = [i for i, t in enumerate(pipe) if t['type'] == 'rotaug.RandomRotate']
    if len(idx) != 1:
        raise ValueError(f'expected one rotaug.RandomRotate in the train '
                         f'pipeline, found {len(idx)}')
    ours = dict(pipe.pop(idx[0]))
    accepted = set(inspect.signature(BatchRandomRotate).parameters)
    # the pipeline's border value is in pixels, the batch's normalised
    aug = {k: v for k, v in ours.items()
           if k in accepted and k != 'img_border_value'}
    after = [t for t in pipe[idx[0]:] if t['type'] == 'rotaug.SanitizeGT'
             and t.get('out_box_type')]
    for t in after:
        aug['out_box_type'] = t['out_box_type']
        pipe.remove(t)
    aug = dict(type='rotaug.BatchRandomRotate', **aug)
    cfg.model.data_preprocessor.batch_augments = [aug]
    return aug


def build_model(cfg, checkpoint: Optional[str] = None):
    """The config's detector in eval mode on the CPU, with the weights of
    ``checkpoint``."""
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint

    from rotaug.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'rotaug'))
    model = MODELS.build(cfg.model)
    if checkpoint:
        load_checkpoint(model, checkpoint, map_location='cpu',
                        logger='silent')
    return model.eval()


def tta_view_pipelines(cfg) -> List[object]:
    """One pipeline per view of the config's ``tta_pipeline`` (a
    LoadImageFromFile, then a ``TestTimeAug`` whose transform lists are
    chained, one of them holding the views)."""
    from mmcv.transforms import Compose
    tta = [t for t in cfg.tta_pipeline if t['type'] == 'TestTimeAug']
    if len(tta) != 1:
        raise ValueError('tta_pipeline must hold one TestTimeAug')
    stages = tta[0]['transforms']
    multi = [i for i, s in enumerate(stages) if len(s) > 1]
    if len(multi) != 1:
        raise ValueError('exactly one TestTimeAug stage may hold several '
                         f'views, got {len(multi)}')
    views = []
    for view in stages[multi[0]]:
        steps = [copy.deepcopy(s[0]) for s in stages[:multi[0]]]
        steps.append(copy.deepcopy(view))
        steps += [copy.deepcopy(s[0]) for s in stages[multi[0] + 1:]]
        views.append(Compose(steps))
    return views


def predict_views(cfg, model, dataset_cfg: dict, log_every: int = 50,
                  tag: str = 'views', max_views: Optional[int] = None):
    """Predict every TTA view (the first ``max_views`` of them, when given)
    of every image of ``dataset_cfg`` (its pipeline is replaced: the image
    is loaded once, then each view of ``tta_view_pipelines(cfg)`` runs on a
    copy). Returns the classes, the
    predictions ``[view][image]`` (data samples on the CPU, in each view's
    own coordinates with its ``homography_matrix``) and the mean seconds
    per image of each view."""
    from mmcv.transforms import Compose

    from rotaug.registry import DATASETS
    ds_cfg = copy.deepcopy(dataset_cfg)
    ds_cfg['pipeline'] = []
    dataset = DATASETS.build(ds_cfg)
    load = Compose([t for t in cfg.tta_pipeline
                    if t['type'] != 'TestTimeAug'])
    n = len(dataset)
    preds, secs = predict_each_view(model, dataset, load,
                                    tta_view_pipelines(cfg)[:max_views], n,
                                    log_every,
                                    f'[{tag}]')
    return dataset.metainfo['classes'], preds, [s / max(n, 1) for s in secs]


def predict_each_view(model, dataset, load, views: Sequence[object], n: int,
                      log_every: int = 50, prefix: str = '[views]'):
    """The loop of ``predict_views`` (and of tta_eval.py's own view set):
    each of the first ``n`` images of ``dataset`` is loaded once by
    ``load``, then every pipeline of ``views`` runs on a copy of it and the
    detector predicts it. Returns the predictions ``[view][image]`` (data
    samples on the CPU) and the seconds of each view (its pipeline and the
    detector) summed over the images; prints ``{prefix} i/n images`` every
    ``log_every`` images and after the last."""
    import torch
    from mmengine.dataset import pseudo_collate
    preds: List[list] = [[] for _ in views]
    secs = [0.0 for _ in views]
    with torch.no_grad():
        for i in range(n):
            info = load(dataset.get_data_info(i))
            for v, pipe in enumerate(views):
                t0 = time.perf_counter()
                item = pipe(copy.deepcopy(info))
                out = model.test_step(pseudo_collate([item]))[0]
                secs[v] += time.perf_counter() - t0
                out.pred_instances = out.pred_instances.to('cpu')
                preds[v].append(out)
            if log_every and ((i + 1) % log_every == 0 or i + 1 == n):
                print(f'{prefix} {i + 1}/{n} images', flush=True)
    return preds, secs


def merge_views(cfg, model, preds: List[list]) -> list:
    """Each image's views fused by the config's ``tta_model``
    (``rotaug.RotatedTTAModel``)."""
    from rotaug.models import RotatedTTAModel
    tta_cfg = dict(cfg.tta_model.get('tta_cfg', {}))
    merger = RotatedTTAModel(model, tta_cfg=tta_cfg)
    return [merger.merge_views([copy.copy(p[i]) for p in preds])
            for i in range(len(preds[0]))]


def score(classes, samples, metrics: Dict[str, dict]) -> Dict[str, float]:
    """Every metric of ``metrics`` (prefix -> ``rotaug.DOTAMetric``
    arguments) on the predictions ``samples`` (with their ground truths),
    as ``{prefix/key: value}``."""
    from mmengine.logging import MMLogger

    from rotaug.evaluation import DOTAMetric
    if not MMLogger.check_instance_created('rotaug_harness'):
        MMLogger.get_instance('rotaug_harness', log_level='WARNING')
    out = {}
    for prefix, kwargs in metrics.items():
        metric = DOTAMetric(**kwargs)
        metric.dataset_meta = dict(classes=tuple(classes))
        metric.process(None, samples)
        for k, v in metric.compute_metrics(metric.results).items():
            out[f'{prefix}/{k}'] = float(v)
    return out
