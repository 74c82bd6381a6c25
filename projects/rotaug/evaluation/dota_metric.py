"""The official DOTA Task1 evaluation as an MMEngine metric."""
import os.path as osp
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from rotaug.registry import METRICS
from .functional import (boxes_to_poly, eval_dota_map, mean_ap,
                         polygons_to_geoms)
from .patches import (merge_detections, merge_patch_gts, parse_patch_name,
                      write_task1_files)


def _get(obj: Any, key: str, default: Any = None) -> Any:
    """A field of a dict or a data element (``InstanceData``...)."""
    if obj is None:
        return default
    if hasattr(obj, 'get'):
        return obj.get(key, default)
    return getattr(obj, key, default)


def _to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, 'tensor'):  # mmdet / mmrotate box structures
        x = x.tensor
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _boxes(x: Any) -> np.ndarray:
    """``(N, 5|8)`` float64 boxes; horizontal ``(N, 4)`` xyxy become
    rotated boxes of angle 0."""
    if x is None:
        return np.zeros((0, 5))
    boxes = _to_numpy(x).astype(np.float64)
    if boxes.size == 0:
        return boxes.reshape(0, boxes.shape[-1] if boxes.ndim == 2 else 5)
    if boxes.ndim != 2 or boxes.shape[1] not in (4, 5, 8):
        raise ValueError(f'boxes must be (N, 4|5|8), got {boxes.shape}')
    if boxes.shape[1] == 4:
        x1, y1, x2, y2 = boxes.T
        boxes = np.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1,
                          np.zeros_like(x1)],
                         axis=1)
    return boxes


def _vector(x: Any, dtype) -> np.ndarray:
    if x is None:
        return np.zeros(0, dtype=dtype)
    return _to_numpy(x).astype(dtype).reshape(-1)


def _image_name(sample: Any) -> str:
    img_id = _get(sample, 'img_id')
    if isinstance(img_id, str):
        return img_id
    img_path = _get(sample, 'img_path')
    if img_path:
        return osp.splitext(osp.basename(img_path))[0]
    if img_id is None:
        raise KeyError('a data sample has neither img_id nor img_path')
    return str(img_id)


def _thr_tag(thr: float) -> str:
    pct = thr * 100
    return f'{int(round(pct)):02d}' if abs(pct - round(pct)) < 1e-9 \
        else f'{pct:g}'


