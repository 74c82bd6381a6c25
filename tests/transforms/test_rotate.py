"""Behaviour of rotaug.Rotate / RandomRotate / RandomChoiceRotate /
SanitizeGT: registry, fields in step, masks, seg maps, options, errors."""
import copy
import logging

import numpy as np
import pytest
import torch
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks, PolygonMasks
from mmengine.registry import build_from_cfg
from mmrotate.structures.bbox import QuadriBoxes, RotatedBoxes

from rotaug.geometry import rbox_to_poly
from rotaug.registry import TRANSFORMS
from rotaug.transforms import (RandomChoiceRotate, RandomRotate, Rotate,
                               SanitizeGT)


def _results(boxes, h=100, w=120, n=None, labels=None):
    n = len(boxes) if n is None else n
    return dict(img=np.random.default_rng(0).integers(
        0, 255, (h, w, 3), dtype=np.uint8), img_shape=(h, w),
        gt_bboxes=boxes,
        gt_bboxes_labels=np.arange(n, dtype=np.int64) if labels is None
        else np.asarray(labels, np.int64),
        gt_ignore_flags=np.zeros(n, bool))


def rboxes(rows):
    return RotatedBoxes(torch.tensor(rows, dtype=torch.float32))


@pytest.mark.parametrize('name', ['Rotate', 'RandomRotate',
                                  'RandomChoiceRotate', 'SanitizeGT'])
def test_registered_and_buildable_from_any_scope(name):
    from mmengine.registry import DefaultScope
    from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS
    from mmrotate.registry import TRANSFORMS as MMROTATE_TRANSFORMS
    args = {'Rotate': dict(rotate_angle=10),
            'RandomChoiceRotate': dict(angles=[90])}.get(name, {})
    assert TRANSFORMS.get(name) is not None
    for reg, scope in ((MMDET_TRANSFORMS, 'mmdet'),
                       (MMROTATE_TRANSFORMS, 'mmrotate')):
        with DefaultScope.overwrite_default_scope(scope):
            t = reg.build(dict(type=f'rotaug.{name}', **args))
        assert type(t).__module__.startswith('rotaug.')
        assert name in repr(t)


def test_90_degrees_is_exact_for_boxes_and_pixels():
    img = np.zeros((40, 60, 3), np.uint8)
    img[5:15, 10:30] = 255  # continuous box (10, 5, 30, 15)
    hb = HorizontalBoxes(torch.tensor([[10.0, 5.0, 30.0, 15.0]]))
    res = Rotate(90, expand=True)(dict(img=img, img_shape=(40, 60),
                                       gt_bboxes=hb,
                                       gt_bboxes_labels=np.zeros(1, int)))
    assert res['img_shape'] == (60, 40) and res['img'].shape[:2] == (60, 40)
    ys, xs = np.nonzero(res['img'][..., 0] > 127)
    got = res['gt_bboxes'].tensor.numpy()[0]
    np.testing.assert_allclose(got, [xs.min(), ys.min(), xs.max() + 1,
                                     ys.max() + 1], atol=1e-4)


def test_fields_stay_in_step_and_drops_are_counted():
    rows = [[60, 50, 20, 10, 0.3],     # inside
            [118, 50, 20, 10, 0.0],    # half out on the right
            [-40, -40, 10, 10, 0.0],   # far outside
            [60, 50, 0.0, 10, 0.0],    # zero width
            [float('nan'), 5, 5, 5, 0]]  # non-finite
    res = _results(rboxes(rows))
    res['gt_extra'] = np.array(['a', 'b', 'c', 'd', 'e'])
    res['gt_texts'] = ['A', 'B', 'C', 'D', 'E']  # a plain list
    res['gt_scores'] = torch.arange(5.0)
    res['gt_masks'] = BitmapMasks(np.ones((5, 100, 120), np.uint8), 100, 120)
    t = SanitizeGT(ignore_visible_ratio=0.7)
    out = t(res)
    assert out['gt_extra'].tolist() == ['a', 'b']
    assert out['gt_texts'] == ['A', 'B']
    assert out['gt_scores'].tolist() == [0.0, 1.0]
    assert out['gt_bboxes_labels'].tolist() == [0, 1]
    assert out['gt_ignore_flags'].tolist() == [False, True]
    assert len(out['gt_masks']) == 2
    b = out['gt_bboxes'].tensor.numpy()
    assert b[1, 0] + b[1, 2] / 2 <= 120 + 1e-4 and b[1, 2] == \
        pytest.approx(12.0, abs=1e-4)
    assert t.stats.dropped == {'invisible': 1, 'degenerate': 1,
                               'nonfinite': 1}
    assert t.stats.kept == 2 and t.stats.ignored == 1 and t.stats.seen == 5
    assert 'dropped' in t.stats.summary()


