"""Overlap calculators for assigners: horizontal priors against ground
truths that may be rotated (:class:`HBoxOverlaps2D`), and the exact rotated
IoU (:class:`RBboxOverlaps2D`)."""
from typing import Union

from mmdet.structures.bbox import (BaseBoxes, HorizontalBoxes, bbox_overlaps,
                                   get_box_tensor)
from torch import Tensor

from ..geometry import box_ious
from ..registry import TASK_UTILS


def _as_hbox(boxes: Union[BaseBoxes, Tensor]) -> Tensor:
    """(x1, y1, x2, y2) of any boxes. Box containers are read by their
    type; plain tensors by their width: 4 = hbox, 5 = rbox (cx, cy, w, h,
    t), 6 = rbox + score, 8 = qbox (so a 5-column tensor is never read as
    an hbox with a score). Rotated boxes give the horizontal box that
    encloses them."""
    if isinstance(boxes, HorizontalBoxes):
        return boxes.tensor
    if isinstance(boxes, BaseBoxes):
        return boxes.convert_to('hbox').tensor
    width = boxes.size(-1)
    if width in (0, 4):
        return boxes
    from mmrotate.structures.bbox import QuadriBoxes, RotatedBoxes
    if width in (5, 6):
        return RotatedBoxes(boxes[..., :5]).convert_to('hbox').tensor
    if width == 8:
        return QuadriBoxes(boxes).convert_to('hbox').tensor
    raise ValueError(f'cannot read boxes with {width} columns as hbox, rbox '
                     '(+ score) or qbox')


@TASK_UTILS.register_module()
class HBoxOverlaps2D:
    """Overlaps (IoU, IoF, GIoU) of boxes of any type through their
    horizontal boxes, with either argument rotated.

    Same numbers as MMRotate's ``RBbox2HBboxOverlaps2D`` (rotated boxes
    first, horizontal second), but symmetric: ``MaxIoUAssigner`` with
    ``ignore_iof_thr > 0`` calls ``iou_calculator(priors, ignored_gts,
    mode='iof')`` with the horizontal priors first, which MMRotate's
    calculator rejects. This one lets the Oriented R-CNN RPN (and any
    assigner with horizontal priors) ignore the priors lying inside objects
    flagged ignore.
    """

    def __call__(self,
                 bboxes1: Union[BaseBoxes, Tensor],
                 bboxes2: Union[BaseBoxes, Tensor],
                 mode: str = 'iou',
                 is_aligned: bool = False) -> Tensor:
        return bbox_overlaps(_as_hbox(bboxes1), _as_hbox(bboxes2), mode,
                             is_aligned)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}()'


@TASK_UTILS.register_module()
class RBboxOverlaps2D:
    """Exact rotated IoU / IoF for assigners: MMRotate's ``RBboxOverlaps2D``
    call (``RotatedBoxes`` or (N, 5) / (N, 6) tensors, the sixth column a
    score; ``mode`` 'iou' or 'iof'; ``is_aligned``), computed by
    :func:`rotaug.geometry.box_ious` in float64 on the boxes' device and
    returned in ``bboxes1``'s dtype: (m, n), or (m,) when aligned.

    MMRotate's calls mmcv's ``box_iou_rotated`` in float32, which can lose
    corners of the intersection when two boxes share corners (a prior and
    a ground truth written differently: IoU 1 computed as 1/3); it also
    widens sides below 1e-3 px to 1e-3, where this one gives a box without
    area the IoU 0. What it costs: docs/benchmarks.md ("Exact rotated
    IoU").

    ``type='rotaug.RBboxOverlaps2D'`` asks for this one. Under
    ``default_scope='rotaug'`` a bare ``type='RBboxOverlaps2D'`` finds it
    too; ``type='mmrotate.RBboxOverlaps2D'`` is MMRotate's (rotaug's
    configs name theirs so).
    """

    def __call__(self, bboxes1, bboxes2, mode: str = 'iou',
                 is_aligned: bool = False) -> Tensor:
        b1, b2 = get_box_tensor(bboxes1), get_box_tensor(bboxes2)
        for name, b in (('bboxes1', b1), ('bboxes2', b2)):
            if b.size(-1) not in (0, 5, 6):
                raise ValueError(f'{name} must be (N, 5) or (N, 6) rotated '
                                 f'boxes, got {tuple(b.shape)}')
        rows, cols = b1.size(0), b2.size(0)
        if is_aligned and rows != cols:
            raise ValueError(f'aligned overlaps need as many boxes on both '
                             f'sides, got {rows} and {cols}')
        if rows == 0 or cols == 0:
            shape = (rows, ) if is_aligned else (rows, cols)
            return b1.new_zeros(shape)
        out = box_ious(b1[:, :5], b2[:, :5], 'rbox', aligned=is_aligned,
                       mode=mode)
        return out.to(b1.dtype)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}()'
