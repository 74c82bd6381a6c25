"""Exact IoU of boxes (hbox, rbox, convex qbox) in float64, on numpy arrays
and torch tensors (any device), with sparse candidate pairs.

- :func:`box_ious`: the (N, M) matrix, or the aligned (N,) vector;
- :func:`box_iou_pairs`: only the pairs whose extents overlap, as
  ``(rows, cols, ious)``: memory grows with the pairs that can overlap, not
  with N x M (what the TTA merge, the patch NMS and the DOTA metric use);
- :func:`candidate_pairs`: those pairs, from a uniform grid on the boxes'
  axis-aligned extents.

How the intersection is measured
--------------------------------
The area comes from Green's theorem: twice the area of ``P ∩ Q`` is the sum
over the boundary segments of ``cross(start, end)``; the boundary is made
of the parts of P's edges inside Q and of Q's edges inside P.

- **rbox** (one formula, no polygons): everything in the frame of the
  second box Q (its centre the origin, its axes the axes), where Q is
  ``[-a, a] x [-b, b]`` and P is turned by the relative angle. Each of P's
  four edge lines crosses each of Q's four edge lines once; the crossing is
  computed once, as a parameter ``s`` along P's line, and both the part of
  P's edge inside Q (Liang-Barsky: between the crossings of each of Q's
  slabs) and the part of Q's edge inside P (the crossing's coordinate along
  Q's edge, ``o + s d``) are read from it. So the two boundary pieces
  meeting at a crossing share its point, however ill-conditioned the
  crossing (nearly parallel edges): an error in ``s`` slides the point
  along both lines, which changes the area by the sliver between them, not
  by the length error times the lever. The parts are then summed in closed
  form (an edge of P on the line ``o + s u``, kept over a length ``L``,
  adds ``L cross(o, u)``).
- **qbox** (convex quadrilaterals, either orientation): the same
  construction on general quads, rotaug's one clipping kernel
  :func:`~.convex.clip_quads` (Cyrus-Beck on P's edges, the crossing's
  parameter along Q's edge read from the crossing point, about the first
  vertex of P), which also gives the box path its visible parts.
- **hbox**: the product of the two overlaps of the extents.

Rules at contact (written down, and tested against shapely)
-----------------------------------------------------------
- Two rboxes whose relative angle is a multiple of 90 degrees to within
  :data:`PARALLEL_TOL` (the sine or cosine of the relative angle, so
  ``(w, h, t)`` against ``(h, w, t + pi/2)`` and ``t`` against
  ``t + pi``, whose angles differ by rounding) are *parallel*: P is taken as
  axis-aligned in Q's frame and the intersection is the product of the
  overlaps of two closed intervals. An edge lying on an edge (identical
  boxes, nested boxes sharing a side) is counted once, touching edges give
  an overlap of width 0, and no tolerance on positions is involved (a shift
  of 1e-3 px is a shift). Treating an angle ``d <= 1e-12`` as 0 changes the
  area by at most ``d`` times the square of the longer side.
- Otherwise no edge of P lies on an edge of Q, and the crossings are
  computed as above; a corner of one box on an edge of the other is a
  crossing like any other.
- An intersection smaller than :data:`CONTACT_TOL` of the smaller box's
  area is a contact (a shared corner, a touching edge reached through
  rounding): 0. The intersection is clipped to ``[0, min(area1, area2)]``.
- Degenerate boxes: an rbox with a side <= 0, an hbox with ``x2 <= x1`` or
  ``y2 <= y1``, a qbox of no area have area 0; an IoU whose union is 0 is
  0. A box with a non-finite coordinate has IoU 0 with every box.
- qbox: each quad must be convex (every box rotaug writes is); a pair with
  a non-convex or self-intersecting quad gets NaN
  (:func:`rotaug.evaluation.poly_iou_matrix` computes those with shapely,
  as the DOTA devkit's repair does). Lines parallel to
  :data:`PARALLEL_TOL` are decided by the side of P's point, once for both
  edges: with the same direction the edge lying inside counts (Q's when
  they coincide), with opposite directions both or neither. An edge
  shorter than 64 ulp of the coordinates constrains nothing.

Precision: equal to shapely (``shapely.intersection`` of the corners'
polygons) to 1e-9 on random pairs, and to exact rational arithmetic
(:func:`reference_iou`) to 1e-9 on the hard ones, where shapely agrees
too except for its own rare failures (``tests/geometry/test_iou.py``).
"""
from typing import Callable, Optional, Tuple

