"""Registries of scope ``rotaug``, children of MMRotate's.

Any config may use ``type='rotaug.Name'`` once ``rotaug`` has been imported
(``custom_imports=dict(imports=['rotaug'])``), or set
``default_scope='rotaug'``: names missing here are then looked up in
MMRotate's registries, and through them in MMEngine's root (``mmdet.X``
prefixes keep working).
"""
from mmengine.registry import Registry
from mmrotate.registry import DATASETS as MMROTATE_DATASETS
from mmrotate.registry import HOOKS as MMROTATE_HOOKS
from mmrotate.registry import METRICS as MMROTATE_METRICS
from mmrotate.registry import MODELS as MMROTATE_MODELS
from mmrotate.registry import TASK_UTILS as MMROTATE_TASK_UTILS
from mmrotate.registry import TRANSFORMS as MMROTATE_TRANSFORMS
from mmrotate.registry import VISUALIZERS as MMROTATE_VISUALIZERS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS

SCOPE = 'rotaug'

TRANSFORMS = Registry(
    'transform', parent=MMROTATE_TRANSFORMS, scope=SCOPE,
    locations=['rotaug.transforms'])
MODELS = Registry(
    'model', parent=MMROTATE_MODELS, scope=SCOPE, locations=['rotaug.models'])
DATASETS = Registry(
    'dataset', parent=MMROTATE_DATASETS, scope=SCOPE,
    locations=['rotaug.datasets'])
METRICS = Registry(
    'metric', parent=MMROTATE_METRICS, scope=SCOPE,
    locations=['rotaug.evaluation'])
HOOKS = Registry(
    'hook', parent=MMROTATE_HOOKS, scope=SCOPE, locations=['rotaug.engine'])
TASK_UTILS = Registry(
    'task util', parent=MMROTATE_TASK_UTILS, scope=SCOPE,
    locations=['rotaug.models'])
VISUALIZERS = Registry(
    'visualizer', parent=MMROTATE_VISUALIZERS, scope=SCOPE,
    locations=['rotaug.visualization'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS, scope=SCOPE,
    locations=['rotaug.engine'])



def _expose_to_root(*registries: Registry) -> None:
    """Make ``rotaug.X`` resolvable from any scope.

    MMEngine resolves a prefixed type (``type='rotaug.X'`` in an ``mmdet``
    scope config) only through the root registry's *direct* children, while
    rotaug's registries are children of MMRotate's (so that unprefixed
    MMRotate names work under ``default_scope='rotaug'``). Listing them also
    under the root (without changing their parent) makes both work.
    """
    for reg in registries:
        root = reg._get_root_registry()
        root._children.setdefault(reg.scope, reg)


_expose_to_root(TRANSFORMS, MODELS, DATASETS, METRICS, HOOKS, TASK_UTILS,
                VISUALIZERS, OPTIM_WRAPPERS)

__all__ = [
    'SCOPE', 'TRANSFORMS', 'MODELS', 'DATASETS', 'METRICS', 'HOOKS',
    'TASK_UTILS', 'VISUALIZERS', 'OPTIM_WRAPPERS'
]
