"""The qbox rule (fit_qbox): visible polygons of up to four corners are kept
as they are; larger ones get the quadrilateral on their own sides, built by
removing the side whose removal adds the least area, one at a time. Checked
against shapely and a slow reference of the same rule, on numpy and torch."""
import numpy as np
import pytest
import torch
from shapely.geometry import Polygon, box as sbox

from rotaug.geometry import fit_qbox, rbox_to_poly
from rotaug.geometry.boxes import qbox_sides
from rotaug.geometry.convex import order_convex, simplify_polygons


def _reference_quad(pts):
    """The rule, one polygon at a time, in plain Python."""
    pts = [np.asarray(p, float) for p in pts]
    while len(pts) > 4:
        k, best = len(pts), None
        for i in range(k):
            a, b, c, d = pts[i - 1], pts[i], pts[(i + 1) % k], pts[(i + 2) % k]
            r, s = b - a, c - d
            den = r[0] * s[1] - r[1] * s[0]
            if abs(den) <= 1e-12 * (r @ r + s @ s):
                continue
            q = d - a
            t = (q[0] * s[1] - q[1] * s[0]) / den
            u = (q[0] * r[1] - q[1] * r[0]) / den
            if t < 1 or u < 1:
                continue
            x = a + t * r
            added = Polygon([b, x, c]).area
            if best is None or added < best[0]:
                best = (added, i, x)
        _, i, x = best
        j = (i + 1) % len(pts)
        pts = [x if m == i else p for m, p in enumerate(pts) if m != j]
    return Polygon(pts)


def _scenes(rng, n):
    """Visible parts of objects (rectangles and general convex quads) cut
    by a canvas and a turned source image, as ordered vertex lists."""
    out = []
    canvas = sbox(0, 0, 100, 80)
    while len(out) < n:
        rb = np.r_[rng.uniform(-30, 130, 2), rng.uniform(4, 70, 2),
                   rng.uniform(-3, 3)]
        obj = rbox_to_poly(rb[None])[0]
        if rng.random() < 0.4:  # a general convex quadrilateral
            obj = obj + rng.uniform(-0.2, 0.2, (4, 2)) * rb[2:4].min()
            if not Polygon(obj).convex_hull.equals(Polygon(obj)):
                continue
        if rng.random() < 0.5:
            obj = obj[::-1].copy()  # the other orientation
        src = Polygon(rbox_to_poly(np.array(
            [[50, 40, 110, 95, rng.uniform(-0.6, 0.6)]]))[0])
        vis = Polygon(obj).intersection(canvas).intersection(src)
        if vis.geom_type != 'Polygon' or vis.area < 1e-3:
            continue
        pts = np.asarray(vis.exterior.coords)[:-1]
        out.append((obj, pts, vis))
    return out


def _signed_area(q):
    x, y = q[:, 0], q[:, 1]
    return float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


@pytest.mark.parametrize('backend', ['numpy', 'torch'])
def test_fit_qbox_follows_the_rule(backend):
    scenes = _scenes(np.random.default_rng(3), 400)
    m = max(len(p) for _, p, _ in scenes)
    pts = np.zeros((len(scenes), m, 2))
    counts = np.array([len(p) for _, p, _ in scenes])
    for k, (_, p, _) in enumerate(scenes):
        pts[k, :len(p)] = p
    refs = np.stack([o for o, _, _ in scenes])
    if backend == 'torch':
        out = fit_qbox(torch.from_numpy(pts), torch.from_numpy(counts),
                       torch.from_numpy(refs)).numpy()
        np.testing.assert_allclose(
            out, fit_qbox(pts, counts, refs), atol=1e-9)
    else:
        out = fit_qbox(pts, counts, refs)
    sizes = np.bincount(counts)
    assert sizes[3] > 10 and sizes[4] > 50 and sizes[5:].sum() > 100
    ious = []
    for k, (obj, p, vis) in enumerate(scenes):
        q = out[k].reshape(4, 2)
        quad = Polygon(q)
        assert quad.is_valid
        # contains the visible part, each side on one of its sides
        assert vis.difference(quad).area <= 1e-9 * max(vis.area, 1)
        for i in range(4):
            a, b = q[i], q[(i + 1) % 4]
            if np.linalg.norm(b - a) < 1e-9:
                continue
            nrm = np.array([b[1] - a[1], a[0] - b[0]]) / np.linalg.norm(b - a)
            dist = np.sort(np.abs((p - a) @ nrm))
            assert dist[1] < 1e-6, (k, i, dist[:3])
        if len(p) <= 4:
            assert quad.symmetric_difference(vis).area < 1e-9 * vis.area
        else:
            assert quad.area == pytest.approx(_reference_quad(p).area,
                                              rel=1e-9)
        ious.append(vis.area / quad.area)
        # the object's direction, starting next to its first vertex
        assert _signed_area(q) * _signed_area(obj) > 0
        assert np.argmin(((q - obj[0])**2).sum(1)) == 0
    assert np.mean(ious) > 0.97


