"""Exact rotated IoU at speed: the TTA merge at DOTA density, the IoU of
candidate pairs against shapely and mmcv, the patch NMS's duplicates, and
the assigner's iou calculator. Every ratio is measured in the same run,
the rows interleaved repeat by repeat (min and median reported).

    python tools/benchmarks/iou_speed.py [--repeat 5] [--quick]

Sections:

1. ``merge``: ``rotaug.models.tta_merge.cluster_views`` (sparse pairs,
   exact IoU) against ``cluster_views_dense`` (the path before 2026-12-06:
   a dense shapely IoU matrix per class, one fusion per cluster) on 4 views
   of one synthetic image: N objects (rboxes 8-60 px in a 1024 px square,
   uniform), each view a jittered copy (centre sd 1.5 px, sides x 0.93-1.07,
   angle sd 0.05 rad), random scores, 1 or 15 classes, WBF at IoU 0.45.
   The two outputs are compared (clusters, scores, views, boxes bit for
   bit).
2. ``pairs``: the candidate pairs of the 4 x 2,000 scene (extents
   overlap) measured by rotaug (numpy float64; torch float64 on the CPU),
   shapely (``shapely.intersection`` of the corners' polygons, the
   reference) and mmcv's CPU ``box_iou_rotated`` (float32, aligned) on the
   same pairs; wrong values: |mmcv - shapely| > 1e-4, |rotaug - shapely| >
   1e-9. Then the hard pairs (one box written twice: ``(h, w, t + 90)``,
   ``t + 180``, a 0.001 px shift, identical) against the exact rational
   IoU, which shapely misses too now and then.
3. ``nms``: objects seen by two patches, each written by each patch
   (``(w, h, t)`` / ``(h, w, t + 90)``, the offsets of the patches added
   and removed in float32): how many duplicates survive mmcv's
   ``nms_rotated`` / ``nms_quadri`` at the DOTA merge's IoU 0.1, and
   rotaug's exact NMS (``rotaug.evaluation.batched_nms``).
4. ``assigner``: ``rotaug.RBboxOverlaps2D`` against MMRotate's
   ``RBboxOverlaps2D`` on CPU float32 tensors, (proposals x ground truths)
   and aligned.
"""
import argparse
import math
import os
import platform
import time

import numpy as np


def scene(rng, n_obj, views=4, classes=1, size=1024.0):
    """4 jittered views of ``n_obj`` rboxes: boxes (4 n, 5), scores,
    labels, view ids."""
    ctr = rng.uniform(0, size, (n_obj, 2))
    wh = rng.uniform(8, 60, (n_obj, 2))
    t = rng.uniform(-np.pi / 2, np.pi / 2, n_obj)
    obj = np.c_[ctr, wh, t]
    lab = rng.integers(0, classes, n_obj)
    boxes, scores, vids = [], [], []
    for v in range(views):
        b = obj.copy()
        b[:, :2] += rng.normal(0, 1.5, (n_obj, 2))
        b[:, 2:4] *= rng.uniform(0.93, 1.07, (n_obj, 2))
        b[:, 4] += rng.normal(0, 0.05, n_obj)
        boxes.append(b)
        scores.append(rng.uniform(0.05, 1.0, n_obj))
        vids.append(np.full(n_obj, v))
    return (np.concatenate(boxes), np.concatenate(scores),
            np.tile(lab, views), np.concatenate(vids))


def interleaved(fns, repeat):
    """{name: [seconds]}: every function once per round, ``repeat``
    rounds (one warm-up first)."""
    for fn in fns.values():
        fn()
    times = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def fmt(ts):
    return f'{min(ts):8.4f} {float(np.median(ts)):8.4f}'


def same_clusters(a, b):
    return (len(a.boxes) == len(b.boxes)
            and np.array_equal(a.labels, b.labels)
            and np.array_equal(a.top, b.top)
            and np.array_equal(a.view_scores, b.view_scores)
            and np.array_equal(a.boxes, b.boxes))


