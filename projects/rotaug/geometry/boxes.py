"""Box kernels: conversions to polygons, tight refits around visible polygons,
angle regularisation and the ellipse rule for horizontal boxes.

Box layouts (as in MMDetection / MMRotate):

- ``hbox``: (x1, y1, x2, y2)
- ``rbox``: (cx, cy, w, h, t), ``t`` in radians, clockwise on screen: the
  horizontal box (cx, cy, w, h) turned by ``t`` about its centre.
- ``qbox``: (x1, y1, ..., x4, y4), the four vertices in order.

All functions take numpy arrays or torch tensors of shape (N, D).
"""
import math
from typing import Tuple

from .backend import Array, namespace
from .polygon import (cyclic_shift, enclosing_quads, masked_extent,
                      row_index, simplify_polygons, twice_signed_areas)

BOX_DIMS = {'hbox': 4, 'rbox': 5, 'qbox': 8}
ANGLE_VERSIONS = ('le90', 'le135', 'oc')


def hbox_to_poly(boxes: Array) -> Array:
    """(N, 4) -> (N, 4, 2): TL, TR, BR, BL."""
    xp = namespace(boxes)
    x1, y1, x2, y2 = (boxes[:, i] for i in range(4))
    return xp.stack([
        xp.stack([x1, y1], -1), xp.stack([x2, y1], -1),
        xp.stack([x2, y2], -1), xp.stack([x1, y2], -1)
    ], 1)


def rbox_axes(t: Array) -> Tuple[Array, Array]:
    """Unit vectors along the box's width (u) and height (v) axes."""
    xp = namespace(t)
    c, s = xp.cos(t), xp.sin(t)
    return xp.stack([c, s], -1), xp.stack([-s, c], -1)


def rbox_to_poly(boxes: Array) -> Array:
    """(N, 5) -> (N, 4, 2), clockwise on screen starting at the box's own
    top-left corner."""
    xp = namespace(boxes)
    c, s = xp.cos(boxes[:, 4:5]), xp.sin(boxes[:, 4:5])
    hw, hh = boxes[:, 2:3] * 0.5, boxes[:, 3:4] * 0.5
    # corner k = centre + a_k * hw * u + b_k * hh * v, u = (c, s), v = (-s, c)
    a = xp.asarray([-1.0, 1.0, 1.0, -1.0], boxes)
    b = xp.asarray([-1.0, -1.0, 1.0, 1.0], boxes)
    ahw, bhh = a * hw, b * hh  # (N, 4)
    x = boxes[:, 0:1] + ahw * c - bhh * s
    y = boxes[:, 1:2] + ahw * s + bhh * c
    return xp.stack([x, y], -1)


def qbox_to_poly(boxes: Array) -> Array:
    """(N, 8) -> (N, 4, 2)."""
    return boxes.reshape(boxes.shape[0], 4, 2)


def boxes_to_poly(boxes: Array, box_type: str) -> Array:
    """Dispatch on ``box_type`` ('hbox', 'rbox' or 'qbox')."""
    if box_type == 'hbox':
        return hbox_to_poly(boxes)
    if box_type == 'rbox':
        return rbox_to_poly(boxes)
    if box_type == 'qbox':
        return qbox_to_poly(boxes)
    raise ValueError(f"unknown box type {box_type!r}: expected one of "
                     f"{tuple(BOX_DIMS)}")


def apply_matrix(pts: Array, matrix: Array) -> Array:
    """Apply an affine 3x3 homography to points (N, K, 2). ``matrix`` is
    (3, 3) for all points or (N, 3, 3), one per polygon."""
    xp = namespace(pts)
    if matrix.ndim == 2:
        a, b = matrix[:2, :2], matrix[:2, 2]
        x = pts[..., 0] * a[0, 0] + pts[..., 1] * a[0, 1] + b[0]
        y = pts[..., 0] * a[1, 0] + pts[..., 1] * a[1, 1] + b[1]
    else:
        a, b = matrix[:, None, :2, :2], matrix[:, None, :2, 2]
        x = pts[..., 0] * a[..., 0, 0] + pts[..., 1] * a[..., 0, 1] + b[..., 0]
        y = pts[..., 0] * a[..., 1, 0] + pts[..., 1] * a[..., 1, 1] + b[..., 1]
    return xp.stack([x, y], -1)


