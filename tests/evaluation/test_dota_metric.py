"""Tests of rotaug's DOTA Task1 evaluation.

The expected values come from hand computations (in comments) and from
``ref_eval``, an independent, loop-by-loop transcription of the published
DOTA devkit algorithm (``dota_evaluation_task1.py``) written for this file.
"""
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from shapely.geometry import Polygon

from rotaug.evaluation import DOTAMetric
from rotaug.evaluation import functional as F
from rotaug.evaluation import patches as P

CLASSES = ('plane', 'ship', 'harbor')
DATA = Path(__file__).resolve().parents[2] / '..' / 'shared' / 'data' / \
    'dota_samples'


# ----------------------------------------------------------------------------
# independent reference (simple loops, shapely objects)
# ----------------------------------------------------------------------------
def ref_iou(p, q):
    P = Polygon(np.reshape(p, (4, 2)))
    Q = Polygon(np.reshape(q, (4, 2)))
    inter = P.intersection(Q).area
    union = P.area + Q.area - inter
    return inter / union if union > 0 else 0.0


def ref_voc_ap(rec, prec, use_07):
    if use_07:
        ap = 0.0
        for t in np.arange(0., 1.1, 0.1):
            ps = [p for r, p in zip(rec, prec) if r >= t]
            ap += (max(ps) if ps else 0.0) / 11.
        return ap
    mrec = [0.0] + list(rec) + [1.0]
    mpre = [0.0] + list(prec) + [0.0]
    for i in range(len(mpre) - 1, 0, -1):
        mpre[i - 1] = max(mpre[i - 1], mpre[i])
    return sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]
               for i in range(len(mrec) - 1) if mrec[i + 1] != mrec[i])


def ref_eval(images, num_classes, thr=0.5, use_07=True):
    """images: list of (dets, gts); dets: [(poly, score, label)], gts:
    [(poly, label, difficult)]. Returns (aps, recalls) per class; NaN where
    the class has no non-difficult ground truth."""
    aps, recalls = [], []
    for c in range(num_classes):
        npos = sum(1 for _, gts in images for g in gts
                   if g[1] == c and not g[2])
        dets = [(i, d[1], d[0]) for i, (ds, _) in enumerate(images) for d in ds
                if d[2] == c]
        dets = sorted(dets, key=lambda d: -d[1])  # stable
        taken = {}
        tp, fp = [], []
        for img, _, poly in dets:
            gts = [g for g in images[img][1] if g[1] == c]
            ovmax, jmax = -math.inf, -1
            for j, g in enumerate(gts):
                o = ref_iou(poly, g[0])
                if o > ovmax:
                    ovmax, jmax = o, j
            t = f = 0
            if ovmax > thr:
                if not gts[jmax][2]:
                    if not taken.get((img, jmax)):
                        t = 1
                        taken[(img, jmax)] = True
                    else:
                        f = 1
            else:
                f = 1
            tp.append(t)
            fp.append(f)
        if npos == 0:
            aps.append(math.nan)
            recalls.append(math.nan)
            continue
        ctp, cfp, rec, prec = 0, 0, [], []
        for t, f in zip(tp, fp):
            ctp, cfp = ctp + t, cfp + f
            rec.append(ctp / npos)
            prec.append(ctp / max(ctp + cfp, np.finfo(np.float64).eps))
        aps.append(ref_voc_ap(rec, prec, use_07))
        recalls.append(rec[-1] if rec else 0.0)
    return aps, recalls


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------
def rect(x1, y1, x2, y2):
    return [x1, y1, x2, y1, x2, y2, x1, y2]


def to_arrays(images):
    dets, anns = [], []
    for ds, gts in images:
        dets.append(
            dict(
                polys=np.array([d[0] for d in ds], float).reshape(-1, 8),
                scores=np.array([d[1] for d in ds], float),
                labels=np.array([d[2] for d in ds], int)))
        anns.append(
            dict(
                polys=np.array([g[0] for g in gts], float).reshape(-1, 8),
                labels=np.array([g[1] for g in gts], int),
                difficult=np.array([g[2] for g in gts], bool)))
    return dets, anns