import numpy as np

from .backend import Array, namespace
from .boxes import box_type_info
from .convex import PARALLEL_TOL, clip_quads
from .polygon import full_polygon_areas, is_convex
#: an intersection below this fraction of the smaller area is a contact: 0
CONTACT_TOL = 1e-12
#: pairs per chunk on numpy (the temporaries of a chunk stay in cache)
CHUNK = 8192
IOU_MODES = ('iou', 'iof')


# ---- per-box tables ------------------------------------------------------
def _as_f64(boxes: Array, dim: int, what: str) -> Array:
    xp = namespace(boxes)
    if boxes.ndim != 2 or boxes.shape[1] < dim:
        raise ValueError(f'{what} must be (N, {dim}), got '
                         f'{tuple(boxes.shape)}')
    boxes = boxes[:, :dim]
    if xp.name == 'numpy':
        return np.asarray(boxes, dtype=np.float64)
    import torch
    return boxes.to(torch.float64)


class _Table:
    """What the pair kernels need of each box, column-major: ``feat``
    (F, N) rows gathered per pair, ``areas`` (N,), ``ext`` (N, 4) axis-
    aligned extents (x1, y1, x2, y2), ``ok`` (N,) finite (and, for qboxes,
    convex)."""

    def __init__(self, boxes: Array, box_type: str, what: str):
        info = box_type_info(box_type)
        xp = namespace(boxes)
        b = _as_f64(boxes, info.dim, what)
        self.box_type, self.n, self.xp = box_type, b.shape[0], xp
        self.finite = self.ok = xp.all(xp.isfinite(b), 1)
        # a box with a non-finite coordinate: zeros (no area, no extent,
        # nothing non-finite in the kernels), its values set to 0 at the end
        b = xp.where(self.finite[:, None], b, 0.0)
        if box_type == 'rbox':
            c, s = xp.cos(b[:, 4]), xp.sin(b[:, 4])
            hw = xp.maximum(b[:, 2], 0.0) * 0.5
            hh = xp.maximum(b[:, 3], 0.0) * 0.5
            self.feat = xp.stack([b[:, 0], b[:, 1], c, s, hw, hh], 0)
            self.areas = 4.0 * hw * hh
            ex = xp.abs(c) * hw + xp.abs(s) * hh
            ey = xp.abs(s) * hw + xp.abs(c) * hh
            self.ext = xp.stack([b[:, 0] - ex, b[:, 1] - ey, b[:, 0] + ex,
                                 b[:, 1] + ey], 1)
        elif box_type == 'hbox':
            self.feat = b.T
            self.areas = (xp.maximum(b[:, 2] - b[:, 0], 0.0) *
                          xp.maximum(b[:, 3] - b[:, 1], 0.0))
            self.ext = b
        else:
            poly = info.to_poly(b)
            self.feat = b.T
            self.areas = full_polygon_areas(poly)
            self.ext = xp.cat([xp.amin(poly, 1), xp.amax(poly, 1)], 1)
            self.ok = self.finite & is_convex(poly)
        self.areas = xp.where(self.finite, self.areas, 0.0)

    def gather(self, idx: Optional[Array]) -> Array:
        return self.feat if idx is None else self.feat[:, idx]


