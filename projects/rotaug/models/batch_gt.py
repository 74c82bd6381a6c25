"""The ground truths of a batch of data samples under one homography per
sample: planned together on the batch's device (one call of the geometry
core for every box of the batch, one policy decision), written back sample
by sample. The per-image machinery of :mod:`rotaug.gt` does the masks."""
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmdet.structures.mask import BitmapMasks, PolygonMasks
from mmengine.structures import InstanceData
from torch import Tensor

from ..geometry import (BOX_DIMS, round_to_storage, rotation_matrices,
                        warp_boxes)
from ..geometry.image import is_identity, warp_image
from ..gt import (GTPlan, box_tensor, box_type_of, boxes_like,
                  plan_polygons, polygon_masks, refit_hboxes_to_masks,
                  warp_bitmap_masks)
from ..options import RotationOptions
from ..policy import DropStats


def plan_batch(data_samples: Sequence, angles: Sequence[Optional[float]],
               options: RotationOptions, device) -> List[GTPlan]:
    """One :class:`~rotaug.gt.GTPlan` per sample: sample ``i`` turned by
    ``angles[i]`` degrees (None: not turned) about the centre of its
    ``img_shape``, canvas unchanged; its boxes and decisions as tensors on
    ``device``, its matrix as a numpy array."""
    sizes = [ds.img_shape[:2] for ds in data_samples]
    mats = rotation_matrices([0.0 if a is None else a for a in angles],
                             [w for _, w in sizes], [h for h, _ in sizes])
    plans = [GTPlan(matrix=m, width=int(w), height=int(h))
             for m, (h, w) in zip(mats, sizes)]
    counts = [len(ds.gt_instances) for ds in data_samples]
    if sum(counts) == 0:
        return plans
    with_boxes = [ds for ds, n in zip(data_samples, counts) if n]
    types = {_box_type(ds.gt_instances.bboxes) for ds in with_boxes}
    if len(types) != 1:
        raise TypeError(f'BatchRandomRotate: mixed box types in one batch: '
                        f'{sorted(types)}')
    box_type = types.pop()
    out_type = options.out_box_type or box_type
    boxes = torch.cat([box_tensor(ds.gt_instances.bboxes).to(
        device, torch.float64) for ds in with_boxes])
    owner = torch.repeat_interleave(torch.arange(len(counts)),
                                    torch.tensor(counts)).to(device)
    mats_t = torch.as_tensor(mats, device=device)
    sz = torch.tensor(sizes, dtype=torch.float64, device=device)[owner]
    warped = warp_boxes(boxes, box_type, mats_t[owner], sz[:, 1], sz[:, 0],
                        clip=options.clip_border, hbox_mode=options.hbox_mode,
                        angle_version=options.angle_version,
                        out_type=out_type, src_width=sz[:, 1],
                        src_height=sz[:, 0])
    polys = {}
    if out_type == 'hbox' and options.hbox_from_masks:
        polys = _refit_to_masks(warped, data_samples, counts, plans,
                                options.clip_border)
    store = {box_tensor(ds.gt_instances.bboxes).dtype for ds in with_boxes}
    round_to_storage(warped, out_type,
                     store.pop() if len(store) == 1 else torch.float32)
    decision = options.policy.decide(warped)
    starts = np.cumsum([0] + counts)
    for i, (plan, drops) in enumerate(zip(plans,
                                          decision.counts_per(counts))):
        sl = slice(starts[i], starts[i + 1])
        plan.box_type, plan.boxes, plan.drops = box_type, warped.boxes[sl], \
            drops
        plan.keep, plan.ignore = decision.keep[sl], decision.ignore[sl]
        plan.polys = polys.get(i)
    return plans


def _refit_to_masks(warped, data_samples, counts, plans, clip: bool) -> dict:
    """Horizontal boxes of objects with masks become the exact box of the
    turned, clipped mask, as per image (``hbox_from_masks``): the
    per-image machinery, sample by sample on the CPU (masks live there).
    Returns the mapped polygons of each sample with polygon masks, by
    sample index."""
    polys = {}
    start = 0
    for i, (ds, n, plan) in enumerate(zip(data_samples, counts, plans)):
        sl = slice(start, start + n)
        start += n
        masks = ds.gt_instances.get('masks', None)
        if not n or masks is None:
            continue
        size = (plan.width, plan.height)
        sub = warped.map(lambda t: t[sl].cpu().numpy().copy())
        if isinstance(masks, PolygonMasks):
            polys[i] = plan_polygons(masks, plan.matrix, *size, clip, size)
        refit_hboxes_to_masks(sub, masks, plan.matrix, *size, clip, size,
                              polys.get(i))
        for name in ('boxes', 'visible', 'centre_inside'):
            dst = getattr(warped, name)
            dst[sl] = torch.as_tensor(getattr(sub, name), device=dst.device)
    return polys


