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
from typing import NamedTuple, Tuple

import numpy as np

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


# ---- the one clipping kernel ---------------------------------------------
# Every convex intersection of rotaug goes through :func:`clip_quads`: the
# box path's visible parts (the object, the turned source image and the
# canvas: :func:`convex_intersection`) and the exact IoU of qboxes
# (:mod:`rotaug.geometry.iou`). The boundary of the intersection is made of
# the part of each edge that lies inside every other quad. Each crossing of
# two edge lines is computed once, as a parameter along the edge of the
# earlier quad, and the later quad's edge reads its own parameter off that
# point: the two boundary pieces that meet there share it, however
# ill-conditioned the crossing (nearly parallel edges), so a rounding error
# slides the point along both lines instead of opening a gap in the
# boundary (a gap costs its length times its lever in area: computed apart,
# two edges 1e-13 rad apart lose up to 0.12 of IoU).

#: |sin| of the angle between two edge lines below which they are parallel
PARALLEL_TOL = 1e-12

_PAIR_CACHE: dict = {}


def _pairs(nq: int):
    """``(first, second, owner)`` for ``nq`` quads: the pairs ``first[p] <
    second[p]``, and for each quad the rows of ``cat([cuts of the first
    quads, cuts of the second])`` that belong to it (Q, Q - 1), or None
    when they are the rows in order."""
    if nq not in _PAIR_CACHE:
        first = [a for a in range(nq) for b in range(a + 1, nq)]
        second = [b for a in range(nq) for b in range(a + 1, nq)]
        k = len(first)
        owner = np.array([[p for p in range(k) if first[p] == q] +
                          [k + p for p in range(k) if second[p] == q]
                          for q in range(nq)])
        if (owner == np.arange(owner.size).reshape(owner.shape)).all():
            owner = None  # in order (three quads): a reshape, no gather
        _PAIR_CACHE[nq] = (first, second, owner)
    return _PAIR_CACHE[nq]


class Clip(NamedTuple):
    """What :func:`clip_quads` returns, edge-first (4, Q, N): edge k of
    quad q starts at ``(ox + x, oy + y)`` (``ox, oy`` (N,): the first
    vertex of the first quad) and runs along ``(dx, dy)``; the part
    ``[lo, hi]`` of it lies on the boundary of the intersection where
    ``seg``. ``sign`` (1, Q, N): the orientation of each quad (+1:
    clockwise on screen, y down); ``cross``: ``x dy - y dx``, each edge's
    term of the shoelace sum."""
    ox: Array
    oy: Array
    x: Array
    y: Array
    dx: Array
    dy: Array
    lo: Array
    hi: Array
    seg: Array
    sign: Array
    cross: Array

    def twice_area(self) -> Array:
        """Twice the area of the intersection (N,) by Green's theorem: a
        part ``[lo, hi]`` of ``p + t d`` adds ``(hi - lo) cross(p, d)``,
        signed by its quad's orientation."""
        xp = namespace(self.x)
        part = (self.hi - self.lo) * self.sign * self.cross
        return xp.sum(xp.where(self.seg, part, 0.0).reshape(
            -1, part.shape[-1]), 0)

    def starts(self) -> Tuple[Array, Array]:
        """The vertices of the intersection (4, Q, N): the start of each
        boundary part, walking one way round (``lo`` on clockwise quads,
        ``hi`` on the others); valid where ``seg``."""
        xp = namespace(self.x)
        t = xp.where(self.sign > 0, self.lo, self.hi)
        return self.ox + self.x + t * self.dx, self.oy + self.y + t * self.dy


