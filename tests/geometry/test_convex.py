"""The convex-intersection kernel behind the box path (Cyrus-Beck): exact
against shapely, both array types, edges that coincide, and the fallback for
self-intersecting quadrilaterals in ``warp_boxes``."""
import numpy as np
import pytest
import torch
from shapely.geometry import Polygon, box as sbox

from rotaug.geometry import (apply_matrix, image_rotation, masked_extent,
                             rbox_to_poly, warp_boxes)
from rotaug.geometry.convex import convex_intersection
from rotaug.geometry.polygon import is_convex, rect_corners


def _quads(rng, n, lo=-30, hi=130):
    rb = np.c_[rng.uniform(lo, hi, (n, 2)), rng.uniform(0.5, 60, (n, 2)),
               rng.uniform(-3, 3, n)]
    # axis-aligned boxes whose edges lie exactly on the canvas border
    rb[:60, 4] = 0.0
    rb[:30, 0] = rb[:30, 2] / 2
    rb[30:60, 1] = 80 - rb[30:60, 3] / 2
    q = rbox_to_poly(rb)
    q[100:150] = q[100:150, ::-1]  # the other orientation
    return q


def _check(pts, valid, area, ref):
    pts, valid, area = (np.asarray(x) for x in (pts, valid, area))
    for k, poly in enumerate(ref):
        assert area[k] == pytest.approx(poly.area, abs=1e-8)
        if poly.area > 1e-9:
            v = pts[k][valid[k]]
            np.testing.assert_allclose(
                [v[:, 0].min(), v[:, 1].min(), v[:, 0].max(), v[:, 1].max()],
                poly.bounds, atol=1e-8)


@pytest.mark.parametrize('backend', ['numpy', 'torch'])
def test_object_and_canvas_match_shapely(backend):
    q = _quads(np.random.default_rng(0), 300)
    canvas = rect_corners(100, 80, q)
    args = [q, canvas]
    if backend == 'torch':
        args = [torch.tensor(np.ascontiguousarray(a)) for a in args]
    pts, valid, area = convex_intersection(args, 100, 80)
    ref = [Polygon(p).intersection(sbox(0, 0, 100, 80)) for p in q]
    _check(pts, valid, area, ref)
    # clamped onto the canvas: nothing outside it, not even by rounding
    pts = np.asarray(pts)
    assert pts[..., 0].min() >= 0 and pts[..., 0].max() <= 100
    assert pts[..., 1].min() >= 0 and pts[..., 1].max() <= 80


def test_three_quads_turned_source_and_canvas():
    rng = np.random.default_rng(1)
    q = _quads(rng, 300)
    for angle in (90.0, 33.0, -120.0):
        m, (w, h) = image_rotation(100, 100, angle, expand=True)
        obj = apply_matrix(q, m)
        src = apply_matrix(rect_corners(100, 100, q), m)
        pts, valid, area = convex_intersection(
            [obj, src, rect_corners(w, h, q)], w, h)
        ref = [Polygon(a).intersection(Polygon(b)).intersection(
            sbox(0, 0, w, h)) for a, b in zip(obj, src)]
        _check(pts, valid, area, ref)


def test_a_single_quad_is_an_error():
    q = _quads(np.random.default_rng(0), 3)
    with pytest.raises(ValueError, match='at least two quads'):
        convex_intersection([q])


def test_identical_and_touching_quads():
    q = _quads(np.random.default_rng(2), 100)
    # a quad with itself: its own area, each edge counted once
    _, _, area = convex_intersection([q, q.copy()])
    np.testing.assert_allclose(area, [Polygon(p).area for p in q], rtol=1e-9)
    # two unit squares sharing an edge: zero area
    a = np.array([[[0, 0], [1, 0], [1, 1], [0, 1.0]]])
    b = a + np.array([1.0, 0])
    _, _, area = convex_intersection([a, b])
    assert area[0] == pytest.approx(0.0, abs=1e-12)


def test_far_from_the_origin():
    # tolerances follow the size of the coordinates, not of a canvas
    q = _quads(np.random.default_rng(3), 100) + np.array([1e6, -3e6])
    _, _, area = convex_intersection([q, q.copy()])
    np.testing.assert_allclose(area, [Polygon(p).area for p in q], rtol=1e-6)
    a = np.array([[[0, 0], [1, 0], [1, 1], [0, 1.0]]]) * 50 + 1e7
    _, _, area = convex_intersection([a, a + np.array([50.0, 0])])
    assert area[0] == pytest.approx(0.0, abs=1e-6)
    _, _, area = convex_intersection([a, a + np.array([25.0, 0])])
    assert area[0] == pytest.approx(1250.0, rel=1e-9)


def test_masked_extent_takes_a_mask_or_counts():
    v = np.array([[3.0, 1.0, 7.0, -5.0]])
    lo, hi = masked_extent(v, np.array([[True, True, True, False]]))
    assert (lo[0], hi[0]) == (1.0, 7.0)
    lo, hi = masked_extent(v, np.array([2]))
    assert (lo[0], hi[0]) == (1.0, 3.0)
    lo, hi = masked_extent(v, None)
    assert (lo[0], hi[0]) == (-5.0, 7.0)


def test_self_intersecting_qbox_falls_back_to_polygon_clipping():
    bow = np.array([[-20.0, 10, 40, 50, 40, 10, -20, 50]])  # a bow tie
    assert not is_convex(bow.reshape(1, 4, 2))[0]
    out = warp_boxes(bow, 'qbox', np.eye(3), 100, 100)
    # the shoelace area of a symmetric bow tie cancels: it is degenerate
    # and flagged invisible rather than crashing or giving a nan
    assert np.isfinite(out.boxes).all()
    assert out.visible[0] == 0.0
    # a convex qbox crossing the border goes the fast way and is exact
    quad = np.array([[-20.0, 10, 40, 10, 40, 50, -20, 50]])
    out = warp_boxes(quad, 'qbox', np.eye(3), 100, 100)
    assert out.visible[0] == pytest.approx(40 * 40 / (60 * 40))


def test_concave_qbox_is_clipped_exactly():
    # an arrowhead (concave, simple) crossing the left border
    arrow = np.array([[-20.0, 0, 40, 20, -20, 40, -5, 20]])
    assert not is_convex(arrow.reshape(1, 4, 2))[0]
    out = warp_boxes(arrow, 'qbox', np.eye(3), 100, 100)
    poly = Polygon(arrow.reshape(4, 2))
    exact = poly.intersection(sbox(0, 0, 100, 100)).area / poly.area
    assert out.visible[0] == pytest.approx(exact, rel=1e-9)
