"""``rotaug.RotatedTTAModel``: test-time augmentation for rotated (and
horizontal) detectors, with the exact way back from every view.

Used through the standard config keys, as MMDetection's ``DetTTAModel``::

    tta_model = dict(
        type='rotaug.RotatedTTAModel',
        tta_cfg=dict(merge='wbf', iou_thr=0.45, score_mode='avg',
                     max_per_img=2000, angle_version='le90'))
    tta_pipeline = [
        dict(type='mmdet.LoadImageFromFile'),
        dict(type='TestTimeAug', transforms=[
            [dict(type='mmdet.Resize', scale=(1024, 1024), keep_ratio=True)],
            [dict(type='rotaug.Rotate', rotate_angle=a, expand=True)
             for a in (0, 90, 180, 270)],
            [dict(type='mmdet.LoadAnnotations', with_bbox=True,
                  box_type='qbox')],
            [dict(type='mmrotate.ConvertBoxType',
                  box_type_mapping=dict(gt_bboxes='rbox'))],
            [dict(type='mmdet.PackDetInputs', meta_keys=(
                'img_id', 'img_path', 'ori_shape', 'img_shape',
                'scale_factor', 'homography_matrix'))]])]

and ``python tools/test.py CONFIG CKPT --tta``. See docs/tta.md.
"""
from typing import Dict, List, Optional, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseTTAModel
from mmengine.structures import InstanceData

from ..geometry import BOX_TYPES
from ..registry import MODELS
from .tta_geometry import (HBOX_RULES, box_type_of, to_original,
                           visible_in_view)
from .tta_merge import (MERGE_MODES, SCORE_MODES, cluster_scores,
                        cluster_views)

#: tta_cfg defaults (chosen by tools/benchmarks/tta_eval.py, docs/tta.md)
DEFAULT_TTA_CFG = dict(
    merge='wbf',
    iou_thr=0.45,
    score_mode='avg',
    max_per_img=2000,
    angle_version='le90',
    hbox_rule='ellipse')


def parse_tta_cfg(tta_cfg: Optional[dict]) -> dict:
    """``tta_cfg`` checked and completed with :data:`DEFAULT_TTA_CFG`.

    MMDetection's form ``nms=dict(type='nms' | 'nms_rotated',
    iou_threshold=t)`` is read as ``merge='nms', iou_thr=t``.
    """
    cfg = dict(tta_cfg or {})
    nms = cfg.pop('nms', None)
    if nms is not None:
        if 'iou_threshold' not in nms:
            raise ValueError('tta_cfg.nms needs an iou_threshold, got '
                             f'{nms!r}')
        cfg.setdefault('merge', 'nms')
        cfg.setdefault('iou_thr', float(nms['iou_threshold']))
    unknown = set(cfg) - set(DEFAULT_TTA_CFG)
    if unknown:
        raise ValueError(f'unknown tta_cfg keys {sorted(unknown)}: expected '
                         f'some of {sorted(DEFAULT_TTA_CFG)} (or nms=dict('
                         'iou_threshold=...))')
    out = dict(DEFAULT_TTA_CFG, **cfg)
    checks = (('merge', MERGE_MODES), ('score_mode', SCORE_MODES),
              ('hbox_rule', HBOX_RULES),
              ('angle_version', ('le90', 'le135', 'oc', None)))
    for key, allowed in checks:
        if out[key] not in allowed:
            raise ValueError(f'tta_cfg.{key} must be one of {allowed}, got '
                             f'{out[key]!r}')
    if not 0 <= float(out['iou_thr']) < 1:
        raise ValueError('tta_cfg.iou_thr must lie in [0, 1), got '
                         f"{out['iou_thr']!r}")
    mpi = out['max_per_img']
    if mpi is not None and (not isinstance(mpi, int) or mpi < 1):
        raise ValueError('tta_cfg.max_per_img must be an int >= 1 or None, '
                         f'got {mpi!r}')
    return out


def _describe(sample, v: int) -> str:
    meta = sample.metainfo
    name = meta.get('img_path', meta.get('img_id', '?'))
    return f'view {v} of image {name!r}'


