"""``rotaug.RandomRotate`` and ``rotaug.RandomChoiceRotate``: drop-ins for
MMRotate's (same arguments and attributes, same random draws in the same
order), exact, with the ground-truth policy of
:class:`~rotaug.transforms.Rotate`."""
import copy
from dataclasses import replace
from typing import List, Optional, Sequence, Union

from mmcv.transforms.utils import cache_randomness

from ..compat import compat_keyword, rotaug_fragment
from ..options import check_flag
from ..registry import TRANSFORMS
from ..sampling import (NUMPY_RANDOM, ChoiceAngles, UniformAngles,
                        check_max_redraws, holds_labels, settle_redraws)
from .rotate import Rotate, TurnBase

#: the ``rotate_type`` values taken: MMRotate's default 'Rotate' names its
#: ``Rotate``, and rotaug turns with its own
ROTATE_TYPES = ('Rotate', 'mmrotate.Rotate', 'rotaug.Rotate')


class RandomTurnBase(TurnBase):
    """Draw an angle with ``self.sampler`` (a :mod:`rotaug.sampling` rule),
    redraw it by :func:`~rotaug.sampling.settle_redraws` when the turn would
    remove every object of an image that keeps some unrotated, then turn
    with ``self.rotate`` (a :class:`~rotaug.transforms.Rotate`, as in
    MMRotate: its ``rotate_angle`` is the last angle turned by; its
    options, counters and planner are this transform's). An image left
    unrotated still has its ground truths put through the policy
    (``sanitize_unrotated``), as the batch path does."""

    def _setup_random(self, sampler, rotate_type: str, max_redraws: int,
                      sanitize_unrotated: bool, compat: Optional[str],
                      rotate_kwargs: dict) -> None:
        if rotate_type not in ROTATE_TYPES:
            raise ValueError(
                f'rotate_type must be one of {ROTATE_TYPES} (MMRotate\'s '
                f'default \'Rotate\' included: rotaug turns with '
                f'rotaug.Rotate, whose options are keyword arguments here), '
                f'got {rotate_type!r}')
        self.sampler = sampler
        self.rotate_type = rotate_type
        self.max_redraws = check_max_redraws(max_redraws)
        self.sanitize_unrotated = check_flag('sanitize_unrotated',
                                             sanitize_unrotated)
        self._rotate_kwargs = copy.deepcopy(rotate_kwargs)
        self.rotate = Rotate(**{'rotate_angle': 0, **rotate_kwargs},
                             compat=compat)
        self.rotate.stats.name = type(self).__name__

    # one source of truth: the turn's options, counters and planner
    @property
    def options(self):
        return self.rotate.options

    @property
    def stats(self):
        """Counters of kept / ignored / dropped ground truths."""
        return self.rotate.stats

    @property
    def planner(self):
        return self.rotate.planner

    # MMRotate's attributes, on the sampler
    @property
    def rotate_cfg(self) -> dict:
        """MMRotate's record of the turn's arguments: ``rotate_type`` and the
        keyword arguments given for ``Rotate`` (a copy; the live values are
        ``self.rotate``'s)."""
        return dict(type=self.rotate_type,
                    **copy.deepcopy(self._rotate_kwargs))

    @property
    def prob(self):
        return self.sampler.prob

    @prob.setter
    def prob(self, value) -> None:
        self.sampler = replace(self.sampler, prob=value)

    @property
    def rect_obj_labels(self) -> Optional[List[int]]:
        return self.sampler.rect_obj_labels

    @rect_obj_labels.setter
    def rect_obj_labels(self, value) -> None:
        self.sampler = replace(self.sampler, rect_obj_labels=value)

    @property
    def horizontal_angles(self) -> list:
        """The turns of images holding ``rect_obj_labels``."""
        return self.sampler.horizontal_angles

    @horizontal_angles.setter
    def horizontal_angles(self, value) -> None:
        self.sampler = replace(self.sampler, horizontal_angles=value)

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
        turn = self.rotate
        plans = [turn.plan(results, angles[0])]
        settle_redraws(
            angles, plans,
            replan=lambda idx, new: [turn.plan(results, new[0])],
            unrotated=lambda idx: [self.planner.identity_plan(results)],
            redraw=lambda i: self._redraw_angle(rect),
            max_redraws=self.max_redraws, stats=self.stats)
        if angles[0] is None:
            return self._unrotated(results, plans[0])
        turn.rotate_angle = angles[0]
        return turn.apply(results, plans[0], angles[0])

    def _unrotated(self, results: dict, plan=None) -> dict:
        if not self.sanitize_unrotated:
            return results
        return self.leave_unrotated(results, plan)

    def _mmrotate_fields(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        """MMRotate's repr, then the settings in which this differs from
        MMRotate's transform."""
        rest = rotaug_fragment(self.options, max_redraws=self.max_redraws,
                               sanitize_unrotated=self.sanitize_unrotated)
        return (f'{type(self).__name__}({self._mmrotate_fields()}, '
                f'rect_obj_labels={self.rect_obj_labels}, '
                f'rotate_cfg={self.rotate_cfg}{rest})')


@TRANSFORMS.register_module()
class RandomRotate(RandomTurnBase):
    """Randomly rotate by an angle in ``[-angle_range, angle_range)``;
    a drop-in for MMRotate's ``RandomRotate`` (same arguments in the same
    order, same attributes, same random draws in the same order), exact
    and with the ground-truth policy of :class:`Rotate` (whose keyword
    arguments it accepts, as MMRotate's passes them on to its ``Rotate``).

    MMRotate's attributes: ``prob``, ``angle_range``, ``rect_obj_labels``,
    ``horizontal_angles`` (read and write), ``rotate`` (the
    :class:`Rotate`; ``rotate.rotate_angle`` is the last angle turned by),
    ``rotate_cfg``, ``rotate_type``. The repr is MMRotate's (which prints
    ``angle_range`` as ``rotate_angle``), then every setting in which this
    transform differs from MMRotate's.

    Required / Modified / Added keys: as :class:`Rotate`.

    Args:
        prob (float): probability to rotate. Default 0.5.
        angle_range (float): in (0, 180]. Default 180.
        rect_obj_labels (list[int], optional): if the image holds any of
            these labels (DOTA: storage-tank, roundabout), the angle is drawn
            from (90, 180, -90, -180) instead.
        rotate_type (str): 'Rotate' (MMRotate's default), 'mmrotate.Rotate'
            or 'rotaug.Rotate': the turn is always rotaug's :class:`Rotate`.
        max_redraws (int): when an angle would remove every object of an
            image that had some, draw again at most this many times, then
            leave the image unrotated (counted in ``stats.extra``); 0 turns
            the guard off. MMRotate 0.x resampled the image instead; 1.x had
            no such guard. Default 10.
        sanitize_unrotated (bool): an image that is not turned (with
            probability ``1 - prob``) still has its ground truths clipped
            to the image and kept, flagged or dropped by the policy, turned
            into ``out_box_type``, and its ``angle_keys`` wrapped into their
            period: every image leaves in the same form. False leaves it
            untouched, as MMRotate does. Default True.
        compat (str | None): 'mmrotate': ``max_redraws``,
            ``sanitize_unrotated`` and the options of :class:`Rotate` that
            are not given do what MMRotate does
            (:data:`rotaug.compat.COMPAT_PRESETS`). Default None: rotaug's
            defaults.
        **rotate_kwargs: arguments of :class:`Rotate` (``rotate_angle``
            only sets ``rotate.rotate_angle`` until the first turn, as in
            MMRotate).
    """

    @compat_keyword
    def __init__(self,
                 prob: float = 0.5,
                 angle_range: float = 180,
                 rect_obj_labels: Optional[List[int]] = None,
                 rotate_type: str = 'Rotate',
                 max_redraws: int = 10,
                 sanitize_unrotated: bool = True,
                 compat: Optional[str] = None,
                 **rotate_kwargs) -> None:
        self._setup_random(
            UniformAngles(prob, angle_range, rect_obj_labels), rotate_type,
            max_redraws, sanitize_unrotated, compat, rotate_kwargs)

    @property
    def angle_range(self):
        return self.sampler.angle_range

    @angle_range.setter
    def angle_range(self, value) -> None:
        self.sampler = replace(self.sampler, angle_range=value)

    def _mmrotate_fields(self) -> str:
        return f'prob={self.prob}, rotate_angle={self.angle_range}'


@TRANSFORMS.register_module()
class RandomChoiceRotate(RandomTurnBase):
    """Rotate by an angle chosen from ``angles``; a drop-in for MMRotate's
    ``RandomChoiceRotate`` (same arguments in the same order, same
    attributes, same draws), exact, with the ground-truth policy of
    :class:`Rotate`.

    MMRotate's attributes: ``angles``, ``prob``, ``rect_obj_labels``,
    ``horizontal_angles``, ``rotate``, ``rotate_cfg``, ``rotate_type``, as
    in :class:`RandomRotate`.

    Required / Modified / Added keys: as :class:`Rotate`.

    Args:
        angles (list[float]): candidate angles (0 excluded: it is the
            no-rotation outcome).
        prob (float | list[float]): probability to rotate (split evenly
            over ``angles``) or one probability per angle.
        rect_obj_labels, rotate_type, max_redraws, sanitize_unrotated,
        compat, **rotate_kwargs: as :class:`RandomRotate`.
    """

    @compat_keyword
    def __init__(self,
                 angles: Sequence[float],
                 prob: Union[float, List[float]] = 0.5,
                 rect_obj_labels: Optional[List[int]] = None,
                 rotate_type: str = 'Rotate',
                 max_redraws: int = 10,
                 sanitize_unrotated: bool = True,
                 compat: Optional[str] = None,
                 **rotate_kwargs) -> None:
        self._setup_random(ChoiceAngles(angles, prob, rect_obj_labels),
                           rotate_type, max_redraws, sanitize_unrotated,
                           compat, rotate_kwargs)

    @property
    def angles(self) -> list:
        return self.sampler.angles

    @angles.setter
    def angles(self, value) -> None:
        self.sampler = replace(self.sampler, angles=value)

    def _mmrotate_fields(self) -> str:
        return f'angles={self.angles}, prob={self.prob}'