# ---- the pair kernels ----------------------------------------------------
def _rbox_inter(P, Q, xp) -> Array:
    """Intersection areas (K,) of rbox pairs given by their features (6, K)
    (cx, cy, cos, sin, half width, half height); see the module's text.
    Q's frame: origin at Q's centre, Q = [-a, a] x [-b, b]. P: centre c,
    axes u = (cr, sr), v = (-sr, cr), half sizes p (along u), q (along v);
    its edges, clockwise on screen as rbox_to_poly's corners: 0 on the line
    c - q v + s u (direction +u), 1 on c + p u + s v (+v), 2 on
    c + q v + s u (-u), 3 on c - p u + s v (-v)."""
    pcx, pcy, pc, ps, p, q = (P[k] for k in range(6))
    qcx, qcy, qc, qs, a, b = (Q[k] for k in range(6))
    dx, dy = pcx - qcx, pcy - qcy
    cx = dx * qc + dy * qs
    cy = dy * qc - dx * qs
    cr = pc * qc + ps * qs
    sr = ps * qc - pc * qs
    flat = xp.abs(sr) <= PARALLEL_TOL  # P's axes along Q's
    upright = xp.abs(cr) <= PARALLEL_TOL  # P's axes across Q's
    par = flat | upright
    # -- parallel: two axis-aligned boxes in Q's frame, closed intervals
    ex = xp.where(flat, p, q)
    ey = xp.where(flat, q, p)
    ix = xp.minimum(cx + ex, a) - xp.maximum(cx - ex, -a)
    iy = xp.minimum(cy + ey, b) - xp.maximum(cy - ey, -b)
    inter_par = xp.maximum(ix, 0.0) * xp.maximum(iy, 0.0)
    # -- general: every edge line of P crosses every edge line of Q
    icr = 1.0 / xp.where(par, 1.0, cr)
    isr = 1.0 / xp.where(par, 1.0, sr)
    qsr, qcr, psr, pcr = q * sr, q * cr, p * sr, p * cr
    # start points of P's edge lines (x, y): 0 and 2 along u, 1 and 3
    # along v
    x0, y0, x2, y2 = cx + qsr, cy - qcr, cx - qsr, cy + qcr
    x1, y1, x3, y3 = cx + pcr, cy + psr, cx - pcr, cy - psr
    # parameters s of the crossings with Q's lines x = -a, x = a, y = -b,
    # y = b; u-lines: o + s (cr, sr), v-lines: o + s (-sr, cr)
    na, nb = -a, -b
    u0 = ((na - x0) * icr, (a - x0) * icr, (nb - y0) * isr, (b - y0) * isr)
    u2 = ((na - x2) * icr, (a - x2) * icr, (nb - y2) * isr, (b - y2) * isr)
    v1 = ((x1 + a) * isr, (x1 - a) * isr, (nb - y1) * icr, (b - y1) * icr)
    v3 = ((x3 + a) * isr, (x3 - a) * isr, (nb - y3) * icr, (b - y3) * icr)

    def kept(s, half):
        # the part of P's edge (s in [-half, half]) inside both of Q's slabs
        lo = xp.maximum(xp.maximum(xp.minimum(s[0], s[1]),
                                   xp.minimum(s[2], s[3])), -half)
        hi = xp.minimum(xp.minimum(xp.maximum(s[0], s[1]),
                                   xp.maximum(s[2], s[3])), half)
        return xp.maximum(hi - lo, 0.0)

    l0, l2 = kept(u0, p), kept(u2, p)
    l1, l3 = kept(v1, q), kept(v3, q)

    def inside(c0, c2, c1, c3, half):
        # the part of Q's edge (coordinate in [-half, half]) between P's
        # u-lines (crossings c0, c2) and between its v-lines (c1, c3)
        lo = xp.maximum(xp.maximum(xp.minimum(c0, c2),
                                   xp.minimum(c1, c3)), -half)
        hi = xp.minimum(xp.minimum(xp.maximum(c0, c2),
                                   xp.maximum(c1, c3)), half)
        return xp.maximum(hi - lo, 0.0)

    # Q's edges on y = -b and y = b: the crossings' x; on x = -a and x = a:
    # their y (each from the same s as P's edge above)
    m_top = inside(x0 + u0[2] * cr, x2 + u2[2] * cr, x1 - v1[2] * sr,
                   x3 - v3[2] * sr, a)
    m_bot = inside(x0 + u0[3] * cr, x2 + u2[3] * cr, x1 - v1[3] * sr,
                   x3 - v3[3] * sr, a)
    m_lft = inside(y0 + u0[0] * sr, y2 + u2[0] * sr, y1 + v1[0] * cr,
                   y3 + v3[0] * cr, b)
    m_rgt = inside(y0 + u0[1] * sr, y2 + u2[1] * sr, y1 + v1[1] * cr,
                   y3 + v3[1] * cr, b)
    # Green's theorem in closed form (cross(c, u), cross(c, v))
    ccu = cx * sr - cy * cr
    ccv = cx * cr + cy * sr
    area2 = ((l0 - l2) * ccu + (l0 + l2) * q + (l1 - l3) * ccv +
             (l1 + l3) * p + (m_top + m_bot) * b + (m_lft + m_rgt) * a)
    return xp.where(par, inter_par, area2 * 0.5)


