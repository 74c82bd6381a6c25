"""The way back of a test-time view: predictions made on a turned, flipped
or resized copy of an image, mapped to the original image exactly.

A view is described by what its transforms recorded in its metainfo:

- ``homography_matrix`` (3x3, continuous pixel coordinates): original
  image -> view, composed as ``M @ prev`` by every geometric transform
  (``rotaug.Rotate``, ``mmdet.Resize``, ``mmdet.RandomFlip``, ...), in the
  order the pipeline lists them;
- ``scale_factor`` ``(sx, sy)``: the one the detector undid with
  ``rescale=True`` (``mmdet.Resize`` sets it, the last resize wins).

With ``rescale=True`` a detector returns its boxes ``b_v`` (view frame)
scaled by ``(1 / sx, 1 / sy)``. The way back is therefore: undo that
scaling exactly (:func:`undo_rescale`), then map by the inverse homography
(:func:`rotaug.geometry.map_boxes`). Both are exact for qboxes and rboxes at any angle; a
horizontal box is exact when the way back keeps the axes (multiples of 90
degrees, flips, resizes), otherwise it follows ``hbox_rule``.
"""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from ..geometry import HBOX_MODES, apply_matrix, map_boxes
from ..gt import box_type_of as _box_type_of

HBOX_RULES = HBOX_MODES
#: entries of a linear part below this (relative to its largest) count as
#: zero when telling whether a map keeps the axes (float32 matrices)
AXIS_TOL = 1e-6
_PACK_HINT = ("add it to PackDetInputs(meta_keys=(..., 'homography_matrix'))"
              ' at the end of tta_pipeline; rotaug.Rotate, mmdet.Resize and '
              'mmdet.RandomFlip record it')


def box_type_of(bboxes) -> str:
    """'hbox', 'rbox' or 'qbox' of predicted boxes (a box structure or a
    plain (N, 4 | 5 | 8) tensor)."""
    try:
        return _box_type_of(bboxes)
    except TypeError as err:
        raise ValueError(f'predicted boxes: {err}') from None


def view_geometry(metainfo: Dict,
                  where: str = 'a view') -> Tuple[np.ndarray, Tuple[float,
                                                                    float]]:
    """The homography (original -> view, float64) and the scale factor a
    view's predictions were rescaled by, read from its metainfo.

    Raises:
        KeyError: naming the missing key and how to record it.
        ValueError: for a matrix that is not 3x3 affine and invertible.
    """
    if 'homography_matrix' not in metainfo:
        raise KeyError(f"{where} has no 'homography_matrix' in its metainfo: "
                       + _PACK_HINT)
    if 'scale_factor' not in metainfo:
        raise KeyError(
            f"{where} has no 'scale_factor' in its metainfo (the factor the "
            'detector undid with rescale=True): add it to PackDetInputs('
            "meta_keys=(..., 'scale_factor'))")
    h = np.asarray(metainfo['homography_matrix'], dtype=np.float64)
    if h.shape != (3, 3) or not np.isfinite(h).all() or not np.allclose(
            h[2], (0.0, 0.0, 1.0)):
        raise ValueError(f"{where}: 'homography_matrix' must be a finite 3x3 "
                         f'affine matrix, got {h.tolist()}')
    if abs(np.linalg.det(h[:2, :2])) < 1e-12:
        raise ValueError(f"{where}: 'homography_matrix' is singular: "
                         f'{h.tolist()}')
    sf = np.asarray(metainfo['scale_factor'], dtype=np.float64).reshape(-1)
    if sf.size == 1:
        sf = np.repeat(sf, 2)
    if sf.size != 2 or not np.isfinite(sf).all() or (sf <= 0).any():
        raise ValueError(f"{where}: 'scale_factor' must be (sx, sy) > 0, got "
                         f"{metainfo['scale_factor']!r}")
    return h, (float(sf[0]), float(sf[1]))


def undo_rescale(boxes: np.ndarray, box_type: str,
                 scale_factor: Sequence[float]) -> np.ndarray:
    """The boxes a detector had in its view frame before ``rescale=True``
    divided them by ``scale_factor`` (the exact inverse of
    ``mmdet.structures.bbox.scale_boxes(boxes, 1 / scale_factor)``).

    Horizontal boxes and quadrilaterals were scaled coordinate-wise. Rotated
    boxes went through ``RotatedBoxes.rescale_`` with ``(a, b) = (1 / sx, 1
    / sy)``: centre ``* (a, b)``, ``w * sqrt((a cos t)^2 + (b sin t)^2)``,
    ``h * sqrt((a sin t)^2 + (b cos t)^2)``, ``t' = atan2(a sin t, b cos
    t)``; solved for ``(w, h, t)`` (for ``sx == sy``: a plain scaling).
    """
    sx, sy = float(scale_factor[0]), float(scale_factor[1])
    if box_type in ('hbox', 'qbox'):
        return boxes * np.tile([sx, sy], boxes.shape[1] // 2)
    if box_type != 'rbox':
        raise ValueError(f'unknown box type {box_type!r}')
    a, b = 1.0 / sx, 1.0 / sy
    tp = boxes[:, 4]
    t = np.arctan2(sx * np.sin(tp), sy * np.cos(tp))
    c, s = np.cos(t), np.sin(t)
    w = boxes[:, 2] / np.sqrt((a * c)**2 + (b * s)**2)
    h = boxes[:, 3] / np.sqrt((a * s)**2 + (b * c)**2)
    return np.stack([boxes[:, 0] * sx, boxes[:, 1] * sy, w, h, t], 1)


def keeps_axes(matrix: np.ndarray) -> bool:
    """Whether the linear part maps the axes onto the axes (multiples of 90
    degrees, flips, resizes): then horizontal boxes map exactly."""
    a = np.abs(np.asarray(matrix, dtype=np.float64)[:2, :2])
    tol = AXIS_TOL * a.max()
    return bool((a[0, 1] <= tol and a[1, 0] <= tol)
                or (a[0, 0] <= tol and a[1, 1] <= tol))


def to_original(boxes: np.ndarray,
                box_type: str,
                metainfo: Dict,
                angle_version: Optional[str] = 'le90',
                hbox_rule: str = 'ellipse',
                where: str = 'a view') -> np.ndarray:
    """A view's predictions (N, D) as the detector returned them with
    ``rescale=True``, in the coordinates of the original image (float64)."""
    h, sf = view_geometry(metainfo, where)
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, boxes.shape[-1])
    if b.shape[0] == 0:
        return b
    b = undo_rescale(b, box_type, sf)
    inv = np.linalg.inv(h)
    # a way back that keeps the axes maps horizontal boxes exactly
    rule = 'envelope' if keeps_axes(inv) else hbox_rule
    return map_boxes(b, box_type, inv, rule, angle_version)


def visible_in_view(points: np.ndarray, metainfo: Dict) -> np.ndarray:
    """Which points (N, 2) of the original image land inside a view's
    image (``img_shape``, after its transforms): a view can only see what
    lands there."""
    h, _ = view_geometry(metainfo)
    shape = metainfo.get('img_shape', None)
    if shape is None:
        raise KeyError("a view has no 'img_shape' in its metainfo: add it "
                       "to PackDetInputs(meta_keys=(..., 'img_shape'))")
    vh, vw = float(shape[0]), float(shape[1])
    p = apply_matrix(np.asarray(points, np.float64)[None], h)[0]
    return (p[:, 0] >= 0) & (p[:, 0] <= vw) & (p[:, 1] >= 0) & (p[:, 1] <=
                                                                 vh)

