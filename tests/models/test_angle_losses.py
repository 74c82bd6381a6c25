"""Periodic angle losses and the sin/cos angle coder: values worked out by
hand, gradients by autograd, mmdet's weight / avg_factor / reduction rules,
registry builds, and the tilt convention of tools/orientation_demo.py
against rotaug's rotation."""
import math
import os.path as osp
import sys

import numpy as np
import pytest
import torch

from rotaug.models import (AngularDistanceLoss, PeriodicL1Loss,
                           PeriodicSmoothL1Loss, SinCosAngleCoder,
                           VonMisesNLLLoss)
from rotaug.registry import MODELS, TASK_UTILS
from rotaug.transforms import Rotate

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                            'tools'))
from _load import load_tool  # noqa: E402

demo = load_tool('orientation_demo.py')

T = torch.tensor
PI = math.pi


def _vec(deg, length=1.0):
    a = math.radians(deg)
    return [length * math.cos(a), length * math.sin(a)]


# ------------------------------------------------------- PeriodicL1Loss
@pytest.mark.parametrize('period, pred, target, expected', [
    (360.0, 179.0, -179.0, 2.0),  # across the wrap at +-180
    (360.0, -179.0, 179.0, 2.0),
    (360.0, 10.0, 350.0, 20.0),
    (360.0, 0.0, 180.0, 180.0),  # the antipode: the largest distance
    (360.0, 725.0, 0.0, 5.0),  # a raw output two turns out
    (360.0, -30.0, 30.0, 60.0),
    (180.0, 170.0, 10.0, 20.0),  # a tilt: 170 and 10 are 20 apart
    (180.0, -85.0, 85.0, 10.0),
    (180.0, 95.0, -85.0, 0.0),  # the same axis
    (180.0, 0.0, 90.0, 90.0),
    (2 * PI, 3.0, -3.0, 2 * PI - 6.0),  # radians
])
def test_periodic_l1_values(period, pred, target, expected):
    loss = PeriodicL1Loss(period=period)
    got = loss(T([pred], dtype=torch.float64), T([target],
                                                 dtype=torch.float64))
    assert float(got) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize('period, pred, target, sign', [
    (360.0, 170.0, -170.0, -1.0),  # short way: up through 180
    (360.0, -170.0, 170.0, 1.0),  # short way: down through -180
    (360.0, 10.0, 350.0, 1.0),  # down through 0
    (180.0, 80.0, -80.0, -1.0),  # up through 90
    (180.0, 30.0, 40.0, -1.0),  # no wrap: up
])
def test_periodic_l1_gradient_pulls_the_short_way(period, pred, target,
                                                  sign):
    p = T([pred], requires_grad=True)
    PeriodicL1Loss(period=period)(p, T([target])).backward()
    assert float(p.grad) == sign  # descent moves against the gradient


def test_periodic_l1_descent_goes_round_the_short_way():
    p = T([170.0], requires_grad=True)
    opt = torch.optim.SGD([p], lr=1.0)
    loss = PeriodicL1Loss(period=360.0)
    path = []
    for _ in range(20):
        opt.zero_grad()
        loss(p, T([-170.0])).backward()
        opt.step()
        path.append(float(p.detach()))
    # up from 170 to 190 (= -170), never down through 0
    assert path == sorted(path) and min(path) > 170
    assert path[-1] == pytest.approx(190.0)


def test_periodic_smooth_l1_values():
    loss = PeriodicSmoothL1Loss(period=360.0, beta=2.0, reduction='none')
    got = loss(T([179.5, 1.0, -179.0, 10.0]), T([-179.5, 4.0, 179.0, 10.0]))
    # distances 1, 3, 2, 0: 0.5 * 1 / 2, 3 - 1, 2 - 1, 0
    assert got.tolist() == pytest.approx([0.25, 2.0, 1.0, 0.0])
    assert isinstance(PeriodicL1Loss(), PeriodicSmoothL1Loss)
    assert PeriodicL1Loss().beta == 0.0


