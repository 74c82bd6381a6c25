"""Rotation transforms: ``rotaug.Rotate``, ``rotaug.RandomRotate`` and
``rotaug.RandomChoiceRotate`` (drop-ins for MMRotate's, with exact geometry
and the ground-truth policy of :mod:`rotaug.policy`)."""
from numbers import Number
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from ..geometry import image_rotation
from ..policy import GTPolicy
from ..registry import TRANSFORMS
from .gt_core import (INTERPOLATIONS, GTPlan, GTTransformer,
                      check_pixel_fields, image_size)

HORIZONTAL_ANGLES = (90, 180, -90, -180)
_ROTATE_TYPES = ('Rotate', 'rotaug.Rotate', 'mmrotate.Rotate')


def angle_key_periods(angle_keys: Union[Sequence[str], Dict[str, float]]
                      ) -> Dict[str, float]:
    """``angle_keys`` as ``{key: period}`` (a list of keys means period
    360), every period checked to be > 0."""
    if isinstance(angle_keys, str):
        raise ValueError('angle_keys must be a list of keys or a dict of '
                         f'key -> period, got the string {angle_keys!r}')
    if isinstance(angle_keys, dict):
        periods = {k: float(v) for k, v in angle_keys.items()}
    else:
        periods = {k: 360.0 for k in angle_keys}
    for k, p in periods.items():
        if not p > 0:
            raise ValueError(f'angle_keys[{k!r}]: period must be > 0, got '
                             f'{p!r}')
    return periods


def turned_angles(values: dict, periods: Dict[str, float],
                  angle: float) -> dict:
    """The angle targets of ``values`` named in ``periods`` (degrees) with
    ``angle`` added and wrapped into ``[-period / 2, period / 2)``; keys
    that ``values`` lacks are left out."""
    out = {}
    for key, period in periods.items():
        if key in values:
            val = np.asarray(values[key], dtype=np.float64) + angle
            out[key] = (val + period / 2) % period - period / 2
    return out


def _border_value(value) -> tuple:
    if isinstance(value, Number):
        return (float(value), ) * 3
    if isinstance(value, (tuple, list)) and len(value) in (1, 3, 4):
        return tuple(float(v) for v in value)
    raise ValueError('img_border_value must be a number or a tuple of 3 '
                     f'numbers, got {value!r}')