@MODELS.register_module()
class RotatedTTAModel(BaseTTAModel):
    """Merge the predictions of a detector on several views of each image
    (``TestTimeAug`` in the ``tta_pipeline``: turns by any angle, with or
    without ``expand``, flips and resizes, in any order).

    Each view's boxes go back to the original image by the exact inverse
    of what the view did, read from its metainfo: the ``homography_matrix``
    the transforms record (original -> view) and the ``scale_factor`` the
    detector already undid with ``rescale=True`` (see
    :mod:`rotaug.models.tta_geometry`). A view lacking either is an error
    naming the key. rboxes and qboxes come back exactly for every view;
    hboxes exactly for multiples of 90 degrees, flips and resizes, and by
    ``hbox_rule`` for other angles. The views are then merged per class
    (:mod:`rotaug.models.tta_merge`).

    Args:
        module (dict | nn.Module): the detector.
        data_preprocessor (dict | nn.Module, optional): replaces the
            detector's (as in :class:`mmengine.model.BaseTTAModel`).
        tta_cfg (dict, optional): merging options, defaults in
            :data:`DEFAULT_TTA_CFG`:

            - ``merge``: 'wbf' (rotated weighted box fusion) or 'nms'
              (per-class rotated NMS);
            - ``iou_thr``: IoU above which boxes of one class form a cluster;
            - ``score_mode``: 'avg' (each view's best score in a cluster,
              averaged over the views that could see it: clusters few views
              find are scored down) or 'max' (the best score);
            - ``max_per_img``: keep at most this many boxes (None: all);
            - ``angle_version``: of the output rboxes ('le90', 'le135',
              'oc'; None: as computed);
            - ``hbox_rule``: horizontal boxes from views whose way back is
              not axis-aligned: 'ellipse' (default) or 'envelope'.
            MMDetection's ``nms=dict(iou_threshold=t)`` means
            ``merge='nms', iou_thr=t``.

    Only ``bboxes``, ``scores`` and ``labels`` of ``pred_instances`` are
    merged. The merged sample is the first view's data sample (its ground
    truths are the original image's when the pipeline loads annotations
    after the view transforms, as ``val_pipeline`` does after ``Resize``).
    """

    def __init__(self,
                 module: Union[dict, nn.Module],
                 tta_cfg: Optional[dict] = None,
                 data_preprocessor: Union[dict, nn.Module, None] = None
                 ) -> None:
        super().__init__(module=module, data_preprocessor=data_preprocessor)
        self.tta_cfg = parse_tta_cfg(tta_cfg)
        self._announced = False

    def merge_preds(self, data_samples_list: List[List]) -> List:
        """Merge, per image, the predictions of its views.

        Args:
            data_samples_list: one list per image of its views'
                ``DetDataSample`` (with ``pred_instances``).
        """
        if data_samples_list and not self._announced:  # once: TTA is on
            cfg = self.tta_cfg
            print_log(f'RotatedTTAModel: {len(data_samples_list[0])} views '
                      f"per image, merged by {cfg['merge']} (iou_thr "
                      f"{cfg['iou_thr']}, score_mode {cfg['score_mode']})",
                      logger='current')
            self._announced = True
        return [self.merge_views(views) for views in data_samples_list]

    def merge_views(self, views: List):
        """One image: every view's boxes back to the original image, then
        merged; returns the first view's sample with the merged
        ``pred_instances``."""
        if not views:
            raise ValueError('merge_views needs at least one view')
        cfg = self.tta_cfg
        boxes, scores, labels, view_ids, metas = [], [], [], [], []
        box_type = None
        for v, sample in enumerate(views):
            where = _describe(sample, v)
            pred = sample.pred_instances
            bboxes = pred.bboxes
            bt = box_type_of(bboxes)
            if box_type is None:
                box_type, first = bt, bboxes
            elif bt != box_type:
                raise ValueError(f'{where} predicts {bt} boxes, view 0 '
                                 f'{box_type} boxes: all views of an image '
                                 'must come from one detector')
            tensor = bboxes.tensor if hasattr(bboxes, 'tensor') else bboxes
            boxes.append(
                to_original(tensor.detach().cpu().numpy(), bt,
                            sample.metainfo, cfg['angle_version'],
                            cfg['hbox_rule'], where))
            scores.append(pred.scores.detach().cpu().numpy().astype(
                np.float64).reshape(-1))
            labels.append(pred.labels.detach().cpu().numpy().reshape(-1))
            view_ids.append(np.full(len(scores[-1]), v, np.int64))
            metas.append(sample.metainfo)
        merged = self._merge_arrays(
            np.concatenate(boxes), np.concatenate(scores),
            np.concatenate(labels), np.concatenate(view_ids), box_type,
            metas)
        result = views[0]
        result.pred_instances = self._to_instances(merged, first,
                                                   views[0].pred_instances)
        return result

    def _merge_arrays(self, boxes: np.ndarray, scores: np.ndarray,
                      labels: np.ndarray, view_ids: np.ndarray,
                      box_type: str, metas: List[Dict]) -> dict:
        cfg = self.tta_cfg
        clusters = cluster_views(boxes, scores, labels, view_ids,
                                 len(metas), box_type, cfg['merge'],
                                 float(cfg['iou_thr']), cfg['angle_version'])
        visible = None
        if cfg['score_mode'] == 'avg' and len(clusters.labels):
            ctr = BOX_TYPES[box_type].centres(clusters.boxes)
            visible = np.stack([visible_in_view(ctr, m) for m in metas],
                               1)
        fused = cluster_scores(clusters, cfg['score_mode'], visible)
        order = np.argsort(-fused, kind='stable')
        if cfg['max_per_img'] is not None:
            order = order[:cfg['max_per_img']]
        return dict(boxes=clusters.boxes[order], scores=fused[order],
                    labels=clusters.labels[order])

    @staticmethod
    def _to_instances(merged: dict, like_boxes, like: InstanceData
                      ) -> InstanceData:
        """The merged arrays as ``InstanceData`` on the predictions' device,
        boxes in the predictions' kind (box structure or tensor) and
        dtype."""
        tensor = like_boxes.tensor if hasattr(like_boxes, 'tensor') else \
            like_boxes
        bboxes = torch.as_tensor(merged['boxes'], dtype=tensor.dtype,
                                 device=tensor.device)
        if hasattr(like_boxes, 'tensor'):
            bboxes = type(like_boxes)(bboxes)
        out = InstanceData()
        out.bboxes = bboxes
        out.scores = torch.as_tensor(merged['scores'],
                                     dtype=like.scores.dtype,
                                     device=like.scores.device)
        out.labels = torch.as_tensor(merged['labels'],
                                     dtype=like.labels.dtype,
                                     device=like.labels.device)
        return out

