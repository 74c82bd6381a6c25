"""Split DOTA images: patch names, boxes of a patch back in the full image,
merging the patches' detections and ground truths, and the Task1
submission files."""
import os
import os.path as osp
import re
import zipfile
from typing import Dict, List, NamedTuple, Optional, Sequence

import numpy as np
import torch

from rotaug.geometry import exact_nms

from .functional import (_as_2d, _check_labels, boxes_to_poly,
                         poly_iou_pairs)

#: A middle field of a patch name at most this large is a devkit resize
#: rate, above it an MMRotate window size (see :func:`parse_patch_name`).
MAX_PATCH_RATE = 10.0


_PATCH_NAME = re.compile(
    r'^(?P<ori>.+)__(?P<mid>\d+(?:\.\d*)?)__(?P<x>\d+)___(?P<y>\d+)$')


class PatchInfo(NamedTuple):
    """Where a patch comes from.

    A point ``p`` of the patch lies at ``(p + (x, y)) / rate`` in the
    original image.
    """
    ori_name: str
    x: int
    y: int
    rate: float


def parse_patch_name(name: str, naming: str = 'auto') -> PatchInfo:
    """Parse a split patch name ``{ori}__{mid}__{x}___{y}``.

    Two tools write such names:

    * the DOTA devkit's ``ImgSplit`` resizes the image by ``rate`` and then
      crops it: ``mid`` is ``str(rate)`` (``1``, ``0.5``, ``1.5``) and
      ``x``, ``y`` are offsets in the resized image;
    * MMRotate's ``tools/data/dota/split/img_split.py`` crops windows of the
      original image (a rate changes the window size instead): ``mid`` is
      the window size (``1024``) and ``x``, ``y`` are original offsets.

    Args:
        name (str): Patch name, without directory or extension.
        naming (str): ``'rate'``, ``'size'`` or ``'auto'``: a middle field
            with a decimal point or at most :data:`MAX_PATCH_RATE` is a rate,
            anything else a window size. Defaults to ``'auto'``.

    Returns:
        PatchInfo: original image name, offsets and rate (1 for sizes).
    """
    if naming not in ('auto', 'rate', 'size'):
        raise ValueError(
            f"naming must be 'auto', 'rate' or 'size', got {naming!r}")
    match = _PATCH_NAME.match(name)
    if match is None:
        raise ValueError(
            f'{name!r} is not a split patch name of the form '
            "'{ori}__{rate or size}__{x}___{y}' (e.g. 'P0001__1024__0___0' "
            "or 'P0001__0.5__824___0')")
    mid = match['mid']
    if naming == 'auto':
        is_rate = '.' in mid or float(mid) <= MAX_PATCH_RATE
    else:
        is_rate = naming == 'rate'
    rate = float(mid) if is_rate else 1.0
    if rate <= 0:
        raise ValueError(f'patch {name!r} has a non-positive rate {mid}')
    return PatchInfo(match['ori'], int(match['x']), int(match['y']), rate)


def patch_to_full(boxes: np.ndarray,
                  x: float,
                  y: float,
                  rate: float = 1.0) -> np.ndarray:
    """Map boxes of a patch at offset ``(x, y)`` of an image resized by
    ``rate`` back to the original image: ``p -> (p + (x, y)) / rate``.

    Works on ``(N, 5)`` rotated boxes (angle kept, sizes divided by the
    rate) and ``(N, 8)`` polygons.
    """
    boxes = _as_2d(boxes).copy()
    dim = boxes.shape[1]
    if dim == 5:
        boxes[:, :2] += (x, y)
        boxes[:, :4] /= rate
    elif dim == 8:
        boxes += np.tile([x, y], 4)
        boxes /= rate
    else:
        raise ValueError(f'boxes must be (N, 5|8), got {boxes.shape}')
    return boxes


