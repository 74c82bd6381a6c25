"""The one place where boxes are moved: map boxes by an affine homography,
measure the visible part of each object on the output canvas, and refit the
box to that visible part. Every rotaug transform and the batch (GPU) path call
:func:`warp_boxes`; nothing else computes box geometry.
"""
from dataclasses import dataclass, field
from typing import Optional, Tuple, Union

from .backend import Array, namespace
from .boxes import (BOX_DIMS, apply_matrix, box_sides, boxes_to_poly,
                    ellipse_hbox, fit_hbox, fit_qbox, fit_rbox,
                    matrix_angles, regularize_rboxes)
from .polygon import (clip_polygons_to_rect, convex_intersection,
                      full_polygon_areas, is_convex, order_convex,
                      polygon_areas, rect_corners)

HBOX_MODES = ('ellipse', 'envelope')
Scalar = Union[int, float]


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


def _centres(boxes: Array, box_type: str) -> Array:
    if box_type == 'hbox':
        return (boxes[:, :2] + boxes[:, 2:4]) * 0.5
    if box_type == 'rbox':
        return boxes[:, :2]
    # the vertex mean, MMRotate's QuadriBoxes.centers (four columns: numpy
    # reduces slowly over a short axis)
    return (boxes[:, 0:2] + boxes[:, 2:4] + boxes[:, 4:6] +
            boxes[:, 6:8]) * 0.25


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
            object's angle; qbox → see :func:`~.boxes.fit_qbox`. Boxes wholly
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
    if box_type not in BOX_DIMS:
        raise ValueError(f'unknown box type {box_type!r}')
    if out_type not in (None, box_type, 'hbox'):
        raise ValueError(f'cannot convert {box_type!r} to {out_type!r}: '
                         "out_type must be None, the input type or 'hbox'")
    if hbox_mode not in HBOX_MODES:
        raise ValueError(f'unknown hbox_mode {hbox_mode!r}: expected one of '
                         f'{HBOX_MODES}')
    xp = namespace(boxes)
    n = boxes.shape[0]
    finite = xp.all(xp.isfinite(boxes), 1)
    safe = xp.where(finite[:, None], boxes, 0.0)

    src_poly = boxes_to_poly(safe, box_type)
    poly = apply_matrix(src_poly, matrix)  # (N, 4, 2)
    full_area = _box_areas(safe, box_type, src_poly) * _abs_det(matrix, xp)

    w_b, h_b = _bound(width), _bound(height)
    inside, outside = _inside_outside(poly, w_b, h_b, xp)
    cut_src = src_width is not None
    if cut_src:
        sw_b, sh_b = _bound(src_width), _bound(src_height)
        s_in, s_out = _inside_outside(src_poly, sw_b, sh_b, xp)
        inside, outside = inside & s_in, outside | s_out
    crossing = ~inside & ~outside & finite

    visible = xp.where(inside, 1.0, xp.zeros_like(full_area))
    cross_idx = _nonzero(crossing, xp)
    vis_pts = vis_valid = vis_cnt = None
    if cross_idx.shape[0]:
        sub = poly[cross_idx]
        mat_sub = matrix if matrix.ndim == 2 else matrix[cross_idx]
        ww, hh = _sel(w_b, cross_idx), _sel(h_b, cross_idx)
        need_src = cut_src and not bool(xp.all(s_in[cross_idx], 0))
        if need_src:
            sw, sh = _sel(sw_b, cross_idx), _sel(sh_b, cross_idx)
        if box_type != 'qbox' or bool(xp.all(is_convex(sub), 0)):
            # every piece is convex: one fixed set of array operations
            quads = [sub]
            if need_src:
                quads.append(apply_matrix(rect_corners(sw, sh, sub), mat_sub))
            quads.append(rect_corners(ww, hh, sub))
            vis_pts, vis_valid, vis_area = convex_intersection(quads, ww, hh)
        else:
            # a concave or self-intersecting quadrilateral (a bad
            # annotation): clip it side by side (Sutherland-Hodgman)
            pts, cnt = sub, xp.to_int(xp.full((sub.shape[0], ), 4, sub))
            if need_src:
                pts, cnt = clip_polygons_to_rect(src_poly[cross_idx], cnt,
                                                 sw, sh)
                pts = apply_matrix(pts, mat_sub)
            vis_pts, cnt = clip_polygons_to_rect(pts, cnt, ww, hh)
            vis_area = polygon_areas(vis_pts, cnt)
            vis_cnt = cnt
            vis_valid = xp.arange(vis_pts.shape[1], vis_pts)[None, :] < \
                cnt[:, None]
        # a polygon that only touches the border has no visible area: it
        # keeps its mapped box (visible 0, so the policy drops it)
        seen = vis_area > 0
        if not bool(xp.all(seen, 0)):
            cross_idx, vis_pts = cross_idx[seen], vis_pts[seen]
            vis_valid, vis_area = vis_valid[seen], vis_area[seen]
            if vis_cnt is not None:
                vis_cnt = vis_cnt[seen]
            if cross_idx.shape[0] == 0:
                vis_pts = vis_valid = None
        if vis_pts is not None:
            visible = _scatter(visible, cross_idx, vis_area /
                               xp.maximum(full_area[cross_idx], 1e-12), xp)
    degenerate = ~(full_area > 0) | ~finite
    visible = xp.where(degenerate, 0.0, visible)
    # --- refit -----------------------------------------------------------
    if out_type == 'hbox' and box_type != 'hbox':
        out = fit_hbox(poly, None)
        if clip and vis_pts is not None:
            out = _scatter(out, cross_idx, fit_hbox(vis_pts, vis_valid), xp)
        if clip:
            out = clip_hboxes(out, w_b, h_b)
        box_type = 'hbox'
    elif box_type == 'rbox':
        t = safe[:, 4] + matrix_angles(matrix)
        out = xp.cat([apply_matrix(safe[:, None, :2], matrix)[:, 0],
                      safe[:, 2:4], t[:, None]], 1)
        if clip and vis_pts is not None:
            out = _scatter(out, cross_idx,
                           fit_rbox(vis_pts, vis_valid, t[cross_idx]), xp)
        if angle_version is not None:
            out = regularize_rboxes(out, angle_version)
    elif box_type == 'qbox':
        out = poly.reshape(n, 8)
        if clip and vis_pts is not None:
            if vis_cnt is None:  # boundary points of a convex intersection
                vis_pts, vis_cnt = order_convex(vis_pts, vis_valid)
            out = _scatter(out, cross_idx,
                           fit_qbox(vis_pts, vis_cnt, poly[cross_idx]), xp)
    else:
        if hbox_mode == 'ellipse':
            out = ellipse_hbox(safe, matrix)
            if clip and vis_pts is not None:
                # the object lies in its box: its visible part lies in the
                # visible part of the turned box
                tight = fit_hbox(vis_pts, vis_valid)
                sub = out[cross_idx]
                lo = xp.maximum(sub[:, :2], tight[:, :2])
                hi = xp.minimum(sub[:, 2:], tight[:, 2:])
                hi = xp.maximum(hi, lo)
                out = _scatter(out, cross_idx, xp.cat([lo, hi], 1), xp)
        else:
            out = fit_hbox(poly, None)
            if clip and vis_pts is not None:
                out = _scatter(out, cross_idx,
                               fit_hbox(vis_pts, vis_valid), xp)
        if clip:
            out = clip_hboxes(out, w_b, h_b)

    ctr = _centres(out, box_type)
    centre_inside = ((ctr[:, 0] >= 0) & (ctr[:, 1] >= 0)
                     & (ctr[:, 0] <= _flat(w_b)) & (ctr[:, 1] <= _flat(h_b)))
    return WarpedBoxes(out, visible, finite, centre_inside, crossing,
                       xp.where(finite, full_area, xp.zeros_like(full_area)),
                       box_type)


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