def _hbox_inter(P, Q, xp) -> Array:
    ix = xp.minimum(P[2], Q[2]) - xp.maximum(P[0], Q[0])
    iy = xp.minimum(P[3], Q[3]) - xp.maximum(P[1], Q[1])
    return xp.maximum(ix, 0.0) * xp.maximum(iy, 0.0)


def _qbox_inter(P, Q, xp) -> Array:
    """Intersection areas (K,) of convex quads given as (8, K) (x1, y1, ...,
    x4, y4; either orientation): the one clipping kernel,
    :func:`~.convex.clip_quads` (its rules at contact: the module's
    text)."""
    x = xp.stack([xp.stack([B[0], B[2], B[4], B[6]], 0) for B in (P, Q)], 0)
    y = xp.stack([xp.stack([B[1], B[3], B[5], B[7]], 0) for B in (P, Q)], 0)
    return clip_quads(x, y).twice_area() * 0.5


_KERNELS = {'rbox': _rbox_inter, 'hbox': _hbox_inter, 'qbox': _qbox_inter}


def _pair_values(t1: _Table, t2: _Table, rows: Optional[Array],
                 cols: Optional[Array], mode: str) -> Array:
    """IoU (or IoF) of the pairs ``(rows[k], cols[k])`` (None: row k with
    row k)."""
    xp = t1.xp
    kernel = _KERNELS[t1.box_type]
    k = t1.n if rows is None else rows.shape[0]
    if xp.name == 'numpy' and k > CHUNK:
        parts = []
        for s in range(0, k, CHUNK):
            r = (np.arange(s, min(s + CHUNK, k)) if rows is None
                 else rows[s:s + CHUNK])
            c = r if cols is None else cols[s:s + CHUNK]
            parts.append(_values(t1, t2, r, c, mode, kernel, xp))
        return np.concatenate(parts)
    return _values(t1, t2, rows, rows if cols is None else cols, mode,
                   kernel, xp)


def _values(t1, t2, rows, cols, mode, kernel, xp):
    a1 = t1.areas if rows is None else t1.areas[rows]
    a2 = t2.areas if cols is None else t2.areas[cols]
    ok1 = t1.ok if rows is None else t1.ok[rows]
    ok2 = t2.ok if cols is None else t2.ok[cols]
    inter = kernel(t1.gather(rows), t2.gather(cols), xp)
    small = xp.minimum(a1, a2)
    inter = xp.where(inter > CONTACT_TOL * small, xp.minimum(inter, small),
                     0.0)
    denom = a1 if mode == 'iof' else a1 + a2 - inter
    out = xp.where(denom > 0, inter / xp.where(denom > 0, denom, 1.0), 0.0)
    out = xp.minimum(out, 1.0)
    if t1.box_type == 'qbox':
        # a non-convex quad has no value here (see the module's rules)
        fin1 = t1.finite if rows is None else t1.finite[rows]
        fin2 = t2.finite if cols is None else t2.finite[cols]
        bad = ~(ok1 & ok2) & fin1 & fin2
        out = xp.where(bad, float('nan'), out)
        return xp.where(ok1 & ok2 | bad, out, 0.0)
    return xp.where(ok1 & ok2, out, 0.0)


