"""How rotation angles are drawn, and redrawn when a turn would remove every
object, for both paths: the per-image transforms draw from numpy's global
random state (the draws of MMRotate's transforms, in the same order), the
batch path from torch's; the rules are the same objects.

An angle of ``None`` means "not turned" (``0.0`` is a turn by zero)."""
from dataclasses import dataclass, field
from numbers import Number
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
import torch

from .options import check_number
from .policy import DropStats

#: the turns of images holding ``rect_obj_labels`` (square objects such as
#: storage tanks, whose boxes a turn by other angles would loosen), in
#: MMRotate's order (the draw picks one by its index)
HORIZONTAL_ANGLES = (90, 180, -90, -180)


class NumpyRandom:
    """Draws from numpy's global random state."""

    @staticmethod
    def rand() -> float:
        return np.random.rand()

    @staticmethod
    def choice(values: Sequence[float], p=None) -> float:
        return float(np.random.choice(values, p=p))


class TorchRandom:
    """Draws from torch's global generator."""

    @staticmethod
    def rand() -> float:
        return float(torch.rand(()))

    @staticmethod
    def choice(values: Sequence[float], p=None) -> float:
        if p is None:
            idx = int(torch.randint(len(values), ()))
        else:
            idx = int(torch.multinomial(torch.tensor(p, dtype=torch.float64),
                                        1))
        return float(values[idx])


NUMPY_RANDOM = NumpyRandom()
TORCH_RANDOM = TorchRandom()
Random = Union[NumpyRandom, TorchRandom]


def check_max_redraws(max_redraws) -> int:
    if isinstance(max_redraws, bool) or not isinstance(
            max_redraws, int) or max_redraws < 0:
        raise ValueError(
            f'max_redraws must be an int >= 0, got {max_redraws!r}')
    return max_redraws


def check_labels(rect_obj_labels) -> Optional[List[int]]:
    return None if rect_obj_labels is None else [
        int(x) for x in rect_obj_labels
    ]


def check_angle_list(name: str, angles) -> list:
    """A non-empty list (or tuple) of finite numbers, returned as a list of
    the numbers as given (MMRotate prints them so)."""
    if not isinstance(angles, (list, tuple)) or not angles:
        raise ValueError(f'{name} must be a non-empty list of numbers, got '
                         f'{angles!r}')
    for a in angles:
        check_number(name, a)
    return list(angles)


def _horizontal_angles() -> list:
    return list(HORIZONTAL_ANGLES)


def holds_labels(labels, wanted: Optional[List[int]]) -> bool:
    """Some of ``labels`` (array or tensor) are among ``wanted``."""
    if not wanted or labels is None or len(labels) == 0:
        return False
    if isinstance(labels, torch.Tensor):
        labels = labels.cpu().numpy()
    return bool(np.isin(np.asarray(labels), wanted).any())


@dataclass
class UniformAngles:
    """With probability ``prob``, an angle uniform in ``[-angle_range,
    angle_range)``; a multiple of 90 degrees for images holding
    ``rect_obj_labels`` (one of ``horizontal_angles``). MMRotate's
    ``RandomRotate`` rule. The numbers are validated and kept as given."""
    prob: float = 0.5
    angle_range: float = 180.0
    rect_obj_labels: Optional[List[int]] = None
    horizontal_angles: list = field(default_factory=_horizontal_angles)

    def __post_init__(self) -> None:
        check_number('prob', self.prob, 0, 1)
        check_number('angle_range', self.angle_range, 0, 180, low_open=True)
        self.rect_obj_labels = check_labels(self.rect_obj_labels)
        self.horizontal_angles = check_angle_list('horizontal_angles',
                                                  self.horizontal_angles)

    def first(self, rect: bool, rng: Random) -> Optional[float]:
        """The draw of an image (None: not turned)."""
        if not rng.rand() < self.prob:
            return None
        return self.redraw(rect, rng)

    def redraw(self, rect: bool, rng: Random) -> float:
        """A turn, for an image whose first angle would lose everything."""
        angle = float(self.angle_range * (2 * rng.rand() - 1))
        if rect:
            angle = rng.choice(self.horizontal_angles)
        return angle

    def fragment(self) -> str:
        return (f'prob={float(self.prob)!r}, '
                f'angle_range={float(self.angle_range)!r}, '
                f'rect_obj_labels={self.rect_obj_labels!r}')


