"""The one place where boxes are moved: map boxes by an affine homography,
measure the visible part of each object on the output canvas, and refit the
box to that visible part. Every rotaug transform and the batch (GPU) path call
:func:`warp_boxes`; nothing else computes box geometry.
"""
from dataclasses import dataclass, field
from typing import Optional, Tuple, Union

from .backend import Array, namespace
from .boxes import (BOX_TYPES, apply_matrix, box_sides, box_type_info,
                    matrix_angles, regularize_rboxes)
from .convex import convex_intersection, order_convex
from .fit import ellipse_hbox, fit_hbox, fit_qbox, fit_rbox
from .polygon import (clip_polygons_to_rect, is_convex, polygon_areas,
                      rect_corners)

HBOX_MODES = ('ellipse', 'envelope')
Scalar = Union[int, float]
_ARRAY_FIELDS = ('boxes', 'visible', 'finite', 'centre_inside', 'crossing',
                 'area')


@dataclass
class WarpedBoxes:
    """Result of :func:`warp_boxes` (all arrays have N rows).

    Attributes:
        boxes: the mapped boxes, clipped to their visible part when asked.
        visible: fraction of each object's area inside the canvas (0 for
            degenerate or non-finite input).
        finite: the input row was finite.
        centre_inside: the box centre lies inside the canvas.
        crossing: the object crosses the canvas border.
        area: the object's own area (before clipping).
        box_type: the type of ``boxes``.
        widths, heights: the sides of ``boxes`` (qbox: its length and
            narrowest width, see :func:`~.boxes.qbox_sides`), computed
            when first read; :func:`round_to_storage` recomputes them.
    """
    boxes: Array
    visible: Array
    finite: Array
    centre_inside: Array
    crossing: Array
    area: Array
    box_type: str
    _sides: Optional[Tuple[Array, Array]] = field(default=None, repr=False)

    def _get_sides(self) -> Tuple[Array, Array]:
        if self._sides is None:
            self._sides = box_sides(self.boxes, self.box_type)
        return self._sides

    @property
    def widths(self) -> Array:
        return self._get_sides()[0]

    @property
    def heights(self) -> Array:
        return self._get_sides()[1]

    def map(self, fn) -> 'WarpedBoxes':
        """A new ``WarpedBoxes`` with ``fn`` applied to each of its arrays
        (e.g. a slice, or a copy to numpy)."""
        return WarpedBoxes(*(fn(getattr(self, k)) for k in _ARRAY_FIELDS),
                           self.box_type)


@dataclass
class Visible:
    """The visible parts of the objects that cross the border: rows
    ``idx`` of the batch, as padded points ``pts`` with ``valid`` (the
    unordered vertices of a convex intersection, ``counts`` None) or with
    ``counts`` (ordered polygons clipped side by side)."""
    idx: Array
    pts: Array
    valid: Array
    counts: Optional[Array] = None


