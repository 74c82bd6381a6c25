"""The real-data side of ``rotation_proof.py --dataset ssdd``: RBox-SSDD
(SAR ships), trained on the training folder less a validation split and
scored on that split (or on ``--test-root``), as it is and turned to 8
angles, each model without and with its config's rotation TTA.

Variants (everything shared but the rotation):

* oriented (the demo Oriented R-CNN, ``configs/demo/oriented-rcnn-le90_tiny_rr_ssdd.py``):
  ``none``; ``mmrotate`` (MMRotate 1.x ``RandomRotate``, the config's
  arguments); ``rotaug`` (the config as it stands);
* horizontal (the demo Faster R-CNN, ``configs/demo/faster-rcnn_tiny_rr_ssdd-hbb.py``):
  ``none``; ``mmdet-filter`` (MMDetection's ``Rotate`` then
  ``FilterAnnotations``); ``rotaug`` (the config: the quadrilaterals
  turned exactly, then their tight horizontal boxes).

Metrics (``rotaug.DOTAMetric`` on whole images, ship class): ``voc07``:
VOC07 11-point AP50 (the SSDD papers' figure); ``coco``: area under the
precision-recall curve at IoU 0.5:0.95 (``coco/mAP``), with ``coco/AP50``
and ``coco/AP75``. Prefixes: ``up_`` the split as it is, ``rot_`` the
split turned by 0, 45, ..., 315 degrees (``rotaug.Rotate(expand=True)``,
labels turned exactly); ``tta_`` the same with the config's TTA (four
quarter turns fused by ``rotaug.RotatedTTAModel``). The view at 0 degrees
is the model without TTA: each image is predicted once per view.
"""
import copy
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import harness

ROOT = harness.ROOT
OBB_CONFIG = osp.join(ROOT, 'configs', 'demo',
                      'oriented-rcnn-le90_tiny_rr_ssdd.py')
HBB_CONFIG = osp.join(ROOT, 'configs', 'demo',
                      'faster-rcnn_tiny_rr_ssdd-hbb.py')
VARIANTS = {'obb': ('none', 'mmrotate', 'rotaug'),
            'hbb': ('none', 'mmdet-filter', 'rotaug')}
ROT_ANGLES = tuple(range(0, 360, 45))
COCO_IOU_THRS = [round(0.5 + 0.05 * i, 2) for i in range(10)]
METRICS = dict(voc07=dict(iou_thrs=0.5, use_07_metric=True),
               coco=dict(iou_thrs=COCO_IOU_THRS, use_07_metric=False))
HEADLINE = ('up_voc07/AP50', 'up_coco/mAP', 'up_coco/AP75',
            'rot_voc07/AP50', 'rot_coco/mAP', 'rot_coco/AP75')


def run_arg_parser(description: str):
    """An argument parser with the options that name trained proof runs
    and their validation split (``--detector --variants --seeds --iters
    --data-root --val-every --work-dir``), ``--max-images`` and ``--out``,
    for the tools that study those runs; :func:`parse_run_args` reads
    it."""
    import argparse
    p = argparse.ArgumentParser(description=description)
    p.add_argument('--detector', default='hbb', choices=('obb', 'hbb'))
    p.add_argument('--variants', nargs='+', default=None,
                   help="the detector's variants (all by default)")
    p.add_argument('--seeds', type=int, nargs='+', default=[0])
    p.add_argument('--iters', type=int, default=2000)
    p.add_argument('--data-root', default=osp.join(ROOT, 'data', 'ssdd',
                                                   'train'))
    p.add_argument('--val-every', type=int, default=5)
    p.add_argument('--work-dir', default=osp.expanduser(
        '~/.cache/rotaug/real_proof'))
    p.add_argument('--max-images', type=int, default=None,
                   help='the first N validation images only (a smoke test)')
    p.add_argument('--out', default=None, help='JSON file of the rows')
    return p


def parse_run_args(p, argv=None):
    """:func:`run_arg_parser`'s arguments, the variants checked (all of
    the detector's when none is given) and the paths made absolute
    (``data_root`` ending in ``/``), before a tool changes directory."""
    a = p.parse_args(argv)
    known = VARIANTS[a.detector]
    a.variants = a.variants or list(known)
    bad = [v for v in a.variants if v not in known]
    if bad:
        p.error(f'unknown {a.detector} variants {bad}: choose from {known}')
    a.data_root = osp.abspath(a.data_root).rstrip('/') + '/'
    a.work_dir = osp.abspath(a.work_dir)
    a.out = osp.abspath(a.out) if a.out else None
    return a