def test_drops_are_logged(caplog):
    from mmengine.logging import MMLogger
    logger = MMLogger.get_instance('rotaug-drop-log-test')
    logger.propagate = True
    t = SanitizeGT()
    with caplog.at_level(logging.INFO):
        t(_results(rboxes([[-50, -50, 4, 4, 0.0]])))
    assert t.stats.total_dropped == 1
    assert any('1 dropped' in r.getMessage() for r in caplog.records) or \
        'invisible' in t.stats.summary()


def test_empty_ground_truth():
    for boxes in (rboxes(np.zeros((0, 5))), HorizontalBoxes(torch.zeros(
            (0, 4))), QuadriBoxes(torch.zeros((0, 8)))):
        res = Rotate(30)(_results(boxes))
        assert len(res['gt_bboxes']) == 0 and type(
            res['gt_bboxes']) is type(boxes)
        assert res['gt_bboxes_labels'].shape == (0, )
    res = Rotate(30)(dict(img=np.zeros((10, 10, 3), np.uint8),
                          img_shape=(10, 10)))
    assert 'homography_matrix' in res


def test_image_size_from_img_when_img_shape_is_missing():
    res = _results(rboxes(np.array([[30.0, 20, 10, 4, 0.2]])))
    expected = Rotate(90, expand=True)(copy.deepcopy(res))
    del res['img_shape']
    out = Rotate(90, expand=True)(res)
    assert out['img_shape'] == expected['img_shape']
    np.testing.assert_allclose(out['gt_bboxes'].tensor.numpy(),
                               expected['gt_bboxes'].tensor.numpy())
    with pytest.raises(KeyError, match='img_shape'):
        Rotate(30)(dict(gt_bboxes=rboxes(np.zeros((0, 5)))))


def test_plain_numpy_hboxes_and_homography_composition():
    res = _results(np.array([[10, 10, 30, 20.0]], np.float32))
    res['homography_matrix'] = np.diag([2.0, 2.0, 1.0]).astype(np.float32)
    out = Rotate(90, expand=True)(res)
    assert isinstance(out['gt_bboxes'], np.ndarray)
    assert out['gt_bboxes'].dtype == np.float32
    m = out['homography_matrix']
    r = Rotate(90, expand=True).plan(_results(np.zeros((0, 4))), 90).matrix
    np.testing.assert_allclose(m, r @ np.diag([2.0, 2.0, 1.0]), atol=1e-5)


def test_masks_and_seg_map_follow_the_boxes():
    h, w = 80, 100
    seg = np.zeros((h, w), np.uint8)
    seg[20:40, 30:70] = 3
    bm = np.zeros((1, h, w), np.uint8)
    bm[0, 20:40, 30:70] = 1
    poly = [[np.array([30, 20, 70, 20, 70, 40, 30, 40], np.float32)]]
    for masks in (BitmapMasks(bm, h, w), PolygonMasks(poly, h, w)):
        res = _results(HorizontalBoxes(torch.tensor([[30.0, 20, 70, 40]])),
                       h=h, w=w)
        res['gt_seg_map'] = seg.copy()
        res['gt_masks'] = masks
        out = Rotate(90, expand=True)(res)
        H, W = out['img_shape']
        assert out['gt_masks'].height == H and out['gt_masks'].width == W
        bit = out['gt_masks'].to_ndarray()[0].astype(bool) if isinstance(
            masks, PolygonMasks) else out['gt_masks'].masks[0].astype(bool)
        ys, xs = np.nonzero(out['gt_seg_map'] == 3)
        sy, sx = np.nonzero(bit)
        assert (ys.min(), ys.max(), xs.min(), xs.max()) == (sy.min(),
                                                            sy.max(),
                                                            sx.min(),
                                                            sx.max())
        box = out['gt_bboxes'].tensor.numpy()[0]
        np.testing.assert_allclose(
            box, [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], atol=1e-4)
    out = Rotate(45)(dict(img=np.zeros((h, w, 3), np.uint8), img_shape=(h, w),
                          gt_seg_map=seg.copy()))
    assert out['gt_seg_map'][0, 0] == 255  # border = ignore label


@pytest.mark.parametrize('dtype', [np.int32, np.int64, np.uint32, np.int8,
                                   np.float16, bool])
