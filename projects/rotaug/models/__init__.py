"""Model-side pieces of rotaug: batch augments for the data preprocessor."""
from .batch_rotate import BatchRandomRotate, grid_for, rotation_matrices

__all__ = ['BatchRandomRotate', 'grid_for', 'rotation_matrices']