def config_path(detector: str) -> str:
    return HBB_CONFIG if detector == 'hbb' else OBB_CONFIG


def train_pipeline(detector: str, name: str, pipe: List[dict]) -> List[dict]:
    """The training pipeline of variant ``name`` from the config's."""
    if name not in VARIANTS[detector]:
        raise ValueError(f'unknown {detector} variant {name!r} for SSDD: '
                         f'choose from {VARIANTS[detector]}')
    if detector == 'hbb':
        hbb = harness.load_tool('tools/benchmarks/proof_hbb.py')
        return hbb.hbb_pipeline('exact' if name == 'rotaug' else name, pipe)
    proof = harness.load_tool('tools/benchmarks/rotation_proof.py')
    return proof.oriented_pipeline(name, pipe)


def eval_dataset(cfg, root: str, subset: Optional[str], val_every: int,
                 max_images: Optional[int] = None) -> dict:
    """The test dataset config on ``root`` (``images/``, ``labelTxt/``);
    its first ``max_images`` only, when given (a smoke test)."""
    ds = copy.deepcopy(cfg.test_dataloader.dataset)
    ds.update(data_root=root, ann_file='labelTxt/',
              data_prefix=dict(img_path='images/'), subset=subset,
              val_every=val_every, test_mode=True)
    if max_images:
        ds['indices'] = int(max_images)
    return ds


def turned_id(img_id: str, angle: float) -> str:
    """The name of image ``img_id`` turned by ``angle`` degrees
    (``X_r045``); :func:`source_id` reads it back."""
    return f'{img_id}_r{int(angle):03d}'


def source_id(name: str) -> str:
    """The image a turned image comes from (``X_r045`` -> ``X``); any
    other name is its own source."""
    import re
    return re.sub(r'_r\d{3}$', '', name)


def write_turned(cfg, root: str, subset: Optional[str], val_every: int,
                 dst: str, angles: Sequence[float] = ROT_ANGLES) -> str:
    """``dst/{images,labelTxt}``: every image of the evaluation split
    turned by each angle (``rotaug.Rotate(expand=True)``), its
    quadrilaterals turned exactly with it (objects cut by the turn follow
    the policy: kept, flagged difficult, or dropped). Written once; a
    stamp records the source and the angles."""
    import cv2
    import numpy as np
    from mmrotate.structures.bbox import QuadriBoxes

    from rotaug.datasets.dota_io import write_dota_label_file
    from rotaug.registry import DATASETS
    from rotaug.transforms import Rotate
    stamp_path = osp.join(dst, 'stamp.json')
    stamp = dict(root=osp.abspath(root), subset=subset, val_every=val_every,
                 angles=[float(a) for a in angles])
    if harness.read_json(stamp_path) == stamp:
        return dst
    ds_cfg = eval_dataset(cfg, root, subset, val_every)
    ds_cfg['pipeline'] = []
    dataset = DATASETS.build(ds_cfg)
    classes = dataset.metainfo['classes']
    for sub in ('images', 'labelTxt'):  # no views of another stamp left
        os.makedirs(osp.join(dst, sub), exist_ok=True)
        for old in os.listdir(osp.join(dst, sub)):
            os.remove(osp.join(dst, sub, old))
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        img = cv2.imread(info['img_path'], cv2.IMREAD_COLOR)
        if img is None:
            raise ValueError(f"{info['img_path']}: not a readable image")
        inst = info['instances']
        polys = np.array([o['bbox'] for o in inst],
                         np.float32).reshape(-1, 8)
        labels = np.array([o['bbox_label'] for o in inst], np.int64)
        ign = np.array([o['ignore_flag'] for o in inst], bool)
        for angle in angles:
            out = Rotate(rotate_angle=angle, expand=True)(dict(
                img=img.copy(), img_shape=img.shape[:2],
                gt_bboxes=QuadriBoxes(polys.copy()),
                gt_bboxes_labels=labels.copy(), gt_ignore_flags=ign.copy()))
            rid = turned_id(info['img_id'], angle)
            # lossless, so the turned pixels are exactly the turn's
            cv2.imwrite(osp.join(dst, 'images', rid + '.png'), out['img'])
            write_dota_label_file(
                osp.join(dst, 'labelTxt', rid + '.txt'),
                [dict(poly=p, label=l, difficult=int(f)) for p, l, f in zip(
                    out['gt_bboxes'].tensor.numpy(),
                    out['gt_bboxes_labels'], out['gt_ignore_flags'])],
                classes=classes)
    harness.write_json(stamp_path, stamp)
    return dst