def warp_boxes(boxes: Array,
               box_type: str,
               matrix: Array,
               width: Union[Scalar, Array],
               height: Union[Scalar, Array],
               clip: bool = True,
               hbox_mode: str = 'ellipse',
               angle_version: Optional[str] = 'le90',
               out_type: Optional[str] = None,
               src_width: Optional[Union[Scalar, Array]] = None,
               src_height: Optional[Union[Scalar, Array]] = None
               ) -> WarpedBoxes:
    """Map ``boxes`` (N, D) by ``matrix`` and clip them to the canvas
    ``[0, width] x [0, height]``.

    Args:
        boxes: hbox (N, 4), rbox (N, 5) or qbox (N, 8), numpy or torch.
        box_type: 'hbox', 'rbox' or 'qbox'.
        matrix: (3, 3) affine homography in continuous pixel coordinates,
            or (N, 3, 3), one per box (the batch path). Same array type.
        width, height: the output canvas, scalars or one per box.
        clip: refit boxes that cross the border to their visible part:
            hbox → tight box of the visible part; rbox → tightest box at the
            object's angle; qbox → see :func:`~.fit.fit_qbox`. Boxes wholly
            inside are mapped exactly and never refitted.
        hbox_mode: how a horizontal box of unknown shape turns:
            'envelope' (box of the turned rectangle) or 'ellipse' (box of the
            turned inscribed ellipse, Kalra et al. 2021). Either is then
            clipped to the canvas. The visible fraction of an hbox is that of
            the turned rectangle.
        angle_version: regularise rboxes into 'le90', 'le135' or 'oc'
            (None: leave the angle as it comes).
        out_type: 'hbox' to return, for rbox or qbox input, the tight
            horizontal box of each mapped (and clipped) object polygon: the
            exact way to derive horizontal boxes from oriented annotations.
            None keeps ``box_type``.
        src_width, src_height: the source image (scalars or one per box).
            When given, an object is first cut to the source image, since
            the part of it outside the image has no pixels to carry: the
            visible part is ``M(object ∩ source) ∩ canvas`` (exact for
            boxes that already stuck out of the image, e.g. a clipped rbox
            whose corners lie outside it). None: only the canvas clips.
    """
    kind = box_type_info(box_type)
    if out_type not in (None, box_type, 'hbox'):
        raise ValueError(f'cannot convert {box_type!r} to {out_type!r}: '
                         "out_type must be None, the input type or 'hbox'")
    if hbox_mode not in HBOX_MODES:
        raise ValueError(f'unknown hbox_mode {hbox_mode!r}: expected one of '
                         f'{HBOX_MODES}')
    xp = namespace(boxes)
    finite = xp.all(xp.isfinite(boxes), 1)
    safe = xp.where(finite[:, None], boxes, 0.0)
    src_poly = kind.to_poly(safe)
    poly = apply_matrix(src_poly, matrix)  # (N, 4, 2)
    full_area = kind.areas(safe, src_poly) * _abs_det(matrix, xp)
    canvas = (_bound(width), _bound(height))
    source = None if src_width is None else (_bound(src_width),
                                             _bound(src_height))
    crossing, visible, vis = _visibility(poly, src_poly, matrix, canvas,
                                         source, box_type, full_area,
                                         finite)
    if not clip:
        vis = None
    if out_type == 'hbox' and box_type != 'hbox':
        out = _refit_to_hbox(poly, vis, canvas, clip)
        box_type = 'hbox'
    elif box_type == 'rbox':
        out = _refit_rbox(safe, poly, matrix, vis, angle_version, canvas)
    elif box_type == 'qbox':
        out = _refit_qbox(poly, vis)
    else:
        out = _refit_hbox(safe, poly, matrix, vis, canvas, clip, hbox_mode)
    w_b, h_b = canvas
    ctr = BOX_TYPES[box_type].centres(out)
    centre_inside = ((ctr[:, 0] >= 0) & (ctr[:, 1] >= 0)
                     & (ctr[:, 0] <= w_b) & (ctr[:, 1] <= h_b))
    return WarpedBoxes(out, visible, finite, centre_inside, crossing,
                       xp.where(finite, full_area, xp.zeros_like(full_area)),
                       box_type)


def _visibility(poly, src_poly, matrix, canvas, source, box_type: str,
                full_area, finite) -> Tuple[Array, Array, Optional[Visible]]:
    """``(crossing, visible, vis)``: the objects that cross the border,
    the visible fraction of every object (1 inside, 0 outside or
    degenerate), and the visible parts of the crossing ones that have an
    area (None when there are none)."""
    xp = namespace(poly)
    w_b, h_b = canvas
    inside, outside = _inside_outside(poly, w_b, h_b, xp)
    if source is not None:
        s_in, s_out = _inside_outside(src_poly, *source, xp)
        inside, outside = inside & s_in, outside | s_out
    crossing = ~inside & ~outside & finite
    visible = xp.where(inside, 1.0, xp.zeros_like(full_area))
    vis = None
    idx = xp.nonzero(crossing)
    if idx.shape[0]:
        need_src = source is not None and not bool(xp.all(s_in[idx], 0))
        vis, vis_area = _cut(poly, src_poly, matrix, idx, canvas,
                             source if need_src else None,
                             convex=box_type != 'qbox' or bool(
                                 xp.all(is_convex(poly[idx]), 0)))
        # a polygon that only touches the border has no visible area: it
        # keeps its mapped box (visible 0, so the policy drops it)
        seen = vis_area > 0
        if not bool(xp.all(seen, 0)):
            vis = Visible(vis.idx[seen], vis.pts[seen], vis.valid[seen],
                          None if vis.counts is None else vis.counts[seen])
            vis_area = vis_area[seen]
        if vis.idx.shape[0]:
            visible = xp.scatter(visible, vis.idx, vis_area / xp.maximum(
                full_area[vis.idx], 1e-12))
        else:
            vis = None
    degenerate = ~(full_area > 0) | ~finite
    return crossing, xp.where(degenerate, 0.0, visible), vis


