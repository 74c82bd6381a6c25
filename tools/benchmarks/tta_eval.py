"""How much does rotated test-time augmentation give? The demo Oriented
R-CNN (``make demo``'s checkpoint) on the synthetic test split and on the
test split turned to 8 angles, without TTA and with several view sets and
merges of ``rotaug.RotatedTTAModel``, plus the naive-merge anchor.

    python tools/benchmarks/tta_eval.py \\
        [--checkpoint work_dirs/demo/iter_600.pth] \\
        [--config configs/demo/oriented-rcnn-le90_tiny_rr_synth.py] \\
        [--splits val test rot8] [--max-images N] [--out tta.json]

Every view of every image is run once (its pipeline and the detector,
timed); each row then merges a subset of the cached views with the real
``RotatedTTAModel.merge_views`` (or, for the anchor, maps every view's boxes
back by the inverse homography and runs per-class ``mmcv.ops.nms_rotated``
at IoU 0.1, no fusion, no score handling). Seconds per image of a row: the
sum of its views' pipeline + detector times and its merge time, all
measured in this run. The hbox rule section compares the ways back of
horizontal boxes from views off the axes on the ground truths alone.
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys
import time

import harness
import numpy as np

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))
CONFIG = osp.join(ROOT, 'configs', 'demo',
                  'oriented-rcnn-le90_tiny_rr_synth.py')
META = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
        'homography_matrix')
ROT8 = tuple(range(0, 360, 45))


def view_specs():
    """Name -> extra transforms of each view (after the config's Resize)."""
    def rot(a, expand=True):
        return dict(type='rotaug.Rotate', rotate_angle=a, expand=expand)

    flip = dict(type='mmdet.RandomFlip', prob=1.0, direction='horizontal')
    views = {'plain': []}
    for a in ROT8:
        views[f'r{a}'] = [rot(a)]
    for a in (45, 135, 225, 315):
        views[f'r{a}n'] = [rot(a, expand=False)]
    for a in (0, 90, 180, 270):
        views[f'f{a}'] = [flip, rot(a)]
    return views


def rows():
    """(name, views, tta_cfg or 'naive' or None)."""
    q = ['r0', 'r90', 'r180', 'r270']
    e8 = [f'r{a}' for a in ROT8]
    n8 = q + ['r45n', 'r135n', 'r225n', 'r315n']
    d8 = q + ['f0', 'f90', 'f180', 'f270']
    nms = dict(merge='nms', iou_thr=0.1, score_mode='max')
    out = [('no TTA', ['plain'], None),
           ('naive 0/180 (anchor)', ['r0', 'r180'], 'naive'),
           ('naive 4 views (anchor)', q, 'naive'),
           ('naive 8 views 45 expand (anchor)', e8, 'naive'),
           ('4 views NMS', q, nms),
           ('4 views NMS + avg score', q, dict(nms, score_mode='avg'))]
    for thr in (0.3, 0.4, 0.45, 0.5, 0.55, 0.7):
        out.append((f'4 views WBF iou {thr}', q,
                    dict(merge='wbf', iou_thr=thr, score_mode='avg')))
    # the rest with the model's defaults (tta_cfg={}): WBF, avg score
    out += [('4 views WBF default, max score', q, dict(score_mode='max')),
            ('2 views 0/180 WBF', ['r0', 'r180'], {}),
            ('8 views 45 expand NMS', e8, nms),
            ('8 views 45 expand WBF', e8, {}),
            ('8 views 45 no expand WBF', n8, {}),
            ('4 turns x flip (8) WBF', d8, {}),
            ('flip only (2) WBF', ['r0', 'f0'], {})]
    return out


def build(config, checkpoint):
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint

    import rotaug  # noqa: F401
    from rotaug.registry import MODELS
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'rotaug'))
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu')
    model.eval()
    torch.set_grad_enabled(False)
    return cfg, model