def test_maps_of_any_numeric_dtype_are_warped(dtype):
    """OpenCV cannot warp int32 (instance-id maps beyond 255), int64, bool
    or float16 arrays; rotaug warps them through a wider type and hands
    them back in their own dtype, values intact."""
    h, w = 30, 40
    ids = np.arange(h * w).reshape(h, w) * 997 % 70001
    info = np.iinfo(dtype) if np.dtype(dtype).kind in 'iu' else None
    if dtype is bool:
        ids = ids % 2
    elif info is not None:
        ids = ids % min(int(info.max) + 1, 2**31)
    elif dtype is np.float16:
        ids = ids % 1024  # exact in float16
    seg = ids.astype(dtype)
    img = np.zeros((h, w, 3), np.uint8)
    out = Rotate(90, expand=True, seg_ignore_label=0)(
        dict(img=img, img_shape=(h, w), gt_seg_map=seg.copy()))
    got = out['gt_seg_map']
    assert got.dtype == seg.dtype and got.shape == (w, h)
    # clockwise on screen by 90 degrees: np.rot90 clockwise
    np.testing.assert_array_equal(got, np.rot90(seg, -1))
    # the image itself in such a dtype, at an angle that interpolates
    tilted = Rotate(30, seg_ignore_label=0)(
        dict(img=seg.copy(), img_shape=(h, w)))['img']
    assert tilted.dtype == seg.dtype and tilted.shape == (h, w)


def test_polygon_masks_are_clipped_to_the_canvas():
    h, w = 50, 50
    poly = [[np.array([40, 10, 70, 10, 70, 30, 40, 30], np.float32)]]
    res = _results(HorizontalBoxes(torch.tensor([[40.0, 10, 70, 30]])), h=h,
                   w=w)
    res['gt_masks'] = PolygonMasks(poly, h, w)
    out = SanitizeGT(min_visible_ratio=0.1, ignore_visible_ratio=0.1)(res)
    p = out['gt_masks'].masks[0][0].reshape(-1, 2)
    assert p[:, 0].max() <= 50 and out['gt_masks'].areas[0] == \
        pytest.approx(200.0)
    np.testing.assert_allclose(out['gt_bboxes'].tensor.numpy()[0],
                               [40, 10, 50, 30])


def test_random_rotate_draws_like_mmrotate():
    from mmrotate.datasets.transforms import RandomRotate as MMRR
    ours = RandomRotate(prob=0.7, angle_range=90)
    theirs = MMRR(prob=0.7, angle_range=90)
    for seed in range(10):
        res = _results(rboxes([[60, 50, 20, 10, 0.0]]))
        np.random.seed(seed)
        a = ours(dict(res))
        np.random.seed(seed)
        b = theirs(dict(res, gt_bboxes=rboxes([[60, 50, 20, 10, 0.0]])))
        rotated_a = 'homography_matrix' in a
        assert rotated_a == ('homography_matrix' in b)
        if rotated_a:
            ang_a = np.degrees(np.arctan2(a['homography_matrix'][1, 0],
                                          a['homography_matrix'][0, 0]))
            ang_b = np.degrees(np.arctan2(b['homography_matrix'][1, 0],
                                          b['homography_matrix'][0, 0]))
            assert ang_a == pytest.approx(ang_b, abs=1e-3)


def test_rect_obj_labels_force_multiples_of_90():
    t = RandomRotate(prob=1.0, rect_obj_labels=[2])
    for seed in range(10):
        np.random.seed(seed)
        out = t(_results(rboxes([[60, 50, 20, 10, 0.0]]), labels=[2]))
        m = out['homography_matrix']
        ang = np.degrees(np.arctan2(m[1, 0], m[0, 0]))
        assert min(abs(ang - a) for a in (90, 180, -90, -180)) < 1e-3


def test_redraw_when_every_object_would_vanish():
    # an object in the corner: about 4 angles in 5 rotate it out
    res = _results(rboxes([[5, 5, 8, 8, 0.0]]), h=100, w=120)
    t = RandomRotate(prob=1.0, max_redraws=50, expand=False)
    kept = 0
    for seed in range(20):
        np.random.seed(seed)
        out = t({k: (v.clone() if hasattr(v, 'clone') else
                     v.copy() if hasattr(v, 'copy') else v)
                 for k, v in res.items()})
        kept += len(out['gt_bboxes'])
    assert kept == 20
    assert t.stats.extra['angle_redraws'] > 0
    t0 = RandomRotate(prob=1.0, max_redraws=0)
    np.random.seed(3)
    lost = sum(len(t0(dict(_results(rboxes([[5, 5, 8, 8, 0.0]])),
                           ))['gt_bboxes']) for _ in range(20))
    assert lost < 20


def test_angle_keys_are_wrapped():
    res = _results(rboxes([[60, 50, 20, 10, 0.0]]))
    res['gt_angle'] = np.array(170.0)
    res['heading'] = 350.0
    out = Rotate(30, angle_keys={'gt_angle': 180.0, 'heading': 360.0})(res)
    assert float(out['gt_angle']) == pytest.approx(20.0)
    assert float(out['heading']) == pytest.approx(20.0)
    # an image left unrotated leaves its targets in the same range
    res = dict(img_shape=(10, 10), heading=350.0)
    out = RandomRotate(prob=0.0, angle_keys=['heading'])(res)
    assert float(out['heading']) == pytest.approx(-10.0)


