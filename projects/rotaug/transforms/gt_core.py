"""Shared machinery of the rotaug transforms: read the ground truths out of a
results dict, map them through one homography with the geometry core, apply
the keep/ignore/drop policy, and write every per-instance field back through
one index."""
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmdet.structures.bbox import BaseBoxes, get_box_type
from mmdet.structures.mask import BitmapMasks, PolygonMasks

from ..geometry import (ANGLE_VERSIONS, BOX_DIMS, HBOX_MODES, WarpedBoxes,
                        apply_matrix, clip_polygons_to_rect, fit_hbox,
                        polygon_areas, round_to_storage, to_cv2_affine,
                        visible_polygons, warp_boxes)
from ..policy import DropStats, GTPolicy

INTERPOLATIONS = {
    'nearest': cv2.INTER_NEAREST,
    'bilinear': cv2.INTER_LINEAR,
    'bicubic': cv2.INTER_CUBIC,
    'area': cv2.INTER_AREA,
    'lanczos': cv2.INTER_LANCZOS4,
}
# keys that hold one entry per ground-truth instance in mmdet pipelines
_SKIP_KEYS = ('gt_bboxes', 'gt_masks', 'gt_seg_map', 'gt_ignore_flags')
# keys that are per-instance whatever their length (a wrong length is an
# error, not a sign of an image-level field)
_ALWAYS_INSTANCE_KEYS = ('gt_masks', 'gt_ignore_flags', 'gt_bboxes_labels')


_NP_DTYPES = {torch.float32: np.float32, torch.float64: np.float64,
              torch.float16: np.float16}


def image_size(results: dict) -> Tuple[int, int]:
    """(height, width) of the image: ``img_shape``, or the shape of ``img``
    where a pipeline has not set it. The two must agree where both are
    given (a transform that changed one and not the other would otherwise
    put the pixels and the boxes out of step)."""
    shape = results.get('img_shape', None)
    img = results.get('img', None)
    if img is not None:
        if img.ndim < 2 or img.shape[0] == 0 or img.shape[1] == 0:
            raise ValueError('rotaug cannot turn an image of shape '
                             f'{tuple(img.shape)}: it needs at least one '
                             'row and one column')
        if shape is not None and tuple(int(v) for v in shape[:2]) != \
                tuple(img.shape[:2]):
            raise ValueError(
                f'results["img_shape"] is {tuple(shape)} but results["img"]'
                f' has shape {tuple(img.shape)}: an earlier transform '
                'changed one and not the other')
        shape = img.shape
    if shape is None:
        raise KeyError('rotaug needs results["img_shape"] or results["img"] '
                       f'to know the image size; keys: {sorted(results)}')
    return int(shape[0]), int(shape[1])


def check_pixel_fields(results: dict, height: int, width: int) -> None:
    """Bitmap masks and the seg map are warped with the image's matrix:
    they must have its size."""
    masks = results.get('gt_masks', None)
    if isinstance(masks, BitmapMasks):
        got = tuple(masks.masks.shape[1:3])
        if got != (height, width):
            raise ValueError(f'gt_masks are {got[0]}x{got[1]} bitmaps but '
                             f'the image is {height}x{width}: they must '
                             'match to be turned with it')
    seg = results.get('gt_seg_map', None)
    if seg is not None and tuple(seg.shape[:2]) != (height, width):
        raise ValueError(f'gt_seg_map has shape {tuple(seg.shape)} but the '
                         f'image is {height}x{width}: they must match to be '
                         'turned with it')


_WIDTH_BOX_TYPES = {dim: name for name, dim in BOX_DIMS.items()}


