"""The fields of an mmcv results dict that rotaug reads or keeps in step:
the image size, the pixel fields that turn with the image, and every
per-instance field, filtered through one index."""
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
from mmdet.structures.bbox import BaseBoxes
from mmdet.structures.mask import BitmapMasks

# fields rotaug writes itself (boxes, masks, ignore flags) or that belong to
# the whole image (the seg map): never filtered as generic instance fields
HANDLED_KEYS = ('gt_bboxes', 'gt_masks', 'gt_seg_map', 'gt_ignore_flags')
# fields that hold one entry per instance whatever their length (a wrong
# length is an error, not a sign of an image-level field)
ALWAYS_INSTANCE_KEYS = ('gt_masks', 'gt_ignore_flags', 'gt_bboxes_labels')


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


def check_instance_lengths(results: dict, num: int,
                           instance_keys: Sequence[str]) -> None:
    """The fields that must hold one entry per instance (labels, masks,
    ignore flags, ``instance_keys``) have ``num`` entries."""
    for key in ALWAYS_INSTANCE_KEYS + tuple(instance_keys):
        value = results.get(key, None)
        if value is not None and len(value) != num:
            raise ValueError(f'{key} has {len(value)} instances but '
                             f'gt_bboxes has {num}: they must be in step')


def instance_fields(results: dict, num: int,
                    instance_keys: Sequence[str]) -> List[str]:
    """The keys of ``results`` to filter with the boxes, each once:
    ``gt_bboxes_labels``, ``instance_keys``, and any other ``gt_*`` array
    or list with ``num`` entries. The fields rotaug writes itself
    (:data:`HANDLED_KEYS`) and fields set to None are left out, even when
    named in ``instance_keys``."""
    keys = []
    for key, value in results.items():
        if key in HANDLED_KEYS or value is None:
            continue
        if key in instance_keys or key in ALWAYS_INSTANCE_KEYS or (
                key.startswith('gt_') and _is_instance_array(value, num)):
            keys.append(key)
    return keys


def index_field(value, idx: np.ndarray):
    """``value`` (tensor, box container, array, list or tuple) at the
    integer indices ``idx``."""
    if isinstance(value, (torch.Tensor, BaseBoxes)):
        return value[torch.as_tensor(idx, dtype=torch.long)]
    if isinstance(value, (list, tuple)):
        return type(value)(value[i] for i in idx)
    return value[idx]


def _is_instance_array(value, n: int) -> bool:
    if isinstance(value, BaseBoxes):
        return len(value) == n
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return value.ndim >= 1 and len(value) == n
    # a plain list of per-instance values (labels, texts, ids) under a
    # gt_ key
    return isinstance(value, (list, tuple)) and len(value) == n


def turned_angles(values: dict, periods: Dict[str, float],
                  angle: float) -> dict:
    """The angle targets of ``values`` (a results dict or a metainfo) named
    in ``periods`` (degrees) with ``angle`` added and wrapped into
    ``[-period / 2, period / 2)``; keys that ``values`` lacks are left
    out."""
    out = {}
    for key, period in periods.items():
        if key in values:
            val = np.asarray(values[key], dtype=np.float64) + angle
            out[key] = (val + period / 2) % period - period / 2
    return out
