"""``rotaug.BatchRandomRotate``: random rotation of a whole padded batch on
its device, for ``DetDataPreprocessor(batch_augments=[...])``.

One ``affine_grid``/``grid_sample`` pass turns every image by its own angle
about its own centre; the ground truths of all images go through the same
geometry core (:func:`rotaug.geometry.warp_boxes`, with one matrix per box)
and the same keep/ignore/drop policy as :class:`rotaug.transforms.Rotate`,
vectorised in torch: no Python loop over boxes.
"""
from numbers import Number
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmdet.structures.bbox import BaseBoxes
from mmdet.structures.mask import BitmapMasks, PolygonMasks
from mmengine.structures import InstanceData
from torch import Tensor, nn

from ..geometry import (ANGLE_VERSIONS, BOX_DIMS, HBOX_MODES, WarpedBoxes,
                        round_to_storage, warp_boxes)
from ..policy import DropStats, GTPolicy
from ..registry import MODELS
from ..transforms.gt_core import GTTransformer, box_container, box_type_of
from ..transforms.rotate import (HORIZONTAL_ANGLES, angle_key_periods,
                                turned_angles)


def rotation_matrices(angles_deg: Tensor, widths: Tensor,
                      heights: Tensor) -> Tensor:
    """(B, 3, 3) homographies (continuous pixel coordinates) turning each
    image clockwise by its angle about its own centre, canvas unchanged.
    The same matrices as :func:`rotaug.geometry.image_rotation` (no
    expand), built on the tensors' device."""
    a = torch.deg2rad(angles_deg.to(torch.float64))
    c, s = torch.cos(a), torch.sin(a)
    # exact at multiples of 90 degrees, like the numpy kernel
    c = torch.where(c.abs() < 1e-15, torch.zeros_like(c), c)
    s = torch.where(s.abs() < 1e-15, torch.zeros_like(s), s)
    cx, cy = widths.to(a) / 2, heights.to(a) / 2
    m = torch.zeros(len(a), 3, 3, dtype=a.dtype, device=a.device)
    m[:, 0, 0], m[:, 0, 1], m[:, 0, 2] = c, -s, cx - c * cx + s * cy
    m[:, 1, 0], m[:, 1, 1], m[:, 1, 2] = s, c, cy - s * cx - c * cy
    m[:, 2, 2] = 1
    return m


def grid_for(matrices: Tensor, height: int, width: int) -> Tensor:
    """Sampling grid (B, H, W, 2) for ``grid_sample(align_corners=False)``
    that realises ``matrices`` (output <- input in continuous pixel
    coordinates) on a padded batch of ``height`` x ``width``."""
    inv = torch.linalg.inv(matrices)
    # normalised -> continuous: x = (xn + 1) * W / 2
    n2c = torch.tensor([[width / 2, 0, width / 2], [0, height / 2, height / 2],
                        [0, 0, 1]], dtype=inv.dtype, device=inv.device)
    c2n = torch.linalg.inv(n2c)
    theta = (c2n @ inv @ n2c)[:, :2]
    return F.affine_grid(theta.float(), (len(matrices), 1, height, width),
                         align_corners=False)


