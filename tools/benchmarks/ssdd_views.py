"""Where does rotation TTA gain or lose on RBox-SSDD? Each TTA view of a
trained proof run (``rotation_proof.py --dataset ssdd``) scored alone,
mapped back to the image, next to the model without TTA (the 0-degree
view) and the config's fusion of all views; and how the matched boxes of
each view sit against the ground truth (mean and median offset of the
edges of their bounding boxes, in pixels of the original image).

    python tools/benchmarks/ssdd_views.py --detector hbb \\
        --variants none mmdet-filter rotaug --seeds 0 \\
        [--data-root data/ssdd/train] [--val-every 5] \\
        [--work-dir ~/.cache/rotaug/real_proof] [--out views.json]

A view that localises worse than the upright one (larger offsets, lower
AP75) pulls the fused boxes with it: the per-view rows say which view and
by how much. Matches: detections scoring above ``--min-score`` whose
bounding box overlaps a ground truth's by IoU > 0.5 (its best one).
"""
import copy
import json
import os
import os.path as osp
import sys

import harness
import numpy as np

ROOT = harness.ROOT
ssdd = harness.load_tool(osp.join('tools', 'benchmarks', 'proof_ssdd.py'))


def _bounds(boxes) -> np.ndarray:
    """(N, 4) bounding boxes x1 y1 x2 y2 of mmdet/mmrotate box structures
    (or tensors: 4 columns hbox, 5 rbox, 8 qbox)."""
    from rotaug.geometry import boxes_to_poly
    t = boxes.tensor if hasattr(boxes, 'tensor') else boxes
    t = np.asarray(t.detach().cpu().numpy() if hasattr(t, 'detach') else t,
                   np.float64)
    if t.shape[-1] == 4:
        return t.reshape(-1, 4)
    kind = {5: 'rbox', 8: 'qbox'}[t.shape[-1]]
    poly = np.asarray(boxes_to_poly(t, kind)).reshape(-1, 4, 2)
    return np.concatenate([poly.min(1), poly.max(1)], 1)


def edge_offsets(samples, min_score: float = 0.3) -> np.ndarray:
    """(K, 4) edge offsets (prediction minus ground truth: x1 y1 x2 y2) of
    the matched detections of ``samples`` (data samples with
    ``pred_instances`` and ``gt_instances`` in the same frame)."""
    from rotaug.geometry import box_ious
    out = []
    for s in samples:
        p = s.pred_instances
        keep = (p.scores > min_score).cpu().numpy()
        pred = _bounds(p.bboxes)[keep]
        gt = _bounds(s.gt_instances.bboxes)
        if not len(pred) or not len(gt):
            continue
        iou = np.asarray(box_ious(pred, gt, 'hbox'))
        best = iou.argmax(1)
        ok = iou.max(1) > 0.5
        out.append(pred[ok] - gt[best[ok]])
    return np.concatenate(out) if out else np.zeros((0, 4))


def one_view_back(sample, angle_version: str = 'le90'):
    """A copy of one view's prediction with its boxes mapped back to the
    original image exactly as the TTA model maps them (``to_original``),
    not fused with anything (two boxes of one view stay two)."""
    import copy

    import torch

    from rotaug.models.tta_geometry import box_type_of, to_original
    out = copy.copy(sample)
    pred = sample.pred_instances.clone()
    b = pred.bboxes
    t = b.tensor if hasattr(b, 'tensor') else b
    back = torch.as_tensor(
        to_original(t.detach().cpu().numpy(), box_type_of(b),
                    sample.metainfo, angle_version), dtype=t.dtype)
    pred.bboxes = type(b)(back) if hasattr(b, 'tensor') else back
    out.pred_instances = pred
    return out


# the views a model trained with flips has seen: the image, its flips and
# its half turn (the config's TTA has quarter turns)
FLIP_VIEWS = [dict(type='rotaug.Rotate', rotate_angle=0, expand=True),
              dict(type='mmdet.RandomFlip', prob=1.0,
                   direction='horizontal'),
              dict(type='rotaug.Rotate', rotate_angle=180, expand=True),
              dict(type='mmdet.RandomFlip', prob=1.0, direction='vertical')]


def with_views(cfg, views):
    """A copy of ``cfg`` whose TTA views (the ``TestTimeAug`` stage with
    several transforms) are ``views``, one transform each; the first must
    leave the image as it is (it stands for the model without TTA)."""
    cfg = copy.deepcopy(cfg)
    for t in cfg.tta_pipeline:
        if t['type'] == 'TestTimeAug':
            stages = t['transforms']
            multi = [i for i, st in enumerate(stages) if len(st) > 1]
            if len(multi) != 1:
                raise ValueError('tta_pipeline must have one stage of views')
            stages[multi[0]] = [dict(v) for v in views]
    return cfg


