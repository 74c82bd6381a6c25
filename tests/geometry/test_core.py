"""The geometry core: conventions, numpy/torch agreement, clipping, refits."""
import math

import numpy as np
import pytest
import torch
from shapely.geometry import Polygon, box as sbox

from rotaug.geometry import (apply_matrix, clip_polygons_to_rect,
                             ellipse_hbox, image_rotation, polygon_areas,
                             rbox_to_poly, regularize_rboxes,
                             rotation_matrix, to_cv2_affine, warp_boxes)


def test_rotation_is_clockwise_about_the_continuous_centre():
    m = rotation_matrix(90, (50.0, 40.0))
    # a point to the right of the centre goes below it (y points down)
    p = apply_matrix(np.array([[[60.0, 40.0]]]), m)[0, 0]
    np.testing.assert_allclose(p, [50.0, 50.0], atol=1e-12)
    m, (w, h) = image_rotation(100, 80, 0)
    np.testing.assert_allclose(m, np.eye(3), atol=1e-12)
    assert (w, h) == (100, 80)


def test_expand_canvas_and_centre():
    m, (w, h) = image_rotation(100, 60, 90, expand=True)
    assert (w, h) == (60, 100)
    corners = np.array([[[0, 0], [100, 0], [100, 60], [0, 60.0]]])
    out = apply_matrix(corners, m)[0]
    np.testing.assert_allclose(out.min(0), [0, 0], atol=1e-9)
    np.testing.assert_allclose(out.max(0), [60, 100], atol=1e-9)
    m, (w, h) = image_rotation(100, 60, 30, expand=True)
    out = apply_matrix(corners, m)[0]
    assert out.min() >= -1e-9 and out[:, 0].max() <= w and \
        out[:, 1].max() <= h
    assert w == math.ceil(100 * math.cos(math.pi / 6) + 60 * 0.5 - 1e-6)


def test_cv2_matrix_moves_pixel_centres_like_the_continuous_matrix():
    import cv2
    img = np.zeros((40, 50), np.uint8)
    img[10, 30] = 255  # pixel centre at continuous (30.5, 10.5)
    m, (w, h) = image_rotation(50, 40, 90, expand=True)
    out = cv2.warpAffine(img, to_cv2_affine(m), (w, h),
                         flags=cv2.INTER_NEAREST)
    ys, xs = np.nonzero(out)
    target = apply_matrix(np.array([[[30.5, 10.5]]]), m)[0, 0]
    assert len(xs) == 1
    np.testing.assert_allclose([xs[0] + 0.5, ys[0] + 0.5], target,
                               atol=1e-9)


def _random_rboxes(rng, n, size=100):
    ctr = rng.uniform(-20, size + 20, (n, 2))
    wh = rng.uniform(0.5, 60, (n, 2))
    t = rng.uniform(-np.pi, np.pi, (n, 1))
    return np.concatenate([ctr, wh, t], 1)


@pytest.mark.parametrize('box_type', ['hbox', 'rbox', 'qbox'])
def test_numpy_and_torch_agree(box_type):
    rng = np.random.default_rng(0)
    rb = _random_rboxes(rng, 300)
    if box_type == 'rbox':
        boxes = rb
    elif box_type == 'qbox':
        boxes = rbox_to_poly(rb).reshape(-1, 8)
    else:
        p = rbox_to_poly(rb)
        boxes = np.concatenate([p.min(1), p.max(1)], 1)
    m, (w, h) = image_rotation(100, 100, 37.5, expand=False)
    a = warp_boxes(boxes, box_type, m, w, h)
    b = warp_boxes(torch.tensor(boxes), box_type, torch.tensor(m), w, h)
    np.testing.assert_allclose(b.boxes.numpy(), a.boxes, atol=1e-9)
    np.testing.assert_allclose(b.visible.numpy(), a.visible, atol=1e-9)
    np.testing.assert_array_equal(b.crossing.numpy(), a.crossing)
    # per-box matrices (the batch path) give the same result
    mm = torch.tensor(m)[None].repeat(len(boxes), 1, 1)
    c = warp_boxes(torch.tensor(boxes), box_type, mm,
                   torch.full((len(boxes), ), float(w), dtype=torch.float64),
                   torch.full((len(boxes), ), float(h), dtype=torch.float64))
    np.testing.assert_allclose(c.boxes.numpy(), a.boxes, atol=1e-9)
    np.testing.assert_allclose(c.visible.numpy(), a.visible, atol=1e-9)


def test_clip_matches_shapely():
    rng = np.random.default_rng(1)
    rb = _random_rboxes(rng, 400)
    poly = rbox_to_poly(rb)
    pts, counts = clip_polygons_to_rect(poly, np.full(len(rb), 4), 100, 80)
    areas = polygon_areas(pts, counts)
    canvas = sbox(0, 0, 100, 80)
    for i in range(len(rb)):
        exact = Polygon(poly[i]).intersection(canvas).area
        assert areas[i] == pytest.approx(exact, abs=1e-7)
        if counts[i]:
            vis = pts[i, :counts[i]]
            assert vis[:, 0].min() >= 0 and vis[:, 0].max() <= 100
            assert vis[:, 1].min() >= 0 and vis[:, 1].max() <= 80


