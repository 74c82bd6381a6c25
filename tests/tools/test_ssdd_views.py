"""ssdd_views.py: a view's predictions mapped back without fusion, and the
edge offsets of matched detections."""
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.structures import InstanceData
from mmrotate.structures.bbox import RotatedBoxes

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _load import harness, load_tool  # noqa: E402

views = load_tool('benchmarks/ssdd_views.py')


def _sample(boxes, gt, scores, homography, scale=(1.0, 1.0)):
    s = DetDataSample(metainfo=dict(homography_matrix=np.asarray(
        homography, np.float32), scale_factor=scale))
    s.pred_instances = InstanceData(bboxes=boxes,
                                    scores=torch.tensor(scores),
                                    labels=torch.zeros(len(scores),
                                                       dtype=torch.long))
    s.gt_instances = InstanceData(bboxes=gt)
    return s


def test_a_half_turn_view_comes_back_unfused():
    # a 100 x 60 image turned by 180 degrees: x -> 100 - x, y -> 60 - y
    h = [[-1, 0, 100], [0, -1, 60], [0, 0, 1]]
    # two overlapping boxes of one view: both come back, none fused
    seen = HorizontalBoxes(torch.tensor([[70., 40, 90, 50], [71, 40, 91,
                                                             50]]))
    s = _sample(seen, HorizontalBoxes(torch.zeros(0, 4)), [0.9, 0.8], h)
    back = views.one_view_back(s)
    np.testing.assert_allclose(back.pred_instances.bboxes.tensor.numpy(),
                               [[10, 10, 30, 20], [9, 10, 29, 20]])
    # the view's own sample is left as it was
    assert s.pred_instances.bboxes.tensor[0, 0] == 70
    # rotated boxes, with rescale undone (the view was resized by 2)
    h2 = [[-2, 0, 200], [0, -2, 120], [0, 0, 1]]
    rb = RotatedBoxes(torch.tensor([[80., 40, 20, 10, 0.3]]))  # rescaled
    s2 = _sample(rb, RotatedBoxes(torch.zeros(0, 5)), [0.9], h2, (2., 2.))
    got = views.one_view_back(s2).pred_instances.bboxes.tensor.numpy()[0]
    # centre (160, 80) in the view -> (20, 20); same size, same angle mod pi
    np.testing.assert_allclose(got[:4], [20, 20, 20, 10], atol=1e-4)
    assert abs(np.sin(got[4] - 0.3)) < 1e-5


def test_edge_offsets_of_matched_detections():
    gt = HorizontalBoxes(torch.tensor([[10., 10, 30, 20], [50, 50, 60, 80]]))
    pred = HorizontalBoxes(torch.tensor([
        [11., 10.5, 31, 20.5],  # shifted (+1, +0.5): matches the first
        [50, 50, 61, 82],       # bigger: matches the second
        [200, 200, 210, 210],   # matches nothing
        [10, 10, 30, 20]]))     # exact, but scored below the threshold
    s = _sample(pred, gt, [0.9, 0.8, 0.9, 0.1], np.eye(3))
    off = views.edge_offsets([s], min_score=0.3)
    np.testing.assert_allclose(off, [[1, 0.5, 1, 0.5], [0, 0, 1, 2]])
    # quadrilateral ground truths are compared by their bounding boxes
    from mmrotate.structures.bbox import QuadriBoxes
    q = QuadriBoxes(torch.tensor([[10., 10, 30, 10, 30, 20, 10, 20]]))
    s = _sample(HorizontalBoxes(torch.tensor([[10., 11, 30, 21]])), q,
                [0.9], np.eye(3))
    np.testing.assert_allclose(views.edge_offsets([s]), [[0, 1, 0, 1]])
    assert views.edge_offsets([]).shape == (0, 4)


def test_flip_views_replace_the_configs_quarter_turns():
    from mmengine.config import Config
    ssdd = load_tool('benchmarks/proof_ssdd.py')
    cfg = Config.fromfile(ssdd.HBB_CONFIG)
    before = [views.view_name(v) for v in harness.tta_view_pipelines(cfg)]
    assert before == ['view 0', 'view 90', 'view 180', 'view 270']
    flips = views.with_views(cfg, views.FLIP_VIEWS)
    assert [views.view_name(v) for v in harness.tta_view_pipelines(
        flips)] == ['view 0', 'flip horizontal', 'view 180', 'flip vertical']
    # the config itself is untouched
    assert [views.view_name(v) for v in harness.tta_view_pipelines(
        cfg)] == before
    one = views.with_views(cfg, views.FLIP_VIEWS[:1])
    with pytest.raises(ValueError, match='one stage of views'):
        views.with_views(one, views.FLIP_VIEWS)
