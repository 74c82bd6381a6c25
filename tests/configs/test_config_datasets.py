"""Every config's datasets build and give a sample the way the runner
builds them: ``mmengine.registry.DATASETS`` under the config's own
``default_scope``, so that an unprefixed mmdet transform inside
``rotaug.DOTADataset`` (whose scope's transforms descend from MMEngine's
root, not mmdet's) resolves as it would in training, not as a test under
the ``mmdet`` scope would resolve it."""
import copy
import glob
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DATASETS, DefaultScope

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    f for f in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                         recursive=True)
    if '_base_' not in f and not osp.basename(f).startswith('_'))
SPLITS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _write_split(root, ds, rng):
    """96 x 80 images with three objects each (a plane, a difficult ship
    and a ship, so that one-class ship configs find one) where the
    config's dataset looks for them: one image, or as many as a dataset
    split into train / val subsets needs for one of each."""
    img_dir = osp.join(root, ds.data_prefix['img_path'])
    os.makedirs(img_dir, exist_ok=True)
    num = ds.get('val_every', 1) if ds.get('subset') else 1
    for i in range(num):
        cv2.imwrite(osp.join(img_dir, f'P{i + 1:04d}.png'),
                    rng.integers(0, 255, (80, 96, 3), dtype=np.uint8))
        if ds.get('ann_file'):
            ann_dir = osp.join(root, ds.ann_file)
            os.makedirs(ann_dir, exist_ok=True)
            with open(osp.join(ann_dir, f'P{i + 1:04d}.txt'), 'w') as f:
                f.write('10 10 40 12 38 30 8 28 plane 0\n'
                        '50 40 90 40 90 60 50 60 ship 1\n'
                        '56 6 88 6 88 22 56 22 ship 0\n')


def _dataset_cfgs(cfg):
    """(name, dataset config) for each split, and the test split through
    the ``tta_pipeline`` as ``tools/test.py --tta`` builds it."""
    out = [(key, cfg[key].dataset) for key in SPLITS]
    if cfg.get('tta_pipeline'):
        ds = copy.deepcopy(cfg.test_dataloader.dataset)
        ds.pipeline = cfg.tta_pipeline
        out.append(('tta', ds))
    return out


def _class_names():
    import rotaug  # noqa: F401  registers the dataset
    from rotaug.registry import DATASETS as ROTAUG_DATASETS
    return ROTAUG_DATASETS.get('DOTADataset').METAINFO['classes']


@pytest.mark.parametrize('path', CONFIGS,
                         ids=lambda p: osp.relpath(p, REPO))
def test_config_datasets_build_and_load_a_sample(path, tmp_path):
    assert 'plane' in _class_names() and 'ship' in _class_names()
    cfg = Config.fromfile(path)
    rng = np.random.default_rng(0)
    for name, ds in _dataset_cfgs(cfg):
        ds = copy.deepcopy(ds)
        ds.data_root = str(tmp_path / name)
        _write_split(ds.data_root, ds, rng)
        with DefaultScope.overwrite_default_scope(
                cfg.get('default_scope', 'mmdet')):
            dataset = DATASETS.build(ds)
            sample = dataset[0]
        views = sample if name == 'tta' else None
        if views is not None:  # TestTimeAug: lists of views
            assert len(views['inputs']) >= 2, name
            samples = views['data_samples']
        else:
            samples = [sample['data_samples']]
            assert sample['inputs'].ndim == 3, name
        loads_gt = 'LoadAnnotations' in str(ds.pipeline)
        for s in samples:
            assert s.img_shape[0] > 0, name
            if loads_gt:  # the objects arrive (train: a turn keeps one)
                assert len(s.gt_instances) >= 1, name
            if name == 'tta':  # what RotatedTTAModel maps back with
                assert 'homography_matrix' in s, name
