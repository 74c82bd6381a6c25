"""tools/data/dota/split.py: windows, names, the clip rule, and the round
trip on the real P1888.png."""
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
from shapely.geometry import Polygon

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from _load import load_tool  # noqa: E402
from conftest import dota_samples  # noqa: E402

split = load_tool('data/dota/split.py')


def _read_patches(dst):
    from rotaug.datasets.dota_io import parse_dota_label_file
    from rotaug.evaluation import parse_patch_name
    out = {}
    for f in sorted(os.listdir(osp.join(dst, 'annfiles'))):
        name = f[:-4]
        objs, rep = parse_dota_label_file(osp.join(dst, 'annfiles', f),
                                          split.DOTA_CLASSES)
        assert rep.num_dropped == 0, rep.summary()
        out[name] = (parse_patch_name(name), objs)
    return out


def test_windows_cover_the_image_and_end_on_the_edge():
    assert split.window_starts(500, 1024, 200) == [0]
    assert split.window_starts(1024, 1024, 200) == [0]
    starts = split.window_starts(2000, 1024, 200)
    assert starts == [0, 824, 976]
    for length in (300, 1025, 1900, 4000):
        s = split.window_starts(length, 256, 64)
        assert s[0] == 0 and s[-1] + 256 == length
        assert all(b - a <= 256 - 64 for a, b in zip(s, s[1:]))
    with pytest.raises(ValueError, match='gap'):
        split.window_starts(100, 64, 64)


def _toy_src(root, objects, size=(300, 300)):
    os.makedirs(osp.join(root, 'images'))
    os.makedirs(osp.join(root, 'labelTxt'))
    h, w = size
    img = (np.arange(h * w * 3) % 251).astype(np.uint8).reshape(h, w, 3)
    cv2.imwrite(osp.join(root, 'images', 'T1.png'), img)
    with open(osp.join(root, 'labelTxt', 'T1.txt'), 'w') as f:
        f.write('imagesource:GoogleEarth\ngsd:0.5\n')
        for poly, cls, diff in objects:
            f.write(' '.join(map(str, poly)) + f' {cls} {diff}\n')
    return img


def test_clip_rule_truncated_objects_and_pixels(tmp_path):
    src, dst = tmp_path / 'src', tmp_path / 'dst'
    objects = [
        # wholly inside the first window (0..200)
        ([10, 10, 40, 10, 40, 30, 10, 30], 'plane', 0),
        # crosses x=200 with 3/4 inside the first window (iof 0.75)
        ([170, 100, 210, 100, 210, 120, 170, 120], 'ship', 1),
        # crosses x=200 with 1/4 inside the first window (iof 0.25)
        ([190, 150, 230, 150, 230, 170, 190, 170], 'small-vehicle', 0),
    ]
    img = _toy_src(str(src), objects)
    summary = split.split_dataset([str(src)], str(dst), size=200, gap=60,
                                  nproc=1, verbose=False)
    patches = _read_patches(str(dst))
    assert summary['patches'] == len(patches) == 4  # x, y in {0, 100}
    info, objs = patches['T1__200__0___0']
    assert (info.x, info.y, info.rate) == (0, 0, 1.0)
    by_cls = {o['class_name']: o for o in objs}
    np.testing.assert_allclose(by_cls['plane']['poly'], objects[0][0])
    # clipped to the visible part, keeping the difficult flag at iof 0.75
    np.testing.assert_allclose(by_cls['ship']['poly'],
                               [170, 100, 200, 100, 200, 120, 170, 120])
    assert by_cls['ship']['difficult'] == 1
    # iof 0.25 < 0.7: kept, clipped, marked truncated (difficult 2)
    np.testing.assert_allclose(by_cls['small-vehicle']['poly'],
                               [190, 150, 200, 150, 200, 170, 190, 170])
    assert by_cls['small-vehicle']['difficult'] == 2
    # the second column of windows starts at x=100: all three objects
    # there, the ship and vehicle whole
    info, objs = patches['T1__200__100___0']
    by_cls = {o['class_name']: o for o in objs}
    assert 'plane' not in by_cls
    np.testing.assert_allclose(by_cls['ship']['poly'],
                               np.array(objects[1][0]) - [100, 0] * 4)
    assert by_cls['ship']['difficult'] == 1
    # pixels are the crop of the original
    patch = cv2.imread(str(dst / 'images' / 'T1__200__100___0.png'))
    np.testing.assert_array_equal(patch, img[0:200, 100:300])


