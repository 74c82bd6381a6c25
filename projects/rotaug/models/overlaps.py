"""An overlap calculator for assigners whose priors are horizontal while the
ground truths may be rotated."""
from typing import Union

from mmdet.structures.bbox import BaseBoxes, HorizontalBoxes, bbox_overlaps
from torch import Tensor

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