@MODELS.register_module()
class BatchRandomRotate(nn.Module):
    """Rotate each image of a padded batch by a random angle, on the batch's
    device, with exact box geometry.

    Use in ``data_preprocessor=dict(type='mmdet.DetDataPreprocessor', ...,
    batch_augments=[dict(type='rotaug.BatchRandomRotate', ...)])``.
    Angles are drawn as in :class:`rotaug.transforms.RandomRotate`
    (uniform in ``[-angle_range, angle_range)`` with probability ``prob``;
    multiples of 90 degrees for images holding ``rect_obj_labels``). Each
    image turns about the centre of its own ``img_shape``; the canvas keeps
    its size (``img_shape``/``pad_shape`` unchanged); pixels coming from
    outside the image are ``img_border_value`` (in normalised units: 0 is the
    mean colour); a semantic map (``gt_sem_seg``) turns with nearest
    interpolation. Ground truths (hbox, rbox, qbox; bitmap and polygon
    masks) are clipped, dropped or flagged ignore exactly as by
    :class:`rotaug.transforms.Rotate`; ignored ones move to
    ``ignored_instances``, and those that arrive there (flagged ignore in
    the dataset, e.g. crowd regions) turn, clip and drop with the others
    and stay ignored. ``homography_matrix`` in the metainfo is updated.

    Args:
        prob, angle_range, rect_obj_labels, max_redraws: as
            :class:`~rotaug.transforms.RandomRotate`.
        clip_border, hbox_mode, hbox_from_masks, angle_version,
        min_visible_ratio, ignore_visible_ratio, min_size: as
            :class:`~rotaug.transforms.Rotate` (the boxes of objects with
            masks are refitted to them on the CPU, image by image).
        img_border_value (float): fill value of the (normalised) image.
        interpolation (str): 'bilinear' or 'nearest'.
        seg_ignore_label (int): fill value of a semantic map
            (``gt_sem_seg``), which turns with nearest interpolation, as in
            :class:`~rotaug.transforms.Rotate`.
        out_box_type (str | None): 'hbox' turns rbox/qbox ground truths
            into the exact horizontal box of each turned, clipped object
            (:class:`~rotaug.transforms.Rotate`'s option: a horizontal
            detector trained on oriented annotations keeps them oriented
            until they turn). None keeps the input box type.
        angle_keys (Sequence[str] | Dict[str, float]): image-level angle
            targets (degrees) in each sample's metainfo (put there by
            ``PackDetInputs(meta_keys=...)``): the sample's rotation is
            added and the result wrapped into ``[-period / 2, period /
            2)``, as :class:`~rotaug.transforms.Rotate` does with the keys
            of its results.
    """

    def __init__(self,
                 prob: float = 0.5,
                 angle_range: float = 180,
                 rect_obj_labels: Optional[Sequence[int]] = None,
                 max_redraws: int = 10,
                 clip_border: bool = True,
                 hbox_mode: str = 'ellipse',
                 hbox_from_masks: bool = True,
                 angle_version: Optional[str] = 'le90',
                 min_visible_ratio: float = 0.25,
                 ignore_visible_ratio: float = 0.5,
                 min_size: float = 1.0,
                 img_border_value: float = 0.0,
                 interpolation: str = 'bilinear',
                 seg_ignore_label: int = 255,
                 out_box_type: Optional[str] = None,
                 angle_keys: Union[Sequence[str], Dict[str, float]] = ()
                 ) -> None:
        super().__init__()
        if not isinstance(prob, Number) or not 0 <= prob <= 1:
            raise ValueError(f'prob must lie in [0, 1], got {prob!r}')
        if not isinstance(angle_range, Number) or not 0 < angle_range <= 180:
            raise ValueError(
                f'angle_range must lie in (0, 180], got {angle_range!r}')
        if hbox_mode not in HBOX_MODES:
            raise ValueError(f'hbox_mode must be one of {HBOX_MODES}')
        if angle_version is not None and angle_version not in ANGLE_VERSIONS:
            raise ValueError(f'angle_version must be one of {ANGLE_VERSIONS}')
        if interpolation not in ('bilinear', 'nearest'):
            raise ValueError("interpolation must be 'bilinear' or 'nearest'")
        if not isinstance(max_redraws, int) or max_redraws < 0:
            raise ValueError(
                f'max_redraws must be an int >= 0, got {max_redraws!r}')
        if out_box_type not in (None, 'hbox'):
            raise ValueError("out_box_type must be None or 'hbox', got "
                             f'{out_box_type!r}')
        self.out_box_type = out_box_type
        self.angle_keys = angle_key_periods(angle_keys)
        self.prob = float(prob)
        self.angle_range = float(angle_range)
        self.rect_obj_labels = None if rect_obj_labels is None else [
            int(x) for x in rect_obj_labels
        ]
        self.max_redraws = max_redraws
        self.clip_border = clip_border
        self.hbox_mode = hbox_mode
        self.angle_version = angle_version
        self.policy = GTPolicy(min_visible_ratio, ignore_visible_ratio,
                               min_size)
        self.img_border_value = float(img_border_value)
        self.interpolation = interpolation
        self.seg_ignore_label = int(seg_ignore_label)
        self.stats = DropStats(name='BatchRandomRotate')
        # polygon / bitmap masks reuse the per-image machinery
        self._masks = GTTransformer(self.policy, clip_border=clip_border,
                                    hbox_mode=hbox_mode,
                                    hbox_from_masks=hbox_from_masks,
                                    angle_version=angle_version)
        self._masks.stats = self.stats  # mask counts land in ours

    # -------------------------------------------------------------- angles
    def draw_angles(self, data_samples: list, device) -> Tensor:
        """One angle per sample (0 for samples that are not rotated)."""
        b = len(data_samples)
        rotate = torch.rand(b) < self.prob
        angles = self.angle_range * (2 * torch.rand(b) - 1)
        rect = self._rect_mask(data_samples)
        if rect.any():
            idx = torch.randint(len(HORIZONTAL_ANGLES), (b, ))
            horiz = torch.tensor(HORIZONTAL_ANGLES, dtype=angles.dtype)[idx]
            angles = torch.where(rect, horiz, angles)
        return torch.where(rotate, angles, torch.zeros_like(angles))

    def _rect_mask(self, data_samples: list) -> Tensor:
        out = torch.zeros(len(data_samples), dtype=torch.bool)
        if not self.rect_obj_labels:
            return out
        wanted = torch.tensor(self.rect_obj_labels)
        for i, ds in enumerate(data_samples):
            for field in ('gt_instances', 'ignored_instances'):
                if field in ds and len(ds.get(field)):
                    labels = ds.get(field).labels.cpu()
                    out[i] |= bool(torch.isin(labels, wanted).any())
        return out

    # ---------------------------------------------------------------- boxes
    def plan(self, data_samples: list, angles: Tensor, device):
        """Warp every ground-truth box of the batch at once. Returns
        ``(matrices (B,3,3), per-sample list of (boxes, keep, ignore,
        polys))``; ``polys``: the sample's mapped polygon masks when the
        box refit computed them (reused for the masks), else None."""
        shapes = torch.tensor([ds.img_shape[:2] for ds in data_samples],
                              dtype=torch.float64, device=device)
        mats = rotation_matrices(angles.to(device), shapes[:, 1],
                                 shapes[:, 0])
        counts = [len(ds.gt_instances) for ds in data_samples]
        if sum(counts) == 0:
            return mats, [None] * len(data_samples), {}
        box_types = {
            _box_type(ds.gt_instances.bboxes)
            for ds, n in zip(data_samples, counts) if n
        }
        if len(box_types) != 1:
            raise TypeError(f'mixed box types in one batch: {box_types}')
        box_type = box_types.pop()
        boxes = torch.cat([
            _tensor(ds.gt_instances.bboxes).to(device, torch.float64)
            for ds, n in zip(data_samples, counts) if n
        ])
        owner = torch.repeat_interleave(
            torch.arange(len(counts), device=device),
            torch.tensor(counts, device=device))
        out_type = self.out_box_type or box_type
        warped = warp_boxes(boxes, box_type, mats[owner], shapes[owner, 1],
                            shapes[owner, 0], clip=self.clip_border,
                            hbox_mode=self.hbox_mode,
                            angle_version=self.angle_version,
                            out_type=out_type,
                            src_width=shapes[owner, 1],
                            src_height=shapes[owner, 0])
        polys = {}
        if out_type == 'hbox':
            polys = self._refit_from_masks(warped, data_samples, counts,
                                           mats, shapes)
        store = {
            ds.gt_instances.bboxes.dtype if hasattr(
                ds.gt_instances.bboxes, 'dtype') else torch.float32
            for ds, n in zip(data_samples, counts) if n
        }
        round_to_storage(warped, out_type,
                         store.pop() if len(store) == 1 else torch.float32)
        keep, ignore, drops = self.policy.decide(warped)
        per = []
        start = 0
        for i, n in enumerate(counts):
            sl = slice(start, start + n)
            per.append((warped.boxes[sl], keep[sl], ignore[sl],
                        polys.get(i)))
            start += n
        return mats, per, drops

    def _refit_from_masks(self, warped, data_samples, counts, mats,
                          shapes) -> dict:
        """Horizontal boxes of objects with masks become the exact box of
        the turned, clipped mask, as in :class:`rotaug.transforms.Rotate`
        (``hbox_from_masks``): the per-image machinery, image by image on
        the CPU (masks live there). Returns the mapped polygons of each
        sample with polygon masks, by sample index."""
        polys = {}
        if not self._masks.hbox_from_masks:
            return polys
        start = 0
        for i, (ds, n, m, shape) in enumerate(
                zip(data_samples, counts, mats, shapes)):
            sl = slice(start, start + n)
            start += n
            masks = ds.gt_instances.get('masks', None)
            if not n or masks is None:
                continue
            h, w = (int(v) for v in shape.tolist())
            sub = WarpedBoxes(*(t[sl].cpu().numpy().copy() for t in (
                warped.boxes, warped.visible, warped.finite,
                warped.centre_inside, warped.crossing, warped.area)), 'hbox')
            m = m.cpu().numpy()
            if isinstance(masks, PolygonMasks):
                polys[i] = self._masks.plan_polygons(masks, m, w, h,
                                                     src_size=(w, h))
            self._masks.refit_from_masks(sub, masks, m, w, h,
                                         src_size=(w, h),
                                         polys=polys.get(i))
            for name in ('boxes', 'visible', 'centre_inside'):
                dst = getattr(warped, name)
                dst[sl] = torch.as_tensor(getattr(sub, name),
                                          device=dst.device)
        return polys

    # -------------------------------------------------------------- forward
    def forward(self, inputs: Tensor,
                data_samples: List) -> Tuple[Tensor, List]:
        """Draw one angle per sample and rotate the batch."""
        return self.rotate(inputs, data_samples,
                           self.draw_angles(data_samples, inputs.device))

    def rotate(self, inputs: Tensor, data_samples: List,
               angles: Tensor) -> Tuple[Tensor, List]:
        """Rotate sample ``i`` by ``angles[i]`` degrees (clockwise), with
        the redraw guard for images that would lose every object."""
        device = inputs.device
        angles = torch.as_tensor(angles, dtype=torch.float32).clone().cpu()
        # instances that arrive ignored turn with the rest and stay ignored
        arrived_ignored = [_merge_ignored(ds) for ds in data_samples]
        mats, per, drops = self.plan(data_samples, angles, device)
        if self.max_redraws and self._vanishing(per, angles):
            mats, per, drops = self._redraw(data_samples, angles, mats, per,
                                            device)
        inputs = self.warp_images(inputs, mats, data_samples)
        seen = kept = ignored = 0
        for i, ds in enumerate(data_samples):
            if per[i] is not None:
                _, keep, ignore, _ = per[i]
                seen += len(keep)
                kept += int(keep.sum())
                ignored += int((keep & ignore).sum())
            self._update_sample(ds, mats[i], per[i], arrived_ignored[i])
            self._turn_angle_keys(ds, float(angles[i]))
        self.stats.update(seen, kept, ignored, drops)
        return inputs, data_samples

    @staticmethod
    def _vanishing(per, angles) -> List[int]:
        """Samples whose every object would be removed by their angle."""
        return [
            i for i, p in enumerate(per)
            if p is not None and len(p[1]) and not bool(p[1].any())
            and bool(angles[i] != 0)
        ]

    def _redraw(self, data_samples, angles, mats, per, device):
        """Redraw the angles of images that would lose every object, at most
        ``max_redraws`` times, then leave them unrotated."""
        for _ in range(self.max_redraws):
            bad = self._vanishing(per, angles)
            if not bad:
                break
            self.stats.bump('angle_redraws', len(bad))
            new = self.draw_angles([data_samples[i] for i in bad], device)
            self._replace(data_samples, bad, new, angles, mats, per, device)
        bad = self._vanishing(per, angles)
        if bad:
            self.stats.bump('left_unrotated', len(bad))
            self._replace(data_samples, bad, torch.zeros(len(bad)), angles,
                          mats, per, device)
        # drops of the final decisions
        return self.plan(data_samples, angles, device)

    def _replace(self, data_samples, idx, new, angles, mats, per, device):
        sub = [data_samples[i] for i in idx]
        new_mats, new_per, _ = self.plan(sub, new, device)
        for k, i in enumerate(idx):
            angles[i] = new[k]
            mats[i] = new_mats[k]
            per[i] = new_per[k]

    def warp_images(self, inputs: Tensor, mats: Tensor,
                    data_samples: list) -> Tensor:
        """One grid_sample pass over the batch; pixels outside each image's
        own canvas keep the padding value."""
        b, _, h, w = inputs.shape
        rotated = torch.any(
            (mats[:, :2, :2] - torch.eye(2, dtype=mats.dtype,
                                         device=mats.device)).abs() > 0,
            dim=(1, 2))
        if not bool(rotated.any()):
            return inputs
        idx = rotated.nonzero(as_tuple=True)[0]
        grid = grid_for(mats[idx], h, w)
        src = inputs[idx].float()
        border = self.img_border_value
        if border != 0:
            src = src - border
        out = F.grid_sample(src, grid, mode=self.interpolation,
                            padding_mode='zeros', align_corners=False)
        # the padded region of the source is not image: mask it out
        valid = torch.zeros((len(idx), 1, h, w), device=inputs.device)
        for k, i in enumerate(idx.tolist()):
            ih, iw = data_samples[i].img_shape[:2]
            valid[k, :, :ih, :iw] = 1
        vis = F.grid_sample(valid, grid, mode='nearest',
                            padding_mode='zeros', align_corners=False)
        out = out * vis + border
        out = out * valid + inputs[idx].float() * (1 - valid)
        result = inputs.clone()
        result[idx] = out.to(inputs.dtype)
        return result

    def _update_sample(self, ds, matrix: Tensor, planned,
                       arrived_ignored: Tensor) -> None:
        m = matrix.detach().cpu().numpy()
        prev = ds.metainfo.get('homography_matrix', None)
        ds.set_metainfo(dict(homography_matrix=(
            m.astype(np.float32) if prev is None else
            m.astype(np.float32) @ np.asarray(prev, np.float32))))
        if 'gt_sem_seg' in ds:
            self._warp_sem_seg(ds, m)
        if planned is None:  # no instance in the whole batch
            if self.out_box_type is not None:
                self._retype_empty(ds)
            return
        gt = ds.gt_instances
        boxes, keep, ignore, polys = planned
        ignore = ignore | arrived_ignored.to(ignore.device)
        keep_idx = keep.nonzero(as_tuple=True)[0]
        kept_ignored = ignore[keep_idx].cpu()
        keep_idx = keep_idx.cpu()
        # the kept instances first: masks of dropped ones are not warped
        result = InstanceData(metainfo=gt.metainfo)
        for key, value in gt.items():
            if key not in ('bboxes', 'masks'):
                result[key] = value
        result = result[keep_idx]
        result.bboxes = _like(gt.bboxes, boxes[keep_idx.to(boxes.device)],
                              self.out_box_type)
        if 'masks' in gt:
            result.masks = self._warp_masks(gt.masks, m, ds, keep_idx, polys)
        # long CPU indices, as the fields may live on the GPU
        ign_idx = kept_ignored.nonzero(as_tuple=True)[0]
        ds.gt_instances = result[(~kept_ignored).nonzero(as_tuple=True)[0]]
        if len(ign_idx) or 'ignored_instances' in ds:
            ds.ignored_instances = result[ign_idx]

    def _retype_empty(self, ds) -> None:
        """Empty instances leave in ``out_box_type`` too (a batch without
        ground truths has nothing to warp)."""
        dim = BOX_DIMS[self.out_box_type]
        for name in ('gt_instances', 'ignored_instances'):
            inst = ds.get(name, None)
            if inst is None or 'bboxes' not in inst or \
                    _tensor(inst.bboxes).shape[-1] == dim:
                continue
            empty = _tensor(inst.bboxes).new_zeros((0, dim))
            inst.bboxes = _like(inst.bboxes, empty, self.out_box_type)

    def _turn_angle_keys(self, ds, angle: float) -> None:
        if self.angle_keys:
            ds.set_metainfo(turned_angles(ds.metainfo, self.angle_keys,
                                          angle))

    def _warp_sem_seg(self, ds, m: np.ndarray) -> None:
        """The semantic map turns with its image (nearest, by the per-image
        machinery); its padding beyond ``img_shape`` stays as it was."""
        if np.array_equal(m, np.eye(3)):
            return
        seg = ds.gt_sem_seg.sem_seg
        h, w = ds.img_shape[:2]
        arr = seg.detach().cpu().numpy()
        out = arr.copy()
        for c in range(arr.shape[0]):
            turned = self._masks.warp_image(arr[c], m, arr.shape[2],
                                            arr.shape[1], 'nearest',
                                            self.seg_ignore_label)
            out[c, :h, :w] = turned[:h, :w]
        ds.gt_sem_seg.sem_seg = torch.from_numpy(out).to(seg.device)

    def _warp_masks(self, masks, m: np.ndarray, ds, keep_idx: Tensor,
                    polys=None):
        """The masks of instances ``keep_idx`` follow their boxes: bitmaps
        are warped (nearest), polygons are mapped and clipped exactly, by
        the per-image machinery. Masks padded to the batch keep their
        padding empty, as the image does."""
        h, w = ds.img_shape[:2]
        idx = keep_idx.numpy()
        if isinstance(masks, BitmapMasks):
            out = self._masks.warp_masks(masks[idx], m, masks.width,
                                         masks.height, 0)
            out.masks[:, h:] = 0
            out.masks[:, :, w:] = 0
            return out
        if isinstance(masks, PolygonMasks):
            # cut to the source image first, as the boxes and the
            # per-image path are
            if polys is None:  # else mapped already by the box refit
                polys = self._masks.plan_polygons(masks, m, w, h,
                                                  src_size=(w, h))
            return self._masks.polygon_masks(polys, len(masks), idx,
                                             masks.height, masks.width)
        return masks[idx]

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'angle_range={self.angle_range}, '
                f'rect_obj_labels={self.rect_obj_labels}, '
                f'max_redraws={self.max_redraws}, '
                f'clip_border={self.clip_border}, '
                f'hbox_mode={self.hbox_mode!r}, '
                f'hbox_from_masks={self._masks.hbox_from_masks}, '
                f'angle_version={self.angle_version!r}, '
                f'min_visible_ratio={self.policy.min_visible_ratio}, '
                f'ignore_visible_ratio={self.policy.ignore_visible_ratio}, '
                f'min_size={self.policy.min_size}, '
                f'img_border_value={self.img_border_value}, '
                f'interpolation={self.interpolation!r}, '
                f'seg_ignore_label={self.seg_ignore_label}, '
                f'out_box_type={self.out_box_type!r}, '
                f'angle_keys={self.angle_keys})')


def _tensor(boxes) -> Tensor:
    return boxes.tensor if isinstance(boxes, BaseBoxes) else torch.as_tensor(
        boxes)


def _like(template, data: Tensor, out_box_type: Optional[str] = None):
    """``data`` in the container (and dtype) of ``template``; a box
    container of type ``out_box_type`` when that is given and ``data``
    changed type (:func:`~rotaug.transforms.gt_core.box_container`, as per
    image)."""
    if isinstance(template, BaseBoxes):
        cls = box_container(template, out_box_type)
        return cls(data.to(template.tensor.dtype))
    return data.to(torch.as_tensor(template).dtype)


def _box_type(boxes) -> str:
    """The box type of a sample's boxes: a box container, or a plain
    tensor, as ``DetDataPreprocessor(boxtype2tensor=True)`` (mmdet's
    default) leaves them before the batch augments, read by its width
    (:func:`~rotaug.transforms.gt_core.box_type_of`)."""
    try:
        return box_type_of(boxes)
    except TypeError as err:
        raise TypeError(f'BatchRandomRotate: gt_instances.bboxes: {err}'
                        ) from None


def _merge_ignored(ds) -> Tensor:
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
