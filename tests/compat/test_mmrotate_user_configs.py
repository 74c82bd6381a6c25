"""MMRotate users' own dataset configs run with rotaug.RandomRotate put in
(their default scope 'mmrotate', the transform named 'rotaug.RandomRotate'):
MMRotate's DOTA config on the real DOTA sample P1888, and its SSDD config
(COCO json, polygon masks) with the masks kept, which must stay on their
boxes after the turn."""
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DATASETS, DefaultScope
from shapely.geometry import Polygon

import rotaug  # noqa: F401
from rotaug.geometry import rbox_to_poly

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SHARED = osp.join(osp.dirname(REPO), 'shared', 'data')
DOTA = osp.join(SHARED, 'dota_samples')
SSDD = osp.join(SHARED, 'ssdd', 'train')


def _user_config(tmp_path, base: str):
    path = osp.join(tmp_path, 'my_config.py')
    with open(path, 'w') as f:
        f.write(f"_base_ = 'mmrotate::_base_/datasets/{base}'\n"
                "default_scope = 'mmrotate'\n"
                "custom_imports = dict(imports=['rotaug'])\n")
    return Config.fromfile(path)


def _put_rotation(pipe, **kwargs):
    flip = next(i for i, t in enumerate(pipe) if 'RandomFlip' in t['type'])
    pipe.insert(flip + 1, dict(type='rotaug.RandomRotate', prob=1.0,
                               angle_range=180, **kwargs))


def _on_canvas(boxes, shape):
    """Every rbox finite, with sides > 0 and its centre on the canvas."""
    b = boxes.tensor.numpy()
    h, w = shape
    return (np.isfinite(b).all() and (b[:, 2:4] > 0).all()
            and ((b[:, 0] >= 0) & (b[:, 0] <= w) & (b[:, 1] >= 0)
                 & (b[:, 1] <= h)).all())


@pytest.mark.skipif(not osp.isdir(DOTA), reason=f'no DOTA samples at {DOTA}')
@pytest.mark.filterwarnings('ignore:The `clip` function does nothing')
def test_mmrotates_dota_config_with_rotaug_random_rotate(tmp_path):
    for sub in ('images', 'annfiles'):
        os.makedirs(tmp_path / 'trainval' / sub)
    shutil.copy(osp.join(DOTA, 'images', 'P1888.png'),
                tmp_path / 'trainval' / 'images')
    # MMRotate's own DOTA dataset reads no header lines: drop them
    with open(osp.join(DOTA, 'labelTxt', 'P1888.txt')) as f:
        lines = f.read().split('\n')
    (tmp_path / 'trainval' / 'annfiles' / 'P1888.txt').write_text(
        '\n'.join(x for x in lines if ':' not in x))
    cfg = _user_config(tmp_path, 'dota.py')
    ds = cfg.train_dataloader.dataset
    ds.data_root = str(tmp_path) + '/'
    _put_rotation(ds.pipeline, rect_obj_labels=[9, 11])
    np.random.seed(3)
    with DefaultScope.overwrite_default_scope('mmrotate'):
        dataset = DATASETS.build(ds)
        for _ in range(4):
            sample = dataset[0]['data_samples']
            gt = sample.gt_instances
            assert 0 < len(gt) <= 64
            assert _on_canvas(gt.bboxes, sample.img_shape)


@pytest.mark.skipif(not osp.isdir(SSDD), reason=f'no RBox-SSDD at {SSDD}')
@pytest.mark.filterwarnings('ignore:The `clip` function does nothing')
def test_mmrotates_ssdd_config_keeps_masks_on_their_boxes(tmp_path):
    os.makedirs(tmp_path / 'images')
    with open(osp.join(SSDD, 'train.json')) as f:
        coco = json.load(f)
    imgs = [im for im in coco['images']
            if im['file_name'] in ('000002.png', '000003.png', '000004.png')]
    for im in imgs:
        shutil.copy(osp.join(SSDD, 'images', im['file_name']),
                    tmp_path / 'images')
    ids = {im['id'] for im in imgs}
    coco.update(images=imgs, annotations=[
        a for a in coco['annotations'] if a['image_id'] in ids])
    with open(tmp_path / 'train.json', 'w') as f:
        json.dump(coco, f)
    cfg = _user_config(tmp_path, 'ssdd.py')
    ds = cfg.train_dataloader.dataset
    # this release names its category 0 (tools/data/ssdd/README.md)
    ds.update(data_root=str(tmp_path), ann_file='train.json',
              data_prefix=dict(img='images/'), metainfo=dict(classes=(0, )))
    for t in ds.pipeline:
        if t['type'] == 'ConvertMask2BoxType':
            t['keep_mask'] = True
    _put_rotation(ds.pipeline)
    checked = 0
    np.random.seed(0)
    with DefaultScope.overwrite_default_scope('mmrotate'):
        dataset = DATASETS.build(ds)
        for _ in range(5):  # five random turns of each image
            for i in range(len(dataset)):
                gt = dataset[i]['data_samples'].gt_instances
                assert len(gt.masks) == len(gt.bboxes) > 0
                polys = rbox_to_poly(gt.bboxes.tensor.numpy())
                for mask, box in zip(gt.masks.masks, polys.reshape(-1, 4,
                                                                   2)):
                    m = Polygon(np.asarray(mask[0]).reshape(-1, 2))
                    b = Polygon(box)
                    inter = m.intersection(b).area
                    # the ship's polygon and its box: the same object
                    assert inter / m.union(b).area > 0.8
                    checked += 1
    assert checked > 10