def predict_split(cfg, model, root: str, subset: Optional[str],
                  val_every: int, max_images: Optional[int] = None,
                  tag: str = 'ssdd', tta: bool = True) -> dict:
    """One model's predictions on one split (``root``, ``subset``): each
    image once per view of the config's TTA (only the 0-degree view when
    not ``tta``). Returns ``classes``, ``plain`` (the 0-degree view: the
    model without TTA), ``tta`` (the views fused by the config's
    ``tta_model``; None when not ``tta``), ``s_per_view`` and ``merge_s``
    (seconds per image)."""
    import time
    classes, preds, secs = harness.predict_views(
        cfg, model, eval_dataset(cfg, root, subset, val_every, max_images),
        tag=tag, max_views=None if tta else 1)
    out = dict(classes=classes, plain=preds[0], tta=None,
               s_per_view=float(sum(secs) / len(secs)), merge_s=0.0)
    if tta:
        t0 = time.perf_counter()
        out['tta'] = harness.merge_views(cfg, model, preds)
        out['merge_s'] = (time.perf_counter() - t0) / max(len(preds[0]), 1)
    return out


#: the IoU thresholds whose per-image matching is kept for
#: ``ssdd_bootstrap.py``: VOC07's 0.5 and COCO's 0.5:0.95
MATCH_THRS = ((0.5, ), tuple(COCO_IOU_THRS))
#: bump when the kept matching changes form
MATCHED_VERSION = 1


def match_detections(names, dets, gts, num_classes: int) -> dict:
    """The per-image matching (``rotaug.evaluation.match_images``) at each
    thresholds of :data:`MATCH_THRS`, done once: ``names``,
    ``num_classes`` and ``{thrs: matched}``."""
    from rotaug.evaluation import match_images
    out = dict(names=list(names), num_classes=num_classes)
    for thrs in MATCH_THRS:
        out[thrs] = match_images(dets, gts, num_classes, list(thrs), names)
    return out


def match_samples(classes, samples) -> dict:
    """:func:`match_detections` of predicted samples (with their ground
    truths), read as ``rotaug.DOTAMetric`` reads them."""
    from rotaug.evaluation import DOTAMetric
    metric = DOTAMetric()
    metric.dataset_meta = dict(classes=tuple(classes))
    metric.process(None, samples)
    names, dets, gts = metric.scoring_inputs(metric.results)
    return match_detections(names, dets, gts, len(classes))


class MatchedStore:
    """The matched detections of one trained run on the validation split
    (``up``: as it is; ``rot``: turned), without and with TTA, kept in its
    work dir (``bootstrap/``) by the scoring and read by
    ``ssdd_bootstrap.py``, so the bootstrap need not predict again. An
    entry holds only for the same checkpoint, data, config (its TTA
    included), thresholds and ``max_images``."""

    def __init__(self, detector: str, work_dir: str, ckpt: str,
                 data_root: str, val_every: int,
                 max_images: Optional[int] = None):
        import hashlib

        from mmengine.config import Config
        cfg = Config.fromfile(config_path(detector))
        self.dir = osp.join(work_dir, 'bootstrap')
        self.max_images = max_images
        self.key = dict(
            version=MATCHED_VERSION, ckpt_mtime=os.stat(ckpt).st_mtime_ns,
            data_root=data_root, val_every=val_every, max_images=max_images,
            config=hashlib.sha1(cfg.pretty_text.encode()).hexdigest(),
            thrs=sorted(MATCH_THRS))

    def _path(self, split: str, kind: str) -> str:
        stem = split + (f'_first{self.max_images}' if self.max_images
                        else '')
        return osp.join(self.dir, f'{stem}_{kind}.pkl')

    def load(self, split: str, kinds: Sequence[str]) -> dict:
        """``{kind: matched}`` of the entries of ``kinds`` that hold."""
        import pickle
        out = {}
        for kind in kinds:
            path = self._path(split, kind)
            try:
                with open(path, 'rb') as f:
                    held = pickle.load(f)
            except FileNotFoundError:
                continue
            except (EOFError, pickle.UnpicklingError) as e:
                print(f'[proof] {path}: unreadable ({e!r}), predicted '
                      'again', flush=True)
                continue
            if isinstance(held, dict) and \
                    held.get('key') == dict(self.key, split=split):
                out[kind] = held['matched']
        return out

    def save(self, split: str, kind: str, matched: dict) -> None:
        import pickle
        os.makedirs(self.dir, exist_ok=True)
        path = self._path(split, kind)
        part = f'{path}.{os.getpid()}.part'  # one per writing process
        with open(part, 'wb') as f:
            pickle.dump(dict(key=dict(self.key, split=split),
                             matched=matched), f)
        os.replace(part, path)

    def keep(self, split: str, got: dict) -> Dict[str, dict]:
        """Match and save :func:`predict_split`'s ``got`` (each kind it
        holds); returns ``{kind: matched}``."""
        out = {}
        for kind in ('plain', 'tta'):
            if got.get(kind) is not None:
                out[kind] = match_samples(got['classes'], got[kind])
                self.save(split, kind, out[kind])
        return out