def view_pipelines(cfg):
    """One pipeline per view: the test pipeline with the view's
    transforms right after its Resize, annotations loaded after them."""
    from mmcv.transforms import Compose
    base = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    load = base[0]
    resize = next(t for t in base if 'Resize' in t['type'])
    ann = [t for t in base if 'LoadAnnotations' in t['type'] or
           'ConvertBoxType' in t['type']]
    pack = dict(type='mmdet.PackDetInputs', meta_keys=META)
    return load, {
        name: Compose([resize] + extra + ann + [pack])
        for name, extra in view_specs().items()
    }


def run_views(cfg, model, data_root, split, max_images):
    """Every view of every image: predictions (CPU) and seconds. The views
    are this script's own (``view_specs``, not the config's
    ``tta_pipeline``); the loop over images and views is the harness's."""
    import torch
    from mmcv.transforms import Compose

    from rotaug.registry import DATASETS
    ds_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    ds_cfg.data_root = data_root
    ds_cfg.ann_file = f'{split}/labelTxt/'
    ds_cfg.data_prefix = dict(img_path=f'{split}/images/')
    ds_cfg.pipeline = []
    dataset = DATASETS.build(ds_cfg)
    load, pipes = view_pipelines(cfg)
    load = Compose([load])
    n = len(dataset) if max_images is None else min(max_images, len(dataset))
    names = list(pipes)
    per_view, view_secs = harness.predict_each_view(
        model, dataset, load, [pipes[v] for v in names], n, log_every=10,
        prefix=f'[tta_eval] {split}:')
    preds = dict(zip(names, per_view))
    secs = dict(zip(names, view_secs))
    torch.cuda.empty_cache() if torch.cuda.is_available() else None
    return dataset.metainfo['classes'], preds, {
        k: v / n for k, v in secs.items()}


def naive_merge(views, max_per_img=None):
    """The anchor: boxes mapped back by the inverse homography, per-class
    nms_rotated at IoU 0.1, no fusion, no score handling."""
    from mmengine.structures import InstanceData
    import torch

    from rotaug.evaluation import batched_nms
    from rotaug.models.tta_geometry import to_original
    boxes, scores, labels = [], [], []
    for v in views:
        p = v.pred_instances
        b = p.bboxes.tensor if hasattr(p.bboxes, 'tensor') else p.bboxes
        boxes.append(to_original(b.numpy(), 'rbox', v.metainfo))
        scores.append(p.scores.numpy().astype(np.float64))
        labels.append(p.labels.numpy())
    boxes, scores = np.concatenate(boxes), np.concatenate(scores)
    labels = np.concatenate(labels)
    # mmcv's float32 nms_rotated, as the anchor was defined (rotaug's
    # patch NMS is exact since 2026-12-06)
    keep = batched_nms(boxes, scores, labels, 0.1, method='mmcv')
    keep = keep[np.argsort(-scores[keep], kind='stable')][:max_per_img]
    out = copy.copy(views[0])
    out.pred_instances = InstanceData(
        bboxes=torch.as_tensor(boxes[keep]), scores=torch.as_tensor(
            scores[keep]), labels=torch.as_tensor(labels[keep]))
    return out


def evaluate(classes, samples):
    from mmengine.logging import MMLogger

    from rotaug.evaluation import DOTAMetric
    MMLogger.get_instance('tta_eval', log_level='WARNING')
    metric = DOTAMetric()
    metric.dataset_meta = dict(classes=classes)
    metric.process(None, samples)
    return metric.compute_metrics(metric.results)['mAP']