def box_type_of(boxes) -> str:
    """'hbox', 'rbox' or 'qbox' for a ``BaseBoxes``, or for a plain array or
    tensor read by its width: (N, 4) hbox (mmdet pipelines without
    ``box_type`` keep hboxes so; an empty 1-D array counts as (0, 4)),
    (N, 5) rbox, (N, 8) qbox (what ``boxtype2tensor`` leaves in the data
    preprocessor)."""
    if isinstance(boxes, BaseBoxes):
        name, _ = get_box_type(type(boxes))
        if name not in ('hbox', 'rbox', 'qbox'):
            raise TypeError(f'rotaug cannot rotate boxes of type {name!r} '
                            f'({type(boxes).__name__})')
        return name
    shape = tuple(getattr(boxes, 'shape', None) or np.shape(boxes))
    if len(shape) == 2 and shape[1] in _WIDTH_BOX_TYPES:
        return _WIDTH_BOX_TYPES[shape[1]]
    if shape == (0, ):
        return 'hbox'
    raise TypeError('gt_bboxes must be HorizontalBoxes, RotatedBoxes, '
                    'QuadriBoxes or a plain (N, 4 | 5 | 8) array (hbox, '
                    f'rbox, qbox), got {type(boxes).__name__} of shape '
                    f'{shape}')


def storage_dtype(boxes):
    """The numpy dtype ``boxes`` are stored in (what ``boxes_like`` will
    write)."""
    if isinstance(boxes, BaseBoxes) or isinstance(boxes, torch.Tensor):
        return _NP_DTYPES.get(boxes.dtype, np.float32)
    return np.asarray(boxes).dtype


def boxes_as_numpy(boxes) -> np.ndarray:
    if isinstance(boxes, BaseBoxes):
        return boxes.tensor.detach().cpu().numpy().astype(np.float64)
    if isinstance(boxes, torch.Tensor):
        return boxes.detach().cpu().numpy().astype(np.float64)
    arr = np.asarray(boxes, dtype=np.float64)
    return arr.reshape(0, 4) if arr.shape == (0, ) else arr


def box_container(template, box_type: Optional[str] = None):
    """The box container class for data derived from ``template`` (a
    ``BaseBoxes``): its own class, or that of ``box_type`` when the data
    changed type (``out_box_type``). Both the per-image and the batch path
    choose it here; the dtype stays the template's."""
    if box_type is None or get_box_type(type(template))[0] == box_type:
        return type(template)
    return get_box_type(box_type)[1]


def boxes_like(template, data: np.ndarray, box_type: Optional[str] = None):
    """Wrap ``data`` in the container type and dtype of ``template`` (a
    box container of ``box_type`` when that is given: see
    :func:`box_container`). Plain arrays and tensors stay plain."""
    if isinstance(template, BaseBoxes):
        arr = np.ascontiguousarray(data, dtype=_NP_DTYPES.get(
            template.dtype, np.float32))
        return box_container(template, box_type)(torch.from_numpy(arr),
                                                 clone=False)
    if isinstance(template, torch.Tensor):
        return torch.as_tensor(data, dtype=template.dtype)
    return data.astype(np.asarray(template).dtype, copy=False)


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
            p = p.reshape(-1, 2)
            polys.append(p)
            owner.append(i)
    m = max((len(p) for p in polys), default=0)
    pts = np.zeros((len(polys), m, 2))
    counts = np.zeros(len(polys), dtype=np.int64)
    for k, p in enumerate(polys):
        pts[k, :len(p)] = p
        counts[k] = len(p)
    return pts, counts, np.asarray(owner, dtype=np.int64)


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


@dataclass
class GTPlan:
    """What a homography does to the ground truths of one results dict."""
    matrix: np.ndarray
    width: int
    height: int
    box_type: Optional[str] = None
    warped: Optional[WarpedBoxes] = None
    boxes: Optional[np.ndarray] = None
    keep: Optional[np.ndarray] = None
    ignore: Optional[np.ndarray] = None
    drops: Optional[Dict[str, int]] = None
    polys: Optional[tuple] = None  # (pts, counts, owner) after clipping

    @property
    def num_input(self) -> int:
        return 0 if self.keep is None else len(self.keep)

    @property
    def num_kept(self) -> int:
        return 0 if self.keep is None else int(self.keep.sum())


