"""Objects whose edge lies along the canvas (or source) border to within a
tiny turn (1e-14 to 1e-8 rad): the visible part must be exact.

Such an edge crosses the border at an ill-conditioned point. Cutting each of
the two edges that meet there on its own (the box path's old kernel) leaves a
gap in the boundary and costs up to a few percent of the visible area; the one
clipping kernel computes each crossing once and shares it. Seen through the
public transforms: the visible fraction decides the ignore flag, so an
``ignore_visible_ratio`` a hair (1e-9 relative) above or below the exact
fraction must flag or keep the object."""
from fractions import Fraction

import numpy as np
import pytest
import torch
from mmrotate.structures.bbox import QuadriBoxes, RotatedBoxes

from rotaug.geometry import apply_matrix, image_rotation, rbox_to_poly
from rotaug.geometry.polygon import rect_corners
from rotaug.transforms import Rotate, SanitizeGT

W, H = 100.0, 80.0


def exact_area(subject, *clips):
    """Area of a convex polygon cut by convex polygons, in rational
    arithmetic on the float corners (Sutherland-Hodgman)."""
    def frac(p):
        return [(Fraction(float(x)), Fraction(float(y)))
                for x, y in np.asarray(p, np.float64).reshape(-1, 2)]

    def twice(p):
        return sum(p[i - 1][0] * p[i][1] - p[i][0] * p[i - 1][1]
                   for i in range(len(p))) if len(p) > 2 else Fraction(0)

    poly = frac(subject)
    for clip in clips:
        clip = frac(clip)
        sign = 1 if twice(clip) >= 0 else -1
        for k in range(len(clip)):
            (ax, ay), (bx, by) = clip[k - 1], clip[k]

            def side(p):
                return sign * ((bx - ax) * (p[1] - ay) -
                               (by - ay) * (p[0] - ax))
            pts, poly = poly, []
            for i in range(len(pts)):
                p, q = pts[i - 1], pts[i]
                sp, sq = side(p), side(q)
                if sp >= 0:
                    poly.append(p)
                if (sp > 0 > sq) or (sp < 0 < sq):
                    t = sp / (sp - sq)
                    poly.append((p[0] + t * (q[0] - p[0]),
                                 p[1] + t * (q[1] - p[1])))
    return abs(twice(poly)) / 2


def border_rboxes(seed, n):
    """rboxes (float32-exact) with an edge on the top or bottom border of
    the W x H canvas, turned by 1e-14 to 1e-8 rad, and across a side
    border (a sixth to five sixths visible)."""
    rng = np.random.default_rng(seed)
    w = np.round(rng.uniform(6, 60, n) * 64) / 64
    h = np.round(rng.uniform(6, 60, n) * 64) / 64
    cx = np.round(rng.uniform(-w / 3, w / 3) * 64) / 64
    cx = np.where(rng.random(n) < 0.5, cx, W - cx)
    cy = np.where(rng.random(n) < 0.5, h / 2, H - h / 2)
    t = 10 ** rng.uniform(-14, -8, n) * rng.choice([-1.0, 1.0], n)
    return np.c_[cx, cy, w, h, t].astype(np.float32)


def spanning_rboxes(seed, n):
    """Upright rboxes (float32-exact) on the top or bottom border, from
    beyond one side border to past the middle of the image: turned about
    the image centre by a tiny angle, their edge on the border crosses it
    (at the centre's x)."""
    rng = np.random.default_rng(seed)
    xl = np.round(rng.uniform(-30, -1, n) * 64) / 64
    xr = np.round(rng.uniform(55, 99, n) * 64) / 64
    flip = rng.random(n) < 0.5
    xl, xr = np.where(flip, W - xr, xl), np.where(flip, W - xl, xr)
    h = np.round(rng.uniform(6, 60, n) * 64) / 64
    cy = np.where(rng.random(n) < 0.5, h / 2, H - h / 2)
    return np.c_[(xl + xr) / 2, cy, xr - xl, h,
                 np.zeros(n)].astype(np.float32)


def flagged(transform, boxes, ratio):
    """Kept, and flagged ignore, with ``ignore_visible_ratio=ratio``."""
    transform.planner.options.update(min_visible_ratio=0.0,
                                     ignore_visible_ratio=ratio)
    res = transform(dict(img_shape=(int(H), int(W)), gt_bboxes=boxes,
                         gt_bboxes_labels=np.zeros(1, np.int64),
                         gt_ignore_flags=np.zeros(1, bool)))
    assert len(res['gt_bboxes']) == 1
    return bool(res['gt_ignore_flags'][0])


def check_fraction(transform, make_boxes, frac):
    assert 0 < frac < 1
    assert flagged(transform, make_boxes(), frac * (1 + 1e-9))
    assert not flagged(transform, make_boxes(), frac * (1 - 1e-9))


def test_sanitize_rbox_edge_along_the_border():
    for b in border_rboxes(0, 24):
        poly = rbox_to_poly(b[None].astype(np.float64))
        frac = float(exact_area(poly[0], rect_corners(W, H, poly)[0]) /
                     exact_area(poly[0]))

        def make(b=b):
            return RotatedBoxes(torch.from_numpy(b[None].copy()))
        check_fraction(SanitizeGT(), make, frac)


@pytest.mark.parametrize('box_type', ['rbox', 'qbox'])
@pytest.mark.parametrize('expand', [False, True])
def test_rotate_by_a_tiny_angle(expand, box_type):
    """Upright boxes on the image border turned by 1e-12 to 1e-7 degrees:
    their edge crosses the canvas border and lies on the turned source's
    border, at a tiny angle. (Without a turn, float32 corners multiply
    exactly in float64 and nothing is lost: the turn brings the
    rounding.)"""
    rng = np.random.default_rng(1)
    for angle in (1e-12, -3e-10, 2e-9, -1e-7):
        m, (nw, nh) = image_rotation(int(W), int(H), angle, expand)
        canvas = rect_corners(nw, nh, np.zeros((1, 4, 2)))[0]
        src = apply_matrix(rect_corners(W, H, np.zeros((1, 4, 2))), m)[0]
        for b in spanning_rboxes(int(rng.integers(1 << 30)), 6):
            corners = rbox_to_poly(b[None].astype(np.float64))
            if box_type == 'qbox':
                q = corners.reshape(1, 8).astype(np.float32)
                corners = q.reshape(1, 4, 2).astype(np.float64)

                def make(q=q):
                    return QuadriBoxes(torch.from_numpy(q.copy()))
            else:
                def make(b=b):
                    return RotatedBoxes(torch.from_numpy(b[None].copy()))
            poly = apply_matrix(corners, m)
            frac = float(exact_area(poly[0], src, canvas) /
                         exact_area(poly[0]))
            check_fraction(Rotate(angle, expand=expand), make, frac)
