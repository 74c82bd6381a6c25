"""Boxes in and out of MMDetection's containers, for both paths.

Ground truths arrive as ``HorizontalBoxes`` / ``RotatedBoxes`` /
``QuadriBoxes`` or as plain arrays and tensors read by their width; the
geometry core works on plain float64 arrays (per image) or tensors (batch).
These functions read the box type, take the data out, and put results back
in the container and dtype they came in (or in that of ``out_box_type``).
"""
from typing import Optional

import numpy as np
import torch
from mmdet.structures.bbox import BaseBoxes, get_box_type

from ..geometry import BOX_DIMS

_WIDTH_BOX_TYPES = {dim: name for name, dim in BOX_DIMS.items()}
_NP_DTYPES = {torch.float32: np.float32, torch.float64: np.float64,
              torch.float16: np.float16}


def box_type_of(boxes) -> str:
    """'hbox', 'rbox' or 'qbox' for a ``BaseBoxes``, or for a plain array or
    tensor read by its width: (N, 4) hbox (mmdet pipelines without
    ``box_type`` keep hboxes so; an empty 1-D array counts as (0, 4)),
    (N, 5) rbox, (N, 8) qbox (what ``boxtype2tensor`` leaves in the data
    preprocessor)."""
    if isinstance(boxes, BaseBoxes):
        name, _ = get_box_type(type(boxes))
        if name not in BOX_DIMS:
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
    """The numpy dtype ``boxes`` are stored in (what :func:`boxes_like`
    will write)."""
    if isinstance(boxes, (BaseBoxes, torch.Tensor)):
        return _NP_DTYPES.get(boxes.dtype, np.float32)
    return np.asarray(boxes).dtype


def box_tensor(boxes) -> torch.Tensor:
    """The raw tensor of a box container, or the tensor itself."""
    return boxes.tensor if isinstance(boxes, BaseBoxes) else torch.as_tensor(
        boxes)


def boxes_as_numpy(boxes) -> np.ndarray:
    """The box data as a float64 array (N, D)."""
    if isinstance(boxes, (BaseBoxes, torch.Tensor)):
        return box_tensor(boxes).detach().cpu().numpy().astype(np.float64)
    arr = np.asarray(boxes, dtype=np.float64)
    return arr.reshape(0, 4) if arr.shape == (0, ) else arr


def box_container(template, box_type: Optional[str] = None):
    """The box container class for data derived from ``template`` (a
    ``BaseBoxes``): its own class, or that of ``box_type`` when the data
    changed type (``out_box_type``)."""
    if box_type is None or get_box_type(type(template))[0] == box_type:
        return type(template)
    return get_box_type(box_type)[1]


def boxes_like(template, data, box_type: Optional[str] = None):
    """Wrap ``data`` (a numpy array or a tensor) in the container type and
    dtype of ``template`` (a box container of ``box_type`` when that is
    given: see :func:`box_container`). Plain arrays and tensors stay plain,
    in their own dtype."""
    if isinstance(template, BaseBoxes):
        cls = box_container(template, box_type)
        if isinstance(data, torch.Tensor):
            return cls(data.to(template.tensor.dtype))
        arr = np.ascontiguousarray(data, dtype=_NP_DTYPES.get(
            template.dtype, np.float32))
        return cls(torch.from_numpy(arr), clone=False)
    if isinstance(template, torch.Tensor):
        return torch.as_tensor(data, dtype=template.dtype)
    if isinstance(data, torch.Tensor):
        return data.to(torch.as_tensor(template).dtype)
    return data.astype(np.asarray(template).dtype, copy=False)
