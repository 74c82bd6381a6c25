"""Instance masks under a homography, for both paths: polygon masks are
mapped and clipped exactly, bitmap masks are warped (with nearest
interpolation by default), and horizontal boxes of objects with masks are
refitted to the exact box of the turned, clipped mask
(``hbox_from_masks``)."""
from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy as np
from mmdet.structures.mask import BitmapMasks, PolygonMasks

from ..geometry import (WarpedBoxes, apply_matrix, clip_polygons_to_rect,
                        fit_hbox, polygon_areas, visible_polygons,
                        warp_boxes)
from ..geometry.image import is_identity, warp_image
from ..policy import DropStats


@dataclass
class PolygonPlan:
    """The polygons of a ``PolygonMasks`` mapped onto a canvas.

    Attributes:
        pts, counts: the mapped (and, when clipping, clipped) polygons as a
            padded batch (K, M, 2) with their vertex counts (K,).
        owner: the instance each polygon belongs to (K,).
        visible_area, full_area: each polygon's area on the canvas and
            whole (before clipping).
        nonfinite: how many polygons had a non-finite coordinate (a
            malformed annotation: given no vertices, so they carry no
            shape; counted when the masks are written).
    """
    pts: np.ndarray
    counts: np.ndarray
    owner: np.ndarray
    visible_area: np.ndarray
    full_area: np.ndarray
    nonfinite: int = 0


def polygon_batch(masks: PolygonMasks) -> Tuple[np.ndarray, np.ndarray,
                                                np.ndarray]:
    """Flatten PolygonMasks into a padded batch ``(pts, counts, owner)``."""
    polys, owner = [], []
    for i, inst in enumerate(masks.masks):
        for j, p in enumerate(inst):
            p = np.asarray(p, dtype=np.float64).reshape(-1)
            if p.size % 2:
                raise ValueError(
                    f'gt_masks: polygon {j} of instance {i} has {p.size} '
                    'coordinates; polygons are flat (x1, y1, x2, y2, ...) '
                    'lists of an even length')
            polys.append(p.reshape(-1, 2))
            owner.append(i)
    m = max((len(p) for p in polys), default=0)
    pts = np.zeros((len(polys), m, 2))
    counts = np.zeros(len(polys), dtype=np.int64)
    for k, p in enumerate(polys):
        pts[k, :len(p)] = p
        counts[k] = len(p)
    return pts, counts, np.asarray(owner, dtype=np.int64)


def plan_polygons(masks: PolygonMasks, matrix, width: int, height: int,
                  clip: bool, src_size: Optional[tuple] = None
                  ) -> PolygonPlan:
    """Map the polygons of ``masks`` by ``matrix`` onto the canvas
    ``width`` x ``height``: cut to the source image ``src_size`` (w, h)
    first when given (the parts outside it have no pixels to carry), and
    to the canvas when ``clip``."""
    pts, counts, owner = polygon_batch(masks)
    if len(pts) == 0:
        return PolygonPlan(pts, counts, owner, np.zeros(0), np.zeros(0))
    finite = np.isfinite(pts).all((1, 2))
    nonfinite = int((~finite).sum())
    if nonfinite:
        pts = np.where(finite[:, None, None], pts, 0.0)
        counts = np.where(finite, counts, 0)
    if src_size is not None:
        full = polygon_areas(pts, counts)
        pts, counts = clip_polygons_to_rect(pts, counts, float(src_size[0]),
                                            float(src_size[1]))
        pts = apply_matrix(pts, matrix)
        vis, vcounts, vis_area, _ = visible_polygons(pts, counts, width,
                                                     height)
        if not clip:
            vis, vcounts = pts, counts
        return PolygonPlan(vis, vcounts, owner, vis_area, full, nonfinite)
    pts = apply_matrix(pts, matrix)
    if clip:
        vis, vcounts, vis_area, full = visible_polygons(pts, counts, width,
                                                        height)
    else:
        vis, vcounts = pts, counts
        full = polygon_areas(pts, counts)
        _, _, vis_area, _ = visible_polygons(pts, counts, width, height)
    return PolygonPlan(vis, vcounts, owner, vis_area, full, nonfinite)


