"""tools/browse_dataset.py and the drawing helpers."""
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
from mmengine.config import Config

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _load import REPO, load_tool  # noqa: E402

synth = load_tool('data/synth_dota.py')
browse = load_tool('browse_dataset.py')
DEMO = osp.join(REPO, 'configs', 'demo', 'oriented-rcnn-le90_tiny_rr_synth.py')


def test_draw_boxes_every_type_in_class_colours():
    from rotaug.visualization import class_color, draw_boxes
    img = np.zeros((100, 100, 3), np.uint8)
    boxes = {
        'hbox': np.array([[10, 10, 40, 30]], np.float32),
        'rbox': np.array([[50, 50, 30, 10, 0.5]], np.float32),
        'qbox': np.array([[60, 10, 90, 10, 90, 30, 60, 30]], np.float32),
    }
    for label, b in enumerate(boxes.values()):
        out = draw_boxes(img, b, [label + 1], thickness=1)
        colour = np.array(class_color(label + 1), float)
        px = out.reshape(-1, 3).astype(float)
        px = px[px.sum(1) > 60]  # anti-aliased lines: check the hue
        cos = px @ colour / (np.linalg.norm(px, axis=1) *
                             np.linalg.norm(colour))
        assert len(px) > 20 and cos.min() > 0.99
        assert (img == 0).all()  # drawn on a copy
    # ignored boxes are grey
    out = draw_boxes(img, boxes['hbox'], [1], ignore=[True])
    px = out.reshape(-1, 3).astype(int)
    px = px[px.sum(1) > 60]
    assert len(px) > 20 and (px.max(1) - px.min(1)).max() <= 2  # grey


def test_draw_det_sample_and_mosaic():
    import torch
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    from mmrotate.structures.bbox import RotatedBoxes

    from rotaug.visualization import draw_det_sample, mosaic
    ds = DetDataSample()
    ds.gt_instances = InstanceData(
        bboxes=RotatedBoxes(torch.tensor([[30., 30., 20., 8., 0.3]])),
        labels=torch.tensor([2]))
    ds.ignored_instances = InstanceData(
        bboxes=RotatedBoxes(torch.tensor([[60., 60., 20., 8., 0.]])),
        labels=torch.tensor([1]))
    item = dict(inputs=torch.zeros(3, 80, 90, dtype=torch.uint8),
                data_samples=ds)
    out = draw_det_sample(item, ['a', 'b', 'c'])
    assert out.shape == (80, 90, 3) and out.any()
    px = out[45:75, 45:75].reshape(-1, 3).astype(int)
    px = px[px.sum(1) > 60]
    assert len(px) > 10 and (px.max(1) - px.min(1)).max() <= 2  # grey
    tiled = mosaic([out, out[:40]], cols=2)
    assert tiled.shape == (80, 180, 3)


@pytest.fixture(scope='module')
def synth_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('browse_synth')
    synth.generate(str(root), seed=1, num=(3, 1, 1), verbose=False)
    return str(root) + '/'


def _cfg(root):
    cfg = Config.fromfile(DEMO)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = root
    return cfg


def test_browse_writes_augmented_samples(synth_root, tmp_path):
    cfg = _cfg(synth_root)
    # rotate every sample so the pictures show the augmentation
    for t in cfg.train_dataloader.dataset.pipeline:
        if t['type'] == 'rotaug.RandomRotate':
            t['prob'] = 1.0
    a = browse.browse(cfg, str(tmp_path / 'a'), num=3, seed=0,
                      write_mosaic=True)
    b = browse.browse(cfg, str(tmp_path / 'b'), num=3, seed=5)
    assert len(a) == 4 and osp.basename(a[-1]) == 'mosaic.png'
    assert len(b) == 3
    imgs_a = [cv2.imread(p) for p in a[:3]]
    imgs_b = [cv2.imread(p) for p in b]
    assert all(i is not None and i.shape[2] == 3 for i in imgs_a)
    # different seeds, different rotations of the same images
    assert any(x.shape != y.shape or (x != y).any()
               for x, y in zip(imgs_a, imgs_b))


def test_browse_command_line(synth_root, tmp_path):
    out = tmp_path / 'cli'
    browse.main([DEMO, '--output-dir', str(out), '--num', '2', '--split',
                 'val', '--cfg-options',
                 f'val_dataloader.dataset.data_root={synth_root}'])
    assert len(list(out.glob('*.png'))) == 1  # the val split has 1 image


def test_draw_boxes_with_nothing_to_draw():
    """A model that finds nothing above the threshold gives empty boxes
    (``make demo`` drew such a picture and failed)."""
    from rotaug.visualization import draw_boxes
    img = np.full((20, 30, 3), 7, np.uint8)
    for empty in (np.zeros((0, 5)), np.zeros((0, 8)), np.zeros(0), []):
        out = draw_boxes(img, empty, labels=[], scores=[])
        assert out is not img and (out == img).all()