@pytest.mark.parametrize('version', ['le90', 'le135', 'oc'])
def test_angle_version_of_the_output(version):
    rng = np.random.default_rng(0)
    rows = np.c_[rng.uniform(30, 90, (20, 2)), rng.uniform(3, 20, (20, 2)),
                 rng.uniform(-3, 3, 20)]
    out = Rotate(40, angle_version=version, min_visible_ratio=0.0,
                 ignore_visible_ratio=0.0)(_results(rboxes(rows)))
    t = out['gt_bboxes'].tensor.numpy()
    lo = {'le90': -np.pi / 2, 'le135': -np.pi / 4, 'oc': -np.pi / 2}[version]
    hi = {'le90': np.pi / 2, 'le135': 3 * np.pi / 4, 'oc': 0}[version]
    assert (t[:, 4] >= lo - 1e-5).all() and (t[:, 4] < hi + 1e-5).all()
    if version != 'oc':
        assert (t[:, 2] >= t[:, 3] - 1e-4).all()


@pytest.mark.parametrize('cfg,match', [
    (dict(type='rotaug.RandomRotate', angle_range=0), 'angle_range'),
    (dict(type='rotaug.RandomRotate', angle_range=270), 'angle_range'),
    (dict(type='rotaug.RandomRotate', prob=1.5), 'prob'),
    (dict(type='rotaug.Rotate', rotate_angle=10, angle_version='le45'),
     'angle_version'),
    (dict(type='rotaug.Rotate', rotate_angle=10, hbox_mode='circle'),
     'hbox_mode'),
    (dict(type='rotaug.Rotate', rotate_angle=float('nan')), 'rotate_angle'),
    (dict(type='rotaug.SanitizeGT', min_visible_ratio=0.6,
          ignore_visible_ratio=0.5), 'ignore_visible_ratio'),
    (dict(type='rotaug.RandomChoiceRotate', angles=[0, 90]), 'angles'),
    (dict(type='rotaug.RandomChoiceRotate', angles=[90], prob=[0.5, 0.5]),
     'prob'),
    (dict(type='rotaug.RandomRotate', rotate_type='mmdet.Rotate'),
     'rotate_type'),
    (dict(type='rotaug.RandomChoiceRotate', angles=[90],
          sanitize_unrotated='no'), 'sanitize_unrotated'),
    (dict(type='rotaug.Rotate', angle_keys='heading'), 'angle_keys'),
    (dict(type='rotaug.RandomRotate', angle_keys={'heading': -1}),
     'period'),
])
def test_bad_arguments_fail_at_build_time(cfg, match):
    with pytest.raises(Exception, match=match):
        build_from_cfg(cfg, TRANSFORMS)


@pytest.mark.parametrize('t, shown, hidden', [
    (Rotate(30, expand=True, img_border_value=(1, 2, 3),
            hbox_mode='envelope', angle_version='oc', min_size=2.0,
            angle_keys={'heading': 180}, instance_keys=('gt_ids', ),
            out_box_type='hbox'),
     ('expand=True', "angle_version='oc'", 'min_size=2.0',
      "'heading': 180.0", "out_box_type='hbox'", 'clip_border=True'),
     ('hbox_mode', 'max_redraws')),
    (RandomRotate(prob=0.7, angle_range=90, rect_obj_labels=[3],
                  max_redraws=2, sanitize_unrotated=False, expand=True,
                  min_visible_ratio=0.1, angle_keys=['yaw']),
     ('max_redraws=2', 'expand=True', 'min_visible_ratio=0.1',
      "'yaw': 360.0", "angle_version='le90'"),
     ('sanitize_unrotated', )),
    (RandomChoiceRotate(angles=[90, 45], prob=[0.2, 0.3], max_redraws=0,
                        interpolation='nearest', clip_border=False),
     ('sanitize_unrotated=True', "hbox_mode='ellipse'", 'clip_border=False'),
     ('max_redraws', )),
])
def test_repr_is_mmrotate_s_then_the_differences(t, shown, hidden):
    """A rotation's repr is MMRotate's (its fields and formats), then every
    setting in which the transform differs from MMRotate's: with those
    settings and ``compat='mmrotate'`` the same transform is built again
    (for the random rotations the settings given again are recorded in
    ``rotate_cfg``, as MMRotate records the keyword arguments of its turn)."""
    text = repr(t)
    if isinstance(t, Rotate):
        head = (f'Rotate(rotate_angle={t.rotate_angle}, '
                f'img_border_value={t.img_border_value}, '
                f'mask_border_value={t.mask_border_value}, '
                f'seg_ignore_label={t.seg_ignore_label}, '
                f'interpolation={t.interpolation}')
        mmrotate = dict(rotate_angle=t.rotate_angle,
                        img_border_value=t.img_border_value,
                        mask_border_value=t.mask_border_value,
                        seg_ignore_label=t.seg_ignore_label,
                        interpolation=t.interpolation)
    else:
        first = (f'prob={t.prob}, rotate_angle={t.angle_range}'
                 if isinstance(t, RandomRotate) else
                 f'angles={t.angles}, prob={t.prob}')
        head = (f'{type(t).__name__}({first}, '
                f'rect_obj_labels={t.rect_obj_labels}, '
                f'rotate_cfg={t.rotate_cfg}')
        cfg = t.rotate_cfg
        mmrotate = dict(prob=t.prob, rect_obj_labels=t.rect_obj_labels,
                        rotate_type=cfg.pop('type'), **cfg)
        mmrotate.update(dict(angle_range=t.angle_range) if isinstance(
            t, RandomRotate) else dict(angles=t.angles))
    assert text.startswith(head + ', ') and text.endswith(')')
    for option in shown:
        assert option in text[len(head):], option
    for option in hidden:
        assert option not in text, option
    rest = eval(f'dict({text[len(head) + 2:-1]})')
    again = type(t)(**{**mmrotate, **rest}, compat='mmrotate')
    assert again.options == t.options
    if isinstance(t, Rotate):
        assert repr(again) == text
    else:
        assert again.sampler == t.sampler
        assert (again.max_redraws, again.sanitize_unrotated) == (
            t.max_redraws, t.sanitize_unrotated)


