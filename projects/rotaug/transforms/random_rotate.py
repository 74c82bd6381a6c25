"""``rotaug.RandomRotate`` and ``rotaug.RandomChoiceRotate``: drop-ins for
MMRotate's (same arguments, same random draws in the same order), exact,
with the ground-truth policy of :class:`~rotaug.transforms.Rotate`."""
from typing import List, Optional, Sequence, Union

from mmcv.transforms.utils import cache_randomness

from ..options import RotationOptions, check_flag
from ..registry import TRANSFORMS
from ..sampling import (NUMPY_RANDOM, ChoiceAngles, UniformAngles,
                        check_max_redraws, holds_labels, settle_redraws)
from .rotate import TurnBase

_ROTATE_TYPES = ('Rotate', 'rotaug.Rotate', 'mmrotate.Rotate')


class RandomTurnBase(TurnBase):
    """Draw an angle with ``self.sampler`` (a :mod:`rotaug.sampling` rule),
    redraw it by :func:`~rotaug.sampling.settle_redraws` when the turn would
    remove every object of an image that keeps some unrotated, then turn
    as :class:`~rotaug.transforms.Rotate` does. An image left unrotated
    still has its ground truths put through the policy
    (``sanitize_unrotated``), as the batch path does."""

    def _setup_random(self, sampler, max_redraws: int, rotate_type: str,
                      sanitize_unrotated: bool, rotate_kwargs: dict) -> None:
        if rotate_type not in _ROTATE_TYPES:
            raise ValueError(f'rotate_type must be one of {_ROTATE_TYPES} '
                             f'(rotaug always rotates with rotaug.Rotate), '
                             f'got {rotate_type!r}')
        self.sampler = sampler
        self.max_redraws = check_max_redraws(max_redraws)
        self.rotate_type = rotate_type
        self.sanitize_unrotated = check_flag('sanitize_unrotated',
                                             sanitize_unrotated)
        self._setup(RotationOptions(**rotate_kwargs))

    # the draws, one method each (mmcv's cache_randomness can fix them)
    @cache_randomness
    def _first_angle(self, rect: bool) -> Optional[float]:
        return self.sampler.first(rect, NUMPY_RANDOM)

    @cache_randomness
    def _redraw_angle(self, rect: bool) -> float:
        return self.sampler.redraw(rect, NUMPY_RANDOM)

    def transform(self, results: dict) -> dict:
        rect = holds_labels(results.get('gt_bboxes_labels', None),
                            self.sampler.rect_obj_labels)
        angles = [self._first_angle(rect)]
        if angles[0] is None:
            return self._unrotated(results)
        plans = [self.plan(results, angles[0])]
        settle_redraws(
            angles, plans,
            replan=lambda idx, new: [self.plan(results, new[0])],
            unrotated=lambda idx: [self.planner.identity_plan(results)],
            redraw=lambda i: self._redraw_angle(rect),
            max_redraws=self.max_redraws, stats=self.stats)
        if angles[0] is None:
            return self._unrotated(results, plans[0])
        return self.apply(results, plans[0], angles[0])

    def _unrotated(self, results: dict, plan=None) -> dict:
        if not self.sanitize_unrotated:
            return results
        return self.leave_unrotated(results, plan)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}({self.sampler.fragment()}, '
                f'max_redraws={self.max_redraws!r}, '
                f'rotate_type={self.rotate_type!r}, '
                f'sanitize_unrotated={self.sanitize_unrotated!r}, '
                f'{self.options.fragment()})')


@TRANSFORMS.register_module()
class RandomRotate(RandomTurnBase):
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
        self._setup_random(
            UniformAngles(prob, angle_range, rect_obj_labels), max_redraws,
            rotate_type, sanitize_unrotated, rotate_kwargs)


@TRANSFORMS.register_module()
class RandomChoiceRotate(RandomTurnBase):
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
        self._setup_random(ChoiceAngles(angles, prob, rect_obj_labels),
                           max_redraws, rotate_type, sanitize_unrotated,
                           rotate_kwargs)
