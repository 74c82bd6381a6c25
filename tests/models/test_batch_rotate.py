"""BatchRandomRotate against the per-image Rotate: same boxes, same
survivors, images equal up to interpolation."""
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.structures import InstanceData
from mmrotate.structures.bbox import QuadriBoxes, RotatedBoxes

from rotaug.geometry import rbox_to_poly
from rotaug.models import BatchRandomRotate
from rotaug.transforms import Rotate

SHAPES = [(100, 120), (90, 110), (120, 96)]
PAD = (128, 128)


def _smooth_image(rng, h, w):
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([np.sin(x / 7.0 + c) * np.cos(y / 9.0 - c)
                    for c in range(3)], -1) * 100 + 120
    return img.astype(np.float32)


def _rboxes(rng, h, w, n=25):
    ctr = np.c_[rng.uniform(-10, w + 10, n), rng.uniform(-10, h + 10, n)]
    wh = rng.uniform(2, 40, (n, 2))
    return np.c_[ctr, wh, rng.uniform(-np.pi, np.pi, n)]


def as_box_type(rb: np.ndarray, box_type: str):
    """Rotated boxes (N, 5) as ``box_type``: the data and its container
    class (qbox: the corners; hbox: their horizontal box)."""
    if box_type == 'rbox':
        return rb, RotatedBoxes
    with np.errstate(invalid='ignore'):  # rows with non-finite angles
        p = rbox_to_poly(rb)
    if box_type == 'qbox':
        return p.reshape(-1, 8), QuadriBoxes
    return np.c_[p.min(1), p.max(1)], HorizontalBoxes


def _make(box_type, rng):
    imgs, samples, dicts = [], [], []
    for h, w in SHAPES:
        img = _smooth_image(rng, h, w)
        data, cls = as_box_type(_rboxes(rng, h, w), box_type)
        labels = np.arange(len(data))
        ds = DetDataSample(metainfo=dict(img_shape=(h, w), pad_shape=PAD))
        ds.gt_instances = InstanceData(
            bboxes=cls(torch.tensor(data, dtype=torch.float32)),
            labels=torch.tensor(labels))
        ds.ignored_instances = InstanceData(
            bboxes=cls(torch.zeros((0, data.shape[1]))),
            labels=torch.zeros(0, dtype=torch.long))
        samples.append(ds)
        padded = np.zeros(PAD + (3, ), np.float32)
        padded[:h, :w] = img
        imgs.append(torch.from_numpy(padded).permute(2, 0, 1))
        dicts.append(dict(img=img, img_shape=(h, w),
                          gt_bboxes=cls(torch.tensor(data,
                                                     dtype=torch.float32)),
                          gt_bboxes_labels=labels,
                          gt_ignore_flags=np.zeros(len(labels), bool)))
    return torch.stack(imgs), samples, dicts


def assert_as_per_image(ds, res: dict, angle: float, atol: float = 1e-3,
                        **rotate_kwargs):
    """The batch path's sample ``ds`` holds what the per-image
    ``Rotate(angle, **rotate_kwargs)`` makes of ``res`` (labels unique per
    sample): the same positives in the same order, the same ignored ones
    (in any order: those that arrived ignored come after the others in
    the batch path), in the same box container, finite boxes equal to
    ``atol``. Returns the per-image result."""
    ref = Rotate(angle, **rotate_kwargs)(res)
    boxes = ref['gt_bboxes'].tensor.numpy()
    labels, flags = ref['gt_bboxes_labels'], ref['gt_ignore_flags']
    for inst, sel, ordered in ((ds.gt_instances, ~flags, True),
                               (ds.ignored_instances, flags, False)):
        assert type(inst.bboxes) is type(ref['gt_bboxes'])
        assert inst.bboxes.dtype == ref['gt_bboxes'].dtype
        got_labels = inst.labels.numpy()
        order = (np.arange(len(got_labels)) if ordered else
                 np.argsort(got_labels))
        np.testing.assert_array_equal(got_labels[order], labels[sel])
        got = inst.bboxes.tensor.numpy()[order]
        assert np.isfinite(got).all()
        np.testing.assert_allclose(got, boxes[sel], atol=atol)
    return ref