def _cut(poly, src_poly, matrix, idx, canvas, source,
         convex: bool) -> Tuple[Visible, Array]:
    """The visible parts of the objects ``idx``: ``M(object ∩ source) ∩
    canvas`` (the source only when given), and their areas."""
    xp = namespace(poly)
    sub = poly[idx]
    mat = matrix if matrix.ndim == 2 else matrix[idx]
    ww, hh = (_sel(b, idx) for b in canvas)
    if source is not None:
        sw, sh = (_sel(b, idx) for b in source)
    if convex:
        # every piece is convex: one fixed set of array operations
        quads = [sub]
        if source is not None:
            if mat.ndim == 2 and not hasattr(sw, 'shape'):
                # one turned source image for every row: turned once
                one = apply_matrix(rect_corners(sw, sh, sub[:1]), mat)
                quads.append(xp.full((sub.shape[0], 1, 1), 0.0, sub) + one)
            else:
                quads.append(apply_matrix(rect_corners(sw, sh, sub), mat))
        quads.append(rect_corners(ww, hh, sub))
        pts, valid, area = convex_intersection(quads, ww, hh)
        return Visible(idx, pts, valid), area
    # a concave or self-intersecting quadrilateral (a bad annotation):
    # clip it side by side (Sutherland-Hodgman)
    pts, cnt = sub, xp.to_int(xp.full((sub.shape[0], ), 4, sub))
    if source is not None:
        pts, cnt = clip_polygons_to_rect(src_poly[idx], cnt, sw, sh)
        pts = apply_matrix(pts, mat)
    pts, cnt = clip_polygons_to_rect(pts, cnt, ww, hh)
    valid = xp.arange(pts.shape[1], pts)[None, :] < cnt[:, None]
    return Visible(idx, pts, valid, cnt), polygon_areas(pts, cnt)


# ---- mapping without a canvas -------------------------------------------
def map_boxes(boxes: Array, box_type: str, matrix: Array,
              hbox_mode: str = 'ellipse',
              angle_version: Optional[str] = None) -> Array:
    """Map boxes (N, D) by an affine homography (3, 3) or one per box
    (N, 3, 3), with no canvas to clip to: qboxes vertex by vertex (exact);
    rboxes by :func:`map_rboxes`; hboxes by ``hbox_mode`` ('envelope':
    the box of the mapped corners; 'ellipse': of the mapped inscribed
    ellipse; both exact for maps that keep the axes: quarter turns, flips,
    resizes). rboxes are then regularised into ``angle_version``. The way
    back of test-time views uses it; :func:`warp_boxes` is this, plus the
    visible part."""
    if hbox_mode not in HBOX_MODES:
        raise ValueError(f'unknown hbox_mode {hbox_mode!r}: expected one of '
                         f'{HBOX_MODES}')
    poly = apply_matrix(box_type_info(box_type).to_poly(boxes), matrix)
    if box_type == 'qbox':
        return poly.reshape(poly.shape[0], 8)
    if box_type == 'rbox':
        out = map_rboxes(boxes, matrix, poly)
        return out if angle_version is None else regularize_rboxes(
            out, angle_version)
    if hbox_mode == 'ellipse':
        return ellipse_hbox(boxes, matrix)
    return fit_hbox(poly, None)


def map_rboxes(boxes: Array, matrix: Array, poly: Array) -> Array:
    """rboxes (N, 5) mapped by ``matrix``; ``poly`` (N, 4, 2): their mapped
    corners. A turn moves the centre and adds its angle (exact); any other
    map (a mirror, a resize, a shear) gives the tightest box around the
    mapped corners at the angle of the mapped width axis: exact for
    mirrors and uniform scales (a mirror reflects the angle)."""
    xp = namespace(boxes)
    t = boxes[:, 4] + matrix_angles(matrix)
    out = xp.cat([apply_matrix(boxes[:, None, :2], matrix)[:, 0],
                  boxes[:, 2:4], t[:, None]], 1)
    turn = _is_turn(matrix, xp)
    if turn is True or (turn is not False and bool(xp.all(turn, 0))):
        return out
    a = matrix[..., :2, :2]
    c, s = xp.cos(boxes[:, 4]), xp.sin(boxes[:, 4])
    ax = a[..., 0, 0] * c + a[..., 0, 1] * s  # the mapped width axis
    ay = a[..., 1, 0] * c + a[..., 1, 1] * s
    fitted = fit_rbox(poly, None, xp.atan2(ay, ax))
    if turn is False:
        return fitted
    return xp.where(turn[:, None], out, fitted)


