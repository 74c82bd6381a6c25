"""rotaug.RotatedTTAModel: an oracle detector through the real TestTimeAug
pipeline gives back the original ground truths; fusion at the angle wrap
and across box representations; empty views; missing metainfo."""
import math

import numpy as np
import pytest
import shapely
import torch
import torch.nn as nn
from mmcv.transforms import TestTimeAug as TimeAug
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes, scale_boxes
from mmengine.dataset import pseudo_collate
from mmengine.structures import InstanceData
from mmrotate.structures.bbox import QuadriBoxes, RotatedBoxes

from rotaug.models import RotatedTTAModel
from rotaug.geometry import map_boxes
from rotaug.models.tta_geometry import undo_rescale
from rotaug.geometry import rbox_to_poly
from rotaug.models.tta_merge import (Clusters, cluster_scores, cluster_views,
                                     cluster_views_dense, exact_ious)

META = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
        'homography_matrix')
BOX_CLASSES = dict(hbox=HorizontalBoxes, rbox=RotatedBoxes, qbox=QuadriBoxes)


class OracleDetector(nn.Module):
    """Predicts, in each view, exactly that view's ground truths, divided by
    the view's ``scale_factor`` as ``rescale=True`` does (mmdet's
    ``scale_boxes`` on the box structure). ``blind`` views find nothing."""

    def __init__(self, blind=()):
        super().__init__()
        self.blind = set(blind)
        self.calls = 0

    def test_step(self, data):
        out = []
        for sample in data['data_samples']:
            gt = sample.gt_instances
            boxes = gt.bboxes.clone()
            sf = sample.metainfo['scale_factor']
            boxes = scale_boxes(boxes, [1 / sf[0], 1 / sf[1]])
            keep = slice(0, 0) if self.calls in self.blind else slice(None)
            pred = InstanceData(bboxes=boxes[keep],
                                scores=torch.ones(len(gt))[keep],
                                labels=gt.labels[keep])
            res = DetDataSample(metainfo=sample.metainfo)
            res.pred_instances = pred
            out.append(res)
        self.calls += 1
        return out


def _scene(box_type, w=200, h=160):
    """Separated objects wholly inside a w x h image, and their polygons."""
    rb = np.array([[50, 40, 40, 14, 0.3], [140, 50, 30, 12, -1.1],
                   [60, 115, 24, 24, 0.0], [150, 120, 36, 10, 1.5]])
    rb[:, 0] *= w / 200
    rb[:, 1] *= h / 160
    c, s = np.cos(rb[:, 4:5]), np.sin(rb[:, 4:5])
    a = np.array([-1, 1, 1, -1]) * rb[:, 2:3] / 2
    b = np.array([-1, -1, 1, 1]) * rb[:, 3:4] / 2
    poly = np.stack([rb[:, :1] + a * c - b * s, rb[:, 1:2] + a * s + b * c],
                    -1)
    if box_type == 'rbox':
        boxes = rb
    elif box_type == 'qbox':
        boxes = poly.reshape(-1, 8)
    else:
        boxes = np.c_[poly.min(1), poly.max(1)]
        poly = np.stack([boxes[:, [0, 2, 2, 0]], boxes[:, [1, 1, 3, 3]]], -1)
    return boxes.astype(np.float32), poly


def _results(box_type, w=200, h=160):
    boxes, poly = _scene(box_type, w, h)
    rng = np.random.default_rng(0)
    res = dict(img=rng.integers(0, 255, (h, w, 3), dtype=np.uint8),
               img_shape=(h, w), ori_shape=(h, w), img_id='scene',
               img_path='scene.png', scale_factor=(1.0, 1.0),
               gt_bboxes=BOX_CLASSES[box_type](boxes),
               gt_bboxes_labels=np.arange(len(boxes), dtype=np.int64),
               gt_ignore_flags=np.zeros(len(boxes), bool))
    return res, poly


def _polys(boxes, box_type):
    b = boxes.tensor if hasattr(boxes, 'tensor') else boxes
    b = b.double()
    if box_type == 'rbox':
        return RotatedBoxes(b).convert_to('qbox').tensor.numpy().reshape(
            -1, 4, 2)
    if box_type == 'qbox':
        return b.numpy().reshape(-1, 4, 2)
    b = b.numpy()
    return np.stack([b[:, [0, 2, 2, 0]], b[:, [1, 1, 3, 3]]], -1)