class GTTransformer:
    """Maps the ground truths of a results dict through a homography.

    Owns the options that concern boxes (``clip_border``, ``hbox_mode``,
    ``angle_version``, ``hbox_from_masks``), the :class:`GTPolicy` and the
    :class:`DropStats`. Pixel work (image, masks, seg map) is done by
    :meth:`warp_pixels`.
    """

    def __init__(self,
                 policy: GTPolicy,
                 clip_border: bool = True,
                 hbox_mode: str = 'ellipse',
                 angle_version: Optional[str] = 'le90',
                 hbox_from_masks: bool = True,
                 instance_keys: Sequence[str] = (),
                 out_box_type: Optional[str] = None,
                 stats_name: str = 'rotaug') -> None:
        if hbox_mode not in HBOX_MODES:
            raise ValueError(f'hbox_mode must be one of {HBOX_MODES}, got '
                             f'{hbox_mode!r}')
        if angle_version is not None and angle_version not in ANGLE_VERSIONS:
            raise ValueError(f'angle_version must be one of {ANGLE_VERSIONS}'
                             f' or None, got {angle_version!r}')
        if out_box_type not in (None, 'hbox'):
            raise ValueError("out_box_type must be None or 'hbox', got "
                             f'{out_box_type!r}')
        self.out_box_type = out_box_type
        self.policy = policy
        self.clip_border = clip_border
        self.hbox_mode = hbox_mode
        self.angle_version = angle_version
        self.hbox_from_masks = hbox_from_masks
        self.instance_keys = tuple(instance_keys)
        self.stats = DropStats(name=stats_name)

    # ---------------------------------------------------------------- plan
    def identity_plan(self, results: dict) -> GTPlan:
        """The plan without a turn: the ground truths judged on the
        image's own canvas (what :class:`SanitizeGT` and an unrotated draw
        apply)."""
        h, w = image_size(results)
        return self.plan(results, np.eye(3), w, h)

    def plan(self, results: dict, matrix: np.ndarray, width: int,
             height: int, src_size: Optional[tuple] = None) -> GTPlan:
        """Compute the mapped boxes and the keep/ignore decisions (no pixel
        work, no change to ``results``). ``src_size`` (w, h): the source
        image, to which objects are cut before mapping (see
        :func:`rotaug.geometry.warp_boxes`)."""
        plan = GTPlan(matrix=matrix, width=width, height=height)
        gt = results.get('gt_bboxes', None)
        if gt is None:
            return plan
        plan.box_type = box_type_of(gt)
        boxes = boxes_as_numpy(gt)
        for key in _ALWAYS_INSTANCE_KEYS + self.instance_keys:
            value = results.get(key, None)
            if value is not None and _length(value) != len(boxes):
                raise ValueError(f'{key} has {_length(value)} instances but '
                                 f'gt_bboxes has {len(boxes)}: they must '
                                 'be in step')
        warped = warp_boxes(boxes, plan.box_type, matrix, width, height,
                            clip=self.clip_border, hbox_mode=self.hbox_mode,
                            angle_version=self.angle_version,
                            out_type=self.out_box_type,
                            src_width=None if src_size is None else
                            src_size[0],
                            src_height=None if src_size is None else
                            src_size[1])
        masks = results.get('gt_masks', None)
        if isinstance(masks, PolygonMasks):
            plan.polys = self.plan_polygons(masks, matrix, width, height,
                                            src_size)
        if (self.out_box_type or plan.box_type) == 'hbox':
            self.refit_from_masks(warped, masks, matrix, width, height,
                                  src_size, plan.polys)
        round_to_storage(warped, self.out_box_type or plan.box_type,
                         storage_dtype(gt))
        plan.warped = warped
        plan.keep, plan.ignore, plan.drops = self.policy.decide(warped)
        plan.boxes = warped.boxes
        return plan

    def refit_from_masks(self, warped: WarpedBoxes, masks, matrix,
                         width: int, height: int,
                         src_size: Optional[tuple] = None,
                         polys: Optional[tuple] = None) -> None:
        """With ``hbox_from_masks``: refit the horizontal boxes ``warped``
        (numpy, one row per instance of ``masks``) of objects with a mask
        to the exact box of the turned, clipped object, and measure their
        visible fraction on it: polygon masks by their polygons (``polys``:
        :meth:`plan_polygons` of them, computed when None), bitmap masks by
        their pixels (only when the image turns: without a turn the pixels
        add nothing to the clamped box; they only approximate the object
        the box was drawn around). Instances with an empty mask keep the
        box rule."""
        if not self.hbox_from_masks:
            return
        if isinstance(masks, PolygonMasks):
            if polys is None:
                polys = self.plan_polygons(masks, matrix, width, height,
                                           src_size)
            vis, vcounts, owner, vis_area, full, _ = polys
            if len(owner):
                self._hbox_from_pieces(warped, fit_hbox(vis, vcounts),
                                       vcounts >= 3, owner, vis_area, full,
                                       width, height)
        elif isinstance(masks, BitmapMasks) and not _is_identity(matrix):
            self._hbox_from_bitmaps(warped, masks, matrix, width, height,
                                    src_size)

    def plan_polygons(self, masks: PolygonMasks, matrix, width, height,
                      src_size=None) -> tuple:
        """Map the polygons of ``masks`` by ``matrix`` onto the canvas
        ``width`` x ``height`` (cut to the source image ``src_size`` (w, h)
        first when given, and to the canvas when clipping). Returns
        ``(pts, counts, owner, visible_area, full_area, nonfinite)``: padded
        polygons, their owning instance, their areas, and the number of
        polygons with a non-finite coordinate (a malformed annotation:
        given no vertices, so they carry no shape, and counted when the
        masks are written, :meth:`polygon_masks`)."""
        pts, counts, owner = polygon_batch(masks)
        if len(pts) == 0:
            return pts, counts, owner, np.zeros(0), np.zeros(0), 0
        finite = np.isfinite(pts).all((1, 2))
        nonfinite = int((~finite).sum())
        if nonfinite:
            pts = np.where(finite[:, None, None], pts, 0.0)
            counts = np.where(finite, counts, 0)
        if src_size is not None:
            # the parts outside the source image have no pixels to carry
            full = polygon_areas(pts, counts)
            pts, counts = clip_polygons_to_rect(pts, counts,
                                                float(src_size[0]),
                                                float(src_size[1]))
            pts = apply_matrix(pts, matrix)
            vis, vcounts, vis_area, _ = visible_polygons(
                pts, counts, width, height)
            if not self.clip_border:
                vis, vcounts = pts, counts
            return vis, vcounts, owner, vis_area, full, nonfinite
        pts = apply_matrix(pts, matrix)
        if self.clip_border:
            vis, vcounts, vis_area, full = visible_polygons(
                pts, counts, width, height)
        else:
            vis, vcounts = pts, counts
            full = polygon_areas(pts, counts)
            _, _, vis_area, _ = visible_polygons(pts, counts, width, height)
        return vis, vcounts, owner, vis_area, full, nonfinite

    def _hbox_from_bitmaps(self, warped: WarpedBoxes, masks: BitmapMasks,
                           matrix, width, height, src_size=None):
        """Exact horizontal boxes of bitmap instances: each instance is the
        union of its pixels, tiled by rectangles (:func:`bitmap_pieces`)
        that are mapped and clipped by the geometry core like any box."""
        rects, owner = bitmap_pieces(masks)
        if len(owner) == 0:
            return
        src = (None, None) if src_size is None else src_size
        pieces = warp_boxes(rects, 'hbox', matrix, width, height,
                            clip=self.clip_border, hbox_mode='envelope',
                            src_width=src[0], src_height=src[1])
        # clipped: the pieces seen; unclipped: every piece
        ok = pieces.visible > 0 if self.clip_border else pieces.area > 0
        self._hbox_from_pieces(warped, pieces.boxes, ok, owner,
                               pieces.visible * pieces.area, pieces.area,
                               width, height)

    def _hbox_from_pieces(self, warped: WarpedBoxes, boxes, ok, owner,
                          vis_area, full, width: int, height: int):
        """Exact horizontal boxes and visible fractions of objects made of
        pieces (polygons of a polygon mask, pixel runs of a bitmap mask):
        ``boxes`` (K, 4) the tight box of each piece's visible part (valid
        where ``ok``), ``owner`` (K,) its instance, ``vis_area``/``full``
        its visible and whole area. Instances without pieces keep the box
        rule."""
        n = len(warped.visible)
        # only pieces with an area carry a shape: an instance whose
        # polygons are all degenerate or non-finite keeps the box rule
        real = (full > 0) & np.isfinite(full)
        has = np.zeros(n, dtype=bool)
        has[owner[real]] = True
        ok = ok & real
        x1 = np.full(n, np.inf)
        y1 = np.full(n, np.inf)
        x2 = np.full(n, -np.inf)
        y2 = np.full(n, -np.inf)
        np.minimum.at(x1, owner[ok], boxes[ok, 0])
        np.minimum.at(y1, owner[ok], boxes[ok, 1])
        np.maximum.at(x2, owner[ok], boxes[ok, 2])
        np.maximum.at(y2, owner[ok], boxes[ok, 3])
        va = np.zeros(n)
        fa = np.zeros(n)
        np.add.at(va, owner[real], vis_area[real])
        np.add.at(fa, owner[real], full[real])
        seen = has & np.isfinite(x1)
        warped.boxes[seen] = np.stack([x1, y1, x2, y2], 1)[seen]
        ratio = np.where(fa > 0, va / np.maximum(fa, 1e-12), 0.0)
        warped.visible[has] = np.where(warped.finite[has], ratio[has], 0.0)
        # the sides are measured when read, after round_to_storage
        ctr = (warped.boxes[:, :2] + warped.boxes[:, 2:]) / 2
        warped.centre_inside[:] = ((ctr[:, 0] >= 0) & (ctr[:, 1] >= 0)
                                   & (ctr[:, 0] <= width)
                                   & (ctr[:, 1] <= height))

    # --------------------------------------------------------------- apply
    def apply(self, results: dict, plan: GTPlan) -> None:
        """Write the planned boxes back and filter every per-instance field
        through one index."""
        gt = results.get('gt_bboxes', None)
        if gt is None or plan.keep is None:
            return
        n = plan.num_input
        keep_idx = np.flatnonzero(plan.keep)
        kept = plan.boxes[keep_idx]
        # plain arrays stay plain (4 wide after out_box_type)
        results['gt_bboxes'] = boxes_like(gt, kept, self.out_box_type)
        flags = results.get('gt_ignore_flags', None)
        if flags is None:
            flags = np.zeros(n, dtype=bool)
        flags = np.asarray(flags).astype(bool) | plan.ignore
        results['gt_ignore_flags'] = flags[keep_idx]
        if 'gt_masks' in results and results['gt_masks'] is not None:
            results['gt_masks'] = self._select_masks(results['gt_masks'],
                                                     plan, keep_idx)
        for key in self._instance_keys(results, n):
            results[key] = _index(results[key], keep_idx)
        self.stats.update(n, len(keep_idx), int(plan.ignore[keep_idx].sum()),
                          plan.drops)

    def _instance_keys(self, results: dict, n: int) -> List[str]:
        keys = []
        for key, value in results.items():
            if key in _SKIP_KEYS or value is None:
                continue
            if key in self.instance_keys or key in _ALWAYS_INSTANCE_KEYS or (
                    key.startswith('gt_') and _is_instance_array(value, n)):
                keys.append(key)
        for key in self.instance_keys:
            if key in results and key not in keys:
                keys.append(key)
        # lengths: checked by plan() (gt_bboxes_labels, instance_keys) or
        # equal to n by construction (the gt_* arrays found above)
        return keys

    def _select_masks(self, masks, plan: GTPlan, keep_idx: np.ndarray):
        if isinstance(masks, PolygonMasks) and plan.polys is not None:
            return self.polygon_masks(plan.polys, len(masks), keep_idx,
                                      plan.height, plan.width)
        return masks[keep_idx]

    def polygon_masks(self, polys: tuple, num: int, keep_idx: np.ndarray,
                      height: int, width: int) -> PolygonMasks:
        """The ``PolygonMasks`` of instances ``keep_idx`` (of ``num``) from
        the mapped, clipped polygons of :meth:`plan_polygons`. An instance
        keeps its polygons of three or more vertices; polygons with a
        non-finite coordinate (left without vertices by
        :meth:`plan_polygons`, or overflowing on the way) are left out and
        counted as ``nonfinite_mask_polygons``; an instance left with none
        gets the empty polygon mmdet uses (six zeros)."""
        pts, counts, owner, _, _, bad = polys
        per_inst: List[list] = [[] for _ in range(num)]
        for k in range(len(owner)):
            if counts[k] >= 3:
                p = pts[k, :counts[k]].reshape(-1)
                if not np.isfinite(p).all():
                    bad += 1
                    continue
                per_inst[owner[k]].append(p.astype(np.float32))
        if bad:
            self.stats.bump('nonfinite_mask_polygons', bad)
            self.stats.maybe_log()
        return PolygonMasks(
            [per_inst[i] or [np.zeros(6, dtype=np.float32)]
             for i in keep_idx], height, width)

    # -------------------------------------------------------------- pixels
    @staticmethod
    def warp_image(img: np.ndarray, matrix: np.ndarray, width: int,
                   height: int, interpolation: str,
                   border_value) -> np.ndarray:
        """Warp an (H, W) or (H, W, C) array with OpenCV. Dtypes OpenCV
        cannot warp (bool, int8, int32, int64, uint32, float16, ...) are
        warped through a wider type and returned in their own (integers
        rounded and clipped to their range; nearest interpolation is exact
        for integers up to 2**53 in magnitude).

        A turn by a multiple of 90 degrees that maps the pixel grid onto
        itself (180 degrees always; 90 with ``expand`` or when ``w + h`` is
        even) moves every pixel whole: it is done as a transpose, flips
        and a copy, in any dtype: each output pixel is a source pixel, as
        the continuous map says. That is bit for bit what OpenCV gives
        for integer images with any interpolation, and for float images
        with nearest, bilinear or area; its bicubic and Lanczos weights on
        float images carry rounding at integer positions (float32: about
        1e-7 relative), and its float64 bicubic zeroes samples next to the
        border, which the move does not."""
        turned = _grid_turn(img, matrix, width, height, border_value)
        if turned is not None:
            return turned
        if img.dtype not in _CV2_WARP_DTYPES:
            return _warp_via(img, matrix, width, height, interpolation,
                             border_value)
        m = to_cv2_affine(matrix)
        flags = INTERPOLATIONS[interpolation]
        if img.ndim == 3 and img.shape[2] > 4:
            parts = [
                GTTransformer.warp_image(img[..., i:i + 4], matrix, width,
                                         height, interpolation, border_value)
                for i in range(0, img.shape[2], 4)
            ]
            parts = [p if p.ndim == 3 else p[..., None] for p in parts]
            return np.concatenate(parts, axis=2)
        out = cv2.warpAffine(img, m, (int(width), int(height)), flags=flags,
                             borderMode=cv2.BORDER_CONSTANT,
                             borderValue=border_value)
        if img.ndim == 3 and out.ndim == 2:
            out = out[..., None]
        return out

    def warp_masks(self, masks, matrix, width, height, border_value: int):
        """Bitmap masks are warped with nearest interpolation; polygon masks
        are handled exactly in :meth:`plan`/:meth:`apply`."""
        if isinstance(masks, BitmapMasks):
            arr = masks.masks
            if len(arr) == 0:
                return BitmapMasks(
                    np.zeros((0, height, width), dtype=arr.dtype), height,
                    width)
            # one instance at a time: no transposes of the (N, H, W) stack
            # (five times faster than warping it as an H x W x N image, on
            # 50 masks of 1024 x 1024)
            out = np.empty((len(arr), int(height), int(width)), arr.dtype)
            for k in range(len(arr)):
                out[k] = self.warp_image(arr[k], matrix, width, height,
                                         'nearest', border_value)
            return BitmapMasks(out, height, width)
        return masks


