"""A tiny array namespace so that every geometry kernel runs unchanged on
``numpy.ndarray`` (the per-image transforms) and ``torch.Tensor`` (the batch
path on any device). Only the handful of operations the kernels need."""
from typing import Any, Sequence, Union

import numpy as np
import torch

Array = Union[np.ndarray, torch.Tensor]


class _NumpyNS:
    name = 'numpy'

    @staticmethod
    def asarray(x: Any, like: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=like.dtype)

    stack = staticmethod(lambda xs, axis=0: np.stack(xs, axis=axis))
    cat = staticmethod(lambda xs, axis=0: np.concatenate(xs, axis=axis))
    where = staticmethod(np.where)
    cos = staticmethod(np.cos)
    sin = staticmethod(np.sin)
    sqrt = staticmethod(np.sqrt)
    abs = staticmethod(np.abs)
    atan2 = staticmethod(np.arctan2)
    isfinite = staticmethod(np.isfinite)
    minimum = staticmethod(np.minimum)
    maximum = staticmethod(np.maximum)
    amin = staticmethod(lambda x, axis: np.min(x, axis=axis))
    amax = staticmethod(lambda x, axis: np.max(x, axis=axis))
    all = staticmethod(lambda x, axis: np.all(x, axis=axis))
    any = staticmethod(lambda x, axis: np.any(x, axis=axis))
    sum = staticmethod(lambda x, axis: np.sum(x, axis=axis))
    clip = staticmethod(np.clip)
    zeros_like = staticmethod(np.zeros_like)
    ones_like = staticmethod(np.ones_like)

    @staticmethod
    def arange(n: int, like: np.ndarray) -> np.ndarray:
        return np.arange(n)

    @staticmethod
    def full(shape: Sequence[int], value, like: np.ndarray, dtype=None):
        return np.full(shape, value, dtype=like.dtype if dtype is None
                       else dtype)

    @staticmethod
    def take_along(x: np.ndarray, idx: np.ndarray, axis: int) -> np.ndarray:
        return np.take_along_axis(x, idx, axis=axis)

    @staticmethod
    def stable_argsort(x: np.ndarray, axis: int) -> np.ndarray:
        return np.argsort(x, axis=axis, kind='stable')

    @staticmethod
    def to_int(x: np.ndarray) -> np.ndarray:
        return x.astype(np.int64)

    @staticmethod
    def item(x) -> float:
        return float(x)


class _TorchNS:
    name = 'torch'

    @staticmethod
    def asarray(x: Any, like: torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(x, dtype=like.dtype, device=like.device)

    stack = staticmethod(lambda xs, axis=0: torch.stack(xs, dim=axis))
    cat = staticmethod(lambda xs, axis=0: torch.cat(xs, dim=axis))
    where = staticmethod(torch.where)
    cos = staticmethod(torch.cos)
    sin = staticmethod(torch.sin)
    sqrt = staticmethod(torch.sqrt)
    abs = staticmethod(torch.abs)
    atan2 = staticmethod(torch.atan2)
    isfinite = staticmethod(torch.isfinite)
    minimum = staticmethod(torch.minimum)
    maximum = staticmethod(torch.maximum)
    amin = staticmethod(lambda x, axis: torch.amin(x, dim=axis))
    amax = staticmethod(lambda x, axis: torch.amax(x, dim=axis))
    all = staticmethod(lambda x, axis: torch.all(x, dim=axis))
    any = staticmethod(lambda x, axis: torch.any(x, dim=axis))
    sum = staticmethod(lambda x, axis: torch.sum(x, dim=axis))
    zeros_like = staticmethod(torch.zeros_like)
    ones_like = staticmethod(torch.ones_like)

    @staticmethod
    def clip(x, lo, hi):
        return torch.clamp(x, lo, hi)

    @staticmethod
    def arange(n: int, like: torch.Tensor) -> torch.Tensor:
        return torch.arange(n, device=like.device)

    @staticmethod
    def full(shape, value, like: torch.Tensor, dtype=None):
        return torch.full(tuple(shape), value, device=like.device,
                          dtype=like.dtype if dtype is None else dtype)

    @staticmethod
    def take_along(x: torch.Tensor, idx: torch.Tensor,
                   axis: int) -> torch.Tensor:
        return torch.take_along_dim(x, idx, dim=axis)

    @staticmethod
    def stable_argsort(x: torch.Tensor, axis: int) -> torch.Tensor:
        return torch.sort(x.to(torch.uint8), dim=axis, stable=True)[1]

    @staticmethod
    def to_int(x: torch.Tensor) -> torch.Tensor:
        return x.long()

    @staticmethod
    def item(x) -> float:
        return float(x)


NUMPY = _NumpyNS()
TORCH = _TorchNS()


def namespace(x: Array):
    """The array namespace of ``x`` (numpy or torch)."""
    if isinstance(x, torch.Tensor):
        return TORCH
    if isinstance(x, np.ndarray):
        return NUMPY
    raise TypeError(f'expected a numpy array or a torch tensor, got {type(x)}')