def polygon_masks(polys: PolygonPlan, num: int, keep_idx: np.ndarray,
                  height: int, width: int, stats: DropStats) -> PolygonMasks:
    """The ``PolygonMasks`` of instances ``keep_idx`` (of ``num``) from
    mapped polygons. An instance keeps its polygons of three or more
    vertices; polygons with a non-finite coordinate (left without vertices
    by :func:`plan_polygons`, or overflowing on the way) are left out and
    counted in ``stats`` as ``nonfinite_mask_polygons``; an instance left
    with none gets the empty polygon mmdet uses (six zeros)."""
    bad = polys.nonfinite
    per_inst: List[list] = [[] for _ in range(num)]
    for k in range(len(polys.owner)):
        if polys.counts[k] >= 3:
            p = polys.pts[k, :polys.counts[k]].reshape(-1)
            if not np.isfinite(p).all():
                bad += 1
                continue
            per_inst[polys.owner[k]].append(p.astype(np.float32))
    if bad:
        stats.bump('nonfinite_mask_polygons', bad)
        stats.maybe_log()
    return PolygonMasks(
        [per_inst[i] or [np.zeros(6, dtype=np.float32)] for i in keep_idx],
        height, width)


def warp_bitmap_masks(masks: BitmapMasks, matrix, width: int, height: int,
                      border_value: int,
                      interpolation: str = 'nearest') -> BitmapMasks:
    """Bitmap masks warped (nearest interpolation unless told otherwise:
    MMRotate warps them with the image's), one instance at a time (no
    transposes of the (N, H, W) stack: five times faster than warping it as
    an H x W x N image, on 50 masks of 1024 x 1024)."""
    arr = masks.masks
    out = np.empty((len(arr), int(height), int(width)), arr.dtype)
    for k in range(len(arr)):
        out[k] = warp_image(arr[k], matrix, width, height, interpolation,
                            border_value)
    return BitmapMasks(out, height, width)


def refit_hboxes_to_masks(warped: WarpedBoxes, masks, matrix, width: int,
                          height: int, clip: bool,
                          src_size: Optional[tuple] = None,
                          polys: Optional[PolygonPlan] = None) -> None:
    """Refit the horizontal boxes ``warped`` (numpy, one row per instance
    of ``masks``) of objects with a mask to the exact box of the turned,
    clipped object, and measure their visible fraction on it, in place:
    polygon masks by their polygons (``polys``: :func:`plan_polygons` of
    them, computed when None), bitmap masks by their pixels (only when the
    image turns: without a turn the pixels add nothing to the clamped box;
    they only approximate the object the box was drawn around). Instances
    with an empty mask keep the box rule."""
    if isinstance(masks, PolygonMasks):
        if polys is None:
            polys = plan_polygons(masks, matrix, width, height, clip,
                                  src_size)
        if len(polys.owner):
            _refit_to_pieces(warped, fit_hbox(polys.pts, polys.counts),
                             polys.counts >= 3, polys.owner,
                             polys.visible_area, polys.full_area, width,
                             height)
    elif isinstance(masks, BitmapMasks) and not is_identity(matrix):
        rects, owner = bitmap_pieces(masks)
        if len(owner) == 0:
            return
        src = (None, None) if src_size is None else src_size
        pieces = warp_boxes(rects, 'hbox', matrix, width, height, clip=clip,
                            hbox_mode='envelope', src_width=src[0],
                            src_height=src[1])
        # clipped: the pieces seen; unclipped: every piece
        ok = pieces.visible > 0 if clip else pieces.area > 0
        _refit_to_pieces(warped, pieces.boxes, ok, owner,
                         pieces.visible * pieces.area, pieces.area, width,
                         height)