def test_order_convex_sorts_shuffled_repeated_vertices():
    rng = np.random.default_rng(0)
    poly = rbox_to_poly(np.array([[20., 30, 40, 10, 0.3]]))[0]
    pts = np.concatenate([poly, poly, poly[:2]])[rng.permutation(10)]
    pad = np.concatenate([pts, np.full((3, 2), 7.0)])[None]
    valid = np.arange(13)[None] < 10
    ordered, counts = order_convex(pad, valid)
    clean, counts, convex = simplify_polygons(ordered, counts)
    assert counts[0] == 4 and convex[0]
    got = Polygon(clean[0, :4])
    assert got.is_valid and got.symmetric_difference(
        Polygon(poly)).area < 1e-9


def test_simplify_drops_points_on_straight_sides():
    sq = np.array([[[0., 0], [5, 0], [10, 0], [10, 10], [10, 10], [0, 10],
                    [0, 4]]])
    pts, counts, convex = simplify_polygons(sq, np.array([7]))
    assert counts[0] == 4 and convex[0]
    np.testing.assert_allclose(pts[0, :4], [[0, 0], [10, 0], [10, 10],
                                            [0, 10]])
    dart = np.array([[[0., 0], [10, 0], [5, 2], [10, 10]]])
    assert not simplify_polygons(dart, np.array([4]))[2][0]


def test_qbox_sides_measure_the_narrowest_extent():
    rect = rbox_to_poly(np.array([[0., 0, 30, 6, 0.7]]))
    length, width = qbox_sides(rect)
    assert length[0] == pytest.approx(30) and width[0] == pytest.approx(6)
    # a sliver 0.2 px thick whose first side is a short slanted one:
    # measured along that side it would look 70 px wide
    sliver = np.array([[[100., 0], [100.2, 0.2], [0.2, 0.2], [0, 0]]])
    length, width = qbox_sides(sliver)
    assert width[0] == pytest.approx(0.2) and length[0] > 100
    t_len, t_wid = qbox_sides(torch.from_numpy(sliver))
    assert float(t_wid[0]) == pytest.approx(float(width[0]))
    point = np.zeros((1, 4, 2))
    assert qbox_sides(point)[1][0] == 0


@pytest.mark.parametrize('expand', [False, True])
def test_warp_boxes_qboxes_contain_their_visible_part(expand):
    """Through the whole box path (object cut to the source image, turned,
    cut to the canvas): general convex quadrilaterals, both orientations."""
    from rotaug.geometry import image_rotation, warp_boxes
    from shapely.affinity import affine_transform
    rng = np.random.default_rng(11 + expand)
    w, h = 160, 120
    ious = []
    for _ in range(20):
        rb = np.c_[rng.uniform(-20, w + 20, (40, 2)),
                   rng.uniform(4, 60, (40, 2)), rng.uniform(-3, 3, 40)]
        q = rbox_to_poly(rb)
        side = rb[:, 2:4].min(1)[:, None, None]
        q += rng.uniform(-0.15, 0.15, q.shape) * side
        q[::2] = q[::2, ::-1]
        convex = np.array([Polygon(p).convex_hull.area - Polygon(p).area
                           < 1e-9 and Polygon(p).is_valid for p in q])
        q = q[convex]
        m, (nw, nh) = image_rotation(w, h, float(rng.uniform(-180, 180)),
                                     expand)
        out = warp_boxes(q.reshape(-1, 8), 'qbox', m, nw, nh,
                         src_width=w, src_height=h)
        coeffs = [m[0, 0], m[0, 1], m[1, 0], m[1, 1], m[0, 2], m[1, 2]]
        for k in np.flatnonzero(out.crossing & (out.visible > 0.05)):
            vis = affine_transform(
                Polygon(q[k]).intersection(sbox(0, 0, w, h)), coeffs
            ).intersection(sbox(0, 0, nw, nh))
            assert out.visible[k] == pytest.approx(
                vis.area / Polygon(q[k]).area, abs=1e-9)
            quad = Polygon(out.boxes[k].reshape(4, 2))
            assert quad.is_valid
            assert vis.difference(quad).area <= 1e-9 * vis.area
            ious.append(vis.area / quad.area)
    assert len(ious) > 150 and np.mean(ious) > 0.97
