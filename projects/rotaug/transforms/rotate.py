"""``rotaug.Rotate``: a fixed turn about the image centre, exact, and the
base that the random rotations share with it."""
from typing import Dict, Optional, Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.structures.mask import BitmapMasks

from ..compat import compat_keyword, rotaug_fragment
from ..geometry import image_rotation
from ..geometry.image import warp_image
from ..gt import GTPlan, GTPlanner, check_pixel_fields, image_size
from ..gt.fields import turned_angles
from ..gt.masks import warp_bitmap_masks
from ..options import RotationOptions, check_number
from ..policy import DropStats
from ..registry import TRANSFORMS


class TurnBase(BaseTransform):
    """What every rotaug rotation does once its angle is known: plan the
    ground truths (:class:`~rotaug.gt.GTPlanner`), turn the pixels, record
    the homography, turn the angle targets. Holds the
    :class:`~rotaug.options.RotationOptions` and the drop counters."""

    def _setup(self, options: RotationOptions) -> None:
        self.options = options
        #: counters of kept / ignored / dropped ground truths
        self.stats = DropStats(name=type(self).__name__)
        self.planner = GTPlanner(options, self.stats)

    def plan(self, results: dict, angle: float) -> GTPlan:
        """The homography, canvas and ground-truth decisions for ``angle``
        (no pixel work)."""
        h, w = image_size(results)
        check_pixel_fields(results, h, w)
        matrix, (nw, nh) = image_rotation(w, h, angle, self.options.expand)
        return self.planner.plan(results, matrix, nw, nh, src_size=(w, h))

    def apply(self, results: dict, plan: GTPlan, angle: float) -> dict:
        """Carry out ``plan`` on ``results`` (pixels, boxes, fields)."""
        opts = self.options
        m, nw, nh = plan.matrix, plan.width, plan.height
        # the ground truths first: bitmap masks are selected before they
        # are warped, so only the kept ones turn
        self.planner.apply(results, plan)
        if results.get('img', None) is not None:  # else annotations only
            results['img'] = warp_image(results['img'], m, nw, nh,
                                        opts.interpolation,
                                        opts.border_scalar)
        masks = results.get('gt_masks', None)
        if isinstance(masks, BitmapMasks):  # polygons: mapped by the plan
            results['gt_masks'] = warp_bitmap_masks(
                masks, m, nw, nh, opts.mask_border_value,
                opts.bitmap_interpolation)
        if results.get('gt_seg_map', None) is not None:
            results['gt_seg_map'] = warp_image(results['gt_seg_map'], m, nw,
                                               nh, 'nearest',
                                               opts.seg_ignore_label)
        results['img_shape'] = (nh, nw)
        #: the matrix of the last turn (MMRotate's attribute; rotaug's is
        #: in continuous pixel coordinates, the one the boxes turned by)
        self.homography_matrix = record_homography(results, m)
        results.update(turned_angles(results, opts.angle_keys, angle))
        return results

    def leave_unrotated(self, results: dict,
                        plan: Optional[GTPlan] = None) -> dict:
        """The outcome without a turn: no pixel work and no homography; the
        ground truths clipped to the image and kept, flagged or dropped by
        the same policy (and turned into ``out_box_type``), and the angle
        targets wrapped into their period, so that every image leaves in
        the same form, turned or not."""
        if results.get('gt_bboxes', None) is not None:
            self.planner.apply(results, plan if plan is not None else
                               self.planner.identity_plan(results))
        results.update(turned_angles(results, self.options.angle_keys, 0.0))
        return results


def record_homography(results: dict, matrix: np.ndarray) -> np.ndarray:
    """``homography_matrix``: ``matrix`` composed with any earlier one.
    Returns ``matrix`` as float32."""
    m = matrix.astype(np.float32)
    prev = results.get('homography_matrix', None)
    results['homography_matrix'] = m if prev is None else m @ prev
    return m