def test_sanitize_repr_is_the_constructor_call():
    t = SanitizeGT(min_visible_ratio=0.3, ignore_visible_ratio=0.6,
                   min_size=0.5, angle_version='le135', out_box_type='hbox')
    text = repr(t)
    for option in ('min_visible_ratio=0.3', 'ignore_visible_ratio=0.6',
                   'min_size=0.5', "angle_version='le135'",
                   "out_box_type='hbox'"):
        assert option in text, option
    again = eval(text, dict(SanitizeGT=SanitizeGT))
    assert type(again) is SanitizeGT and repr(again) == text


def test_wrong_box_type_is_a_clear_error():
    with pytest.raises(TypeError, match=r'gt_bboxes.*shape \(2, 7\)'):
        Rotate(10)(_results(np.zeros((2, 7))))


@pytest.mark.parametrize('box_type', ['rbox', 'qbox'])
@pytest.mark.parametrize('plain', [np.asarray, torch.as_tensor])
def test_plain_arrays_read_by_width(box_type, plain):
    """Plain (N, 5) and (N, 8) arrays or tensors are rboxes and qboxes (as
    the batch path reads them): they turn as the box containers do and
    stay plain, of their dtype; with ``out_box_type='hbox'`` 4 wide."""
    cls = {'rbox': RotatedBoxes, 'qbox': QuadriBoxes}[box_type]
    rb = np.array([[60, 50, 20, 10, 0.3], [5, 5, 30, 12, -0.4],
                   [200, 50, 10, 10, 0.0]], np.float32)
    data = rb if box_type == 'rbox' else rbox_to_poly(rb).reshape(-1, 8)
    for kwargs in ({}, dict(out_box_type='hbox')):
        ref = Rotate(33, **kwargs)(_results(cls(torch.from_numpy(data))))
        got = Rotate(33, **kwargs)(_results(plain(data)))
        assert type(got['gt_bboxes']) is type(plain(data))
        assert got['gt_bboxes'].dtype == plain(data).dtype
        np.testing.assert_allclose(np.asarray(got['gt_bboxes']),
                                   ref['gt_bboxes'].tensor.numpy(),
                                   atol=1e-4)
        np.testing.assert_array_equal(got['gt_bboxes_labels'],
                                      ref['gt_bboxes_labels'])
        assert 0 < len(got['gt_bboxes_labels']) < len(rb)


def test_random_choice_rotate():
    t = RandomChoiceRotate(angles=[90, 180], prob=1.0)
    seen = set()
    for seed in range(20):
        np.random.seed(seed)
        out = t(_results(rboxes([[60, 50, 20, 10, 0.0]])))
        m = out['homography_matrix']
        seen.add(round(float(np.degrees(np.arctan2(m[1, 0], m[0, 0])))))
    assert seen <= {90, 180, -180} and len(seen) >= 2
    np.random.seed(0)
    res = RandomChoiceRotate(angles=[90], prob=0.0)(
        _results(rboxes([[60, 50, 20, 10, 0.0]])))
    assert 'homography_matrix' not in res


