"""Property-based fuzz: whatever goes in, the output guarantee holds:
every box finite, width and height >= min_size, centre inside the canvas,
every per-instance field the same length."""
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks, PolygonMasks
from mmrotate.structures.bbox import QuadriBoxes, RotatedBoxes

from rotaug.geometry import box_sides
from rotaug.transforms import RandomRotate, Rotate, SanitizeGT

coord = st.one_of(
    st.floats(-300, 300, allow_nan=False, width=32),
    st.sampled_from([0.0, 64.0, 48.0, -0.0, 1e-6, float('nan'),
                     float('inf'), -float('inf'), 1e7, -1e7]))
size = st.one_of(st.floats(0, 400, width=32),
                 st.sampled_from([0.0, 1e-4, 0.5, 1.0, float('nan')]))


@st.composite
def scenes(draw, box_type):
    n = draw(st.integers(0, 12))
    h = draw(st.integers(8, 64))
    w = draw(st.integers(8, 64))
    rows = []
    for _ in range(n):
        if box_type == 'rbox':
            rows.append([draw(coord), draw(coord), draw(size), draw(size),
                         draw(st.floats(-10, 10, width=32))])
        elif box_type == 'qbox':
            rows.append([draw(coord) for _ in range(8)])
        else:
            x1, y1 = draw(coord), draw(coord)
            rows.append([x1, y1, x1 + draw(size), y1 + draw(size)])
    angle = draw(st.one_of(st.floats(-180, 180),
                           st.sampled_from([0.0, 90.0, -90.0, 180.0])))
    expand = draw(st.booleans())
    min_size = draw(st.sampled_from([0.0, 1.0, 2.5]))
    # Rotate; SanitizeGT; RandomRotate, whose unrotated draws must give
    # the same guarantee (seeded: half the images are not turned)
    mode = draw(st.sampled_from(['rotate', 'sanitize', 'random']))
    seed = draw(st.integers(0, 2**32 - 1))
    return rows, h, w, angle, expand, min_size, (mode, seed)


BOX_CLS = {'hbox': HorizontalBoxes, 'rbox': RotatedBoxes,
           'qbox': QuadriBoxes}
DIM = {'hbox': 4, 'rbox': 5, 'qbox': 8}


def check(box_type, rows, h, w, angle, expand, min_size, mode):
    boxes = BOX_CLS[box_type](torch.tensor(
        np.asarray(rows, np.float32).reshape(-1, DIM[box_type])))
    n = len(rows)
    res = dict(img=np.zeros((h, w, 3), np.uint8), img_shape=(h, w),
               gt_bboxes=boxes, gt_bboxes_labels=np.arange(n),
               gt_ignore_flags=np.zeros(n, bool), gt_ids=np.arange(n) * 10)
    mode, seed = mode
    if mode == 'sanitize':
        t = SanitizeGT(min_size=min_size)
    elif mode == 'random':
        np.random.seed(seed)
        t = RandomRotate(prob=0.5, expand=expand, min_size=min_size)
    else:
        t = Rotate(angle, expand=expand, min_size=min_size)
    out = t(res)
    H, W = out['img_shape']
    assert out['img'].shape[:2] == (H, W)
    b = out['gt_bboxes'].tensor.double().numpy()
    m = len(b)
    assert len(out['gt_bboxes_labels']) == len(out['gt_ignore_flags']) == \
        len(out['gt_ids']) == m
    assert t.stats.seen == n and t.stats.kept + t.stats.total_dropped == n
    assert np.isfinite(b).all()
    if m == 0:
        return
    ws, hs = box_sides(b, box_type)
    # float32 storage of the output may round a side by a few ulps
    assert (ws >= min_size * (1 - 1e-5)).all() and (ws > 0).all()
    assert (hs >= min_size * (1 - 1e-5)).all() and (hs > 0).all()
    if box_type == 'hbox':
        c = (b[:, :2] + b[:, 2:]) / 2
    elif box_type == 'rbox':
        c = b[:, :2]
    else:
        c = b.reshape(-1, 4, 2).mean(1)
    tol = 1e-3 * max(H, W)
    assert (c[:, 0] >= -tol).all() and (c[:, 0] <= W + tol).all()
    assert (c[:, 1] >= -tol).all() and (c[:, 1] <= H + tol).all()
    # labels stay in step with the extra field
    np.testing.assert_array_equal(out['gt_ids'], out['gt_bboxes_labels'] * 10)


# 3 box types x 3400 examples: more than 10k random scenes in all
@pytest.mark.parametrize('box_type', ['hbox', 'rbox', 'qbox'])
@settings(max_examples=3400, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_output_guarantee(box_type, data):
    check(box_type, *data.draw(scenes(box_type)))


@st.composite
def mask_scenes(draw):
    """Horizontal boxes with bitmap or polygon masks (boxes derived from
    the masks after the turn): random pixels, random polygons, empty
    masks, masks that disagree with their boxes."""
    n = draw(st.integers(0, 6))
    h, w = draw(st.integers(8, 40)), draw(st.integers(8, 40))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    x1 = rng.uniform(-20, w + 10, n)
    y1 = rng.uniform(-20, h + 10, n)
    boxes = np.stack([x1, y1, x1 + rng.uniform(0, 30, n),
                      y1 + rng.uniform(0, 30, n)], 1)
    if draw(st.booleans()):
        bits = (rng.random((n, h, w)) < rng.uniform(0, 0.3, (n, 1, 1)))
        masks = BitmapMasks(bits.astype(np.uint8), h, w)
    else:
        masks = PolygonMasks([[rng.uniform(-10, max(h, w) + 10, 2 * k)]
                              for k in rng.integers(3, 7, n)], h, w)
    angle = draw(st.floats(-180, 180))
    return boxes, masks, h, w, angle, draw(st.booleans()), draw(
        st.sampled_from([0.0, 1.0, 2.5]))


@settings(max_examples=600, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(scene=mask_scenes())
def test_output_guarantee_with_masks(scene):
    boxes, masks, h, w, angle, expand, min_size = scene
    n = len(boxes)
    res = dict(img=np.zeros((h, w, 3), np.uint8), img_shape=(h, w),
               gt_bboxes=HorizontalBoxes(torch.tensor(boxes,
                                                      dtype=torch.float32)),
               gt_masks=masks, gt_bboxes_labels=np.arange(n))
    t = Rotate(angle, expand=expand, min_size=min_size)
    out = t(res)
    H, W = out['img_shape']
    b = out['gt_bboxes'].tensor.double().numpy()
    assert len(out['gt_masks']) == len(out['gt_bboxes_labels']) == len(
        out['gt_ignore_flags']) == len(b)
    assert out['gt_masks'].height == H and out['gt_masks'].width == W
    assert t.stats.kept + t.stats.total_dropped == n
    assert np.isfinite(b).all()
    assert (b[:, 2] - b[:, 0] >= min_size * (1 - 1e-5)).all()
    assert (b[:, 3] - b[:, 1] >= min_size * (1 - 1e-5)).all()
    assert (b[:, :2] >= -1e-4).all() and (b[:, 2] <= W + 1e-4).all() and \
        (b[:, 3] <= H + 1e-4).all()