@TRANSFORMS.register_module()
class Rotate(TurnBase):
    """Rotate the image, boxes, masks and segmentation map by a fixed angle
    about the image centre, exactly.

    Required Keys:

    - img (optional when img_shape is given: then only the annotations
      turn)
    - img_shape (optional: read from ``img`` when missing)
    - gt_bboxes (HorizontalBoxes | RotatedBoxes | QuadriBoxes, or a plain
      array / tensor read by its width: 4 hbox, 5 rbox, 8 qbox) (optional)
    - gt_bboxes_labels, gt_ignore_flags and any other ``gt_*`` array with
      one entry per instance (optional)
    - gt_masks (BitmapMasks | PolygonMasks) (optional)
    - gt_seg_map (np.uint8) (optional)

    Modified Keys:

    - img, img_shape
    - gt_bboxes, gt_bboxes_labels, gt_ignore_flags, gt_masks, gt_seg_map
    - every per-instance ``gt_*`` field and ``instance_keys``
    - ``angle_keys`` (image-level angle targets, degrees)

    Added Keys:

    - homography_matrix (continuous pixel coordinates: the matrix applied
      to the boxes, composed with any earlier one)
    - gt_ignore_flags (when boxes are present and it was missing)

    Geometry: pixel ``i`` covers ``[i, i + 1)``; image, masks, seg map and
    boxes turn by the same matrix about ``(w / 2, h / 2)``. Boxes crossing
    the border are refitted to their visible part (see
    :func:`rotaug.geometry.warp_boxes`), and each object is then kept,
    flagged ignore or dropped by :class:`rotaug.policy.GTPolicy`. Every drop
    is counted in ``self.stats`` and logged (rate-limited).

    MMRotate's ``Rotate`` arguments (in its order) and attributes work as
    in MMRotate (``rotate_angle``, ``img_border_value``, ``mask_border_value``,
    ``seg_ignore_label``, ``interpolation``, ``homography_matrix``; the
    repr prints them in MMRotate's format, then every option in which this
    transform differs from MMRotate's). ``compat='mmrotate'`` sets the
    options where rotaug's defaults differ to what MMRotate does
    (:data:`rotaug.compat.MMROTATE_OPTIONS`; ``docs/mmrotate_compat.md``).

    Args:
        rotate_angle (float): degrees, positive = clockwise (as MMRotate);
            kept as given.
        img_border_value (number | tuple): fill value of the image (a
            number fills every colour channel).
        mask_border_value (int): fill value of bitmap masks.
        seg_ignore_label (int): fill value of the segmentation map.
        interpolation (str): 'nearest', 'bilinear', 'bicubic', 'area' or
            'lanczos' for the image (seg maps always use nearest).
        expand (bool): grow the canvas so that no image corner is lost.
        mask_interpolation (str | None): the same for bitmap masks.
            Default 'nearest' (a mask stays a mask); None: the image's
            ``interpolation``, as MMRotate.
        clip_border (bool | str): refit boxes that cross the border to
            their visible part. Default True. False leaves them as they
            turn; 'clamp' (MMRotate's) clamps horizontal boxes to the image
            and leaves the others as they turn. Polygon masks are clipped
            unless False.
        hbox_mode (str): horizontal boxes of unknown shape: 'ellipse'
            (default; box of the turned inscribed ellipse, Kalra et al.
            2021) or 'envelope' (box of the turned rectangle).
        hbox_from_masks (bool): horizontal boxes of objects with masks
            are the exact box of the turned, clipped object: polygon masks
            by their polygons, bitmap masks by their pixels (each pixel a
            unit square; only when the image turns: without a turn the
            pixels add nothing to the clamped box). Instances with an
            empty mask keep the box rule.
        angle_version (str | None): regularise rboxes into 'le90', 'le135'
            or 'oc'. Default 'le90'.
        min_visible_ratio (float): drop objects less visible than this.
        ignore_visible_ratio (float): flag ignore objects less visible.
        min_size (float): drop boxes with a side below this, in pixels.
        angle_keys (Sequence[str] | Dict[str, float]): image-level angle
            targets (degrees) that get the rotation added and are wrapped
            into ``[-period / 2, period / 2)``; a list means period 360.
        instance_keys (Sequence[str]): extra per-instance keys to filter
            (``gt_*`` arrays of the right length are found automatically).
        out_box_type (str | None): 'hbox' turns rbox/qbox ground truths into
            the exact horizontal box of each turned, clipped object (for
            horizontal detectors trained on oriented annotations). None
            keeps the input box type.
        compat (str | None): 'mmrotate': the options above that are not
            given take MMRotate's behaviour instead of rotaug's defaults.
    """

    @compat_keyword
    def __init__(self,
                 rotate_angle: float = 0.0,
                 img_border_value: Union[int, float, tuple] = 0,
                 mask_border_value: int = 0,
                 seg_ignore_label: int = 255,
                 interpolation: str = 'bilinear',
                 expand: bool = False,
                 mask_interpolation: Optional[str] = 'nearest',
                 clip_border: Union[bool, str] = True,
                 hbox_mode: str = 'ellipse',
                 hbox_from_masks: bool = True,
                 angle_version: Optional[str] = 'le90',
                 min_visible_ratio: float = 0.25,
                 ignore_visible_ratio: float = 0.5,
                 min_size: float = 1.0,
                 angle_keys: Union[Sequence[str], Dict[str, float]] = (),
                 instance_keys: Sequence[str] = (),
                 out_box_type: Optional[str] = None,
                 compat: Optional[str] = None) -> None:
        self.rotate_angle = rotate_angle
        self._setup(RotationOptions(
            expand=expand, img_border_value=img_border_value,
            mask_border_value=mask_border_value,
            seg_ignore_label=seg_ignore_label, interpolation=interpolation,
            mask_interpolation=mask_interpolation, clip_border=clip_border,
            hbox_mode=hbox_mode, hbox_from_masks=hbox_from_masks,
            angle_version=angle_version, min_visible_ratio=min_visible_ratio,
            ignore_visible_ratio=ignore_visible_ratio, min_size=min_size,
            angle_keys=angle_keys, instance_keys=instance_keys,
            out_box_type=out_box_type))

    # MMRotate's attributes, on the one options object
    @property
    def rotate_angle(self):
        """The angle, in degrees, as given."""
        return self._rotate_angle

    @rotate_angle.setter
    def rotate_angle(self, value) -> None:
        check_number('rotate_angle', value)
        self._rotate_angle = value

    @property
    def img_border_value(self) -> tuple:
        """The image fill, one float per channel (MMRotate's form)."""
        return self.options.border_scalar

    @img_border_value.setter
    def img_border_value(self, value) -> None:
        self.options.update(img_border_value=value)

    @property
    def mask_border_value(self) -> int:
        return self.options.mask_border_value

    @mask_border_value.setter
    def mask_border_value(self, value) -> None:
        self.options.update(mask_border_value=value)

    @property
    def seg_ignore_label(self) -> int:
        return self.options.seg_ignore_label

    @seg_ignore_label.setter
    def seg_ignore_label(self, value) -> None:
        self.options.update(seg_ignore_label=value)

    @property
    def interpolation(self) -> str:
        return self.options.interpolation

    @interpolation.setter
    def interpolation(self, value) -> None:
        self.options.update(interpolation=value)

    def transform(self, results: dict) -> dict:
        angle = float(self.rotate_angle)
        return self.apply(results, self.plan(results, angle), angle)

    def __repr__(self) -> str:
        """MMRotate's repr, then the options in which this differs from
        MMRotate's ``Rotate``."""
        o = self.options
        return (f'{type(self).__name__}(rotate_angle={self.rotate_angle}, '
                f'img_border_value={self.img_border_value}, '
                f'mask_border_value={o.mask_border_value}, '
                f'seg_ignore_label={o.seg_ignore_label}, '
                f'interpolation={o.interpolation}'
                f'{rotaug_fragment(o)})')