@pytest.mark.parametrize('box_type', ['rbox', 'qbox', 'hbox'])
def test_batch_matches_per_image_rotate(box_type):
    rng = np.random.default_rng(0)
    inputs, samples, dicts = _make(box_type, rng)
    total = sum(len(d['gt_bboxes_labels']) for d in dicts)
    angles = [33.0, -121.5, 90.0]
    aug = BatchRandomRotate(max_redraws=0)
    out, samples = aug.rotate(inputs, samples, torch.tensor(angles))
    for i, (angle, res) in enumerate(zip(angles, dicts)):
        ref = Rotate(angle)(res)
        ds = samples[i]
        ref_pos = ~ref['gt_ignore_flags']
        np.testing.assert_array_equal(ds.gt_instances.labels.numpy(),
                                      ref['gt_bboxes_labels'][ref_pos])
        np.testing.assert_array_equal(ds.ignored_instances.labels.numpy(),
                                      ref['gt_bboxes_labels'][~ref_pos])
        np.testing.assert_allclose(
            ds.gt_instances.bboxes.tensor.numpy(),
            ref['gt_bboxes'].tensor.numpy()[ref_pos], atol=1e-3)
        np.testing.assert_allclose(ds.metainfo['homography_matrix'],
                                   ref['homography_matrix'], atol=1e-5)
        h, w = SHAPES[i]
        got = out[i].permute(1, 2, 0).numpy()
        # images agree up to interpolation (cv2 uses 5-bit fixed point
        # weights); away from the border where the two fill differently
        inner = np.s_[4:h - 4, 4:w - 4]
        diff = np.abs(got[:h, :w] - ref['img'])[inner]
        assert np.median(diff) < 0.5 and diff.mean() < 2.0
        # the padding stays padding
        assert (got[h:] == 0).all() and (got[:, w:] == 0).all()
    assert aug.stats.seen == total


def test_redraw_and_rect_labels():
    rng = np.random.default_rng(1)
    inputs, samples, _ = _make('rbox', rng)
    # one tiny object in the corner of each image
    for ds in samples:
        ds.gt_instances = InstanceData(
            bboxes=RotatedBoxes(torch.tensor([[5.0, 5.0, 8.0, 8.0, 0.0]])),
            labels=torch.tensor([3]))
    aug = BatchRandomRotate(prob=1.0, max_redraws=50)
    torch.manual_seed(0)
    _, samples = aug(inputs, samples)
    assert all(len(ds.gt_instances) + len(ds.ignored_instances) == 1
               for ds in samples)
    aug = BatchRandomRotate(prob=1.0, rect_obj_labels=[3])
    angles = aug.draw_angles(samples, 'cpu')
    assert set(angles.tolist()) <= {90.0, 180.0, -90.0, -180.0}


@pytest.mark.parametrize('box_type', ['rbox', 'qbox'])
@pytest.mark.parametrize('boxtype2tensor', [False, True])
def test_in_the_data_preprocessor(box_type, boxtype2tensor):
    """In mmdet's DetDataPreprocessor, also with its default
    ``boxtype2tensor=True``, which leaves plain tensors of 5 or 8 columns
    (read as rbox, qbox) before the batch augments."""
    from mmdet.registry import MODELS
    from mmengine.registry import DefaultScope
    rng = np.random.default_rng(2)
    _, samples, dicts = _make(box_type, rng)
    with DefaultScope.overwrite_default_scope('mmdet'):
        pre = MODELS.build(dict(
            type='DetDataPreprocessor', mean=[0, 0, 0], std=[1, 1, 1],
            pad_size_divisor=32, boxtype2tensor=boxtype2tensor,
            batch_augments=[dict(type='rotaug.BatchRandomRotate',
                                 prob=1.0)]))
    data = dict(inputs=[torch.from_numpy(d['img']).permute(2, 0, 1)
                        for d in dicts], data_samples=samples)
    out = pre(data, training=True)
    assert out['inputs'].shape[-2:] == (128, 128)
    for ds in out['data_samples']:
        b = ds.gt_instances.bboxes
        assert isinstance(b, torch.Tensor) == boxtype2tensor
        b = b if boxtype2tensor else b.tensor
        assert b.shape[1] == {'rbox': 5, 'qbox': 8}[box_type]
        assert torch.isfinite(b).all()
        assert 'homography_matrix' in ds.metainfo
    assert pre.batch_augments[0].stats.seen > 0


@pytest.mark.parametrize('bad', [dict(prob=2), dict(angle_range=0),
                                 dict(hbox_mode='x'),
                                 dict(angle_version='le45'),
                                 dict(interpolation='cubic'),
                                 dict(out_box_type='rbox'),
                                 dict(angle_keys='heading'),
                                 dict(angle_keys={'heading': 0})])
