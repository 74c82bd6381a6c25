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
    nxt = _ring(pts, counts, xp, 0, 1)[:, 1:]
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


# ---- intersections of convex polygons ----------------------------------
# The boxes of rotaug (hbox, rbox and convex qbox) are convex, and so are the
# canvas and the turned source image. Their intersection is found in one
# fixed set of array operations (Cyrus-Beck): each edge of each polygon is
# cut to the segment that lies inside all the others; these segments are
# the boundary of the intersection, so their end points give its extent
# along any axis and their cross products its area (Green's theorem). No
# per-side passes, no sorting, no gathers: cheap on the CPU, and free of
# host synchronisation on a GPU.

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


_OWNER_CACHE: dict = {}


def _owners(nq: int, like: Array, xp):
    """Static tables for ``nq`` quads of 4 edges each (E = 4 nq edges,
    numbered quad by quad): ``others`` (Q, K), the K = E - 4 edges of the
    other quads, whose half-planes cut quad q's edges; ``earlier`` (Q, K,
    1, 1), that edge belongs to an earlier quad than q; ``quad`` (E,), the
    quad of each edge."""
    key = (nq, xp.name, str(getattr(like, 'device', '')))
    if key not in _OWNER_CACHE:
        import numpy as np
        quad = np.repeat(np.arange(nq), 4)
        others = np.stack([np.flatnonzero(quad != q) for q in range(nq)])
        earlier = (quad[others] < np.arange(nq)[:, None])[:, :, None, None]
        if xp.name == 'torch':
            import torch
            others, earlier, quad = (torch.as_tensor(a, device=like.device)
                                     for a in (others, earlier, quad))
        _OWNER_CACHE[key] = (others, earlier, quad)
    return _OWNER_CACHE[key]


def convex_intersection(quads, width=None, height=None
                        ) -> Tuple[Array, Array, Array]:
    """Intersect, row by row, convex quadrilaterals given as a list of
    (N, 4, 2) arrays (either orientation; e.g. the object, the turned source
    image and the canvas).

    Returns ``(pts, valid, area)``: ``pts`` (N, E, 2) (E = 4 x
    len(quads)) are the vertices of the intersection, each once (the start
    of each boundary segment, walking one way round; vertices closer than
    rounding may repeat), in no particular order; ``valid`` (N, E) marks
    the real ones; ``area`` (N,). Their extent along any axis is the
    intersection's (:func:`masked_extent` takes ``valid``);
    :func:`order_convex` puts them in order. With ``width``/``height``
    (when the canvas ``[0, w] x [0, h]`` is one of the quads) the points
    are clamped onto it, so points on its border lie exactly on it. An
    edge lying on an edge of an earlier quad, with the same outward side,
    is counted once (within a rounding tolerance relative to the
    coordinates).
    """
    if len(quads) < 2:
        raise ValueError('convex_intersection needs at least two quads, got '
                         f'{len(quads)}')
    xp = namespace(quads[0])
    # edge-first layout (E, N): numpy reduces fast over leading axes, and
    # the points come back as (N, 2E, 2) views whose second axis is the
    # outer one, so that the refits reduce fast too
    q = xp.stack([xp.permute(x, (1, 0, 2)) for x in quads], 0)  # Q,4,N,2
    nq, n = q.shape[0], q.shape[2]
    e = 4 * nq
    nxt = xp.cat([q[:, 1:], q[:, :1]], 1)
    # orientation of each quad (shoelace sign), spread over its edges
    cross = q[..., 0] * nxt[..., 1] - nxt[..., 0] * q[..., 1]
    twice_area = xp.sum(cross, 1)  # (Q, N)
    sign = xp.where(twice_area >= 0, xp.ones_like(twice_area),
                    -xp.ones_like(twice_area))
    others, earlier, quad_of_edge = _owners(nq, q, xp)
    edge_sign = sign[quad_of_edge]  # (E, N)
    px, py = q[..., 0].reshape(e, n), q[..., 1].reshape(e, n)
    dx, dy = nxt[..., 0].reshape(e, n) - px, nxt[..., 1].reshape(e, n) - py
    length = xp.sqrt(dx * dx + dy * dy)
    has_len = length > 0
    inv = xp.where(has_len, edge_sign / xp.where(has_len, length, 1.0), 0.0)
    nx, ny = dy * inv, -dx * inv  # unit outward normals (0: no edge)
    c = nx * px + ny * py

    # the edges of quad q (axis 0, and axis 2 within the quad) against the
    # half-planes of the other quads' edges (axis 1), row n (axis 3); a
    # quad's own half-planes never cut its edges (it is convex):
    # p + t d lies inside h iff t * denom <= num
    def edges(a):  # (E, N) -> (Q, 1, 4, N)
        return a.reshape(nq, 1, 4, n)

    def planes(a):  # (E, N) -> (Q, K, 1, N)
        return a[others][:, :, None]

    nxh, nyh, ch = planes(nx), planes(ny), planes(c)
    pxe, pye, dxe, dye = edges(px), edges(py), edges(dx), edges(dy)
    denom = nxh * dxe + nyh * dye
    num = ch - (nxh * pxe + nyh * pye)
    # rounding tolerance of num: relative to the size of the coordinates
    # involved (the constraint's point and the edge's)
    eps64 = 64.0 * xp.eps(px)
    mag = eps64 * (xp.abs(px) + xp.abs(py) + length + 1.0)
    tol = planes(mag) + edges(mag)
    par = xp.abs(denom) <= eps64 * edges(length)
    ratio = num / xp.where(par, 1.0, denom)
    live = ~par
    t0 = xp.masked_amax(ratio, live & (denom < 0), 1, 0.0).reshape(e, n)
    t1 = xp.masked_amin(ratio, live & (denom > 0), 1, 1.0).reshape(e, n)
    blocked = xp.any(par & (num < -tol), 1).reshape(e, n)
    seg = has_len & ~blocked & (t1 > t0)
    on_line = par & earlier & (xp.abs(num) <= tol)
    if xp.name != 'numpy' or bool(on_line.any()):
        # an edge on an edge of an earlier quad with the same outward
        # side: counted there already
        same_side = (nxh * edges(nx) + nyh * edges(ny)) > 0
        seg = seg & ~xp.any(on_line & same_side, 1).reshape(e, n)
    valid = xp.cat([seg, seg], 0)
    ts = xp.where(valid, xp.cat([t0, t1], 0), 0.0)
    xs = xp.cat([px, px], 0) + ts * xp.cat([dx, dx], 0)
    ys = xp.cat([py, py], 0) + ts * xp.cat([dy, dy], 0)
    if width is not None:
        xs = xp.minimum(xp.maximum(xs, 0.0), _row(width, xs, xp))
        ys = xp.minimum(xp.maximum(ys, 0.0), _row(height, ys, xp))
    # Green's theorem about the row's first vertex (no cancellation far
    # from the origin)
    rx, ry = xs - px[:1], ys - py[:1]
    area2 = xp.where(seg, edge_sign * (rx[:e] * ry[e:] - rx[e:] * ry[:e]),
                     0.0)
    area = xp.abs(xp.sum(area2, 0)) * 0.5
    # walking the boundary one way round, every vertex starts exactly one
    # segment: keep the starts (t0 on edges of quads that turn that way,
    # t1 on the others)
    first = edge_sign > 0
    sx = xp.where(first, xs[:e], xs[e:])
    sy = xp.where(first, ys[:e], ys[e:])
    pts = xp.permute(xp.stack([sx, sy], -1), (1, 0, 2))
    return pts, seg.T, area


