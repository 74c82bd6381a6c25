"""Synthetic scenes for the fidelity tests: oriented rectangles painted into
a label map with their ids (continuous pixel convention)."""
import cv2
import numpy as np
from shapely.geometry import Polygon
from shapely.geometry import box as sbox

from rotaug.geometry import apply_matrix, rbox_to_poly

SHIFT = 8  # cv2 sub-pixel bits


def paint(label_map: np.ndarray, poly: np.ndarray, value: int) -> None:
    """Fill a polygon given in continuous coordinates (pixel i covers
    [i, i+1)); cv2 addresses pixel centres, hence the -0.5."""
    pts = np.round((poly - 0.5) * (1 << SHIFT)).astype(np.int32)
    cv2.fillPoly(label_map, [pts], int(value), lineType=cv2.LINE_8,
                 shift=SHIFT)


def make_scene(rng: np.random.Generator, size=(256, 192), n=40,
               margin=30, min_side=6, max_side=60):
    """Random oriented rectangles, some crossing or outside the border,
    painted with ids 1..n (later ones on top, so keep them apart)."""
    w, h = size
    rboxes = []
    label = np.zeros((h, w), np.uint8)
    occupied = np.zeros((h + 2 * 200, w + 2 * 200), bool)
    tries = 0
    while len(rboxes) < n and tries < n * 50:
        tries += 1
        cx = rng.uniform(-margin, w + margin)
        cy = rng.uniform(-margin, h + margin)
        bw, bh = rng.uniform(min_side, max_side, 2)
        t = rng.uniform(-np.pi, np.pi)
        rb = np.array([cx, cy, bw, bh, t])
        poly = rbox_to_poly(rb[None])[0]
        mask = np.zeros_like(occupied, np.uint8)
        paint(mask, poly + 200, 1)
        dil = cv2.dilate(mask, np.ones((5, 5), np.uint8)).astype(bool)
        if (dil & occupied).any():
            continue
        occupied |= mask.astype(bool)
        rboxes.append(rb)
        paint(label, poly, len(rboxes))
    return label, np.array(rboxes).reshape(-1, 5)


def exact_visible(poly: np.ndarray, matrix: np.ndarray, w: int, h: int,
                  src=None):
    """The visible part of an object after ``matrix``: the object cut to
    the source image ``src`` (w, h) when given (outside it there are no
    pixels to carry), turned, cut to the ``w`` x ``h`` canvas; and the
    whole turned object."""
    turned = apply_matrix(poly[None], matrix)[0]
    full = Polygon(turned)
    if src is not None:
        part = Polygon(poly).intersection(sbox(0, 0, *src))
        if part.geom_type != 'Polygon' or part.area == 0:
            return Polygon(), full
        pts = np.asarray(part.exterior.coords)[:-1]
        turned = apply_matrix(pts[None], matrix)[0]
        return Polygon(turned).intersection(sbox(0, 0, w, h)), full
    return full.intersection(sbox(0, 0, w, h)), full


def iou(a, b) -> float:
    inter = a.intersection(b).area
    union = a.union(b).area
    return inter / union if union > 0 else 0.0