def write_labels(folder, name, objects):
    """objects: [(poly, class_name, difficult)] in DOTA labelTxt format."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ['imagesource:GoogleEarth', 'gsd:0.5']
    for poly, cls, diff in objects:
        lines.append(' '.join(f'{v:g}' for v in poly) + f' {cls} {diff}')
    (folder / f'{name}.txt').write_text('\n'.join(lines) + '\n')


def rbox(cx, cy, w, h, t=0.0):
    return [cx, cy, w, h, t]


def sample(name,
           pred_boxes,
           scores,
           labels,
           gt_boxes=(),
           gt_labels=(),
           ign_boxes=(),
           ign_labels=(),
           dim=5):
    """A data sample dict, as ``DetDataSample.to_dict()`` gives it."""
    from mmrotate.structures.bbox import RotatedBoxes

    def boxes(b):
        return torch.tensor(b, dtype=torch.float32).reshape(-1, dim)

    return dict(
        img_id=name,
        img_path=f'/data/{name}.png',
        ori_shape=(1024, 1024),
        pred_instances=dict(
            bboxes=boxes(pred_boxes),
            scores=torch.tensor(scores, dtype=torch.float32).reshape(-1),
            labels=torch.tensor(labels, dtype=torch.int64).reshape(-1)),
        gt_instances=dict(
            bboxes=RotatedBoxes(torch.tensor(gt_boxes).reshape(-1, 5)),
            labels=torch.tensor(gt_labels, dtype=torch.int64).reshape(-1)),
        ignored_instances=dict(
            bboxes=RotatedBoxes(torch.tensor(ign_boxes).reshape(-1, 5)),
            labels=torch.tensor(ign_labels, dtype=torch.int64).reshape(-1)))


def run_metric(samples, classes=CLASSES, **kwargs):
    metric = DOTAMetric(**kwargs)
    metric.dataset_meta = dict(classes=classes)
    metric.process({}, samples)
    return metric.evaluate(len(samples))


# ----------------------------------------------------------------------------
# geometry
# ----------------------------------------------------------------------------
def test_rbox_to_poly_convention():
    # a 4x2 box at (10, 20) rotated by +90 deg clockwise (y down) becomes
    # a 2x4 upright box; its first corner, (-w/2, -h/2) in the box frame,
    # goes to (cx + h/2, cy - w/2) = (11, 18)
    poly = F.rbox_to_poly(np.array([[10, 20, 4, 2, math.pi / 2]]))
    np.testing.assert_allclose(
        poly[0], [11, 18, 11, 22, 9, 22, 9, 18], atol=1e-12)
    # +30 deg clockwise: the w-axis points to (cos, sin) in image coords
    t = math.pi / 6
    poly = F.rbox_to_poly(np.array([[0, 0, 2, 0, t]]))
    np.testing.assert_allclose(poly[0, 2:4], [math.cos(t), math.sin(t)])


def test_rbox_to_poly_matches_mmrotate():
    from mmrotate.structures.bbox import rbox2qbox

    rng = np.random.default_rng(0)
    rb = np.column_stack([
        rng.uniform(0, 500, (50, 2)),
        rng.uniform(1, 80, (50, 2)),
        rng.uniform(-math.pi / 2, math.pi / 2, 50)
    ])
    ours = F.rbox_to_poly(rb)
    theirs = rbox2qbox(torch.from_numpy(rb)).numpy()
    for p, q in zip(ours, theirs):  # same quadrilateral, any corner order
        assert ref_iou(p, q) == pytest.approx(1.0, abs=1e-9)
    assert F.rbox_to_poly(np.zeros((0, 5))).shape == (0, 8)


def test_boxes_to_poly_and_patch_to_full():
    np.testing.assert_allclose(
        F.boxes_to_poly(np.array([[1, 2, 5, 4]])), [rect(1, 2, 5, 4)])
    q = np.array([rect(1, 2, 5, 4)], float)
    np.testing.assert_allclose(F.boxes_to_poly(q), q)
    with pytest.raises(ValueError, match='4|5|8'):
        F.boxes_to_poly(np.zeros((2, 6)))
    # devkit patch of an image resized by 0.5, at (100, 50) of the resized
    # image: (p + (100, 50)) / 0.5
    full = P.patch_to_full(np.array([[10., 20, 4, 2, 0.3]]), 100, 50, 0.5)
    np.testing.assert_allclose(full, [[220, 140, 8, 4, 0.3]])
    full = P.patch_to_full(q, 100, 50, 0.5)
    np.testing.assert_allclose(full, [rect(202, 104, 210, 108)])


def test_poly_iou_matrix_hand_cases():
    a = rect(0, 0, 2, 2)
    polys1 = np.array([a, rect(1, 0, 3, 2), rect(5, 5, 6, 6)], float)
    # a rotated copy of `a` by 45 deg about its centre: IoU with `a` is
    # area(octagon) / area(union) = (8 sqrt2 - 8) / (4 + 4 - (8 sqrt2 - 8))
    c, r = 1.0, math.sqrt(2)
    diamond = [c, c - r, c + r, c, c, c + r, c - r, c]
    polys2 = np.array([a, diamond], float)
    ious = F.poly_iou_matrix(polys1, polys2)
    oct_area = 8 * math.sqrt(2) - 8
    expected = [
        [1.0, oct_area / (8 - oct_area)],
        [1 / 3, None],  # half overlap: 2 / (4 + 4 - 2)
        [0.0, 0.0]
    ]
    assert ious.shape == (3, 2)
    assert ious[0, 0] == pytest.approx(1.0)
    assert ious[0, 1] == pytest.approx(expected[0][1])
    assert ious[1, 0] == pytest.approx(1 / 3)
    assert ious[1, 1] == pytest.approx(ref_iou(polys1[1], polys2[1]))
    assert ious[2].tolist() == [0.0, 0.0]
    # a pair mask skips pairs
    mask = np.array([[False, True], [True, True], [True, True]])
    assert F.poly_iou_matrix(polys1, polys2, mask)[0, 0] == 0.0
    assert F.poly_iou_matrix(polys1, np.zeros((0, 8))).shape == (3, 0)


def test_poly_iou_matrix_random_vs_reference():
    rng = np.random.default_rng(1)
    rb1 = np.column_stack([
        rng.uniform(0, 60, (30, 2)),
        rng.uniform(2, 30, (30, 2)),
        rng.uniform(-1.6, 1.6, 30)
    ])
    rb2 = rb1 + np.column_stack([
        rng.normal(0, 4, (30, 2)),
        rng.normal(0, 2, (30, 2)),
        rng.normal(0, 0.2, 30)
    ])
    rb2[:, 2:4] = np.abs(rb2[:, 2:4]) + 1
    p1, p2 = F.rbox_to_poly(rb1), F.rbox_to_poly(rb2)
    ious = F.poly_iou_matrix(p1, p2)
    ref = np.array([[ref_iou(a, b) for b in p2] for a in p1])
    np.testing.assert_allclose(ious, ref, atol=1e-12)
    assert (ious > 0).sum() > 30  # the case does exercise overlaps


def test_self_intersecting_polygon_is_repaired():
    # corners 3 and 4 swapped: a bow tie, scored as its convex hull
    bowtie = np.array([[0, 0, 2, 0, 0, 2, 2, 2]], float)
    geoms, repaired = F.polygons_to_geoms(bowtie)
    assert repaired == 1 and geoms[0].area == pytest.approx(4.0)
    assert F.poly_iou_matrix(bowtie, np.array([rect(0, 0, 2, 2)],
                                              float))[0,
                                                      0] == pytest.approx(1.0)


def test_poly_iou_matrix_equals_the_shapely_path():
    # convex quads of both orientations (rotaug's kernel), concave and
    # self-intersecting ones (shapely, the latter as its convex hull), a
    # label mask
    rng = np.random.default_rng(7)
    rb = np.column_stack([rng.uniform(0, 80, (120, 2)),
                          rng.uniform(2, 40, (120, 2)),
                          rng.uniform(-1.6, 1.6, 120)])
    p = F.rbox_to_poly(rb)
    p[::3] = p[::3].reshape(-1, 4, 2)[:, ::-1].reshape(-1, 8)
    p[1:40:9] = p[1:40:9][:, [0, 1, 4, 5, 2, 3, 6, 7]]  # bow ties
    dart = p[5:60:11].reshape(-1, 4, 2)
    dart[:, 2] = 0.8 * dart[:, 0] + 0.2 * dart[:, 2]  # concave
    p[5:60:11] = dart.reshape(-1, 8)
    p1, p2 = p[:70], p[50:]
    mask = rng.random((70, 70)) < 0.7
    for m in (None, mask):
        ours = F.poly_iou_matrix(p1, p2, m)
        ref = F.poly_iou_matrix(p1, p2, m, method='shapely')
        assert (ref > 0).sum() > 50
        np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-9)
    r, c, v = F.poly_iou_pairs(p)
    full = F.poly_iou_matrix(p, p, method='shapely')
    np.testing.assert_allclose(v, full[r, c], rtol=0, atol=1e-9)
    assert (np.triu(full, 1)[np.triu(full, 1) > 0].size ==
            int((v > 0).sum()))
    with pytest.raises(ValueError, match='method'):
        F.poly_iou_matrix(p1, p2, method='gpu')


def _two_patch_copies(swap):
    """200 objects, each written by two patches: the second copy shifted
    through float32 patch coordinates and, with ``swap``, as (h, w,
    t + 90)."""
    rng = np.random.default_rng(3)
    grid = np.stack(np.meshgrid(np.arange(20), np.arange(10)), -1)
    obj = np.column_stack([grid.reshape(-1, 2) * 100.0 + 50,
                           rng.uniform(10, 60, (200, 2)),
                           rng.uniform(-1.6, 1.6, 200)])
    second = obj.copy()
    if swap:
        second = np.column_stack([obj[:, :2], obj[:, 3], obj[:, 2],
                                  obj[:, 4] + math.pi / 2])
    second[:, 0] = (second[:, 0] - 824).astype(np.float32) + 824.0
    boxes = np.concatenate([obj, second])
    scores = rng.uniform(0.5, 1, 400)
    return boxes, scores, np.zeros(400, np.int64)


def test_patch_nms_keeps_one_copy_of_each_object():
    for swap in (False, True):
        boxes, scores, labels = _two_patch_copies(swap)
        keep = P.batched_nms(boxes, scores, labels, 0.1)
        assert len(keep) == 200
        # the better copy of each object, best first
        best = np.where(scores[:200] >= scores[200:], np.arange(200),
                        np.arange(200, 400))
        assert sorted(keep.tolist()) == sorted(best.tolist())
        assert (np.diff(scores[keep]) <= 0).all()
        polys = F.boxes_to_poly(boxes)
        polys[200:] = np.roll(polys[200:], 2, 1)  # another first corner
        keep_q = P.batched_nms(polys, scores, labels, 0.1)
        assert sorted(keep_q.tolist()) == sorted(best.tolist())
    # the previous float32 NMS stays available (it can keep duplicates of
    # the swapped writing: docs/benchmarks.md): every object at least once
    boxes, scores, labels = _two_patch_copies(True)
    keep = P.batched_nms(boxes, scores, labels, 0.1, 'mmcv')
    assert len(np.unique(keep)) == len(keep)
    assert set(range(200)) == set((keep % 200).tolist())
    with pytest.raises(ValueError, match='method'):
        P.batched_nms(boxes, scores, labels, 0.1, 'fast')


# ----------------------------------------------------------------------------
# matching and AP
# ----------------------------------------------------------------------------
def test_average_precision_hand_computed():
    # 2 GTs, 3 dets by descending score: TP, FP, TP
    # recall 0.5 0.5 1, precision 1 0.5 2/3
    rec, prec = np.array([.5, .5, 1.]), np.array([1., .5, 2 / 3])
    # 11 points: t = 0..0.5 (6 points) -> 1; t = 0.6..1 (5 points) -> 2/3
    assert F.average_precision(rec, prec, True) == pytest.approx(28 / 33)
    # area: 0.5 * 1 + 0.5 * 2/3
    assert F.average_precision(rec, prec, False) == pytest.approx(5 / 6)
    assert F.average_precision(np.zeros(0), np.zeros(0), True) == 0.0


def test_07_metric_keeps_devkit_recall_points():
    # 10 GTs, 3 TPs: recall 0.1 0.2 0.3. The devkit's 4th point is
    # 0.30000000000000004 > 0.3, so only t = 0, 0.1, 0.2 count: AP = 3/11
    rec, prec = np.array([.1, .2, .3]), np.ones(3)
    assert rec[2] == 3 / 10
    assert F.average_precision(rec, prec, True) == pytest.approx(3 / 11)
    assert ref_voc_ap(rec, prec, True) == pytest.approx(3 / 11)


def test_match_detections_devkit_rules():
    # dets sorted by score; columns: GT A (normal), B (difficult), C (normal)
    ious = np.array([
        [0.9, 0.0, 0.0],  # A: TP
        [0.7, 0.6, 0.0],  # best is A, already taken: FP (no fall back to B)
        [0.1, 0.8, 0.0],  # difficult B: ignored
        [0.0, 0.0, 0.5],  # exactly the threshold: not a hit (strict >): FP
        [0.0, 0.0, 0.0],  # nothing: FP
        [0.0, 0.4, 0.6],  # C: TP
    ])
    tp, fp = F.match_detections(ious, np.array([False, True, False]), 0.5)
    assert tp.tolist() == [True, False, False, False, False, True]
    assert fp.tolist() == [False, True, False, True, True, False]
    tp, fp = F.match_detections(np.zeros((2, 0)), np.zeros(0, bool), 0.5)
    assert not tp.any() and fp.all()


def test_eval_hand_case_duplicate_difficult_and_empty_classes():
    A, B, D = rect(0, 0, 10, 10), rect(20, 0, 30, 10), rect(40, 0, 50, 10)
    images = [(
        [
            (A, 0.9, 0),  # TP on A
            (rect(0, 0, 10, 9), 0.8, 0),  # duplicate of A: FP
            (rect(20, 0, 30, 9.5), 0.7, 0),  # TP on B
            (D, 0.95, 0),  # on a difficult GT: ignored
        ],
        [(A, 0, False), (B, 0, False), (D, 0, True),
         (rect(0, 50, 10, 60), 1, False)],  # class 1: a GT, no detection
    )]
    dets, anns = to_arrays(images)
    res = F.eval_dota_map(dets, anns, 3, [0.5], use_07_metric=True)
    # class 0: as in test_average_precision_hand_computed
    assert res[0]['ap'][0] == pytest.approx(28 / 33)
    assert res[0]['recall'][0] == pytest.approx(1.0)
    assert (res[0]['num_gts'], res[0]['num_difficult'],
            res[0]['num_dets']) == (2, 1, 4)
    # class 1: no detection -> AP 0; class 2: nothing at all -> NaN
    assert res[1]['ap'][0] == 0.0 and res[1]['recall'][0] == 0.0
    assert np.isnan(res[2]['ap'][0])
    assert F.mean_ap(res)[0] == pytest.approx((28 / 33 + 0) / 2)
    # the devkit's script averages over every class, with AP 0 where no GT
    assert F.mean_ap(res, ignore_empty_classes=False)[0] == \
        pytest.approx((28 / 33) / 3)
    area = F.eval_dota_map(dets, anns, 3, 0.5, use_07_metric=False)
    assert area[0]['ap'][0] == pytest.approx(5 / 6)
    ref_aps, _ = ref_eval(images, 3)
    assert res[0]['ap'][0] == pytest.approx(ref_aps[0])


def random_images(seed, num_images=4, num_classes=3):
    rng = np.random.default_rng(seed)
    images = []
    for _ in range(num_images):
        n = rng.integers(0, 12)
        rb = np.column_stack([
            rng.uniform(0, 300, (n, 2)),
            rng.uniform(8, 40, (n, 2)),
            rng.uniform(-1.5, 1.5, n)
        ])
        polys = F.rbox_to_poly(rb)
        labels = rng.integers(0, num_classes, n)
        diff = rng.random(n) < 0.2
        gts = [(p, int(c), bool(d)) for p, c, d in zip(polys, labels, diff)]
        dets = []
        for r, c in zip(rb, labels):
            for _ in range(rng.integers(0, 3)):  # misses and duplicates
                j = r + np.concatenate([
                    rng.normal(0, 3, 2),
                    rng.normal(0, 3, 2),
                    rng.normal(0, 0.15, 1)
                ])
                j[2:4] = np.abs(j[2:4]) + 1
                label = c if rng.random() < 0.9 else rng.integers(
                    0, num_classes)
                dets.append(
                    (F.rbox_to_poly(j[None])[0], round(float(rng.random()),
                                                       2), int(label)))
        for _ in range(rng.integers(0, 5)):  # background false positives
            j = np.concatenate(
                [rng.uniform(0, 300, 2),
                 rng.uniform(8, 40, 2), [0.3]])
            dets.append(
                (F.rbox_to_poly(j[None])[0], round(float(rng.random()), 2),
                 int(rng.integers(0, num_classes))))
        images.append((dets, gts))
    return images


@pytest.mark.parametrize('seed', [0, 1, 2, 3])
@pytest.mark.parametrize('use_07', [True, False])
def test_eval_random_vs_reference(seed, use_07):
    images = random_images(seed)
    dets, anns = to_arrays(images)
    res = F.eval_dota_map(dets, anns, 3, [0.5, 0.75], use_07)
    for k, thr in enumerate([0.5, 0.75]):
        ref_aps, ref_recalls = ref_eval(images, 3, thr, use_07)
        np.testing.assert_allclose([r['ap'][k] for r in res],
                                   ref_aps,
                                   atol=1e-12)
        np.testing.assert_allclose([r['recall'][k] for r in res],
                                   ref_recalls,
                                   atol=1e-12)


@pytest.mark.parametrize('use_07', [True, False])
def test_match_once_then_accumulate_any_resample_of_images(use_07):
    images = random_images(7, num_images=6)
    dets, anns = to_arrays(images)
    thrs = [0.5, 0.75]
    matched = F.match_images(dets, anns, 3, thrs)
    whole = F.eval_dota_map(dets, anns, 3, thrs, use_07)
    again = F.accumulate_map(matched, 3, thrs, use_07)
    for a, b in zip(whole, again):
        np.testing.assert_array_equal(a['ap'], b['ap'])
    # a resample with repeats scores as those images listed again; ties
    # between copies cannot change an AP (same scores, same flags)
    pick = [4, 0, 0, 2, 5, 5, 5]
    ref = F.eval_dota_map([dets[i] for i in pick], [anns[i] for i in pick],
                          3, thrs, use_07)
    got = F.accumulate_map(matched, 3, thrs, use_07, images=pick)
    assert [r['num_gts'] for r in got] == [r['num_gts'] for r in ref]
    for a, b in zip(ref, got):
        np.testing.assert_allclose(a['ap'], b['ap'], atol=1e-12)
        np.testing.assert_allclose(a['recall'], b['recall'], atol=1e-12)
    assert any(not np.allclose(a['ap'], b['ap'], equal_nan=True)
               for a, b in zip(ref, whole))
    # no detection anywhere: still one value per threshold
    empty = [dict(d, polys=d['polys'][:0], scores=d['scores'][:0],
                  labels=d['labels'][:0]) for d in dets]
    res = F.accumulate_map(F.match_images(empty, anns, 3, thrs), 3, thrs)
    assert all(r['ap'].shape == (2, ) for r in res)
    with pytest.raises(ValueError, match='2 IoU thresholds, not 1'):
        F.accumulate_map(matched, 3, 0.5)
    with pytest.raises(ValueError, match='image #1'):
        F.match_images(dets[:2], [anns[0], dict(anns[1], labels=[9])], 3)


def test_metric_scoring_inputs_are_what_it_scores():
    g1, g2 = rbox(100, 100, 40, 20, 0.3), rbox(300, 300, 30, 30, 0)
    samples = [
        sample('a', [g1, rbox(500, 500, 10, 10), g2], [0.9, 0.8, 0.7],
               [1, 1, 1], gt_boxes=[g1, g2], gt_labels=[1, 1],
               ign_boxes=[rbox(700, 700, 20, 20)], ign_labels=[1]),
        sample('c', [rbox(10, 10, 5, 5)], [0.6], [0]),
    ]
    metric = DOTAMetric(iou_thrs=[0.5, 0.75], use_07_metric=False)
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, samples)
    names, dets, gts = metric.scoring_inputs(metric.results)
    assert names == ['a', 'c'] and gts[0]['difficult'].tolist() == \
        [False, False, True]
    maps = F.mean_ap(F.eval_dota_map(dets, gts, len(CLASSES), [0.5, 0.75],
                                     False))
    scored = metric.evaluate(2)
    assert scored['dota/AP50'] == pytest.approx(maps[0])
    assert scored['dota/AP75'] == pytest.approx(maps[1])


# ----------------------------------------------------------------------------
# patch names and merging
# ----------------------------------------------------------------------------
def test_parse_patch_name():
    Info = P.PatchInfo
    assert P.parse_patch_name('P0001__1024__0___0') == Info('P0001', 0, 0, 1.0)
    assert P.parse_patch_name('P0001__1__824___0') == Info('P0001', 824, 0, 1.)
    assert P.parse_patch_name('P0001__0.5__412___200') == \
        Info('P0001', 412, 200, 0.5)
    assert P.parse_patch_name('P0001__1.0__4___2').rate == 1.0
    assert P.parse_patch_name('a__b__2048__5___7') == Info('a__b', 5, 7, 1.0)
    assert P.parse_patch_name('P1__2__0___0', naming='size').rate == 1.0
    assert P.parse_patch_name('P1__800__0___0', naming='rate').rate == 800.
    for bad in ['P0001', 'P0001__1024__0__0', 'P0001__x__0___0']:
        with pytest.raises(ValueError, match=bad):
            P.parse_patch_name(bad)


def test_merge_detections_shifts_and_nms():
    patches = [
        dict(
            boxes=np.array([[700., 100, 40, 20, 0.2], [10, 10, 8, 8, 0]]),
            scores=np.array([0.9, 0.5]),
            labels=np.array([0, 1]),
            patch=P.PatchInfo('P', 0, 0, 1.0)),
        # the same object seen from a patch at x = 476: it is at 700 - 476
        dict(
            boxes=np.array([[224.5, 100, 40, 20, 0.2]]),
            scores=np.array([0.8]),
            labels=np.array([0]),
            patch=P.PatchInfo('P', 476, 0, 1.0)),
        dict(
            boxes=np.zeros((0, 5)),
            scores=np.zeros(0),
            labels=np.zeros(0, int),
            patch=P.PatchInfo('P', 0, 476, 1.0)),
    ]
    merged = P.merge_detections(patches, 0.1)
    order = np.argsort(-merged['scores'])
    np.testing.assert_allclose(merged['scores'][order], [0.9, 0.5])
    np.testing.assert_allclose(merged['boxes'][order][0],
                               [700, 100, 40, 20, 0.2])
    # another class is not suppressed by the same box
    patches[1]['labels'] = np.array([1])
    assert len(P.merge_detections(patches, 0.1)['scores']) == 3
    # quadrilateral predictions: the exact NMS on polygons
    q = [dict(p, boxes=F.boxes_to_poly(p['boxes'])) for p in patches[:2]]
    q[1]['labels'] = np.array([0])
    merged = P.merge_detections(q, 0.1)
    assert merged['boxes'].shape == (2, 8)


def test_merge_patch_gts_dedupes_copies():
    obj = F.rbox_to_poly(np.array([[700., 100, 40, 20, 0.2]]))[0]
    mk = P.PatchInfo
    patches = [
        dict(
            polys=np.array([obj, rect(5, 5, 9, 9)]),
            labels=[0, 0],
            difficult=[True, False],
            patch=mk('P', 0, 0, 1.0)),
        dict(
            polys=np.array([obj - np.tile([476, 0], 4)]),
            labels=[0],
            difficult=[False],
            patch=mk('P', 476, 0, 1.0)),
    ]
    gt = P.merge_patch_gts(patches)
    assert len(gt['polys']) == 2
    np.testing.assert_allclose(gt['polys'][0], obj, atol=1e-9)
    # not difficult as one copy is not
    assert gt['difficult'].tolist() == [False, False]


# ----------------------------------------------------------------------------
# the metric
# ----------------------------------------------------------------------------
def test_registered():
    from rotaug.registry import METRICS

    metric = METRICS.build(dict(type='rotaug.DOTAMetric'))
    assert isinstance(metric, DOTAMetric)
    assert 'DOTAMetric(' in repr(metric)


def test_metric_on_data_samples_with_empty_predictions_and_gts():
    g1, g2 = rbox(100, 100, 40, 20, 0.3), rbox(300, 300, 30, 30, 0)
    samples = [
        # ship: TP, then a FP of higher score than the second TP
        sample(
            'a', [g1, rbox(500, 500, 10, 10), g2], [0.9, 0.8, 0.7], [1, 1, 1],
            gt_boxes=[g1, g2],
            gt_labels=[1, 1],
            ign_boxes=[rbox(700, 700, 20, 20)],
            ign_labels=[1]),
        sample('b', [], [], []),  # no prediction, no GT
        sample('c', [rbox(10, 10, 5, 5)], [0.6], [0]),  # no GT: plane FP
    ]
    metrics = run_metric(samples, classwise=True)
    # ship: recall .5 .5 1, precision 1 .5 2/3 -> 28/33 (see above); plane
    # and harbor have no GT and are left out of the mean
    assert metrics['dota/mAP'] == pytest.approx(28 / 33)
    assert metrics['dota/AP50'] == pytest.approx(28 / 33)
    assert metrics['dota/AP_ship'] == pytest.approx(28 / 33)
    assert math.isnan(metrics['dota/AP_plane'])
    metrics = run_metric(samples, use_07_metric=False, iou_thrs=[0.5, 0.75])
    assert metrics['dota/AP50'] == pytest.approx(5 / 6)
    assert metrics['dota/AP75'] == pytest.approx(5 / 6)
    metrics = run_metric(samples, ignore_empty_classes=False)
    assert metrics['dota/mAP'] == pytest.approx(28 / 33 / 3)


def test_metric_accepts_qboxes_and_data_elements():
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData

    ds = DetDataSample(metainfo=dict(img_id='q', img_path='q.png'))
    ds.pred_instances = InstanceData(
        bboxes=torch.tensor([rect(0, 0, 10, 10)], dtype=torch.float32),
        scores=torch.tensor([0.5]),
        labels=torch.tensor([2]))
    ds.gt_instances = InstanceData(
        bboxes=torch.tensor([[5., 5, 10, 10, 0]]), labels=torch.tensor([2]))
    ds.ignored_instances = InstanceData()
    metric = DOTAMetric()
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, [ds])  # a data element, not its dict
    metric.process({}, [dict(ds.to_dict(), img_id='q2')])
    assert metric.evaluate(2)['dota/mAP'] == pytest.approx(1.0)


def make_split_case(tmp_path, rate_naming=False):
    """A 1500 x 1000 image cut into two 1024 patches at x = 0 and x = 476.

    Object S (ship) lies in the overlap and is found in both patches; P
    (plane) only in the first, H (harbor, difficult) only in the second.
    """
    S = rbox(700, 100, 40, 20, 0.2)
    P = rbox(200, 500, 60, 50, -0.4)
    H = rbox(1300, 700, 80, 30, 1.0)
    gt_dir = tmp_path / 'labelTxt'
    write_labels(gt_dir, 'P0001', [
        (F.rbox_to_poly(np.array([S]))[0], 'ship', 0),
        (F.rbox_to_poly(np.array([P]))[0], 'plane', 0),
        (F.rbox_to_poly(np.array([H]))[0], 'harbor', 1),
    ])

    def shift(b, x):
        return [b[0] - x, b[1], b[2], b[3], b[4]]

    n1, n2 = ('P0001__1__0___0', 'P0001__1__476___0') if rate_naming else \
        ('P0001__1024__0___0', 'P0001__1024__476___0')
    samples = [
        sample(
            n1, [S, rbox(S[0] + 1, S[1], 40, 20, 0.2), P], [0.9, 0.3, 0.8],
            [1, 1, 0],
            gt_boxes=[S, P],
            gt_labels=[1, 0]),
        sample(
            n2, [shift(S, 476), shift(H, 476)], [0.85, 0.7], [1, 2],
            gt_boxes=[shift(S, 476)],
            gt_labels=[1],
            ign_boxes=[shift(H, 476)],
            ign_labels=[2]),
    ]
    return samples, gt_dir


def parser_available():
    try:
        from rotaug.datasets.dota_io import parse_dota_label_file  # noqa
    except ImportError:
        return False
    return True


needs_parser = pytest.mark.skipif(
    not parser_available(), reason='rotaug.datasets.dota_io not available')


@needs_parser
@pytest.mark.parametrize('rate_naming', [False, True])
def test_merge_patches_counts_overlap_objects_once(tmp_path, rate_naming):
    samples, gt_dir = make_split_case(tmp_path, rate_naming)
    metrics = run_metric(
        samples, merge_patches=True, gt_dir=str(gt_dir), classwise=True)
    # full image: ship 1 GT, 1 det after NMS -> AP 1; plane AP 1;
    # harbor is difficult only: no positive, its detection is ignored
    assert metrics['dota/AP_ship'] == pytest.approx(1.0)
    assert metrics['dota/AP_plane'] == pytest.approx(1.0)
    assert math.isnan(metrics['dota/AP_harbor'])
    assert metrics['dota/mAP'] == pytest.approx(1.0)


def test_merge_patches_without_gt_dir_falls_back_to_patch_gts(tmp_path):
    samples, _ = make_split_case(tmp_path)
    metrics = run_metric(samples, merge_patches=True, classwise=True)
    assert metrics['dota/AP_ship'] == pytest.approx(1.0)
    assert metrics['dota/mAP'] == pytest.approx(1.0)


def test_merge_patches_changes_the_number(tmp_path):
    samples, _ = make_split_case(tmp_path)
    # drop the ship detection of the second patch: per patch the second
    # copy of the ship is a missed GT, on the merged image it is found
    samples[1]['pred_instances'] = dict(
        bboxes=samples[1]['pred_instances']['bboxes'][1:],
        scores=samples[1]['pred_instances']['scores'][1:],
        labels=samples[1]['pred_instances']['labels'][1:])
    merged = run_metric(samples, merge_patches=True, classwise=True)
    per_patch = run_metric(samples, classwise=True)
    assert merged['dota/AP_ship'] == pytest.approx(1.0)
    # per patch: 2 GTs, dets 0.9 TP, 0.3 FP -> recall .5: 6 points of 1
    assert per_patch['dota/AP_ship'] == pytest.approx(6 / 11)


@needs_parser
def test_format_only_writes_task1_files(tmp_path):
    samples, gt_dir = make_split_case(tmp_path)
    out = tmp_path / 'submission'
    metrics = run_metric(
        samples, merge_patches=True, format_only=True, outfile_prefix=str(out))
    assert metrics == {}
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted([f'Task1_{c}.txt'
                            for c in CLASSES] + ['submission.zip'])
    ship = (out / 'Task1_ship.txt').read_text().splitlines()
    assert len(ship) == 1  # the overlap duplicates are merged
    fields = ship[0].split(' ')
    assert fields[0] == 'P0001' and float(fields[1]) == pytest.approx(0.9)
    poly = np.array(fields[2:], float)
    expected = F.rbox_to_poly(np.array([[700., 100, 40, 20, 0.2]]))[0]
    np.testing.assert_allclose(poly, expected, atol=0.006)

    # the files, scored as the devkit does from files, give the metric's mAP
    gt_lines = (gt_dir / 'P0001.txt').read_text().splitlines()[2:]
    gts = []
    for line in gt_lines:
        f = line.split()
        gts.append((np.array(f[:8], float), CLASSES.index(f[8]), f[9] != '0'))
    dets = []
    for c, cls in enumerate(CLASSES):
        for line in (out / f'Task1_{cls}.txt').read_text().splitlines():
            f = line.split(' ')
            dets.append((np.array(f[2:], float), float(f[1]), c))
    ref_aps, _ = ref_eval([(dets, gts)], 3)
    metrics = run_metric(samples, merge_patches=True, gt_dir=str(gt_dir))
    assert metrics['dota/mAP'] == pytest.approx(np.nanmean(ref_aps))


@needs_parser
def test_task1_files_round_trip_on_random_images(tmp_path):
    """Score the written Task1 files with the reference, as the devkit
    scores a submission: same per-class APs as the metric in memory."""
    images = random_images(7, num_images=5)
    samples = []
    for i, (dets, gts) in enumerate(images):
        name = f'P{i:04d}'
        write_labels(tmp_path / 'labelTxt', name,
                     [(p, CLASSES[c], int(d)) for p, c, d in gts])
        samples.append(
            dict(
                img_id=name,
                pred_instances=dict(
                    bboxes=torch.tensor(
                        np.array([d[0] for d in dets]),
                        dtype=torch.float64).reshape(-1, 8),
                    scores=torch.tensor([d[1] for d in dets]),
                    labels=torch.tensor([d[2] for d in dets],
                                        dtype=torch.int64))))
    out = tmp_path / 'results'
    metrics = run_metric(
        samples,
        gt_dir=str(tmp_path / 'labelTxt'),
        outfile_prefix=str(out),
        classwise=True)
    # the devkit way: detections from the Task1 files, GT from labelTxt
    file_images = {f'P{i:04d}': ([], []) for i in range(len(images))}
    for name, (_, gts) in file_images.items():
        for line in (tmp_path / 'labelTxt' /
                     f'{name}.txt').read_text().splitlines()[2:]:
            f = line.split()
            gts.append((np.array(f[:8], float), CLASSES.index(f[8]), f[9]
                        != '0'))
    for c, cls in enumerate(CLASSES):
        for line in (out / f'Task1_{cls}.txt').read_text().splitlines():
            f = line.split(' ')
            file_images[f[0]][0].append((np.array(f[2:],
                                                  float), float(f[1]), c))
    ref_aps, _ = ref_eval(list(file_images.values()), 3)
    np.testing.assert_allclose([metrics[f'dota/AP_{c}'] for c in CLASSES],
                               ref_aps,
                               atol=1e-6)
    assert 0 < metrics['dota/mAP'] < 1
    assert metrics['dota/mAP'] == pytest.approx(np.nanmean(ref_aps))


def test_format_only_needs_a_prefix():
    with pytest.raises(ValueError, match='outfile_prefix'):
        DOTAMetric(format_only=True)
    with pytest.raises(ValueError, match='iou_thrs'):
        DOTAMetric(iou_thrs=[1.5])


def test_bad_patch_name_and_missing_gt_file_are_reported(tmp_path):
    with pytest.raises(ValueError, match='image img7: detection label 5'):
        run_metric([sample('img7', [rbox(5, 5, 2, 2)], [0.5], [5])])
    with pytest.raises(ValueError, match='image img8: polygon 0 has non-'):
        run_metric([
            sample(
                'img8', [rbox(5, 5, float('nan'), 2)], [0.5], [0],
                gt_boxes=[rbox(50, 50, 2, 2)],
                gt_labels=[0])
        ])
    with pytest.raises(ValueError, match='not_a_patch'):
        run_metric([sample('not_a_patch', [], [], [])], merge_patches=True)
    if parser_available():
        with pytest.raises(FileNotFoundError, match='P0001.txt'):
            run_metric([sample('P0001', [], [], [])], gt_dir=str(tmp_path))


# ----------------------------------------------------------------------------
# against MMRotate's DOTAMetric
# ----------------------------------------------------------------------------
class _SerialContext:
    """Stands in for multiprocessing's spawn context (fast, in process)."""

    class Pool:

        def __init__(self, *args):
            pass

        def starmap(self, fn, args):
            return [fn(*a) for a in args]

        def close(self):
            pass


