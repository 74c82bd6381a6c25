"""Exact IoU of boxes (rotaug.geometry.iou): against shapely and against
exact rational arithmetic on random and hard pairs, the rules at contact,
numpy against torch, the sparse candidates against brute force, the greedy
grouping against the dense reference."""
import math

import numpy as np
import pytest
import shapely
import torch

from rotaug.geometry import (box_iou_pairs, box_ious, candidate_pairs,
                             exact_nms, greedy_groups, rbox_to_poly)
from rotaug.geometry.iou import reference_iou
from rotaug.models.tta_merge import greedy_clusters


def shapely_ious(p1, p2):
    g1, g2 = shapely.polygons(p1), shapely.polygons(p2)
    inter = shapely.area(shapely.intersection(g1, g2))
    union = shapely.area(g1) + shapely.area(g2) - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-300), 0.0)


def random_rboxes(rng, n, lo=0.0, hi=60.0):
    return np.c_[rng.uniform(lo, hi, (n, 2)), rng.uniform(1, 40, (n, 2)),
                 rng.uniform(-4, 4, n)]


def as_type(rb, box_type):
    if box_type == 'rbox':
        return rb
    if box_type == 'qbox':
        q = rbox_to_poly(rb).reshape(-1, 8)
        q[::2] = q[::2].reshape(-1, 4, 2)[:, ::-1].reshape(-1, 8)
        return q
    return np.c_[rb[:, :2] - rb[:, 2:4] / 2, rb[:, :2] + rb[:, 2:4] / 2]


def polys(boxes, box_type):
    if box_type == 'rbox':
        return rbox_to_poly(boxes)
    if box_type == 'qbox':
        return boxes.reshape(-1, 4, 2)
    x1, y1, x2, y2 = boxes.T
    return np.stack([np.c_[x1, y1], np.c_[x2, y1], np.c_[x2, y2],
                     np.c_[x1, y2]], 1)


def hard_pairs(rng, n=40):
    """The pairs of the issue, around random boxes (far from the origin
    too): (w, h, t) / (h, w, t + 90), t / t + 180, shifts of 1e-3 px,
    identical, touching edges, nested, disjoint, and small angles."""
    a, b, kind = [], [], []

    def add(name, x, y):
        a.append(x)
        b.append(y)
        kind.append(name)
    for _ in range(n):
        base = np.r_[rng.uniform(-1000, 1000, 2), rng.uniform(1, 80, 2),
                     rng.uniform(-4, 4)]
        x, y, w, h, t = base
        c, s = math.cos(t), math.sin(t)
        add('swap', base, [x, y, h, w, t + math.pi / 2])
        add('swap-', base, [x, y, h, w, t - math.pi / 2])
        add('+180', base, [x, y, w, h, t + math.pi])
        add('-180', base, [x, y, w, h, t - math.pi])
        add('identical', base, base)
        add('shift', base, [x + 1e-3, y - 1e-3, w, h, t])
        add('swap shift', base, [x, y + 1e-3, h, w, t + math.pi / 2])
        add('touch w', base, [x + w * c, y + w * s, w, h, t])
        add('touch h', base, [x - h * s, y + h * c, w, h, t + math.pi])
        add('touch swap', base, [x + w * c, y + w * s, h, w,
                                 t + math.pi / 2])
        add('nested', base, [x + 0.1 * w * c, y + 0.1 * w * s, w / 2, h / 2,
                             t])
        add('nested turned', base, [x, y, w / 3, h / 3, t + 0.3])
        add('nested side', base, [x + w / 4 * c, y + w / 4 * s, w / 2, h,
                                  t])
        far = 2 * (w + h)
        add('disjoint', base, [x + far * c, y + far * s, w, h, t + 1])
        add('corner', base, [x + (w + h) / 2 * c - (w + h) / 2 * s,
                             y + (w + h) / 2 * s + (w + h) / 2 * c,
                             h, w, t])
        for d in (1e-13, 1e-11, 1e-9, 1e-7, 1e-5, 1e-3):
            add(f'turn {d:g}', base, [x, y, w, h, t + d])
            add(f'swap turn {d:g}', base, [x, y, h, w, t + math.pi / 2 + d])
    return np.array(a, float), np.array(b, float), np.array(kind)


