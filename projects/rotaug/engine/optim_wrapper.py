"""Optimizer wrappers that refuse to step on a non-finite loss or
gradient, and report the images of the batch."""
from typing import Dict, Optional

import torch
import torch.distributed as dist
from mmengine.logging import MessageHub, print_log
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from ..registry import OPTIM_WRAPPERS
from .hooks import BATCH_IDS_KEY, COUNT_KEY


class _GuardMixin:
    """Skip (or raise on) steps whose loss or gradients are not finite."""

    def _init_guard(self, action: str, max_consecutive: int) -> None:
        if action not in ('skip', 'raise'):
            raise ValueError(f"action must be 'skip' or 'raise', got "
                             f'{action!r}')
        if not isinstance(max_consecutive, int) or max_consecutive < 1:
            raise ValueError('max_consecutive must be an int >= 1')
        self.action = action
        self.max_consecutive = max_consecutive
        self.nonfinite_steps = 0
        self._consecutive = 0

    def _report(self, what: str) -> None:
        hub = MessageHub.get_current_instance()
        self.nonfinite_steps += 1
        self._consecutive += 1
        hub.update_info(COUNT_KEY, (hub.get_info(COUNT_KEY) or 0) + 1)
        hub.update_info('rotaug/nonfinite_reported_iter',
                        hub.get_info('iter'))
        ids = hub.get_info(BATCH_IDS_KEY)
        msg = (f'non-finite {what}; step skipped '
               f'({self.nonfinite_steps} so far); images: {ids}')
        if self.action == 'raise' or \
                self._consecutive >= self.max_consecutive:
            raise FloatingPointError(
                msg + f' ({self._consecutive} consecutive)')
        print_log(msg, logger='current', level=40)

    def _loss_finite(self, loss: torch.Tensor) -> bool:
        """Whether the loss is finite on every rank: in distributed
        training all ranks must skip together, or the ranks that step would
        wait forever in the gradient all-reduce for the ones that skip."""
        ok = torch.isfinite(loss.detach()).all()
        if dist.is_available() and dist.is_initialized() and \
                dist.get_world_size() > 1:
            flag = ok.to(torch.float32).reshape(1)
            dist.all_reduce(flag, op=dist.ReduceOp.MIN)
            return bool(flag[0] > 0)
        return bool(ok)

    def _skip_loss(self, loss: torch.Tensor, zero_kwargs) -> None:
        value = float(loss.detach().sum())
        where = f'loss ({value})' if not torch.isfinite(
            torch.tensor(value)) else 'loss on another rank'
        self._report(where)
        self.zero_grad(**(zero_kwargs or {}))

    def _grads_finite(self) -> bool:
        grads = [
            p.grad for g in self.optimizer.param_groups for p in g['params']
            if p.grad is not None
        ]
        if not grads:
            return True
        norms = torch.stack([g.detach().norm() for g in grads])
        return bool(torch.isfinite(norms).all())


@OPTIM_WRAPPERS.register_module()
class NonFiniteGuardOptimWrapper(_GuardMixin, OptimWrapper):
    """``OptimWrapper`` that never steps on a non-finite loss or gradient.

    A bad step is skipped (gradients zeroed), counted in
    ``nonfinite_steps`` and in the message hub (``train/nonfinite_losses``),
    and logged with the image ids published by
    :class:`rotaug.engine.NonFiniteLossHook`.

    Args:
        action (str): 'skip' (default) or 'raise'.
        max_consecutive (int): raise after this many bad steps in a row.
        **kwargs: arguments of ``OptimWrapper``.
    """

    def __init__(self, *args, action: str = 'skip',
                 max_consecutive: int = 50, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._init_guard(action, max_consecutive)

    def update_params(self, loss: torch.Tensor,
                      step_kwargs: Optional[Dict] = None,
                      zero_kwargs: Optional[Dict] = None) -> None:
        if not self._loss_finite(loss):
            self._skip_loss(loss, zero_kwargs)
            return
        loss = self.scale_loss(loss)
        self.backward(loss)
        if self.should_update():
            if not self._grads_finite():
                self._report('gradient')
                self.zero_grad(**(zero_kwargs or {}))
                return
            self._consecutive = 0
            self.step(**(step_kwargs or {}))
            self.zero_grad(**(zero_kwargs or {}))


@OPTIM_WRAPPERS.register_module()
class NonFiniteGuardAmpOptimWrapper(_GuardMixin, AmpOptimWrapper):
    """:class:`NonFiniteGuardOptimWrapper` for mixed precision: a
    non-finite *loss* is skipped and reported; non-finite gradients are left
    to the gradient scaler, which already skips those steps."""

    def __init__(self, *args, action: str = 'skip',
                 max_consecutive: int = 50, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._init_guard(action, max_consecutive)

    def update_params(self, loss: torch.Tensor,
                      step_kwargs: Optional[Dict] = None,
                      zero_kwargs: Optional[Dict] = None) -> None:
        if not self._loss_finite(loss):
            self._skip_loss(loss, zero_kwargs)
            return
        self._consecutive = 0
        super().update_params(loss, step_kwargs, zero_kwargs)