def test_weight_avg_factor_reduction_as_mmdet():
    pred, target = T([179.0, 10.0, 0.0]), T([-179.0, 350.0, 180.0])
    dist = [2.0, 20.0, 180.0]
    w = T([1.0, 0.5, 0.0])
    loss = PeriodicL1Loss(period=360.0, loss_weight=2.0)
    assert float(loss(pred, target)) == pytest.approx(2 * sum(dist) / 3)
    assert loss(pred, target, reduction_override='none').tolist() == \
        pytest.approx([2 * d for d in dist])
    assert float(loss(pred, target, reduction_override='sum')) == \
        pytest.approx(2 * sum(dist))
    assert float(loss(pred, target, w)) == pytest.approx(2 * 12.0 / 3)
    assert float(loss(pred, target, w, avg_factor=4.0)) == pytest.approx(
        2 * 12.0 / 4, rel=1e-6)
    with pytest.raises(ValueError, match='avg_factor'):
        loss(pred, target, w, avg_factor=4.0, reduction_override='sum')
    with pytest.raises(ValueError, match='reduction_override'):
        loss(pred, target, reduction_override='max')
    with pytest.raises(ValueError, match='same shape'):
        loss(pred, target[:2])


def test_empty_input_gives_a_zero_loss_with_a_graph():
    p = torch.zeros(0, requires_grad=True)
    out = PeriodicL1Loss()(p, torch.zeros(0))
    out.backward()
    assert float(out.detach()) == 0.0 and p.grad.shape == (0, )
    assert PeriodicL1Loss()(p, torch.zeros(0), reduction_override='none'
                            ).shape == (0, )
    v = torch.zeros(0, 2, requires_grad=True)
    assert float(AngularDistanceLoss()(v, torch.zeros(0, 2)).detach()) == 0.0


@pytest.mark.parametrize('kwargs, match', [
    (dict(period=0.0), 'period'), (dict(period=float('inf')), 'period'),
    (dict(reduction='avg'), 'reduction'), (dict(loss_weight='1'),
                                           'loss_weight')])
def test_periodic_l1_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PeriodicL1Loss(**kwargs)


def test_periodic_smooth_l1_bad_beta():
    with pytest.raises(ValueError, match='beta'):
        PeriodicSmoothL1Loss(beta=-1.0)


# --------------------------------------------------- AngularDistanceLoss
@pytest.mark.parametrize('p, t, theta', [
    ([1.0, 0.0], [0.0, 1.0], PI / 2),
    ([3.0, 0.0], [0.0, -0.5], PI / 2),  # non-unit vectors
    ([2.0, 2.0], [1.0, 0.0], PI / 4),
    ([-2.0, 0.0], [5.0, 0.0], PI),  # the antipode
    (_vec(100, 4.0), [1.0, 0.0], math.radians(100)),  # past 90: not flat
    (_vec(-170, 0.3), [2.0, 0.0], math.radians(170)),
    (_vec(30, 7.0), _vec(-20, 0.1), math.radians(50)),
    ([1.0, 0.0], [1.0, 0.0], 0.0),
])
@pytest.mark.parametrize('delta', [0.0, 0.2, 1.0])
def test_angular_distance_values(p, t, theta, delta):
    loss = AngularDistanceLoss(delta=delta)
    got = loss(T([p], dtype=torch.float64), T([t], dtype=torch.float64))
    assert float(got) == pytest.approx(theta**(1 + delta), abs=1e-12)


def _grad(p, t, **kwargs):
    p = T([p], dtype=torch.float64, requires_grad=True)
    loss = AngularDistanceLoss(**kwargs)(p, T([t], dtype=torch.float64))
    loss.backward()
    return float(loss.detach()), p.grad[0]


@pytest.mark.parametrize('delta', [0.0, 0.2])
def test_angular_distance_gradient_at_zero_and_at_the_antipode(delta):
    loss, g = _grad([2.0, 0.0], [1.0, 0.0], delta=delta)
    assert loss == 0.0 and torch.isfinite(g).all() and g.abs().max() == 0
    for p in ([-2.0, 0.0], [-2.0, -0.0]):
        loss, g = _grad(p, [1.0, 0.0], delta=delta)
        assert loss == pytest.approx(PI**(1 + delta))
        assert torch.isfinite(g).all()
        # d theta / d(angle of p) = +-1 and |dp| = |p| d angle: tangent,
        # length (1 + delta) pi^delta / |p|, so the prediction still moves
        assert float(g[0]) == 0.0
        assert abs(float(g[1])) == pytest.approx((1 + delta) * PI**delta / 2)


