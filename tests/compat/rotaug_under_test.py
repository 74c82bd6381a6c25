"""What the copy of MMRotate's transform tests (mmrotate_test_transforms.py)
imports in place of MMRotate's Rotate, RandomRotate and RandomChoiceRotate:
rotaug's, built with the keyword arguments of the setting chosen by
:func:`use` before the copy is loaded (test_mmrotate_compat.py loads one
copy per setting). Loaded on its own, the copy runs rotaug with
``compat='mmrotate'``."""
import functools
import inspect

from rotaug.transforms import RandomChoiceRotate as _RandomChoiceRotate
from rotaug.transforms import RandomRotate as _RandomRotate
from rotaug.transforms import Rotate as _Rotate

CLASSES = (_Rotate, _RandomRotate, _RandomChoiceRotate)


def _accepts(cls, name: str) -> bool:
    params = inspect.signature(cls.__init__).parameters
    return name in params or any(p.kind is p.VAR_KEYWORD
                                 for p in params.values())


def use(**kwargs) -> None:
    """Bind Rotate, RandomRotate and RandomChoiceRotate here to rotaug's
    classes with ``kwargs`` (each class gets those it takes; none: rotaug's
    defaults)."""
    for cls in CLASSES:
        own = {k: v for k, v in kwargs.items() if _accepts(cls, k)}
        globals()[cls.__name__] = (functools.partial(cls, **own)
                                   if own else cls)


use(compat='mmrotate')