# ---- candidate pairs -----------------------------------------------------
def candidate_pairs(ext1: Array, ext2: Optional[Array] = None,
                    cell: Optional[float] = None) -> Tuple[Array, Array]:
    """The pairs ``(i, j)`` whose axis-aligned extents (x1, y1, x2, y2)
    overlap with positive area (``x1_i < x2_j`` and ``x1_j < x2_i``, same
    in y), found on a uniform grid: each box is listed in the cells its
    extent covers, pairs are formed within a cell, and a pair counts in the
    one cell that holds the corner ``(max x1, max y1)`` of the two extents'
    overlap. Memory and time grow with the box-cell entries and the pairs
    that share a cell, not with N x M.

    Args:
        ext1 (N, 4), ext2 (M, 4), optional: without ``ext2``, the pairs of
            ``ext1`` with itself, ``i < j``.
        cell: the grid's cell size (default: the median extent side, at
            least what keeps the cells below 4 (N + M)).

    Returns:
        ``(rows, cols)`` int64, sorted by row, then column. Extents with a
        non-finite coordinate or no area are never paired.
    """
    xp = namespace(ext1)
    self_pairs = ext2 is None
    if self_pairs:
        ext2 = ext1
    empty = xp.to_int(xp.full((0, ), 0, ext1))
    n, m = ext1.shape[0], ext2.shape[0]
    if n == 0 or m == 0:
        return empty, empty

    def usable(e):
        return (xp.all(xp.isfinite(e), 1) & (e[:, 2] > e[:, 0]) &
                (e[:, 3] > e[:, 1]))

    ok1 = usable(ext1)
    ok2 = ok1 if self_pairs else usable(ext2)
    both = ext1[ok1] if self_pairs else xp.cat([ext1[ok1], ext2[ok2]], 0)
    if both.shape[0] == 0:
        return empty, empty
    x0, y0 = xp.item(xp.amin(both[:, 0], 0)), xp.item(xp.amin(both[:, 1], 0))
    x1, y1 = xp.item(xp.amax(both[:, 2], 0)), xp.item(xp.amax(both[:, 3], 0))
    span_x, span_y = x1 - x0, y1 - y0
    if cell is None:
        sides = xp.maximum(both[:, 2] - both[:, 0], both[:, 3] - both[:, 1])
        cell = xp.item(xp.median(sides))
        cell = max(cell, (span_x * span_y / (4.0 * both.shape[0])) ** 0.5,
                   1e-12 * max(span_x, span_y, 1.0))
    gx = max(1, min(int(span_x / cell) + 1, 1 << 20))
    gy = max(1, min(int(span_y / cell) + 1, 1 << 20))

    def entries(e, ok):
        # every (box, cell) of the extents' cells, sorted by cell; code: bit
        # 0 set in the box's first column of cells, bit 1 in its first row
        idx = xp.nonzero(ok)
        e = e[idx]
        cx0 = xp.clip(xp.to_int(xp.floor((e[:, 0] - x0) / cell)), 0, gx - 1)
        cx1 = xp.clip(xp.to_int(xp.floor((e[:, 2] - x0) / cell)), 0, gx - 1)
        cy0 = xp.clip(xp.to_int(xp.floor((e[:, 1] - y0) / cell)), 0, gy - 1)
        cy1 = xp.clip(xp.to_int(xp.floor((e[:, 3] - y0) / cell)), 0, gy - 1)
        wx = cx1 - cx0 + 1
        cnt = wx * (cy1 - cy0 + 1)
        box = xp.repeat(xp.arange(idx.shape[0], idx), cnt)
        off = xp.arange(box.shape[0], box) - xp.repeat(
            xp.cumsum(cnt, 0) - cnt, cnt)
        w = xp.repeat(wx, cnt)
        col, row = off % w, off // w
        cells_ = (xp.repeat(cy0, cnt) + row) * gx + xp.repeat(cx0, cnt) + col
        code = xp.to_int(col == 0) + 2 * xp.to_int(row == 0)
        order = xp.sort_index(cells_)
        return idx, box[order], cells_[order], code[order]

    # a pair of overlapping extents shares the cells of their overlap and
    # is kept in its first one: the first column of one box's cells and the
    # first row of one box's (the cell of (max x1, max y1))
    idx1, box1, cell1, code1 = entries(ext1, ok1)
    if self_pairs:
        # entry k with the entries after it in its cell's run
        t = cell1.shape[0]
        k = xp.arange(t, cell1)
        end_ = xp.searchsorted(cell1, cell1 + 1)
        cnt = end_ - k - 1
        first = xp.cumsum(cnt, 0) - cnt
        pos = xp.arange(int(xp.item(xp.sum(cnt, 0))), cell1) - xp.repeat(
            first - k - 1, cnt)
        box2, code2, idx2, ext2 = box1, code1, idx1, ext1
    else:
        idx2, box2, cell2, code2 = entries(ext2, ok2)
        run_start = xp.searchsorted(cell2, cell1)
        cnt = xp.searchsorted(cell2, cell1 + 1) - run_start
        first = xp.cumsum(cnt, 0) - cnt
        pos = xp.arange(int(xp.item(xp.sum(cnt, 0))), cell1) - xp.repeat(
            first - run_start, cnt)
    keep = (xp.repeat(code1, cnt) | code2[pos]) == 3
    ent = xp.repeat(xp.arange(cell1.shape[0], cell1), cnt)[keep]
    a, b = idx1[box1[ent]], idx2[box2[pos[keep]]]
    if self_pairs:
        a, b = xp.minimum(a, b), xp.maximum(a, b)
    # one column at a time: gathers of 1-D arrays are the cheap ones
    c1 = [ext1[:, k].contiguous() if xp.name == 'torch' else
          np.ascontiguousarray(ext1[:, k]) for k in range(4)]
    c2 = c1 if self_pairs else [
        ext2[:, k].contiguous() if xp.name == 'torch' else
        np.ascontiguousarray(ext2[:, k]) for k in range(4)]
    hit = ((c1[0][a] < c2[2][b]) & (c2[0][b] < c1[2][a]) &
           (c1[1][a] < c2[3][b]) & (c2[1][b] < c1[3][a]))
    rows, cols = a[hit], b[hit]
    order = xp.argsort(rows * m + cols, 0)
    return rows[order], cols[order]