def score_rows(classes, preds, secs, model, max_per_img):
    from rotaug.models import RotatedTTAModel
    results = []
    n = len(preds['plain'])
    for name, views, tta in rows():
        t0 = time.perf_counter()
        if tta is None:
            merged = [preds[views[0]][i] for i in range(n)]
        elif tta == 'naive':
            merged = [naive_merge([preds[v][i] for v in views])
                      for i in range(n)]
        else:
            tta_cfg = dict(tta, max_per_img=max_per_img)  # else defaults
            tta_model = RotatedTTAModel(model, tta_cfg=tta_cfg)
            merged = [tta_model.merge_views([copy.copy(preds[v][i])
                                             for v in views])
                      for i in range(n)]
        merge_s = (time.perf_counter() - t0) / n
        m_ap = evaluate(classes, merged)
        results.append(dict(row=name, views=views, tta_cfg=tta, mAP=m_ap,
                            s_per_img=sum(secs[v] for v in views) +
                            merge_s, merge_s=merge_s))
        print(f'[tta_eval] {name}: mAP {m_ap:.4f}, '
              f'{results[-1]["s_per_img"]:.3f} s/img', flush=True)
    return results


def hbox_rule_table(data_root, angles=(15, 30, 45, 60, 75)):
    """Mean IoU of each hbox rule's way back against the exact horizontal
    box of the object, over the ground truths of the test split."""
    from rotaug.datasets.dota_io import parse_dota_label_file
    from rotaug.geometry import image_rotation
    from rotaug.models.tta_geometry import map_boxes
    from rotaug.evaluation import poly_iou_matrix
    CLASSES = harness.load_tool('tools/data/synth_dota.py').CLASSES
    lab = osp.join(data_root, 'test', 'labelTxt')
    polys = []
    for f in sorted(os.listdir(lab)):
        objs, _ = parse_dota_label_file(osp.join(lab, f), CLASSES)
        polys += [np.asarray(o['poly'], np.float64).reshape(4, 2)
                  for o in objs]
    polys = np.stack(polys)
    exact = np.c_[polys.min(1), polys.max(1)]

    def as_poly(h):
        return np.stack([h[:, [0, 2, 2, 0]], h[:, [1, 1, 3, 3]]],
                        -1).reshape(-1, 8)

    table = {}
    for a in angles:
        m, _ = image_rotation(320, 320, a, expand=True)
        turned = polys @ m[:2, :2].T + m[:2, 2]
        view_hbox = np.c_[turned.min(1), turned.max(1)]
        for rule in ('ellipse', 'envelope'):
            back = map_boxes(view_hbox, 'hbox', np.linalg.inv(m),
                             hbox_rule=rule)
            ious = np.diag(poly_iou_matrix(as_poly(back), as_poly(exact)))
            table.setdefault(rule, {})[a] = float(ious.mean())
    return table, len(polys)


