"""Pure functions of the official DOTA Task1 evaluation.

Everything here works on numpy arrays (``float64`` polygons of shape
``(N, 8)``: ``x1 y1 x2 y2 x3 y3 x4 y4``) and is usable without the metric
class. The scoring reproduces the DOTA devkit's ``dota_evaluation_task1.py``:

* one polygon IoU between a detection and every ground truth of its class in
  its (full) image; the detection goes to the ground truth of largest IoU and
  counts when that IoU is **strictly** greater than the threshold;
* a detection whose best ground truth is *difficult* is neither a true nor a
  false positive, and difficult ground truths are not positives;
* a ground truth is matched at most once: a later (lower score) detection
  whose best ground truth is already taken is a false positive (it does not
  fall back to its second best ground truth);
* detections are ranked by descending score over the whole data set (ties
  keep their input order: a stable sort, where the devkit's sort is not);
* VOC07 11-point AP on the devkit's thresholds ``np.arange(0., 1.1, 0.1)``
  (so ``0.30000000000000004``, ``0.6000000000000001`` and
  ``0.7000000000000001``: a recall of exactly 0.3 does not reach the 0.3
  point, as in the official script), or the area under the interpolated
  precision-recall curve.

The patch helpers that undo the DOTA devkit / MMRotate splitting are in
:mod:`rotaug.evaluation.patches`.
"""
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import shapely

from rotaug.geometry import hbox_to_poly as _core_hbox_to_poly
from rotaug.geometry import rbox_to_poly as _core_rbox_to_poly

#: VOC07 recall points, exactly as the DOTA devkit computes them.
VOC07_RECALL_POINTS = np.arange(0., 1.1, 0.1)


def _as_2d(boxes: np.ndarray) -> np.ndarray:
    boxes = np.asarray(boxes, dtype=np.float64)
    if boxes.size == 0:
        dim = boxes.shape[-1] if boxes.ndim == 2 else 8
        return boxes.reshape(0, dim)
    if boxes.ndim != 2:
        raise ValueError(f'boxes must be (N, 4|5|8), got {boxes.shape}')
    return boxes


def rbox_to_poly(rboxes: np.ndarray) -> np.ndarray:
    """Corners of rotated boxes ``(cx, cy, w, h, t)`` as ``(N, 8)`` float64,
    by rotaug's geometry core (:func:`rotaug.geometry.rbox_to_poly`; any
    angle version works)."""
    rboxes = _as_2d(rboxes)
    if rboxes.shape[1] != 5:
        raise ValueError(f'rboxes must be (N, 5), got {rboxes.shape}')
    return _core_rbox_to_poly(rboxes).reshape(-1, 8)


def boxes_to_poly(boxes: np.ndarray) -> np.ndarray:
    """Polygons of horizontal ``(N, 4)`` xyxy, rotated ``(N, 5)`` or
    quadrilateral ``(N, 8)`` boxes, told apart by their last dimension."""
    boxes = _as_2d(boxes)
    dim = boxes.shape[1]
    if dim == 8:
        return boxes.copy()
    if dim == 5:
        return rbox_to_poly(boxes)
    if dim == 4:
        return _core_hbox_to_poly(boxes).reshape(-1, 8)
    raise ValueError(f'boxes must be (N, 4|5|8), got {boxes.shape}')


def polygons_to_geoms(polys: np.ndarray) -> Tuple[np.ndarray, int]:
    """Shapely polygons of ``(N, 8)`` quadrilaterals.

    An invalid (self-intersecting) quadrilateral, typically a labelling
    error that swapped two corners, is replaced by its convex hull; the
    devkit's signed-area polygon IoU has no meaningful value for it.

    Returns:
        tuple: ``(geoms, num_repaired)``.
    """
    polys = _as_2d(polys)
    if polys.shape[1] != 8:
        raise ValueError(f'polygons must be (N, 8), got {polys.shape}')
    if len(polys) == 0:
        return np.empty(0, dtype=object), 0
    _check_finite(polys)
    geoms = shapely.polygons(polys.reshape(-1, 4, 2))
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        geoms[invalid] = shapely.convex_hull(geoms[invalid])
    return geoms, int(invalid.sum())


