"""mmcv-style transforms of rotaug."""
from .rotate import RandomChoiceRotate, RandomRotate, Rotate
from .sanitize import SanitizeGT

__all__ = ['Rotate', 'RandomRotate', 'RandomChoiceRotate', 'SanitizeGT']
