"""rotaug: exact rotation augmentation and robust ground truths for rotated
object detection, as an MMDetection 3.x / MMRotate 1.x plugin.

``import rotaug`` registers every rotaug module into the ``rotaug`` scope
(see :mod:`rotaug.registry`) and also imports MMRotate's modules so that a
config using ``default_scope='rotaug'`` finds them.
"""
import mmrotate.datasets  # noqa: F401  (register MMRotate modules)
import mmrotate.evaluation  # noqa: F401
import mmrotate.models  # noqa: F401
import mmrotate.visualization  # noqa: F401

from . import (datasets, engine, evaluation, geometry, models,  # noqa: F401
               transforms, visualization)
from .registry import (DATASETS, HOOKS, METRICS, MODELS, TASK_UTILS,
                       TRANSFORMS, VISUALIZERS)
from .version import __version__

__all__ = [
    '__version__', 'TRANSFORMS', 'MODELS', 'DATASETS', 'METRICS', 'HOOKS',
    'TASK_UTILS', 'VISUALIZERS'
]
