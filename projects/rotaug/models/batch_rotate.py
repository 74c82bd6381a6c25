"""``rotaug.BatchRandomRotate``: random rotation of a whole padded batch on
its device, for ``DetDataPreprocessor(batch_augments=[...])``.

One ``affine_grid``/``grid_sample`` pass turns every image by its own angle
about its own centre; the ground truths of all images go through the same
geometry core (:func:`rotaug.geometry.warp_boxes`, with one matrix per box)
and the same keep/ignore/drop policy as :class:`rotaug.transforms.Rotate`,
vectorised in torch: no Python loop over boxes. The angles are drawn and
redrawn by the rules of :mod:`rotaug.sampling`, as per image.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor, nn

from ..geometry.image import warp_batch
from ..gt.fields import turned_angles
from ..options import (BATCH_OPTIONS, RotationOptions, check_choice,
                       check_flag)
from ..policy import DropStats
from ..registry import MODELS
from ..sampling import (TORCH_RANDOM, UniformAngles, check_max_redraws,
                        holds_labels, settle_redraws)
from .batch_gt import apply_to_sample, merge_ignored, plan_batch


@MODELS.register_module()
class BatchRandomRotate(nn.Module):
    """Rotate each image of a padded batch by a random angle, on the batch's
    device, with exact box geometry.

    Use in ``data_preprocessor=dict(type='mmdet.DetDataPreprocessor', ...,
    batch_augments=[dict(type='rotaug.BatchRandomRotate', ...)])``.
    Angles are drawn as in :class:`rotaug.transforms.RandomRotate`
    (uniform in ``[-angle_range, angle_range)`` with probability ``prob``;
    multiples of 90 degrees for images holding ``rect_obj_labels``; redrawn
    by the same rule when a turn would remove every object), from torch's
    generator. Each image turns about the centre of its own ``img_shape``;
    the canvas keeps its size (``img_shape``/``pad_shape`` unchanged);
    pixels coming from outside the image are ``img_border_value`` (in
    normalised units: 0 is the mean colour); a semantic map
    (``gt_sem_seg``) turns with nearest interpolation. Ground truths (hbox,
    rbox, qbox; bitmap and polygon masks) are clipped, dropped or flagged
    ignore exactly as by :class:`rotaug.transforms.Rotate`; ignored ones
    move to ``ignored_instances``, and those that arrive there (flagged
    ignore in the dataset, e.g. crowd regions) turn, clip and drop with the
    others and stay ignored. ``homography_matrix`` in the metainfo is
    updated.

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
        # 'clamp' (MMRotate's per-image Rotate) has no batch counterpart
        check_flag('clip_border', clip_border)
        self.sampler = UniformAngles(prob, angle_range, rect_obj_labels)
        self.max_redraws = check_max_redraws(max_redraws)
        self.options = RotationOptions(
            img_border_value=img_border_value,
            seg_ignore_label=seg_ignore_label, interpolation=interpolation,
            clip_border=clip_border, hbox_mode=hbox_mode,
            hbox_from_masks=hbox_from_masks, angle_version=angle_version,
            min_visible_ratio=min_visible_ratio,
            ignore_visible_ratio=ignore_visible_ratio, min_size=min_size,
            angle_keys=angle_keys, out_box_type=out_box_type)
        check_choice('interpolation', interpolation, ('bilinear', 'nearest'))
        if not isinstance(self.options.img_border_value, float):
            raise ValueError('img_border_value must be a number (in the '
                             'normalised units of the batch), got '
                             f'{img_border_value!r}')
        self.stats = DropStats(name=type(self).__name__)

    # -------------------------------------------------------------- angles
    def draw_angles(self, data_samples: list, device=None) -> Tensor:
        """One angle per sample, degrees (0 for samples not turned)."""
        angles = self._draw(data_samples)
        return torch.tensor([0.0 if a is None else a for a in angles])

    def _draw(self, data_samples: list) -> List[Optional[float]]:
        rect = self._rect(data_samples)
        return [self.sampler.first(r, TORCH_RANDOM) for r in rect]

    def _rect(self, data_samples: list) -> List[bool]:
        """Which samples hold ``rect_obj_labels`` (positive or ignored)."""
        wanted = self.sampler.rect_obj_labels
        return [any(holds_labels(ds.get(f).labels, wanted)
                    for f in ('gt_instances', 'ignored_instances')
                    if f in ds and len(ds.get(f)))
                for ds in data_samples]

    # -------------------------------------------------------------- forward
    def forward(self, inputs: Tensor,
                data_samples: List) -> Tuple[Tensor, List]:
        """Draw one angle per sample and rotate the batch."""
        return self._turn(inputs, data_samples, self._draw(data_samples))

    def rotate(self, inputs: Tensor, data_samples: List,
               angles) -> Tuple[Tensor, List]:
        """Rotate sample ``i`` by ``angles[i]`` degrees (clockwise; 0: not
        turned), with the redraw rule for images that would lose every
        object."""
        angles = [float(a) or None for a in torch.as_tensor(
            angles, dtype=torch.float32).tolist()]
        return self._turn(inputs, data_samples, angles)

    def _turn(self, inputs: Tensor, data_samples: List,
              angles: List[Optional[float]]) -> Tuple[Tensor, List]:
        device, opts = inputs.device, self.options
        rect = self._rect(data_samples)
        # instances that arrive ignored turn with the rest and stay ignored
        arrived_ignored = [merge_ignored(ds) for ds in data_samples]
        plans = plan_batch(data_samples, angles, opts, device)

        def subset(idx, new):
            return plan_batch([data_samples[i] for i in idx], new, opts,
                              device)

        settle_redraws(
            angles, plans, replan=subset,
            unrotated=lambda idx: subset(idx, [None] * len(idx)),
            redraw=lambda i: self.sampler.redraw(rect[i], TORCH_RANDOM),
            max_redraws=self.max_redraws, stats=self.stats)
        mats = torch.as_tensor(np.stack([p.matrix for p in plans]),
                               device=device)
        inputs = warp_batch(inputs, mats,
                            [ds.img_shape[:2] for ds in data_samples],
                            opts.interpolation, opts.img_border_value)
        for ds, plan, angle, ignored in zip(data_samples, plans, angles,
                                            arrived_ignored):
            apply_to_sample(ds, plan, ignored, opts, self.stats)
            if plan.keep is not None:
                plan.record(self.stats)
            if opts.angle_keys:
                ds.set_metainfo(turned_angles(ds.metainfo, opts.angle_keys,
                                              angle or 0.0))
        return inputs, data_samples

    def __repr__(self) -> str:
        return (f'{type(self).__name__}({self.sampler.fragment()}, '
                f'max_redraws={self.max_redraws!r}, '
                f'{self.options.fragment(BATCH_OPTIONS)})')