def bench_merge(args, rng):
    from rotaug.models.tta_merge import cluster_views, cluster_views_dense
    print('\n== 1. TTA merge: cluster_views on 4 views, WBF at IoU 0.45 '
          '(s per image) ==')
    print(f'{"boxes":>6s} {"classes":>7s} {"rotaug min":>10s} {"median":>8s}'
          f' {"dense shapely min":>17s} {"median":>8s} {"x faster":>8s} '
          'identical')
    sizes = [(500, 15), (500, 1), (1000, 1), (2000, 15), (2000, 1)]
    if args.quick:
        sizes = [(500, 1), (2000, 1)]
    for n, classes in sizes:
        b, s, l, v = scene(rng, n, classes=classes)
        out = {}

        def new():
            out['new'] = cluster_views(b, s, l, v, 4, 'rbox', 'wbf', 0.45)

        def old():
            out['old'] = cluster_views_dense(b, s, l, v, 4, 'rbox', 'wbf',
                                             0.45)
        reps = args.repeat if 4 * n <= 4000 else max(1, args.repeat // 2)
        t = interleaved({'new': new, 'old': old}, reps)
        print(f'{4 * n:6d} {classes:7d} {fmt(t["new"])} '
              f'{min(t["old"]):17.4f} {float(np.median(t["old"])):8.4f} '
              f'{min(t["old"]) / min(t["new"]):8.0f} '
              f'{"yes" if same_clusters(out["new"], out["old"]) else "NO"}')
    for n in ([4000] if not args.quick else []):
        b, s, l, v = scene(rng, n)
        t = interleaved({'new': lambda: cluster_views(
            b, s, l, v, 4, 'rbox', 'wbf', 0.45)}, args.repeat)
        print(f'{4 * n:6d} {1:7d} {fmt(t["new"])} {"(not run: 2 GB)":>17s}')


def shapely_pair_ious(p1, p2):
    import shapely
    g1, g2 = shapely.polygons(p1), shapely.polygons(p2)
    inter = shapely.area(shapely.intersection(g1, g2))
    union = shapely.area(g1) + shapely.area(g2) - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-300), 0.0)