def _check_finite(polys: np.ndarray) -> None:
    finite = np.isfinite(polys).all(axis=1)
    if not finite.all():
        bad = int(np.flatnonzero(~finite)[0])
        raise ValueError(f'polygon {bad} has non-finite coordinates: '
                         f'{polys[bad].tolist()}')


def _hbb(polys: np.ndarray) -> np.ndarray:
    xs, ys = polys[:, 0::2], polys[:, 1::2]
    return np.stack([xs.min(1), ys.min(1), xs.max(1), ys.max(1)], axis=1)


def _shapely_pair_ious(polys1: np.ndarray, polys2: np.ndarray,
                       i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """IoU of the pairs ``(polys1[i], polys2[j])`` by shapely (invalid
    quadrilaterals repaired as in :func:`polygons_to_geoms`)."""
    ui, inv_i = np.unique(i, return_inverse=True)
    uj, inv_j = np.unique(j, return_inverse=True)
    g1, _ = polygons_to_geoms(polys1[ui])
    g2, _ = polygons_to_geoms(polys2[uj])
    g1, g2 = g1[inv_i.reshape(-1)], g2[inv_j.reshape(-1)]
    inter = shapely.area(shapely.intersection(g1, g2))
    union = shapely.area(g1) + shapely.area(g2) - inter
    ious = np.where(union > 0, inter / np.maximum(union, 1e-300), 0.)
    return np.clip(ious, 0., 1.)


def poly_iou_pairs(polys1: np.ndarray,
                   polys2: Optional[np.ndarray] = None,
                   min_iou: Optional[float] = None,
                   pairs: Optional[Tuple[np.ndarray, np.ndarray]] = None
                   ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact polygon IoU of the pairs of quadrilaterals whose bounding
    boxes overlap, as ``(rows, cols, ious)`` (without ``polys2``: the pairs
    of ``polys1`` with itself, ``rows < cols``; ``min_iou`` and ``pairs``
    as in :func:`rotaug.geometry.box_iou_pairs`).

    Convex quadrilaterals go through rotaug's exact convex kernel
    (:func:`rotaug.geometry.box_iou_pairs`, float64, equal to shapely to
    1e-9); a pair with a non-convex or self-intersecting one through
    shapely, the latter replaced by its convex hull (as
    :func:`polygons_to_geoms`).
    """
    from rotaug.geometry import box_iou_pairs
    polys1 = _as_2d(polys1)
    other = polys1 if polys2 is None else _as_2d(polys2)
    for p in (polys1, other):
        if p.shape[1] != 8:
            raise ValueError(f'polygons must be (N, 8), got {p.shape}')
        _check_finite(p)
    rows, cols, ious = box_iou_pairs(polys1, polys2, 'qbox',
                                     min_iou=min_iou, pairs=pairs)
    bad = np.isnan(ious)
    if bad.any():
        ious[bad] = _shapely_pair_ious(polys1, other, rows[bad], cols[bad])
    return rows, cols, ious


def poly_iou_matrix(polys1: np.ndarray,
                    polys2: np.ndarray,
                    pair_mask: Optional[np.ndarray] = None,
                    method: str = 'rotaug') -> np.ndarray:
    """Exact polygon IoU of every pair of two sets of quadrilaterals.

    Pairs whose bounding boxes are disjoint (or only touch), or that
    ``pair_mask`` rules out, get 0 without any polygon computation; the
    others go through :func:`poly_iou_pairs` (``method='rotaug'``) or one
    vectorised shapely intersection (``method='shapely'``, the reference,
    as before 2026-12-06).

    Args:
        polys1 (np.ndarray): ``(N, 8)``.
        polys2 (np.ndarray): ``(M, 8)``.
        pair_mask (np.ndarray, optional): ``(N, M)`` bool, pairs to compute.
        method (str): ``'rotaug'`` or ``'shapely'``.

    Returns:
        np.ndarray: ``(N, M)`` float64 IoU in ``[0, 1]``.
    """
    if method not in ('rotaug', 'shapely'):
        raise ValueError(f"method must be 'rotaug' or 'shapely', got "
                         f'{method!r}')
    polys1, polys2 = _as_2d(polys1), _as_2d(polys2)
    ious = np.zeros((len(polys1), len(polys2)), dtype=np.float64)
    if ious.size == 0:
        return ious
    _check_finite(polys1)
    _check_finite(polys2)
    if method == 'rotaug':
        from rotaug.geometry import candidate_pairs
        i, j = candidate_pairs(_hbb(polys1), _hbb(polys2))
        if pair_mask is not None:
            keep = np.asarray(pair_mask, bool)[i, j]
            i, j = i[keep], j[keep]
        if i.size:
            ious[i, j] = poly_iou_pairs(polys1, polys2, pairs=(i, j))[2]
        return ious
    b1, b2 = _hbb(polys1), _hbb(polys2)
    cand = ((b1[:, None, 0] < b2[None, :, 2])
            & (b2[None, :, 0] < b1[:, None, 2])
            & (b1[:, None, 1] < b2[None, :, 3])
            & (b2[None, :, 1] < b1[:, None, 3]))
    if pair_mask is not None:
        cand &= pair_mask
    i, j = np.nonzero(cand)
    if i.size:
        ious[i, j] = _shapely_pair_ious(polys1, polys2, i, j)
    return ious


def match_detections(ious: np.ndarray, gt_difficult: np.ndarray,
                     iou_thr: float) -> Tuple[np.ndarray, np.ndarray]:
    """Mark detections of one class in one image as TP / FP, devkit style.

    Args:
        ious (np.ndarray): ``(N, M)`` IoU of detections **already sorted by
            descending score** with the ground truths of the image.
        gt_difficult (np.ndarray): ``(M,)`` bool.
        iou_thr (float): a detection hits its best ground truth when their
            IoU is strictly greater than this.

    Returns:
        tuple: bool ``(tp, fp)`` of shape ``(N,)``; a detection whose best
        ground truth is difficult is in neither.
    """
    num_dets, num_gts = ious.shape
    tp = np.zeros(num_dets, dtype=bool)
    if num_gts == 0:
        return tp, np.ones(num_dets, dtype=bool)
    best = ious.argmax(axis=1)
    hit = ious[np.arange(num_dets), best] > iou_thr
    counted = hit & ~np.asarray(gt_difficult, dtype=bool)[best]
    idx = np.flatnonzero(counted)
    # the first (highest score) detection claiming a ground truth takes it,
    # the others are duplicates
    _, first = np.unique(best[idx], return_index=True)
    tp[idx[first]] = True
    fp = ~hit | (counted & ~tp)
    return tp, fp


def average_precision(recall: np.ndarray,
                      precision: np.ndarray,
                      use_07_metric: bool = True) -> float:
    """AP of a precision-recall curve, as the DOTA devkit's ``voc_ap``.

    Args:
        recall (np.ndarray): non-decreasing cumulative recall.
        precision (np.ndarray): cumulative precision.
        use_07_metric (bool): VOC07 11-point AP on
            :data:`VOC07_RECALL_POINTS` if True, else the area under the
            monotone precision envelope.

    Returns:
        float: AP in ``[0, 1]``.
    """
    recall = np.asarray(recall, dtype=np.float64)
    precision = np.asarray(precision, dtype=np.float64)
    if use_07_metric:
        if recall.size == 0:
            return 0.
        # max precision at recall >= t == envelope at the first such index
        envelope = np.maximum.accumulate(precision[::-1])[::-1]
        first = np.searchsorted(recall, VOC07_RECALL_POINTS, side='left')
        reached = first < recall.size
        return float(envelope[first[reached]].sum() / len(VOC07_RECALL_POINTS))
    mrec = np.concatenate(([0.], recall, [1.]))
    mpre = np.concatenate(([0.], precision, [0.]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    steps = np.flatnonzero(mrec[1:] != mrec[:-1])
    return float(np.sum((mrec[steps + 1] - mrec[steps]) * mpre[steps + 1]))


def _match_image(det: dict, ann: dict, num_classes: int,
                 thrs: np.ndarray) -> Tuple[np.ndarray, np.ndarray, dict]:
    """Positives, difficult counts and per-class ``(scores, tp, fp)`` of
    one image, detections in descending score order."""
    det_polys = _as_2d(det['polys'])
    det_scores = np.asarray(det['scores'], dtype=np.float64).reshape(-1)
    det_labels = np.asarray(det['labels'], dtype=np.int64).reshape(-1)
    gt_polys = _as_2d(ann['polys'])
    gt_labels = np.asarray(ann['labels'], dtype=np.int64).reshape(-1)
    gt_difficult = np.asarray(ann['difficult'], dtype=bool).reshape(-1)
    if not len(det_polys) == len(det_scores) == len(det_labels):
        raise ValueError(f'{len(det_polys)} detection polygons, '
                         f'{len(det_scores)} scores, {len(det_labels)} labels')
    if not len(gt_polys) == len(gt_labels) == len(gt_difficult):
        raise ValueError(f'{len(gt_polys)} ground-truth polygons, '
                         f'{len(gt_labels)} labels, '
                         f'{len(gt_difficult)} difficult flags')
    _check_labels(det_labels, num_classes, 'detection')
    _check_labels(gt_labels, num_classes, 'ground truth')
    num_gts = np.bincount(gt_labels[~gt_difficult], minlength=num_classes)
    num_difficult = np.bincount(gt_labels[gt_difficult], minlength=num_classes)
    per_class = {}
    if det_labels.size:
        ious = poly_iou_matrix(
            det_polys,
            gt_polys,
            pair_mask=det_labels[:, None] == gt_labels[None, :])
        for c in np.unique(det_labels):
            di = np.flatnonzero(det_labels == c)
            di = di[np.argsort(-det_scores[di], kind='stable')]
            gi = np.flatnonzero(gt_labels == c)
            sub = ious[np.ix_(di, gi)]
            matches = [
                match_detections(sub, gt_difficult[gi], t) for t in thrs
            ]
            per_class[int(c)] = (det_scores[di],
                                 np.stack([m[0] for m in matches]),
                                 np.stack([m[1] for m in matches]))
    return num_gts, num_difficult, per_class


def match_images(det_results: Sequence[dict],
                 annotations: Sequence[dict],
                 num_classes: int,
                 iou_thrs: Union[float, Sequence[float]] = 0.5,
                 names: Optional[Sequence[str]] = None) -> List[tuple]:
    """The matching step of :func:`eval_dota_map`, image by image.

    A detection's true / false positive flags depend only on its own
    image, so matching once and ranking many times (:func:`accumulate_map`
    on resampled image sets, a bootstrap over images) gives each resample's
    exact AP.

    Args: as :func:`eval_dota_map`.

    Returns:
        list[tuple]: per image ``(num_gts, num_difficult, per_class)``:
        ``(num_classes,)`` counts and ``{class: (scores, tp, fp)}``, the
        detections in descending score order, ``tp`` / ``fp`` bool
        ``(num_thrs, N)``.
    """
    if len(det_results) != len(annotations):
        raise ValueError(f'{len(det_results)} detection results but '
                         f'{len(annotations)} annotations')
    thrs = np.atleast_1d(np.asarray(iou_thrs, dtype=np.float64))
    matched = []
    for i, (det, ann) in enumerate(zip(det_results, annotations)):
        try:
            matched.append(_match_image(det, ann, num_classes, thrs))
        except ValueError as e:
            name = names[i] if names is not None else f'#{i}'
            raise ValueError(f'image {name}: {e}') from e
    return matched


def accumulate_map(matched: Sequence[tuple],
                   num_classes: int,
                   iou_thrs: Union[float, Sequence[float]] = 0.5,
                   use_07_metric: bool = True,
                   images: Optional[Sequence[int]] = None) -> List[dict]:
    """Per-class results of the images ``matched`` (:func:`match_images`).

    Args:
        matched (Sequence[tuple]): :func:`match_images`'s output.
        num_classes (int): number of classes.
        iou_thrs (float | Sequence[float]): the thresholds ``matched`` was
            matched at.
        use_07_metric (bool): see :func:`average_precision`.
        images (Sequence[int], optional): the indices of the images scored,
            repeats allowed (each repeat counts as one more image); all of
            them, once each, if None.

    Returns:
        list[dict]: as :func:`eval_dota_map`.
    """
    num_thrs = np.atleast_1d(np.asarray(iou_thrs)).size
    if images is None:
        images = range(len(matched))
    num_gts = np.zeros(num_classes, dtype=np.int64)
    num_difficult = np.zeros(num_classes, dtype=np.int64)
    scores: List[List[np.ndarray]] = [[] for _ in range(num_classes)]
    tps: List[List[np.ndarray]] = [[] for _ in range(num_classes)]
    fps: List[List[np.ndarray]] = [[] for _ in range(num_classes)]
    for i in images:
        gts, diffs, per_class = matched[i]
        num_gts += gts
        num_difficult += diffs
        for c, (s, tp, fp) in per_class.items():
            scores[c].append(s)
            tps[c].append(tp)
            fps[c].append(fp)

    results = []
    for c in range(num_classes):
        num_dets = sum(len(s) for s in scores[c])
        recall = np.full(num_thrs, np.nan)
        ap = np.full(num_thrs, np.nan)
        if num_gts[c] > 0:
            if num_dets == 0:
                recall[:], ap[:] = 0., 0.
            else:
                order = np.argsort(-np.concatenate(scores[c]), kind='stable')
                tp = np.cumsum(np.concatenate(tps[c], axis=1)[:, order], 1)
                fp = np.cumsum(np.concatenate(fps[c], axis=1)[:, order], 1)
                rec = tp / num_gts[c]
                prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
                if tp.shape[0] != num_thrs:
                    raise ValueError(f'matched at {tp.shape[0]} IoU '
                                     f'thresholds, not {num_thrs}')
                for k in range(num_thrs):
                    recall[k] = rec[k, -1]
                    ap[k] = average_precision(rec[k], prec[k], use_07_metric)
        results.append(
            dict(
                num_gts=int(num_gts[c]),
                num_difficult=int(num_difficult[c]),
                num_dets=int(num_dets),
                recall=recall,
                ap=ap))
    return results


def eval_dota_map(det_results: Sequence[dict],
                  annotations: Sequence[dict],
                  num_classes: int,
                  iou_thrs: Union[float, Sequence[float]] = 0.5,
                  use_07_metric: bool = True,
                  names: Optional[Sequence[str]] = None) -> List[dict]:
    """Per-class DOTA Task1 results over a set of (full) images.

    Args:
        det_results (Sequence[dict]): one dict per image with ``polys``
            ``(N, 8)``, ``scores`` ``(N,)`` and ``labels`` ``(N,)``.
        annotations (Sequence[dict]): one dict per image, same order, with
            ``polys`` ``(M, 8)``, ``labels`` ``(M,)`` and ``difficult``
            ``(M,)`` bool.
        num_classes (int): number of classes.
        iou_thrs (float | Sequence[float]): IoU thresholds.
        use_07_metric (bool): see :func:`average_precision`.
        names (Sequence[str], optional): image names, for error messages.

    Returns:
        list[dict]: per class, ``num_gts`` (non-difficult), ``num_difficult``,
        ``num_dets``, ``recall`` and ``ap`` (float64 arrays over the
        thresholds; NaN for a class without any non-difficult ground truth,
        whose recall is undefined).
    """
    thrs = np.atleast_1d(np.asarray(iou_thrs, dtype=np.float64))
    matched = match_images(det_results, annotations, num_classes, thrs, names)
    return accumulate_map(matched, num_classes, thrs, use_07_metric)


def mean_ap(class_results: Sequence[dict],
            ignore_empty_classes: bool = True) -> np.ndarray:
    """mAP per IoU threshold from :func:`eval_dota_map`'s results.

    Args:
        class_results (Sequence[dict]): per-class results.
        ignore_empty_classes (bool): average over the classes with at least
            one non-difficult ground truth (as MMDetection / MMRotate) if
            True; if False, such classes score 0 and are averaged in, as the
            devkit's script (whose ``tp / npos`` gives NaN recalls there,
            hence an 11-point AP of 0). Both agree on the DOTA test sets,
            where every class has ground truths.

    Returns:
        np.ndarray: ``(num_thrs,)``; NaN if no class can be averaged.
    """
    aps = np.stack([r['ap'] for r in class_results])
    valid = np.array([r['num_gts'] > 0 for r in class_results])
    if not ignore_empty_classes:
        return np.where(valid[:, None], aps, 0.).mean(axis=0)
    if not valid.any():
        return np.full(aps.shape[1], np.nan)
    return aps[valid].mean(axis=0)


def _check_labels(labels: np.ndarray, num_classes: int, what: str) -> None:
    bad = (labels < 0) | (labels >= num_classes)
    if bad.any():
        raise ValueError(f'{what} label {int(labels[bad][0])} is out of '
                         f'range for {num_classes} classes')