def matrix_angles(matrix: Array) -> Array:
    """Rotation angle(s) of the linear part, radians, clockwise positive."""
    xp = namespace(matrix)
    return xp.atan2(matrix[..., 1, 0], matrix[..., 0, 0])


def fit_hbox(pts: Array, counts: Array) -> Array:
    """Tight horizontal box of each padded polygon."""
    xp = namespace(pts)
    x1, x2 = masked_extent(pts[..., 0], counts)
    y1, y2 = masked_extent(pts[..., 1], counts)
    return xp.stack([x1, y1, x2, y2], -1)


def fit_oriented(pts: Array, counts: Array, u: Array,
                 v: Array) -> Tuple[Array, Array, Array, Array, Array]:
    """Tightest rectangle with axes ``u``, ``v`` (N, 2) around each polygon.

    Returns ``(centre (N, 2), w, h, (umin, umax), (vmin, vmax))``.
    """
    pu = pts[..., 0] * u[:, None, 0] + pts[..., 1] * u[:, None, 1]
    pv = pts[..., 0] * v[:, None, 0] + pts[..., 1] * v[:, None, 1]
    umin, umax = masked_extent(pu, counts)
    vmin, vmax = masked_extent(pv, counts)
    cu, cv = (umin + umax) * 0.5, (vmin + vmax) * 0.5
    centre = u * cu[:, None] + v * cv[:, None]
    return centre, umax - umin, vmax - vmin, (umin, umax), (vmin, vmax)


def fit_rbox(pts: Array, counts: Array, t: Array) -> Array:
    """Tightest rotated box at angle ``t`` (N,) around each polygon: the
    object keeps its orientation, only its extent shrinks to what is seen."""
    xp = namespace(pts)
    u, v = rbox_axes(t)
    centre, w, h, _, _ = fit_oriented(pts, counts, u, v)
    return xp.cat([centre, w[:, None], h[:, None], t[:, None]], 1)


def quad_axes(quads: Array) -> Tuple[Array, Array]:
    """The axes of quadrilaterals (N, 4, 2): ``u`` along the first edge
    (p1 - p0), ``v`` perpendicular to it, pointing to the side of p2."""
    xp = namespace(quads)
    e = quads[:, 1] - quads[:, 0]
    n = xp.sqrt(e[:, 0]**2 + e[:, 1]**2)
    ok = n > 0
    one = xp.ones_like(n)
    u = xp.stack([xp.where(ok, e[:, 0] / xp.where(ok, n, one), one),
                  xp.where(ok, e[:, 1] / xp.where(ok, n, one), 0 * one)], -1)
    v = xp.stack([-u[:, 1], u[:, 0]], -1)
    d = quads[:, 2] - quads[:, 1]
    side = d[:, 0] * v[:, 0] + d[:, 1] * v[:, 1]
    v = xp.where((side < 0)[:, None], -v, v)
    return u, v


def fit_axis_quad(pts: Array, counts: Array, ref_quads: Array) -> Array:
    """The tightest rectangle around each polygon whose sides follow the
    axes of ``ref_quads`` (first edge p0->p1 and its normal, see
    :func:`quad_axes`), vertex k matching vertex k of a rectangular
    reference. :func:`fit_qbox` falls back to it for polygons it cannot
    reduce (fewer than three distinct corners, or not convex)."""
    xp = namespace(pts)
    u, v = quad_axes(ref_quads)
    _, _, _, (umin, umax), (vmin, vmax) = fit_oriented(pts, counts, u, v)

    def corner(a, b):
        return u * a[:, None] + v * b[:, None]

    return xp.stack([corner(umin, vmin), corner(umax, vmin),
                     corner(umax, vmax), corner(umin, vmax)], 1)


