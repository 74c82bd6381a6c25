"""Vectorised polygon kernels on padded batches.

A batch of polygons is ``pts`` of shape (N, M, 2) with ``counts`` (N,): polygon
``n`` has vertices ``pts[n, :counts[n]]``; the rest is padding. Works on numpy
and torch (see :mod:`rotaug.geometry.backend`).
"""
from typing import Tuple

from .backend import Array, namespace


def _next_index(counts: Array, m: int, xp) -> Array:
    idx = xp.arange(m, counts)[None, :]
    safe = xp.maximum(counts, xp.ones_like(counts))[:, None]
    return idx, (idx + 1) % safe


def polygon_areas(pts: Array, counts: Array) -> Array:
    """Unsigned shoelace areas, shape (N,)."""
    xp = namespace(pts)
    n, m = pts.shape[0], pts.shape[1]
    if n == 0:
        return pts[:, 0, 0] if m else pts.reshape(0)
    idx, nxt = _next_index(counts, m, xp)
    valid = idx < counts[:, None]
    x, y = pts[..., 0], pts[..., 1]
    rows = xp.arange(n, counts)[:, None]
    xn = x[rows, nxt]
    yn = y[rows, nxt]
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
    ``-inf`` for empty polygons)."""
    xp = namespace(values)
    m = values.shape[1]
    idx = xp.arange(m, values)[None, :]
    valid = idx < counts[:, None]
    inf = float('inf')
    lo = xp.amin(xp.where(valid, values, xp.full(values.shape, inf, values)),
                 1) if m else xp.full((values.shape[0], ), inf, values)
    hi = xp.amax(xp.where(valid, values, xp.full(values.shape, -inf, values)),
                 1) if m else xp.full((values.shape[0], ), -inf, values)
    return lo, hi
