"""Rotation matrices in mmdet's continuous pixel convention.

Convention (pinned by tests): pixel ``i`` covers ``[i, i + 1)``, so an image
of width ``w`` spans ``[0, w]`` and its centre is ``(w / 2, h / 2)``. Angles
are in degrees, positive = clockwise on screen (y points down), as in
MMRotate. OpenCV addresses pixel ``i`` by its centre, i.e. continuous
``i + 0.5``; :func:`to_cv2_affine` is the single place where the two are
reconciled.
"""
import math
from typing import Optional, Sequence, Tuple

import numpy as np


def rotation_matrix(angle: float,
                    center: Tuple[float, float],
                    new_center: Optional[Tuple[float, float]] = None
                    ) -> np.ndarray:
    """3x3 homography that rotates by ``angle`` degrees clockwise about
    ``center`` and moves the centre to ``new_center`` (default: in place).

    A point ``p`` maps to ``R @ (p - center) + new_center`` with
    ``R = [[cos a, -sin a], [sin a, cos a]]``: clockwise on screen because the
    y axis points down.
    """
    a = math.radians(float(angle))
    c, s = math.cos(a), math.sin(a)
    # exact values at multiples of 90 degrees keep boxes on integer grids
    if abs(c) < 1e-15:
        c = 0.0
    if abs(s) < 1e-15:
        s = 0.0
    cx, cy = center
    ncx, ncy = center if new_center is None else new_center
    return np.array([[c, -s, ncx - c * cx + s * cy],
                     [s, c, ncy - s * cx - c * cy],
                     [0.0, 0.0, 1.0]], dtype=np.float64)


def canvas_after_rotation(width: int, height: int, angle: float,
                          expand: bool) -> Tuple[int, int]:
    """Width and height of the output canvas. With ``expand`` the canvas grows
    so that no corner of the image is lost (sizes rounded up, with a small
    tolerance so that 90 degrees gives exactly (h, w))."""
    if not expand:
        return int(width), int(height)
    a = math.radians(float(angle))
    c, s = abs(math.cos(a)), abs(math.sin(a))
    new_w = width * c + height * s
    new_h = width * s + height * c
    return int(math.ceil(new_w - 1e-6)), int(math.ceil(new_h - 1e-6))


def image_rotation(width: int, height: int, angle: float,
                   expand: bool = False) -> Tuple[np.ndarray, Tuple[int, int]]:
    """The homography (continuous coordinates) and output ``(w, h)`` for
    rotating an image of ``width`` x ``height`` about its centre."""
    new_w, new_h = canvas_after_rotation(width, height, angle, expand)
    matrix = rotation_matrix(angle, (width / 2.0, height / 2.0),
                             (new_w / 2.0, new_h / 2.0))
    return matrix, (new_w, new_h)


def rotation_matrices(angles: Sequence[float], widths: Sequence[float],
                      heights: Sequence[float]) -> np.ndarray:
    """(B, 3, 3) homographies turning each image of a batch by its angle
    (degrees, clockwise) about its own centre, canvas unchanged:
    :func:`image_rotation` of each (without ``expand``)."""
    if not len(angles):
        return np.zeros((0, 3, 3))
    return np.stack([
        image_rotation(w, h, a)[0]
        for a, w, h in zip(angles, widths, heights)
    ])


def to_cv2_affine(matrix: np.ndarray) -> np.ndarray:
    """Convert a continuous-coordinate homography into the 2x3 matrix that
    ``cv2.warpAffine`` expects (pixel-index coordinates)."""
    shift = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]])
    unshift = np.array([[1.0, 0.0, -0.5], [0.0, 1.0, -0.5], [0.0, 0.0, 1.0]])
    return (unshift @ np.asarray(matrix, dtype=np.float64) @ shift)[:2]