def view_name(pipe) -> str:
    """'view 90' for a turn, 'flip horizontal' for a flip."""
    for t in pipe.transforms:
        if type(t).__name__ == 'Rotate':
            return f'view {t.rotate_angle:g}'
        if type(t).__name__ == 'RandomFlip':
            d = t.direction
            return f"flip {d if isinstance(d, str) else '/'.join(d)}"
    return 'view'


def views_of_run(detector: str, variant: str, seed: int, iters: int,
                 data_root: str, val_every: int, work_root: str,
                 min_score: float = 0.3, max_images=None,
                 view_set: str = 'config') -> list:
    """One row per view (then the fusion) of a trained run on the
    validation split as it is; ``view_set``: the config's TTA views, or
    ``flips`` (``FLIP_VIEWS``) fused with the config's merge."""
    from mmengine.config import Config
    tag = ssdd.run_tag(detector, variant, seed, iters)
    work_dir = osp.join(work_root, tag)
    ckpt = osp.join(work_dir, f'iter_{iters}.pth')
    if not osp.exists(ckpt):
        raise FileNotFoundError(f'{ckpt}: run {tag} is not trained')
    cfg = Config.fromfile(ssdd.config_path(detector))
    if view_set == 'flips':
        cfg = with_views(cfg, FLIP_VIEWS)
    model = harness.build_model(cfg, ckpt)
    classes, preds, secs = harness.predict_views(
        cfg, model, ssdd.eval_dataset(cfg, data_root, 'val', val_every,
                                      max_images), tag=f'{tag} views')
    metrics = dict(coco=ssdd.METRICS['coco'])
    names = [view_name(v) for v in harness.tta_view_pipelines(cfg)]
    rows = []
    sets = [(name, [k]) for k, name in enumerate(names)]
    sets.append(('fused (the config\'s TTA)' if view_set == 'config' else
                 f'fused ({view_set})', list(range(len(preds)))))
    version = cfg.tta_model.get('tta_cfg', {}).get('angle_version', 'le90')
    for name, ks in sets:
        samples = [one_view_back(s, version) for s in preds[ks[0]]] \
            if len(ks) == 1 else harness.merge_views(cfg, model,
                                                     [preds[k] for k in ks])
        res = harness.score(classes, samples, metrics)
        off = edge_offsets(samples, min_score)
        rows.append(dict(
            detector=detector, variant=variant, seed=seed, rows=name,
            AP50=res['coco/AP50'], AP75=res['coco/AP75'],
            mAP=res['coco/mAP'], matches=len(off),
            mean_offset=np.round(off.mean(0), 3).tolist() if len(off)
            else None,
            median_offset=np.round(np.median(off, 0), 3).tolist()
            if len(off) else None))
        print(_row(rows[-1]), flush=True)
    return rows


def _row(r) -> str:
    def f(v):
        return '-' if v is None else ' '.join(f'{x:+.2f}' for x in v)
    return (f"| {r['detector']} {r['variant']} s{r['seed']} | {r['rows']} | "
            f"{r['AP50']:.3f} | {r['AP75']:.3f} | {r['mAP']:.3f} | "
            f"{r['matches']} | {f(r['mean_offset'])} | "
            f"{f(r['median_offset'])} |")


HEAD = ('| run | views | AP50 | AP75 | mAP | matches | mean offset x1 y1 '
        'x2 y2 (px) | median offset |\n|---|---|---|---|---|---|---|---|')


def main(argv=None) -> None:
    p = ssdd.run_arg_parser(__doc__.split('\n\n')[0])
    p.add_argument('--min-score', type=float, default=0.3)
    p.add_argument('--views', default='config', choices=('config', 'flips'),
                   help="config: the config's TTA views (quarter turns); "
                   'flips: the image, its flips and its half turn')
    a = ssdd.parse_run_args(p, argv)
    variants, data_root, work_root, out = (a.variants, a.data_root,
                                           a.work_dir, a.out)
    os.chdir(ROOT)
    import rotaug  # noqa: F401
    from mmengine.registry import init_default_scope
    init_default_scope('rotaug')
    print(HEAD)
    rows = []
    for seed in a.seeds:
        for v in variants:
            rows += views_of_run(a.detector, v, seed, a.iters, data_root,
                                 a.val_every, work_root, a.min_score,
                                 a.max_images, a.views)
    print(HEAD)
    print('\n'.join(_row(r) for r in rows))
    if out:
        with open(out, 'w') as f:
            json.dump(dict(data_root=data_root, val_every=a.val_every,
                           min_score=a.min_score, views=a.views, rows=rows),
                      f, indent=1)


if __name__ == '__main__':
    sys.exit(main())