def _iou(p, q):
    a, b = shapely.Polygon(p), shapely.Polygon(q)
    return a.intersection(b).area / a.union(b).area


def run_tta(box_type, views, w=200, h=160, blind=(), tta_cfg=None,
            meta=META, pre=(), post=()):
    res, poly = _results(box_type, w, h)
    pipe = TimeAug(transforms=[
        *([t] for t in pre), views, *([t] for t in post),
        [dict(type='mmdet.PackDetInputs', meta_keys=meta)]
    ])
    data = pseudo_collate([pipe(res)])
    model = RotatedTTAModel(OracleDetector(blind), tta_cfg=tta_cfg)
    merged = model.test_step(data)
    assert len(merged) == 1
    return merged[0].pred_instances, poly


def _assert_recovers(pred, poly, box_type, thr=0.999):
    got = _polys(pred.bboxes, box_type)
    labels = pred.labels.numpy()
    assert sorted(labels.tolist()) == list(range(len(poly)))
    for k, p in enumerate(poly):
        (j, ) = np.flatnonzero(labels == k)
        assert _iou(got[j], p) >= thr, (k, got[j], p)


def rot(a, expand=True):
    return dict(type='rotaug.Rotate', rotate_angle=a, expand=expand)


QUARTERS = [rot(a) for a in (0, 90, 180, 270)]


@pytest.mark.parametrize('box_type', ['rbox', 'qbox'])
@pytest.mark.parametrize('merge', ['wbf', 'nms'])
def test_oracle_quarter_turns(box_type, merge):
    pred, poly = run_tta(box_type, QUARTERS, tta_cfg=dict(merge=merge))
    _assert_recovers(pred, poly, box_type)
    assert torch.allclose(pred.scores, torch.ones(4, dtype=pred.scores.dtype))


@pytest.mark.parametrize('box_type', ['rbox', 'qbox'])
def test_oracle_any_angle_with_expand(box_type):
    pred, poly = run_tta(box_type, [rot(0), rot(30), rot(135), rot(-63.5)])
    _assert_recovers(pred, poly, box_type)


@pytest.mark.parametrize('box_type', ['rbox', 'qbox'])
def test_oracle_flips(box_type):
    flips = [dict(type='mmdet.RandomFlip', prob=1.0, direction=d)
             for d in ('horizontal', 'vertical', 'diagonal')]
    pred, poly = run_tta(box_type, flips + [rot(0)], post=[rot(30)])
    _assert_recovers(pred, poly, box_type)
    # a flip before a turn and after it: one way back each
    pred, poly = run_tta(box_type, [rot(90), rot(210)], pre=[flips[0]],
                         post=[flips[1]])
    _assert_recovers(pred, poly, box_type)


@pytest.mark.parametrize('box_type', ['rbox', 'qbox'])
def test_oracle_resize_before_and_after_the_turn(box_type):
    # square: every scale factor is uniform (mmdet's Resize of rotated
    # ground truths is itself approximate under unequal factors); MMRotate's
    # boxes cannot clip, so Resize is not asked to
    pre = [dict(type='mmdet.Resize', scale=(240, 240), keep_ratio=True,
                clip_object_border=False)]
    post = [dict(type='mmdet.Resize', scale=(164, 164), keep_ratio=True,
                clip_object_border=False)]
    pred, poly = run_tta(box_type, [rot(30), rot(90), rot(135)], w=160,
                         h=160, pre=pre, post=post)
    _assert_recovers(pred, poly, box_type)


def test_oracle_qbox_unequal_scale_factors():
    pre = [dict(type='mmdet.Resize', scale=(300, 180), keep_ratio=True,
                clip_object_border=False)]
    post = [dict(type='mmdet.Resize', scale=(200, 200), keep_ratio=True,
                clip_object_border=False)]
    pred, poly = run_tta('qbox', [rot(30), rot(-100)], w=200, h=120,
                         pre=pre, post=post)
    _assert_recovers(pred, poly, 'qbox')


