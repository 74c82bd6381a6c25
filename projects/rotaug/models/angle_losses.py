"""Angle losses that respect the period of the angle.

An angle target turns with the image (``angle_keys`` of
:class:`rotaug.Rotate`), but a loss that reads it as an ordinary number
sees a jump where it wraps: 179 and -179 degrees are 2 apart, not 358.
These losses measure the distance on the circle instead.

* :class:`PeriodicL1Loss` / :class:`PeriodicSmoothL1Loss`: a raw angle
  against an angle, ``min(d, P - d)`` with ``d = (pred - target) mod P``,
  in the unit of the period; the gradient pulls the short way round.
* :class:`AngularDistanceLoss`: ``theta ** (1 + delta)`` for two
  ``(cos, sin)`` vectors (see :class:`rotaug.SinCosAngleCoder`) at angle
  ``theta`` in ``[0, pi]``, for ``(N, 2)`` rows and ``(N, 2, H, W)`` maps.
* :class:`VonMisesNLLLoss`: the negative log-likelihood of a von Mises
  distribution whose mean direction and concentration are one predicted
  vector.

All follow MMDetection's loss conventions (``reduction``, ``loss_weight``,
``forward(pred, target, weight=None, avg_factor=None,
reduction_override=None)``) and are plain ``nn.Module`` s, usable outside
MMDetection. The functional forms (``periodic_smooth_l1_loss``,
``angular_distance_loss``, ``von_mises_nll_loss``) take ``weight``,
``reduction`` and ``avg_factor`` as MMDetection's ``weighted_loss``
functions do.
"""
import math
from numbers import Number
from typing import Optional, Tuple

import torch
from mmdet.models.losses.utils import weighted_loss
from torch import Tensor, nn

from ..registry import MODELS

REDUCTIONS = ('none', 'mean', 'sum')


def circular_difference(pred: Tensor, target: Tensor,
                        period: float) -> Tensor:
    """The signed short-way difference ``pred - target`` wrapped into
    ``[-period / 2, period / 2)``, elementwise, in the unit of ``period``.
    Its gradient with respect to ``pred`` is 1 (away from the wrap)."""
    return torch.remainder(pred - target + period / 2, period) - period / 2


def _check_same_shape(pred: Tensor, target: Tensor) -> None:
    if pred.shape != target.shape:
        raise ValueError(f'pred and target must have the same shape, got '
                         f'{tuple(pred.shape)} and {tuple(target.shape)}')


