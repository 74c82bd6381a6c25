"""Let ``torch.load(weights_only=True)`` (the default since torch 2.6) read
MMEngine 0.10.7 checkpoints, so that ``--resume`` and ``load_from`` work,
without turning ``weights_only`` off.

MMEngine saves its ``MessageHub`` state: ``HistoryBuffer`` objects holding
numpy arrays and scalars, whose pickled state names their statistics
methods through ``getattr(HistoryBuffer, 'mean')``. Only exactly these
globals are allowed: the ``HistoryBuffer`` class, numpy's array/scalar
reconstructors and dtypes, and a restricted ``getattr`` that resolves
nothing but ``HistoryBuffer``'s registered statistics methods. Any other
global in a checkpoint is still refused by torch.
"""
import pickle
from typing import Any

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer


#: HistoryBuffer's built-in statistics. ``_statistics_methods`` only holds
#: them once some buffer has been built in the process (a fresh process
#: resuming a run has built none), so they are named here.
_DEFAULT_STATISTICS = ('mean', 'max', 'min', 'current')


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """``getattr`` limited to HistoryBuffer's statistics methods."""
    if obj is HistoryBuffer and isinstance(name, str) and (
            name in _DEFAULT_STATISTICS
            or name in HistoryBuffer._statistics_methods):
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'rotaug refuses getattr({obj!r}, {name!r}) in a checkpoint: only '
        'HistoryBuffer statistics methods are allowed')


def mmengine_safe_globals() -> list:
    """The exact list registered by :func:`allow_mmengine_checkpoints`."""
    multiarray = getattr(np, '_core', None) or np.core
    items = [
        HistoryBuffer,
        multiarray.multiarray.scalar,
        multiarray.multiarray._reconstruct,
        np.ndarray,
        np.dtype,
        (_history_buffer_getattr, 'builtins.getattr'),
    ]
    # numpy 2 dtype classes (np.dtypes.Float64DType, ...)
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        items += [
            getattr(dtypes, n) for n in dir(dtypes) if n.endswith('DType')
            and isinstance(getattr(dtypes, n), type)
        ]
    return items


_DONE = False


def allow_mmengine_checkpoints() -> None:
    """Register :func:`mmengine_safe_globals` with torch (idempotent).
    Called when ``rotaug`` is imported."""
    global _DONE
    if _DONE or not hasattr(torch.serialization, 'add_safe_globals'):
        return
    torch.serialization.add_safe_globals(mmengine_safe_globals())
    _DONE = True
