"""MMRotate's constructor arguments and attributes on rotaug's Rotate,
RandomRotate and RandomChoiceRotate, the ``compat='mmrotate'`` preset, and
what it turns: MMRotate's boxes, masks, maps and pixels on random scenes."""
import copy
import logging

import numpy as np
import pytest
import torch
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from mmengine.logging import MMLogger
from mmengine.registry import build_from_cfg
from mmrotate.datasets import transforms as mmrotate_transforms
from mmrotate.structures.bbox import RotatedBoxes

from rotaug.compat import COMPAT_PRESETS
from rotaug.registry import TRANSFORMS
from rotaug.transforms import RandomChoiceRotate, RandomRotate, Rotate

# MMRotate's own Rotate says that its clip does nothing to rotated boxes
pytestmark = pytest.mark.filterwarnings(
    'ignore:The `clip` function does nothing in `(Rotated|Quadri)Boxes`'
    ':UserWarning')

ROTATE_ATTRS = ('rotate_angle', 'img_border_value', 'mask_border_value',
                'seg_ignore_label', 'interpolation')
RANDOM_ATTRS = ('prob', 'rect_obj_labels', 'rotate_cfg', 'horizontal_angles')
# MMRotate's calls, keyword and positional, as its users write them
CALLS = [
    ('Rotate', (180, ), {}),
    ('Rotate', (30, (104, 116, 124), 1, 7, 'nearest'), {}),
    ('Rotate', (), dict(rotate_angle=-45.5, img_border_value=5,
                        interpolation='bicubic')),
    ('RandomRotate', (), dict(prob=0., rotate_angle=90)),
    ('RandomRotate', (), dict(rotate_angle=180)),
    ('RandomRotate', (0.3, 90, [1, 2], 'Rotate'),
     dict(interpolation='nearest', img_border_value=3)),
    ('RandomChoiceRotate', (), dict(angles=[180])),
    ('RandomChoiceRotate', ([90, 180], [0.2, 0.3], [3], 'Rotate'),
     dict(seg_ignore_label=0, rotate_angle=45)),
]
OURS = dict(Rotate=Rotate, RandomRotate=RandomRotate,
            RandomChoiceRotate=RandomChoiceRotate)


def _attrs(t):
    names = ROTATE_ATTRS if type(t).__name__ == 'Rotate' else \
        RANDOM_ATTRS + (('angle_range', ) if hasattr(t, 'angle_range') else
                        ('angles', ))
    out = {n: getattr(t, n) for n in names}
    if hasattr(t, 'rotate'):
        out['rotate'] = {n: getattr(t.rotate, n) for n in ROTATE_ATTRS}
    return out


@pytest.mark.parametrize('compat', [None, 'mmrotate'])
@pytest.mark.parametrize('name, args, kwargs', CALLS)
def test_mmrotate_s_arguments_and_attributes(name, args, kwargs, compat):
    theirs = getattr(mmrotate_transforms, name)(*args, **kwargs)
    ours = OURS[name](*args, **kwargs, compat=compat)
    assert _attrs(ours) == _attrs(theirs)
    if compat:  # the repr too; with the defaults it goes on (below)
        assert repr(ours) == repr(theirs)
    else:
        assert repr(ours).startswith(repr(theirs)[:-1] + ', ')


def test_reprs_with_the_defaults():
    """MMRotate's repr, then what differs from MMRotate's transform."""
    tail = ("mask_interpolation='nearest', clip_border=True, "
            "hbox_mode='ellipse', hbox_from_masks=True, angle_version='le90',"
            " min_visible_ratio=0.25, ignore_visible_ratio=0.5, min_size=1.0)")
    assert repr(Rotate(rotate_angle=180)) == (
        'Rotate(rotate_angle=180, img_border_value=(0.0, 0.0, 0.0), '
        'mask_border_value=0, seg_ignore_label=255, interpolation=bilinear, '
        + tail)
    assert repr(RandomRotate(rotate_angle=180)) == (
        'RandomRotate(prob=0.5, rotate_angle=180, rect_obj_labels=None, '
        "rotate_cfg={'type': 'Rotate', 'rotate_angle': 180}, "
        'max_redraws=10, sanitize_unrotated=True, ' + tail)
    assert repr(RandomChoiceRotate(angles=[180], compat='mmrotate',
                                   clip_border=True)) == (
        'RandomChoiceRotate(angles=[180], prob=0.5, rect_obj_labels=None, '
        "rotate_cfg={'type': 'Rotate', 'clip_border': True}, "
        'clip_border=True)')