def score_model(cfg, checkpoint: str, eval_root: str,
                subset: Optional[str], val_every: int, turned_root: str,
                splits: Sequence[str] = ('up', 'rot'),
                max_images: Optional[int] = None,
                keep: Optional[MatchedStore] = None) -> Dict[str, float]:
    """Every metric of the module doc for one trained model; also the
    seconds per image of one view and of the TTA merge. With ``keep``,
    each split's matched detections are saved there too."""
    model = harness.build_model(cfg, checkpoint)
    roots = dict(up=(eval_root, subset), rot=(turned_root, None))
    out = {}
    for split in splits:
        root, sub = roots[split]
        got = predict_split(cfg, model, root, sub, val_every, max_images,
                            tag=f'ssdd {split}')
        if keep is not None:
            keep.keep(split, got)
        for tag, samples in ((split, got['plain']),
                             (f'tta_{split}', got['tta'])):
            res = harness.score(got['classes'], samples, METRICS)
            out.update({f'{tag}_{k}': v for k, v in res.items()})
        out[f'{split}_s_per_view'] = got['s_per_view']
        out[f'{split}_merge_s'] = got['merge_s']
    return out


def variant_config(detector: str, name: str, data_root: str,
                   val_every: int, work_dir: str, iters: int, seed: int,
                   val_interval: int = 0, ckpt_interval: int = 250):
    """The config of one run: the demo config of ``detector`` with
    variant ``name``'s rotation, trained ``iters`` iterations on
    ``data_root`` less its validation split (the schedule's steps scaled
    to ``iters``), a checkpoint every ``ckpt_interval`` iterations
    (``resume``: a run cut short continues from its last one), validated
    every ``val_interval`` iterations (VOC07 AP50 on the validation split;
    0: never)."""
    import time

    from mmengine.config import Config
    cfg = Config.fromfile(config_path(detector))
    cfg.work_dir = work_dir
    cfg.resume = True
    # several runs in one process: their own logger and visualizer
    stamp = f'{osp.basename(work_dir)}_{time.time_ns()}'
    cfg.experiment_name = stamp
    cfg.visualizer.name = f'visualizer_{stamp}'
    ds = cfg.train_dataloader.dataset
    folder = dict(data_root=data_root, ann_file='labelTxt/',
                  data_prefix=dict(img_path='images/'), val_every=val_every)
    ds.update(folder, subset='train')
    ds.pipeline = train_pipeline(detector, name, ds.pipeline)
    for key in ('val_dataloader', 'test_dataloader'):
        cfg[key].dataset.update(folder, subset='val')
    # count every non-finite step, never stop on them
    cfg.optim_wrapper.max_consecutive = iters + 1
    cfg.train_cfg.max_iters = iters
    if val_interval:
        cfg.train_cfg.val_interval = val_interval
    else:
        cfg.train_cfg.val_interval = iters + 1
        cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint.interval = min(ckpt_interval, iters)
    cfg.default_hooks.checkpoint.max_keep_ckpts = 1
    cfg.default_hooks.logger.interval = max(1, min(50, iters // 5))
    for sch in cfg.param_scheduler:
        if sch.type == 'MultiStepLR':
            sch.end = iters
            sch.milestones = [int(iters * 0.75)]
        if sch.type == 'LinearLR':
            sch.end = min(sch.end, max(1, iters // 4))
    cfg.randomness = dict(seed=seed)
    cfg.env_cfg.cudnn_benchmark = False
    return cfg


def val_curve_hook(path: str):
    """A hook appending ``{iter: metrics}`` of every validation to the
    JSON file ``path`` (kept across resumed processes)."""
    from mmengine.hooks import Hook

    class ValCurve(Hook):
        priority = 'LOWEST'

        def after_val_epoch(self, runner, metrics=None):
            curve = harness.read_json(path, {})
            curve[str(runner.iter)] = {k: float(v)
                                       for k, v in (metrics or {}).items()}
            harness.write_json(path, curve)

    return ValCurve()


def run_tag(detector: str, name: str, seed: int, iters: int) -> str:
    return f'ssdd_{detector}_{name}_seed{seed}_it{iters}'


def _sum_segments(stats: dict) -> dict:
    """The totals of ``stats['segments']`` (one per training process: the
    iterations it trained, each ending at a checkpoint or the last
    iteration) as the flat keys the result record reads."""
    segs = stats.get('segments', [])
    for key in ('train_s', 'iters_timed', 'time_sum', 'data_time_sum'):
        stats[key] = sum(seg[key] for seg in segs)
    stats['processes'] = len(segs)
    stats['resumed_at'] = [seg['start'] for seg in segs]
    return stats


def train_stats_hook(path: str, log: Dict[str, list], every: int):
    """A hook writing this process's timing to ``path`` at every
    checkpoint (every ``every`` iterations, after the checkpoint hook) and
    at the end, so a process cut by the end of a session keeps the timing
    of the iterations its last checkpoint holds: a resumed run is timed
    over all of its iterations, each counted once. ``log`` is the lists
    of ``harness.iter_times_hook``."""
    import time

    import numpy as np
    from mmengine.hooks import Hook

    class TrainStats(Hook):
        priority = 'LOWEST'  # after the checkpoint hook

        def before_train(self, runner):
            self.start, self.t0 = runner.iter, None
            self.first = len(log['time'])
            stats = harness.read_json(path) or {}
            # what trained past the checkpoint this run resumed from was
            # lost with its process: trained again here
            self.kept = [seg for seg in stats.get('segments', [])
                         if seg['end'] <= self.start]
            # the code this process runs: the checkout as it starts (a
            # commit made while it trains does not change its code)
            self.commits = stats.get('train_commits', [])[:len(self.kept)] \
                + [harness.git_commit()]

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            # from the first iteration: a resumed loop first replays the
            # data of the iterations its checkpoint holds
            if self.t0 is None:
                self.t0 = time.time()

        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            done = runner.iter + 1
            if done % every and done != runner.max_iters:
                return
            times = log['time'][self.first:]
            data = log['data_time'][self.first:]
            skip = min(10, max(0, len(times) - 1))  # warm-up
            seg = dict(start=self.start, end=done,
                       train_s=time.time() - self.t0,
                       iters_timed=len(times[skip:]),
                       time_sum=float(np.sum(times[skip:])),
                       data_time_sum=float(np.sum(data[skip:])))
            # the message hub's count is resumed with the checkpoint: the
            # count of the steps that made these weights
            stats = dict(segments=self.kept + [seg],
                         nonfinite=int(runner.message_hub.get_info(
                             'train/nonfinite_losses') or 0),
                         train_commits=self.commits)
            harness.write_json(path, _sum_segments(stats))

    return TrainStats()


def train_variant(detector: str, name: str, seed: int, iters: int,
                  data_root: str, val_every: int, work_root: str,
                  val_interval: int = 0, ckpt_interval: int = 250) -> str:
    """Train one variant, or continue its cut run from the last
    checkpoint; nothing when its final checkpoint exists. Returns that
    checkpoint's path. Timing and non-finite steps go to
    ``train_stats.json`` beside it (``train_stats_hook``)."""
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    work_dir = osp.join(work_root, run_tag(detector, name, seed, iters))
    ckpt = osp.join(work_dir, f'iter_{iters}.pth')
    if osp.exists(ckpt):
        return ckpt
    cfg = variant_config(detector, name, data_root, val_every, work_dir,
                         iters, seed, val_interval, ckpt_interval)
    init_default_scope(cfg.get('default_scope', 'rotaug'))
    runner = Runner.from_cfg(cfg)
    log = {}
    runner.register_hook(harness.iter_times_hook(log))
    runner.register_hook(train_stats_hook(
        osp.join(work_dir, 'train_stats.json'), log,
        min(ckpt_interval, iters)))
    runner.register_hook(val_curve_hook(
        osp.join(work_dir, 'val_curve.json')))
    runner.train()
    return ckpt


def score_variant(detector: str, name: str, seed: int, iters: int,
                  data_root: str, val_every: int, work_root: str,
                  eval_root: str, eval_subset: Optional[str],
                  turned_root: str,
                  max_eval_images: Optional[int] = None) -> dict:
    """Score the final checkpoint of a trained variant on every split,
    without and with TTA: its result record."""
    import time
    tag = run_tag(detector, name, seed, iters)
    work_dir = osp.join(work_root, tag)
    ckpt = osp.join(work_dir, f'iter_{iters}.pth')
    stats = harness.read_json(osp.join(work_dir, 'train_stats.json'))
    if not osp.exists(ckpt) or stats is None:
        raise FileNotFoundError(
            f'{ckpt}: run {tag} is not trained (or has no '
            'train_stats.json): train it first')
    cfg = variant_config(detector, name, data_root, val_every, work_dir,
                         iters, seed)
    # ``commit``: the scoring's checkout; ``train_commits``: the one each
    # training process started from (absent when train_stats.json has
    # none: runs trained before it kept them)
    record = dict(dataset='ssdd', detector=detector, variant=name,
                  seed=seed, iters=iters, val_every=val_every,
                  commit=harness.git_commit())
    if stats.get('train_commits'):
        record['train_commits'] = list(stats['train_commits'])
    segs = stats.get('segments')
    if segs and segs[-1]['end'] != iters:
        print(f"[proof] {tag}: the timing covers iterations up to "
              f"{segs[-1]['end']} of {iters} (its last process stopped "
              'between the checkpoint and the timing)', flush=True)
    n = max(stats['iters_timed'], 1)
    record.update(train_s=stats['train_s'], iter_s=stats['time_sum'] / n,
                  data_s=stats['data_time_sum'] / n,
                  nonfinite=stats['nonfinite'],
                  resumed_at=stats.get('resumed_at', []))
    curve = harness.read_json(osp.join(work_dir, 'val_curve.json'))
    if curve:
        record['val_curve'] = curve
    # the validation split's matched detections, for ssdd_bootstrap.py
    keep = MatchedStore(detector, work_dir, ckpt, data_root, val_every,
                        max_eval_images) \
        if eval_subset == 'val' and eval_root == data_root else None
    t0 = time.time()
    record['metrics'] = score_model(cfg, ckpt, eval_root, eval_subset,
                                    val_every, turned_root,
                                    max_images=max_eval_images, keep=keep)
    if max_eval_images:
        record['max_eval_images'] = max_eval_images
    record['test_s'] = time.time() - t0
    return record


def run_variant(detector: str, name: str, seed: int, iters: int,
                data_root: str, val_every: int, work_root: str,
                eval_root: str, eval_subset: Optional[str],
                turned_root: str, val_interval: int = 0,
                max_eval_images: Optional[int] = None,
                ckpt_interval: int = 250) -> dict:
    """Train one variant (or continue its cut run), then score its final
    checkpoint on every split, without and with TTA."""
    train_variant(detector, name, seed, iters, data_root, val_every,
                  work_root, val_interval, ckpt_interval)
    return score_variant(detector, name, seed, iters, data_root, val_every,
                         work_root, eval_root, eval_subset, turned_root,
                         max_eval_images)


def _mean_sd(values) -> str:
    """'0.650 ± 0.071': mean ± sample sd of the values that are not NaN;
    one value alone (one seed has no spread to show); '-' for none."""
    import numpy as np
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if not len(v):
        return '-'
    return f'{v[0]:.3f}' if len(v) == 1 else \
        f'{v.mean():.3f} ± {v.std(ddof=1):.3f}'


def summary(results: List[dict], detector: str,
            keys: Sequence[str] = None) -> str:
    """Markdown: mean ± sample sd over seeds per variant (the value alone
    for one seed), then each seed."""
    import numpy as np
    keys = keys or HEADLINE + tuple(f'tta_{k}' for k in HEADLINE)
    rows = [r for r in results if r.get('dataset') == 'ssdd'
            and r['detector'] == detector]
    lines = ['| variant | iterations | seeds | ' + ' | '.join(keys) +
             ' | non-finite steps |', '|---' * (len(keys) + 4) + '|']
    groups: Dict[tuple, list] = {}
    for r in rows:
        groups.setdefault((r['variant'], r['iters']), []).append(r)
    for (name, iters), rs in groups.items():
        cells = []
        for k in keys:
            cells.append(_mean_sd(
                np.array([r['metrics'].get(k, np.nan) for r in rs])))
        lines.append(f'| {name} | {iters} | '
                     + ','.join(str(r['seed']) for r in rs) + ' | '
                     + ' | '.join(cells) + ' | '
                     + '/'.join(str(r['nonfinite']) for r in rs) + ' |')
    # then each seed, a table of its own
    lines += ['', '| variant | iterations | seed | ' + ' | '.join(keys) +
              ' | non-finite steps |', '|---' * (len(keys) + 4) + '|']
    for r in rows:
        lines.append(f"| {r['variant']} | {r['iters']} | {r['seed']} | "
                     + ' | '.join(f"{r['metrics'].get(k, float('nan')):.3f}"
                                  for k in keys) + f" | {r['nonfinite']} |")
    return '\n'.join(lines)


#: the columns of :func:`doc_tables`: (metric key, header)
DOC_COLUMNS = (('up_voc07/AP50', 'up AP50 (VOC07)'),
               ('up_coco/mAP', 'up mAP (COCO)'), ('up_coco/AP75', 'up AP75'),
               ('rot_voc07/AP50', 'rot AP50'), ('rot_coco/mAP', 'rot mAP'),
               ('rot_coco/AP75', 'rot AP75'))


def doc_tables(results: List[dict], detector: str,
               iters: Optional[int] = None) -> str:
    """The two tables of ``docs/real_proof.md`` for ``detector``: the
    metrics without TTA (per variant the mean ± sample sd over its seeds,
    the best mean of each column in bold, then each seed), and with the
    config's TTA (in brackets the gain in points over the same runs
    without it). Runs of ``iters`` iterations (the only schedule the
    results hold when None)."""
    import numpy as np
    rows = [r for r in results if r.get('dataset') == 'ssdd'
            and r['detector'] == detector and not r.get('max_eval_images')]
    schedules = sorted({r['iters'] for r in rows})
    if iters is None and len(schedules) > 1:
        raise ValueError(f'runs of {schedules} iterations: say which')
    runs: Dict[str, List[dict]] = {}
    for r in rows:
        if iters is None or r['iters'] == iters:
            runs.setdefault(r['variant'], []).append(r)
    if not runs:
        return f'(no {detector} runs' + (
            f' of {iters} iterations)' if iters else ')')
    order = [v for v in VARIANTS[detector] if v in runs]
    for v in order:
        runs[v].sort(key=lambda r: r['seed'])

    def vals(rs, key):
        return np.array([r['metrics'].get(key, np.nan) for r in rs])

    means = {k: [np.nanmean(vals(runs[v], k)) for v in order]
             for k, _ in DOC_COLUMNS}
    best = {k: np.nanmax(m) if not np.isnan(m).all() else np.nan
            for k, m in means.items()}
    # the best in bold only where every variant has the same seeds
    bold = len(order) > 1 and len({tuple(r['seed'] for r in runs[v])
                                   for v in order}) == 1
    head = ('| variant | seed | ' + ' | '.join(h for _, h in DOC_COLUMNS))
    plain = [head + ' | non-finite steps |',
             '|---' * (len(DOC_COLUMNS) + 3) + '|']
    tta = [head + ' |', '|---' * (len(DOC_COLUMNS) + 2) + '|']
    for v in order:
        rs = runs[v]
        groups = ([('mean', rs)] if len(rs) > 1 else []) + \
            [(str(r['seed']), [r]) for r in rs]
        for seed, g in groups:
            cells, tcells = [], []
            for k, _ in DOC_COLUMNS:
                x, t = vals(g, k), vals(g, f'tta_{k}')
                c = _mean_sd(x)
                if bold and len(g) == len(rs) and \
                        np.isclose(x.mean(), best[k]):
                    c = f'**{c}**'
                cells.append(c)
                tcells.append(f'{_mean_sd(t)} ({100 * (t - x).mean():+.1f})')
            nf = '/'.join(str(r['nonfinite']) for r in g)
            plain.append(f'| {v} | {seed} | ' + ' | '.join(cells) +
                         f' | {nf} |')
            tta.append(f'| {v} | {seed} | ' + ' | '.join(tcells) + ' |')
    return '\n'.join(plain) + '\n\n' + '\n'.join(tta)


#: the issue's expectations, each (name, detector, metric, better, worse,
#: margin): ``better``'s metric >= ``worse``'s + margin (strictly above
#: when ``strict``), judged seed by seed
EXPECTATIONS = (
    ('rotaug >= MMRotate, turned split', 'obb', 'rot_voc07/AP50', 'rotaug',
     'mmrotate', 0.0, False),
    ('rotaug >= MMRotate, turned split', 'obb', 'rot_coco/mAP', 'rotaug',
     'mmrotate', 0.0, False),
    ('rotaug > none, turned split', 'obb', 'rot_voc07/AP50', 'rotaug',
     'none', 0.0, True),
    ('rotaug > none, turned split', 'obb', 'rot_coco/mAP', 'rotaug',
     'none', 0.0, True),
    ('rotaug >= mmdet-filter + 5 AP75, split as it is', 'hbb',
     'up_coco/AP75', 'rotaug', 'mmdet-filter', 0.05, False),
)
#: TTA must add to every trained model on these
TTA_KEYS = ('up_voc07/AP50', 'up_coco/mAP', 'rot_voc07/AP50',
            'rot_coco/mAP')


def expectations(results: List[dict]) -> List[dict]:
    """Each expectation of the proof judged on every seed (and, for TTA,
    every trained model) that ``results`` hold: dicts with ``check``,
    ``detector``, ``seed``, ``metric``, ``values`` (the two sides),
    ``holds``; then each check judged on two seeds or more once again on
    the means over those seeds (``seed='mean'``). Seeds missing a variant,
    and smoke tests scored on a few images (``max_eval_images``), are left
    out, not judged."""
    runs = {(r['detector'], r['variant'], r['seed'], r['iters']): r
            for r in results if r.get('dataset') == 'ssdd'
            and not r.get('max_eval_images')}
    out = []
    for check, det, key, better, worse, margin, strict in EXPECTATIONS:
        for (d, v, seed, iters), r in sorted(runs.items()):
            other = runs.get((det, worse, seed, iters))
            if d != det or v != better or other is None or \
                    key not in r['metrics'] or key not in other['metrics']:
                continue
            a, b = r['metrics'][key], other['metrics'][key] + margin
            out.append(dict(check=check, detector=det, seed=seed,
                            iters=iters, metric=key, values=(a, b),
                            holds=bool(a > b if strict else a >= b),
                            strict=strict))
    for (det, v, seed, iters), r in sorted(runs.items()):
        for key in TTA_KEYS:
            a, b = r['metrics'].get(f'tta_{key}'), r['metrics'].get(key)
            if a is None or b is None:
                continue
            out.append(dict(check=f'TTA adds ({v})', detector=det,
                            seed=seed, iters=iters, metric=key,
                            values=(a, b), holds=bool(a > b),
                            strict=True))
    return out + _means(out)


def _means(judged: List[dict]) -> List[dict]:
    """The same checks on the mean over seeds (``seed='mean'``), for every
    check judged on two seeds or more."""
    groups: Dict[tuple, list] = {}
    for e in judged:
        groups.setdefault((e['check'], e['detector'], e['iters'],
                           e['metric']), []).append(e)
    out = []
    for (check, det, iters, key), es in groups.items():
        if len(es) < 2:
            continue
        a = sum(e['values'][0] for e in es) / len(es)
        b = sum(e['values'][1] for e in es) / len(es)
        out.append(dict(check=check, detector=det, iters=iters, metric=key,
                        seed='mean', values=(a, b), strict=es[0]['strict'],
                        holds=bool(a > b if es[0]['strict'] else a >= b)))
    return out


def report(results: List[dict], detector: str,
           keys: Sequence[str] = None) -> str:
    """``--summary``: :func:`summary`, then the expectations judged on that
    detector's runs, each table apart."""
    return summary(results, detector, keys) + '\n\n' + expectations_table(
        [r for r in results if r.get('detector') == detector])


def expectations_table(results: List[dict]) -> str:
    """Markdown of :func:`expectations`."""
    lines = ['| expectation | detector | seed | metric | left | right | '
             'holds |', '|---|---|---|---|---|---|---|']
    for e in expectations(results):
        a, b = e['values']
        lines.append(f"| {e['check']} | {e['detector']} | {e['seed']} | "
                     f"{e['metric']} | {a:.3f} | {b:.3f} | "
                     f"{'yes' if e['holds'] else '**no**'} |")
    return '\n'.join(lines)