def test_oracle_hbox_quarter_turns_and_flips():
    views = QUARTERS + [dict(type='mmdet.RandomFlip', prob=1.0,
                             direction='horizontal')]
    pre = [dict(type='mmdet.Resize', scale=(300, 240), keep_ratio=True)]
    pred, poly = run_tta('hbox', views, pre=pre)
    _assert_recovers(pred, poly, 'hbox')


def test_undo_rescale_inverts_mmrotate_rescale():
    rng = np.random.default_rng(1)
    b = np.c_[rng.uniform(0, 300, (20, 2)), rng.uniform(2, 60, (20, 2)),
              rng.uniform(-np.pi / 2, np.pi / 2, 20)]
    for sx, sy in ((0.5, 0.5), (0.8, 1.25), (2.0, 1.9)):
        r = RotatedBoxes(torch.tensor(b))
        r.rescale_((1 / sx, 1 / sy))
        back = undo_rescale(r.tensor.numpy(), 'rbox', (sx, sy))
        np.testing.assert_allclose(back, b, atol=1e-9)


def test_hbox_rule_off_the_axes():
    # a 20 x 20 square turned by 45 degrees: its inscribed circle keeps a
    # 20 x 20 box, the turned square's box is 20 sqrt(2) wide
    c, s = math.cos(math.pi / 4), math.sin(math.pi / 4)
    m = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])
    box = np.array([[-10.0, -10, 10, 10]])
    np.testing.assert_allclose(map_boxes(box, 'hbox', m, hbox_mode='ellipse'),
                               box, atol=1e-9)
    r = 10 * math.sqrt(2)
    np.testing.assert_allclose(
        map_boxes(box, 'hbox', m, hbox_mode='envelope'), [[-r, -r, r, r]],
        atol=1e-9)


def test_view_that_finds_nothing_and_empty_views():
    pred, poly = run_tta('rbox', QUARTERS, blind=(1, 3))
    _assert_recovers(pred, poly, 'rbox')
    # two of four views saw each object: avg score 2 / 4
    np.testing.assert_allclose(pred.scores.numpy(), 0.5)
    pred, _ = run_tta('rbox', QUARTERS, blind=(0, 1, 2, 3))
    assert len(pred) == 0 and pred.bboxes.tensor.shape == (0, 5)
    assert isinstance(pred.bboxes, RotatedBoxes)


def test_missing_metainfo_is_a_clear_error():
    meta = tuple(k for k in META if k != 'homography_matrix')
    with pytest.raises(KeyError, match="'homography_matrix'.*PackDetInputs"):
        run_tta('rbox', QUARTERS, meta=meta)
    meta = tuple(k for k in META if k != 'scale_factor')
    with pytest.raises(KeyError, match="'scale_factor'"):
        # the oracle needs the factor too: give it, hide it from the model
        res, _ = _results('rbox')
        pipe = TimeAug(transforms=[QUARTERS, [
            dict(type='mmdet.PackDetInputs', meta_keys=META)]])
        data = pseudo_collate([pipe(res)])
        model = RotatedTTAModel(OracleDetector())
        views = list(zip(*[model.module.test_step(
            dict(inputs=i, data_samples=s)) for i, s in zip(
                data['inputs'], data['data_samples'])]))[0]
        stripped = []
        for v in views:
            info = {k: v.metainfo[k] for k in meta}
            d = DetDataSample(metainfo=info)
            d.pred_instances = v.pred_instances
            stripped.append(d)
        model.merge_preds([stripped])


def test_bad_tta_cfg():
    with pytest.raises(ValueError, match='merge'):
        RotatedTTAModel(OracleDetector(), tta_cfg=dict(merge='mean'))
    with pytest.raises(ValueError, match='unknown tta_cfg keys'):
        RotatedTTAModel(OracleDetector(), tta_cfg=dict(iou=0.5))
    m = RotatedTTAModel(OracleDetector(),
                        tta_cfg=dict(nms=dict(iou_threshold=0.3)))
    assert m.tta_cfg['merge'] == 'nms' and m.tta_cfg['iou_thr'] == 0.3


# ---- fusion ------------------------------------------------------------

