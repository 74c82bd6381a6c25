"""Ordered convex polygons and the quadrilaterals around them: the kernels
of the qbox rule (:func:`rotaug.geometry.fit_qbox`).

A clipped quadrilateral annotation is a polygon of up to 12 vertices; a
qbox has four. The rule (see :func:`rotaug.geometry.fit_qbox`): the
visible polygon itself when it has at most four corners, otherwise the
quadrilateral around it found by pushing its sides outwards: an edge is
removed by extending its two neighbours until they meet, always the edge
whose removal adds the least area, until four remain. Every side of the
result lies on a side of the visible polygon, which it contains.
"""
from typing import Tuple

from .backend import Array, namespace
from .polygon import cyclic_gather, cyclic_shift, row_index


def compact_polygons(pts: Array, keep: Array) -> Tuple[Array, Array]:
    """Move the vertices marked ``keep`` (N, M) to the front of each row,
    in order; returns ``(pts, counts)``."""
    xp = namespace(pts)
    order = xp.stable_argsort(~keep, 1)
    return pts[row_index(pts, xp), order], xp.to_int(xp.sum(keep, 1))


def order_convex(pts: Array, valid: Array) -> Tuple[Array, Array]:
    """Sort the valid points (N, K, 2) of each row by their angle about
    their mean: for the vertices (in any order, repeated or not) of a convex
    polygon this is the polygon, clockwise on screen (y down). Returns
    ``(pts, counts)``; repeated vertices stay (see
    :func:`simplify_polygons`)."""
    xp = namespace(pts)
    w = xp.where(valid, xp.ones_like(pts[..., 0]), 0.0)
    cnt = xp.maximum(xp.sum(w, 1), 1.0)[:, None]
    cx = xp.sum(pts[..., 0] * w, 1)[:, None] / cnt
    cy = xp.sum(pts[..., 1] * w, 1)[:, None] / cnt
    ang = xp.atan2(pts[..., 1] - cy, pts[..., 0] - cx)
    order = xp.argsort(xp.where(valid, ang, 10.0), 1)  # invalid last
    return (pts[row_index(pts, xp), order],
            xp.to_int(xp.sum(valid, 1)))


def _cross(a: Array, b: Array) -> Array:
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def simplify_polygons(pts: Array, counts: Array
                      ) -> Tuple[Array, Array, Array]:
    """Remove repeated vertices (all but the first of a run of equal
    ones; a polygon that is one point loses them all) and vertices on a
    straight line between their neighbours (within rounding, relative to
    the coordinates). Returns ``(pts, counts, convex)``: ``convex`` marks
    rows whose remaining turns all have one sign."""
    xp = namespace(pts)
    m = pts.shape[1]
    valid = xp.arange(m, counts)[None, :] < counts[:, None]
    big = xp.where(valid, xp.abs(pts[..., 0]) + xp.abs(pts[..., 1]), 0.0)
    tol = 64.0 * xp.eps(pts) * (xp.amax(big, 1) + 1.0)[:, None]
    ring = cyclic_gather(pts, counts, xp, 1, 1)
    d = pts - ring[:, :m]
    dup = valid & (xp.abs(d[..., 0]) <= tol) & (xp.abs(d[..., 1]) <= tol)
    if xp.maybe_any(dup):
        pts, counts = compact_polygons(pts, valid & ~dup)
        valid = xp.arange(m, counts)[None, :] < counts[:, None]
        ring = cyclic_gather(pts, counts, xp, 1, 1)
    e1 = pts - ring[:, :m]
    e2 = ring[:, 2:] - pts
    l1 = xp.sqrt(e1[..., 0]**2 + e1[..., 1]**2)
    l2 = xp.sqrt(e2[..., 0]**2 + e2[..., 1]**2)
    turn = _cross(e1, e2)
    straight = valid & (counts[:, None] > 3) & (
        xp.abs(turn) <= 1e-9 * l1 * l2 + tol * (l1 + l2))
    if xp.maybe_any(straight):
        pts, counts = compact_polygons(pts, valid & ~straight)
        valid = xp.arange(m, counts)[None, :] < counts[:, None]
        ring = cyclic_gather(pts, counts, xp, 1, 1)
        turn = _cross(pts - ring[:, :m], ring[:, 2:] - pts)
    convex = (xp.all(~valid | (turn >= 0), 1)
              | xp.all(~valid | (turn <= 0), 1))
    return pts, counts, convex