def test_angular_distance_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    p = torch.tensor(rng.normal(size=(6, 2)), requires_grad=True)
    t = torch.tensor(rng.normal(size=(6, 2)))
    loss = AngularDistanceLoss(delta=0.2, reduction='sum')
    assert torch.autograd.gradcheck(lambda x: loss(x, t), (p, ))


def test_angular_distance_zero_length_vectors():
    # a zero prediction: theta = pi / 2, pulled towards the target
    loss, g = _grad([0.0, 0.0], [0.0, -3.0], delta=0.2)
    assert loss == pytest.approx((PI / 2)**1.2)
    assert g.tolist() == pytest.approx([0.0, 1.2 * (PI / 2)**0.2])
    # as far below eps: the same rule, no 0 / 0
    loss, g = _grad([1e-30, 0.0], [0.0, -3.0])
    assert loss == pytest.approx((PI / 2)**1.2) and torch.isfinite(g).all()
    # a zero target: pi / 2 and no gradient
    loss, g = _grad([0.3, 0.4], [0.0, 0.0])
    assert loss == pytest.approx((PI / 2)**1.2) and g.abs().max() == 0
    loss, g = _grad([0.0, 0.0], [0.0, 0.0])
    assert loss == pytest.approx((PI / 2)**1.2) and g.abs().max() == 0
    # masked-out zero vectors leave no NaN in the gradient
    p = torch.zeros(3, 2, requires_grad=True)
    AngularDistanceLoss()(p, torch.zeros(3, 2), T([0.0, 0.0, 1.0])).backward()
    assert torch.isfinite(p.grad).all()


def _loop_reference(pred, target, delta):
    n, _, h, w = pred.shape
    out = np.zeros((n, h, w))
    for i in range(n):
        for y in range(h):
            for x in range(w):
                p0, p1 = pred[i, :, y, x]
                t0, t1 = target[i, :, y, x]
                theta = math.atan2(abs(p0 * t1 - p1 * t0), p0 * t0 + p1 * t1)
                out[i, y, x] = theta**(1 + delta)
    return out


def test_orientation_map_loss_against_a_loop():
    rng = np.random.default_rng(1)
    pred = rng.normal(size=(2, 2, 5, 7)) * rng.uniform(0.1, 5, (2, 1, 5, 7))
    target = rng.normal(size=(2, 2, 5, 7))
    pred[0, :, 0, 0] = -target[0, :, 0, 0] * 2  # an antipode
    pred[1, :, 2, 3] = target[1, :, 2, 3] * 0.5  # an exact match
    ref = _loop_reference(pred, target, 0.2)
    loss = AngularDistanceLoss(delta=0.2, reduction='none')
    got = loss(torch.tensor(pred), torch.tensor(target))
    assert got.shape == (2, 5, 7)
    np.testing.assert_allclose(got.numpy(), ref, atol=1e-12)
    # the components last, dim=-1
    last = AngularDistanceLoss(delta=0.2, dim=-1, reduction='none')(
        torch.tensor(pred).movedim(1, -1), torch.tensor(target).movedim(1, -1))
    np.testing.assert_allclose(last.numpy(), ref, atol=1e-12)
    # weights of the loss's shape, or of pred's (averaged over the pair)
    w = rng.uniform(size=(2, 5, 7))
    mean = AngularDistanceLoss(delta=0.2)
    expected = (ref * w).sum() / 10.0
    assert float(mean(torch.tensor(pred), torch.tensor(target),
                      torch.tensor(w), avg_factor=10.0)) == pytest.approx(
                          expected, rel=1e-6)
    w2 = torch.tensor(w)[:, None].expand(2, 2, 5, 7)
    assert float(mean(torch.tensor(pred), torch.tensor(target), w2,
                      avg_factor=10.0)) == pytest.approx(expected, rel=1e-6)


def test_angular_distance_half_precision_and_bad_input():
    p = torch.tensor([[1e-3, 0.0], [-1.0, 0.0]], dtype=torch.float16,
                     requires_grad=True)
    out = AngularDistanceLoss(reduction='sum')(p, torch.tensor(
        [[0.0, 1e-3], [1.0, 0.0]], dtype=torch.float16))
    out.backward()
    assert float(out.detach()) == pytest.approx((PI / 2)**1.2 + PI**1.2, rel=1e-3)
    assert torch.isfinite(p.grad).all()
    loss = AngularDistanceLoss()
    with pytest.raises(ValueError, match='size 2 along dim=1'):
        loss(torch.zeros(4, 3), torch.zeros(4, 3))
    with pytest.raises(ValueError, match='delta'):
        AngularDistanceLoss(delta=-0.5)
    with pytest.raises(ValueError, match='dim'):
        AngularDistanceLoss(dim=1.0)


