"""Refits: the box of each layout around visible polygons (tight
horizontal box, tightest rotated box at a given angle, the qbox rule), and
the ellipse rule for horizontal boxes of unknown shape."""
from typing import Tuple

from .backend import Array, namespace
from .boxes import apply_matrix, rbox_axes
from .convex import enclosing_quads, simplify_polygons
from .polygon import masked_extent, row_index, twice_signed_areas


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
    # a cut quadrilateral keeps about six of its twelve slots
    poly = xp.trim_padding(poly, cnt, 4)
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
