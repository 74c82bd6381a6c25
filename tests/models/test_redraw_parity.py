"""One angle-sampling and redraw rule for both paths: the per-image
``RandomRotate`` and the batch ``BatchRandomRotate`` make the same decisions
when a turn would remove every object (``max_redraws > 0``), with and
without objects that survive unrotated."""
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData
from mmrotate.structures.bbox import RotatedBoxes

from rotaug.models import BatchRandomRotate
from rotaug.transforms import RandomRotate

H, W = 80, 100
# strict visibility: an object must stay wholly inside the canvas
STRICT = dict(min_visible_ratio=1.0, ignore_visible_ratio=1.0)


class Scripted:
    """An angle rule that returns a fixed sequence: the first angle, then
    the redraws, in order (so both paths see the same angles)."""

    rect_obj_labels = None

    def __init__(self, first, redraws):
        self._first, self._redraws = first, list(redraws)
        self.calls = []

    def first(self, rect, rng):
        self.calls.append('first')
        return self._first

    def redraw(self, rect, rng):
        self.calls.append('redraw')
        return self._redraws.pop(0)

    def fragment(self):
        return 'scripted'


def _boxes(kind):
    if kind == 'corner':  # wholly inside; any turn but 180 cuts it
        return np.array([[6.0, 5.0, 12.0, 10.0, 0.0]])
    # wholly outside the image: nothing survives, turned or not
    return np.array([[-60.0, -50.0, 10.0, 8.0, 0.3]])


def _per_image(rb, first, redraws, max_redraws):
    t = RandomRotate(prob=1.0, max_redraws=max_redraws, **STRICT)
    t.sampler = Scripted(first, redraws)
    img = np.random.default_rng(0).integers(0, 255, (H, W, 3), np.uint8)
    res = dict(img=img, img_shape=(H, W),
               gt_bboxes=RotatedBoxes(torch.tensor(rb, dtype=torch.float32)),
               gt_bboxes_labels=np.arange(len(rb)),
               gt_ignore_flags=np.zeros(len(rb), bool))
    return t, t(res)


def _batch(rb, first, redraws, max_redraws):
    aug = BatchRandomRotate(prob=1.0, max_redraws=max_redraws, **STRICT)
    aug.sampler = Scripted(first, redraws)
    ds = DetDataSample(metainfo=dict(img_shape=(H, W), pad_shape=(H, W)))
    ds.gt_instances = InstanceData(
        bboxes=RotatedBoxes(torch.tensor(rb, dtype=torch.float32)),
        labels=torch.arange(len(rb)))
    inputs = torch.rand(1, 3, H, W)
    out, samples = aug(inputs, [ds])
    return aug, samples[0]


@pytest.mark.parametrize('kind, first, redraws, max_redraws, outcome', [
    # the second redraw (180 degrees) keeps the corner object
    ('corner', 30.0, [45.0, 180.0], 5, 180.0),
    # every redraw cuts it: left unrotated after max_redraws
    ('corner', 30.0, [45.0, -60.0], 2, None),
    # nothing survives unrotated either: no redraw, the first angle turns
    ('outside', 30.0, [], 5, 30.0),
])
def test_both_paths_redraw_alike(kind, first, redraws, max_redraws,
                                 outcome):
    rb = _boxes(kind)
    t, res = _per_image(rb, first, list(redraws), max_redraws)
    aug, ds = _batch(rb, first, list(redraws), max_redraws)
    assert t.sampler.calls == aug.sampler.calls
    assert t.stats.as_dict() == aug.stats.as_dict()
    n_redraws = 0 if kind == 'outside' else min(len(redraws), max_redraws)
    assert t.stats.extra.get('angle_redraws', 0) == n_redraws
    assert t.stats.extra.get('left_unrotated', 0) == int(outcome is None)
    got = ds.gt_instances.bboxes.tensor.numpy()
    np.testing.assert_allclose(got, res['gt_bboxes'].tensor.numpy(),
                               atol=1e-4)
    if outcome is None:  # unrotated: the object is kept where it was
        assert 'homography_matrix' not in res
        np.testing.assert_array_equal(ds.metainfo['homography_matrix'],
                                      np.eye(3, dtype=np.float32))
        np.testing.assert_allclose(got, rb, atol=1e-5)
    else:
        np.testing.assert_allclose(ds.metainfo['homography_matrix'],
                                   res['homography_matrix'], atol=1e-5)
        assert not np.allclose(res['homography_matrix'], np.eye(3))
    if kind == 'outside':
        assert len(got) == 0


def test_redraws_are_turns():
    """A redraw is always a turn (the batch path once redrew with ``prob``
    and could come back unrotated without counting it)."""
    for rule in (RandomRotate(prob=0.01).sampler,
                 BatchRandomRotate(prob=0.01).sampler):
        np.random.seed(0)
        torch.manual_seed(0)
        from rotaug.sampling import NUMPY_RANDOM, TORCH_RANDOM
        for rng in (NUMPY_RANDOM, TORCH_RANDOM):
            angles = [rule.redraw(False, rng) for _ in range(200)]
            assert all(a is not None for a in angles)
            assert len(set(angles)) > 150  # drawn, not a constant


def test_first_draw_follows_prob():
    rule = RandomRotate(prob=0.3).sampler
    from rotaug.sampling import NUMPY_RANDOM, TORCH_RANDOM
    np.random.seed(1)
    torch.manual_seed(1)
    for rng in (NUMPY_RANDOM, TORCH_RANDOM):
        turned = [rule.first(False, rng) is not None for _ in range(4000)]
        assert abs(np.mean(turned) - 0.3) < 0.03
