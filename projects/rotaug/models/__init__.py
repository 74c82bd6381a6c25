"""Model-side pieces of rotaug: batch augments for the data preprocessor, an
overlap calculator for assigners."""
from .batch_rotate import BatchRandomRotate
from .overlaps import HBoxOverlaps2D

__all__ = ['BatchRandomRotate', 'HBoxOverlaps2D']
