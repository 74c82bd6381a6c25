"""Box layouts and their conversions: polygons, centres, sides, areas (one
table, :data:`BOX_TYPES`, so that nothing dispatches on a box-type string),
matrices applied to points, angle regularisation.

Box layouts (as in MMDetection / MMRotate):

- ``hbox``: (x1, y1, x2, y2)
- ``rbox``: (cx, cy, w, h, t), ``t`` in radians, clockwise on screen: the
  horizontal box (cx, cy, w, h) turned by ``t`` about its centre.
- ``qbox``: (x1, y1, ..., x4, y4), the four vertices in order.

All functions take numpy arrays or torch tensors of shape (N, D).
"""
import math
from dataclasses import dataclass
from typing import Callable, Tuple

from .backend import Array, namespace
from .polygon import (cyclic_shift, full_polygon_areas, row_index,
                      twice_signed_areas)

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


def align_rboxes(boxes: Array, ref: Array) -> Array:
    """``boxes`` (M, 5) rewritten as the same boxes in the representation
    nearest to ``ref`` (5,) (or one reference per box, (M, 5)), over the
    angle's period (pi) and the equivalence of ``(w, h, t)`` and
    ``(h, w, t + pi / 2)``: angle offset in [-pi/4, pi/4] and angle =
    ref's + offset (so that boxes at +89.5 and -89.5 degrees average to
    90)."""
    xp = namespace(boxes)
    d = (boxes[:, 4] - ref[..., 4] + math.pi / 2) % math.pi - math.pi / 2
    swap = xp.abs(d) > math.pi / 4
    d = xp.where(swap, d - xp.where(d > 0, 1.0, -1.0) * (math.pi / 2), d)
    w = xp.where(swap, boxes[:, 3], boxes[:, 2])
    h = xp.where(swap, boxes[:, 2], boxes[:, 3])
    return xp.stack([boxes[:, 0], boxes[:, 1], w, h, ref[..., 4] + d], -1)


def align_qboxes(boxes: Array, ref: Array) -> Array:
    """``boxes`` (M, 8) with their vertices in the order nearest to
    ``ref`` (8,) (or one reference per box, (M, 8)): the direction of
    ``ref``, and the cyclic start that minimises the summed squared vertex
    distances."""
    xp = namespace(boxes)
    q = qbox_to_poly(boxes)
    r = ref.reshape(-1, 4, 2)
    rev = (twice_signed_areas(q) * twice_signed_areas(r)) < 0
    q = xp.where(rev[:, None, None], q[:, [0, 3, 2, 1]], q)
    shifts = xp.stack([cyclic_shift(q, xp, k) for k in range(4)], 1)
    d = xp.sum(xp.sum((shifts - r[:, None])**2, -1), -1)  # (M, 4)
    best = xp.argmin(d, 1)
    return shifts[xp.arange(q.shape[0], q), best].reshape(-1, 8)


# ---- the table of box layouts ---------------------------------------------
@dataclass(frozen=True)
class BoxType:
    """What the geometry core needs to know of one box layout."""
    name: str
    dim: int
    #: (N, D) -> (N, 4, 2): the box as a quadrilateral
    to_poly: Callable[[Array], Array]
    #: (N, D) -> (N, 2)
    centres: Callable[[Array], Array]
    #: (N, D) -> (widths, heights), as the min-size rule measures them
    sides: Callable[[Array], Tuple[Array, Array]]
    #: (boxes (N, D), their polygons (N, 4, 2)) -> the objects' own areas
    areas: Callable[[Array, Array], Array]


def _hbox_areas(boxes: Array, poly: Array) -> Array:
    """A flipped hbox (x2 < x1 or y2 < y1) has no area: it is degenerate
    (dropped and counted, as mmdet and torchvision treat it), never
    silently turned round."""
    xp = namespace(boxes)
    return (xp.maximum(boxes[:, 2] - boxes[:, 0], 0.0) *
            xp.maximum(boxes[:, 3] - boxes[:, 1], 0.0))


def _rbox_areas(boxes: Array, poly: Array) -> Array:
    """An rbox with a negative side has no area (degenerate)."""
    xp = namespace(boxes)
    return xp.maximum(boxes[:, 2], 0.0) * xp.maximum(boxes[:, 3], 0.0)


def _qbox_centres(boxes: Array) -> Array:
    # the vertex mean, MMRotate's QuadriBoxes.centers (four columns: numpy
    # reduces slowly over a short axis)
    return (boxes[:, 0:2] + boxes[:, 2:4] + boxes[:, 4:6] +
            boxes[:, 6:8]) * 0.25


BOX_TYPES = {
    'hbox': BoxType(
        'hbox', 4, hbox_to_poly,
        centres=lambda b: (b[:, :2] + b[:, 2:4]) * 0.5,
        sides=lambda b: (b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]),
        areas=_hbox_areas),
    'rbox': BoxType(
        'rbox', 5, rbox_to_poly, centres=lambda b: b[:, :2],
        sides=lambda b: (b[:, 2], b[:, 3]), areas=_rbox_areas),
    # a qbox may run either way round
    'qbox': BoxType(
        'qbox', 8, qbox_to_poly, centres=_qbox_centres,
        sides=lambda b: qbox_sides(qbox_to_poly(b)),
        areas=lambda b, poly: full_polygon_areas(poly)),
}
BOX_DIMS = {name: t.dim for name, t in BOX_TYPES.items()}


def box_type_info(box_type: str) -> BoxType:
    """The :class:`BoxType` of 'hbox', 'rbox' or 'qbox'."""
    try:
        return BOX_TYPES[box_type]
    except (KeyError, TypeError):
        raise ValueError(f'unknown box type {box_type!r}: expected one of '
                         f'{tuple(BOX_TYPES)}') from None


def boxes_to_poly(boxes: Array, box_type: str) -> Array:
    """(N, D) boxes of ``box_type`` -> (N, 4, 2) quadrilaterals."""
    return box_type_info(box_type).to_poly(boxes)


def box_sides(boxes: Array, box_type: str) -> Tuple[Array, Array]:
    """Width and height used by the min-size rule (qbox: its length and
    narrowest width, see :func:`qbox_sides`)."""
    return box_type_info(box_type).sides(boxes)