# ------------------------------------------------------- VonMisesNLLLoss
def test_von_mises_values_and_gradients():
    loss = VonMisesNLLLoss(reduction='none')
    i0_1 = 1.2660658777520082  # I0(1), from tables
    eta = torch.tensor([[0.0, 0.0], [0.0, 1.0], [0.0, -1.0], [3.0, 4.0]],
                       dtype=torch.float64, requires_grad=True)
    target = torch.tensor([[1.0, 0.0], [0.0, 2.0], [0.0, 2.0], [0.0, 0.0]],
                          dtype=torch.float64)
    got = loss(eta, target)
    vals = got.detach().tolist()
    assert vals[0] == pytest.approx(math.log(2 * PI))  # uniform
    assert vals[1] == pytest.approx(math.log(2 * PI * i0_1) - 1)
    assert vals[2] == pytest.approx(math.log(2 * PI * i0_1) + 1)
    # zero target: only the normaliser log(2 pi I0(5))
    assert vals[3] == pytest.approx(
        math.log(2 * PI * float(torch.special.i0(torch.tensor(5.0)))),
        rel=1e-6)
    got.sum().backward()
    # at eta = 0 the gradient is -t_hat (the normaliser is flat there)
    assert eta.grad[0].tolist() == pytest.approx([-1.0, 0.0])
    assert torch.isfinite(eta.grad).all()
    rng = np.random.default_rng(2)
    e = torch.tensor(rng.normal(size=(5, 2)), requires_grad=True)
    t = torch.tensor(rng.normal(size=(5, 2)))
    assert torch.autograd.gradcheck(lambda x: loss(x, t).sum(), (e, ))
    # near zero (the series branch) too
    assert torch.autograd.gradcheck(lambda x: loss(x * 1e-3, t).sum(),
                                    (e, ))


def test_von_mises_concentration_fits_the_spread():
    # two targets at +-60 degrees: mean cosine 1/2, so the best kappa has
    # I1(kappa) / I0(kappa) = 1/2 (found here by bisection)
    lo, hi = 0.0, 10.0
    for _ in range(60):
        mid = (lo + hi) / 2
        m = torch.tensor(mid, dtype=torch.float64)
        ratio = float(torch.special.i1(m) / torch.special.i0(m))
        lo, hi = (mid, hi) if ratio < 0.5 else (lo, mid)
    kappa = (lo + hi) / 2
    eta = torch.tensor([kappa, 0.0], dtype=torch.float64,
                       requires_grad=True)
    target = torch.tensor([_vec(60), _vec(-60)], dtype=torch.float64)
    VonMisesNLLLoss()(eta.expand(2, 2), target).backward()
    assert eta.grad.abs().max() < 1e-9
    # a little more or less concentrated is worse
    for k in (0.8 * kappa, 1.25 * kappa):
        worse = VonMisesNLLLoss()(T([[k, 0.0]] * 2, dtype=torch.float64),
                                  target)
        best = VonMisesNLLLoss()(eta.detach().expand(2, 2), target)
        assert float(worse) > float(best)


# ------------------------------------------------------ SinCosAngleCoder
def test_coder_encode_by_hand():
    c = 1 / math.sqrt(2)
    for period, angles, expected in [
        (360.0, [0, 90, 180, -90, 45], [[1, 0], [0, 1], [-1, 0], [0, -1],
                                        [c, c]]),
        (180.0, [0, 45, 90, 135, 180], [[1, 0], [0, 1], [-1, 0], [0, -1],
                                        [1, 0]]),
        (90.0, [0, 22.5, 45, -22.5], [[1, 0], [0, 1], [-1, 0], [0, -1]]),
    ]:
        got = SinCosAngleCoder(period).encode(T(angles, dtype=torch.float64))
        np.testing.assert_allclose(got.numpy(), expected, atol=1e-12)


