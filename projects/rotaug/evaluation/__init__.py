"""DOTA Task1 evaluation giving the official number."""
from .dota_metric import DOTAMetric
from .functional import (accumulate_map, average_precision, boxes_to_poly,
                         eval_dota_map, match_detections, match_images,
                         mean_ap, poly_iou_matrix, poly_iou_pairs,
                         polygons_to_geoms, rbox_to_poly)
from .patches import (PatchInfo, batched_nms, merge_detections,
                      merge_patch_gts, parse_patch_name, patch_to_full,
                      write_task1_files)

__all__ = [
    'DOTAMetric', 'PatchInfo', 'accumulate_map', 'average_precision',
    'batched_nms', 'boxes_to_poly', 'eval_dota_map', 'match_detections',
    'match_images', 'mean_ap',
    'merge_detections', 'merge_patch_gts', 'parse_patch_name', 'patch_to_full',
    'poly_iou_matrix', 'poly_iou_pairs', 'polygons_to_geoms', 'rbox_to_poly', 'write_task1_files'
]
