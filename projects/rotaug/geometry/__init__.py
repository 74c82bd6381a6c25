"""rotaug's geometry core: pure kernels on numpy arrays and torch tensors.

- :mod:`.matrix`: rotation matrices, canvases, the OpenCV convention
- :mod:`.boxes`: box layouts (one table), conversions, angle regularisation
- :mod:`.polygon`, :mod:`.convex`: padded polygon batches: areas, clipping,
  convex intersections, ordered convex polygons
- :mod:`.fit`: boxes refitted around visible polygons, the ellipse rule
- :mod:`.warp`: :func:`warp_boxes`, the one place where boxes move
- :mod:`.iou`: exact IoU of boxes (:func:`box_ious`), sparse candidate
  pairs (:func:`box_iou_pairs`), greedy grouping and exact NMS
  on them (:func:`greedy_groups`, :func:`exact_nms`)
- :mod:`.image`: pixels (OpenCV per image, ``grid_sample`` per batch)
- :mod:`.backend`: the array namespace that lets every kernel run on both
"""
from .boxes import (ANGLE_VERSIONS, BOX_DIMS, BOX_TYPES, align_qboxes,
                    align_rboxes, apply_matrix, box_sides, box_type_info, boxes_to_poly, hbox_to_poly,
                    matrix_angles, qbox_to_poly, rbox_to_poly,
                    regularize_rboxes)
from .fit import ellipse_hbox, fit_hbox, fit_qbox, fit_rbox, quad_axes
from .iou import (box_iou_pairs, box_ious, candidate_pairs, exact_nms,
                  greedy_groups)
from .matrix import (canvas_after_rotation, image_rotation, rotation_matrices,
                     rotation_matrix, to_cv2_affine)
from .polygon import clip_polygons_to_rect, masked_extent, polygon_areas
from .warp import (HBOX_MODES, WarpedBoxes, clip_hboxes, map_boxes,
                   map_rboxes, round_to_storage, visible_polygons,
                   warp_boxes)

__all__ = [
    'ANGLE_VERSIONS', 'BOX_DIMS', 'BOX_TYPES', 'HBOX_MODES', 'WarpedBoxes',
    'align_qboxes', 'align_rboxes', 'apply_matrix', 'box_sides',
    'box_iou_pairs', 'box_ious', 'box_type_info', 'boxes_to_poly',
    'candidate_pairs', 'canvas_after_rotation', 'clip_hboxes', 'exact_nms',
    'greedy_groups',
    'clip_polygons_to_rect', 'ellipse_hbox', 'fit_hbox', 'fit_qbox',
    'fit_rbox', 'hbox_to_poly', 'image_rotation', 'map_boxes', 'map_rboxes',
    'masked_extent', 'matrix_angles', 'polygon_areas', 'qbox_to_poly',
    'quad_axes', 'rbox_to_poly', 'regularize_rboxes', 'rotation_matrices',
    'rotation_matrix', 'round_to_storage', 'to_cv2_affine',
    'visible_polygons', 'warp_boxes'
]
