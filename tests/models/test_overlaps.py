"""rotaug.RBboxOverlaps2D: MMRotate's call on the exact rotated IoU."""
import math

import numpy as np
import pytest
import torch
from mmrotate.models.task_modules.assigners import \
    RBboxOverlaps2D as MMRotateOverlaps
from mmrotate.structures.bbox import RotatedBoxes

from rotaug.geometry import box_ious
from rotaug.models import RBboxOverlaps2D
from rotaug.registry import TASK_UTILS


def _boxes(rng, n):
    return torch.tensor(np.c_[rng.uniform(0, 200, (n, 2)),
                              rng.uniform(4, 80, (n, 2)),
                              rng.uniform(-1.6, 1.6, n)],
                        dtype=torch.float32)


def test_built_from_the_registry():
    calc = TASK_UTILS.build(dict(type='rotaug.RBboxOverlaps2D'))
    assert isinstance(calc, RBboxOverlaps2D)
    assert repr(calc) == 'RBboxOverlaps2D()'


@pytest.mark.parametrize('mode', ['iou', 'iof'])
def test_matches_mmrotate_where_mmcv_is_right(mode):
    rng = np.random.default_rng(0)
    p, g = _boxes(rng, 300), _boxes(rng, 40)
    ours = RBboxOverlaps2D()(p, g, mode)
    theirs = MMRotateOverlaps()(p, g, mode)
    assert ours.dtype == torch.float32 and ours.shape == (300, 40)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-4)
    exact = box_ious(p.double(), g.double(), mode=mode)
    np.testing.assert_allclose(ours.numpy(), exact.numpy(), atol=1e-7)
    # aligned, with scores in a sixth column, and box structures
    s = torch.rand(40, 1)
    al = RBboxOverlaps2D()(RotatedBoxes(p[:40]), torch.cat([g, s], 1), mode,
                           is_aligned=True)
    assert al.shape == (40, )
    np.testing.assert_allclose(al.numpy(), np.diag(ours[:40].numpy()),
                               atol=1e-7)


def test_one_box_written_twice_is_iou_one():
    b = torch.tensor([[925.6494750976562, 263.9105529785156,
                       61.80773162841797, 39.35209655761719,
                       0.21395452320575714]])
    swapped = torch.tensor([[925.6494750976562, 263.9105529785156,
                             39.35209655761719, 61.80773162841797,
                             0.21395452320575714 + math.pi / 2]])
    assert float(RBboxOverlaps2D()(b, swapped)) == pytest.approx(1.0,
                                                                 abs=1e-6)


def test_empty_and_bad_shapes():
    calc = RBboxOverlaps2D()
    b = torch.rand(3, 5)
    assert calc(b, torch.zeros(0, 5)).shape == (3, 0)
    assert calc(torch.zeros(0, 5), b).shape == (0, 3)
    assert calc(torch.zeros(0, 5), torch.zeros(0, 5),
                is_aligned=True).shape == (0, )
    with pytest.raises(ValueError, match='rotated boxes'):
        calc(torch.rand(3, 4), b)
    with pytest.raises(ValueError, match='aligned'):
        calc(b, torch.rand(2, 5), is_aligned=True)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='no CUDA')
def test_stays_on_the_device():
    rng = np.random.default_rng(1)
    p, g = _boxes(rng, 100).cuda(), _boxes(rng, 20).cuda()
    out = RBboxOverlaps2D()(p, g)
    assert out.device == p.device
    np.testing.assert_allclose(out.cpu().numpy(),
                               RBboxOverlaps2D()(p.cpu(), g.cpu()).numpy(),
                               atol=1e-7)