@METRICS.register_module()
class DOTAMetric(BaseMetric):
    """DOTA Task1 (oriented boxes) mAP, computed as the official devkit.

    It differs from MMRotate's ``DOTAMetric`` in what decides the number
    reported on DOTA:

    * with ``merge_patches=True`` the patches' detections are mapped back to
      their full image and merged by per-class rotated NMS (the devkit's
      ``ResultMerge``), and the full images are *scored* (MMRotate only
      writes the submission files then); an object seen by two overlapping
      patches is one ground truth;
    * ground truths can come from the full-image ``labelTxt`` files
      (``gt_dir``) with their ``difficult`` flags;
    * difficult ground truths are not positives and a detection matched to
      one is ignored; the matching uses exact polygon IoU, strictly greater
      than the threshold; see :mod:`rotaug.evaluation.functional`.

    Without ``gt_dir`` the ground truths are the data samples'
    ``gt_instances`` (positives) and ``ignored_instances`` (difficult): set
    up the dataset so that difficult objects are ignored instances
    (MMRotate's ``DOTADataset`` with its default ``diff_thr=100`` makes
    them ordinary, positive ground truths).

    Args:
        iou_thrs (float | Sequence[float]): IoU thresholds. Defaults to 0.5.
        use_07_metric (bool): VOC07 11-point AP, as the official Task1
            script, if True; else the area under the PR curve.
            Defaults to True.
        merge_patches (bool): merge split patches into full images before
            scoring. Defaults to False.
        nms_iou_thr (float): IoU threshold of the merging NMS. Defaults to
            0.1, the devkit's.
        gt_dir (str, optional): DOTA ``labelTxt`` folder of the evaluated
            images (full images when merging) read with
            :func:`rotaug.datasets.dota_io.parse_dota_label_file`. If None,
            ground truths come from the data samples (merged, approximately,
            when merging). Defaults to None.
        patch_naming (str): how to read the middle field of patch names,
            ``'auto'``, ``'rate'`` or ``'size'``; see
            :func:`~rotaug.evaluation.patches.parse_patch_name`.
        ignore_empty_classes (bool): average the APs over the classes with at
            least one non-difficult ground truth; if False, such classes
            count as AP 0 as in the devkit's script. Defaults to True.
        classwise (bool): also return ``AP_<class>`` (mean over the IoU
            thresholds). Defaults to False.
        format_only (bool): only write the Task1 submission files to
            ``outfile_prefix`` and return no metric. Defaults to False.
        outfile_prefix (str, optional): directory receiving
            ``Task1_<class>.txt`` and a zip of them; when given without
            ``format_only`` the files are written and the metric computed.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): metric name prefix, ``'dota'`` by default.
    """

    default_prefix: Optional[str] = 'dota'

    def __init__(self,
                 iou_thrs: Union[float, Sequence[float]] = 0.5,
                 use_07_metric: bool = True,
                 merge_patches: bool = False,
                 nms_iou_thr: float = 0.1,
                 gt_dir: Optional[str] = None,
                 patch_naming: str = 'auto',
                 ignore_empty_classes: bool = True,
                 classwise: bool = False,
                 format_only: bool = False,
                 outfile_prefix: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        thrs = [iou_thrs] if isinstance(iou_thrs, (int, float)) \
            else list(iou_thrs)
        if not thrs or any(not 0 <= t < 1 for t in thrs):
            raise ValueError(f'iou_thrs must be in [0, 1), got {iou_thrs}')
        if format_only and outfile_prefix is None:
            raise ValueError('format_only=True needs an outfile_prefix to '
                             'write the Task1 files to')
        if patch_naming not in ('auto', 'rate', 'size'):
            raise ValueError(f"patch_naming must be 'auto', 'rate' or "
                             f"'size', got {patch_naming!r}")
        self.iou_thrs = [float(t) for t in thrs]
        self.use_07_metric = use_07_metric
        self.merge_patches = merge_patches
        self.nms_iou_thr = nms_iou_thr
        self.gt_dir = gt_dir
        self.patch_naming = patch_naming
        self.ignore_empty_classes = ignore_empty_classes
        self.classwise = classwise
        self.format_only = format_only
        self.outfile_prefix = outfile_prefix

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(iou_thrs={self.iou_thrs}, '
                f'use_07_metric={self.use_07_metric}, '
                f'merge_patches={self.merge_patches}, '
                f'nms_iou_thr={self.nms_iou_thr}, gt_dir={self.gt_dir!r}, '
                f'format_only={self.format_only}, '
                f'outfile_prefix={self.outfile_prefix!r})')

    # ------------------------------------------------------------------
    # collection
    # ------------------------------------------------------------------
    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Keep the predictions (and ground truths when they come from the
        samples) of a batch as compact numpy arrays."""
        for sample in data_samples:
            name = _image_name(sample)
            pred = _get(sample, 'pred_instances')
            if pred is None:
                raise KeyError(f'data sample {name!r} has no pred_instances')
            result = dict(
                name=name,
                boxes=_boxes(_get(pred, 'bboxes')),
                scores=_vector(_get(pred, 'scores'), np.float64),
                labels=_vector(_get(pred, 'labels'), np.int64))
            if not (len(result['boxes']) == len(result['scores']) == len(
                    result['labels'])):
                raise ValueError(f'{name}: {len(result["boxes"])} boxes, '
                                 f'{len(result["scores"])} scores and '
                                 f'{len(result["labels"])} labels')
            if self.gt_dir is None:
                gt = _get(sample, 'gt_instances')
                ign = _get(sample, 'ignored_instances')
                gt_polys = boxes_to_poly(_boxes(_get(gt, 'bboxes')))
                ign_polys = boxes_to_poly(_boxes(_get(ign, 'bboxes')))
                result.update(
                    gt_polys=np.concatenate([gt_polys, ign_polys]),
                    gt_labels=np.concatenate([
                        _vector(_get(gt, 'labels'), np.int64),
                        _vector(_get(ign, 'labels'), np.int64)
                    ]),
                    gt_difficult=np.repeat(
                        [False, True],
                        [len(gt_polys), len(ign_polys)]))
                if len(result['gt_labels']) != len(result['gt_polys']):
                    raise ValueError(f'{name}: ground-truth boxes and labels '
                                     'differ in number')
            self.results.append(result)

    # ------------------------------------------------------------------
    # evaluation
    # ------------------------------------------------------------------
    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Merge, optionally write the Task1 files, and score."""
        logger: MMLogger = MMLogger.get_current_instance()
        classes = list(self.dataset_meta['classes'])
        images = self._images(results, logger)

        if self.outfile_prefix is not None:
            paths = write_task1_files(
                self.outfile_prefix,
                classes, {
                    name: img['det']
                    for name, img in images.items()
                },
                zip_name=osp.basename(osp.normpath(self.outfile_prefix)) +
                '.zip')
            logger.info(f'DOTA Task1 files of {len(images)} images written '
                        f'to {self.outfile_prefix} (submission: {paths[-1]})')
        if self.format_only:
            return {}

        names, dets, gts = self._inputs(images, classes, logger)
        class_results = eval_dota_map(dets, gts, len(classes), self.iou_thrs,
                                      self.use_07_metric, names)
        maps = mean_ap(class_results, self.ignore_empty_classes)
        logger.info('\n' + self._table(classes, class_results, maps))
        if np.isnan(maps).any():
            logger.warning('no class has a non-difficult ground truth: mAP '
                           'is undefined (NaN)')

        metrics: Dict[str, float] = OrderedDict()
        metrics['mAP'] = float(np.mean(maps))
        for thr, value in zip(self.iou_thrs, maps):
            metrics[f'AP{_thr_tag(thr)}'] = float(value)
        if self.classwise:
            for cls, res in zip(classes, class_results):
                metrics[f'AP_{cls}'] = float(np.mean(res['ap']))
        return metrics

    def scoring_inputs(
            self, results: list) -> Tuple[List[str], List[dict], List[dict]]:
        """What :meth:`compute_metrics` scores: the (merged, when
        ``merge_patches``) images' names, detections and ground truths, in
        the form of :func:`~rotaug.evaluation.functional.eval_dota_map`'s
        inputs (for example to match once with
        :func:`~rotaug.evaluation.functional.match_images`, then bootstrap
        over the images)."""
        logger: MMLogger = MMLogger.get_current_instance()
        classes = list(self.dataset_meta['classes'])
        return self._inputs(self._images(results, logger), classes, logger)

    def _images(self, results: list, logger: MMLogger) -> Dict[str, dict]:
        return self._full_images(results, logger) if self.merge_patches \
            else self._single_images(results)

    def _inputs(self, images: Dict[str, dict], classes: List[str],
                logger: MMLogger) -> Tuple[List[str], List[dict], List[dict]]:
        gts = [
            self._ground_truth(name, img, classes, logger)
            for name, img in images.items()
        ]
        self._warn_repaired(gts, logger)
        return list(images), [img['det'] for img in images.values()], gts

    def _single_images(self, results: list) -> Dict[str, dict]:
        images: Dict[str, dict] = OrderedDict()
        for res in results:
            if res['name'] in images:
                raise ValueError(f'image {res["name"]!r} was evaluated twice')
            images[res['name']] = dict(
                det=dict(
                    polys=boxes_to_poly(res['boxes']),
                    scores=res['scores'],
                    labels=res['labels']),
                gt=None if self.gt_dir is not None else dict(
                    polys=res['gt_polys'],
                    labels=res['gt_labels'],
                    difficult=res['gt_difficult']))
        return images

    def _full_images(self, results: list, logger: MMLogger) -> Dict[str, dict]:
        groups: Dict[str, List[dict]] = OrderedDict()
        for res in results:
            info = parse_patch_name(res['name'], self.patch_naming)
            groups.setdefault(info.ori_name, []).append(dict(res, patch=info))
        images: Dict[str, dict] = OrderedDict()
        for ori_name, patches in groups.items():
            merged = merge_detections(patches, self.nms_iou_thr)
            gt = None
            if self.gt_dir is None:
                gt = merge_patch_gts([
                    dict(
                        polys=p['gt_polys'],
                        labels=p['gt_labels'],
                        difficult=p['gt_difficult'],
                        patch=p['patch']) for p in patches
                ])
            images[ori_name] = dict(
                det=dict(
                    polys=boxes_to_poly(merged['boxes']),
                    scores=merged['scores'],
                    labels=merged['labels']),
                gt=gt)
        num_dets = sum(len(r['scores']) for r in results)
        logger.info(
            f'merged {len(results)} patches into {len(images)} images: '
            f'{num_dets} -> '
            f'{sum(len(i["det"]["scores"]) for i in images.values())} '
            f'detections (rotated NMS at IoU {self.nms_iou_thr})')
        if self.gt_dir is None and not self.format_only:
            logger.warning(
                'merge_patches without gt_dir: full-image ground truths are '
                "rebuilt from the patches' ones (identical polygons kept "
                'once); objects cut by the splitter may count more than '
                'once, so the mAP is approximate. Set gt_dir to the '
                'labelTxt folder of the full images for the official number.')
        return images

    def _ground_truth(self, name: str, img: dict, classes: List[str],
                      logger: MMLogger) -> dict:
        if img['gt'] is not None:
            return img['gt']
        from rotaug.datasets.dota_io import parse_dota_label_file

        path = osp.join(self.gt_dir, f'{name}.txt')
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'ground-truth file {path} of image {name!r} not found '
                f'(gt_dir={self.gt_dir!r})')
        objects, report = parse_dota_label_file(path, classes, strict=False)
        dropped = _get(report, 'num_dropped', None) or _get(
            report, 'dropped', None)
        if dropped:
            logger.warning(f'{path}: {report}')
        return dict(
            polys=np.array([o['poly'] for o in objects],
                           dtype=np.float64).reshape(-1, 8),
            labels=np.array([o['label'] for o in objects], dtype=np.int64),
            difficult=np.array([o['difficult'] for o in objects],
                               dtype=np.int64) != 0)

    @staticmethod
    def _warn_repaired(gts: List[dict], logger: MMLogger) -> None:
        repaired = sum(polygons_to_geoms(g['polys'])[1] for g in gts)
        if repaired:
            logger.warning(
                f'{repaired} self-intersecting ground-truth polygons are '
                'scored as their convex hulls')

    def _table(self, classes: List[str], class_results: List[dict],
               maps: np.ndarray) -> str:
        tags = [_thr_tag(t) for t in self.iou_thrs]
        header = ['class', 'gts', 'difficult', 'dets']
        for tag in tags:
            header += [f'recall{tag}', f'AP{tag}']
        rows = [header]

        def fmt(v: float) -> str:
            return '-' if np.isnan(v) else f'{v:.4f}'

        for cls, res in zip(classes, class_results):
            row = [cls, res['num_gts'], res['num_difficult'], res['num_dets']]
            for k in range(len(tags)):
                row += [fmt(res['recall'][k]), fmt(res['ap'][k])]
            rows.append([str(v) for v in row])
        last = ['mAP', '', '', '']
        for value in maps:
            last += ['', fmt(value)]
        rows.append(last)
        try:
            from terminaltables import AsciiTable
        except ImportError:  # pragma: no cover
            return '\n'.join(' | '.join(r) for r in rows)
        table = AsciiTable(rows)
        table.inner_footing_row_border = True
        return table.table