def _grid_turn(img: np.ndarray, matrix, width: int, height: int,
               border_value) -> Optional[np.ndarray]:
    """``img`` warped by ``matrix`` when the map sends pixels to pixels (a
    linear part of 0 and +-1 entries, one per row and column, and a whole
    translation in OpenCV's pixel-index coordinates), else None. The
    canvas outside the turned image gets ``border_value`` as OpenCV's
    ``BORDER_CONSTANT`` gives it (per channel, in groups of four for more
    than four channels, as :meth:`GTTransformer.warp_image` splits them;
    rounded and saturated for integer dtypes)."""
    # plain Python first: any other angle (the common case) costs
    # microseconds
    a00, a01, a10, a11 = (float(matrix[i][j]) for i in (0, 1)
                          for j in (0, 1))
    if not all(v in (0.0, 1.0, -1.0) for v in (a00, a01, a10, a11)):
        return None
    diagonal = a00 != 0 and a11 != 0 and a01 == 0 and a10 == 0
    anti = a01 != 0 and a10 != 0 and a00 == 0 and a11 == 0
    if not (diagonal or anti):  # a shear, or a collapse
        return None
    m = to_cv2_affine(matrix)
    a, t = m[:, :2], m[:, 2]
    tr = np.rint(t)
    if not np.all(np.abs(t - tr) <= 1e-9):
        return None
    swap = bool(a[0, 0] == 0)
    if swap:  # x' follows y: rows become columns
        ax, ay = a[0, 1], a[1, 0]
        sh, sw = img.shape[1], img.shape[0]
    else:
        ax, ay = a[0, 0], a[1, 1]
        sh, sw = img.shape[0], img.shape[1]
    tx, ty = int(tr[0]), int(tr[1])
    if ax < 0:
        tx -= sw - 1
    if ay < 0:
        ty -= sh - 1
    # src = img transposed (swap), then flipped: its pixel (r, c) lands on
    # (ty + r, tx + c) of the canvas
    src = _moved(img, swap, ax < 0, ay < 0)
    width, height = int(width), int(height)
    r0, c0 = max(ty, 0), max(tx, 0)
    r1, c1 = min(ty + sh, height), min(tx + sw, width)
    if (r0, c0, r1, c1) == (0, 0, height, width):
        # the canvas is (a window of) the turned image
        return np.ascontiguousarray(src[-ty:height - ty, -tx:width - tx])
    fill = _border_fill(img, border_value)
    if r1 <= r0 or c1 <= c0:  # nothing of the image on the canvas
        return np.broadcast_to(fill, (height, width) + img.shape[2:]).copy()
    crop = src[r0 - ty:r1 - ty, c0 - tx:c1 - tx]
    pads = (r0, height - r1, c0, width - c1)
    if img.dtype in _CV2_WARP_DTYPES and (img.ndim == 2
                                          or img.shape[2] <= 4):
        # one pass: OpenCV writes the crop and its border together
        out = cv2.copyMakeBorder(crop, *pads, cv2.BORDER_CONSTANT,
                                 value=tuple(float(v) for v in
                                             np.ravel(fill)))
        return out[..., None] if out.ndim < img.ndim else out
    out = np.empty((height, width) + img.shape[2:], img.dtype)
    out[...] = fill
    out[r0:r1, c0:c1] = crop
    return out