def _signed_area(q):
    x, y = q[:, 0], q[:, 1]
    return float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def test_cut_objects_follow_the_cut(tmp_path):
    """The qbox rule of the geometry core (fit_qbox): a visible part with
    four corners is written as it is; a five-cornered one as the
    quadrilateral on its own sides; vertices keep the object's direction
    and start next to its first vertex."""
    src, dst = tmp_path / 'src', tmp_path / 'dst'
    c, s = np.cos(0.5), np.sin(0.5)
    rect = np.array([[-30, -10], [30, -10], [30, 10], [-30, 10]])
    rot = np.array([[c, -s], [s, c]]).T
    # two corners beyond x = 200: a trapezoid; one corner beyond y = 0 and
    # inside the window otherwise: a pentagon
    trap = rect @ rot + [195, 100]
    pent = rect[[2, 3, 0, 1]] @ rot + [60, 16]
    _toy_src(str(src), [(trap.reshape(-1).round(3).tolist(), 'ship', 0),
                        (pent.reshape(-1).round(3).tolist(), 'plane', 0)])
    split.split_dataset([str(src)], str(dst), size=200, gap=60, nproc=1,
                        verbose=False)
    _, objs = _read_patches(str(dst))['T1__200__0___0']
    window = Polygon([(0, 0), (200, 0), (200, 300), (0, 300)])
    for obj, poly in zip(objs, (trap, pent)):
        out = obj['poly'].reshape(4, 2)
        poly = poly.round(3)
        visible = Polygon(poly).intersection(window)
        q = Polygon(out)
        assert q.is_valid
        assert q.buffer(0.1).contains(visible)  # labels keep 0.1 px
        assert _signed_area(out) * _signed_area(poly) > 0
        assert np.argmin(((out - poly[0])**2).sum(1)) == 0
        n_vis = len(visible.exterior.coords) - 1
        if n_vis == 4:
            assert q.symmetric_difference(visible).area < 0.1 * q.length
        else:
            assert n_vis == 5
            assert visible.area / q.area > 0.9
            # at most the whole object (the cut removed again)
            assert q.area <= Polygon(poly).area * 1.01
        # each side lies on a side of the visible polygon
        vis = np.asarray(visible.exterior.coords)
        for k in range(4):
            p, r = out[k], out[(k + 1) % 4]
            nrm = np.array([r[1] - p[1], p[0] - r[0]])
            dist = (vis - p) @ (nrm / np.linalg.norm(nrm))
            assert (np.sort(np.abs(dist))[:2] < 0.1).all()


def test_rates_resize_and_name_with_the_rate(tmp_path):
    src, dst = tmp_path / 'src', tmp_path / 'dst'
    objects = [([10, 10, 40, 10, 40, 30, 10, 30], 'plane', 0)]
    img = _toy_src(str(src), objects)
    split.split_dataset([str(src)], str(dst), size=200, gap=60,
                        rates=[0.5], nproc=1, verbose=False)
    patches = _read_patches(str(dst))
    assert list(patches) == ['T1__0.5__0___0']
    info, objs = patches['T1__0.5__0___0']
    assert info.rate == 0.5
    np.testing.assert_allclose(objs[0]['poly'],
                               np.array(objects[0][0]) * 0.5)
    patch = cv2.imread(str(dst / 'images' / 'T1__0.5__0___0.png'))
    assert patch.shape == (200, 200, 3)  # 150 px of image, padded
    np.testing.assert_array_equal(patch[150:, :],
                                  np.broadcast_to(split.PAD_VALUE,
                                                  (50, 200, 3)))


@pytest.mark.parametrize('size,gap', [(1024, 200), (256, 100)])
def test_p1888_round_trip(tmp_path, size, gap):
    """Every object of the real P1888 lies in at least one patch with IoU
    >= 0.99 to the original."""
    from rotaug.datasets.dota_io import parse_dota_label_file
    root = dota_samples()
    src = tmp_path / 'src'
    os.makedirs(src / 'images')
    os.makedirs(src / 'labelTxt')
    os.symlink(root / 'images' / 'P1888.png', src / 'images' / 'P1888.png')
    os.symlink(root / 'labelTxt' / 'P1888.txt',
               src / 'labelTxt' / 'P1888.txt')
    originals, _ = parse_dota_label_file(str(root / 'labelTxt' /
                                             'P1888.txt'),
                                         split.DOTA_CLASSES)
    extents = [np.ptp(o['poly'].reshape(4, 2), 0).max() for o in originals]
    assert max(extents) < gap  # so every object fits whole in a window
    dst = tmp_path / 'dst'
    summary = split.split_dataset([str(src)], str(dst), size=size, gap=gap,
                                  nproc=2, verbose=False)
    patches = _read_patches(str(dst))
    assert summary['patches'] == len(patches) >= 1
    full = cv2.imread(str(root / 'images' / 'P1888.png'))
    placed = []
    for name, (info, objs) in patches.items():
        patch = cv2.imread(str(dst / 'images' / (name + '.png')))
        h = min(size, full.shape[0] - info.y)
        w = min(size, full.shape[1] - info.x)
        np.testing.assert_array_equal(
            patch[:h, :w], full[info.y:info.y + h, info.x:info.x + w])
        for o in objs:
            placed.append((o['class_name'], Polygon(
                o['poly'].reshape(4, 2) + [info.x, info.y])))
    for o in originals:
        poly = Polygon(o['poly'].reshape(4, 2))
        best = max((poly.intersection(p).area / poly.union(p).area
                    for c, p in placed if c == o['class_name']),
                   default=0.0)
        assert best >= 0.99, (o['line'], best)