def _bound(v):
    return v if isinstance(v, (int, float)) else v.reshape(-1)


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


def _box_areas(boxes: Array, box_type: str, poly: Array) -> Array:
    """Areas of the objects before mapping. A flipped hbox (x2 < x1 or
    y2 < y1) or an rbox with a negative side has none: it is degenerate
    (dropped and counted, as mmdet and torchvision treat it), never
    silently turned round. A qbox may run either way."""
    xp = namespace(boxes)
    if box_type == 'hbox':
        return (xp.maximum(boxes[:, 2] - boxes[:, 0], 0.0) *
                xp.maximum(boxes[:, 3] - boxes[:, 1], 0.0))
    if box_type == 'rbox':
        return xp.maximum(boxes[:, 2], 0.0) * xp.maximum(boxes[:, 3], 0.0)
    return full_polygon_areas(poly)


def _abs_det(matrix: Array, xp):
    """|det| of the linear part: the factor by which areas change."""
    det = matrix[..., 0, 0] * matrix[..., 1, 1] - \
        matrix[..., 0, 1] * matrix[..., 1, 0]
    return xp.abs(det)


def clip_hboxes(boxes: Array, width, height) -> Array:
    """Clamp horizontal boxes to ``[0, width] x [0, height]``."""
    xp = namespace(boxes)
    zero = xp.zeros_like(boxes[:, 0])
    wv = zero + _flat(width)
    hv = zero + _flat(height)
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


# ---- small helpers for scalar-or-per-row canvases and index updates -------
def _flat(b):
    return b


def _sel(b, idx):
    return b if isinstance(b, (int, float)) else b[idx]


def _nonzero(mask: Array, xp) -> Array:
    if xp.name == 'torch':
        return mask.nonzero(as_tuple=True)[0]
    return mask.nonzero()[0]


def _scatter(dst: Array, idx: Array, values: Array, xp) -> Array:
    out = dst.clone() if xp.name == 'torch' else dst.copy()
    out[idx] = values.to(out.dtype) if xp.name == 'torch' else values
    return out