@dataclass
class ChoiceAngles:
    """An angle from ``angles`` (``prob`` split evenly over them, or one
    probability each), none with the rest; a multiple of 90 degrees for
    images holding ``rect_obj_labels`` (one of ``horizontal_angles``).
    MMRotate's ``RandomChoiceRotate`` rule. The numbers are validated and
    kept as given."""
    angles: Sequence[float]
    prob: Union[float, List[float]] = 0.5
    rect_obj_labels: Optional[List[int]] = None
    horizontal_angles: list = field(default_factory=_horizontal_angles)

    def __post_init__(self) -> None:
        angles = self.angles = check_angle_list('angles', self.angles)
        if any(a == 0 for a in angles):
            raise ValueError('angles must not contain 0 (no rotation is the '
                             f'outcome of 1 - prob), got {angles!r}')
        prob = self.prob
        if isinstance(prob, (list, tuple)):
            if len(prob) != len(angles) or not all(
                    isinstance(p, Number) and p >= 0 for p in prob) or not (
                        0 <= sum(prob) <= 1):
                raise ValueError('prob as a list needs one probability >= 0 '
                                 'per angle, summing to at most 1; got '
                                 f'{prob!r}')
            self.prob = list(prob)
        else:
            # the number itself, as given: it is split over the angles
            check_number('prob', prob, 0, 1)
        self.rect_obj_labels = check_labels(self.rect_obj_labels)
        self.horizontal_angles = check_angle_list('horizontal_angles',
                                                  self.horizontal_angles)

    def first(self, rect: bool, rng: Random) -> Optional[float]:
        # MMRotate's list and probabilities, computed as MMRotate does
        choices = self.angles + [0]
        if isinstance(self.prob, list):
            p = self.prob + [1 - sum(self.prob)]
        else:
            share = self.prob / len(self.angles)
            p = [share] * len(self.angles) + [1. - self.prob]
        angle = rng.choice(choices, p=p)
        if angle == 0.0:
            return None
        return rng.choice(self.horizontal_angles) if rect else angle

    def redraw(self, rect: bool, rng: Random) -> float:
        if rect:
            return rng.choice(self.horizontal_angles)
        return rng.choice(self.angles)

    def fragment(self) -> str:
        return (f'angles={self.angles!r}, prob={self.prob!r}, '
                f'rect_obj_labels={self.rect_obj_labels!r}')


def settle_redraws(angles: List[Optional[float]], plans: list,
                   replan: Callable[[List[int], List[float]], list],
                   unrotated: Callable[[List[int]], list],
                   redraw: Callable[[int], float], max_redraws: int,
                   stats: DropStats) -> None:
    """The redraw rule, for a batch of images (one image is a batch of
    one), in place on ``angles`` and ``plans``.

    An image whose angle would remove every one of its objects, and which
    keeps some unrotated, gets a new angle (``redraw(i)``), at most
    ``max_redraws`` times; if every one still removes them all, it is left
    unrotated: its angle becomes None and its plan that of ``unrotated``.
    An image that keeps nothing unrotated either keeps its first angle.
    ``replan(idx, angles)`` and ``unrotated(idx)`` return the plans (with
    ``num_input`` and ``num_kept``) of the images ``idx``. Counted in
    ``stats.extra``: ``angle_redraws`` (one per image and redraw),
    ``left_unrotated``."""
    if not max_redraws:
        return
    vanishing = [i for i, (a, p) in enumerate(zip(angles, plans))
                 if a is not None and p.num_input and p.num_kept == 0]
    if not vanishing:
        return
    base = dict(zip(vanishing, unrotated(vanishing)))
    todo = [i for i in vanishing if base[i].num_kept > 0]
    for _ in range(max_redraws):
        if not todo:
            return
        stats.bump('angle_redraws', len(todo))
        new = [redraw(i) for i in todo]
        for i, angle, plan in zip(todo, new, replan(todo, new)):
            angles[i], plans[i] = angle, plan
        todo = [i for i in todo if plans[i].num_kept == 0]
    if todo:
        stats.bump('left_unrotated', len(todo))
        for i in todo:
            angles[i], plans[i] = None, base[i]
