"""Model-side pieces of rotaug: batch augments for the data preprocessor, an
overlap calculator for assigners, test-time augmentation."""
from .batch_rotate import BatchRandomRotate
from .overlaps import HBoxOverlaps2D
from .tta import RotatedTTAModel

__all__ = ['BatchRandomRotate', 'HBoxOverlaps2D', 'RotatedTTAModel']