def _fuse(boxes, scores, views, num_views, mode='wbf', labels=None,
          box_type='rbox'):
    boxes = np.asarray(boxes, np.float64)
    labels = np.zeros(len(boxes), np.int64) if labels is None else labels
    return cluster_views(boxes, np.asarray(scores, np.float64), labels,
                         np.asarray(views), num_views, box_type, mode)


def test_fusion_at_the_angle_wrap():
    a = math.radians(89.5)
    cl = _fuse([[100, 100, 40, 10, a], [100, 100, 40, 10, -a]], [0.9, 0.9],
               [0, 1], 2)
    assert len(cl.boxes) == 1
    x, y, w, h, t = cl.boxes[0]
    assert (w, h) == pytest.approx((40, 10))
    # 90 degrees (le90 writes it -90), not 0
    assert abs(math.cos(t)) < 1e-9


def test_fusion_of_the_two_representations_of_a_box():
    # the boxes of the issue: one box written twice (IoU 1; mmcv's float32
    # CPU box_iou_rotated gave 1/3)
    b = [[481.96, 195.72, 10.18, 42.43, -0.1419],
         [481.96, 195.72, 42.43, 10.18, 1.4289]]
    assert exact_ious(np.array(b), 'rbox')[0, 1] > 0.999
    cl = _fuse(b, [0.8, 0.6], [0, 1], 2)
    assert len(cl.boxes) == 1
    # le90: the long side is w, the angle that of the long side
    np.testing.assert_allclose(cl.boxes[0],
                               [481.96, 195.72, 42.43, 10.18, 1.4289],
                               atol=1e-4)
    # one box twice, written (w, h, t) and (h, w, t + 90): mmcv 2.1's CPU
    # box_iou_rotated gives 0 here (2026-12-02); clustering uses exact IoU
    b = [[925.6494750976562, 263.9105529785156, 61.80773162841797,
          39.35209655761719, 0.21395452320575714],
         [925.6494750976562, 263.9105529785156, 39.35209655761719,
          61.80773162841797, 1.7847508192062378]]
    assert exact_ious(np.array(b), 'rbox')[0, 1] > 0.999
    assert len(_fuse(b, [0.8, 0.6], [0, 1], 2, mode='nms').boxes) == 1
    # a (w, h, t) and an (h, w, t + 90) a little apart fuse to the mean
    cl = _fuse([[50, 50, 30, 10, 0.2], [52, 50, 10, 34, 0.2 + math.pi / 2]],
               [0.5, 0.5], [0, 1], 2)
    np.testing.assert_allclose(cl.boxes[0], [51, 50, 32, 10, 0.2], atol=1e-9)


def test_cluster_seen_by_one_view_is_scored_down():
    # object A found by all four views (0.8 each), B by one view (0.9)
    boxes = [[50, 50, 20, 10, 0.1]] * 4 + [[150, 50, 20, 10, 0.1]]
    cl = _fuse(boxes, [0.8] * 4 + [0.9], [0, 1, 2, 3, 2], 4)
    scores = cluster_scores(cl, 'avg')
    by_x = dict(zip(cl.boxes[:, 0].round(), scores))
    assert by_x[50] == pytest.approx(0.8)
    assert by_x[150] == pytest.approx(0.9 / 4)
    # the plain best score keeps B on top
    assert cluster_scores(cl, 'max').tolist() == [0.9, 0.8]
    # a view that could not see B does not count against it
    visible = np.where(cl.boxes[:, :1] > 100, [[False, False, True, False]],
                       [[True] * 4])
    s = cluster_scores(cl, 'avg', visible)
    assert dict(zip(cl.boxes[:, 0].round(), s)) == pytest.approx(
        {50: 0.8, 150: 0.9})


def test_nms_keeps_the_best_box_per_class():
    boxes = [[50, 50, 20, 10, 0.1], [51, 50, 20, 10, 0.1],
             [50, 50, 20, 10, 0.1]]
    cl = _fuse(boxes, [0.7, 0.9, 0.8], [0, 1, 2], 3, mode='nms',
               labels=np.array([0, 0, 1]))
    assert sorted(zip(cl.labels.tolist(), cl.top.tolist())) == [(0, 0.9),
                                                                (1, 0.8)]
    np.testing.assert_allclose(cl.boxes[cl.labels == 0][0],
                               [51, 50, 20, 10, 0.1])


