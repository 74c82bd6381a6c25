"""RBox-SSDD ingest: JPEG bytes in .png files decode, an unreadable image
is an error naming the file, the validation split carved out of one
folder, and three real images through both ways in: rotaug's DOTA-layout
config and MMRotate's own COCO-json SSDD config with rotaug.RandomRotate
dropped in, each trained a few iterations."""
import copy
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from rotaug.datasets import SSDDDataset, select_subset

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SSDD = osp.join(osp.dirname(REPO), 'shared', 'data', 'ssdd', 'train')
THREE = ('000002', '000003', '000004')
needs_ssdd = pytest.mark.skipif(
    not osp.isdir(osp.join(SSDD, 'images')),
    reason=f'RBox-SSDD training split not at {SSDD}')


def _copy_three(dst):
    """Three real SSDD images with their DOTA labels (and their COCO json
    records) under ``dst``."""
    for sub in ('images', 'labelTxt'):
        os.makedirs(osp.join(dst, sub))
    for i in THREE:
        shutil.copy(osp.join(SSDD, 'images', i + '.png'),
                    osp.join(dst, 'images'))
        shutil.copy(osp.join(SSDD, 'labelTxt', i + '.txt'),
                    osp.join(dst, 'labelTxt'))
    coco = json.load(open(osp.join(SSDD, 'train.json')))
    names = {i + '.png' for i in THREE}
    imgs = [im for im in coco['images'] if im['file_name'] in names]
    ids = {im['id'] for im in imgs}
    coco.update(images=imgs, annotations=[
        a for a in coco['annotations'] if a['image_id'] in ids])
    json.dump(coco, open(osp.join(dst, 'train.json'), 'w'))
    return coco


@needs_ssdd
def test_jpeg_in_png_decodes_by_content_with_header_sizes(tmp_path):
    import cv2
    _copy_three(tmp_path)
    with open(osp.join(tmp_path, 'images', '000002.png'), 'rb') as f:
        assert f.read(3) == b'\xff\xd8\xff'  # JPEG, whatever the name says
    ds = SSDDDataset(data_root=str(tmp_path), ann_file='labelTxt/',
                     data_prefix=dict(img_path='images/'), pipeline=[])
    assert ds.metainfo['classes'] == ('ship', )
    assert len(ds) == 3
    for i in range(3):
        info = ds.get_data_info(i)
        img = cv2.imread(info['img_path'])
        assert img is not None and img.shape[:2] == (info['height'],
                                                     info['width'])
        lines = open(osp.join(tmp_path, 'labelTxt',
                              info['img_id'] + '.txt')).read().split('\n')
        assert len(info['instances']) == sum(bool(s.strip()) for s in lines)
        assert all(o['bbox_label'] == 0 for o in info['instances'])


def test_unreadable_image_is_an_error_naming_the_file(tmp_path):
    for sub in ('images', 'labelTxt'):
        os.makedirs(tmp_path / sub)
    (tmp_path / 'images' / '000001.png').write_bytes(b'not an image')
    (tmp_path / 'labelTxt' / '000001.txt').write_text(
        '10 10 40 10 40 20 10 20 ship 0\n')
    with pytest.raises(ValueError, match=r'000001\.png: not a readable'):
        SSDDDataset(data_root=str(tmp_path), ann_file='labelTxt/',
                    data_prefix=dict(img_path='images/'), pipeline=[])


def _ids(n):
    rng = np.random.default_rng(0)
    return [dict(img_id=f'{i:06d}') for i in rng.permutation(n)]


def test_subset_every_kth_by_sorted_id_disjoint_and_complete():
    items = _ids(23)
    val = [d['img_id'] for d in select_subset(items, 'val', 5)]
    train = [d['img_id'] for d in select_subset(items, 'train', 5)]
    assert val == ['000004', '000009', '000014', '000019']
    assert set(val).isdisjoint(train)
    assert sorted(val + train) == [f'{i:06d}' for i in range(23)]
    assert select_subset(items, None, 5) is items


@pytest.mark.parametrize('kwargs', [dict(subset='test'),
                                    dict(subset='val', val_every=1),
                                    dict(subset='val', val_every=2.5)])
def test_bad_subset_arguments_name_the_value(tmp_path, kwargs):
    with pytest.raises(ValueError, match=repr(list(kwargs.values())[-1])):
        SSDDDataset(data_root=str(tmp_path), ann_file='labelTxt/',
                    data_prefix=dict(img_path='images/'), pipeline=[],
                    **kwargs)


def _train_steps(cfg, steps=2):
    """Build the model, the train dataset and ``steps`` optimizer steps
    on batches of the (three) images; the losses, all finite."""
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import DATASETS, MODELS
    from mmengine.optim import build_optim_wrapper
    torch.manual_seed(0)
    np.random.seed(0)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
        model = MODELS.build(cfg.model)
        wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        model.train()
        losses = []
        for _ in range(steps):
            batch = pseudo_collate([dataset[i] for i in range(len(dataset))])
            for s in batch['data_samples']:
                assert len(s.gt_instances) > 0
            loss_dict = model.train_step(batch, wrapper)
            losses.append({k: float(v.detach())
                           for k, v in loss_dict.items()})
    return dataset, losses


