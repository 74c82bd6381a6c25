"""Drawing boxes of every type on images (cv2), coloured by class."""
from typing import Optional, Sequence

import cv2
import numpy as np

from ..geometry import boxes_to_poly
from ..gt import box_type_of

_PALETTE = [(56, 56, 255), (151, 157, 255), (31, 112, 255), (29, 178, 255),
            (49, 210, 207), (10, 249, 72), (23, 204, 146), (134, 219, 61),
            (52, 147, 26), (187, 212, 0), (168, 153, 44), (255, 194, 0),
            (147, 69, 52), (255, 115, 100), (236, 24, 0)]


def class_color(label: int) -> tuple:
    return _PALETTE[int(label) % len(_PALETTE)]


def draw_boxes(img: np.ndarray,
               boxes: np.ndarray,
               labels: Optional[Sequence[int]] = None,
               classes: Optional[Sequence[str]] = None,
               ignore: Optional[Sequence[bool]] = None,
               scores: Optional[Sequence[float]] = None,
               thickness: int = 1) -> np.ndarray:
    """Draw hboxes (N, 4), rboxes (N, 5) or qboxes (N, 8) on a copy of a BGR
    image, in continuous pixel coordinates. Ignored boxes are drawn grey."""
    out = np.ascontiguousarray(img.copy())
    if len(boxes) == 0:  # e.g. a model that finds nothing above threshold
        return out
    boxes = np.asarray(boxes, np.float64).reshape(len(boxes), -1)
    box_type = box_type_of(boxes)
    polys = boxes_to_poly(boxes, box_type)
    for k, poly in enumerate(polys):
        label = 0 if labels is None else int(labels[k])
        color = (128, 128, 128) if ignore is not None and ignore[k] else \
            class_color(label)
        pts = np.round((poly - 0.5) * 16).astype(np.int32)
        cv2.polylines(out, [pts], True, color, thickness, cv2.LINE_AA,
                      shift=4)
        text = classes[label] if classes is not None else ''
        if scores is not None:
            text += f' {float(scores[k]):.2f}'
        if text:
            x, y = poly.min(0)
            cv2.putText(out, text, (int(x), max(int(y) - 2, 8)),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.3, color, 1,
                        cv2.LINE_AA)
    return out


def _box_array(boxes) -> np.ndarray:
    boxes = boxes.tensor if hasattr(boxes, 'tensor') else boxes
    if hasattr(boxes, 'detach'):
        boxes = boxes.detach().cpu().numpy()
    return np.asarray(boxes, np.float64)


def draw_det_sample(item: dict,
                    classes: Optional[Sequence[str]] = None) -> np.ndarray:
    """Draw a packed sample (``PackDetInputs`` output: ``inputs`` CHW
    tensor, ``data_samples`` with ``gt_instances`` and
    ``ignored_instances``): ground truths coloured by class, ignored ones
    grey. Returns a BGR uint8 image."""
    img = item['inputs']
    img = img.permute(1, 2, 0).cpu().numpy() if hasattr(
        img, 'permute') else np.asarray(img)
    img = np.ascontiguousarray(img.astype(np.uint8))
    if img.ndim == 2 or img.shape[2] == 1:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    ds = item['data_samples']
    parts = [(ds.gt_instances, False)]
    if 'ignored_instances' in ds:
        parts.append((ds.ignored_instances, True))
    boxes, labels, flags = [], [], []
    for inst, ignored in parts:
        if len(inst) == 0:
            continue
        b = _box_array(inst.bboxes)
        boxes.append(b)
        labels.append(np.asarray(inst.labels.cpu().numpy(), np.int64))
        flags.append(np.full(len(b), ignored))
    if not boxes:
        return img
    widths = {b.shape[1] for b in boxes}
    if len(widths) != 1:
        raise ValueError(f'mixed box types in one sample: {widths}')
    return draw_boxes(img, np.concatenate(boxes), np.concatenate(labels),
                      classes, np.concatenate(flags))


def mosaic(images: Sequence[np.ndarray], cols: int = 3) -> np.ndarray:
    """Tile images (top-left aligned, white gaps) into one picture."""
    h = max(i.shape[0] for i in images)
    w = max(i.shape[1] for i in images)
    rows = (len(images) + cols - 1) // cols
    out = np.full((rows * h, cols * w, 3), 255, np.uint8)
    for k, img in enumerate(images):
        r, c = divmod(k, cols)
        out[r * h:r * h + img.shape[0], c * w:c * w + img.shape[1]] = img
    return out