# ---- the sparse merge against the dense shapely path ----------------------

def _views_scene(rng, n_obj, box_type, classes, views=4):
    """``views`` jittered copies of ``n_obj`` objects, crowded (many
    overlaps), random scores; qboxes: turned rectangles with jittered
    corners, and a few non-convex ones (left to shapely)."""
    ctr = rng.uniform(0, 300, (n_obj, 2))
    obj = np.c_[ctr, rng.uniform(8, 60, (n_obj, 2)),
                rng.uniform(-np.pi / 2, np.pi / 2, n_obj)]
    lab = rng.integers(0, classes, n_obj)
    boxes = []
    for _ in range(views):
        b = obj.copy()
        b[:, :2] += rng.normal(0, 1.5, (n_obj, 2))
        b[:, 2:4] *= rng.uniform(0.9, 1.1, (n_obj, 2))
        b[:, 4] += rng.normal(0, 0.05, n_obj)
        if box_type == 'qbox':
            b = rbox_to_poly(b).reshape(-1, 8)
            b += rng.normal(0, 0.5, b.shape)
            b[:3] = b[:3][:, [0, 1, 4, 5, 2, 3, 6, 7]]  # self-intersecting
        elif box_type == 'hbox':
            b = np.c_[b[:, :2] - b[:, 2:4] / 2, b[:, :2] + b[:, 2:4] / 2]
        boxes.append(b)
    scores = rng.uniform(0.05, 1, n_obj * views)
    scores[::7] = 0.5  # ties
    return (np.concatenate(boxes), scores, np.tile(lab, views),
            np.repeat(np.arange(views), n_obj))


def _assert_same(a, b):
    assert len(a.boxes) == len(b.boxes)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.top, b.top)
    np.testing.assert_array_equal(a.view_scores, b.view_scores)
    # the same clusters fused in the same order: bit for bit
    np.testing.assert_array_equal(a.boxes, b.boxes)


@pytest.mark.parametrize('box_type', ['rbox', 'qbox', 'hbox'])
@pytest.mark.parametrize('mode', ['wbf', 'nms'])
@pytest.mark.parametrize('seed', [0, 1])
def test_merge_equals_the_dense_shapely_path(box_type, mode, seed):
    rng = np.random.default_rng(seed)
    for classes, thr in ((1, 0.45), (3, 0.1), (2, 0.7)):
        b, s, l, v = _views_scene(rng, 150, box_type, classes)
        args = (b, s, l, v, 4, box_type, mode, thr)
        new, ref = cluster_views(*args), cluster_views_dense(*args)
        # real merging happened: clusters of several boxes, and singles
        assert len(b) // 8 < len(new.boxes) < len(b)
        _assert_same(new, ref)


def test_merge_of_nothing_one_box_and_a_box_without_area():
    for box_type, dim in (('rbox', 5), ('qbox', 8), ('hbox', 4)):
        empty = cluster_views(np.zeros((0, dim)), np.zeros(0),
                              np.zeros(0, np.int64), np.zeros(0, np.int64),
                              4, box_type)
        assert isinstance(empty, Clusters)
        assert empty.boxes.shape == (0, dim)
        assert empty.view_scores.shape == (0, 4)
    one = np.array([[50.0, 60, 30, 10, 0.3]])
    cl = _fuse(one, [0.7], [2], 4)
    np.testing.assert_allclose(cl.boxes, one)
    assert cl.view_scores.tolist() == [[0, 0, 0.7, 0]]
    # a box without area overlaps nothing: a cluster of its own (and an
    # identical copy of it too: its IoU is 0)
    flat = [[50.0, 60, 0, 10, 0.3], [50.0, 60, 0, 10, 0.3],
            [50.0, 60, 30, 10, 0.3]]
    for mode in ('wbf', 'nms'):
        cl = _fuse(flat, [0.9, 0.8, 0.7], [0, 1, 2], 3, mode=mode)
        ref = cluster_views_dense(np.array(flat), np.array([0.9, 0.8, 0.7]),
                                  np.zeros(3, np.int64), np.arange(3), 3,
                                  'rbox', mode)
        assert len(cl.boxes) == 3
        _assert_same(cl, ref)