def test_sides_are_judged_as_stored_in_float32():
    """A 1e-9 px high box turned to y = 8 becomes 8 - 1e-9, which float32
    stores as 8: its height would leave as 0. The policy judges the stored
    box, so it is dropped and counted (found by the fuzz test)."""
    from mmdet.structures.bbox import HorizontalBoxes
    res = dict(img=np.zeros((8, 8, 3), np.uint8), img_shape=(8, 8),
               gt_bboxes=HorizontalBoxes(torch.tensor(
                   [[0., 0., 1., 1e-9], [2., 2., 4., 4.]])),
               gt_bboxes_labels=np.array([0, 1]),
               gt_ignore_flags=np.zeros(2, bool))
    t = Rotate(180.0, min_size=0.0)
    out = t(res)
    b = out['gt_bboxes'].tensor
    assert len(b) == 1 and out['gt_bboxes_labels'].tolist() == [1]
    assert ((b[:, 2:] - b[:, :2]) > 0).all()
    assert t.stats.dropped['too_small'] == 1


def test_bitmap_pieces_tile_the_mask_exactly():
    from rotaug.gt import bitmap_pieces
    rng = np.random.default_rng(2)
    bits = (rng.random((5, 23, 31)) < 0.4).astype(np.uint8)
    bits[1] = 0  # an empty instance has no pieces
    bits[2, 4:15, 3:20] = 1  # a block: merged into few rectangles
    rects, owner = bitmap_pieces(BitmapMasks(bits, 23, 31))
    back = np.zeros_like(bits)
    for (x0, y0, x1, y1), i in zip(rects.astype(int), owner):
        assert (back[i, y0:y1, x0:x1] == 0).all()  # no overlap
        back[i, y0:y1, x0:x1] = 1
    np.testing.assert_array_equal(back, bits)
    assert 1 not in owner
    assert len(rects) < bits.sum()  # runs and rows are merged


def test_masks_and_flags_out_of_step_are_a_clear_error():
    boxes = HorizontalBoxes(torch.tensor([[1.0, 1, 10, 10], [2, 2, 8, 8]]))
    res = _results(boxes, h=20, w=30)
    res['gt_masks'] = BitmapMasks(np.ones((3, 20, 30), np.uint8), 20, 30)
    with pytest.raises(ValueError, match='gt_masks has 3 instances but '
                       'gt_bboxes has 2'):
        Rotate(30)(res)
    res = _results(boxes, h=20, w=30)
    res['gt_ignore_flags'] = np.zeros(5, bool)
    with pytest.raises(ValueError, match='gt_ignore_flags has 5'):
        SanitizeGT()(res)
    res = _results(boxes, h=20, w=30, labels=[0, 1, 2])
    with pytest.raises(ValueError, match='gt_bboxes_labels has 3'):
        Rotate(30)(res)
    res = _results(boxes, h=20, w=30)
    res['scores'] = np.zeros(4)  # named in instance_keys, wrong length
    with pytest.raises(ValueError, match='scores has 4 instances'):
        Rotate(30, instance_keys=['scores'])(res)


def test_pixel_fields_of_another_size_are_a_clear_error():
    # turned about another centre than the boxes, they would leave out of
    # step: the transform refuses before it changes anything
    boxes = HorizontalBoxes(torch.tensor([[10.0, 5, 20, 15]]))
    res = _results(boxes, h=20, w=30)
    res['img_shape'] = (18, 30)
    with pytest.raises(ValueError, match=r'img_shape.*\(18, 30\).*'
                       r'\(20, 30, 3\)'):
        Rotate(30)(res)
    res = _results(boxes, h=20, w=30)
    res['gt_masks'] = BitmapMasks(np.ones((1, 20, 20), np.uint8), 20, 20)
    img = res['img'].copy()
    with pytest.raises(ValueError, match='gt_masks are 20x20 bitmaps but '
                       'the image is 20x30'):
        RandomRotate(prob=1.0)(res)
    assert np.array_equal(res['img'], img)
    res = _results(boxes, h=20, w=30)
    res['gt_seg_map'] = np.zeros((20, 31), np.uint8)
    with pytest.raises(ValueError, match=r'gt_seg_map has shape \(20, 31\)'):
        Rotate(30)(res)
    res = _results(boxes, h=20, w=30)
    res['img'], res['img_shape'] = np.zeros((0, 30, 3), np.uint8), (0, 30)
    with pytest.raises(ValueError, match=r'image of shape \(0, 30, 3\)'):
        Rotate(30)(res)