# OpenCV moves pixels of these item sizes (as bits: no arithmetic)
_MOVE_VIEWS = {1: np.uint8, 2: np.uint16, 4: np.int32, 8: np.float64}


def _moved(img: np.ndarray, swap: bool, flip_x: bool,
           flip_y: bool) -> np.ndarray:
    """A new array: ``img`` transposed (rows <-> columns) when ``swap``,
    then mirrored left-right (``flip_x``) and upside down (``flip_y``).
    OpenCV's transpose and flip where they take the item size and channel
    count (four times faster than numpy's strided copy), else numpy."""
    code = {(True, True): -1, (True, False): 1, (False, True): 0}.get(
        (flip_x, flip_y))
    if not swap and code is None:
        return img.copy()
    as_cv = _MOVE_VIEWS.get(img.dtype.itemsize)
    if as_cv is not None:
        try:
            x = np.ascontiguousarray(img).view(as_cv)
            if swap:
                x = cv2.transpose(x)
            if code is not None:
                x = cv2.flip(x, code)
            if x.ndim < img.ndim:  # (H, W, 1) comes back as (W, H)
                x = x[..., None]
            return x.view(img.dtype)
        except cv2.error:  # e.g. items of more than 32 bytes
            pass
    x = np.swapaxes(img, 0, 1) if swap else img
    if flip_x:
        x = x[:, ::-1]
    if flip_y:
        x = x[::-1]
    return np.array(x, order='C')  # a copy even where x is contiguous


