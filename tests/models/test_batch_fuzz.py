"""Differential fuzz: on random batches (every box type, boxes across and
beyond the border, zero-size, non-finite, some arriving ignored, images of
different sizes in one padded batch, angles 0, 90, 180 and any), the batch
path keeps, ignores and places exactly the ground truths the per-image
Rotate does."""
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from rotaug.models import BatchRandomRotate
from test_batch_rotate import as_box_type, assert_as_per_image

PAD = (96, 96)
DIMS = {'hbox': 4, 'rbox': 5, 'qbox': 8}


def _boxes(rng, box_type, h, w, n):
    ctr = np.c_[rng.uniform(-15, w + 15, n), rng.uniform(-15, h + 15, n)]
    wh = rng.choice([0.0, 0.5, 3, 20, 60], (n, 2)) * rng.uniform(
        0.5, 1.5, (n, 2))
    rb = np.c_[ctr, wh, rng.uniform(-4, 4, n)]
    if n and rng.random() < 0.3:
        rb[rng.integers(n), rng.integers(5)] = rng.choice([np.nan, np.inf])
    data, cls = as_box_type(rb, box_type)
    data = data.astype(np.float32).reshape(-1, DIMS[box_type])
    return torch.from_numpy(data), cls


def _batch(rng, box_type):
    samples, dicts, imgs = [], [], []
    for _ in range(int(rng.integers(1, 4))):
        h, w = int(rng.integers(20, 96)), int(rng.integers(20, 96))
        n = int(rng.integers(0, 12))
        boxes, cls = _boxes(rng, box_type, h, w, n)
        labels = np.arange(n)
        flags = rng.random(n) < 0.3
        ds = DetDataSample(metainfo=dict(img_shape=(h, w), pad_shape=PAD))
        ds.gt_instances = InstanceData(
            bboxes=cls(boxes[torch.from_numpy(~flags)]),
            labels=torch.from_numpy(labels[~flags]))
        ds.ignored_instances = InstanceData(
            bboxes=cls(boxes[torch.from_numpy(flags)]),
            labels=torch.from_numpy(labels[flags]))
        samples.append(ds)
        img = rng.uniform(0, 255, (h, w, 3)).astype(np.float32)
        padded = np.zeros(PAD + (3, ), np.float32)
        padded[:h, :w] = img
        imgs.append(torch.from_numpy(padded).permute(2, 0, 1))
        dicts.append(dict(img=img, img_shape=(h, w),
                          gt_bboxes=cls(boxes.clone()),
                          gt_bboxes_labels=labels, gt_ignore_flags=flags))
    return torch.stack(imgs), samples, dicts


@pytest.mark.parametrize('seed', range(4))
def test_batch_path_decides_as_the_per_image_path(seed):
    rng = np.random.default_rng(seed)
    compared = 0
    for _ in range(25):
        box_type = str(rng.choice(list(DIMS)))
        inputs, samples, dicts = _batch(rng, box_type)
        angles = [float(rng.choice([0, 90, -180, rng.uniform(-180, 180)]))
                  for _ in samples]
        # oriented ground truths may leave as exact horizontal boxes
        kwargs = dict(out_box_type='hbox') if (
            box_type != 'hbox' and rng.random() < 0.3) else {}
        aug = BatchRandomRotate(max_redraws=0, **kwargs)
        _, out = aug.rotate(inputs, samples, torch.tensor(angles))
        for ds, res, angle in zip(out, dicts, angles):
            assert_as_per_image(ds, res, angle, atol=2e-3, **kwargs)
            compared += len(ds.gt_instances) + len(ds.ignored_instances)
    assert compared > 50
