"""Ground truths in and out of results dicts and data samples, shared by the
per-image transforms and the batch path: box-type I/O, per-instance fields,
masks, and the planner that maps them through a homography."""
from .box_io import (box_container, box_tensor, box_type_of, boxes_as_numpy,
                     boxes_like, storage_dtype)
from .fields import (check_instance_lengths, check_pixel_fields, image_size,
                     index_field, instance_fields)
from .masks import (PolygonPlan, bitmap_pieces, plan_polygons, polygon_masks,
                    refit_hboxes_to_masks, warp_bitmap_masks)
from .planner import GTPlan, GTPlanner

__all__ = [
    'GTPlan', 'GTPlanner', 'PolygonPlan', 'bitmap_pieces', 'box_container',
    'box_tensor', 'box_type_of', 'boxes_as_numpy', 'boxes_like',
    'check_instance_lengths', 'check_pixel_fields', 'image_size',
    'index_field', 'instance_fields', 'plan_polygons', 'polygon_masks',
    'refit_hboxes_to_masks', 'storage_dtype', 'warp_bitmap_masks'
]