@pytest.mark.parametrize('box_type', ['rbox', 'qbox', 'hbox'])
def test_random_pairs_match_shapely(box_type):
    rng = np.random.default_rng(0)
    a = as_type(random_rboxes(rng, 400), box_type)
    b = as_type(random_rboxes(rng, 300), box_type)
    dense = box_ious(a, b, box_type)
    ref = shapely_ious(polys(a, box_type)[:, None].repeat(300, 1).reshape(
        -1, 4, 2), polys(b, box_type)[None].repeat(400, 0).reshape(-1, 4, 2))
    assert dense.dtype == np.float64 and dense.shape == (400, 300)
    assert (ref > 0).mean() > 0.2
    np.testing.assert_allclose(dense.reshape(-1), ref, rtol=0, atol=1e-9)
    aligned = box_ious(a[:300], b, box_type, aligned=True)
    np.testing.assert_allclose(aligned, np.diag(dense), rtol=0, atol=0)


@pytest.mark.parametrize('box_type', ['rbox', 'qbox'])
def test_hard_pairs(box_type):
    a, b, kind = hard_pairs(np.random.default_rng(1))
    pa, pb = rbox_to_poly(a), rbox_to_poly(b)
    if box_type == 'qbox':
        a, b = pa.reshape(-1, 8), pb.reshape(-1, 8)
    ours = box_ious(a, b, box_type, aligned=True)
    exact = np.array([reference_iou(x, y) for x, y in zip(pa, pb)])
    shp = shapely_ious(pa, pb)
    np.testing.assert_allclose(ours, exact, rtol=0, atol=1e-9)
    # shapely agrees to 1e-9 except where it is itself wrong (GEOS can
    # return an empty intersection for polygons equal up to rounding)
    shapely_wrong = np.abs(shp - exact) > 1e-9
    assert shapely_wrong.mean() < 0.01
    np.testing.assert_allclose(ours[~shapely_wrong], shp[~shapely_wrong],
                               rtol=0, atol=1e-9)
    # the same box written another way, or itself: 1
    same = np.isin(kind, ['swap', 'swap-', '+180', '-180', 'identical'])
    np.testing.assert_allclose(ours[same], 1.0, rtol=0, atol=1e-12)
    # contact without area: exactly 0
    touch = np.isin(kind, ['touch w', 'touch h', 'touch swap', 'disjoint',
                           'corner'])
    assert (ours[touch] == 0).all()
    # swapped order: the same values
    np.testing.assert_allclose(box_ious(b, a, box_type, aligned=True), ours,
                               rtol=0, atol=1e-12)


def test_identical_and_nested_values_are_exact():
    b = np.array([[500.5, 300.25, 40.0, 10.0, 0.7]])
    assert box_ious(b, b)[0, 0] == 1.0
    swapped = np.array([[500.5, 300.25, 10.0, 40.0, 0.7 + math.pi / 2]])
    assert box_ious(b, swapped)[0, 0] == 1.0
    half = np.array([[500.5, 300.25, 20.0, 10.0, 0.7]])
    assert box_ious(b, half)[0, 0] == 0.5
    assert box_ious(b, half, mode='iof')[0, 0] == 0.5
    assert box_ious(half, b, mode='iof')[0, 0] == 1.0


def test_degenerate_boxes():
    b = np.array([[10.0, 10, 8, 4, 0.3]])
    zero_w = np.array([[10.0, 10, 0, 4, 0.3]])
    negative = np.array([[10.0, 10, -8, 4, 0.3]])
    nan = np.array([[np.nan, 10, 8, 4, 0.3]])
    inf = np.array([[10.0, 10, np.inf, 4, 0.3]])
    for other in (zero_w, negative, nan, inf):
        assert box_ious(b, other)[0, 0] == 0.0
        assert box_ious(other, other, aligned=True)[0] == 0.0
        assert box_ious(other, b, aligned=True)[0] == 0.0
    # hbox with x2 <= x1, qbox without area
    assert box_ious(np.array([[5.0, 0, 1, 4]]), np.array([[0.0, 0, 9, 9]]),
                    'hbox')[0, 0] == 0.0
    line = np.array([[0.0, 0, 4, 0, 8, 0, 2, 0]])
    assert box_ious(line, line, 'qbox')[0, 0] == 0.0


def test_non_convex_qbox_is_nan():
    bowtie = np.array([[0.0, 0, 4, 4, 4, 0, 0, 4]])
    dart = np.array([[0.0, 0, 4, 1, 0, 4, 1, 1]])
    square = np.array([[0.0, 0, 4, 0, 4, 4, 0, 4]])
    for bad in (bowtie, dart):
        assert np.isnan(box_ious(bad, square, 'qbox')[0, 0])
        assert np.isnan(box_ious(square, bad, 'qbox', aligned=True)[0])
    # disjoint extents: 0 without a computation
    far = square + 100.0
    assert box_ious(bowtie, far, 'qbox')[0, 0] == 0.0


