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

The IoU is exact (float64, :func:`rotaug.geometry.box_iou_pairs`; qboxes
that are not convex by shapely, :func:`rotaug.evaluation.poly_iou_pairs`):
mmcv's ``box_iou_rotated`` (float32 CPU) can lose corners of the
intersection polygon when two boxes share their corners but are written
differently (e.g. ``(w, h, t)`` and ``(h, w, t + pi / 2)``, IoU 1 computed
as 1/3), and clustering must not depend on it. Only the pairs whose extents
overlap (and whose IoU can exceed the threshold) are measured, and the
greedy grouping runs on that sparse list
(:func:`rotaug.geometry.greedy_groups`); the fusion is one pass over all
clusters. :func:`cluster_views_dense` is the same merge on a dense IoU
matrix and one cluster at a time (the reference of the tests and of
``tools/benchmarks/iou_speed.py``).
"""
from typing import Callable, List, NamedTuple, Optional, Tuple

import numpy as np

from ..evaluation import poly_iou_matrix, poly_iou_pairs
from ..geometry import (align_qboxes, align_rboxes, box_iou_pairs, box_ious,
                        boxes_to_poly, greedy_groups, regularize_rboxes)

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
    boxes = np.asarray(boxes, np.float64)
    if box_type == 'qbox':
        return poly_iou_matrix(boxes, boxes)
    return box_ious(boxes, boxes, box_type)


def shapely_ious(boxes: np.ndarray, box_type: str) -> np.ndarray:
    """(N, N) IoU of the boxes' polygons by shapely (the reference)."""
    polys = boxes_to_poly(np.asarray(boxes, np.float64), box_type)
    polys = polys.reshape(-1, 8)
    return poly_iou_matrix(polys, polys, method='shapely')


def iou_pairs(boxes: np.ndarray, box_type: str,
              min_iou: Optional[float] = None
              ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, cols, ious)``, ``rows < cols``: the exact IoU of the pairs
    of ``boxes`` that can overlap (with ``min_iou``: that can exceed it;
    see :func:`rotaug.geometry.box_iou_pairs`)."""
    boxes = np.asarray(boxes, np.float64)
    if box_type == 'qbox':
        return poly_iou_pairs(boxes, min_iou=min_iou)
    return box_iou_pairs(boxes, None, box_type, min_iou=min_iou)


def greedy_clusters(ious: np.ndarray, scores: np.ndarray,
                    iou_thr: float) -> List[np.ndarray]:
    """Indices of each cluster, the best box first, from a dense IoU
    matrix: greedy by descending score (ties: input order), a box joins the
    cluster of the first better box it overlaps with IoU > ``iou_thr``
    that still leads a cluster. (The reference; :func:`cluster_views`
    groups the same way on sparse pairs.)"""
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


def fuse_groups(boxes: np.ndarray, weights: np.ndarray, starts: np.ndarray,
                box_type: str, angle_version: Optional[str] = 'le90'
                ) -> np.ndarray:
    """:func:`fuse` of every cluster at once, bit for bit: ``boxes`` (M, D)
    and ``weights`` (M,) cluster by cluster, each cluster's best box first;
    ``starts`` (K,) where each cluster begins. Returns (K, D). Clusters of
    one size go together (numpy sums a (K, m) axis as it sums each (m,))."""
    dim = boxes.shape[1]
    sizes = np.diff(np.r_[starts, len(boxes)])
    out = np.empty((len(starts), dim), np.result_type(boxes, weights))
    for m in np.unique(sizes):
        ks = np.flatnonzero(sizes == m)
        rows = starts[ks][:, None] + np.arange(m)
        b, wts = boxes[rows], weights[rows]
        w = wts / np.maximum(wts.sum(1), 1e-12)[:, None]
        flat = b.reshape(-1, dim)
        lead = np.repeat(b[:, 0], m, axis=0)
        if box_type == 'rbox':
            b = align_rboxes(flat, lead).reshape(b.shape)
        elif box_type == 'qbox':
            b = align_qboxes(flat, lead).reshape(b.shape)
        out[ks] = (b * w[..., None]).sum(1)
    if box_type == 'rbox' and angle_version is not None:
        out = regularize_rboxes(out, angle_version)
    return out


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
    boxes = np.asarray(boxes).reshape(-1, dim)
    scores = np.asarray(scores).reshape(-1)
    labels, views = np.asarray(labels).reshape(-1), np.asarray(views)
    out_boxes, out_labels, out_views, out_top = [], [], [], []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        cls_boxes, cls_scores = boxes[idx], scores[idx]
        rows, cols, ious = iou_pairs(cls_boxes, box_type, min_iou=iou_thr)
        hit = ious > iou_thr
        order, group = greedy_groups(cls_scores, rows[hit], cols[hit])
        # the members cluster by cluster, each in score order (its leader
        # first)
        members = order[np.argsort(group[order], kind='stable')]
        grp = group[members]
        starts = np.flatnonzero(np.r_[True, grp[1:] != grp[:-1]])
        mb, ms = cls_boxes[members], cls_scores[members]
        out_boxes.append(mb[starts] if mode == 'nms' else fuse_groups(
            mb, ms, starts, box_type, angle_version))
        vs = np.zeros((len(starts), num_views))
        np.maximum.at(vs, (grp, views[idx[members]]), ms)
        out_views.append(vs)
        out_labels.append(np.full(len(starts), c, np.int64))
        out_top.append(ms[starts])
    if not out_boxes:
        return Clusters(np.zeros((0, dim)), np.zeros(0, np.int64),
                        np.zeros((0, num_views)), np.zeros(0))
    return Clusters(np.concatenate(out_boxes), np.concatenate(out_labels),
                    np.concatenate(out_views), np.concatenate(out_top))


def cluster_views_dense(boxes: np.ndarray,
                        scores: np.ndarray,
                        labels: np.ndarray,
                        views: np.ndarray,
                        num_views: int,
                        box_type: str,
                        mode: str = 'wbf',
                        iou_thr: float = 0.55,
                        angle_version: Optional[str] = 'le90',
                        ious: Callable = shapely_ious) -> Clusters:
    """:func:`cluster_views` as it was before the sparse path: a dense
    (N, N) IoU matrix per class (``ious(boxes, box_type)``, shapely by
    default), :func:`greedy_clusters` and one :func:`fuse` per cluster.
    The reference of the tests and of the benchmark; quadratic in memory.
    """
    if mode not in MERGE_MODES:
        raise ValueError(f'merge mode must be one of {MERGE_MODES}, got '
                         f'{mode!r}')
    dim = boxes.shape[1] if boxes.ndim == 2 else 5
    out_boxes, out_labels, out_views, out_top = [], [], [], []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        cls_boxes, cls_scores = boxes[idx], scores[idx]
        matrix = ious(cls_boxes, box_type)
        for members in greedy_clusters(matrix, cls_scores, iou_thr):
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
