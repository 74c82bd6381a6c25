"""rotaug's geometry core: pure kernels on numpy arrays and torch tensors."""
from .boxes import (ANGLE_VERSIONS, BOX_DIMS, apply_matrix, box_sides,
                    boxes_to_poly, ellipse_hbox, fit_hbox, fit_qbox, fit_rbox,
                    hbox_to_poly, matrix_angles, qbox_to_poly, quad_axes,
                    rbox_to_poly, regularize_rboxes)
from .matrix import (canvas_after_rotation, image_rotation, rotation_matrix,
                     to_cv2_affine)
from .ops import (HBOX_MODES, WarpedBoxes, clip_hboxes, round_to_storage,
                  visible_polygons, warp_boxes)
from .polygon import clip_polygons_to_rect, masked_extent, polygon_areas

__all__ = [
    'ANGLE_VERSIONS', 'BOX_DIMS', 'HBOX_MODES', 'WarpedBoxes',
    'apply_matrix', 'box_sides', 'boxes_to_poly', 'canvas_after_rotation',
    'clip_hboxes', 'clip_polygons_to_rect', 'ellipse_hbox', 'fit_hbox',
    'fit_qbox', 'fit_rbox', 'hbox_to_poly', 'image_rotation',
    'masked_extent', 'matrix_angles', 'polygon_areas', 'qbox_to_poly',
    'quad_axes', 'rbox_to_poly', 'regularize_rboxes', 'rotation_matrix',
    'round_to_storage',
    'to_cv2_affine', 'visible_polygons', 'warp_boxes'
]
