"""``rotaug.SanitizeGT``: the clamp/drop rules of the rotation transforms
without any rotation, for any MMDetection pipeline."""
from typing import Optional, Sequence, Union

from mmcv.transforms import BaseTransform

from ..gt import GTPlanner
from ..options import SANITIZE_OPTIONS, RotationOptions
from ..policy import DropStats
from ..registry import TRANSFORMS


@TRANSFORMS.register_module()
class SanitizeGT(BaseTransform):
    """Clip ground truths to the image and drop or ignore the degenerate ones,
    keeping every per-instance field in step.

    For annotations that are already outside the image (e.g. DOTA thumbnails
    whose labels were not rescaled), zero-size or non-finite boxes. The
    rules are those of :class:`rotaug.policy.GTPolicy`; drops are counted in
    ``self.stats`` and logged.

    Required Keys:

    - img_shape (or img, whose shape is used when img_shape is missing)
    - gt_bboxes (HorizontalBoxes | RotatedBoxes | QuadriBoxes, or a plain
      array / tensor read by its width: 4 hbox, 5 rbox, 8 qbox) (optional)
    - gt_bboxes_labels, gt_ignore_flags, gt_masks and any other ``gt_*``
      array with one entry per instance (optional)

    Modified Keys:

    - gt_bboxes, gt_bboxes_labels, gt_ignore_flags, gt_masks, and every
      per-instance ``gt_*`` field and ``instance_keys``

    Added Keys:

    - gt_ignore_flags (when boxes are present and it was missing)

    Args:
        min_visible_ratio, ignore_visible_ratio, min_size: see
            :class:`rotaug.policy.GTPolicy`.
        clip_border (bool | str): refit boxes crossing the border to their
            visible part. Default True ('clamp': as for
            :class:`~rotaug.transforms.Rotate`).
        angle_version (str | None): regularise rboxes. Default 'le90'.
        instance_keys (Sequence[str]): extra per-instance keys to filter.
        out_box_type (str | None): 'hbox' turns rbox/qbox ground truths into
            the exact horizontal box of each clipped object.
    """

    def __init__(self,
                 min_visible_ratio: float = 0.25,
                 ignore_visible_ratio: float = 0.5,
                 min_size: float = 1.0,
                 clip_border: Union[bool, str] = True,
                 angle_version: Optional[str] = 'le90',
                 instance_keys: Sequence[str] = (),
                 out_box_type: Optional[str] = None) -> None:
        # horizontal boxes do not turn here: their rule never applies
        self.options = RotationOptions(
            clip_border=clip_border, hbox_mode='envelope',
            hbox_from_masks=True, angle_version=angle_version,
            min_visible_ratio=min_visible_ratio,
            ignore_visible_ratio=ignore_visible_ratio, min_size=min_size,
            instance_keys=instance_keys, out_box_type=out_box_type)
        #: counters of kept / ignored / dropped ground truths
        self.stats = DropStats(name=type(self).__name__)
        self.planner = GTPlanner(self.options, self.stats)

    def transform(self, results: dict) -> dict:
        if results.get('gt_bboxes', None) is None:
            return results
        self.planner.apply(results, self.planner.identity_plan(results))
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}('
                f'{self.options.fragment(SANITIZE_OPTIONS)})')