def _is_turn(matrix: Array, xp):
    """Whether the linear part is a rotation (orthonormal, no mirror): a
    bool for one (3, 3) matrix, a mask for (N, 3, 3)."""
    a00, a01 = matrix[..., 0, 0], matrix[..., 0, 1]
    a10, a11 = matrix[..., 1, 0], matrix[..., 1, 1]
    if matrix.ndim == 2:
        a00, a01, a10, a11 = (float(v) for v in (a00, a01, a10, a11))
        return (abs(a00 - a11) <= 1e-9 and abs(a01 + a10) <= 1e-9
                and abs(a00 * a00 + a10 * a10 - 1.0) <= 1e-9)
    return ((xp.abs(a00 - a11) <= 1e-9) & (xp.abs(a01 + a10) <= 1e-9)
            & (xp.abs(a00 * a00 + a10 * a10 - 1.0) <= 1e-9))


# ---- refits: the box of each layout around the visible parts -------------
def _refit_to_hbox(poly, vis: Optional[Visible], canvas, clip: bool):
    """Oriented objects -> the tight horizontal box of each mapped (and
    clipped) object."""
    xp = namespace(poly)
    out = fit_hbox(poly, None)
    if vis is not None:
        out = xp.scatter(out, vis.idx, fit_hbox(vis.pts, vis.valid))
    return clip_hboxes(out, *canvas) if clip else out


def _refit_rbox(safe, poly, matrix, vis: Optional[Visible],
                angle_version: Optional[str], canvas):
    """rboxes map exactly (:func:`map_rboxes`); those that cross the border
    become the tightest box at the object's own angle around its visible
    part (centre on the canvas: :func:`_centres_onto_canvas`)."""
    xp = namespace(safe)
    out = map_rboxes(safe, matrix, poly)
    if vis is not None:
        fitted = fit_rbox(vis.pts, vis.valid, out[vis.idx, 4])
        out = xp.scatter(out, vis.idx,
                         _centres_onto_canvas(fitted, canvas, vis.idx))
    if angle_version is not None:
        out = regularize_rboxes(out, angle_version)
    return out


#: how far (px) rounding may leave a refitted rbox's centre off the canvas
CENTRE_SNAP = 1e-6


def _centres_onto_canvas(fitted, canvas, idx):
    """The centre of the box around a visible part lies on the canvas, and
    exactly on its border when the part is a corner of the object (the box
    then spans the corner and the two points where its sides leave the
    canvas): rounding leaves such centres off the border by about 1e-13 px
    about half the time, and the policy would drop a visible object for an
    off-canvas centre by chance. Centres within :data:`CENTRE_SNAP` of the
    canvas are put on its border; the box's sides and angle are kept."""
    xp = namespace(fitted)
    ww, hh = (_sel(b, idx) for b in canvas)
    cols = []
    for k, size in ((0, ww), (1, hh)):
        c = fitted[:, k]
        c = xp.where((c < 0) & (c >= -CENTRE_SNAP), 0.0, c)
        c = xp.where((c > size) & (c <= size + CENTRE_SNAP), size, c)
        cols.append(c[:, None])
    return xp.cat(cols + [fitted[:, 2:]], 1)


def _refit_qbox(poly, vis: Optional[Visible]):
    """qboxes map exactly; those that cross the border get the qbox rule
    (:func:`~.fit.fit_qbox`) around their visible part."""
    xp = namespace(poly)
    out = poly.reshape(poly.shape[0], 8)
    if vis is not None:
        pts, cnt = vis.pts, vis.counts
        if cnt is None:  # boundary points of a convex intersection
            pts, cnt = order_convex(vis.pts, vis.valid)
        out = xp.scatter(out, vis.idx, fit_qbox(pts, cnt, poly[vis.idx]))
    return out


