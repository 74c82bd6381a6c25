"""Turns that send pixels to pixels (multiples of 90 degrees on a grid that
maps onto itself) are done by moving whole pixels, not by OpenCV's
resampling: the result must be exactly what cv2.warpAffine gives."""
import itertools

import cv2
import numpy as np
import pytest

from rotaug.geometry import image_rotation, to_cv2_affine
from rotaug.geometry.image import INTERPOLATIONS, grid_turn, warp_image


def _cv2_warp(img, matrix, w, h, interpolation, border):
    """The reference: OpenCV on every channel group of four (float64 for
    dtypes OpenCV lacks, then rounded and saturated)."""
    dt = img.dtype
    src = img
    if dt == np.bool_:
        src = img.view(np.uint8)
    elif dt not in (np.uint8, np.uint16, np.int16, np.float32, np.float64):
        src = img.astype(np.float32 if dt.itemsize <= 2 else np.float64)
    chunks = [src] if src.ndim == 2 else [
        src[..., i:i + 4] for i in range(0, src.shape[2], 4)]
    outs = []
    for c in chunks:
        o = cv2.warpAffine(np.ascontiguousarray(c), to_cv2_affine(matrix),
                           (w, h), flags=INTERPOLATIONS[interpolation],
                           borderMode=cv2.BORDER_CONSTANT, borderValue=border)
        outs.append(o[..., None] if c.ndim == 3 and o.ndim == 2 else o)
    out = outs[0] if src.ndim == 2 else np.concatenate(outs, 2)
    if dt == np.bool_:
        return out.astype(bool)
    if dt.kind in 'iu' and out.dtype != dt:
        info = np.iinfo(dt)
        out = np.clip(np.rint(out), info.min, info.max)
    return out.astype(dt)


SIZES = [(40, 60), (37, 37), (31, 45), (64, 36)]  # (h, w): w + h even
ANGLES = [90, -90, 180, -180, 270, 450, 0, 360]


@pytest.mark.parametrize('size,angle,expand',
                         list(itertools.product(SIZES, ANGLES, [False, True])))
def test_grid_turns_equal_opencv(size, angle, expand):
    h, w = size
    rng = np.random.default_rng(h * 1000 + w + angle)
    m, (nw, nh) = image_rotation(w, h, angle, expand)
    for shape, dtype, interp, border in [
        ((h, w, 3), np.uint8, 'bilinear', (0, 0, 0)),
        ((h, w, 3), np.uint8, 'bicubic', (114.0, 7.0, 300.0)),
        ((h, w), np.uint8, 'nearest', (255.0, ) * 3),
        ((h, w, 1), np.float32, 'lanczos', (0.25, 0, 0)),
        ((h, w, 4), np.uint16, 'area', (65535.5, -4.0, 12.5, 13.5)),
        ((h, w, 6), np.float64, 'bilinear', (1.5, 2.5, 3.5)),
        ((h, w, 3), np.float64, 'bicubic', (0, 0, 0)),
        ((h, w), np.int16, 'bilinear', (-7.0, ) * 3),
    ]:
        if np.dtype(dtype).kind == 'f':
            img = rng.normal(size=shape).astype(dtype)
        else:
            info = np.iinfo(dtype)
            img = rng.integers(info.min, info.max, shape, dtype=dtype,
                               endpoint=True)
        got = grid_turn(img, m, nw, nh, border)
        assert got is not None, (size, angle, expand)
        want = _cv2_warp(img, m, nw, nh, interp, border)
        assert got.dtype == want.dtype and got.shape == want.shape
        if np.dtype(dtype).kind == 'f':
            # OpenCV's weights on float images carry rounding at integer
            # positions (cubic and Lanczos: about 1e-7 in float32, and its
            # float64 bicubic zeroes samples next to the border; since
            # OpenCV 5.1 its float32 bilinear and area at 90 degrees too):
            # the whole-pixel move is what its nearest gives, which moves
            # pixels without arithmetic
            want = _cv2_warp(img, m, nw, nh, 'nearest', border)
        np.testing.assert_array_equal(got, want, err_msg=f'{dtype} {interp}')
        # and warp_image takes this path for it
        np.testing.assert_array_equal(
            warp_image(img, m, nw, nh, interp, border), got)


@pytest.mark.parametrize('dtype', [np.int32, np.int64, np.uint32, np.int8,
                                   np.float16, bool])
def test_grid_turns_of_dtypes_opencv_lacks(dtype):
    h, w = 30, 40
    m, (nw, nh) = image_rotation(w, h, 90, False)
    rng = np.random.default_rng(1)
    seg = (rng.integers(0, 120, (h, w)) if dtype is not bool else
           rng.integers(0, 2, (h, w))).astype(dtype)
    for border in (0, 5.5, 255, -3):
        got = warp_image(seg, m, nw, nh, 'nearest',
                                       (border, ) * 3)
        want = _cv2_warp(seg, m, nw, nh, 'nearest', (border, ) * 3)
        assert got.dtype == seg.dtype
        np.testing.assert_array_equal(got, want)
    # values beyond 2**53 move intact (OpenCV's float path could not)
    if dtype is np.int64:
        big = np.full((h, w), 2**60 + 1, np.int64)
        out = warp_image(big, *image_rotation(w, h, 180)[:1],
                                       w, h, 'nearest', (0, ) * 3)
        assert (out == 2**60 + 1).all()


@pytest.mark.parametrize('h,w,angle,expand', [
    (31, 44, 90, False),   # w + h odd: the turned grid sits half a pixel off
    (40, 60, 33, False),
    (40, 60, 90.5, True),
    (40, 60, 45, True),
])
def test_other_turns_resample(h, w, angle, expand):
    m, (nw, nh) = image_rotation(w, h, angle, expand)
    img = np.random.default_rng(0).integers(0, 255, (h, w, 3), np.uint8)
    assert grid_turn(img, m, nw, nh, (0, 0, 0)) is None
    np.testing.assert_array_equal(
        warp_image(img, m, nw, nh, 'bilinear', (0, 0, 0)),
        _cv2_warp(img, m, nw, nh, 'bilinear', (0, 0, 0)))


def test_a_mirror_is_a_grid_map_too():
    """The check is on the matrix, not on angles: a flip (det -1) moves
    whole pixels as well."""
    h, w = 20, 30
    flip = np.array([[-1.0, 0, w], [0, 1, 0], [0, 0, 1]])
    img = np.random.default_rng(2).integers(0, 255, (h, w, 3), np.uint8)
    np.testing.assert_array_equal(grid_turn(img, flip, w, h, (0, 0, 0)),
                                  img[:, ::-1])
    # a shear of 0/1 entries whose translation is whole in OpenCV's
    # coordinates: not a move of whole pixels
    for lin in ([[1.0, 1], [0, 1]], [[1.0, 1], [1, 0]], [[1.0, 0], [1, 0]]):
        a = np.array(lin)
        t = 0.5 - a @ [0.5, 0.5]  # to_cv2_affine then gives (0, 0)
        m = np.array([[*a[0], t[0]], [*a[1], t[1]], [0, 0, 1]])
        np.testing.assert_allclose(to_cv2_affine(m)[:, 2], 0, atol=1e-12)
        assert grid_turn(img, m, w, h, (0, 0, 0)) is None, lin
    # channels of a view (BGR -> RGB) move as well
    np.testing.assert_array_equal(
        grid_turn(img[..., ::-1], flip, w, h, (0, 0, 0)),
        img[:, ::-1, ::-1])

