"""``rotaug.SinCosAngleCoder``: an angle as the point ``(cos, sin)`` on the
unit circle, so that targets a period apart are the same target.

Regressing an angle as one number puts a jump into the target: a tilt of
179 and one of 1 degree look alike but lie 178 apart. The coder maps an
angle ``a`` of period ``P`` to ``(cos 2 pi a / P, sin 2 pi a / P)``, where
nearby angles are nearby vectors all the way round; a network predicts the
two numbers (no need to be unit length), :class:`rotaug.AngularDistanceLoss`
compares them with the target's, and :meth:`SinCosAngleCoder.decode` reads
the angle back.

Interface as MMRotate's angle coders (``CSLCoder``, ``PSCCoder``):
``encode_size`` channels, ``encode(angle_targets)`` of shape ``(N, 1)``
gives ``(N, encode_size)``, ``decode(angle_preds, keepdim=False)``.
"""
import math
from numbers import Number
from typing import Optional, Union

import numpy as np
import torch
from mmdet.models.task_modules.coders.base_bbox_coder import BaseBBoxCoder
from torch import Tensor

from ..registry import TASK_UTILS


@TASK_UTILS.register_module()
class SinCosAngleCoder(BaseBBoxCoder):
    """Encode angles of period ``period`` as ``(cos, sin)`` of their phase.

    ``encode(a) = (cos(2 pi a / P), sin(2 pi a / P))``; ``decode`` is the
    inverse, wrapped into ``[start, start + P)``. The period is in the unit
    of the angles: 360 for directions in degrees, 180 for a tilt (an axis
    without a head) in degrees, ``math.pi`` for MMRotate's rbox angles in
    radians (``start=-math.pi / 2`` decodes into le90's range).

    Args:
        period (float): period of the angles, > 0. Default 360.
        start (float): decoded angles lie in ``[start, start + period)``.
            Default 0.

    Examples:
        >>> coder = SinCosAngleCoder(period=180.0)
        >>> coder.encode(torch.tensor([[0.0], [90.0]])).shape
        torch.Size([2, 2])
        >>> coder.decode(torch.tensor([[0.0, 1.0], [0.0, -3.0]]))
        tensor([ 45., 135.])
    """

    encode_size = 2

    def __init__(self, period: float = 360.0, start: float = 0.0) -> None:
        super().__init__()
        for name, value in (('period', period), ('start', start)):
            if not isinstance(value, Number) or not math.isfinite(value):
                raise ValueError(f'{name} must be a finite number, got '
                                 f'{value!r}')
        if not period > 0:
            raise ValueError(f'period must be > 0, got {period!r}')
        self.period = float(period)
        self.start = float(start)

    @property
    def encoded_size(self) -> int:
        """Alias of ``encode_size`` (MMRotate's older name)."""
        return self.encode_size

    def encode(self,
               angle_targets: Union[Tensor, np.ndarray, float],
               keepdim: Optional[bool] = None) -> Tensor:
        """Angles to ``(cos, sin)`` vectors.

        Args:
            angle_targets (Tensor | ndarray | float): angles in the unit of
                ``period``, any shape ``(...)``, or ``(..., 1)`` as the
                angle column of MMRotate's heads.
            keepdim (bool, optional): whether the input carries a trailing
                axis of size 1 (MMRotate's ``(N, 1)`` column), which the two
                components then replace: ``(N, 1) -> (N, 2)``. False: the
                components are appended, ``(...) -> (..., 2)``. None
                (default): True when the last axis has size 1, so that
                ``(N, 1)`` and ``(N,)`` both give ``(N, 2)``; pass False for
                shapes like ``(N, H, 1)`` that are not a column.

        Returns:
            Tensor: ``(..., 2)``, ``[..., 0] = cos``, ``[..., 1] = sin``,
            floating point (integers become the default float dtype).
        """
        angles = torch.as_tensor(angle_targets)
        if not angles.is_floating_point():
            angles = angles.to(torch.get_default_dtype())
        if keepdim is None:
            keepdim = angles.dim() > 0 and angles.size(-1) == 1
        if keepdim:
            if angles.dim() == 0 or angles.size(-1) != 1:
                raise ValueError('encode(keepdim=True) needs angles of shape '
                                 f'(..., 1), got {tuple(angles.shape)}')
            angles = angles.squeeze(-1)
        phase = angles * (2 * math.pi / self.period)
        return torch.stack((torch.cos(phase), torch.sin(phase)), dim=-1)

    def decode(self, angle_preds: Tensor, keepdim: bool = False) -> Tensor:
        """``(cos, sin)`` vectors (any length) to angles.

        Args:
            angle_preds (Tensor): ``(..., 2)``, ``[..., 0]`` the cosine
                part, ``[..., 1]`` the sine part; only the direction counts.
                A zero vector has no direction and decodes to the angle of
                phase 0 (``start`` mapped into the range, i.e. 0 mod
                ``period``).
            keepdim (bool): keep a trailing axis of size 1. Default False.

        Returns:
            Tensor: angles in ``[start, start + period)`` in the unit of
            ``period``, ``(...)`` or ``(..., 1)`` with ``keepdim``.
        """
        if angle_preds.dim() == 0 or angle_preds.size(-1) != 2:
            raise ValueError('decode needs vectors of shape (..., 2), got '
                             f'{tuple(angle_preds.shape)}')
        phase = torch.atan2(angle_preds[..., 1], angle_preds[..., 0])
        angles = phase * (self.period / (2 * math.pi))
        angles = torch.remainder(angles - self.start,
                                 self.period) + self.start
        # an angle a hair below start + period can round up to it
        angles = torch.where(angles >= self.start + self.period,
                             torch.full_like(angles, self.start), angles)
        return angles.unsqueeze(-1) if keepdim else angles

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(period={self.period}, '
                f'start={self.start})')