def test_bad_arguments(bad):
    with pytest.raises(ValueError):
        BatchRandomRotate(**bad)


def test_masks_follow_as_in_the_per_image_path():
    """Polygon masks come out as the per-image Rotate makes them (cut to
    the image, turned, clipped; a non-finite polygon left out and counted
    in the batch's stats); bitmap masks padded to the batch keep their
    padding empty, as the image does."""
    from mmdet.structures.mask import BitmapMasks, PolygonMasks
    rng = np.random.default_rng(3)
    inputs, samples, dicts = _make('hbox', rng)
    angles = [33.0, -121.5, 90.0]
    for ds, res in zip(samples, dicts):
        h, w = ds.img_shape
        boxes = res['gt_bboxes'].tensor.numpy().astype(np.float64)
        polys = [[np.array([b[0], b[1], b[2], b[1], b[2], b[3]])]
                 for b in boxes]
        polys[0] = polys[0] + [np.array([1.0, 1, np.nan, 2, 3, 3])]
        res['gt_masks'] = PolygonMasks(polys, h, w)
        ds.gt_instances.masks = PolygonMasks(polys, h, w)
    aug = BatchRandomRotate(max_redraws=0)
    _, out = aug.rotate(inputs, samples, torch.tensor(angles))
    assert aug.stats.extra['nonfinite_mask_polygons'] == 3
    for ds, res, angle in zip(out, dicts, angles):
        ref = assert_as_per_image(ds, res, angle)
        pos = ~ref['gt_ignore_flags']
        got = ds.gt_instances.masks.masks
        want = [p for p, k in zip(ref['gt_masks'].masks, pos) if k]
        assert len(got) == len(want) > 0
        for g, r in zip(got, want):
            assert len(g) == len(r)
            for a, b in zip(g, r):
                np.testing.assert_allclose(a, b, atol=1e-3)

    inputs, samples, _ = _make('rbox', rng)
    for ds in samples:
        n = len(ds.gt_instances)
        ds.gt_instances.masks = BitmapMasks(np.ones((n, ) + PAD, np.uint8),
                                            *PAD)
    _, out = aug.rotate(inputs, samples, torch.tensor(angles))
    for ds in out:
        h, w = ds.img_shape
        m = ds.gt_instances.masks.masks
        assert len(m) and m[:, :h, :w].any()
        assert not m[:, h:].any() and not m[:, :, w:].any()


def test_hboxes_refit_to_bitmap_masks_as_per_image():
    """hbox_from_masks with bitmap masks: the batch path keeps the objects
    the per-image Rotate keeps, with the same exact boxes of the turned
    pixels (not the ellipse rule of the box alone)."""
    from mmdet.structures.mask import BitmapMasks
    rng = np.random.default_rng(6)
    inputs, samples, dicts = _make('hbox', rng)
    angles = [33.0, -121.5, 90.0]
    for ds, res in zip(samples, dicts):
        h, w = ds.img_shape
        yy, xx = np.mgrid[0:h, 0:w] + 0.5
        bits = []
        for x1, y1, x2, y2 in res['gt_bboxes'].tensor.numpy():
            # the ellipse inscribed in the box: the shape the box hides
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            rx, ry = max((x2 - x1) / 2, 1), max((y2 - y1) / 2, 1)
            bits.append(((xx - cx) / rx)**2 + ((yy - cy) / ry)**2 <= 1)
        masks = BitmapMasks(np.stack(bits).astype(np.uint8), h, w)
        res['gt_masks'] = masks
        ds.gt_instances.masks = masks
    _, out = BatchRandomRotate(max_redraws=0).rotate(
        inputs, samples, torch.tensor(angles))
    plain = [Rotate(a, hbox_from_masks=False)(
        {k: v for k, v in d.items() if k != 'gt_masks'})
        for a, d in zip(angles, dicts)]
    n_in = [len(d['gt_bboxes_labels']) for d in dicts]
    for ds, res, angle, alone in zip(out, dicts, angles, plain):
        ref = assert_as_per_image(ds, res, angle)
        # each kept instance keeps its own mask, turned as per image
        pos = ~ref['gt_ignore_flags']
        np.testing.assert_array_equal(ds.gt_instances.masks.masks,
                                      ref['gt_masks'].masks[pos])
        np.testing.assert_array_equal(
            ds.ignored_instances.masks.masks[np.argsort(
                ds.ignored_instances.labels.numpy())],
            ref['gt_masks'].masks[~pos])
        got = ds.gt_instances.bboxes.tensor.numpy()
        # the masks made a difference: the box rule alone gives others
        bare = alone['gt_bboxes'].tensor.numpy()[~alone['gt_ignore_flags']]
        assert got.shape != bare.shape or not np.allclose(got, bare,
                                                          atol=1e-2)
    # objects were dropped: the masks had to be picked, not just turned
    assert sum(len(ds.gt_instances) + len(ds.ignored_instances)
               for ds in out) < sum(n_in)