def bench_pairs(args, rng):
    import torch
    from mmcv.ops import box_iou_rotated

    from rotaug.geometry import box_iou_pairs, candidate_pairs, rbox_to_poly
    from rotaug.geometry.iou import _Table
    print('\n== 2. IoU of candidate pairs (4 x 2,000 rboxes, one class) ==')
    b, _, _, _ = scene(rng, 2000)
    table = _Table(b, 'rbox', 'boxes')
    rows, cols = candidate_pairs(table.ext)
    k = len(rows)
    poly = rbox_to_poly(b)
    p1, p2 = poly[rows], poly[cols]
    q = poly.reshape(-1, 8)
    t1 = torch.tensor(b[rows], dtype=torch.float32)
    t2 = torch.tensor(b[cols], dtype=torch.float32)
    tb = torch.tensor(b)
    out = {}
    fns = {
        'rotaug numpy f64': lambda: out.__setitem__('rotaug', box_iou_pairs(
            b, None, 'rbox', pairs=(rows, cols))[2]),
        'rotaug torch-CPU f64': lambda: out.__setitem__(
            'torch', box_iou_pairs(tb, None, 'rbox', pairs=(
                torch.from_numpy(rows), torch.from_numpy(cols)))[2]),
        'rotaug qbox kernel f64': lambda: out.__setitem__(
            'qbox', box_iou_pairs(q, None, 'qbox', pairs=(rows, cols))[2]),
        'mmcv box_iou_rotated f32': lambda: out.__setitem__(
            'mmcv', box_iou_rotated(t1, t2, aligned=True).numpy()),
        'shapely f64 (reference)': lambda: out.__setitem__(
            'shapely', shapely_pair_ious(p1, p2)),
    }
    t = interleaved(fns, args.repeat)
    t_cand = interleaved({'c': lambda: candidate_pairs(
        _Table(b, 'rbox', 'boxes').ext)}, args.repeat)['c']
    ref = out['shapely']
    anchor = min(t['rotaug numpy f64'])
    print(f'{k} pairs whose extents overlap (of {len(b) * (len(b) - 1) // 2}'
          f' in all; found in {min(t_cand):.4f} s); '
          f'{int((ref > 0).sum())} with IoU > 0')
    print(f'{"":26s} {"min s":>8s} {"median":>8s} {"ns/pair":>8s} '
          f'{"x rotaug":>8s} {"wrong":>6s} {"max |err|":>9s}')
    tol = {'mmcv': 1e-4}
    for name, key in (('rotaug numpy f64', 'rotaug'),
                      ('rotaug torch-CPU f64', 'torch'),
                      ('rotaug qbox kernel f64', 'qbox'),
                      ('mmcv box_iou_rotated f32', 'mmcv'),
                      ('shapely f64 (reference)', 'shapely')):
        v = np.asarray(out[key], np.float64)
        err = np.abs(v - ref)
        wrong = int((err > tol.get(key, 1e-9)).sum())
        print(f'{name:26s} {fmt(t[name])} {min(t[name]) / k * 1e9:8.0f} '
              f'{min(t[name]) / anchor:8.2f} {wrong:6d} {err.max():9.1e}')

    print('\nhard pairs: one box written twice (3000 random boxes); wrong '
          'against the exact rational IoU (rotaug.geometry.iou.'
          'reference_iou): mmcv > 1e-4, shapely and rotaug > 1e-9')
    n = 3000
    a = np.c_[rng.uniform(0, 1000, (n, 2)), rng.uniform(5, 80, (n, 2)),
              rng.uniform(-1.6, 1.6, n)]
    shifted = a.copy()
    shifted[:, 0] += rng.uniform(-1e-3, 1e-3, n)
    cases = {
        '(h, w, t + 90)': np.c_[a[:, :2], a[:, 3], a[:, 2],
                                a[:, 4] + math.pi / 2],
        't + 180': np.c_[a[:, :4], a[:, 4] + math.pi],
        '0.001 px shift': shifted,
        'identical': a.copy(),
    }
    from rotaug.geometry import box_ious
    from rotaug.geometry.iou import reference_iou
    print(f'{"":16s} {"mmcv wrong":>10s} {"mmcv worst":>10s} '
          f'{"shapely wrong":>13s} {"worst":>6s} {"rotaug wrong":>12s} '
          f'{"max |err|":>9s}')
    for name, c in cases.items():
        mm = box_iou_rotated(torch.tensor(a, dtype=torch.float32),
                             torch.tensor(c, dtype=torch.float32),
                             aligned=True).numpy()
        ours = box_ious(a, c, 'rbox', aligned=True)
        pa, pc = rbox_to_poly(a), rbox_to_poly(c)
        shp = shapely_pair_ious(pa, pc)
        exact = np.array([reference_iou(x, y) for x, y in zip(pa, pc)])
        e_mm, e_sh = np.abs(mm - exact), np.abs(shp - exact)
        e_us = np.abs(ours - exact)
        print(f'{name:16s} {int((e_mm > 1e-4).sum()):10d} '
              f'{mm.min():10.4f} {int((e_sh > 1e-9).sum()):13d} '
              f'{shp.min():6.3f} {int((e_us > 1e-9).sum()):12d} '
              f'{e_us.max():9.1e}')