def batched_nms(boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray,
                iou_thr: float, method: str = 'exact') -> np.ndarray:
    """Per-class NMS of rotated ``(N, 5)`` boxes or quadrilaterals
    ``(N, 8)``; a box is dropped when its IoU with a kept, higher scored
    box exceeds ``iou_thr``.

    ``method='exact'`` (default): greedy NMS on exact float64 IoU
    (:func:`rotaug.geometry.exact_nms`; quadrilaterals through
    :func:`rotaug.evaluation.poly_iou_pairs`, which leaves non-convex ones
    to shapely). ``method='mmcv'``: ``mmcv.ops.nms_rotated`` /
    ``nms_quadri`` in float32, as before 2026-12-06: it can keep both
    copies of one object that two patches wrote differently (the same box
    as ``(w, h, t)`` and ``(h, w, t + pi / 2)``, see docs/benchmarks.md).

    Returns:
        np.ndarray: indices of the kept boxes, by class then descending
        score (ties: input order).
    """
    boxes = _as_2d(boxes)
    scores = np.asarray(scores).reshape(-1)
    labels = np.asarray(labels).reshape(-1)
    if boxes.shape[1] not in (5, 8):
        raise ValueError(f'NMS needs (N, 5) or (N, 8) boxes, got '
                         f'{boxes.shape}')
    if method not in ('exact', 'mmcv'):
        raise ValueError(f"method must be 'exact' or 'mmcv', got "
                         f'{method!r}')
    keep = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        if idx.size > 1:
            idx = idx[_nms(boxes[idx], scores[idx], float(iou_thr), method)]
        keep.append(idx)
    if not keep:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(keep).astype(np.int64)


def _nms(boxes: np.ndarray, scores: np.ndarray, iou_thr: float,
         method: str) -> np.ndarray:
    if method == 'exact':
        if boxes.shape[1] == 8:
            return exact_nms(boxes, scores, iou_thr, 'qbox',
                             iou_pairs=poly_iou_pairs)
        return exact_nms(boxes, scores, iou_thr, 'rbox')
    from mmcv.ops import nms_quadri, nms_rotated
    nms = nms_rotated if boxes.shape[1] == 5 else nms_quadri
    _, kept = nms(
        torch.from_numpy(boxes).float(),
        torch.from_numpy(np.asarray(scores, np.float64)).float(), iou_thr)
    return kept.cpu().numpy()


def merge_detections(patches: Sequence[dict],
                     nms_iou_thr: float = 0.1) -> dict:
    """Merge the detections of the patches of one image.

    Args:
        patches (Sequence[dict]): per patch, ``boxes`` ``(N, 5|8)`` in patch
            coordinates, ``scores``, ``labels`` and ``patch`` (a
            :class:`PatchInfo`).
        nms_iou_thr (float): IoU threshold of the per-class NMS.

    Returns:
        dict: ``boxes`` (rotated boxes if every patch gave rotated boxes,
        else polygons), ``scores`` and ``labels`` in full-image coordinates.
    """
    dims = {_as_2d(p['boxes']).shape[1] for p in patches if len(p['boxes'])}
    to_poly = len(dims) > 1 or 8 in dims
    boxes, scores, labels = [], [], []
    for p in patches:
        b = _as_2d(p['boxes'])
        if to_poly and b.shape[1] != 8:
            b = boxes_to_poly(b)
        info = p['patch']
        boxes.append(
            patch_to_full(b, info.x, info.y, info.rate) if len(b) else b.
            reshape(0, 8 if to_poly else 5))
        scores.append(np.asarray(p['scores'], np.float64).reshape(-1))
        labels.append(np.asarray(p['labels'], np.int64).reshape(-1))
    boxes = np.concatenate(boxes) if boxes else np.zeros((0, 5))
    scores = np.concatenate(scores) if scores else np.zeros(0)
    labels = np.concatenate(labels) if labels else np.zeros(0, np.int64)
    keep = batched_nms(boxes, scores, labels, nms_iou_thr)
    return dict(boxes=boxes[keep], scores=scores[keep], labels=labels[keep])