def test_annotations_turn_without_an_image():
    boxes = rboxes([[60, 50, 20, 10, 0.3]])
    with_img = Rotate(30, expand=True)(_results(boxes))
    res = _results(rboxes([[60, 50, 20, 10, 0.3]]))
    del res['img']
    alone = Rotate(30, expand=True)(res)
    assert 'img' not in alone
    assert alone['img_shape'] == with_img['img_shape']
    np.testing.assert_allclose(alone['gt_bboxes'].tensor.numpy(),
                               with_img['gt_bboxes'].tensor.numpy())


def test_malformed_mask_polygons():
    """A polygon of odd length is a clear error; a degenerate or
    non-finite polygon carries no shape (the box rule applies) and a
    non-finite one is left out of the output mask and counted."""
    boxes = HorizontalBoxes(torch.tensor([[1.0, 1, 10, 10]]))
    res = _results(boxes, h=20, w=30)
    res['gt_masks'] = PolygonMasks([[np.arange(7.0)]], 20, 30)
    with pytest.raises(ValueError, match='polygon 0 of instance 0 has 7'):
        Rotate(30)(res)
    res = _results(boxes, h=20, w=30)
    nan_poly = np.array([1.0, 1, 10, 1, np.nan, 10])
    good = np.array([2.0, 2, 8, 2, 8, 8])
    res['gt_masks'] = PolygonMasks([[nan_poly, good]], 20, 30)
    t = Rotate(0)
    out = t(res)
    np.testing.assert_allclose(out['gt_bboxes'].tensor.numpy(),
                               [[2, 2, 8, 8]])
    assert len(out['gt_masks'].masks[0]) == 1
    assert np.isfinite(out['gt_masks'].masks[0][0]).all()
    assert t.stats.extra['nonfinite_mask_polygons'] == 1
    # turned, the malformed polygon is counted too (not lost in clipping)
    res = _results(boxes, h=20, w=30)
    res['gt_masks'] = PolygonMasks([[nan_poly, good]], 20, 30)
    t = Rotate(30)
    out = t(res)
    assert len(out['gt_masks'].masks[0]) == 1
    assert t.stats.extra['nonfinite_mask_polygons'] == 1
    res = _results(boxes, h=20, w=30)
    res['gt_masks'] = PolygonMasks([[np.array([1.0, 1, 10, 1])]], 20, 30)
    out = Rotate(0)(res)  # a two-point polygon: the box rule
    np.testing.assert_allclose(out['gt_bboxes'].tensor.numpy(),
                               [[1, 1, 10, 10]])


def test_flipped_boxes_are_degenerate_not_turned_round():
    t = SanitizeGT()
    out = t(_results(HorizontalBoxes(torch.tensor([[10.0, 10, 1, 20],
                                                   [1, 1, 20, 20]]))))
    np.testing.assert_allclose(out['gt_bboxes'].tensor.numpy(),
                               [[1, 1, 20, 20]])
    assert t.stats.dropped == {'degenerate': 1}
    t = Rotate(20)
    out = t(_results(rboxes([[60, 50, -10, 5, 0], [60, 50, 10, 5, 0]])))
    assert out['gt_bboxes_labels'].tolist() == [1]
    assert t.stats.dropped == {'degenerate': 1}


def _bad_scene():
    """A NaN box, a zero-size box, a box seven eighths outside the image,
    a box a third outside it and one inside (image 120 x 100)."""
    return _results(HorizontalBoxes(torch.tensor(
        [[np.nan, 0., 10., 10.], [20., 20., 20., 30.],
         [-35., 10., 5., 30.], [100., 50., 130., 70.],
         [30., 30., 60., 50.]])))


@pytest.mark.parametrize('make', [
    lambda **kw: RandomRotate(prob=0.0, **kw),
    lambda **kw: RandomChoiceRotate(angles=[90], prob=0.0, **kw)])
def test_unrotated_images_get_the_same_guarantee(make):
    """With probability 1 - prob nothing turns, and the ground truths still
    pass the policy: the output guarantee and the box type do not depend
    on the draw (the batch path treats unrotated samples alike)."""
    t = make()
    res = _bad_scene()
    img = res['img'].copy()
    out = t(res)
    assert 'homography_matrix' not in out
    np.testing.assert_array_equal(out['img'], img)
    b = out['gt_bboxes'].tensor.numpy()
    np.testing.assert_allclose(b, [[100, 50, 120, 70], [30, 30, 60, 50]])
    np.testing.assert_array_equal(out['gt_bboxes_labels'], [3, 4])
    np.testing.assert_array_equal(out['gt_ignore_flags'], [False, False])
    assert dict(t.stats.dropped) == dict(nonfinite=1, degenerate=1,
                                         invisible=1)
    # logged under the transform's own name
    assert t.stats.summary().startswith(type(t).__name__ + ':')
    # the box type is the one every turned image leaves with
    out = make(out_box_type='hbox')(_results(rboxes([[60, 50, 20, 10,
                                                      0.3]])))
    assert isinstance(out['gt_bboxes'], HorizontalBoxes)
    # False: untouched, as MMRotate leaves it
    res = _bad_scene()
    before = res['gt_bboxes'].tensor.clone()
    out = make(sanitize_unrotated=False)(res)
    assert torch.equal(torch.nan_to_num(out['gt_bboxes'].tensor),
                       torch.nan_to_num(before))
    assert len(out['gt_bboxes_labels']) == 5


