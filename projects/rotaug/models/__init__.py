"""Model-side pieces of rotaug: batch augments for the data preprocessor,
overlap calculators for assigners, test-time augmentation, angle
losses and an angle coder."""
from .angle_coder import SinCosAngleCoder
from .angle_losses import (AngularDistanceLoss, PeriodicL1Loss,
                           PeriodicSmoothL1Loss, VonMisesNLLLoss)
from .batch_rotate import BatchRandomRotate
from .overlaps import HBoxOverlaps2D, RBboxOverlaps2D
from .tta import RotatedTTAModel

__all__ = ['BatchRandomRotate', 'HBoxOverlaps2D', 'RBboxOverlaps2D',
           'RotatedTTAModel',
           'SinCosAngleCoder', 'AngularDistanceLoss', 'PeriodicL1Loss',
           'PeriodicSmoothL1Loss', 'VonMisesNLLLoss']