@pytest.mark.parametrize('period', [360.0, 180.0, 90.0])
def test_coder_round_trip(period):
    coder = SinCosAngleCoder(period=period)
    angles = torch.linspace(-3 * period, 3 * period, 1001,
                            dtype=torch.float64)
    back = coder.decode(coder.encode(angles))
    assert ((back >= 0) & (back < period)).all()
    err = torch.remainder(back - angles + period / 2, period) - period / 2
    assert err.abs().max() < 1e-9
    # only the direction counts
    back5 = coder.decode(coder.encode(angles) * 5.0)
    assert (back5 - back).abs().max() < 1e-9


def test_coder_shapes_and_mmrotate_interface():
    coder = SinCosAngleCoder(period=180.0)
    assert coder.encode_size == coder.encoded_size == 2
    col = torch.tensor([[10.0], [100.0], [170.0]])
    enc = coder.encode(col)  # MMRotate's (N, 1) column
    assert enc.shape == (3, 2)
    assert coder.decode(enc, keepdim=True).shape == (3, 1)
    assert coder.decode(enc).tolist() == pytest.approx([10.0, 100.0, 170.0],
                                                       abs=1e-4)
    assert coder.encode(col[:, 0]).shape == (3, 2)
    assert coder.encode(torch.zeros(2, 4, 5)).shape == (2, 4, 5, 2)
    assert coder.encode(torch.zeros(2, 4, 1), keepdim=False).shape == (2, 4,
                                                                       1, 2)
    assert coder.encode(np.array([0, 45])).dtype == torch.get_default_dtype()
    assert coder.decode(torch.zeros(0, 2)).shape == (0, )
    with pytest.raises(ValueError, match=r'\(\.\.\., 2\)'):
        coder.decode(torch.zeros(3, 3))
    with pytest.raises(ValueError, match='keepdim'):
        coder.encode(torch.zeros(3, 2), keepdim=True)
    with pytest.raises(ValueError, match='period'):
        SinCosAngleCoder(period=-1)


def test_coder_decode_range_edges():
    coder = SinCosAngleCoder(period=360.0)
    # a hair below 0: 360 - 6e-8 rounds to 360.0 in float32, kept < 360
    got = coder.decode(torch.tensor([[1.0, -1e-9], [1.0, 0.0], [-1.0, 0.0]]))
    assert ((got >= 0) & (got < 360)).all()
    assert got.tolist() == pytest.approx([0.0, 0.0, 180.0], abs=1e-5)
    le90 = SinCosAngleCoder(period=PI, start=-PI / 2)
    rad = torch.tensor([-1.5, -0.2, 0.0, 1.5, 2.0], dtype=torch.float64)
    back = le90.decode(le90.encode(rad))
    assert ((back >= -PI / 2) & (back < PI / 2)).all()
    assert back.tolist() == pytest.approx([-1.5, -0.2, 0.0, 1.5, 2.0 - PI])


# ------------------------------------------------------------ registries
def test_build_from_config_dicts():
    from mmdet.registry import MODELS as MMDET_MODELS
    from mmrotate.registry import TASK_UTILS as MMROTATE_TASK_UTILS
    loss = MODELS.build(dict(type='rotaug.PeriodicL1Loss', period=180.0,
                             loss_weight=0.5))
    assert isinstance(loss, PeriodicL1Loss) and loss.period == 180.0
    assert float(loss(T([170.0]), T([10.0]))) == pytest.approx(10.0)
    for reg in (MODELS, MMDET_MODELS):  # also from another scope
        for cfg, cls in [(dict(type='rotaug.AngularDistanceLoss',
                               delta=0.5), AngularDistanceLoss),
                         (dict(type='rotaug.PeriodicSmoothL1Loss', beta=2.0),
                          PeriodicSmoothL1Loss),
                         (dict(type='rotaug.VonMisesNLLLoss'),
                          VonMisesNLLLoss)]:
            assert type(reg.build(cfg)) is cls
    for reg in (TASK_UTILS, MMROTATE_TASK_UTILS):
        coder = reg.build(dict(type='rotaug.SinCosAngleCoder', period=90.0))
        assert isinstance(coder, SinCosAngleCoder) and coder.period == 90.0


# ------------------------------------ the demo's tilt vs rotaug's rotation
def _moment_tilt(img):
    """Major-axis angle of an image's intensity (degrees, [0, 180),
    clockwise with y down), from second moments about pixel centres."""
    w = img.astype(np.float64)
    ys, xs = np.mgrid[0:img.shape[0], 0:img.shape[1]] + 0.5
    m = w.sum()
    cx, cy = (w * xs).sum() / m, (w * ys).sum() / m
    mu20 = (w * (xs - cx)**2).sum()
    mu02 = (w * (ys - cy)**2).sum()
    mu11 = (w * (xs - cx) * (ys - cy)).sum()
    return math.degrees(0.5 * math.atan2(2 * mu11, mu20 - mu02)) % 180