# ---- the public functions ------------------------------------------------
def _check(box_type: str, mode: str) -> None:
    box_type_info(box_type)
    if mode not in IOU_MODES:
        raise ValueError(f'mode must be one of {IOU_MODES}, got {mode!r}')


def box_ious(boxes1: Array, boxes2: Array, box_type: str = 'rbox',
             aligned: bool = False, mode: str = 'iou') -> Array:
    """Exact IoU of boxes of one layout (see the module's text for how it
    is computed and the rules at contact).

    Args:
        boxes1 (N, D), boxes2 (M, D): numpy arrays or torch tensors (any
            dtype; extra columns, e.g. a score, are ignored).
        box_type: 'rbox' (cx, cy, w, h, t), 'hbox' (x1, y1, x2, y2) or
            'qbox' (x1, y1, ..., x4, y4, convex).
        aligned: the IoU of row k with row k (N == M) instead of every
            pair.
        mode: 'iou', or 'iof' (the intersection over the area of
            ``boxes1``).

    Returns:
        float64 (N, M) (aligned: (N,)): numpy for numpy input, a tensor on
        the input's device for torch input. Only pairs whose extents
        overlap are computed; the others are 0.
    """
    _check(box_type, mode)
    xp = namespace(boxes1)
    if namespace(boxes2) is not xp:
        raise TypeError('boxes1 and boxes2 must both be numpy arrays or '
                        'both torch tensors')
    t1 = _Table(boxes1, box_type, 'boxes1')
    t2 = _Table(boxes2, box_type, 'boxes2')
    if aligned:
        if t1.n != t2.n:
            raise ValueError(f'aligned IoU needs as many boxes on both '
                             f'sides, got {t1.n} and {t2.n}')
        return _pair_values(t1, t2, None, None, mode)
    out = xp.full((t1.n, t2.n), 0.0, t1.areas)
    rows, cols = candidate_pairs(t1.ext, t2.ext)
    if rows.shape[0]:
        out[rows, cols] = _pair_values(t1, t2, rows, cols, mode)
    return out


