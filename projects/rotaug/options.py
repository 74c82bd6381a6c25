"""The options of rotaug's rotations, in one place: defaults, validation
(every error says what it got) and the ``k=v`` text each transform's repr is
built from. :class:`~rotaug.transforms.Rotate`, ``RandomRotate``,
``RandomChoiceRotate``, ``SanitizeGT`` and
:class:`~rotaug.models.BatchRandomRotate` all hold a :class:`RotationOptions`;
the angle draws have theirs in :mod:`rotaug.sampling`."""
from dataclasses import dataclass, field, fields, replace
from numbers import Number
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np

from .geometry import ANGLE_VERSIONS, HBOX_MODES
from .geometry.image import INTERPOLATIONS
from .policy import GTPolicy

BorderValue = Union[float, Tuple[float, ...]]
#: ``clip_border='clamp'``: horizontal boxes are clamped to the image, other
#: boxes left as they turn (what ``clip_`` of mmdet's and MMRotate's boxes
#: does)
CLAMP = 'clamp'


def check_flag(name: str, value) -> bool:
    """``value`` must be True or False (a string such as 'False' would
    otherwise read as true)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f'{name} must be True or False, got {value!r}')
    return bool(value)


def check_clip_border(value) -> Union[bool, str]:
    """True, False or 'clamp'."""
    if isinstance(value, str) and value == CLAMP:
        return value
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f'clip_border must be True, False or {CLAMP!r}, '
                         f'got {value!r}')
    return bool(value)


def check_choice(name: str, value, choices: Sequence):
    """``value`` must be one of ``choices``."""
    if value not in choices:
        raise ValueError(f'{name} must be one of {tuple(choices)}, got '
                         f'{value!r}')
    return value


def check_number(name: str, value, low: float = None,
                 high: float = None, low_open: bool = False) -> float:
    """``value`` must be a finite number in ``[low, high]`` (``(low, high]``
    with ``low_open``)."""
    ok = isinstance(value, Number) and not isinstance(value, bool) and \
        value == value and abs(value) != float('inf')
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        where = ('' if low is None else
                 f' in {"(" if low_open else "["}{low}, '
                 f'{"inf" if high is None else high}]')
        raise ValueError(f'{name} must be a finite number{where}, got '
                         f'{value!r}')
    return float(value)


def check_keys(name: str, value) -> Tuple[str, ...]:
    """A list of result keys (a single string is refused: it would be read
    as a list of its letters)."""
    if isinstance(value, str) or not all(isinstance(k, str) for k in value):
        raise ValueError(f'{name} must be a list of keys, got {value!r}')
    return tuple(value)


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


def check_border_value(name: str, value) -> BorderValue:
    """A number, or a tuple of 1, 3 or 4 numbers (one per channel)."""
    if isinstance(value, Number) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, (tuple, list)) and len(value) in (1, 3, 4) and all(
            isinstance(v, Number) for v in value):
        return tuple(float(v) for v in value)
    raise ValueError(f'{name} must be a number or a tuple of 3 numbers, got '
                     f'{value!r}')


@dataclass
class RotationOptions:
    """Every option that concerns how an image and its ground truths turn
    (the angle draws aside). See :class:`rotaug.transforms.Rotate` for what
    each one does; they are validated when the object is made."""
    # pixels
    expand: bool = False
    img_border_value: BorderValue = 0.0
    mask_border_value: int = 0
    seg_ignore_label: int = 255
    interpolation: str = 'bilinear'
    mask_interpolation: Optional[str] = 'nearest'
    # ground truths
    clip_border: Union[bool, str] = True
    hbox_mode: str = 'ellipse'
    hbox_from_masks: bool = True
    angle_version: Optional[str] = 'le90'
    min_visible_ratio: float = 0.25
    ignore_visible_ratio: float = 0.5
    min_size: float = 1.0
    angle_keys: Dict[str, float] = field(default_factory=dict)
    instance_keys: Tuple[str, ...] = ()
    out_box_type: Optional[str] = None
    policy: GTPolicy = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ('expand', 'hbox_from_masks'):
            setattr(self, name, check_flag(name, getattr(self, name)))
        self.clip_border = check_clip_border(self.clip_border)
        self.img_border_value = check_border_value('img_border_value',
                                                   self.img_border_value)
        for name in ('mask_border_value', 'seg_ignore_label'):
            setattr(self, name, int(check_number(name, getattr(self, name))))
        check_choice('interpolation', self.interpolation, INTERPOLATIONS)
        check_choice('mask_interpolation', self.mask_interpolation,
                     tuple(INTERPOLATIONS) + (None, ))
        check_choice('hbox_mode', self.hbox_mode, HBOX_MODES)
        check_choice('angle_version', self.angle_version,
                     ANGLE_VERSIONS + (None, ))
        check_choice('out_box_type', self.out_box_type, (None, 'hbox'))
        self.angle_keys = angle_key_periods(self.angle_keys)
        self.instance_keys = check_keys('instance_keys', self.instance_keys)
        self.policy = GTPolicy(self.min_visible_ratio,
                               self.ignore_visible_ratio, self.min_size)

    @property
    def clip(self) -> bool:
        """Boxes crossing the border are refitted to their visible part."""
        return self.clip_border is True

    @property
    def clamp(self) -> bool:
        """Horizontal boxes are only clamped to the image."""
        return self.clip_border == CLAMP

    def update(self, **changes) -> None:
        """Change options in place, validated as at construction (the
        object is shared by a transform's planner: it is not replaced)."""
        new = replace(self, **changes)
        for f in fields(self):
            setattr(self, f.name, getattr(new, f.name))

    @property
    def bitmap_interpolation(self) -> str:
        """How bitmap masks are warped: ``mask_interpolation``, or the
        image's ``interpolation`` when that is None (MMRotate's rule)."""
        return self.mask_interpolation or self.interpolation

    @property
    def border_scalar(self) -> tuple:
        """``img_border_value`` as the per-channel value OpenCV fills with
        (a number is given to every colour channel)."""
        v = self.img_border_value
        return (v, ) * 3 if isinstance(v, float) else v

    def fragment(self, names: Optional[Sequence[str]] = None) -> str:
        """``'k=v, ...'`` for the options ``names`` (default: all), in the
        order they are declared: the keyword part of a constructor call."""
        declared = [f.name for f in fields(self) if f.init]
        if names is not None:
            unknown = set(names) - set(declared)
            if unknown:
                raise KeyError(f'unknown options {sorted(unknown)}')
            declared = [n for n in declared if n in names]
        return ', '.join(f'{n}={getattr(self, n)!r}' for n in declared)


#: the options of :class:`rotaug.transforms.SanitizeGT` (it does not turn)
SANITIZE_OPTIONS = ('clip_border', 'angle_version', 'min_visible_ratio',
                    'ignore_visible_ratio', 'min_size', 'instance_keys',
                    'out_box_type')
#: the options of the batch path (no canvas growth, no mask border value;
#: the fields of a data sample are known)
BATCH_OPTIONS = tuple(
    n for n in RotationOptions.__dataclass_fields__
    if n not in ('expand', 'mask_border_value', 'mask_interpolation',
                 'instance_keys', 'policy'))