@needs_parser
def test_differs_from_mmrotate_on_difficult_objects(tmp_path, monkeypatch):
    """MMRotate's DOTADataset (``diff_thr=100``) gives difficult objects to
    ``gt_instances``, so its metric counts them as positives; the official
    evaluation reads the difficult flag and ignores them."""
    import mmrotate.evaluation.functional.mean_ap as mr_mean_ap
    from mmrotate.evaluation import DOTAMetric as MMRotateDOTAMetric

    monkeypatch.setattr(mr_mean_ap, 'get_context', lambda *_: _SerialContext)
    A, D = rbox(100, 100, 40, 20, 0.3), rbox(300, 300, 40, 20, 0)
    write_labels(tmp_path, 'P0002', [
        (F.rbox_to_poly(np.array([A]))[0], 'ship', 0),
        (F.rbox_to_poly(np.array([D]))[0], 'ship', 1),
    ])
    # as MMRotate's pipeline packs it: D is an ordinary GT
    samples = [
        sample('P0002', [A], [0.9], [1], gt_boxes=[A, D], gt_labels=[1, 1])
    ]
    theirs = MMRotateDOTAMetric()
    theirs.dataset_meta = dict(classes=CLASSES)
    theirs.process({}, samples)
    # recall 1/2 at precision 1: 6 of the 11 points
    assert theirs.evaluate(1)['dota/mAP'] == pytest.approx(6 / 11, abs=1e-3)
    # official: D is difficult, not a positive -> recall 1, AP 1
    ours = run_metric(samples, gt_dir=str(tmp_path))
    assert ours['dota/mAP'] == pytest.approx(1.0)


