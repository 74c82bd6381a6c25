"""Vectorised polygon kernels on padded batches.

A batch of polygons is ``pts`` of shape (N, M, 2) with ``counts`` (N,): polygon
``n`` has vertices ``pts[n, :counts[n]]``; the rest is padding. Works on numpy
and torch (see :mod:`rotaug.geometry.backend`).
"""
from typing import NamedTuple, Tuple

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
        others, earlier, quad = (xp.from_numpy(a, like)
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
    ed = _edge_table(quads, xp)
    t0, t1, seg = _cut_edges(ed, xp)
    e, px, py, dx, dy = ed.e, ed.px, ed.py, ed.dx, ed.dy
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
    area2 = xp.where(seg,
                     ed.sign * (rx[:e] * ry[e:] - rx[e:] * ry[:e]), 0.0)
    area = xp.abs(xp.sum(area2, 0)) * 0.5
    # walking the boundary one way round, every vertex starts exactly one
    # segment: keep the starts (t0 on edges of quads that turn that way,
    # t1 on the others)
    first = ed.sign > 0
    sx = xp.where(first, xs[:e], xs[e:])
    sy = xp.where(first, ys[:e], ys[e:])
    pts = xp.permute(xp.stack([sx, sy], -1), (1, 0, 2))
    return pts, seg.T, area


class _EdgeTable(NamedTuple):
    """The E = 4 Q edges of Q quads over N rows, edge-first (E, N): start
    ``(px, py)``, direction ``(dx, dy)``, ``length``, unit outward normal
    ``(nx, ny)`` (0 for an edge of no length), offset ``c`` of its line,
    the orientation ``sign`` of its quad, and the tables of
    :func:`_owners`."""
    nq: int
    n: int
    e: int
    px: Array
    py: Array
    dx: Array
    dy: Array
    length: Array
    nx: Array
    ny: Array
    c: Array
    sign: Array
    others: Array
    earlier: Array


def _edge_table(quads, xp) -> _EdgeTable:
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
    return _EdgeTable(nq, n, e, px, py, dx, dy, length, nx, ny, c,
                      edge_sign, others, earlier)


def _cut_edges(ed: _EdgeTable, xp) -> Tuple[Array, Array, Array]:
    """``(t0, t1, seg)`` (E, N): the part ``[t0, t1]`` of each edge that
    lies inside every other quad, and whether it is a segment of the
    boundary of the intersection.

    The edges of quad q (axis 0, and axis 2 within the quad) meet the
    half-planes of the other quads' edges (axis 1), row n (axis 3); a
    quad's own half-planes never cut its edges (it is convex):
    ``p + t d`` lies inside a half-plane iff ``t * denom <= num``."""
    nq, n, e = ed.nq, ed.n, ed.e

    def edges(a):  # (E, N) -> (Q, 1, 4, N)
        return a.reshape(nq, 1, 4, n)

    def planes(a):  # (E, N) -> (Q, K, 1, N)
        return a[ed.others][:, :, None]

    nxh, nyh, ch = planes(ed.nx), planes(ed.ny), planes(ed.c)
    denom = nxh * edges(ed.dx) + nyh * edges(ed.dy)
    num = ch - (nxh * edges(ed.px) + nyh * edges(ed.py))
    # rounding tolerance of num: relative to the size of the coordinates
    # involved (the constraint's point and the edge's)
    eps64 = 64.0 * xp.eps(ed.px)
    mag = eps64 * (xp.abs(ed.px) + xp.abs(ed.py) + ed.length + 1.0)
    tol = planes(mag) + edges(mag)
    par = xp.abs(denom) <= eps64 * edges(ed.length)
    ratio = num / xp.where(par, 1.0, denom)
    live = ~par
    t0 = xp.masked_amax(ratio, live & (denom < 0), 1, 0.0).reshape(e, n)
    t1 = xp.masked_amin(ratio, live & (denom > 0), 1, 1.0).reshape(e, n)
    blocked = xp.any(par & (num < -tol), 1).reshape(e, n)
    seg = (ed.length > 0) & ~blocked & (t1 > t0)
    on_line = par & ed.earlier & (xp.abs(num) <= tol)
    if xp.maybe_any(on_line):
        # an edge on an edge of an earlier quad with the same outward
        # side: counted there already
        same_side = (nxh * edges(ed.nx) + nyh * edges(ed.ny)) > 0
        seg = seg & ~xp.any(on_line & same_side, 1).reshape(e, n)
    return t0, t1, seg


def _row(b, like: Array, xp):
    if isinstance(b, (int, float)):
        return xp.full((1, 1), float(b), like)
    return xp.cast_like(b.reshape(-1)[None, :], like)


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