def bitmap_pieces(masks: BitmapMasks) -> Tuple[np.ndarray, np.ndarray]:
    """The region of each bitmap instance as horizontal rectangles in
    continuous pixel coordinates (pixel ``(r, c)`` covers ``[c, c + 1) x
    [r, r + 1)``): every run of set pixels in a row, runs repeated on
    consecutive rows merged. Returns ``(rects (K, 4), owner (K,))``; the
    rectangles of an instance tile its pixels exactly (same union, same
    area). Each instance is scanned inside its own bounding box."""
    arr = np.asarray(masks.masks)
    if arr.size == 0:
        return np.zeros((0, 4)), np.zeros(0, np.int64)
    rows_any, cols_any = arr.any(2), arr.any(1)
    inst, row, x0, x1 = [], [], [], []
    for i in np.flatnonzero(rows_any.any(1)):
        r = np.flatnonzero(rows_any[i])
        c = np.flatnonzero(cols_any[i])
        sub = arr[i, r[0]:r[-1] + 1, c[0]:c[-1] + 1] != 0
        edge = np.zeros((sub.shape[0], 1), bool)
        e = np.concatenate([edge, sub, edge], 1)
        rr, cc = np.nonzero(e[:, 1:] != e[:, :-1])
        # transitions alternate: a run starts, then ends, within its row
        inst.append(np.full(len(rr) // 2, i))
        row.append(rr[0::2] + r[0])
        x0.append(cc[0::2] + c[0])
        x1.append(cc[1::2] + c[0])
    if not inst:
        return np.zeros((0, 4)), np.zeros(0, np.int64)
    inst, row, x0, x1 = (np.concatenate(v) for v in (inst, row, x0, x1))
    order = np.lexsort((row, x1, x0, inst))
    inst, row, x0, x1 = inst[order], row[order], x0[order], x1[order]
    new = np.ones(len(row), bool)
    new[1:] = ((inst[1:] != inst[:-1]) | (x0[1:] != x0[:-1])
               | (x1[1:] != x1[:-1]) | (row[1:] != row[:-1] + 1))
    first = np.flatnonzero(new)
    last = np.r_[first[1:], len(row)] - 1
    rects = np.stack([x0[first], row[first], x1[first], row[last] + 1], 1)
    return rects.astype(np.float64), inst[first].astype(np.int64)


def _refit_to_pieces(warped: WarpedBoxes, boxes, ok, owner, vis_area, full,
                     width: int, height: int) -> None:
    """Exact horizontal boxes and visible fractions of objects made of
    pieces (polygons of a polygon mask, pixel runs of a bitmap mask):
    ``boxes`` (K, 4) the tight box of each piece's visible part (valid
    where ``ok``), ``owner`` (K,) its instance, ``vis_area``/``full`` its
    visible and whole area. Instances without pieces keep the box rule."""
    n = len(warped.visible)
    # only pieces with an area carry a shape: an instance whose polygons
    # are all degenerate or non-finite keeps the box rule
    real = (full > 0) & np.isfinite(full)
    has = np.zeros(n, dtype=bool)
    has[owner[real]] = True
    ok = ok & real
    lo = np.full((2, n), np.inf)
    hi = np.full((2, n), -np.inf)
    for axis in (0, 1):
        np.minimum.at(lo[axis], owner[ok], boxes[ok, axis])
        np.maximum.at(hi[axis], owner[ok], boxes[ok, axis + 2])
    va = np.zeros(n)
    fa = np.zeros(n)
    np.add.at(va, owner[real], vis_area[real])
    np.add.at(fa, owner[real], full[real])
    seen = has & np.isfinite(lo[0])
    warped.boxes[seen] = np.stack([lo[0], lo[1], hi[0], hi[1]], 1)[seen]
    ratio = np.where(fa > 0, va / np.maximum(fa, 1e-12), 0.0)
    warped.visible[has] = np.where(warped.finite[has], ratio[has], 0.0)
    # the sides are measured when read, after round_to_storage
    ctr = (warped.boxes[:, :2] + warped.boxes[:, 2:]) / 2
    warped.centre_inside[:] = ((ctr[:, 0] >= 0) & (ctr[:, 1] >= 0)
                               & (ctr[:, 0] <= width)
                               & (ctr[:, 1] <= height))