def test_differs_from_mmrotate_at_the_iou_threshold(monkeypatch):
    """The devkit needs IoU > 0.5; MMRotate accepts IoU >= 0.5."""
    import mmrotate.evaluation.functional.mean_ap as mr_mean_ap
    from mmrotate.evaluation import DOTAMetric as MMRotateDOTAMetric

    monkeypatch.setattr(mr_mean_ap, 'get_context', lambda *_: _SerialContext)
    gt = rbox(100, 100, 40, 20, 0)
    det = rbox(100, 95, 40, 10, 0)  # inside the GT, half its area: IoU 0.5
    samples = [sample('x', [det], [0.9], [0], gt_boxes=[gt], gt_labels=[0])]
    theirs = MMRotateDOTAMetric()
    theirs.dataset_meta = dict(classes=CLASSES)
    theirs.process({}, samples)
    assert theirs.evaluate(1)['dota/mAP'] == pytest.approx(1.0)
    assert run_metric(samples)['dota/mAP'] == 0.0


# ----------------------------------------------------------------------------
# real DOTA labels
# ----------------------------------------------------------------------------
@needs_parser
def test_real_labels_as_perfect_detections():
    label = DATA / 'labelTxt' / 'P1888.txt'
    if not label.is_file():
        pytest.skip(f'DOTA sample {label} not found')
    from rotaug.datasets.dota_io import parse_dota_label_file

    classes = ('plane', 'baseball-diamond', 'bridge', 'ground-track-field',
               'small-vehicle', 'large-vehicle', 'ship', 'tennis-court',
               'basketball-court', 'storage-tank', 'soccer-ball-field',
               'roundabout', 'harbor', 'swimming-pool', 'helicopter')
    objects, _ = parse_dota_label_file(str(label), classes, strict=False)
    polys = torch.tensor(np.array([o['poly'] for o in objects]))
    labels = torch.tensor([o['label'] for o in objects])
    s = dict(
        img_id='P1888',
        pred_instances=dict(
            bboxes=polys,
            scores=torch.linspace(1, 0.1, len(objects)),
            labels=labels))
    metrics = run_metric([s], classes=classes, gt_dir=str(label.parent))
    assert metrics['dota/mAP'] == pytest.approx(1.0)
    # dropping every second detection halves the recall of each class
    half = dict(
        s, pred_instances={
            k: v[::2]
            for k, v in s['pred_instances'].items()
        })
    assert run_metric([half], classes=classes,
                      gt_dir=str(label.parent))['dota/mAP'] < 1.0