def _row(b, like: Array, xp):
    if isinstance(b, (int, float)):
        return xp.full((1, 1), float(b), like)
    b = b.reshape(-1)[None, :]
    return b.to(like.dtype) if xp.name == 'torch' else b


# ---- ordered convex polygons and their enclosing quadrilaterals ----------
# A clipped quadrilateral annotation is a polygon of up to 12 vertices; a
# qbox has four. The rule (see :func:`rotaug.geometry.fit_qbox`): the
# visible polygon itself when it has at most four corners, otherwise the
# quadrilateral around it found by pushing its sides outwards: an edge is
# removed by extending its two neighbours until they meet, always the edge
# whose removal adds the least area, until four remain. Every side of the
# result lies on a side of the visible polygon, which it contains.

def row_index(pts: Array, xp) -> Array:
    """Column (N, 1) of row numbers, to gather one entry per row."""
    return xp.arange(pts.shape[0], pts)[:, None]


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


def _ring(pts: Array, counts: Array, xp, before: int, after: int
          ) -> Array:
    """``pts`` with each row's cycle continued: column ``before + k`` holds
    vertex k, columns around it the vertices ``k - before .. k + after``
    modulo the row's count (one gather for every neighbour wanted)."""
    m = pts.shape[1]
    idx = xp.arange(m + before + after, counts)[None, :] - before
    safe = xp.maximum(counts, xp.ones_like(counts))[:, None]
    return pts[row_index(pts, xp), idx % safe]


def _cross(a: Array, b: Array) -> Array:
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def _any(mask: Array, xp) -> bool:
    """Whether any entry is set; always True on torch (no host sync: the
    work it guards is the identity when nothing is set)."""
    return xp.name != 'numpy' or bool(mask.any())


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
    ring = _ring(pts, counts, xp, 1, 1)
    d = pts - ring[:, :m]
    dup = valid & (xp.abs(d[..., 0]) <= tol) & (xp.abs(d[..., 1]) <= tol)
    if _any(dup, xp):
        pts, counts = compact_polygons(pts, valid & ~dup)
        valid = xp.arange(m, counts)[None, :] < counts[:, None]
        ring = _ring(pts, counts, xp, 1, 1)
    e1 = pts - ring[:, :m]
    e2 = ring[:, 2:] - pts
    l1 = xp.sqrt(e1[..., 0]**2 + e1[..., 1]**2)
    l2 = xp.sqrt(e2[..., 0]**2 + e2[..., 1]**2)
    turn = _cross(e1, e2)
    straight = valid & (counts[:, None] > 3) & (
        xp.abs(turn) <= 1e-9 * l1 * l2 + tol * (l1 + l2))
    if _any(straight, xp):
        pts, counts = compact_polygons(pts, valid & ~straight)
        valid = xp.arange(m, counts)[None, :] < counts[:, None]
        ring = _ring(pts, counts, xp, 1, 1)
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
    if _any(tri, xp):
        fixed = _split_longest_edge(pts, counts, xp)
        pts = xp.cat([xp.where(tri[:, None, None], fixed, pts[:, :4]),
                      pts[:, 4:]], 1)
        counts = xp.where(tri, counts + 1, counts)
    for _ in range(m - 4):
        active = counts > 4
        if not _any(active, xp):
            break
        idx = xp.arange(m, counts)[None, :]
        valid = idx < counts[:, None]
        ring = _ring(pts, counts, xp, 1, 2)
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
