"""rotaug: exact rotation augmentation and robust ground truths for rotated
object detection, as an MMDetection 3.x / MMRotate 1.x plugin.

``import rotaug`` registers every rotaug module into the ``rotaug`` scope
(see :mod:`rotaug.registry`) and also imports MMRotate's modules so that a
config using ``default_scope='rotaug'`` finds them.
"""
try:
    import mmrotate  # noqa: F401
except ImportError as err:  # not in install_requires: see setup.py
    raise ImportError(
        'rotaug needs MMRotate 1.x, which is not installed: install it with '
        '"pip install mmrotate-dev==1.0.1" (MMRotate\'s dev-1.x code from '
        'PyPI) or from source (git clone -b dev-1.x '
        'https://github.com/open-mmlab/mmrotate && pip install -e mmrotate),'
        ' or install rotaug with "pip install -e .[mmrotate]"') from err
import mmrotate.datasets  # noqa: F401,E402  (register MMRotate modules)
import mmrotate.evaluation  # noqa: F401,E402
import mmrotate.models  # noqa: F401,E402
import mmrotate.visualization  # noqa: F401,E402

from . import (datasets, engine, evaluation, geometry, models,  # noqa
               transforms, visualization)
from .registry import (DATASETS, HOOKS, METRICS, MODELS, TASK_UTILS,
                       TRANSFORMS, VISUALIZERS)
from .version import __version__

__all__ = [
    '__version__', 'TRANSFORMS', 'MODELS', 'DATASETS', 'METRICS', 'HOOKS',
    'TASK_UTILS', 'VISUALIZERS'
]