def fit_qbox(pts: Array, counts: Array, ref_quads: Array) -> Array:
    """Refit of clipped quadrilaterals, the documented qbox rule.

    ``pts`` (N, M, 2) with ``counts`` are the visible polygons, ordered
    (either orientation); ``ref_quads`` (N, 4, 2) the whole objects after
    mapping. The result (N, 8):

    - a visible polygon with at most four corners is returned as it is
      (a triangle gets the midpoint of its longest side as fourth vertex):
      exact;
    - a larger one gets the quadrilateral around it whose sides lie on
      its own sides, built by removing, one at a time, the side whose
      removal (extending its two neighbours until they meet) adds the
      least area (:func:`~.polygon.enclosing_quads`). A rectangle with a
      corner cut off becomes the rectangle again, or the trapezoid that
      keeps the cut, whichever is smaller;
    - the vertices run in the direction of ``ref_quads`` and start at the
      one nearest to its first vertex (DOTA's first vertex marks the
      object's head).

    Polygons that cannot be reduced (not convex: the visible part of a
    concave, i.e. malformed, annotation; or degenerate) get
    :func:`fit_axis_quad`.
    """
    xp = namespace(pts)
    n = pts.shape[0]
    if n == 0:
        return ref_quads.reshape(0, 8)
    if pts.shape[1] < 3:  # no polygon at all: only the fallback applies
        return fit_axis_quad(pts, counts, ref_quads).reshape(n, 8)
    poly, cnt, convex = simplify_polygons(pts, counts)
    if xp.name == 'numpy':
        # drop the padding no row uses (a cut quadrilateral keeps about
        # six of its twelve slots): narrower arrays, fewer reduction
        # passes (torch keeps the width: no host synchronisation)
        poly = poly[:, :max(int(cnt.max()), 4)]
    quads, ok = enclosing_quads(poly, cnt)
    ok = ok & convex
    if not bool(xp.all(ok, 0)):
        fallback = fit_axis_quad(pts, counts, ref_quads)
        quads = xp.where(ok[:, None, None], quads, fallback)
    # run the way the reference runs, starting next to its first vertex
    turn_q = twice_signed_areas(quads)
    turn_r = twice_signed_areas(ref_quads)
    flip = (turn_q * turn_r) < 0
    rev = quads[:, [0, 3, 2, 1]]
    quads = xp.where(flip[:, None, None], rev, quads)
    d = quads - ref_quads[:, :1]
    k = xp.argmin(d[..., 0]**2 + d[..., 1]**2, 1)[:, None]
    j = xp.arange(4, k)[None, :]
    quads = quads[row_index(quads, xp), (j + k) % 4]
    return quads.reshape(n, 8)


def qbox_sides(quads: Array) -> Tuple[Array, Array]:
    """Length and width of quadrilaterals (N, 4, 2) for the min-size rule:
    the width is the quadrilateral's narrowest extent (across one of its
    sides, the least any box fitted around it can have: a rectangle's
    shorter side, a sliver's thickness), the length its extent along that
    side."""
    xp = namespace(quads)
    e = cyclic_shift(quads, xp) - quads  # side k: vertex k -> k + 1
    en, ep = cyclic_shift(e, xp), cyclic_shift(e, xp, 3)
    ex, ey = e[..., 0], e[..., 1]
    ln2 = ex * ex + ey * ey
    # offsets of the other two vertices from side k, times its length:
    # across it (the turns at its two ends) and along it
    tn = ex * en[..., 1] - ey * en[..., 0]
    tp = ep[..., 0] * ey - ep[..., 1] * ex
    an = ln2 + ex * en[..., 0] + ey * en[..., 1]
    ap = -(ex * ep[..., 0] + ey * ep[..., 1])
    width = (xp.maximum(xp.maximum(tn, tp), 0.0) -
             xp.minimum(xp.minimum(tn, tp), 0.0))
    length = (xp.maximum(xp.maximum(an, ap), ln2) -
              xp.minimum(xp.minimum(an, ap), 0.0))
    has = ln2 > 0
    ln = xp.sqrt(xp.where(has, ln2, 1.0))
    # zero-length sides have no direction: never the narrowest
    width = xp.where(has, width / ln, float('inf'))
    k = xp.argmin(width, 1)[:, None]
    rows = row_index(quads, xp)
    w = width[rows, k][:, 0]
    w = xp.where(xp.isfinite(w), w, xp.zeros_like(w))
    return (length / ln)[rows, k][:, 0], w