@TRANSFORMS.register_module()
class Rotate(BaseTransform):
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

    Args:
        rotate_angle (float): degrees, positive = clockwise (as MMRotate).
        expand (bool): grow the canvas so that no image corner is lost.
        img_border_value (number | tuple): fill value of the image.
        mask_border_value (int): fill value of bitmap masks.
        seg_ignore_label (int): fill value of the segmentation map.
        interpolation (str): 'nearest', 'bilinear', 'bicubic', 'area' or
            'lanczos' for the image (masks/seg maps always use nearest).
        clip_border (bool): refit boxes that cross the border to their
            visible part. Default True.
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
    """

    def __init__(self,
                 rotate_angle: float = 0.0,
                 expand: bool = False,
                 img_border_value: Union[int, float, tuple] = 0,
                 mask_border_value: int = 0,
                 seg_ignore_label: int = 255,
                 interpolation: str = 'bilinear',
                 clip_border: bool = True,
                 hbox_mode: str = 'ellipse',
                 hbox_from_masks: bool = True,
                 angle_version: Optional[str] = 'le90',
                 min_visible_ratio: float = 0.25,
                 ignore_visible_ratio: float = 0.5,
                 min_size: float = 1.0,
                 angle_keys: Union[Sequence[str], Dict[str, float]] = (),
                 instance_keys: Sequence[str] = (),
                 out_box_type: Optional[str] = None) -> None:
        if not isinstance(rotate_angle, Number) or not np.isfinite(
                rotate_angle):
            raise ValueError(
                f'rotate_angle must be a finite number, got {rotate_angle!r}')
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f'interpolation must be one of '
                             f'{tuple(INTERPOLATIONS)}, got {interpolation!r}')
        self.rotate_angle = float(rotate_angle)
        self.expand = bool(expand)
        self.img_border_value = _border_value(img_border_value)
        self.mask_border_value = int(mask_border_value)
        self.seg_ignore_label = int(seg_ignore_label)
        self.interpolation = interpolation
        self.angle_keys = angle_key_periods(angle_keys)
        self.gt = GTTransformer(
            GTPolicy(min_visible_ratio, ignore_visible_ratio, min_size),
            clip_border=clip_border, hbox_mode=hbox_mode,
            angle_version=angle_version, hbox_from_masks=hbox_from_masks,
            instance_keys=instance_keys, out_box_type=out_box_type,
            stats_name=type(self).__name__)

    @property
    def stats(self):
        """Counters of kept / ignored / dropped ground truths."""
        return self.gt.stats

    # ------------------------------------------------------------ helpers
    def plan(self, results: dict, angle: float) -> GTPlan:
        """The homography, canvas and ground-truth decisions for ``angle``
        (no pixel work)."""
        h, w = image_size(results)
        check_pixel_fields(results, h, w)
        matrix, (nw, nh) = image_rotation(w, h, angle, self.expand)
        return self.gt.plan(results, matrix, nw, nh, src_size=(w, h))

    def apply(self, results: dict, plan: GTPlan, angle: float) -> dict:
        """Carry out ``plan`` on ``results`` (pixels, boxes, fields)."""
        m, nw, nh = plan.matrix, plan.width, plan.height
        # the ground truths first: bitmap masks are selected before they
        # are warped, so only the kept ones turn
        self.gt.apply(results, plan)
        if results.get('img', None) is not None:  # else annotations only
            results['img'] = self.gt.warp_image(results['img'], m, nw, nh,
                                                self.interpolation,
                                                self.img_border_value)
        if results.get('gt_masks', None) is not None:
            results['gt_masks'] = self.gt.warp_masks(results['gt_masks'], m,
                                                     nw, nh,
                                                     self.mask_border_value)
        if results.get('gt_seg_map', None) is not None:
            results['gt_seg_map'] = self.gt.warp_image(
                results['gt_seg_map'], m, nw, nh, 'nearest',
                self.seg_ignore_label)
        results['img_shape'] = (nh, nw)
        self._record_homography(results, m)
        self.turn_angle_keys(results, angle)
        return results

    def turn_angle_keys(self, results: dict, angle: float) -> None:
        """Add ``angle`` to the ``angle_keys`` targets and wrap them into
        ``[-period / 2, period / 2)``."""
        results.update(turned_angles(results, self.angle_keys, angle))

    @staticmethod
    def _record_homography(results: dict, matrix: np.ndarray) -> None:
        m = matrix.astype(np.float32)
        prev = results.get('homography_matrix', None)
        results['homography_matrix'] = m if prev is None else m @ prev

    def transform(self, results: dict) -> dict:
        plan = self.plan(results, self.rotate_angle)
        return self.apply(results, plan, self.rotate_angle)

    def _options_repr(self) -> str:
        g = self.gt
        return (f'expand={self.expand}, '
                f'img_border_value={self.img_border_value}, '
                f'mask_border_value={self.mask_border_value}, '
                f'seg_ignore_label={self.seg_ignore_label}, '
                f'interpolation={self.interpolation!r}, '
                f'clip_border={g.clip_border}, hbox_mode={g.hbox_mode!r}, '
                f'hbox_from_masks={g.hbox_from_masks}, '
                f'angle_version={g.angle_version!r}, '
                f'min_visible_ratio={g.policy.min_visible_ratio}, '
                f'ignore_visible_ratio={g.policy.ignore_visible_ratio}, '
                f'min_size={g.policy.min_size}, '
                f'angle_keys={self.angle_keys}, '
                f'instance_keys={g.instance_keys}, '
                f'out_box_type={g.out_box_type!r}')

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(rotate_angle={self.rotate_angle}'
                f', ' + self._options_repr() + ')')


class _RandomRotateBase(BaseTransform):
    """Shared logic: draw an angle, redraw when the rotation would remove
    every object of an image that had some (at most ``max_redraws`` times,
    then leave the image unrotated), apply with a :class:`Rotate`. An image
    left unrotated still has its ground truths put through the policy
    (``sanitize_unrotated``), as the batch path does."""

    def __init__(self, rect_obj_labels: Optional[Sequence[int]],
                 max_redraws: int, rotate_type: str, rotate_kwargs: dict,
                 sanitize_unrotated: bool = True):
        if rotate_type not in _ROTATE_TYPES:
            raise ValueError(f'rotate_type must be one of {_ROTATE_TYPES} '
                             f'(rotaug always rotates with rotaug.Rotate), '
                             f'got {rotate_type!r}')
        if not isinstance(max_redraws, int) or max_redraws < 0:
            raise ValueError(
                f'max_redraws must be an int >= 0, got {max_redraws!r}')
        self.rect_obj_labels = (None if rect_obj_labels is None else
                                [int(x) for x in rect_obj_labels])
        self.max_redraws = max_redraws
        if not isinstance(sanitize_unrotated, bool):
            raise ValueError('sanitize_unrotated must be True or False, got '
                             f'{sanitize_unrotated!r}')
        self.sanitize_unrotated = sanitize_unrotated
        self.rotate_type = rotate_type
        self.rotate_kwargs = dict(rotate_kwargs)
        self.rotate = Rotate(rotate_angle=0.0, **rotate_kwargs)
        # drops are logged under this transform's name
        self.rotate.stats.name = type(self).__name__
        self.horizontal_angles = list(HORIZONTAL_ANGLES)

    @property
    def stats(self):
        return self.rotate.stats

    @cache_randomness
    def _random_horizontal_angle(self) -> float:
        return float(np.random.choice(self.horizontal_angles))

    def _has_rect_objects(self, results: dict) -> bool:
        if self.rect_obj_labels is None:
            return False
        labels = results.get('gt_bboxes_labels', None)
        if labels is None or len(labels) == 0:
            return False
        return bool(np.isin(np.asarray(labels), self.rect_obj_labels).any())

    def _draw(self, results: dict) -> float:
        raise NotImplementedError

    def _rotate_with_redraw(self, results: dict, angle: float) -> dict:
        rot = self.rotate
        plan = rot.plan(results, angle)
        if self.max_redraws and plan.num_input and plan.num_kept == 0:
            base = rot.gt.identity_plan(results)
            if base.num_kept > 0:
                for _ in range(self.max_redraws):
                    self.stats.bump('angle_redraws')
                    angle = self._draw(results)
                    plan = rot.plan(results, angle)
                    if plan.num_kept > 0:
                        break
                else:
                    self.stats.bump('left_unrotated')
                    return self._leave_unrotated(results, base)
        rot.rotate_angle = angle
        return rot.apply(results, plan, angle)

    def _leave_unrotated(self, results: dict,
                         plan: Optional[GTPlan] = None) -> dict:
        """The outcome without a turn: no pixel work and no homography;
        with ``sanitize_unrotated`` the ground truths are clipped to the
        image and kept, flagged or dropped by the same policy (and turned
        into ``out_box_type``), and ``angle_keys`` wrapped into their
        period, so that every image leaves in the same form, turned or
        not."""
        if not self.sanitize_unrotated:
            return results
        gt = self.rotate.gt
        if results.get('gt_bboxes', None) is not None:
            gt.apply(results, plan if plan is not None else
                     gt.identity_plan(results))
        self.rotate.turn_angle_keys(results, 0.0)
        return results

    def _repr_tail(self) -> str:
        return (f'rect_obj_labels={self.rect_obj_labels}, '
                f'max_redraws={self.max_redraws}, '
                f'rotate_type={self.rotate_type!r}, '
                f'sanitize_unrotated={self.sanitize_unrotated}, '
                + self.rotate._options_repr())


@TRANSFORMS.register_module()
class RandomRotate(_RandomRotateBase):
    """Randomly rotate by an angle in ``[-angle_range, angle_range)``;
    a drop-in for MMRotate's ``RandomRotate`` (same arguments, same random
    draws in the same order), exact and with the ground-truth policy of
    :class:`Rotate` (whose keyword arguments it accepts).

    Required / Modified / Added keys: as :class:`Rotate`.

    Args:
        prob (float): probability to rotate. Default 0.5.
        angle_range (float): in (0, 180]. Default 180.
        rect_obj_labels (list[int], optional): if the image holds any of
            these labels (DOTA: storage-tank, roundabout), the angle is drawn
            from (90, 180, -90, -180) instead.
        max_redraws (int): when an angle would remove every object of an
            image that had some, draw again at most this many times, then
            leave the image unrotated (counted in ``stats.extra``); 0 turns
            the guard off. MMRotate 0.x resampled the image instead; 1.x had
            no such guard.
        rotate_type (str): accepted for compatibility ('Rotate').
        sanitize_unrotated (bool): an image that is not turned (with
            probability ``1 - prob``) still has its ground truths clipped
            to the image and kept, flagged or dropped by the policy, turned
            into ``out_box_type``, and its ``angle_keys`` wrapped into their
            period: every image leaves in the same form. False leaves it
            untouched, as MMRotate does. Default True.
        **rotate_kwargs: options of :class:`Rotate`.
    """

    def __init__(self,
                 prob: float = 0.5,
                 angle_range: float = 180,
                 rect_obj_labels: Optional[List[int]] = None,
                 max_redraws: int = 10,
                 rotate_type: str = 'Rotate',
                 sanitize_unrotated: bool = True,
                 **rotate_kwargs) -> None:
        if not isinstance(prob, Number) or not 0 <= prob <= 1:
            raise ValueError(f'prob must lie in [0, 1], got {prob!r}')
        if not isinstance(angle_range, Number) or not 0 < angle_range <= 180:
            raise ValueError(
                f'angle_range must lie in (0, 180], got {angle_range!r}')
        self.prob = float(prob)
        self.angle_range = float(angle_range)
        super().__init__(rect_obj_labels, max_redraws, rotate_type,
                         rotate_kwargs, sanitize_unrotated)

    @cache_randomness
    def _is_rotate(self) -> bool:
        return np.random.rand() < self.prob

    @cache_randomness
    def _random_angle(self) -> float:
        return float(self.angle_range * (2 * np.random.rand() - 1))

    def _draw(self, results: dict) -> float:
        angle = self._random_angle()
        if self._has_rect_objects(results):
            angle = self._random_horizontal_angle()
        return angle

    def transform(self, results: dict) -> dict:
        if not self._is_rotate():
            return self._leave_unrotated(results)
        return self._rotate_with_redraw(results, self._draw(results))

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'angle_range={self.angle_range}, ' + self._repr_tail() + ')')


@TRANSFORMS.register_module()
class RandomChoiceRotate(_RandomRotateBase):
    """Rotate by an angle chosen from ``angles``; a drop-in for MMRotate's
    ``RandomChoiceRotate`` (same arguments and draws), exact, with the
    ground-truth policy of :class:`Rotate`.

    Required / Modified / Added keys: as :class:`Rotate`.

    Args:
        angles (list[float]): candidate angles (0 excluded: it is the
            no-rotation outcome).
        prob (float | list[float]): probability to rotate (split evenly
            over ``angles``) or one probability per angle.
        rect_obj_labels, max_redraws, rotate_type, sanitize_unrotated,
        **rotate_kwargs: as :class:`RandomRotate`.
    """

    def __init__(self,
                 angles: Sequence[float],
                 prob: Union[float, List[float]] = 0.5,
                 rect_obj_labels: Optional[List[int]] = None,
                 max_redraws: int = 10,
                 rotate_type: str = 'Rotate',
                 sanitize_unrotated: bool = True,
                 **rotate_kwargs) -> None:
        if not isinstance(angles, (list, tuple)) or not angles or not all(
                isinstance(a, Number) for a in angles):
            raise ValueError(f'angles must be a non-empty list of numbers, '
                             f'got {angles!r}')
        if any(a == 0 for a in angles):
            raise ValueError('angles must not contain 0 (no rotation is the '
                             'outcome of 1 - prob)')
        if isinstance(prob, (list, tuple)):
            if len(prob) != len(angles) or not all(
                    isinstance(p, Number) and p >= 0 for p in prob) or not (
                        0 <= sum(prob) <= 1):
                raise ValueError('prob as a list needs one probability >= 0 '
                                 'per angle, summing to at most 1; got '
                                 f'{prob!r}')
            prob = [float(p) for p in prob]
        elif not isinstance(prob, Number) or not 0 <= prob <= 1:
            raise ValueError(f'prob must lie in [0, 1], got {prob!r}')
        self.angles = [float(a) for a in angles]
        self.prob = prob
        super().__init__(rect_obj_labels, max_redraws, rotate_type,
                         rotate_kwargs, sanitize_unrotated)

    @cache_randomness
    def _choice_angle(self) -> float:
        choices = self.angles + [0.0]
        if isinstance(self.prob, list):
            p = self.prob + [1.0 - sum(self.prob)]
        else:
            p = [self.prob / len(self.angles)] * len(self.angles) + [
                1.0 - self.prob
            ]
        return float(np.random.choice(choices, p=p))

    @cache_randomness
    def _redraw_angle(self) -> float:
        return float(np.random.choice(self.angles))

    def _draw(self, results: dict) -> float:
        # only used to redraw: one of the non-zero angles
        if self._has_rect_objects(results):
            return self._random_horizontal_angle()
        return self._redraw_angle()

    def transform(self, results: dict) -> dict:
        angle = self._choice_angle()
        if angle == 0.0:
            return self._leave_unrotated(results)
        if self._has_rect_objects(results):
            angle = self._random_horizontal_angle()
        return self._rotate_with_redraw(results, angle)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(angles={self.angles}, '
                f'prob={self.prob}, ' + self._repr_tail() + ')')