def _as_float(x: Tensor) -> Tensor:
    """float16 / bfloat16 are computed in float32 (tiny squared lengths
    underflow in half precision)."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


@weighted_loss
def periodic_smooth_l1_loss(pred: Tensor,
                            target: Tensor,
                            period: float = 360.0,
                            beta: float = 0.0) -> Tensor:
    """Elementwise distance on the circle, ``|circular_difference|``, in the
    unit of ``period``; with ``beta > 0`` smoothed below ``beta`` as MMDet's
    ``smooth_l1_loss`` (``0.5 d ** 2 / beta`` there, ``d - beta / 2``
    above). ``pred``, ``target``: same shape, any."""
    _check_same_shape(pred, target)
    diff = circular_difference(pred, target, period).abs()
    if beta > 0:
        return torch.where(diff < beta, 0.5 * diff * diff / beta,
                           diff - 0.5 * beta)
    return diff


def _split_vectors(x: Tensor, dim: int, name: str) -> Tuple[Tensor, Tensor]:
    if x.dim() == 0 or x.size(dim) != 2:
        raise ValueError(f'{name} must have size 2 along dim={dim} (the '
                         f'(cos, sin) components), got shape '
                         f'{tuple(x.shape)}')
    return x.unbind(dim)


def angle_between(pred: Tensor,
                  target: Tensor,
                  dim: int = 1,
                  eps: float = 1e-6) -> Tensor:
    """The angle ``theta`` in ``[0, pi]`` (radians) between the 2-vectors of
    ``pred`` and ``target`` laid along ``dim``, with a finite value and a
    finite gradient everywhere.

    ``theta = |atan2(cross, dot)|`` of the two vectors, which need not be
    unit length. The gradient is 0 at ``theta = 0`` and, at the antipode,
    that of one of the two equally short ways round (not 0: a prediction
    exactly opposite its target still moves).

    A vector shorter than ``eps`` has no direction. Where the target is
    that short, ``theta = pi / 2`` with no gradient; where only the
    prediction is, ``theta = pi / 2 - pred . t_hat`` (``t_hat`` the unit
    target): ``pi / 2`` at the zero vector (the mean angle to a random
    direction) with gradient ``-t_hat``, so that a head initialised to
    output zeros still learns.

    Args:
        pred, target (Tensor): same shape, size 2 along ``dim``
            (``[0]`` cosine part, ``[1]`` sine part), e.g. ``(N, 2)`` or
            ``(N, 2, H, W)``.
        dim (int): the axis of the components.
        eps (float): length below which a vector counts as zero.

    Returns:
        Tensor: the shape of ``pred`` without ``dim``, e.g. ``(N,)`` or
        ``(N, H, W)``.
    """
    _check_same_shape(pred, target)
    p0, p1 = _split_vectors(_as_float(pred), dim, 'pred')
    t0, t1 = _split_vectors(_as_float(target), dim, 'target')
    cross = p0 * t1 - p1 * t0
    dot = p0 * t0 + p1 * t1
    t_len2 = t0 * t0 + t1 * t1
    t_ok = t_len2 > eps * eps
    ok = t_ok & (p0 * p0 + p1 * p1 > eps * eps)
    # masked entries get inputs with a finite gradient (no 0 / 0 in atan2)
    theta = torch.atan2(torch.where(ok, cross, 0.0),
                        torch.where(ok, dot, 1.0)).abs()
    t_len = torch.sqrt(torch.where(t_ok, t_len2, 1.0))
    no_direction = math.pi / 2 - torch.where(t_ok, dot / t_len, 0.0)
    return torch.where(ok, theta, no_direction)


@weighted_loss
def angular_distance_loss(pred: Tensor,
                          target: Tensor,
                          delta: float = 0.2,
                          dim: int = 1,
                          eps: float = 1e-6) -> Tensor:
    """``angle_between(pred, target, dim, eps) ** (1 + delta)``, elementwise
    (radians to the power ``1 + delta``); the shape of ``pred`` without
    ``dim``."""
    return angle_between(pred, target, dim, eps).pow(1.0 + delta)


def _log_i0(kappa2: Tensor) -> Tensor:
    """``log I0(sqrt(kappa2))``, smooth at ``kappa2 = 0`` (a series there,
    the exponentially scaled Bessel function elsewhere)."""
    small = kappa2 < 1e-4
    kappa = torch.sqrt(torch.where(small, 1.0, kappa2))
    big = torch.log(torch.special.i0e(kappa)) + kappa
    return torch.where(small, kappa2 / 4 - kappa2 * kappa2 / 64, big)


@weighted_loss
def von_mises_nll_loss(pred: Tensor,
                       target: Tensor,
                       dim: int = 1,
                       eps: float = 1e-6) -> Tensor:
    """Von Mises negative log-likelihood (nats) of the target direction.

    ``pred`` is the natural parameter ``eta = kappa * (cos mu, sin mu)``:
    its direction is the mean angle ``mu``, its length the concentration
    ``kappa >= 0``. ``nll = log(2 pi I0(kappa)) - eta . t_hat`` with
    ``t_hat`` the unit target, smooth in ``eta`` everywhere (``kappa = 0``
    is the uniform distribution, ``log 2 pi``). A target shorter than
    ``eps`` carries no direction: only ``log(2 pi I0(kappa))`` is left,
    which pulls ``kappa`` to 0. Shapes as :func:`angle_between`.
    """
    _check_same_shape(pred, target)
    e0, e1 = _split_vectors(_as_float(pred), dim, 'pred')
    t0, t1 = _split_vectors(_as_float(target), dim, 'target')
    t_len2 = t0 * t0 + t1 * t1
    t_ok = t_len2 > eps * eps
    t_len = torch.sqrt(torch.where(t_ok, t_len2, 1.0))
    fit = torch.where(t_ok, (e0 * t0 + e1 * t1) / t_len, 0.0)
    return math.log(2 * math.pi) + _log_i0(e0 * e0 + e1 * e1) - fit


class _PeriodicLoss(nn.Module):
    """``reduction`` / ``loss_weight`` handling shared by the losses."""

    def __init__(self, reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f'reduction must be one of {REDUCTIONS}, got '
                             f'{reduction!r}')
        if not isinstance(loss_weight, Number) or not math.isfinite(
                loss_weight):
            raise ValueError(
                f'loss_weight must be a finite number, got {loss_weight!r}')
        self.reduction = reduction
        self.loss_weight = float(loss_weight)

    def _reduction(self, reduction_override: Optional[str]) -> str:
        if reduction_override not in (None, ) + REDUCTIONS:
            raise ValueError(f'reduction_override must be None or one of '
                             f'{REDUCTIONS}, got {reduction_override!r}')
        return reduction_override or self.reduction

    @staticmethod
    def _empty(pred: Tensor, reduction: str) -> Optional[Tensor]:
        """No elements: a zero loss that keeps the graph (MMDet's mean of
        nothing would be NaN); None otherwise."""
        if pred.numel() == 0 and reduction != 'none':
            return pred.sum() * 0
        return None

    def extra_repr(self) -> str:
        return (f'reduction={self.reduction!r}, '
                f'loss_weight={self.loss_weight}')


@MODELS.register_module()
class PeriodicSmoothL1Loss(_PeriodicLoss):
    """Smooth L1 distance on the circle between a raw angle and a target.

    ``d = min(e, P - e)``, ``e = (pred - target) mod P``, smoothed below
    ``beta`` as MMDetection's ``SmoothL1Loss`` (``beta = 0``: plain L1).
    The loss is in the unit of the period: degrees with ``period=360``, a
    tilt in degrees with 180, radians with ``2 * math.pi``. The prediction
    need not lie in one period (a raw network output is fine); the gradient
    pulls it the short way round to the nearest copy of the target.

    Args:
        period (float): > 0. Default 360.
        beta (float): >= 0, in the unit of ``period``. Default 1.
        reduction (str): 'none', 'mean' or 'sum'. Default 'mean'.
        loss_weight (float): Default 1.
    """

    def __init__(self,
                 period: float = 360.0,
                 beta: float = 1.0,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__(reduction, loss_weight)
        if not isinstance(period, Number) or not 0 < period < math.inf:
            raise ValueError(f'period must be a finite number > 0, got '
                             f'{period!r}')
        if not isinstance(beta, Number) or not 0 <= beta < math.inf:
            raise ValueError(f'beta must be a finite number >= 0, got '
                             f'{beta!r}')
        self.period = float(period)
        self.beta = float(beta)

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """
        Args:
            pred (Tensor): predicted angles, any shape, unit of ``period``.
            target (Tensor): target angles, same shape (any range).
            weight (Tensor, optional): elementwise weights (broadcast).
            avg_factor (float, optional): divisor of the summed loss for
                ``reduction='mean'``.
            reduction_override (str, optional): replaces ``reduction``.

        Returns:
            Tensor: a scalar, or ``pred``'s shape with reduction 'none'.
        """
        reduction = self._reduction(reduction_override)
        empty = self._empty(pred, reduction)
        if empty is not None:
            return empty
        return self.loss_weight * periodic_smooth_l1_loss(
            pred, target, weight, reduction=reduction,
            avg_factor=avg_factor, period=self.period, beta=self.beta)

    def extra_repr(self) -> str:
        return (f'period={self.period}, beta={self.beta}, ' +
                super().extra_repr())


@MODELS.register_module()
class PeriodicL1Loss(PeriodicSmoothL1Loss):
    """L1 distance on the circle: :class:`PeriodicSmoothL1Loss` with
    ``beta = 0``, i.e. ``min(e, P - e)`` with ``e = (pred - target) mod P``.

    Args:
        period (float): > 0, in the unit of the angles. Default 360.
        reduction (str): 'none', 'mean' or 'sum'. Default 'mean'.
        loss_weight (float): Default 1.

    Example:
        >>> loss = PeriodicL1Loss(period=360.0)
        >>> loss(torch.tensor([179.0]), torch.tensor([-179.0]))
        tensor(2.)
    """

    def __init__(self,
                 period: float = 360.0,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__(period, 0.0, reduction, loss_weight)

    def extra_repr(self) -> str:
        return f'period={self.period}, ' + _PeriodicLoss.extra_repr(self)


class _VectorLoss(_PeriodicLoss):
    """Shared ``forward`` of the losses on ``(cos, sin)`` vectors."""

    def __init__(self, dim: int, eps: float, reduction: str,
                 loss_weight: float) -> None:
        super().__init__(reduction, loss_weight)
        if not isinstance(dim, int):
            raise ValueError(f'dim must be an int, got {dim!r}')
        if not isinstance(eps, Number) or not 0 < eps < math.inf:
            raise ValueError(f'eps must be a finite number > 0, got {eps!r}')
        self.dim = dim
        self.eps = float(eps)

    def _elementwise(self, pred: Tensor, target: Tensor, weight, reduction,
                     avg_factor) -> Tensor:
        raise NotImplementedError

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """
        Args:
            pred (Tensor): ``(..., 2, ...)`` with the components along
                ``dim``, e.g. ``(N, 2)`` or ``(N, 2, H, W)``; any length.
            target (Tensor): same shape, e.g. ``SinCosAngleCoder.encode``
                (moved to ``dim``).
            weight (Tensor, optional): the loss's shape (``pred``'s without
                ``dim``), or ``pred``'s shape (the two components' weights
                are averaged), broadcast.
            avg_factor (float, optional): divisor of the summed loss for
                ``reduction='mean'``.
            reduction_override (str, optional): replaces ``reduction``.

        Returns:
            Tensor: a scalar, or ``pred``'s shape without ``dim`` with
            reduction 'none'.
        """
        reduction = self._reduction(reduction_override)
        empty = self._empty(pred, reduction)
        if empty is not None:
            return empty
        if weight is not None and weight.dim() == pred.dim():
            weight = weight.mean(self.dim)
        return self.loss_weight * self._elementwise(pred, target, weight,
                                                    reduction, avg_factor)

    def extra_repr(self) -> str:
        return f'dim={self.dim}, eps={self.eps}, ' + super().extra_repr()


@MODELS.register_module()
class AngularDistanceLoss(_VectorLoss):
    """``theta ** (1 + delta)`` with ``theta`` in ``[0, pi]`` (radians) the
    angle between predicted and target ``(cos, sin)`` vectors.

    Vectorised over any shape (rows ``(N, 2)`` or orientation maps
    ``(N, 2, H, W)``); the vectors need not be unit length. ``theta`` comes
    from ``atan2`` of the cross and dot products, not from a clipped
    ``arccos``: every error up to 180 degrees counts, and value and
    gradient are finite at ``theta = 0`` and ``theta = pi``. Zero-length
    vectors: see :func:`angle_between`.

    Args:
        delta (float): >= 0; 0 gives the plain angle, larger values weigh
            large errors more (a negative one would make the gradient
            infinite at 0). Default 0.2.
        dim (int): axis of the two components. Default 1.
        eps (float): length below which a vector counts as zero.
        reduction (str): 'none', 'mean' or 'sum'. Default 'mean'.
        loss_weight (float): Default 1.
    """

    def __init__(self,
                 delta: float = 0.2,
                 dim: int = 1,
                 eps: float = 1e-6,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__(dim, eps, reduction, loss_weight)
        if not isinstance(delta, Number) or not 0 <= delta < math.inf:
            raise ValueError(f'delta must be a finite number >= 0, got '
                             f'{delta!r}')
        self.delta = float(delta)

    def _elementwise(self, pred, target, weight, reduction, avg_factor):
        return angular_distance_loss(
            pred, target, weight, reduction=reduction, avg_factor=avg_factor,
            delta=self.delta, dim=self.dim, eps=self.eps)

    def extra_repr(self) -> str:
        return f'delta={self.delta}, ' + super().extra_repr()


@MODELS.register_module()
class VonMisesNLLLoss(_VectorLoss):
    """Von Mises negative log-likelihood with a predicted concentration.

    The prediction is one vector per angle, ``eta = kappa (cos mu, sin mu)``
    (:func:`von_mises_nll_loss`): decode ``mu`` with
    :meth:`rotaug.SinCosAngleCoder.decode` and read ``kappa = |eta|`` as the
    confidence (1 / kappa ~ the variance in radians squared when large).
    The loss is in nats, ``log 2 pi`` for ``eta = 0``, and below 0 for
    confident right answers.

    Args:
        dim (int): axis of the two components. Default 1.
        eps (float): length below which a target counts as zero.
        reduction (str): 'none', 'mean' or 'sum'. Default 'mean'.
        loss_weight (float): Default 1.
    """

    def __init__(self,
                 dim: int = 1,
                 eps: float = 1e-6,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__(dim, eps, reduction, loss_weight)

    def _elementwise(self, pred, target, weight, reduction, avg_factor):
        return von_mises_nll_loss(
            pred, target, weight, reduction=reduction, avg_factor=avg_factor,
            dim=self.dim, eps=self.eps)