def test_ignored_instances_turn_with_the_image():
    """Instances that arrive ignored (``gt_ignore_flags``, COCO's crowd
    regions, packed into ``ignored_instances``) turn, clip and drop with
    the image, as the per-image path treats flagged ground truths: they
    stay ignored, they do not keep their old place."""
    rng = np.random.default_rng(4)
    inputs, samples, dicts = _make('rbox', rng)
    for ds, res in zip(samples, dicts):
        flags = np.arange(len(res['gt_bboxes_labels'])) % 3 == 0
        res['gt_ignore_flags'] = flags
        gt = ds.gt_instances
        ds.ignored_instances = gt[torch.from_numpy(flags)]
        ds.gt_instances = gt[torch.from_numpy(~flags)]
    angles = [33.0, -121.5, 90.0]
    aug = BatchRandomRotate(max_redraws=0)
    _, out = aug.rotate(inputs, samples, torch.tensor(angles))
    for ds, res, angle in zip(out, dicts, angles):
        flags = assert_as_per_image(ds, res, angle)['gt_ignore_flags']
        assert flags.any() and (~flags).any()


def test_semantic_map_turns_with_the_image():
    """``gt_sem_seg`` (padded to the batch by the data preprocessor) turns
    as the per-image path turns ``gt_seg_map``; its padding stays."""
    from mmengine.structures import PixelData
    rng = np.random.default_rng(5)
    inputs, samples, dicts = _make('rbox', rng)
    angles = [33.0, -121.5, 0.0]
    before = []
    for ds, res in zip(samples, dicts):
        h, w = ds.img_shape
        seg = rng.integers(0, 9, (h, w)).astype(np.uint8)
        before.append(seg.copy())
        res['gt_seg_map'] = seg
        padded = np.full((1, ) + PAD, 255, np.uint8)
        padded[0, :h, :w] = seg
        ds.gt_sem_seg = PixelData(sem_seg=torch.from_numpy(padded))
    _, out = BatchRandomRotate(max_redraws=0).rotate(
        inputs, samples, torch.tensor(angles))
    for ds, res, angle in zip(out, dicts, angles):
        h, w = ds.img_shape
        got = ds.gt_sem_seg.sem_seg.numpy()[0]
        ref = Rotate(angle)(res)['gt_seg_map']
        np.testing.assert_array_equal(got[:h, :w], ref)
        assert (got[h:] == 255).all() and (got[:, w:] == 255).all()
    first = out[0].gt_sem_seg.sem_seg.numpy()[0, :100, :120]
    assert not np.array_equal(first, before[0])