def test_empty_and_one_box():
    one = np.array([[10.0, 10, 8, 4, 0.3]])
    none = np.zeros((0, 5))
    assert box_ious(none, one).shape == (0, 1)
    assert box_ious(one, none).shape == (1, 0)
    assert box_ious(none, none, aligned=True).shape == (0, )
    r, c, v = box_iou_pairs(one)
    assert r.shape == c.shape == v.shape == (0, )
    r, c, v = box_iou_pairs(none)
    assert r.shape == (0, )
    assert box_ious(one, one)[0, 0] == 1.0
    t = box_ious(torch.zeros(0, 5), torch.zeros(3, 5))
    assert t.shape == (0, 3) and t.dtype == torch.float64
    with pytest.raises(ValueError, match='aligned'):
        box_ious(one, np.r_[one, one], aligned=True)
    with pytest.raises(ValueError, match='box type'):
        box_ious(one, one, 'obb')
    with pytest.raises(ValueError, match='mode'):
        box_ious(one, one, mode='giou')
    with pytest.raises(TypeError):
        box_ious(one, torch.tensor(one))


def _devices():
    return ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


@pytest.mark.parametrize('device', _devices())
@pytest.mark.parametrize('box_type', ['rbox', 'qbox', 'hbox'])
def test_numpy_and_torch_agree(box_type, device):
    rng = np.random.default_rng(2)
    a = as_type(random_rboxes(rng, 300), box_type)
    b = as_type(random_rboxes(rng, 200), box_type)
    ha, hb = hard_pairs(rng, 5)[:2]
    if box_type == 'qbox':
        ha, hb = (rbox_to_poly(x).reshape(-1, 8) for x in (ha, hb))
    if box_type != 'hbox':
        a, b = np.r_[a, ha], np.r_[b, hb]
    ta = torch.tensor(a, dtype=torch.float64, device=device)
    tb = torch.tensor(b, dtype=torch.float64, device=device)
    for aligned in (False, True):
        n = min(len(a), len(b))
        x, y = (a[:n], b[:n]) if aligned else (a, b)
        tx, ty = (ta[:n], tb[:n]) if aligned else (ta, tb)
        ref = box_ious(x, y, box_type, aligned=aligned)
        got = box_ious(tx, ty, box_type, aligned=aligned)
        assert got.device.type == device and got.dtype == torch.float64
        np.testing.assert_allclose(got.cpu().numpy(), ref, rtol=0,
                                   atol=1e-12)
    r, c, v = box_iou_pairs(a, None, box_type)
    tr, tc, tv = box_iou_pairs(ta, None, box_type)
    assert tv.device.type == device
    np.testing.assert_array_equal(tr.cpu().numpy(), r)
    np.testing.assert_array_equal(tc.cpu().numpy(), c)
    np.testing.assert_allclose(tv.cpu().numpy(), v, rtol=0, atol=1e-12)
    # float32 input: the same boxes in float64
    t32 = box_ious(ta.float(), tb.float(), box_type)
    n32 = box_ious(a.astype(np.float32), b.astype(np.float32), box_type)
    np.testing.assert_allclose(t32.cpu().numpy(), n32, rtol=0, atol=1e-12)


def brute_pairs(e1, e2):
    x, y = e1[:, None], e2[None]
    # extents without area are never paired (such boxes have IoU 0)
    area = ((x[..., 2] > x[..., 0]) & (x[..., 3] > x[..., 1]) &
            (y[..., 2] > y[..., 0]) & (y[..., 3] > y[..., 1]))
    return area & ((x[..., 0] < y[..., 2]) & (y[..., 0] < x[..., 2]) &
                   (x[..., 1] < y[..., 3]) & (y[..., 1] < x[..., 3]))


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_candidate_pairs_are_the_overlapping_extents(seed):
    rng = np.random.default_rng(seed)

    def extents(n):
        lo = rng.uniform(-50, 1000, (n, 2))
        size = rng.uniform(0, 60, (n, 2))
        size[:5] = rng.uniform(300, 900, (5, 2))  # a few large ones
        size[5:8, 0] = 0  # no area: never paired
        e = np.c_[lo, lo + size]
        e[8, 0] = np.nan
        # extents meeting exactly at an edge (no overlap) and at cells'
        # borders
        e[10] = [100, 100, 200, 200]
        e[11] = [200, 100, 300, 200]
        e[12] = [150, 200, 250, 260]
        return e
    e1, e2 = extents(700), extents(500)
    r, c = candidate_pairs(e1, e2)
    ri, ci = np.nonzero(brute_pairs(e1, e2))
    np.testing.assert_array_equal(r, ri)
    np.testing.assert_array_equal(c, ci)
    r, c = candidate_pairs(e1)
    ri, ci = np.nonzero(np.triu(brute_pairs(e1, e1), 1))
    np.testing.assert_array_equal(r, ri)
    np.testing.assert_array_equal(c, ci)
    for cell in (1.0, 17.0, 5000.0):  # any cell size gives the same pairs
        r2, c2 = candidate_pairs(e1, cell=cell)
        np.testing.assert_array_equal(r2, ri)
        np.testing.assert_array_equal(c2, ci)
    tr, tc = candidate_pairs(torch.tensor(e1))
    np.testing.assert_array_equal(tr.numpy(), ri)
    np.testing.assert_array_equal(tc.numpy(), ci)


