"""mmcv-style transforms of rotaug."""
from .random_rotate import RandomChoiceRotate, RandomRotate
from .rotate import Rotate
from .sanitize import SanitizeGT

__all__ = ['Rotate', 'RandomRotate', 'RandomChoiceRotate', 'SanitizeGT']