def box_iou_pairs(boxes1: Array, boxes2: Optional[Array] = None,
                  box_type: str = 'rbox', mode: str = 'iou',
                  min_iou: Optional[float] = None,
                  pairs: Optional[Tuple[Array, Array]] = None
                  ) -> Tuple[Array, Array, Array]:
    """Exact IoU of the pairs whose extents overlap (every other pair has
    IoU 0), as ``(rows, cols, ious)`` sorted by row then column; without
    ``boxes2``, the pairs of ``boxes1`` with itself, ``rows < cols``.
    Same values and types as :func:`box_ious`. ``pairs``: ``(rows,
    cols)`` to measure instead of the candidates (indices into ``boxes1``
    and ``boxes2``, or ``boxes1`` twice).

    ``min_iou``: leave out, before any intersection is computed, the pairs
    whose IoU cannot exceed it: the intersection is at most the smaller
    area and at most the overlap of the two extents, and a pair goes when
    the IoU of that bound is below ``min_iou - 1e-9`` (the margin covers
    the rounding of the extents). The pairs kept are a superset of those
    with IoU > ``min_iou``; filter them by value. Only with ``mode='iou'``.
    """
    _check(box_type, mode)
    t1 = _Table(boxes1, box_type, 'boxes1')
    t2 = t1 if boxes2 is None else _Table(boxes2, box_type, 'boxes2')
    xp = t1.xp
    if pairs is None:
        rows, cols = candidate_pairs(t1.ext,
                                     None if boxes2 is None else t2.ext)
    else:
        rows, cols = pairs
    if min_iou is not None and rows.shape[0]:
        if mode != 'iou':
            raise ValueError("min_iou needs mode='iou'")
        e1, e2 = t1.ext, t2.ext
        ix = (xp.minimum(e1[:, 2][rows], e2[:, 2][cols]) -
              xp.maximum(e1[:, 0][rows], e2[:, 0][cols]))
        iy = (xp.minimum(e1[:, 3][rows], e2[:, 3][cols]) -
              xp.maximum(e1[:, 1][rows], e2[:, 1][cols]))
        a1, a2 = t1.areas[rows], t2.areas[cols]
        bound = xp.minimum(xp.minimum(a1, a2), ix * iy)
        union = a1 + a2 - bound
        live = bound > (float(min_iou) - 1e-9) * union
        if box_type == 'qbox':
            # a non-convex quad has no value here: left to the caller
            live = live | ~t1.ok[rows] | ~t2.ok[cols]
        rows, cols = rows[live], cols[live]
    if not rows.shape[0]:
        return rows, cols, xp.full((0, ), 0.0, t1.areas)
    return rows, cols, _pair_values(t1, t2, rows, cols, mode)


# ---- greedy grouping on sparse pairs (numpy) -----------------------------
def greedy_groups(scores: np.ndarray, rows: np.ndarray, cols: np.ndarray
                  ) -> Tuple[np.ndarray, np.ndarray]:
    """Greedy grouping by descending score (ties: input order) on a sparse
    graph: the best box not yet taken leads a group and takes every box not
    yet taken that it is linked to (``(rows[k], cols[k])``, either way
    round: e.g. the pairs with IoU above a threshold). The groups of
    rotated NMS (a leader suppresses its group) and of weighted box fusion.

    Returns:
        ``(order, group)``: ``order`` (N,) the boxes by descending score,
        ``group`` (N,) the group of each box, numbered in the order of
        their leaders (the best first). A box's group is led by the first
        box of that group in ``order``.
    """
    scores = np.asarray(scores)
    n = scores.shape[0]
    order = np.argsort(-scores, kind='stable')
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n)
    ra, rb = rank[np.asarray(rows)], rank[np.asarray(cols)]
    lo, hi = np.minimum(ra, rb), np.maximum(ra, rb)
    # a leader only takes boxes after it: links by their better end
    srt = np.lexsort((hi, lo))
    lo, hi = lo[srt], hi[srt]
    ptr = np.searchsorted(lo, np.arange(n + 1)).tolist()
    hi = hi.tolist()
    grp = [-1] * n  # by rank
    k = 0
    for r in range(n):
        if grp[r] >= 0:
            continue
        grp[r] = k
        for j in range(ptr[r], ptr[r + 1]):
            if grp[hi[j]] < 0:
                grp[hi[j]] = k
        k += 1
    group = np.empty(n, np.int64)
    group[order] = grp
    return order, group