def _tiny_model(cfg):
    """The demo SSDD config's model (light backbone, one class)."""
    demo = Config.fromfile(osp.join(
        REPO, 'configs', 'demo', 'oriented-rcnn-le90_tiny_rr_ssdd.py'))
    cfg.model = demo.model
    cfg.optim_wrapper = demo.optim_wrapper
    return cfg


@needs_ssdd
def test_three_images_train_through_the_dota_layout_config(tmp_path):
    _copy_three(tmp_path)
    cfg = Config.fromfile(osp.join(
        REPO, 'configs', 'demo', 'oriented-rcnn-le90_tiny_rr_ssdd.py'))
    ds = cfg.train_dataloader.dataset
    ds.update(data_root=str(tmp_path), ann_file='labelTxt/',
              data_prefix=dict(img_path='images/'), subset=None)
    for t in ds.pipeline:
        if t['type'] == 'rotaug.RandomRotate':
            t['prob'] = 1.0
    dataset, losses = _train_steps(cfg)
    assert len(dataset) == 3
    assert all(np.isfinite(list(d.values())).all() for d in losses)


def _mmrotate_ssdd_config(root):
    """MMRotate 1.x's own configs/_base_/datasets/ssdd.py (COCO json,
    polygon masks made rboxes by ConvertMask2BoxType) with
    rotaug.RandomRotate put into its training pipeline, on ``root``; the
    class named as this release names it (tools/data/ssdd/README.md)."""
    user_cfg = osp.join(root, 'my_ssdd_config.py')
    with open(user_cfg, 'w') as f:  # a user's config on MMRotate's base
        f.write("_base_ = 'mmrotate::_base_/datasets/ssdd.py'\n"
                "default_scope = 'mmrotate'\n"
                "custom_imports = dict(imports=['rotaug'])\n")
    cfg = Config.fromfile(user_cfg)
    ds = cfg.train_dataloader.dataset
    ds.update(data_root=str(root), ann_file='train.json',
              data_prefix=dict(img='images/'), metainfo=dict(classes=(0, )))
    pipe = ds.pipeline
    flip = next(i for i, t in enumerate(pipe) if 'RandomFlip' in t['type'])
    pipe.insert(flip + 1, dict(type='rotaug.RandomRotate', prob=1.0,
                               angle_range=180))
    return _tiny_model(cfg)


@needs_ssdd
@pytest.mark.filterwarnings('ignore:The `clip` function does nothing')
def test_three_images_train_through_mmrotates_coco_ssdd_config(tmp_path):
    coco = _copy_three(tmp_path)
    assert [c['name'] for c in coco['categories']] == [0]  # not 'ship'
    cfg = _mmrotate_ssdd_config(tmp_path)
    dataset, losses = _train_steps(cfg)
    assert len(dataset) == 3
    assert all(np.isfinite(list(d.values())).all() for d in losses)
    # the json and the label files hold the same ships
    n_labels = sum(len(open(osp.join(tmp_path, 'labelTxt', i + '.txt'))
                       .read().split()) // 10 for i in THREE)
    assert n_labels == len(coco['annotations'])


@needs_ssdd
def test_mmrotates_ssdd_config_as_released_matches_no_category(tmp_path):
    """The documented quirk: classes=('ship',) finds no image, and
    mmengine stops with its opaque message."""
    _copy_three(tmp_path)
    cfg = _mmrotate_ssdd_config(tmp_path)
    ds = copy.deepcopy(cfg.train_dataloader.dataset)
    ds.metainfo = dict(classes=('ship', ))
    from mmengine.registry import DATASETS
    with DefaultScope.overwrite_default_scope('mmrotate'), \
            pytest.raises(ValueError, match='at least one array'):
        DATASETS.build(ds)


@needs_ssdd
def test_any_image_suffix_and_one_image_per_id(tmp_path):
    """A copy of SSDD whose images are .jpg (its original release) or
    .JPG loads the same; two images of one id are an error naming both."""
    _copy_three(tmp_path)
    img_dir = osp.join(tmp_path, 'images')
    os.rename(osp.join(img_dir, '000003.png'),
              osp.join(img_dir, '000003.jpg'))
    os.rename(osp.join(img_dir, '000004.png'),
              osp.join(img_dir, '000004.JPG'))
    kw = dict(data_root=str(tmp_path), ann_file='labelTxt/',
              data_prefix=dict(img_path='images/'), pipeline=[])
    ds = SSDDDataset(**kw)
    names = [osp.basename(ds.get_data_info(i)['img_path'])
             for i in range(len(ds))]
    assert sorted(names) == ['000002.png', '000003.jpg', '000004.JPG']
    assert sum(len(ds.get_data_info(i)['instances'])
               for i in range(3)) > 0
    # MMRotate's single suffix still selects
    only = SSDDDataset(img_suffix='png', **kw)
    assert [only.get_data_info(i)['img_id'] for i in range(len(only))] \
        == ['000002']
    assert only.missing['label files without an image'] == 2
    shutil.copy(osp.join(img_dir, '000002.png'),
                osp.join(img_dir, '000002.jpg'))
    with pytest.raises(ValueError, match=r'000002\.jpg.*000002\.png|'
                       r'000002\.png.*000002\.jpg'):
        SSDDDataset(**kw)