def _split_longest_edge(pts: Array, counts: Array, xp) -> Array:
    """Triangles (rows with ``counts == 3``) get the midpoint of their
    longest edge as a fourth vertex (the same polygon, four corners)."""
    p = pts[:, :3]
    q = cyclic_shift(p, xp)
    e = q - p
    i = xp.argmin(-(e[..., 0]**2 + e[..., 1]**2), 1)[:, None]  # (N, 1)
    mid = (p + q) * 0.5
    mid_i = mid[row_index(pts, xp), i]  # (N, 1, 2)
    j = xp.arange(4, counts)[None, :]
    src = xp.where(j <= i, j, j - 1)
    src = xp.minimum(src, 2 + xp.zeros_like(src))
    out = xp.where((j == i + 1)[..., None], mid_i, p[row_index(pts, xp), src])
    return out


def enclosing_quads(pts: Array, counts: Array
                    ) -> Tuple[Array, Array]:
    """Quadrilaterals (N, 4, 2) around ordered convex polygons (N, M, 2)
    with ``counts`` vertices (see the rule above). Triangles get a vertex
    in the middle of their longest edge; quadrilaterals stay as they are.
    Returns ``(quads, ok)``; ``ok`` is False for rows with fewer than three
    vertices (or a polygon that could not be reduced: not convex)."""
    xp = namespace(pts)
    n, m = pts.shape[0], pts.shape[1]
    if m < 4:
        pad = xp.zeros_like(pts[:, :1]).reshape(n, 1, 2)
        pts = xp.cat([pts] + [pad] * (4 - m), 1)
        m = 4
    ok = counts >= 3
    tri = counts == 3
    if xp.maybe_any(tri):
        fixed = _split_longest_edge(pts, counts, xp)
        pts = xp.cat([xp.where(tri[:, None, None], fixed, pts[:, :4]),
                      pts[:, 4:]], 1)
        counts = xp.where(tri, counts + 1, counts)
    for _ in range(m - 4):
        active = counts > 4
        if not xp.maybe_any(active):
            break
        idx = xp.arange(m, counts)[None, :]
        valid = idx < counts[:, None]
        ring = cyclic_gather(pts, counts, xp, 1, 2)
        a, b, c, d = ring[:, :m], pts, ring[:, 2:m + 2], ring[:, 3:]
        # lines a->b and d->c meet at x = a + t (b - a) = d + u (c - d);
        # edge b-c can go when they meet beyond b and beyond c
        r, s, qd = b - a, c - d, d - a
        den = _cross(r, s)
        # (nearly) parallel neighbours never meet
        meet = xp.abs(den) > 1e-12 * (r[..., 0]**2 + r[..., 1]**2 +
                                      s[..., 0]**2 + s[..., 1]**2)
        safe = xp.where(meet, den, xp.ones_like(den))
        t, u = _cross(qd, s) / safe, _cross(qd, r) / safe
        x = a + t[..., None] * r
        # the triangle b, x, c with x - b = (t - 1) r (no cancellation)
        added = (t - 1.0) * xp.abs(_cross(c - b, r)) * 0.5
        feasible = valid & meet & (t >= 1.0) & (u >= 1.0) & \
            xp.isfinite(added)
        cost = xp.where(feasible, added, float('inf'))
        i = xp.argmin(cost, 1)[:, None]  # (N, 1): the edge b_i - c_i goes
        stuck = active & ~xp.any(feasible, 1)
        ok = ok & ~stuck
        go = active & ~stuck
        rm = (i + 1) % xp.maximum(counts, xp.ones_like(counts))[:, None]
        x_i = x[row_index(pts, xp), i]  # (N, 1, 2)
        moved = xp.where((idx == i)[..., None], x_i, pts)
        keep = ~(idx == rm) | ~go[:, None]
        new_pts, new_counts = compact_polygons(moved, keep & valid)
        pts = xp.where(go[:, None, None], new_pts, pts)
        counts = xp.where(go, new_counts, counts)
    ok = ok & (counts == 4)
    return pts[:, :4], ok