@pytest.mark.parametrize('tilt, turn', [(20, 30), (170, 30), (10, -40),
                                        (60, 100), (135, -170), (95, 0)])
def test_demo_tilt_label_turns_with_the_image(tilt, turn):
    rng = np.random.default_rng(tilt)
    img, label = demo.draw_sample(rng, 64, tilt=float(tilt), dots=0)
    assert label == tilt
    assert float(demo.circular_error(_moment_tilt(img), tilt)) < 1.0
    out = Rotate(rotate_angle=turn, angle_keys={'tilt': 180})(
        dict(img=img, img_shape=img.shape, tilt=label))
    assert -90 <= float(out['tilt']) < 90
    measured = _moment_tilt(out['img'])
    assert float(demo.circular_error(measured, out['tilt'])) < 1.5
    if turn % 90:  # the opposite sign convention would be far off
        assert float(demo.circular_error(measured, tilt - turn)) > 10


def test_demo_runs_and_is_deterministic(tmp_path):
    argv = ['--iters', '3', '--batch', '4', '--train-size', '12',
            '--test-size', '8', '--size', '32', '--variants', 'a', 'b',
            'sincos', 'd', '--out', str(tmp_path / 'r.json')]
    first, second = demo.main(argv), demo.main(argv)
    names = [r['variant'] for r in first['rows']]
    assert names == ['constant', 'mse', 'wrap_mae', 'sincos', 'periodic_l1']
    for a, b in zip(first['rows'][1:], second['rows'][1:]):
        assert a['mae'] == b['mae'] and a['final_loss'] == b['final_loss']
        assert 0 <= a['mae'] <= 90
    assert osp.isfile(tmp_path / 'r.json')
    with pytest.raises(SystemExit):
        demo.parse_args(['--variants', 'z'])


def test_coder_and_loss_in_an_mmrotate_head():
    """The config of docs/angle_losses.md: RotatedFCOSHead with the coder
    (period pi, le90 range) and the loss on its two angle channels."""
    from mmengine.config import ConfigDict
    from mmengine.structures import InstanceData
    from mmrotate.structures.bbox import RotatedBoxes
    head = MODELS.build(dict(
        type='mmrotate.RotatedFCOSHead', num_classes=2, in_channels=8,
        feat_channels=8, stacked_convs=1, strides=[8], norm_cfg=None,
        regress_ranges=((-1, 1e8), ), use_hbbox_loss=True,
        scale_angle=False,
        angle_coder=dict(type='rotaug.SinCosAngleCoder', period=PI,
                         start=-PI / 2),
        loss_angle=dict(type='rotaug.AngularDistanceLoss', delta=0.2,
                        loss_weight=0.2),
        loss_bbox=dict(type='mmdet.IoULoss', loss_weight=1.0)))
    assert head.conv_angle.out_channels == 2
    torch.manual_seed(0)
    cls, bbox, angle, ctr = head([torch.randn(1, 8, 8, 8)])
    gt = InstanceData(bboxes=RotatedBoxes(T([[30., 30., 30., 10., 0.5]])),
                      labels=T([1]))
    losses = head.loss_by_feat(cls, bbox, angle, ctr, [gt],
                               [dict(img_shape=(64, 64), pad_shape=(64, 64))])
    loss_angle = losses['loss_angle']
    assert torch.isfinite(loss_angle) and 0 < float(loss_angle.detach()) <= \
        0.2 * PI**1.2
    loss_angle.backward()
    assert head.conv_angle.weight.grad.abs().sum() > 0
    res = head.predict_by_feat(
        cls, bbox, angle, ctr, rescale=False,
        batch_img_metas=[dict(img_shape=(64, 64), scale_factor=(1., 1.))],
        cfg=ConfigDict(nms_pre=100, score_thr=0.0, max_per_img=20,
                       nms=dict(type='nms_rotated', iou_threshold=0.1)))
    t = res[0].bboxes.tensor[:, 4]
    assert len(t) and ((t >= -PI / 2) & (t < PI / 2)).all()