def test_random_rotate_passes_rotate_s_arguments_on():
    t = RandomRotate(prob=1., rotate_angle=90, interpolation='nearest',
                     seg_ignore_label=3, clip_border=False)
    assert t.rotate.rotate_angle == 90
    assert t.rotate.interpolation == 'nearest'
    assert t.options is t.rotate.options and t.stats is t.rotate.stats
    assert (t.options.seg_ignore_label, t.options.clip_border) == (3, False)
    with pytest.raises(TypeError, match='bogus'):
        RandomRotate(bogus=1)


def _scene(h=24, w=32, labels=(0, 1)):
    boxes = RotatedBoxes(torch.tensor([[16., 12., 6., 4., 0.3],
                                       [12., 10., 4., 4., 0.]]))
    return dict(img=np.arange(h * w * 3, dtype=np.uint8).reshape(h, w, 3),
                img_shape=(h, w), gt_bboxes=boxes,
                gt_bboxes_labels=np.array(labels),
                gt_ignore_flags=np.zeros(2, bool))


def test_attributes_written_take_effect():
    t = RandomRotate(prob=0.)
    np.random.seed(0)
    assert 'homography_matrix' not in t(_scene())
    t.prob = 1.
    t.angle_range = 10
    for seed in range(5):
        np.random.seed(seed)
        t(_scene())
        assert -10 <= t.rotate.rotate_angle < 10
    t.rect_obj_labels = [1]
    t.horizontal_angles = [-90]
    t(_scene())
    assert t.rotate.rotate_angle == -90
    with pytest.raises(ValueError, match='prob'):
        t.prob = 1.5
    with pytest.raises(ValueError, match='angle_range'):
        t.angle_range = 0
    c = RandomChoiceRotate(angles=[90], prob=1.)
    c.angles = [180]
    c(_scene())
    assert c.rotate.rotate_angle == 180
    # the turn's options, one object: the pixels follow
    r = Rotate(rotate_angle=45)
    r.interpolation = 'nearest'
    r.img_border_value = 7
    r.seg_ignore_label = 9
    assert r.options.interpolation == 'nearest'
    assert r.img_border_value == (7.0, 7.0, 7.0)
    res = _scene()
    res['gt_seg_map'] = np.zeros((24, 32), np.uint8)
    out = r(res)
    assert out['img'][0, 0].tolist() == [7, 7, 7]
    assert out['gt_seg_map'][0, 0] == 9
    assert set(np.unique(out['img'])) <= set(range(24 * 32 * 3)) | {7}
    np.testing.assert_array_equal(r.homography_matrix,
                                  out['homography_matrix'])
    with pytest.raises(ValueError, match='interpolation'):
        r.interpolation = 'cubic'
    with pytest.raises(ValueError, match='rotate_angle'):
        r.rotate_angle = float('nan')


@pytest.mark.parametrize('rotate_type', ['Rotate', 'mmrotate.Rotate',
                                         'rotaug.Rotate'])
def test_rotate_type_accepted(rotate_type):
    t = RandomRotate(rotate_type=rotate_type)
    assert isinstance(t.rotate, Rotate)
    assert t.rotate_cfg == dict(type=rotate_type)


def test_other_rotate_types_refused_clearly():
    with pytest.raises(ValueError) as err:
        RandomChoiceRotate(angles=[90], rotate_type='mmdet.Rotate')
    text = str(err.value)
    assert "'mmdet.Rotate'" in text and "'Rotate'" in text