def merge_patch_gts(patches: Sequence[dict], decimals: int = 2) -> dict:
    """Approximate full-image ground truths from the patches' ones.

    Polygons are mapped back to the original image and identical ones
    (same label, same corners to ``decimals``) kept once; the result is
    not difficult if any copy is not (the devkit marks truncated parts as
    difficult). Objects cut by the splitter (the devkit clips them) are not
    recognised as copies: prefer the original label files.

    Args:
        patches (Sequence[dict]): per patch ``polys`` ``(M, 8)`` in patch
            coordinates, ``labels``, ``difficult`` and ``patch``.
        decimals (int): rounding of the corners before comparing.

    Returns:
        dict: ``polys``, ``labels`` and ``difficult`` of the image.
    """
    polys, labels, difficult = [], [], []
    for p in patches:
        info = p['patch']
        polys.append(
            patch_to_full(
                _as_2d(p['polys']).reshape(-1, 8), info.x, info.y, info.rate))
        labels.append(np.asarray(p['labels'], np.int64).reshape(-1))
        difficult.append(np.asarray(p['difficult'], bool).reshape(-1))
    if not polys:
        return dict(
            polys=np.zeros((0, 8)),
            labels=np.zeros(0, np.int64),
            difficult=np.zeros(0, bool))
    polys, labels = np.concatenate(polys), np.concatenate(labels)
    difficult = np.concatenate(difficult)
    keys = np.concatenate(
        [labels[:, None].astype(np.float64),
         np.round(polys, decimals) + 0.],
        axis=1)  # +0. folds -0. into 0.
    _, first, inverse = np.unique(
        keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    all_difficult = np.ones(len(first), dtype=bool)
    np.logical_and.at(all_difficult, inverse, difficult)
    order = np.argsort(first)  # keep the input order of first copies
    return dict(
        polys=polys[first[order]],
        labels=labels[first[order]],
        difficult=all_difficult[order])


def write_task1_files(out_dir: str,
                      classes: Sequence[str],
                      results: Dict[str, dict],
                      zip_name: Optional[str] = None) -> List[str]:
    """Write DOTA Task1 submission files.

    One ``Task1_<class>.txt`` per class (written even when empty), lines
    ``<image> <score> x1 y1 x2 y2 x3 y3 x4 y4``.

    Args:
        out_dir (str): directory, created if missing; existing Task1 files
            are overwritten.
        classes (Sequence[str]): class names, indexed by the labels.
        results (dict[str, dict]): image name to ``polys``, ``scores``,
            ``labels``.
        zip_name (str, optional): also pack the files into
            ``out_dir/zip_name`` for the evaluation server.

    Returns:
        list[str]: paths written (the zip last, if any).
    """
    os.makedirs(out_dir, exist_ok=True)
    lines: List[List[str]] = [[] for _ in classes]
    for name, res in results.items():
        polys = _as_2d(res['polys'])
        scores = np.asarray(res['scores'], np.float64).reshape(-1)
        labels = np.asarray(res['labels'], np.int64).reshape(-1)
        _check_labels(labels, len(classes), f'image {name!r}: detection')
        for poly, score, label in zip(polys, scores, labels):
            coords = ' '.join(f'{v:.2f}' for v in poly)
            lines[label].append(f'{name} {score:.6f} {coords}\n')
    paths = []
    for cls, cls_lines in zip(classes, lines):
        path = osp.join(out_dir, f'Task1_{cls}.txt')
        with open(path, 'w') as f:
            f.writelines(cls_lines)
        paths.append(path)
    if zip_name is not None:
        zip_path = osp.join(out_dir, zip_name)
        with zipfile.ZipFile(zip_path, 'w', zipfile.ZIP_DEFLATED) as zf:
            for path in paths:
                zf.write(path, osp.basename(path))
        paths.append(zip_path)
    return paths
