"""Every detector config carries test-time augmentation: a tta_model that
builds, a tta_pipeline whose views record what the way back needs and keep
the ground truths in original coordinates; tools/test.py --tta wires them
in; views merge per patch, then patches per image."""
import glob
import os.path as osp
import sys

import numpy as np
import pytest
import shapely
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    f for f in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                         recursive=True)
    if '_base_' not in f and not osp.basename(f).startswith('_'))
sys.path.insert(0, osp.join(REPO, 'tests', 'tools'))
from _load import load_tool  # noqa: E402


class _NoDetector(torch.nn.Module):
    """Stands in for a detector: the views' predictions are given."""

    def test_step(self, data):
        raise AssertionError('not called')


def _rel(path):
    return osp.relpath(path, REPO)


def _sample(box):
    """A loaded image (as LoadImageFromFile leaves it) with one object."""
    rng = np.random.default_rng(0)
    h, w = 96, 128
    return dict(img=rng.integers(0, 255, (h, w, 3), dtype=np.uint8),
                img_shape=(h, w), ori_shape=(h, w), img_id='x',
                img_path='x.png',
                instances=[dict(bbox=box, bbox_label=0, ignore_flag=0)])


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_config_has_tta(path):
    from mmcv.transforms import Compose

    from rotaug.models.tta import parse_tta_cfg
    cfg = Config.fromfile(path)
    assert cfg.tta_model.type == 'rotaug.RotatedTTAModel'
    parse_tta_cfg(cfg.tta_model.get('tta_cfg'))
    tta = cfg.tta_pipeline[-1]
    assert tta.type == 'TestTimeAug'
    angles = sorted(t.rotate_angle for step in tta.transforms for t in step
                    if t.type == 'rotaug.Rotate')
    assert angles == [0, 90, 180, 270]
    pack = tta.transforms[-1][0]
    assert {'homography_matrix', 'scale_factor', 'img_shape'} <= set(
        pack.meta_keys)
    quad = [10.0, 20.0, 50.0, 20.0, 50.0, 40.0, 10.0, 40.0]
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmdet')):
        out = Compose(cfg.tta_pipeline[1:])(_sample(quad))
    assert len(out['data_samples']) == 4
    shapes = set()
    for ds in out['data_samples']:
        assert ds.metainfo['homography_matrix'].shape == (3, 3)
        shapes.add(tuple(ds.metainfo['img_shape']))
        # annotations loaded after the views: original coordinates, as
        # horizontal boxes for the horizontal detectors
        gt = ds.gt_instances.bboxes
        assert gt.box_dim == (4 if '-hbb' in path else 5)
        poly = gt.convert_to('qbox').tensor.reshape(4, 2).double().numpy()
        got = shapely.Polygon(poly)
        want = shapely.box(10, 20, 50, 40)
        assert got.intersection(want).area / got.union(want).area > 0.9999
    assert len(shapes) == 2  # quarter turns of a 4:3 canvas


@pytest.mark.parametrize('path', [p for p in CONFIGS if '/demo/' in p],
                         ids=_rel)
def test_use_tta_wraps_the_model(path):
    from mmdet.registry import MODELS as MMDET_MODELS

    from rotaug.models import RotatedTTAModel
    test_tool = load_tool('test.py')
    cfg = Config.fromfile(path)
    test_tool.use_tta(cfg)
    assert cfg.test_dataloader.dataset.pipeline == cfg.tta_pipeline
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MMDET_MODELS.build(cfg.model)
    assert isinstance(model, RotatedTTAModel)
    assert model.tta_cfg['max_per_img'] == cfg.tta_model.tta_cfg.max_per_img
    bare = Config(dict(model=dict(type='X'), tta_pipeline=[],
                       test_dataloader=dict(dataset=dict(pipeline=[]))))
    with pytest.raises(KeyError, match='tta_model'):
        test_tool.use_tta(bare)


def test_views_merge_per_patch_then_patches_per_image():
    """Two overlapping patches of one image, each seen in four views; the
    merged patches go to DOTAMetric(merge_patches=True): every object once,
    mAP 1."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    from mmrotate.structures.bbox import RotatedBoxes

    from rotaug.evaluation import DOTAMetric
    from rotaug.geometry import image_rotation
    from rotaug.models import RotatedTTAModel

    # objects of the full image; patch k covers x in [64 k, 64 k + 128)
    objs = np.array([[40.0, 50, 30, 10, 0.4], [100, 40, 24, 12, -0.7],
                     [150, 60, 20, 8, 1.2]])
    model = RotatedTTAModel(_NoDetector(), tta_cfg=dict(merge='wbf'))
    samples = []
    for k, x0 in enumerate((0, 64)):
        inside = (objs[:, 0] - 16 >= x0) & (objs[:, 0] + 16 <= x0 + 128)
        local = objs[inside] - [x0, 0, 0, 0, 0]
        views = []
        for a in (0, 90, 180, 270):
            m, (w, h) = image_rotation(128, 96, a, expand=True)
            c = local[:, :2] @ m[:2, :2].T + m[:2, 2]
            boxes = np.c_[c, local[:, 2:4], local[:, 4] + np.radians(a)]
            ds = DetDataSample(metainfo=dict(
                img_id=f'P0001__1024__{x0}___0', homography_matrix=m,
                scale_factor=(1.0, 1.0), img_shape=(h, w)))
            ds.pred_instances = InstanceData(
                bboxes=RotatedBoxes(torch.tensor(boxes, dtype=torch.float32)),
                scores=torch.full((len(boxes), ), 0.9),
                labels=torch.zeros(len(boxes), dtype=torch.long))
            ds.gt_instances = InstanceData(
                bboxes=RotatedBoxes(torch.tensor(local)),
                labels=torch.zeros(len(local), dtype=torch.long))
            views.append(ds)
        samples.append(model.merge_views(views))
        assert len(samples[-1].pred_instances) == int(inside.sum())
    metric = DOTAMetric(merge_patches=True)
    metric.dataset_meta = dict(classes=('a', ))
    metric.process(None, samples)
    res = metric.compute_metrics(metric.results)
    assert res['mAP'] == pytest.approx(1.0)