def exact_nms(boxes: Array, scores: Array, iou_thr: float,
              box_type: str = 'rbox', iou_pairs: Optional[Callable] = None
              ) -> np.ndarray:
    """Greedy NMS on exact IoU (:func:`box_iou_pairs`): a box is dropped
    when its IoU with a kept, better box exceeds ``iou_thr``. Returns the
    indices (numpy int64) of the kept boxes by descending score (ties:
    input order). ``iou_pairs(boxes, min_iou)``, optional: another source
    of ``(rows, cols, ious)`` (e.g. with a fallback for non-convex
    quads)."""
    xp = namespace(boxes)
    scores_np = (np.asarray(scores) if xp.name == 'numpy' else
                 scores.detach().cpu().numpy())
    n = scores_np.shape[0]
    if n == 0:
        return np.zeros(0, np.int64)
    if iou_pairs is None:
        rows, cols, ious = box_iou_pairs(boxes, None, box_type,
                                         min_iou=iou_thr)
    else:
        rows, cols, ious = iou_pairs(boxes, min_iou=iou_thr)
    hit = ious > iou_thr
    rows, cols = rows[hit], cols[hit]
    if xp.name != 'numpy':
        rows, cols = rows.cpu().numpy(), cols.cpu().numpy()
    order, group = greedy_groups(scores_np, rows, cols)
    # the leaders: each group's first box in score order
    _, first = np.unique(group[order], return_index=True)
    return order[first]


# ---- the arbiter ---------------------------------------------------------
def reference_iou(poly1, poly2) -> float:
    """IoU of two convex polygons ((K, 2) corners, either orientation) in
    exact rational arithmetic on their float corners (Sutherland-Hodgman
    with :class:`fractions.Fraction`): slow, pure Python, no rounding at
    all; the arbiter of the tests and of ``tools/benchmarks/iou_speed.py``
    where float64 libraries disagree (shapely 2.2 / GEOS returns an empty
    intersection for some pairs of polygons that coincide up to rounding).
    """
    from fractions import Fraction

    def exact(poly):
        return [(Fraction(float(x)), Fraction(float(y)))
                for x, y in np.asarray(poly, np.float64).reshape(-1, 2)]

    def twice_area(p):
        return sum(p[i - 1][0] * p[i][1] - p[i][0] * p[i - 1][1]
                   for i in range(len(p))) if len(p) > 2 else Fraction(0)

    subject, clip = exact(poly1), exact(poly2)
    sign = 1 if twice_area(clip) >= 0 else -1
    for k in range(len(clip)):
        (ax, ay), (bx, by) = clip[k - 1], clip[k]

        def side(p):  # >= 0: on the inner side of the edge (a, b)
            return sign * ((ay - by) * (p[0] - ax) - (ax - bx) * (p[1] - ay))
        pts, subject = subject, []
        for i in range(len(pts)):
            p, q = pts[i - 1], pts[i]
            sp, sq = side(p), side(q)
            if sp >= 0:
                subject.append(p)
            if (sp > 0 > sq) or (sp < 0 < sq):
                t = sp / (sp - sq)
                subject.append((p[0] + t * (q[0] - p[0]),
                                p[1] + t * (q[1] - p[1])))
        if not subject:
            break
    inter = abs(twice_area(subject))
    union = abs(twice_area(exact(poly1))) + abs(twice_area(clip)) - inter
    return float(inter / union) if union > 0 else 0.0