def clip_quads(x: Array, y: Array) -> Clip:
    """Intersect, row by row, Q >= 2 convex quadrilaterals (either
    orientation) given by their corners ``x``, ``y`` (Q, 4, N).

    Rules (the same for every caller):

    - Each crossing of an edge line of quad a with one of quad b (a < b) is
      computed once, along a's edge, and b's edge takes the crossing's
      projection on itself (see the text above).
    - Lines parallel to :data:`PARALLEL_TOL` (|sin|) never cross: the side
      of a's edge's start point decides, once for both edges. With the
      same outward side the edge lying inside counts (b's when they
      coincide) and the outer line cuts no edge; with opposite sides both
      count or neither. No tolerance on positions: a point on the line is
      outside a's side and inside b's.
    - An edge shorter than 64 ulp of the row's coordinates is no edge: it
      bounds nothing and is no part of the boundary.
    - Everything is computed about the first vertex of the first quad (no
      cancellation far from the origin).

    Layout: edge-first, (4, Q, N) per quad and (4 edges of a, 4 lines of
    b, P pairs, N) per pair, so that every reduction runs over a leading
    axis (numpy reduces slowly over short inner ones).
    """
    xp = namespace(x)
    nq = x.shape[0]
    if nq < 2:
        raise ValueError(f'clip_quads needs at least two quads, got {nq}')
    n = x.shape[2]
    # (4, Q, N), edge-first in memory too: every array below follows the
    # layout of these two, and reductions over a leading axis run four
    # times slower when the rows are the outer axis in memory
    x = xp.contiguous(xp.permute(x, (1, 0, 2)))
    y = xp.contiguous(xp.permute(y, (1, 0, 2)))
    ox, oy = x[0, 0], y[0, 0]
    mag = xp.maximum(xp.amax(xp.abs(x).reshape(-1, n), 0),
                     xp.amax(xp.abs(y).reshape(-1, n), 0))
    tol_len = 64.0 * xp.eps(x) * (mag + 1.0)
    x, y = x - ox, y - oy
    dx = xp.cat([x[1:], x[:1]], 0) - x
    dy = xp.cat([y[1:], y[:1]], 0) - y
    # orientation: the shoelace sign (edges about the quad's first vertex)
    shoelace = x * dy - y * dx
    sign = xp.where(xp.sum(shoelace, 0)[None] >= 0, 1.0, -1.0)
    len2 = dx * dx + dy * dy
    length = xp.sqrt(len2)
    deg = length <= tol_len
    if nq == 2:
        a, b, owner = slice(0, 1), slice(1, 2), None
    else:
        a, b, owner = _pairs(nq)
        if owner is not None:
            owner = xp.from_numpy(owner, x)

    def pa(v):  # (4, Q, N) -> (4, 1, P, N): the first quad's edge i
        return v[:, a][:, None]

    def pb(v):  # (., Q, N) -> (1, ., P, N): the second quad's line j
        return v[:, b][None]

    if nq == 2:  # views
        px, py, ddx, ddy, len_a = (pa(v) for v in (x, y, dx, dy, length))
        qx, qy, ex, ey, len_b, len2_b = (pb(v) for v in (x, y, dx, dy,
                                                          length, len2))
    else:  # one gather per side (a gather costs a call, as a product)
        every = xp.stack([x, y, dx, dy, length, len2], 0)
        px, py, ddx, ddy, len_a = every[:5, :, a][:, :, None]
        qx, qy, ex, ey, len_b, len2_b = every[:, None][:, :, :, b]
    sgn_a, sgn_b = pa(sign), pb(sign)
    wx, wy = px - qx, py - qy
    # g: the side of a's start point from b's line j (> 0: inside b); h:
    # its rate along a's edge
    hr = ex * ddy - ey * ddx
    g = (ex * wy - ey * wx) * sgn_b
    h = hr * sgn_b
    par = xp.abs(hr) <= PARALLEL_TOL * (len_a * len_b)
    # the rules for parallel lines and short edges only where a row has
    # them (always on torch: no host synchronisation); elsewhere every
    # pair of lines crosses and the masks and guards below select nothing
    any_par, any_deg = xp.maybe_any(par), xp.maybe_any(deg)
    t = -g / (xp.where(par, 1.0, h) if any_par else h)
    de = ddx * ex + ddy * ey
    r = (wx * ex + wy * ey + t * de) / (
        xp.where(pb(deg), 1.0, len2_b) if any_deg else len2_b)
    # b's edge j enters a where its side from a's line i,
    # sign_a cross(d_i, X - p_i), rises: where sign_a hr < 0
    kh = hr * sgn_a
    out_a = out_b = None
    if any_par or any_deg:
        deg_a, deg_b = pa(deg), pb(deg)
        cross = ~(par | deg_a | deg_b)
        if any_par:
            par_a, par_b = par & ~deg_b, par & ~deg_a
            same = de * sgn_a * sgn_b > 0  # the same outward side
            # a line parallel to a line of another quad with the same
            # outward side, and outside it, bounds nothing that one does
            # not: it cuts no edge (else two nearly equal lines would cut
            # a third nearly parallel one at two points apart by their
            # rounding over the sine)
            red = _per_quad(xp.any(par_a & same & (g <= 0), 1),
                            xp.any(par_b & same & (g > 0), 0), owner,
                            xp.any, xp, nq)
            cut_a, cut_b = cross & ~pb(red), cross & ~pa(red)
            out_a = xp.any(par_a & (g <= 0), 1)
            out_b = xp.any(par_b & xp.where(same, g > 0, g <= 0), 0)
        else:
            cut_a = cut_b = cross
        # a's edge i enters b where h > 0, leaves where h < 0
        enter_a, leave_a = cut_a & (h > 0), cut_a & (h < 0)
        enter_b, leave_b = cut_b & (kh < 0), cut_b & (kh > 0)
    else:
        enter_a, leave_a, enter_b, leave_b = h > 0, h < 0, kh < 0, kh > 0
    lo_a = xp.masked_amax(t, enter_a, 1, 0.0)
    hi_a = xp.masked_amin(t, leave_a, 1, 1.0)
    lo_b = xp.masked_amax(r, enter_b, 0, 0.0)
    hi_b = xp.masked_amin(r, leave_b, 0, 1.0)
    if out_a is not None:
        # an edge outside: an empty part (lo >= 0)
        hi_a = xp.where(out_a, -1.0, hi_a)
        hi_b = xp.where(out_b, -1.0, hi_b)
    lo = _per_quad(lo_a, lo_b, owner, xp.amax, xp, nq)
    hi = _per_quad(hi_a, hi_b, owner, xp.amin, xp, nq)
    seg = (~deg & (hi > lo)) if any_deg else hi > lo
    return Clip(ox, oy, x, y, dx, dy, lo, hi, seg, sign, shoelace)


