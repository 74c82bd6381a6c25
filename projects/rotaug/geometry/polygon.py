"""Vectorised polygon kernels on padded batches.

A batch of polygons is ``pts`` of shape (N, M, 2) with ``counts`` (N,): polygon
``n`` has vertices ``pts[n, :counts[n]]``; the rest is padding. Works on numpy
and torch (see :mod:`rotaug.geometry.backend`).
"""
from typing import Tuple

from .backend import Array, namespace


def polygon_areas(pts: Array, counts: Array) -> Array:
    """Unsigned shoelace areas, shape (N,)."""
    xp = namespace(pts)
    n, m = pts.shape[0], pts.shape[1]
    if n == 0:
        return pts[:, 0, 0] if m else pts.reshape(0)
    if m == 0:
        return xp.full((n, ), 0.0, pts)
    valid = xp.arange(m, counts)[None, :] < counts[:, None]
    nxt = cyclic_gather(pts, counts, xp, 0, 1)[:, 1:]
    # about the first vertex: no cancellation far from the origin
    x, y = pts[..., 0] - pts[:, :1, 0], pts[..., 1] - pts[:, :1, 1]
    xn, yn = nxt[..., 0] - pts[:, :1, 0], nxt[..., 1] - pts[:, :1, 1]
    cross = xp.where(valid, x * yn - xn * y, xp.zeros_like(x))
    return xp.abs(xp.sum(cross, 1)) * 0.5


def clip_polygons_to_rect(pts: Array, counts: Array, width: float,
                          height: float) -> Tuple[Array, Array]:
    """Clip polygons to the rectangle ``[0, width] x [0, height]``
    (Sutherland-Hodgman, one half-plane at a time, all polygons at once).

    The subject polygons may be non-convex (the clip window is convex, so the
    result is correct up to zero-area bridges along the border, which change
    neither area nor extent). Returns the clipped padded batch and counts; an
    empty result has count 0. Vertices on the border are exactly on it.
    """
    xp = namespace(pts)
    n = pts.shape[0]
    if n == 0:
        return pts, counts
    def as_bound(b):
        if isinstance(b, (int, float)):
            return float(b)
        return b.reshape(-1)[:, None]

    planes = ((0, 0.0, 1.0), (0, as_bound(width), -1.0), (1, 0.0, 1.0),
              (1, as_bound(height), -1.0))
    rows = xp.arange(n, counts)[:, None]
    for axis, bound, sign in planes:
        m = pts.shape[1]
        if m == 0:
            break
        dc = sign * (pts[..., axis] - bound)
        idx = xp.arange(m, counts)[None, :]
        valid = idx < counts[:, None]
        if not bool((valid & (dc < 0)).any()):
            continue  # no polygon reaches past this side: nothing to cut
        safe = xp.maximum(counts, xp.ones_like(counts))[:, None]
        nxt = (idx + 1) % safe
        cur = pts
        nx = pts[rows, nxt]
        dn = dc[rows, nxt]
        cin = dc >= 0
        cross = valid & (cin != (dn >= 0))
        denom = xp.where(cross, dc - dn, xp.ones_like(dc))
        inter = cur + (dc / denom)[..., None] * (nx - cur)
        # put intersections exactly on the clip line
        inter[..., axis] = bound
        emit_cur = valid & cin
        cand = xp.cat([cur[:, :, None], inter[:, :, None]], 2).reshape(
            n, 2 * m, 2)
        emit = xp.cat([emit_cur[:, :, None], cross[:, :, None]],
                      2).reshape(n, 2 * m)
        order = xp.stable_argsort(~emit, 1)
        counts = xp.to_int(xp.sum(emit, 1))
        new_m = int(xp.item(xp.amax(counts, 0))) if n else 0
        pts = cand[rows, order[:, :new_m]]
    return pts, counts


def masked_extent(values: Array, counts: Array) -> Tuple[Array, Array]:
    """Min and max over the valid entries of ``values`` (N, M) (``+inf`` /
    ``-inf`` for empty polygons). ``counts``: the number of valid leading
    entries per row (N,), a boolean mask (N, M), or None (all valid)."""
    xp = namespace(values)
    m = values.shape[1]
    inf = float('inf')
    if not m:
        return (xp.full((values.shape[0], ), inf, values),
                xp.full((values.shape[0], ), -inf, values))
    if counts is None:
        return xp.amin(values, 1), xp.amax(values, 1)
    if counts.ndim == 2:
        valid = counts
    else:
        valid = xp.arange(m, values)[None, :] < counts[:, None]
    return (xp.masked_amin(values, valid, 1, inf),
            xp.masked_amax(values, valid, 1, -inf))


# ---- polygons whose vertices are all valid -------------------------------
def cyclic_shift(x: Array, xp, step: int = 1) -> Array:
    """``x[:, k + step]`` for every k, cyclically along axis 1 (rows of
    equal length: every vertex valid)."""
    return xp.cat([x[:, step:], x[:, :step]], 1)


def twice_signed_areas(pts: Array) -> Array:
    """Twice the signed shoelace areas of polygons (N, V, 2) whose
    vertices are all valid (no padding), taken about each polygon's first
    vertex; positive for clockwise on screen (y down)."""
    xp = namespace(pts)
    x, y = pts[..., 0] - pts[:, :1, 0], pts[..., 1] - pts[:, :1, 1]
    return xp.sum(x * cyclic_shift(y, xp) - cyclic_shift(x, xp) * y, 1)


def full_polygon_areas(pts: Array) -> Array:
    """Unsigned areas of polygons (N, V, 2) whose vertices are all valid
    (cheaper than :func:`polygon_areas`)."""
    return namespace(pts).abs(twice_signed_areas(pts)) * 0.5


def is_convex(pts: Array) -> Array:
    """Whether each polygon (N, V, 2) (all vertices valid) is convex and
    simple: every turn has the same sign (collinear turns allowed)."""
    xp = namespace(pts)
    e = cyclic_shift(pts, xp) - pts
    en = cyclic_shift(e, xp)
    turn = e[..., 0] * en[..., 1] - e[..., 1] * en[..., 0]
    return xp.all(turn >= 0, 1) | xp.all(turn <= 0, 1)


def rect_corners(width, height, like: Array) -> Array:
    """Corners (N, 4, 2) of the rectangles ``[0, w] x [0, h]`` (scalars, or
    one per row; N = ``like.shape[0]``), in the order (0, 0), (w, 0),
    (w, h), (0, h)."""
    xp = namespace(like)
    n = like.shape[0]
    unit = xp.asarray([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]], like)
    if isinstance(width, (int, float)) and isinstance(height, (int, float)):
        size = xp.asarray([float(width), float(height)], like)
        # a sum, not broadcast_to: numpy's costs tens of microseconds
        return xp.full((n, 1, 1), 0.0, like) + unit * size
    size = xp.stack([width.reshape(-1), height.reshape(-1)], -1)
    return unit[None] * size[:, None, :]


def row_index(pts: Array, xp) -> Array:
    """Column (N, 1) of row numbers, to gather one entry per row."""
    return xp.arange(pts.shape[0], pts)[:, None]


def cyclic_gather(pts: Array, counts: Array, xp, before: int, after: int
          ) -> Array:
    """``pts`` with each row's cycle continued: column ``before + k`` holds
    vertex k, columns around it the vertices ``k - before .. k + after``
    modulo the row's count (one gather for every neighbour wanted)."""
    m = pts.shape[1]
    idx = xp.arange(m + before + after, counts)[None, :] - before
    safe = xp.maximum(counts, xp.ones_like(counts))[:, None]
    return pts[row_index(pts, xp), idx % safe]