@pytest.mark.parametrize('box_type', ['rbox', 'qbox'])
def test_out_box_type_hbox_as_per_image(box_type):
    """``out_box_type='hbox'``: oriented ground truths leave as the exact
    horizontal boxes of the turned, clipped objects, as the per-image
    ``Rotate(out_box_type='hbox')`` makes them (not the box of the turned
    box's corners); plain tensors (``boxtype2tensor``) leave 4 wide."""
    rng = np.random.default_rng(7)
    inputs, samples, dicts = _make(box_type, rng)
    angles = [33.0, -121.5, 90.0]
    aug = BatchRandomRotate(max_redraws=0, out_box_type='hbox')
    _, out = aug.rotate(inputs, samples, torch.tensor(angles))
    for ds, res, angle in zip(out, dicts, angles):
        assert_as_per_image(ds, res, angle, out_box_type='hbox')
        assert isinstance(ds.gt_instances.bboxes, HorizontalBoxes)
    # float64 ground truths leave in float64 on both paths (the dtype the
    # policy judged them in), only the container changes
    inputs, samples, dicts = _make(box_type, rng)
    for ds, res in zip(samples, dicts):
        cls = type(res['gt_bboxes'])
        res['gt_bboxes'] = cls(res['gt_bboxes'].tensor.double())
        for inst in (ds.gt_instances, ds.ignored_instances):
            inst.bboxes = cls(inst.bboxes.tensor.double())
    _, out = aug.rotate(inputs, samples, torch.tensor(angles))
    for ds, res, angle in zip(out, dicts, angles):
        ref = assert_as_per_image(ds, res, angle, out_box_type='hbox')
        assert isinstance(ref['gt_bboxes'], HorizontalBoxes)
        assert ref['gt_bboxes'].dtype == torch.float64

    _, samples, _ = _make(box_type, rng)
    for ds in samples:
        for inst in (ds.gt_instances, ds.ignored_instances):
            inst.bboxes = inst.bboxes.tensor
    _, out = aug.rotate(inputs, samples, torch.tensor(angles))
    for ds in out:
        for inst in (ds.gt_instances, ds.ignored_instances):
            assert type(inst.bboxes) is torch.Tensor
            assert inst.bboxes.shape[1] == 4
    # with polygon masks the horizontal boxes are refitted to them, as
    # per image (rboxes turned into hboxes, hbox_from_masks)
    from mmdet.structures.mask import PolygonMasks
    inputs, samples, dicts = _make(box_type, rng)
    for ds, res in zip(samples, dicts):
        h, w = ds.img_shape
        corners = rbox_to_poly(_rboxes(rng, h, w, len(res['gt_bboxes'])))
        polys = [[c[:3].reshape(-1)] for c in corners]  # a triangle each
        res['gt_masks'] = PolygonMasks(polys, h, w)
        ds.gt_instances.masks = PolygonMasks(polys, h, w)
    _, out = aug.rotate(inputs, samples, torch.tensor(angles))
    for ds, res, angle in zip(out, dicts, angles):
        assert_as_per_image(ds, res, angle, out_box_type='hbox')
    # a batch without any ground truth leaves in the output type too
    _, samples, _ = _make(box_type, rng)
    for ds in samples:
        ds.gt_instances = ds.gt_instances[torch.zeros(
            len(ds.gt_instances), dtype=torch.bool)]
    _, out = aug.rotate(inputs, samples, torch.tensor(angles))
    for ds in out:
        for inst in (ds.gt_instances, ds.ignored_instances):
            assert isinstance(inst.bboxes, HorizontalBoxes)
            assert inst.bboxes.tensor.shape == (0, 4)


def test_angle_keys_turn_as_per_image():
    """``angle_keys`` in the samples' metainfo get each sample's rotation
    and are wrapped into their period, as the per-image Rotate does with
    the keys of its results (an unrotated sample: wrapped only)."""
    rng = np.random.default_rng(8)
    inputs, samples, dicts = _make('rbox', rng)
    angles = [33.0, -121.5, 0.0]
    keys = {'heading': 360.0, 'axis': 180.0}
    values = [(170.0, 80.0), (-100.0, np.array([10.0, -85.0])),
              (190.0, 95.0)]
    for ds, res, (heading, axis) in zip(samples, dicts, values):
        ds.set_metainfo(dict(heading=heading, axis=axis))
        res.update(heading=heading, axis=axis)
    aug = BatchRandomRotate(max_redraws=0, angle_keys=keys)
    _, out = aug.rotate(inputs, samples, torch.tensor(angles))
    for ds, res, angle in zip(out, dicts, angles):
        ref = Rotate(angle, angle_keys=keys)(res)
        for key, period in keys.items():
            got = np.asarray(ds.metainfo[key])
            np.testing.assert_allclose(got, ref[key])
            assert ((got >= -period / 2) & (got < period / 2)).all()
    np.testing.assert_allclose(out[0].metainfo['heading'], -157.0)
    np.testing.assert_allclose(out[2].metainfo['axis'], -85.0)


def test_repr_is_the_constructor_call():
    aug = BatchRandomRotate(prob=0.3, angle_range=45, rect_obj_labels=[2],
                            min_visible_ratio=0.1, min_size=2.0,
                            img_border_value=5.0, out_box_type='hbox',
                            angle_keys=['yaw'])
    text = repr(aug)
    for option in ('prob=0.3', 'angle_range=45.0', 'rect_obj_labels=[2]',
                   'min_visible_ratio=0.1', 'min_size=2.0',
                   'img_border_value=5.0', "out_box_type='hbox'",
                   "'yaw': 360.0"):
        assert option in text, option
    again = eval(text, dict(BatchRandomRotate=BatchRandomRotate))
    assert repr(again) == text