def _border_fill(img: np.ndarray, border_value) -> np.ndarray:
    """The value OpenCV's ``BORDER_CONSTANT`` writes into each channel of
    ``img`` (broadcastable onto one pixel): ``border_value`` made a
    four-value Scalar (a number or a shorter tuple padded with zeros)."""
    vals = np.zeros(4)
    v = np.atleast_1d(np.asarray(border_value, dtype=np.float64))[:4]
    vals[:len(v)] = v
    chans = img.shape[2] if img.ndim == 3 else 1
    fill = vals[np.arange(chans) % 4] if img.ndim == 3 else vals[:1]
    return _saturate(fill, img.dtype)


def _is_identity(matrix) -> bool:
    return bool(np.array_equal(np.asarray(matrix), np.eye(3)))


_CV2_WARP_DTYPES = tuple(np.dtype(t) for t in (np.uint8, np.uint16,
                                                 np.int16, np.float32,
                                                 np.float64))


def _warp_via(img: np.ndarray, matrix, width, height, interpolation,
              border_value) -> np.ndarray:
    """Warp an array of a dtype OpenCV cannot warp through float32/64."""
    dt = img.dtype
    if dt == np.bool_:
        out = GTTransformer.warp_image(img.view(np.uint8), matrix, width,
                                       height, interpolation, border_value)
        return out.astype(bool)  # uint8 in, uint8 out
    if dt.kind not in 'iuf':
        raise TypeError(f'rotaug cannot warp an image or map of dtype {dt}'
                        ' (expected a numeric or bool array)')
    wide = np.float32 if dt.itemsize <= 2 else np.float64
    if dt.kind in 'iu' and img.size and max(
            abs(int(img.min())), abs(int(img.max()))) > 2**53:
        raise ValueError(f'rotaug cannot warp a {dt} array with values '
                         'beyond 2**53 exactly (it warps integer dtypes '
                         'OpenCV lacks through float64)')
    out = GTTransformer.warp_image(img.astype(wide), matrix, width, height,
                                   interpolation, border_value)
    return _saturate(out, dt)


