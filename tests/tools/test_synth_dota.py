"""The synthetic DOTA-style data: deterministic, DOTA-formatted, every
class present, rectangles as labels, objects cut by the border."""
import filecmp
import json
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _load import load_tool  # noqa: E402

synth = load_tool('data/synth_dota.py')


@pytest.fixture(scope='module')
def small_set(tmp_path_factory):
    out = tmp_path_factory.mktemp('synth')
    meta = synth.generate(str(out), seed=3, num=(12, 3, 3), verbose=False)
    return out, meta


def _files(root):
    return sorted(
        osp.relpath(osp.join(d, f), root) for d, _, fs in os.walk(root)
        for f in fs)


def test_same_seed_same_bytes_other_seed_differs(small_set, tmp_path):
    out, _ = small_set
    again = tmp_path / 'again'
    synth.generate(str(again), seed=3, num=(12, 3, 3), verbose=False)
    files = _files(out)
    assert files == _files(again)
    _, mismatch, errors = filecmp.cmpfiles(out, again, files, shallow=False)
    assert not mismatch and not errors
    other = tmp_path / 'other'
    synth.generate(str(other), seed=4, num=(2, 0, 0), verbose=False)
    assert not filecmp.cmp(out / 'train/images/train0000.png',
                           other / 'train/images/train0000.png',
                           shallow=False)


def test_layout_headers_and_parse_cleanly(small_set):
    from rotaug.datasets.dota_io import parse_dota_label_file
    out, meta = small_set
    assert meta['seed'] == 3
    assert json.load(open(out / 'meta.json')) == meta
    for split, n in (('train', 12), ('val', 3), ('test', 3)):
        imgs = sorted(os.listdir(out / split / 'images'))
        lbls = sorted(os.listdir(out / split / 'labelTxt'))
        assert len(imgs) == n
        assert [i[:-4] for i in imgs] == [t[:-4] for t in lbls]
        for t in lbls:
            path = out / split / 'labelTxt' / t
            lines = open(path).read().splitlines()
            assert lines[0].startswith('imagesource:')
            assert lines[1].startswith('gsd:')
            objs, report = parse_dota_label_file(str(path), synth.CLASSES)
            assert report.num_dropped == 0, report.summary()
            assert len(objs) == len(lines) - 2 > 0
        img = cv2.imread(str(out / split / 'images' / imgs[0]))
        assert img.shape == (meta['size'], meta['size'], 3)


def test_labels_are_clockwise_rectangles_and_some_cross_the_border():
    n_cross = n_inside = 0
    classes = set()
    for i in range(20):
        img, objects = synth.render_scene((0, 0, i), 320)
        for poly, cls in objects:
            classes.add(cls)
            e = np.roll(poly, -1, 0) - poly
            lengths = np.linalg.norm(e, axis=1)
            assert np.allclose(lengths[0], lengths[2], rtol=1e-6)
            assert np.allclose(lengths[1], lengths[3], rtol=1e-6)
            cos = np.abs((e * np.roll(e, -1, 0)).sum(1)) / (
                lengths * np.roll(lengths, -1))
            assert cos.max() < 1e-6
            x, y = poly[:, 0], poly[:, 1]
            signed = 0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)
            assert signed > 0  # clockwise on screen (y down)
            inside = (poly >= 0).all() and (poly <= 320).all()
            n_inside += inside
            n_cross += not inside
    assert classes == set(synth.CLASSES)
    assert n_cross >= 20 and n_inside >= 200


def test_objects_are_painted_where_their_labels_are():
    # the pixels inside a label differ from the ground around it
    for i in range(10):
        img, objects = synth.render_scene((0, 0, i), 320)
        ground = cv2.medianBlur(img, 31).astype(np.float32)
        diff = np.abs(img.astype(np.float32) - ground).sum(2)
        for poly, cls in objects:
            mask = np.zeros(img.shape[:2], np.uint8)
            cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 1)
            if mask.sum() < 40:
                continue
            assert diff[mask > 0].mean() > 15, (i, cls)


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match='num'):
        synth.generate(str(tmp_path), num=(1, 2))
    with pytest.raises(ValueError, match='size'):
        synth.generate(str(tmp_path), size=10)


def test_angle_spread_lays_objects_along_the_axes():
    dev = []
    for i in range(8):
        _, objects = synth.render_scene((0, 0, i), 320, angle_spread=10)
        for poly, cls in objects:
            e = poly[1] - poly[0]
            a = np.degrees(np.arctan2(e[1], e[0])) % 90
            dev.append(min(a, 90 - a))
    dev = np.array(dev)
    assert len(dev) > 100 and dev.max() <= 10 + 1e-6
    assert dev.mean() > 2  # spread, not all exactly axis-aligned