def test_compat_preset_and_what_is_given_wins():
    r = Rotate(10, compat='mmrotate')
    for name, value in COMPAT_PRESETS['mmrotate'].items():
        if name in ('max_redraws', 'sanitize_unrotated'):
            continue
        assert getattr(r.options, name) == value, name
    assert Rotate(10).options.clip_border is True
    assert Rotate(10, compat='mmrotate', clip_border=True).options.clip is True
    t = RandomRotate(compat='mmrotate', max_redraws=3)
    assert (t.max_redraws, t.sanitize_unrotated) == (3, False)
    assert t.options.angle_version is None and 'compat' not in t.rotate_cfg
    built = build_from_cfg(dict(type='rotaug.RandomChoiceRotate',
                                angles=[90], compat='mmrotate'), TRANSFORMS)
    assert built.max_redraws == 0 and built.options.clip_border == 'clamp'
    with pytest.raises(ValueError, match="compat.*'mmrotat'"):
        Rotate(10, compat='mmrotat')


def _random_scene(rng, box_type, h=48, w=64, n=6, n_masks=None):
    cx, cy = rng.uniform(0, w, n), rng.uniform(0, h, n)
    bw, bh = rng.uniform(2, 30, n), rng.uniform(2, 30, n)
    rb = np.stack([cx, cy, bw, bh, rng.uniform(-1.5, 1.5, n)], 1)
    if box_type == 'hbox':
        hb = np.clip(np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2,
                               cy + bh / 2], 1), 0, [w, h, w, h])
        boxes = HorizontalBoxes(torch.tensor(hb, dtype=torch.float32))
    else:
        boxes = RotatedBoxes(torch.tensor(rb, dtype=torch.float32))
        if box_type == 'qbox':
            boxes = boxes.convert_to('qbox')
    masks = np.zeros((n, h, w), np.uint8)
    for k in range(n):
        y, x = rng.integers(0, h - 8), rng.integers(0, w - 8)
        masks[k, y:y + rng.integers(2, 20), x:x + rng.integers(2, 20)] = 1
    return dict(img=rng.integers(0, 255, (h, w, 3), dtype=np.uint8),
                img_shape=(h, w), gt_bboxes=boxes,
                gt_bboxes_labels=np.arange(n),
                gt_ignore_flags=rng.random(n) < 0.2,
                gt_masks=BitmapMasks(masks, h, w),
                gt_seg_map=rng.integers(0, 255, (h, w), dtype=np.uint8))


@pytest.mark.parametrize('box_type', ['rbox', 'qbox', 'hbox'])
def test_compat_turns_as_mmrotate(box_type):
    """Under compat='mmrotate', Rotate gives MMRotate's pixels, boxes (to
    float32 rounding), kept objects, masks (bilinear, as the image; four
    per image: OpenCV warps more channels otherwise) and seg maps, on
    random scenes whose boxes have their centres on the image."""
    MMLogger.get_current_instance().setLevel(logging.WARNING)
    rng = np.random.default_rng(0)
    for _ in range(60):
        res = _random_scene(rng, box_type, n=4)
        angle = float(rng.choice([rng.uniform(-180, 180), 90, -90, 180]))
        theirs = mmrotate_transforms.Rotate(angle)(copy.deepcopy(res))
        ours = Rotate(angle, compat='mmrotate')(copy.deepcopy(res))
        for key in ('img', 'gt_bboxes_labels', 'gt_ignore_flags',
                    'gt_seg_map'):
            np.testing.assert_array_equal(ours[key], theirs[key], key)
        np.testing.assert_array_equal(ours['gt_masks'].masks,
                                      theirs['gt_masks'].masks)
        np.testing.assert_allclose(ours['gt_bboxes'].tensor.numpy(),
                                   theirs['gt_bboxes'].tensor.numpy(),
                                   atol=5e-5)
    # with the defaults the same scenes differ (boxes refitted, masks
    # nearest): the comparison can fail
    res = _random_scene(np.random.default_rng(1), box_type, n=4)
    theirs = mmrotate_transforms.Rotate(33)(copy.deepcopy(res))
    ours = Rotate(33)(copy.deepcopy(res))
    assert not np.array_equal(ours['gt_masks'].masks,
                              theirs['gt_masks'].masks)
