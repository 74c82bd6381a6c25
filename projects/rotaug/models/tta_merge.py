"""Merging the predictions of several views of one image, all already in
the original image's coordinates: per-class rotated NMS and rotated
weighted box fusion, on exact polygon IoU.

Both group the boxes of one class the same way (greedy, by descending
score): the best remaining box and every remaining box whose IoU with it
exceeds ``iou_thr`` form a cluster (with NMS the cluster is what the best
box suppresses). NMS keeps the best box of each cluster; fusion replaces
the cluster by its score-weighted mean box:

- rboxes: each member is first brought to the representation nearest to
  the best box, over the angle's period (pi) and the equivalence of
  ``(w, h, t)`` and ``(h, w, t + pi / 2)``; then centres, sizes and angle
  offsets are averaged (boxes at +89.5 and -89.5 degrees fuse to 90);
- qboxes: each member's vertices are put in the order (direction and first
  vertex) nearest to the best box's, then averaged vertex by vertex;
- hboxes: the corners are averaged.

Cluster scores (``score_mode``): 'max' (the best member's, plain NMS) or
'avg': each view's best score in the cluster, summed and divided by the
number of views that could see the cluster (those in whose image its
centre lands), so that a box only one view of four finds is scored down,
as weighted box fusion does.

The IoU is the exact polygon IoU (shapely, float64,
:func:`rotaug.evaluation.poly_iou_matrix`): mmcv's ``box_iou_rotated``
(float32 CPU) can lose corners of the intersection polygon when two boxes
share their corners but are written differently (e.g. ``(w, h, t)`` and
``(h, w, t + pi / 2)``, IoU 1 computed as 1/3), and clustering must not
depend on it.
"""
from typing import List, NamedTuple, Optional

import numpy as np

from ..evaluation import poly_iou_matrix
from ..geometry import (align_qboxes, align_rboxes, boxes_to_poly,
                        regularize_rboxes)

MERGE_MODES = ('nms', 'wbf')
SCORE_MODES = ('max', 'avg')


class Clusters(NamedTuple):
    """Merged boxes of one image: ``boxes`` (K, D), ``labels`` (K,),
    ``view_scores`` (K, V): each view's best score in the cluster (0 when
    that view has no box in it), ``top`` (K,): the best score."""
    boxes: np.ndarray
    labels: np.ndarray
    view_scores: np.ndarray
    top: np.ndarray


def exact_ious(boxes: np.ndarray, box_type: str) -> np.ndarray:
    """(N, N) exact IoU of boxes of one type (float64)."""
    polys = boxes_to_poly(np.asarray(boxes, np.float64), box_type)
    polys = polys.reshape(-1, 8)
    return poly_iou_matrix(polys, polys)


def greedy_clusters(ious: np.ndarray, scores: np.ndarray,
                    iou_thr: float) -> List[np.ndarray]:
    """Indices of each cluster, the best box first: greedy by descending
    score (ties: input order), a box joins the cluster of the first better
    box it overlaps with IoU > ``iou_thr`` that still leads a cluster."""
    order = np.argsort(-scores, kind='stable')
    sub = ious[np.ix_(order, order)] > iou_thr
    free = np.ones(len(order), bool)
    clusters = []
    for i in range(len(order)):
        if not free[i]:
            continue
        members = np.flatnonzero(free & sub[i])
        members = np.concatenate([[i], members[members != i]])
        free[members] = False
        clusters.append(order[members])
    return clusters


def fuse(boxes: np.ndarray, weights: np.ndarray, box_type: str,
         angle_version: Optional[str] = 'le90') -> np.ndarray:
    """Score-weighted mean of one cluster (M, D), its best box first."""
    w = weights / max(float(weights.sum()), 1e-12)
    if box_type == 'rbox':
        out = (align_rboxes(boxes, boxes[0]) * w[:, None]).sum(0)[None]
        return out if angle_version is None else regularize_rboxes(
            out, angle_version)
    if box_type == 'qbox':
        return (align_qboxes(boxes, boxes[0]) * w[:, None]).sum(0)[None]
    return (boxes * w[:, None]).sum(0)[None]


def cluster_views(boxes: np.ndarray,
                  scores: np.ndarray,
                  labels: np.ndarray,
                  views: np.ndarray,
                  num_views: int,
                  box_type: str,
                  mode: str = 'wbf',
                  iou_thr: float = 0.55,
                  angle_version: Optional[str] = 'le90') -> Clusters:
    """Cluster the boxes of all views per class and merge each cluster
    (``mode`` 'nms': its best box; 'wbf': the fused box).

    Args:
        boxes (N, D), scores (N,), labels (N,): every view's boxes in the
            original image.
        views (N,): the view index of each box, in ``[0, num_views)``.
    """
    if mode not in MERGE_MODES:
        raise ValueError(f'merge mode must be one of {MERGE_MODES}, got '
                         f'{mode!r}')
    dim = boxes.shape[1] if boxes.ndim == 2 else 5
    out_boxes, out_labels, out_views, out_top = [], [], [], []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        cls_boxes, cls_scores = boxes[idx], scores[idx]
        ious = exact_ious(cls_boxes, box_type)
        for members in greedy_clusters(ious, cls_scores, iou_thr):
            mb, ms = cls_boxes[members], cls_scores[members]
            out_boxes.append(mb[:1] if mode == 'nms' else fuse(
                mb, ms, box_type, angle_version))
            vs = np.zeros(num_views)
            np.maximum.at(vs, views[idx[members]], ms)
            out_views.append(vs)
            out_labels.append(c)
            out_top.append(ms[0])
    if not out_boxes:
        return Clusters(np.zeros((0, dim)), np.zeros(0, np.int64),
                        np.zeros((0, num_views)), np.zeros(0))
    return Clusters(np.concatenate(out_boxes), np.asarray(out_labels,
                                                         np.int64),
                    np.stack(out_views), np.asarray(out_top))


def cluster_scores(clusters: Clusters, score_mode: str = 'avg',
                   visible: Optional[np.ndarray] = None) -> np.ndarray:
    """Scores of the merged boxes.

    Args:
        score_mode: 'max' (the best member's) or 'avg' (the views' best
            scores summed over the views that could see the cluster).
        visible (K, V) bool, optional: which views could see each cluster
            (default: all); a view that has a box in the cluster counts.
    """
    if score_mode not in SCORE_MODES:
        raise ValueError(f'score_mode must be one of {SCORE_MODES}, got '
                         f'{score_mode!r}')
    if score_mode == 'max':
        return clusters.top.copy()
    vs = clusters.view_scores
    if visible is None:
        support = np.full(len(vs), vs.shape[1])
    else:
        support = (visible | (vs > 0)).sum(1)
    return vs.sum(1) / np.maximum(support, 1)