def _per_quad(of_a: Array, of_b: Array, owner, reduce, xp,
              nq: int) -> Array:
    """Per quad (4, Q, N), the ``reduce`` of what the pairs (4, P, N)
    found for its edges as first (``of_a``) and as second (``of_b``)
    quad (``owner``: see :func:`_pairs`)."""
    both = xp.cat([of_a, of_b], 1)
    if nq == 2:  # one pair: one row per quad
        return both
    if owner is None:
        return reduce(both.reshape(both.shape[0], nq, nq - 1,
                                   both.shape[-1]), 2)
    return reduce(both[:, owner], 2)


def convex_intersection(quads, width=None, height=None
                        ) -> Tuple[Array, Array, Array]:
    """Intersect, row by row, convex quadrilaterals given as a list of
    (N, 4, 2) arrays (either orientation; e.g. the object, the turned source
    image and the canvas) with :func:`clip_quads`.

    Returns ``(pts, valid, area)``: ``pts`` (N, E, 2) (E = 4 x
    len(quads)) are the vertices of the intersection, each once (the start
    of each boundary part, walking one way round; vertices closer than
    rounding may repeat), in no particular order; ``valid`` (N, E) marks
    the real ones; ``area`` (N,). Their extent along any axis is the
    intersection's (:func:`~.polygon.masked_extent` takes ``valid``);
    :func:`order_convex` puts them in order. With ``width``/``height``
    (when the canvas ``[0, w] x [0, h]`` is one of the quads) the points
    are clamped onto it, so points on its border lie exactly on it.
    """
    if len(quads) < 2:
        raise ValueError('convex_intersection needs at least two quads, got '
                         f'{len(quads)}')
    xp = namespace(quads[0])
    q = xp.permute(xp.stack(quads, 0), (0, 2, 3, 1))  # (Q, 4, 2, N)
    c = clip_quads(q[:, :, 0], q[:, :, 1])
    e, n = 4 * len(quads), q.shape[3]
    xs, ys = c.starts()  # (4, Q, N)
    if width is not None:
        xs = xp.minimum(xp.maximum(xs, 0.0), _row(width, xs, xp))
        ys = xp.minimum(xp.maximum(ys, 0.0), _row(height, ys, xp))
    area = xp.abs(c.twice_area()) * 0.5
    # (N, E, 2) views whose second axis is the outer one: the refits
    # reduce fast over it
    pts = xp.permute(xp.stack([xs, ys], -1).reshape(e, n, 2), (1, 0, 2))
    return pts, xp.permute(c.seg.reshape(e, n), (1, 0)), area


def _row(b, like: Array, xp):
    if isinstance(b, (int, float)):
        return float(b)  # both namespaces take a number
    return xp.cast_like(b.reshape(-1)[None, :], like)