def merge_ignored(ds) -> Tensor:
    """Append ``ds.ignored_instances`` (what arrived flagged ignore, e.g.
    from ``gt_ignore_flags`` through ``PackDetInputs``) to
    ``ds.gt_instances``, so that they turn and are judged with the others;
    returns the mask of the instances that arrived ignored."""
    gt = ds.gt_instances
    ign = ds.get('ignored_instances', None)
    if ign is None or len(ign) == 0:
        return torch.zeros(len(gt), dtype=torch.bool)
    if len(gt) == 0:
        ds.gt_instances = ign
        return torch.ones(len(ign), dtype=torch.bool)
    if set(gt.keys()) != set(ign.keys()):
        raise ValueError(
            'BatchRandomRotate: gt_instances and ignored_instances must have '
            f'the same fields to turn together, got {sorted(gt.keys())} and '
            f'{sorted(ign.keys())}')
    ds.gt_instances = InstanceData.cat([gt, ign])
    return torch.cat([torch.zeros(len(gt), dtype=torch.bool),
                      torch.ones(len(ign), dtype=torch.bool)])


def apply_to_sample(ds, plan: GTPlan, arrived_ignored: Tensor,
                    options: RotationOptions, stats: DropStats) -> None:
    """Write ``plan`` into the data sample: its homography, semantic map,
    and the kept instances (the ignored ones, by the policy or on arrival,
    in ``ignored_instances``)."""
    m = plan.matrix
    prev = ds.metainfo.get('homography_matrix', None)
    ds.set_metainfo(dict(homography_matrix=(
        m.astype(np.float32) if prev is None else
        m.astype(np.float32) @ np.asarray(prev, np.float32))))
    if 'gt_sem_seg' in ds:
        _warp_sem_seg(ds, m, options.seg_ignore_label)
    if plan.keep is None:  # no instance in the whole batch
        if options.out_box_type is not None:
            _retype_empty(ds, options.out_box_type)
        return
    gt = ds.gt_instances
    ignore = plan.ignore | arrived_ignored.to(plan.ignore.device)
    keep_idx = plan.keep.nonzero(as_tuple=True)[0]
    kept_ignored = ignore[keep_idx].cpu()
    keep_idx = keep_idx.cpu()
    # the kept instances first: masks of dropped ones are not warped
    result = InstanceData(metainfo=gt.metainfo)
    for key, value in gt.items():
        if key not in ('bboxes', 'masks'):
            result[key] = value
    result = result[keep_idx]
    result.bboxes = boxes_like(gt.bboxes,
                               plan.boxes[keep_idx.to(plan.boxes.device)],
                               options.out_box_type)
    if 'masks' in gt:
        result.masks = _warp_masks(gt.masks, plan, ds, keep_idx.numpy(),
                                   options.clip_border, stats)
    # long CPU indices, as the fields may live on the GPU
    ign_idx = kept_ignored.nonzero(as_tuple=True)[0]
    ds.gt_instances = result[(~kept_ignored).nonzero(as_tuple=True)[0]]
    if len(ign_idx) or 'ignored_instances' in ds:
        ds.ignored_instances = result[ign_idx]


def _warp_masks(masks, plan: GTPlan, ds, idx: np.ndarray, clip: bool,
                stats: DropStats):
    """The masks of instances ``idx`` follow their boxes: bitmaps are
    warped (nearest), polygons are mapped and clipped exactly, by the
    per-image machinery. Masks padded to the batch keep their padding
    empty, as the image does."""
    h, w = ds.img_shape[:2]
    if isinstance(masks, BitmapMasks):
        out = warp_bitmap_masks(masks[idx], plan.matrix, masks.width,
                                masks.height, 0)
        out.masks[:, h:] = 0
        out.masks[:, :, w:] = 0
        return out
    if isinstance(masks, PolygonMasks):
        polys = plan.polys
        if polys is None:  # else mapped already by the box refit
            # cut to the source image first, as the boxes are
            polys = plan_polygons(masks, plan.matrix, w, h, clip, (w, h))
        return polygon_masks(polys, len(masks), idx, masks.height,
                             masks.width, stats)
    return masks[idx]


def _warp_sem_seg(ds, m: np.ndarray, ignore_label: int) -> None:
    """The semantic map turns with its image (nearest, by the per-image
    kernel); its padding beyond ``img_shape`` stays as it was."""
    if is_identity(m):
        return
    seg = ds.gt_sem_seg.sem_seg
    h, w = ds.img_shape[:2]
    arr = seg.detach().cpu().numpy()
    out = arr.copy()
    for c in range(arr.shape[0]):
        turned = warp_image(arr[c], m, arr.shape[2], arr.shape[1], 'nearest',
                            ignore_label)
        out[c, :h, :w] = turned[:h, :w]
    ds.gt_sem_seg.sem_seg = torch.from_numpy(out).to(seg.device)


def _retype_empty(ds, out_box_type: str) -> None:
    """Empty instances leave in ``out_box_type`` too (a batch without
    ground truths has nothing to warp)."""
    dim = BOX_DIMS[out_box_type]
    for name in ('gt_instances', 'ignored_instances'):
        inst = ds.get(name, None)
        if inst is None or 'bboxes' not in inst or \
                box_tensor(inst.bboxes).shape[-1] == dim:
            continue
        empty = box_tensor(inst.bboxes).new_zeros((0, dim))
        inst.bboxes = boxes_like(inst.bboxes, empty, out_box_type)


def _box_type(boxes) -> str:
    """The box type of a sample's boxes: a box container, or a plain
    tensor, as ``DetDataPreprocessor(boxtype2tensor=True)`` (mmdet's
    default) leaves them before the batch augments, read by its width."""
    try:
        return box_type_of(boxes)
    except TypeError as err:
        raise TypeError(f'BatchRandomRotate: gt_instances.bboxes: {err}'
                        ) from None