def bench_nms(args, rng):
    from rotaug.evaluation import batched_nms
    from rotaug.geometry import rbox_to_poly
    print('\n== 3. Patch NMS at IoU 0.1: one object seen by two patches '
          '(duplicates kept, of n objects) ==')
    n = 2000
    # objects spread out (no two within reach of each other), each
    # written once by each of two overlapping patches
    grid = np.stack(np.meshgrid(np.arange(50), np.arange(40)), -1)
    ctr = grid.reshape(-1, 2)[:n] * 100.0 + 50 + rng.uniform(-5, 5, (n, 2))
    obj = np.c_[ctr, rng.uniform(10, 60, (n, 2)),
                rng.uniform(-1.6, 1.6, n)]

    def through_patch(boxes, x, y):
        # patch coordinates in float32 (a detector's output), back in full
        b = boxes.copy()
        b[:, :2] -= (x, y)
        b = b.astype(np.float32).astype(np.float64)
        b[:, :2] += (x, y)
        return b

    swapped = np.c_[obj[:, :2], obj[:, 3], obj[:, 2], obj[:, 4] + np.pi / 2]
    cases = {
        'same form, two offsets': (through_patch(obj, 824, 0),
                                   through_patch(obj, 0, 824)),
        '(w, h, t) / (h, w, t + 90)': (through_patch(obj, 824, 0),
                                       through_patch(swapped, 0, 824)),
        't / t + 180': (through_patch(obj, 824, 0), through_patch(
            np.c_[obj[:, :4], obj[:, 4] - np.pi], 0, 824)),
    }
    scores = np.r_[rng.uniform(0.5, 1, n), rng.uniform(0.5, 1, n)]
    labels = np.zeros(2 * n, np.int64)
    print(f'{"":28s} {"mmcv rbox":>9s} {"exact rbox":>10s} '
          f'{"mmcv quad":>9s} {"exact quad":>10s}')
    for name, (b1, b2) in cases.items():
        b = np.r_[b1, b2]
        q = rbox_to_poly(b).reshape(-1, 8)
        # the second patch's polygon starts at another corner
        q[n:] = np.roll(q[n:], 2, 1)
        row = []
        for boxes in (b, q):
            for method in ('mmcv', 'exact'):
                keep = batched_nms(boxes, scores, labels, 0.1, method)
                row.append(len(keep) - n)
        print(f'{name:28s} {row[0]:9d} {row[1]:10d} {row[2]:9d} '
              f'{row[3]:10d}')


def bench_assigner(args, rng):
    import torch
    from mmrotate.models.task_modules.assigners import \
        RBboxOverlaps2D as MMRotateOverlaps

    from rotaug.models import RBboxOverlaps2D
    print('\n== 4. iou calculator (CPU, float32 tensors in and out) ==')
    ours, theirs = RBboxOverlaps2D(), MMRotateOverlaps()

    def boxes(n):
        return torch.tensor(np.c_[rng.uniform(0, 1024, (n, 2)),
                                  rng.uniform(8, 200, (n, 2)),
                                  rng.uniform(-1.6, 1.6, n)],
                            dtype=torch.float32)
    print(f'{"":30s} {"mmrotate min s":>14s} {"rotaug min s":>12s} '
          f'{"x mmrotate":>10s} {"max |diff|":>10s}')
    for n, m, aligned in ((2000, 50, False), (20000, 100, False),
                          (20000, 20000, True)):
        p, g = boxes(n), boxes(m)
        res = {}
        t = interleaved({
            'theirs': lambda: res.__setitem__('t', theirs(p, g, 'iou',
                                                          aligned)),
            'ours': lambda: res.__setitem__('o', ours(p, g, 'iou',
                                                      aligned))},
            args.repeat)
        d = float((res['t'] - res['o']).abs().max())
        name = f'{n} x {m}' + (' aligned' if aligned else '')
        print(f'{name:30s} {min(t["theirs"]):14.4f} {min(t["ours"]):12.4f} '
              f'{min(t["ours"]) / min(t["theirs"]):10.2f} {d:10.1e}')


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--repeat', type=int, default=5)
    p.add_argument('--quick', action='store_true',
                   help='fewer merge sizes (a smoke run)')
    p.add_argument('--only', nargs='+',
                   choices=['merge', 'pairs', 'nms', 'assigner'])
    args = p.parse_args(argv)
    os.environ.setdefault('CUDA_VISIBLE_DEVICES', '')
    import cv2
    import torch
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    import mmcv
    import shapely

    import rotaug  # noqa: F401
    print(f'one CPU thread; numpy {np.__version__}, torch {torch.__version__}'
          f', shapely {shapely.__version__}, mmcv {mmcv.__version__}, '
          f'{platform.processor() or platform.machine()}, '
          f'{time.strftime("%Y-%m-%d")}')
    rng = np.random.default_rng(0)
    for name, fn in (('merge', bench_merge), ('pairs', bench_pairs),
                     ('nms', bench_nms), ('assigner', bench_assigner)):
        if args.only is None or name in args.only:
            fn(args, rng)


if __name__ == '__main__':
    main()
