"""Pixel kernels: warp an image, mask or map by a homography given in
continuous pixel coordinates (OpenCV does the resampling; the conversion to
its pixel-index convention is :func:`~.matrix.to_cv2_affine`).

Every pixel array rotaug turns on the CPU (images, bitmap masks,
segmentation maps, on both the per-image and the batch path) goes through
:func:`warp_image`; the batch path turns its padded image batch on its
device with :func:`warp_batch`.
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from .matrix import to_cv2_affine

INTERPOLATIONS = {
    'nearest': cv2.INTER_NEAREST,
    'bilinear': cv2.INTER_LINEAR,
    'bicubic': cv2.INTER_CUBIC,
    'area': cv2.INTER_AREA,
    'lanczos': cv2.INTER_LANCZOS4,
}
# the dtypes cv2.warpAffine takes; others go through a wider type
_CV2_WARP_DTYPES = tuple(np.dtype(t) for t in (np.uint8, np.uint16,
                                                 np.int16, np.float32,
                                                 np.float64))
# OpenCV moves pixels of these item sizes (as bits: no arithmetic)
_MOVE_VIEWS = {1: np.uint8, 2: np.uint16, 4: np.int32, 8: np.float64}


def is_identity(matrix) -> bool:
    """The matrix is exactly the 3x3 identity."""
    return bool(np.array_equal(np.asarray(matrix), np.eye(3)))


def warp_image(img: np.ndarray, matrix: np.ndarray, width: int, height: int,
               interpolation: str, border_value) -> np.ndarray:
    """Warp an (H, W) or (H, W, C) array onto a ``width`` x ``height``
    canvas with OpenCV. Dtypes OpenCV cannot warp (bool, int8, int32,
    int64, uint32, float16, ...) are warped through a wider type and
    returned in their own (integers rounded and clipped to their range;
    nearest interpolation is exact for integers up to 2**53 in magnitude).

    A turn by a multiple of 90 degrees that maps the pixel grid onto
    itself (180 degrees always; 90 with ``expand`` or when ``w + h`` is
    even) moves every pixel whole (:func:`grid_turn`), in any dtype: each
    output pixel is a source pixel, as the continuous map says. That is
    bit for bit what OpenCV gives for integer images with any
    interpolation, and for float images with nearest; its other weights
    on float images carry rounding at integer positions (bicubic and
    Lanczos, float32: about 1e-7 relative; since OpenCV 5.1 float32
    bilinear and area at 90 degrees too), and its float64 bicubic zeroes
    samples next to the border, which the move does not."""
    turned = grid_turn(img, matrix, width, height, border_value)
    if turned is not None:
        return turned
    if img.dtype not in _CV2_WARP_DTYPES:
        return _warp_via(img, matrix, width, height, interpolation,
                         border_value)
    if img.ndim == 3 and img.shape[2] > 4:  # OpenCV warps up to four
        parts = [
            warp_image(img[..., i:i + 4], matrix, width, height,
                       interpolation, border_value)
            for i in range(0, img.shape[2], 4)
        ]
        parts = [p if p.ndim == 3 else p[..., None] for p in parts]
        return np.concatenate(parts, axis=2)
    out = cv2.warpAffine(img, to_cv2_affine(matrix),
                         (int(width), int(height)),
                         flags=INTERPOLATIONS[interpolation],
                         borderMode=cv2.BORDER_CONSTANT,
                         borderValue=border_value)
    if img.ndim == 3 and out.ndim == 2:
        out = out[..., None]
    return out


def grid_turn(img: np.ndarray, matrix, width: int, height: int,
              border_value) -> Optional[np.ndarray]:
    """``img`` warped by ``matrix`` when the map sends pixels to pixels (a
    linear part of 0 and +-1 entries, one per row and column, and a whole
    translation in OpenCV's pixel-index coordinates), else None. The
    canvas outside the turned image gets ``border_value`` as OpenCV's
    ``BORDER_CONSTANT`` gives it (per channel, in groups of four for more
    than four channels, as :func:`warp_image` splits them; rounded and
    saturated for integer dtypes)."""
    move = _grid_move(matrix, img.shape)
    if move is None:
        return None
    swap, flip_x, flip_y, tx, ty, sh, sw = move
    # src = img transposed (swap), then flipped: its pixel (r, c) lands on
    # (ty + r, tx + c) of the canvas
    src = _moved(img, swap, flip_x, flip_y)
    width, height = int(width), int(height)
    r0, c0 = max(ty, 0), max(tx, 0)
    r1, c1 = min(ty + sh, height), min(tx + sw, width)
    if (r0, c0, r1, c1) == (0, 0, height, width):
        # the canvas is (a window of) the turned image
        return np.ascontiguousarray(src[-ty:height - ty, -tx:width - tx])
    fill = _border_fill(img, border_value)
    if r1 <= r0 or c1 <= c0:  # nothing of the image on the canvas
        return np.broadcast_to(fill, (height, width) + img.shape[2:]).copy()
    crop = src[r0 - ty:r1 - ty, c0 - tx:c1 - tx]
    pads = (r0, height - r1, c0, width - c1)
    if img.dtype in _CV2_WARP_DTYPES and (img.ndim == 2
                                          or img.shape[2] <= 4):
        # one pass: OpenCV writes the crop and its border together
        out = cv2.copyMakeBorder(crop, *pads, cv2.BORDER_CONSTANT,
                                 value=tuple(float(v) for v in
                                             np.ravel(fill)))
        return out[..., None] if out.ndim < img.ndim else out
    out = np.empty((height, width) + img.shape[2:], img.dtype)
    out[...] = fill
    out[r0:r1, c0:c1] = crop
    return out


def _grid_move(matrix, shape) -> Optional[tuple]:
    """``(swap, flip_x, flip_y, tx, ty, rows, cols)`` of a map that sends
    pixels to pixels (the moved source's pixel (r, c) lands on (ty + r,
    tx + c); it has ``rows`` x ``cols`` pixels), or None for any other
    map: a shear, a collapse, a fractional translation, any other angle."""
    # plain Python first: any other angle (the common case) costs
    # microseconds
    a00, a01, a10, a11 = (float(matrix[i][j]) for i in (0, 1)
                          for j in (0, 1))
    if not all(v in (0.0, 1.0, -1.0) for v in (a00, a01, a10, a11)):
        return None
    diagonal = a00 != 0 and a11 != 0 and a01 == 0 and a10 == 0
    anti = a01 != 0 and a10 != 0 and a00 == 0 and a11 == 0
    if not (diagonal or anti):  # a shear, or a collapse
        return None
    m = to_cv2_affine(matrix)
    a, t = m[:, :2], m[:, 2]
    tr = np.rint(t)
    if not np.all(np.abs(t - tr) <= 1e-9):
        return None
    swap = bool(a[0, 0] == 0)
    if swap:  # x' follows y: rows become columns
        ax, ay = a[0, 1], a[1, 0]
        sh, sw = shape[1], shape[0]
    else:
        ax, ay = a[0, 0], a[1, 1]
        sh, sw = shape[0], shape[1]
    tx, ty = int(tr[0]), int(tr[1])
    if ax < 0:
        tx -= sw - 1
    if ay < 0:
        ty -= sh - 1
    return swap, bool(ax < 0), bool(ay < 0), tx, ty, sh, sw


def _moved(img: np.ndarray, swap: bool, flip_x: bool,
           flip_y: bool) -> np.ndarray:
    """A new array: ``img`` transposed (rows <-> columns) when ``swap``,
    then mirrored left-right (``flip_x``) and upside down (``flip_y``).
    OpenCV's transpose and flip where they take the item size and channel
    count (four times faster than numpy's strided copy), else numpy."""
    code = {(True, True): -1, (True, False): 1, (False, True): 0}.get(
        (flip_x, flip_y))
    if not swap and code is None:
        return img.copy()
    as_cv = _MOVE_VIEWS.get(img.dtype.itemsize)
    if as_cv is not None:
        try:
            x = np.ascontiguousarray(img).view(as_cv)
            if swap:
                x = cv2.transpose(x)
            if code is not None:
                x = cv2.flip(x, code)
            if x.ndim < img.ndim:  # (H, W, 1) comes back as (W, H)
                x = x[..., None]
            return x.view(img.dtype)
        except cv2.error:  # e.g. items of more than 32 bytes
            pass
    x = np.swapaxes(img, 0, 1) if swap else img
    if flip_x:
        x = x[:, ::-1]
    if flip_y:
        x = x[::-1]
    return np.array(x, order='C')  # a copy even where x is contiguous


def _border_fill(img: np.ndarray, border_value) -> np.ndarray:
    """The value OpenCV's ``BORDER_CONSTANT`` writes into each channel of
    ``img`` (broadcastable onto one pixel): ``border_value`` made a
    four-value Scalar (a number or a shorter tuple padded with zeros)."""
    vals = np.zeros(4)
    v = np.atleast_1d(np.asarray(border_value, dtype=np.float64))[:4]
    vals[:len(v)] = v
    chans = img.shape[2] if img.ndim == 3 else 1
    fill = vals[np.arange(chans) % 4] if img.ndim == 3 else vals[:1]
    return _saturate(fill, img.dtype)


def _warp_via(img: np.ndarray, matrix, width, height, interpolation,
              border_value) -> np.ndarray:
    """Warp an array of a dtype OpenCV cannot warp through float32/64."""
    dt = img.dtype
    if dt == np.bool_:
        out = warp_image(img.view(np.uint8), matrix, width, height,
                         interpolation, border_value)
        return out.astype(bool)  # uint8 in, uint8 out
    if dt.kind not in 'iuf':
        raise TypeError(f'rotaug cannot warp an image or map of dtype {dt}'
                        ' (expected a numeric or bool array)')
    wide = np.float32 if dt.itemsize <= 2 else np.float64
    if dt.kind in 'iu' and img.size and max(
            abs(int(img.min())), abs(int(img.max()))) > 2**53:
        raise ValueError(f'rotaug cannot warp a {dt} array with values '
                         'beyond 2**53 exactly (it warps integer dtypes '
                         'OpenCV lacks through float64)')
    out = warp_image(img.astype(wide), matrix, width, height, interpolation,
                     border_value)
    return _saturate(out, dt)


def _saturate(values: np.ndarray, dt: np.dtype) -> np.ndarray:
    """Float ``values`` in dtype ``dt`` as the warp of an array of that
    dtype leaves them: integers rounded and clipped to their range, bool
    as the uint8 it is warped in, floats below 32 bits by way of
    float32 (the type :func:`_warp_via` warps them in)."""
    if dt == np.bool_:
        return _saturate(values, np.dtype(np.uint8)) != 0
    if dt.kind in 'iu':
        info = np.iinfo(dt)
        return np.clip(np.rint(values), info.min, info.max).astype(dt)
    if dt.itemsize < 4:
        values = values.astype(np.float32)
    return values.astype(dt)


# ---- the batch path: one grid_sample pass over a padded batch ------------
def grid_for(matrices: torch.Tensor, height: int,
             width: int) -> torch.Tensor:
    """Sampling grid (B, H, W, 2) for ``grid_sample(align_corners=False)``
    that realises ``matrices`` (output <- input in continuous pixel
    coordinates) on a padded batch of ``height`` x ``width``."""
    inv = torch.linalg.inv(matrices)
    # normalised -> continuous: x = (xn + 1) * W / 2
    n2c = torch.tensor([[width / 2, 0, width / 2], [0, height / 2, height / 2],
                        [0, 0, 1]], dtype=inv.dtype, device=inv.device)
    c2n = torch.linalg.inv(n2c)
    theta = (c2n @ inv @ n2c)[:, :2]
    return F.affine_grid(theta.float(), (len(matrices), 1, height, width),
                         align_corners=False)


def warp_batch(inputs: torch.Tensor, matrices: torch.Tensor,
               sizes: Sequence[Tuple[int, int]], interpolation: str,
               border_value: float) -> torch.Tensor:
    """Warp each image of a padded batch (B, C, H, W) by its own matrix in
    one ``grid_sample`` pass. Image ``i`` fills the top-left ``sizes[i]``
    (h, w) of its canvas: pixels coming from outside it get
    ``border_value``, and the padding beyond it keeps its values. Images
    whose matrix has no turn are returned as they are."""
    b, _, h, w = inputs.shape
    eye = torch.eye(2, dtype=matrices.dtype, device=matrices.device)
    rotated = torch.any((matrices[:, :2, :2] - eye).abs() > 0, dim=(1, 2))
    if not bool(rotated.any()):
        return inputs
    idx = rotated.nonzero(as_tuple=True)[0]
    grid = grid_for(matrices[idx], h, w)
    src = inputs[idx].float()
    if border_value != 0:
        src = src - border_value
    out = F.grid_sample(src, grid, mode=interpolation, padding_mode='zeros',
                        align_corners=False)
    # the padded region of the source is not image: mask it out
    valid = torch.zeros((len(idx), 1, h, w), device=inputs.device)
    for k, i in enumerate(idx.tolist()):
        ih, iw = sizes[i]
        valid[k, :, :ih, :iw] = 1
    vis = F.grid_sample(valid, grid, mode='nearest', padding_mode='zeros',
                        align_corners=False)
    out = out * vis + border_value
    out = out * valid + inputs[idx].float() * (1 - valid)
    result = inputs.clone()
    result[idx] = out.to(inputs.dtype)
    return result
