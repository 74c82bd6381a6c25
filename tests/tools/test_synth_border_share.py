"""synth_dota's dense border scenes (``border_share``), the painted
silhouettes that come with ``with_shapes`` and their instance map."""
import json
import os.path as osp
import sys

import cv2
import numpy as np
import pytest

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _load import load_tool  # noqa: E402

synth = load_tool('data/synth_dota.py')
SIZE = 320


def _centre_depth(poly):
    """Distance of a label's centre to the nearest image edge."""
    c = poly.mean(0)
    return min(c[0], c[1], SIZE - c[0], SIZE - c[1])


def _shoelace(p):
    x, y = p[:, 0], p[:, 1]
    return 0.5 * abs(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def test_border_share_packs_vehicles_along_the_border():
    band = 0.12 * SIZE
    counts = {}
    for share in (None, 0.0, 0.8):
        near = near_vehicles = total = 0
        for i in range(12):
            _, objects = synth.render_scene((0, 0, i), SIZE,
                                            border_share=share)
            total += len(objects)
            for poly, cls in objects:
                if _centre_depth(poly) <= band and (poly.mean(0) >= 0).all():
                    near += 1
                    near_vehicles += cls.endswith('vehicle')
        counts[share] = (total, near, near_vehicles)
    # dense: 24-40 placements per scene against 7-18 by default
    assert counts[0.8][0] > 1.5 * counts[None][0]
    assert counts[0.0][0] > 1.5 * counts[None][0]
    # the band holds 42% of the image's area: uniform placement puts
    # about that share there; with 0.8 asked for, 0.8 + 0.2 * 0.42 of the
    # placements land there (less the parking rows), nearly all vehicles
    total, near, near_vehicles = counts[0.8]
    assert near > 0.7 * total
    assert near_vehicles > 0.9 * near
    assert counts[0.0][1] < 0.5 * counts[0.0][0]


def test_default_scene_is_untouched_by_the_new_options():
    img, objects = synth.render_scene((0, 0, 3), SIZE)
    img2, objects2, shapes = synth.render_scene((0, 0, 3), SIZE,
                                                with_shapes=True)
    assert np.array_equal(img, img2)
    assert len(objects) == len(objects2) == len(shapes)
    for (p, c), (p2, c2) in zip(objects, objects2):
        assert c == c2 and np.array_equal(p, p2)


def test_meta_names_border_share_only_when_set(tmp_path):
    meta = synth.generate(str(tmp_path / 'a'), num=(1, 0, 1), verbose=False)
    assert 'border_share' not in meta
    meta = synth.generate(str(tmp_path / 'b'), num=(1, 0, 1), verbose=False,
                          border_share=0.5)
    assert meta['border_share'] == 0.5
    assert json.load(open(tmp_path / 'b' / 'meta.json')) == meta


@pytest.mark.parametrize('share', [-0.1, 1.5])
def test_bad_border_share_is_refused(tmp_path, share):
    with pytest.raises(ValueError, match='border_share'):
        synth.render_scene((0, 0, 0), SIZE, border_share=share)
    with pytest.raises(ValueError, match='border_share'):
        synth.generate(str(tmp_path), num=(1, 0, 0), border_share=share,
                       verbose=False)


def test_silhouettes_lie_in_their_labels_and_fill_vehicle_labels():
    seen = set()
    for i in range(6):
        _, objects, shapes = synth.render_scene((0, 0, i), SIZE,
                                                with_shapes=True)
        for (label, cls), polys in zip(objects, shapes):
            seen.add(cls)
            # every vertex inside the label rectangle (its own frame)
            u = label[1] - label[0]
            v = label[3] - label[0]
            for p in polys:
                d = p - label[0]
                a = d @ u / (u @ u)
                b = d @ v / (v @ v)
                assert a.min() > -1e-6 and a.max() < 1 + 1e-6, cls
                assert b.min() > -1e-6 and b.max() < 1 + 1e-6, cls
            area = _shoelace(label)
            if cls.endswith('vehicle'):  # the body is the label itself
                assert _shoelace(polys[0]) == pytest.approx(area, rel=1e-9)
            if cls == 'storage-tank':  # a 64-gon in an upright square
                assert _shoelace(polys[0]) == pytest.approx(
                    0.5 * 64 * np.sin(2 * np.pi / 64) * area / 4, rel=1e-9)
            if cls == 'plane':  # wings and fuselage leave the corners
                assert max(_shoelace(p) for p in polys) < 0.6 * area
    assert seen == set(synth.CLASSES)


def test_label_map_sets_the_pixels_whose_centres_are_inside():
    square = np.array([[10.0, 20.0], [14.0, 20.0], [14.0, 23.0],
                       [10.0, 23.0]])
    tri = np.array([[30.2, 5.2], [40.7, 5.2], [30.2, 15.7]])
    m = synth.label_map([[square], [tri]], (48, 64))
    assert m.dtype == np.uint16 and m.shape == (48, 64)
    # the 4 x 3 pixels of columns 10..13 and rows 20..22
    ys, xs = np.nonzero(m == 1)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (10, 13, 20, 22)
    assert (m == 1).sum() == 12
    # pixel centres (c + 0.5, r + 0.5) inside the triangle x + y < 45.9
    r, c = np.mgrid[0:48, 0:64]
    cx, cy = c + 0.5, r + 0.5
    inside = (cx > 30.2) & (cy > 5.2) & (cx + cy < 45.9)
    got = m == 2
    # cv2 rasterises edges to 1/256 px: only pixels on an edge may differ
    on_edge = np.abs(cx + cy - 45.9) < 0.01
    assert np.array_equal(got & ~on_edge, inside & ~on_edge)
    assert got.sum() == pytest.approx(_shoelace(tri), rel=0.15)


def test_label_map_of_a_scene_matches_the_painted_objects():
    img, objects, shapes = synth.render_scene((0, 2, 1), SIZE,
                                              with_shapes=True)
    m = synth.label_map(shapes, (SIZE, SIZE))
    ground = cv2.medianBlur(img, 31).astype(np.float32)
    diff = np.abs(img.astype(np.float32) - ground).sum(2)
    for k, (_, cls) in enumerate(objects):
        px = m == k + 1
        if px.sum() < 40:
            continue
        assert diff[px].mean() > 15, cls
