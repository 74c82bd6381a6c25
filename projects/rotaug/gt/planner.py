"""Plan what a homography does to the ground truths of one image, then
apply the plan: write the boxes back and filter every per-instance field
through one index. Pixels are not touched here."""
from dataclasses import dataclass
from typing import Dict, Optional

import numpy as np
from mmdet.structures.mask import PolygonMasks

from ..geometry import (WarpedBoxes, clip_hboxes, round_to_storage,
                        warp_boxes)
from ..options import RotationOptions
from ..policy import DropStats
from .box_io import box_type_of, boxes_as_numpy, boxes_like, storage_dtype
from .fields import (check_instance_lengths, image_size, index_field,
                     instance_fields)
from .masks import (PolygonPlan, plan_polygons, polygon_masks,
                    refit_hboxes_to_masks)


@dataclass
class GTPlan:
    """What a homography does to the ground truths of one image (numpy
    arrays per image, tensors in the batch path).

    Attributes:
        matrix: (3, 3) homography, continuous pixel coordinates.
        width, height: the output canvas.
        box_type: the type of the input boxes (None: no boxes).
        boxes: the mapped boxes, one row per input box (in
            ``out_box_type`` when that is set).
        keep, ignore: the policy's decision per input box.
        drops: drop counts by reason.
        polys: the mapped polygon masks, when the image has them.
    """
    matrix: np.ndarray
    width: int
    height: int
    box_type: Optional[str] = None
    boxes: Optional[np.ndarray] = None
    keep: Optional[np.ndarray] = None
    ignore: Optional[np.ndarray] = None
    drops: Optional[Dict[str, int]] = None
    polys: Optional[PolygonPlan] = None

    @property
    def num_input(self) -> int:
        return 0 if self.keep is None else len(self.keep)

    @property
    def num_kept(self) -> int:
        return 0 if self.keep is None else int(self.keep.sum())

    @property
    def num_ignored(self) -> int:
        """Kept boxes the policy flags ignore."""
        return 0 if self.keep is None else int(
            (self.keep & self.ignore).sum())

    def record(self, stats: DropStats) -> None:
        """Count the plan's decisions in ``stats``."""
        stats.update(self.num_input, self.num_kept, self.num_ignored,
                     self.drops)


def clamp_hboxes(warped: WarpedBoxes, width, height) -> None:
    """``clip_border='clamp'``: the horizontal boxes clamped to the canvas
    (mmdet's ``HorizontalBoxes.clip_``), their centres judged again, in
    place."""
    b = clip_hboxes(warped.boxes, width, height)
    cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    warped.boxes = b
    warped.centre_inside = ((cx >= 0) & (cy >= 0) & (cx <= width)
                            & (cy <= height))
    warped._sides = None


class GTPlanner:
    """Maps the ground truths of a results dict through a homography with
    the geometry core, decides with the options' policy, and writes them
    back. Counts what it keeps, ignores and drops in ``stats``."""

    def __init__(self, options: RotationOptions, stats: DropStats) -> None:
        self.options = options
        self.stats = stats

    def identity_plan(self, results: dict) -> GTPlan:
        """The plan without a turn: the ground truths judged on the
        image's own canvas (what :class:`SanitizeGT` and an unrotated draw
        apply)."""
        h, w = image_size(results)
        return self.plan(results, np.eye(3), w, h)

    def plan(self, results: dict, matrix: np.ndarray, width: int,
             height: int, src_size: Optional[tuple] = None) -> GTPlan:
        """The mapped boxes and the keep/ignore decisions (no pixel work,
        no change to ``results``). ``src_size`` (w, h): the source image,
        to which objects are cut before mapping (see
        :func:`rotaug.geometry.warp_boxes`)."""
        opts = self.options
        plan = GTPlan(matrix=matrix, width=width, height=height)
        gt = results.get('gt_bboxes', None)
        if gt is None:
            return plan
        plan.box_type = box_type_of(gt)
        boxes = boxes_as_numpy(gt)
        check_instance_lengths(results, len(boxes), opts.instance_keys)
        src_w, src_h = (None, None) if src_size is None else src_size
        warped = warp_boxes(boxes, plan.box_type, matrix, width, height,
                            clip=opts.clip, hbox_mode=opts.hbox_mode,
                            angle_version=opts.angle_version,
                            out_type=opts.out_box_type, src_width=src_w,
                            src_height=src_h)
        # polygons are clipped unless clip_border is False
        masks = results.get('gt_masks', None)
        if isinstance(masks, PolygonMasks):
            plan.polys = plan_polygons(masks, matrix, width, height,
                                       bool(opts.clip_border), src_size)
        out_type = opts.out_box_type or plan.box_type
        if out_type == 'hbox' and opts.hbox_from_masks:
            refit_hboxes_to_masks(warped, masks, matrix, width, height,
                                  bool(opts.clip_border), src_size,
                                  plan.polys)
        if out_type == 'hbox' and opts.clamp:
            clamp_hboxes(warped, width, height)
        round_to_storage(warped, out_type, storage_dtype(gt))
        decision = opts.policy.decide(warped)
        plan.keep, plan.ignore = decision.keep, decision.ignore
        plan.drops = decision.counts()
        plan.boxes = warped.boxes
        return plan

    def apply(self, results: dict, plan: GTPlan) -> None:
        """Write the planned boxes back and filter every per-instance field
        through one index."""
        gt = results.get('gt_bboxes', None)
        if gt is None or plan.keep is None:
            return
        n = plan.num_input
        keep_idx = np.flatnonzero(plan.keep)
        # plain arrays stay plain (4 wide after out_box_type)
        results['gt_bboxes'] = boxes_like(gt, plan.boxes[keep_idx],
                                          self.options.out_box_type)
        flags = results.get('gt_ignore_flags', None)
        if flags is None:
            flags = np.zeros(n, dtype=bool)
        flags = np.asarray(flags).astype(bool) | plan.ignore
        results['gt_ignore_flags'] = flags[keep_idx]
        masks = results.get('gt_masks', None)
        if masks is not None:
            if isinstance(masks, PolygonMasks) and plan.polys is not None:
                results['gt_masks'] = polygon_masks(
                    plan.polys, len(masks), keep_idx, plan.height,
                    plan.width, self.stats)
            else:
                results['gt_masks'] = masks[keep_idx]
        for key in instance_fields(results, n, self.options.instance_keys):
            results[key] = index_field(results[key], keep_idx)
        plan.record(self.stats)