def _saturate(values: np.ndarray, dt: np.dtype) -> np.ndarray:
    """Float ``values`` in dtype ``dt`` as the warp of an array of that
    dtype leaves them: integers rounded and clipped to their range, bool
    as the uint8 it is warped in, floats below 32 bits by way of
    float32 (the type :func:`_warp_via` warps them in)."""
    if dt == np.bool_:
        return _saturate(values, np.dtype(np.uint8)) != 0
    if dt.kind in 'iu':
        info = np.iinfo(dt)
        return np.clip(np.rint(values), info.min, info.max).astype(dt)
    if dt.itemsize < 4:
        values = values.astype(np.float32)
    return values.astype(dt)


def _is_instance_array(value, n: int) -> bool:
    if isinstance(value, BaseBoxes):
        return len(value) == n
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return value.ndim >= 1 and len(value) == n
    # a plain list of per-instance values (labels, texts, ids) under a
    # gt_ key
    return isinstance(value, (list, tuple)) and len(value) == n


def _length(value) -> int:
    return len(value)


def _index(value, idx: np.ndarray):
    if isinstance(value, torch.Tensor):
        return value[torch.as_tensor(idx, dtype=torch.long)]
    if isinstance(value, BaseBoxes):
        return value[torch.as_tensor(idx, dtype=torch.long)]
    if isinstance(value, np.ndarray):
        return value[idx]
    if isinstance(value, (list, tuple)):
        return type(value)(value[i] for i in idx)
    return value[idx]