def test_pairs_and_the_dense_matrix_agree():
    rng = np.random.default_rng(3)
    b = random_rboxes(rng, 500, hi=400)
    dense = box_ious(b, b)
    r, c, v = box_iou_pairs(b)
    assert (r < c).all()
    sparse = np.zeros_like(dense)
    sparse[r, c] = v
    np.testing.assert_array_equal(sparse, np.triu(dense, 1))
    # min_iou leaves out only pairs at or below it
    r2, c2, v2 = box_iou_pairs(b, min_iou=0.3)
    assert len(r2) < len(r)
    above = v > 0.3
    kept = set(zip(r2.tolist(), c2.tolist()))
    assert set(zip(r[above].tolist(), c[above].tolist())) <= kept
    # two sets
    other = random_rboxes(rng, 200, hi=400)
    r, c, v = box_iou_pairs(b, other)
    full = np.zeros((500, 200))
    full[r, c] = v
    np.testing.assert_array_equal(full, box_ious(b, other))


def test_greedy_groups_equal_the_dense_greedy():
    rng = np.random.default_rng(4)
    for trial in range(5):
        b = random_rboxes(rng, 300, hi=200)
        scores = rng.integers(0, 20, 300) / 20.0  # ties too
        dense = box_ious(b, b)
        thr = [0.0, 0.1, 0.45, 0.7, 0.9][trial]
        ref = greedy_clusters(dense, scores, thr)
        r, c, v = box_iou_pairs(b, min_iou=thr)
        order, group = greedy_groups(scores, r[v > thr], c[v > thr])
        got = [order[group[order] == k] for k in range(group.max() + 1)]
        assert len(got) == len(ref)
        for x, y in zip(got, ref):
            np.testing.assert_array_equal(x, y)
        keep = exact_nms(b, scores, thr)
        np.testing.assert_array_equal(keep, [cl[0] for cl in ref])


def test_exact_nms_drops_the_other_writing_of_a_box():
    b = np.array([[925.6494750976562, 263.9105529785156, 61.80773162841797,
                   39.35209655761719, 0.21395452320575714],
                  [925.6494750976562, 263.9105529785156, 39.35209655761719,
                   61.80773162841797, 1.7847508192062378],
                  [100.0, 100.0, 20.0, 10.0, 0.0]])
    np.testing.assert_array_equal(exact_nms(b, np.array([0.5, 0.9, 0.7]),
                                            0.1), [1, 2])
    tb = torch.tensor(b)
    np.testing.assert_array_equal(
        exact_nms(tb, torch.tensor([0.5, 0.9, 0.7]), 0.1), [1, 2])
    assert exact_nms(np.zeros((0, 5)), np.zeros(0), 0.1).shape == (0, )


def test_reference_iou_is_exact():
    # a unit square and its half, in either orientation
    sq = np.array([[0.0, 0], [2, 0], [2, 2], [0, 2]])
    half = np.array([[0.0, 0], [1, 0], [1, 2], [0, 2]])
    assert reference_iou(sq, half) == 0.5
    assert reference_iou(sq[::-1], half) == 0.5
    assert reference_iou(sq, sq + 2) == 0.0
    rng = np.random.default_rng(5)
    p = rbox_to_poly(random_rboxes(rng, 50))
    q = rbox_to_poly(random_rboxes(rng, 50))
    ref = shapely_ious(p, q)
    got = np.array([reference_iou(x, y) for x, y in zip(p, q)])
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)