def test_nonconvex_polygon_clip_area():
    # an L shape crossing the right border
    L = np.array([[[80, 10], [120, 10], [120, 20], [90, 20], [90, 60],
                   [80, 60.0]]])
    pts, counts = clip_polygons_to_rect(L, np.array([6]), 100, 100)
    exact = Polygon(L[0]).intersection(sbox(0, 0, 100, 100)).area
    assert polygon_areas(pts, counts)[0] == pytest.approx(exact)


def test_rbox_clip_keeps_orientation_and_is_tight():
    m = np.eye(3)
    # a box at 30 degrees whose right end leaves the image
    rb = np.array([[90.0, 50.0, 40.0, 10.0, math.radians(30)]])
    out = warp_boxes(rb, 'rbox', m, 100, 100).boxes[0]
    assert out[4] == pytest.approx(math.radians(30))
    assert out[3] == pytest.approx(10.0)
    vis = Polygon(rbox_to_poly(rb)[0]).intersection(sbox(0, 0, 100, 100))
    got = Polygon(rbox_to_poly(out[None])[0])
    assert got.contains(vis.buffer(-1e-6))
    # tight: every side of the refit touches the visible polygon
    assert got.area < Polygon(rbox_to_poly(rb)[0]).area
    # and the exact visible polygon along the object's axis has this length
    u = np.array([math.cos(out[4]), math.sin(out[4])])
    proj = np.asarray(vis.exterior.coords) @ u
    assert out[2] == pytest.approx(proj.max() - proj.min())


def test_regularize_matches_mmrotate():
    from mmrotate.structures.bbox import RotatedBoxes
    rng = np.random.default_rng(2)
    rb = _random_rboxes(rng, 500)
    rb[:, 4] = rng.uniform(-4 * np.pi, 4 * np.pi, len(rb))
    for version in ('le90', 'le135', 'oc'):
        ours = regularize_rboxes(rb, version)
        theirs = RotatedBoxes(torch.tensor(rb)).regularize_boxes(version)
        np.testing.assert_allclose(ours, theirs.numpy(), atol=1e-6)
        # same rectangle as the input
        a = rbox_to_poly(ours)
        b = rbox_to_poly(rb)
        for i in range(0, 500, 50):
            assert Polygon(a[i]).symmetric_difference(
                Polygon(b[i])).area < 1e-6
    with pytest.raises(ValueError, match='angle version'):
        regularize_rboxes(rb, 'le45')


def test_ellipse_hbox_is_the_box_of_the_turned_ellipse():
    hb = np.array([[10.0, 20.0, 50.0, 40.0]])
    m = rotation_matrix(33, (0.0, 0.0))
    out = ellipse_hbox(hb, m)[0]
    t = np.linspace(0, 2 * np.pi, 20001)
    pts = np.stack([30 + 20 * np.cos(t), 30 + 10 * np.sin(t)], 1)[None]
    turned = apply_matrix(pts, m)[0]
    np.testing.assert_allclose(out, [*turned.min(0), *turned.max(0)],
                               atol=1e-4)


def test_nonfinite_and_degenerate_are_flagged():
    rb = np.array([[10, 10, 5, 5, 0.0], [np.nan, 1, 1, 1, 0],
                   [10, 10, 0, 5, 0], [np.inf, 0, 1, 1, 0]])
    r = warp_boxes(rb, 'rbox', np.eye(3), 50, 50)
    assert r.finite.tolist() == [True, False, True, False]
    assert r.visible.tolist() == [1.0, 0.0, 0.0, 0.0]
    assert np.isfinite(r.boxes).all()


@pytest.mark.parametrize('linear', [
    [[-1.0, 0.0], [0.0, 1.0]],            # a left-right mirror
    [[0.0, 1.0], [1.0, 0.0]],             # the diagonal mirror
    [[1.5, 0.0], [0.0, 1.5]],             # a uniform scale
    [[0.6, -0.8], [-0.8, -0.6]],          # a turn composed with a mirror
])
def test_map_boxes_is_exact_under_mirrors_and_scales(linear):
    """An rbox under any similarity (mirrors included) is the rbox of its
    mapped corners: the same four points, independently computed; qboxes
    and polygons agree; warp_boxes maps wholly visible rboxes the same."""
    from rotaug.geometry import map_boxes, warp_boxes
    rng = np.random.default_rng(3)
    rb = np.c_[rng.uniform(80, 120, (20, 2)), rng.uniform(2, 30, (20, 2)),
               rng.uniform(-np.pi, np.pi, 20)]
    m = np.eye(3)
    m[:2, :2] = linear
    m[:2, 2] = (500.0, 500.0)  # every box lands inside the canvas
    want = apply_matrix(rbox_to_poly(rb), m)
    got = rbox_to_poly(map_boxes(rb, 'rbox', m, angle_version='le90'))
    # same rectangle: every mapped corner is a corner of the result
    d = np.linalg.norm(want[:, :, None] - got[:, None], axis=-1).min(-1)
    assert d.max() < 1e-9
    q = map_boxes(rbox_to_poly(rb).reshape(-1, 8), 'qbox', m)
    np.testing.assert_allclose(q.reshape(-1, 4, 2), want, atol=1e-9)
    w = warp_boxes(rb, 'rbox', m, 1000, 1000, angle_version='le90')
    np.testing.assert_allclose(rbox_to_poly(w.boxes), got, atol=1e-9)
