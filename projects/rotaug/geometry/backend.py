"""A tiny array namespace so that every geometry kernel runs unchanged on
``numpy.ndarray`` (the per-image transforms) and ``torch.Tensor`` (the batch
path on any device). Only the handful of operations the kernels need."""
from typing import Any, Sequence, Union

import numpy as np
import torch

Array = Union[np.ndarray, torch.Tensor]


_EPS: dict = {}


class _NumpyNS:
    name = 'numpy'

    @staticmethod
    def asarray(x: Any, like: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=like.dtype)

    @staticmethod
    def stack(xs: Sequence[np.ndarray], axis: int = 0) -> np.ndarray:
        """``np.stack`` without its Python checks (half its cost on the
        small arrays of the box path): a new axis on each, one concat."""
        if axis < 0:
            axis += xs[0].ndim + 1
        new = (slice(None), ) * axis + (None, )
        return np.concatenate([x[new] for x in xs], axis)

    cat = staticmethod(np.concatenate)
    where = staticmethod(np.where)
    cos = staticmethod(np.cos)
    sin = staticmethod(np.sin)
    sqrt = staticmethod(np.sqrt)
    abs = staticmethod(np.abs)
    atan2 = staticmethod(np.arctan2)
    isfinite = staticmethod(np.isfinite)
    minimum = staticmethod(np.minimum)
    maximum = staticmethod(np.maximum)
    # the ufuncs' own reductions: the same results as np.min & co. without
    # their Python wrappers (a few microseconds a call on small arrays)
    amin = staticmethod(lambda x, axis: np.minimum.reduce(x, axis))
    amax = staticmethod(lambda x, axis: np.maximum.reduce(x, axis))
    all = staticmethod(lambda x, axis: np.logical_and.reduce(x, axis))
    any = staticmethod(lambda x, axis: np.logical_or.reduce(x, axis))
    sum = staticmethod(lambda x, axis: np.add.reduce(x, axis))
    clip = staticmethod(np.clip)
    zeros_like = staticmethod(np.zeros_like)
    ones_like = staticmethod(np.ones_like)
    permute = staticmethod(lambda x, axes: x.transpose(axes))
    contiguous = staticmethod(np.ascontiguousarray)

    @staticmethod
    def masked_amax(x: np.ndarray, mask: np.ndarray, axis: int,
                    initial: float) -> np.ndarray:
        """``max(initial, max of x where mask)`` along ``axis``."""
        return np.maximum.reduce(np.where(mask, x, initial), axis,
                                  initial=initial)

    @staticmethod
    def masked_amin(x: np.ndarray, mask: np.ndarray, axis: int,
                    initial: float) -> np.ndarray:
        return np.minimum.reduce(np.where(mask, x, initial), axis,
                                  initial=initial)

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

    argsort = staticmethod(lambda x, axis: np.argsort(x, axis=axis))
    argmin = staticmethod(lambda x, axis: np.argmin(x, axis=axis))

    @staticmethod
    def eps(like: np.ndarray) -> float:
        dt = like.dtype
        if dt not in _EPS:  # np.finfo costs microseconds a call
            _EPS[dt] = float(np.finfo(dt).eps)
        return _EPS[dt]

    @staticmethod
    def to_int(x: np.ndarray) -> np.ndarray:
        return x.astype(np.int64)

    @staticmethod
    def item(x) -> float:
        return float(x)

    # ---- what differs between the two beyond the names ------------------
    @staticmethod
    def nonzero(mask: np.ndarray) -> np.ndarray:
        """Indices (1-D) of the set entries of a 1-D mask."""
        return mask.nonzero()[0]

    @staticmethod
    def scatter(dst: np.ndarray, idx: np.ndarray, values) -> np.ndarray:
        """A copy of ``dst`` with the rows ``idx`` set to ``values``."""
        out = dst.copy()
        out[idx] = values
        return out

    @staticmethod
    def cast_like(x: np.ndarray, like: np.ndarray) -> np.ndarray:
        """``x`` in the dtype (and device) of ``like``: nothing to do for
        numpy, whose operations promote."""
        return x

    @staticmethod
    def from_numpy(x: np.ndarray, like: np.ndarray) -> np.ndarray:
        return x

    @staticmethod
    def maybe_any(mask: np.ndarray) -> bool:
        """Whether any entry is set (work guarded by it is skipped when
        not): a cheap check on numpy."""
        return bool(mask.any())

    @staticmethod
    def trim_padding(pts: np.ndarray, counts: np.ndarray,
                     least: int) -> np.ndarray:
        """Padded polygons without the padding no row uses (at least
        ``least`` slots): narrower arrays, fewer reduction passes."""
        return pts[:, :max(int(counts.max()), least)]

    # ---- for the candidate pairs of rotaug.geometry.iou ------------------
    floor = staticmethod(np.floor)
    repeat = staticmethod(lambda x, counts: np.repeat(x, counts))
    cumsum = staticmethod(lambda x, axis: np.cumsum(x, axis=axis))
    searchsorted = staticmethod(lambda a, v: np.searchsorted(a, v))
    median = staticmethod(np.median)

    @staticmethod
    def sort_index(x: np.ndarray) -> np.ndarray:
        """Stable argsort of a 1-D array of any dtype."""
        return np.argsort(x, kind='stable')


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

    @staticmethod
    def minimum(a: torch.Tensor, b) -> torch.Tensor:
        if isinstance(b, torch.Tensor):
            return torch.minimum(a, b)
        return torch.clamp(a, max=b)

    @staticmethod
    def maximum(a: torch.Tensor, b) -> torch.Tensor:
        if isinstance(b, torch.Tensor):
            return torch.maximum(a, b)
        return torch.clamp(a, min=b)
    amin = staticmethod(lambda x, axis: torch.amin(x, dim=axis))
    amax = staticmethod(lambda x, axis: torch.amax(x, dim=axis))
    all = staticmethod(lambda x, axis: torch.all(x, dim=axis))
    any = staticmethod(lambda x, axis: torch.any(x, dim=axis))
    sum = staticmethod(lambda x, axis: torch.sum(x, dim=axis))
    zeros_like = staticmethod(torch.zeros_like)
    ones_like = staticmethod(torch.ones_like)
    permute = staticmethod(lambda x, axes: x.permute(*axes))
    contiguous = staticmethod(lambda x: x.contiguous())

    @staticmethod
    def masked_amax(x: torch.Tensor, mask: torch.Tensor, axis: int,
                    initial: float) -> torch.Tensor:
        return torch.amax(torch.where(mask, x, initial),
                          dim=axis).clamp(min=initial)

    @staticmethod
    def masked_amin(x: torch.Tensor, mask: torch.Tensor, axis: int,
                    initial: float) -> torch.Tensor:
        return torch.amin(torch.where(mask, x, initial),
                          dim=axis).clamp(max=initial)

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

    argsort = staticmethod(lambda x, axis: torch.argsort(x, dim=axis))
    argmin = staticmethod(lambda x, axis: torch.argmin(x, dim=axis))

    @staticmethod
    def eps(like: torch.Tensor) -> float:
        return float(torch.finfo(like.dtype).eps)

    @staticmethod
    def to_int(x: torch.Tensor) -> torch.Tensor:
        return x.long()

    @staticmethod
    def item(x) -> float:
        return float(x)

    # ---- what differs between the two beyond the names ------------------
    @staticmethod
    def nonzero(mask: torch.Tensor) -> torch.Tensor:
        return mask.nonzero(as_tuple=True)[0]

    @staticmethod
    def scatter(dst: torch.Tensor, idx: torch.Tensor,
                values: torch.Tensor) -> torch.Tensor:
        out = dst.clone()
        out[idx] = values.to(out.dtype)
        return out

    @staticmethod
    def cast_like(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        return x.to(like.dtype)

    @staticmethod
    def from_numpy(x: np.ndarray, like: torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(x, device=like.device)

    @staticmethod
    def maybe_any(mask: torch.Tensor) -> bool:
        """Always True on torch: no host synchronisation (the work it
        guards must leave its input unchanged where nothing is set)."""
        return True

    @staticmethod
    def trim_padding(pts: torch.Tensor, counts: torch.Tensor,
                     least: int) -> torch.Tensor:
        """The padding stays on torch: trimming it needs a host
        synchronisation."""
        return pts

    # ---- for the candidate pairs of rotaug.geometry.iou ------------------
    floor = staticmethod(torch.floor)
    repeat = staticmethod(lambda x, counts: torch.repeat_interleave(x,
                                                                    counts))
    cumsum = staticmethod(lambda x, axis: torch.cumsum(x, dim=axis))
    searchsorted = staticmethod(lambda a, v: torch.searchsorted(a, v))
    median = staticmethod(lambda x: torch.quantile(x, 0.5))

    @staticmethod
    def sort_index(x: torch.Tensor) -> torch.Tensor:
        return torch.sort(x, stable=True)[1]


NUMPY = _NumpyNS()
TORCH = _TorchNS()


def namespace(x: Array):
    """The array namespace of ``x`` (numpy or torch)."""
    # numpy first: the per-image path calls this often, and an isinstance
    # check against torch.Tensor costs a few times more
    if isinstance(x, np.ndarray):
        return NUMPY
    if isinstance(x, torch.Tensor):
        return TORCH
    raise TypeError(f'expected a numpy array or a torch tensor, got {type(x)}')