def test_images_left_unrotated_after_redraws_are_sanitized():
    # only rotations that lose the object are drawn: the image is left
    # unrotated, without a homography, its ground truths still clipped
    res = _results(HorizontalBoxes(torch.tensor(
        [[-2., 0., 6., 6.], [np.nan, 0., 1., 1.]])), h=100, w=120)
    t = RandomChoiceRotate(angles=[45, -45], prob=1.0, max_redraws=3)
    out = t(res)
    assert t.stats.extra['left_unrotated'] == 1
    assert 'homography_matrix' not in out
    np.testing.assert_allclose(out['gt_bboxes'].tensor.numpy(),
                               [[0, 0, 6, 6]])
    assert t.stats.dropped['nonfinite'] == 1


def test_bitmap_masks_do_not_move_boxes_without_a_turn():
    """A bitmap mask rasterises the object its box was drawn around: with a
    turn its pixels give the exact turned box, without one they add nothing
    and the (clamped) box is kept."""
    h, w = 40, 50
    bits = np.zeros((1, h, w), np.uint8)
    bits[0, 12:20, 10:31] = 1  # the pixels of the box (10.4, 12.2, 30.6, 19.7)
    boxes = HorizontalBoxes(torch.tensor([[10.4, 12.2, 30.6, 19.7]]))
    for t in (Rotate(0.0), SanitizeGT(), RandomRotate(prob=0.0)):
        res = _results(boxes.clone(), h=h, w=w)
        res['gt_masks'] = BitmapMasks(bits.copy(), h, w)
        out = t(res)
        np.testing.assert_allclose(out['gt_bboxes'].tensor.numpy(),
                                   [[10.4, 12.2, 30.6, 19.7]], atol=1e-5)
    res = _results(boxes.clone(), h=h, w=w)
    res['gt_masks'] = BitmapMasks(bits.copy(), h, w)
    out = Rotate(90.0, expand=True)(res)
    got = out['gt_bboxes'].tensor.numpy()[0]
    ys, xs = np.nonzero(out['gt_masks'].masks[0])
    np.testing.assert_allclose(got, [xs.min(), ys.min(), xs.max() + 1,
                                     ys.max() + 1], atol=1e-4)


def test_instance_keys_never_filter_a_field_twice():
    """``instance_keys`` naming a field rotaug writes itself
    (``gt_ignore_flags``) filters it once, and a named key set to None is
    left alone (it once raised a TypeError)."""
    rows = [[60, 50, 20, 10, 0.3], [118, 50, 20, 10, 0.0],
            [-40, -40, 10, 10, 0.0], [30, 30, 12, 8, 1.0]]
    ref = Rotate(25)(_results(rboxes(rows)))
    for keys in (['gt_ignore_flags'], ['gt_ignore_flags', 'gt_bboxes_labels'],
                 ['gt_ids']):
        res = _results(rboxes(rows))
        res['gt_ids'] = None
        out = Rotate(25, instance_keys=keys)(res)
        assert out['gt_ids'] is None
        np.testing.assert_array_equal(out['gt_ignore_flags'],
                                      ref['gt_ignore_flags'])
        np.testing.assert_array_equal(out['gt_bboxes_labels'],
                                      ref['gt_bboxes_labels'])
        np.testing.assert_array_equal(out['gt_bboxes'].tensor.numpy(),
                                      ref['gt_bboxes'].tensor.numpy())


@pytest.mark.parametrize('cls, kwargs', [
    (Rotate, dict(expand='yes')), (Rotate, dict(clip_border='False')),
    (Rotate, dict(interpolation='cubic')), (Rotate, dict(out_box_type='qbox')),
    (Rotate, dict(img_border_value='black')),
    (Rotate, dict(instance_keys='gt_ids')),
    (RandomRotate, dict(max_redraws=-1)), (RandomRotate, dict(prob='0.5')),
    (SanitizeGT, dict(min_size=-1)),
])
def test_every_bad_option_says_what_it_got(cls, kwargs):
    """One validation for every transform: the message names the option
    and the value it got."""
    (name, value), = kwargs.items()
    with pytest.raises(ValueError, match=name) as err:
        cls(**kwargs)
    assert f'got {value!r}' in str(err.value)