def mmcv_iou_check(n=3000, seed=0):
    """How often mmcv's CPU box_iou_rotated (float32) misses IoU 1 for one
    box written twice, against the exact IoU of the clustering."""
    import math

    import torch
    from mmcv.ops import box_iou_rotated

    from rotaug.models.tta_merge import exact_ious
    rng = np.random.default_rng(seed)
    a = np.c_[rng.uniform(0, 1000, (n, 2)), rng.uniform(5, 80, (n, 2)),
              rng.uniform(-1.6, 1.6, n)]
    shifted = a.copy()
    shifted[:, 0] += rng.uniform(-1e-3, 1e-3, n)
    cases = {
        '(h, w, t + 90)': np.c_[a[:, :2], a[:, 3], a[:, 2],
                                a[:, 4] + math.pi / 2],
        't + 180': np.c_[a[:, :4], a[:, 4] + math.pi],
        '0.001 px shift': shifted,
    }
    out = {}
    for name, b in cases.items():
        ta = torch.tensor(a, dtype=torch.float32)
        tb = torch.tensor(b, dtype=torch.float32)
        mm = box_iou_rotated(ta, tb, aligned=True).numpy()
        ex = np.array([exact_ious(np.stack([x, y]), 'rbox')[0, 1]
                       for x, y in zip(a[:200], b[:200])])
        out[name] = dict(mmcv_below_099=int((mm < 0.99).sum()),
                         mmcv_worst=float(mm.min()),
                         exact_worst_first200=float(ex.min()))
    return n, out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--config', default=CONFIG)
    p.add_argument('--checkpoint', default=osp.join(ROOT, 'work_dirs',
                                                    'demo', 'iter_600.pth'))
    p.add_argument('--data-root', default=osp.join(ROOT, 'data',
                                                   'synth_dota'))
    p.add_argument('--splits', nargs='+', default=['test', 'rot8'],
                   choices=['val', 'test', 'rot8'],
                   help='val: to choose the defaults on (not the test '
                   'split)')
    p.add_argument('--max-images', type=int, default=None)
    p.add_argument('--max-per-img', type=int, default=200,
                   help='boxes kept per merged image (the demo model keeps '
                   '200 per view)')
    p.add_argument('--out', default=None)
    a = p.parse_args(argv)
    os.chdir(ROOT)
    os.environ.setdefault('CUDA_VISIBLE_DEVICES', '')
    cfg, model = build(a.config, a.checkpoint)
    import torch
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    report = dict(date=time.strftime('%Y-%m-%d'), checkpoint=a.checkpoint,
                  splits={})
    for split in a.splits:
        root = a.data_root.rstrip('/') + '/'
        name = split
        if split == 'rot8':
            root, name = rot8_root(a.data_root), 'test_rot'
        classes, preds, secs = run_views(cfg, model, root, name,
                                         a.max_images)
        res = score_rows(classes, preds, secs, model, a.max_per_img)
        report['splits'][split] = dict(images=len(preds['plain']),
                                       view_s=secs, rows=res)
        print_table(split, res)
    n, checks = mmcv_iou_check()
    report['mmcv_iou_check'] = checks
    print(f'\nmmcv box_iou_rotated (CPU float32) on one box written twice, '
          f'{n} random boxes')
    for name, c in checks.items():
        print(f"  {name}: IoU < 0.99 for {c['mmcv_below_099']}, worst "
              f"{c['mmcv_worst']:.4f} (exact IoU, first 200: worst "
              f"{c['exact_worst_first200']:.6f})")
    table, n = hbox_rule_table(a.data_root)
    report['hbox_rule'] = dict(objects=n, mean_iou=table)
    print(f'\nhbox way back from a view turned by A (mean IoU with the '
          f'exact box, {n} test objects)')
    print('| rule | ' + ' | '.join(f'{x} deg' for x in table['ellipse']) +
          ' |')
    for rule, vals in table.items():
        print(f'| {rule} | ' + ' | '.join(f'{v:.4f}' for v in vals.values())
              + ' |')
    if a.out:
        with open(a.out, 'w') as f:
            json.dump(report, f, indent=2)


def rot8_root(data_root):
    """A data root whose ``test_rot`` holds the test split turned by the
    8 angles (its own folder: other benchmarks write ``test_rot`` with
    other angles under data/synth_dota)."""
    write_rotated_test = harness.load_tool(
        'tools/benchmarks/rotation_proof.py').write_rotated_test
    root = osp.join(osp.dirname(osp.abspath(data_root.rstrip('/'))),
                    'synth_dota_tta_rot8')
    os.makedirs(root, exist_ok=True)
    link = osp.join(root, 'test')
    if not osp.exists(link):
        os.symlink(osp.join(osp.abspath(data_root), 'test'), link)
    write_rotated_test(root, list(ROT8))
    return root + '/'


def print_table(split, res):
    base = res[0]['mAP']
    print(f'\n{split}: {time.strftime("%Y-%m-%d")}, CPU')
    print('| row | views | mAP | vs no TTA | s/img |')
    print('|---|---|---|---|---|')
    for r in res:
        print(f"| {r['row']} | {len(r['views'])} | {r['mAP']:.4f} | "
              f"{r['mAP'] - base:+.4f} | {r['s_per_img']:.3f} |")


if __name__ == '__main__':
    sys.exit(main())
