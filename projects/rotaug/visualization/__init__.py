"""Drawing helpers."""
from .draw import class_color, draw_boxes, draw_det_sample, mosaic

__all__ = ['class_color', 'draw_boxes', 'draw_det_sample', 'mosaic']