def _refit_hbox(safe, poly, matrix, vis: Optional[Visible], canvas,
                clip: bool, hbox_mode: str):
    """Horizontal boxes of unknown shape: the box of the turned inscribed
    ellipse or of the turned rectangle, cut to the visible part of the
    turned rectangle."""
    xp = namespace(safe)
    if hbox_mode == 'ellipse':
        out = ellipse_hbox(safe, matrix)
        if vis is not None:
            # the object lies in its box: its visible part lies in the
            # visible part of the turned box
            tight = fit_hbox(vis.pts, vis.valid)
            sub = out[vis.idx]
            lo = xp.maximum(sub[:, :2], tight[:, :2])
            hi = xp.maximum(xp.minimum(sub[:, 2:], tight[:, 2:]), lo)
            out = xp.scatter(out, vis.idx, xp.cat([lo, hi], 1))
    else:
        out = fit_hbox(poly, None)
        if vis is not None:
            out = xp.scatter(out, vis.idx, fit_hbox(vis.pts, vis.valid))
    return clip_hboxes(out, *canvas) if clip else out


def round_to_storage(warped: WarpedBoxes, box_type: str,
                     dtype) -> WarpedBoxes:
    """Round the boxes to the dtype they will be stored in (float32 in
    mmdet's box containers) and recompute their sides, so that the policy
    judges the boxes that actually leave (a side of 1e-9 px at 8 px is 0 in
    float32). ``box_type``: the type of ``warped.boxes``."""
    b = warped.boxes
    if hasattr(b, 'astype'):
        import numpy as np
        with np.errstate(over='ignore', invalid='ignore'):
            stored = b.astype(dtype).astype(b.dtype)
    else:
        stored = b.to(dtype).to(b.dtype)
    warped.boxes, warped.box_type = stored, box_type
    warped._sides = None  # measured again on the stored boxes when read
    return warped


def clip_hboxes(boxes: Array, width, height) -> Array:
    """Clamp horizontal boxes to ``[0, width] x [0, height]``."""
    xp = namespace(boxes)
    zero = xp.zeros_like(boxes[:, 0])
    wv, hv = zero + width, zero + height
    x1 = xp.minimum(xp.maximum(boxes[:, 0], zero), wv)
    y1 = xp.minimum(xp.maximum(boxes[:, 1], zero), hv)
    x2 = xp.minimum(xp.maximum(boxes[:, 2], zero), wv)
    y2 = xp.minimum(xp.maximum(boxes[:, 3], zero), hv)
    return xp.stack([x1, y1, x2, y2], -1)


def visible_polygons(pts: Array, counts: Array, width, height):
    """Clip padded polygons to the canvas and return ``(pts, counts,
    visible_area, full_area)`` (used for instance masks)."""
    full = polygon_areas(pts, counts)
    vis_pts, vis_counts = clip_polygons_to_rect(pts, counts, width, height)
    return vis_pts, vis_counts, polygon_areas(vis_pts, vis_counts), full


# ---- small helpers for scalar-or-per-row canvases ------------------------
def _bound(v):
    return v if isinstance(v, (int, float)) else v.reshape(-1)


def _sel(b, idx):
    return b if isinstance(b, (int, float)) else b[idx]


def _inside_outside(poly: Array, w_b, h_b, xp):
    """Quadrilaterals (N, 4, 2) wholly inside ``[0, w] x [0, h]``, and
    wholly beyond one of its sides. (Minima of four columns: numpy reduces
    slowly over a short last axis.)"""
    x, y = poly[..., 0], poly[..., 1]
    x0, x1, x2, x3 = x[:, 0], x[:, 1], x[:, 2], x[:, 3]
    y0, y1, y2, y3 = y[:, 0], y[:, 1], y[:, 2], y[:, 3]
    xmin = xp.minimum(xp.minimum(x0, x1), xp.minimum(x2, x3))
    xmax = xp.maximum(xp.maximum(x0, x1), xp.maximum(x2, x3))
    ymin = xp.minimum(xp.minimum(y0, y1), xp.minimum(y2, y3))
    ymax = xp.maximum(xp.maximum(y0, y1), xp.maximum(y2, y3))
    inside = (xmin >= 0) & (ymin >= 0) & (xmax <= w_b) & (ymax <= h_b)
    outside = (xmax <= 0) | (ymax <= 0) | (xmin >= w_b) | (ymin >= h_b)
    return inside, outside


def _abs_det(matrix: Array, xp):
    """|det| of the linear part: the factor by which areas change."""
    det = matrix[..., 0, 0] * matrix[..., 1, 1] - \
        matrix[..., 0, 1] * matrix[..., 1, 0]
    return xp.abs(det)