def box_sides(boxes: Array, box_type: str) -> Tuple[Array, Array]:
    """Width and height used by the min-size rule (qbox: its length and
    narrowest width, see :func:`qbox_sides`)."""
    if box_type == 'hbox':
        return boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    if box_type == 'rbox':
        return boxes[:, 2], boxes[:, 3]
    return qbox_sides(qbox_to_poly(boxes))


def regularize_rboxes(boxes: Array, version: str = 'le90') -> Array:
    """Bring (cx, cy, w, h, t) into the unique form of an angle version.

    - ``le90``: w >= h, t in [-pi/2, pi/2)
    - ``le135``: w >= h, t in [-pi/4, 3pi/4)
    - ``oc``: t in [-pi/2, 0) (OpenCV's minAreaRect style; w, h swap)
    """
    if version not in ANGLE_VERSIONS:
        raise ValueError(f'unknown angle version {version!r}: expected one '
                         f'of {ANGLE_VERSIONS}')
    xp = namespace(boxes)
    x, y, w, h, t = (boxes[:, i] for i in range(5))
    pi = math.pi
    if version in ('le90', 'le135'):
        start = -pi / 2 if version == 'le90' else -pi / 4
        longer = w >= h
        w2 = xp.where(longer, w, h)
        h2 = xp.where(longer, h, w)
        t2 = xp.where(longer, t, t + pi / 2)
        t2 = (t2 - start) % pi + start
    else:
        start = -pi / 2
        r = (t - start) % pi
        first = r < pi / 2
        w2 = xp.where(first, w, h)
        h2 = xp.where(first, h, w)
        t2 = xp.where(first, r, r - pi / 2) + start
    return xp.stack([x, y, w2, h2, t2], -1)


def ellipse_hbox(boxes: Array, matrix: Array) -> Array:
    """Horizontal box of the image of the ellipse inscribed in each hbox
    (Kalra et al., ICCV 2021): for an affine map with linear part ``A`` the
    half extents are ``sqrt((A00 a)^2 + (A01 b)^2)`` and
    ``sqrt((A10 a)^2 + (A11 b)^2)`` with semi-axes ``a = w/2``, ``b = h/2``."""
    xp = namespace(boxes)
    ctr = (boxes[:, :2] + boxes[:, 2:4]) * 0.5
    a = (boxes[:, 2] - boxes[:, 0]) * 0.5
    b = (boxes[:, 3] - boxes[:, 1]) * 0.5
    new_ctr = apply_matrix(ctr[:, None, :], matrix)[:, 0]
    m = matrix if matrix.ndim == 3 else matrix[None]
    ex = xp.sqrt((m[:, 0, 0] * a)**2 + (m[:, 0, 1] * b)**2)
    ey = xp.sqrt((m[:, 1, 0] * a)**2 + (m[:, 1, 1] * b)**2)
    return xp.stack([new_ctr[:, 0] - ex, new_ctr[:, 1] - ey,
                     new_ctr[:, 0] + ex, new_ctr[:, 1] + ey], -1)
