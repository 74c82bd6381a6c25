"""The horizontal-box proof's pieces: the variants' pipelines, the pixel
ground truths of the turned test split, and the box-rule measurement's
geometry."""
import os
import os.path as osp
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _load import REPO, load_tool  # noqa: E402

hbb = load_tool('benchmarks/proof_hbb.py')
rules = load_tool('benchmarks/hbox_rules.py')
synth = load_tool('data/synth_dota.py')


def _base_pipeline():
    from mmengine.config import Config
    cfg = Config.fromfile(hbb.HBB_CONFIG)
    return [dict(t) for t in cfg.train_dataloader.dataset.pipeline]


def _types(pipe):
    return [t['type'] for t in pipe]


def test_variant_pipelines_differ_only_in_the_rotation():
    base = _base_pipeline()
    exact = hbb.hbb_pipeline('exact', base)
    assert exact == base
    none = hbb.hbb_pipeline('none', base)
    assert 'rotaug.RandomRotate' not in _types(none)
    assert none[-2] == dict(type='rotaug.SanitizeGT', out_box_type='hbox')
    for mode in ('ellipse', 'envelope'):
        pipe = hbb.hbb_pipeline(mode, base)
        rot = pipe[_types(pipe).index('rotaug.RandomRotate')]
        assert rot['hbox_mode'] == mode and rot['prob'] == 0.5
        # horizontal from the first sanitizer on, no sanitizer afterwards
        assert pipe[2] == dict(type='rotaug.SanitizeGT', out_box_type='hbox')
        assert _types(pipe).count('rotaug.SanitizeGT') == 1
    mm = hbb.hbb_pipeline('mmdet', base)
    rot = mm[_types(mm).index('mmdet.Rotate')]
    assert (rot['prob'], rot['max_mag'], rot['reversal_prob']) == (
        0.5, 180.0, 0.5)
    assert 'rotaug.RandomRotate' not in _types(mm)
    assert _types(mm).count('rotaug.SanitizeGT') == 1  # before the turn
    filt = hbb.hbb_pipeline('mmdet-filter', base)
    i = _types(filt).index('mmdet.Rotate')
    assert filt[i + 1] == dict(type='mmdet.FilterAnnotations',
                               min_gt_bbox_wh=(1e-2, 1e-2))
    # all but the rotation step are the same transforms in the same order
    for pipe in (none, mm, filt):
        rest = [t for t in _types(pipe) if 'Rotate' not in t and
                'Filter' not in t and 'Sanitize' not in t]
        assert rest == [t for t in _types(base) if 'Rotate' not in t and
                        'Sanitize' not in t]
    with pytest.raises(ValueError, match='unknown HBB variant'):
        hbb.hbb_pipeline('kornia', base)


@pytest.mark.parametrize('name', ['none', 'mmdet', 'mmdet-filter', 'exact',
                                  'ellipse', 'envelope'])
def test_variant_pipelines_give_horizontal_boxes(name, tmp_path):
    import cv2
    import rotaug  # noqa: F401
    from mmcv.transforms import Compose
    from mmengine.registry import DefaultScope
    from mmrotate.structures.bbox import QuadriBoxes

    from rotaug.datasets.dota_io import parse_dota_label_file
    synth.generate(str(tmp_path), seed=1, num=(2, 0, 0), verbose=False)
    pipe = hbb.hbb_pipeline(name, _base_pipeline())
    with DefaultScope.overwrite_default_scope('mmdet'):
        compose = Compose(pipe[2:])  # the boxes are given below
    np.random.seed(0)
    for i in range(2):
        stem = f'train{i:04d}'
        objs, _ = parse_dota_label_file(
            str(tmp_path / 'train' / 'labelTxt' / f'{stem}.txt'),
            synth.CLASSES)
        img = cv2.imread(str(tmp_path / 'train' / 'images' / f'{stem}.png'))
        q = np.array([o['poly'] for o in objs], np.float32)
        out = compose(dict(
            img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2],
            img_path=stem, img_id=stem,
            gt_bboxes=QuadriBoxes(torch.from_numpy(q)),
            gt_bboxes_labels=np.array([o['label'] for o in objs]),
            gt_ignore_flags=np.zeros(len(objs), bool)))
        if out is None:  # FilterAnnotations removed every box
            continue
        boxes = out['data_samples'].gt_instances.bboxes
        assert type(boxes).__name__ == 'HorizontalBoxes', name
        assert boxes.tensor.shape[1] == 4


def test_quad_ellipse_hbox_against_worked_values():
    # a 4 x 2 rectangle centred at (10, 5), turned by 90 degrees about
    # the origin (x, y) -> (-y, x): its ellipse and its box agree
    quad = np.array([[8.0, 4.0, 12.0, 4.0, 12.0, 6.0, 8.0, 6.0]])
    turn90 = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    for fill in (0.0, 0.5, 1.0):
        np.testing.assert_allclose(
            rules.quad_ellipse_hbox(quad, turn90, fill),
            [[-6.0, 8.0, -4.0, 12.0]], atol=1e-12)
    # a 2 x 2 square turned by 45 degrees: circle of radius 1 (box half
    # side 1) against the square's box (half side sqrt 2)
    c = np.sqrt(0.5)
    turn45 = np.array([[c, -c, 0.0], [c, c, 0.0], [0.0, 0.0, 1.0]])
    sq = np.array([[-1.0, -1.0, 1.0, -1.0, 1.0, 1.0, -1.0, 1.0]])
    for fill, half in ((0.0, 1.0), (1.0, np.sqrt(2)),
                       (0.5, (1 + np.sqrt(2)) / 2)):
        np.testing.assert_allclose(rules.quad_ellipse_hbox(sq, turn45, fill),
                                   [[-half, -half, half, half]], atol=1e-12)
    with pytest.raises(ValueError, match='fill'):
        rules.quad_ellipse_hbox(sq, turn45, 1.5)


def test_mask_and_polygon_boxes_and_iou():
    m = np.zeros((2, 10, 12), np.uint8)
    m[0, 2:5, 3:9] = 1
    b = rules.mask_boxes(m)
    np.testing.assert_array_equal(b[0], [3, 2, 9, 5])
    assert np.isnan(b[1]).all()
    np.testing.assert_allclose(
        rules.box_iou(np.array([[0.0, 0, 2, 2], [0, 0, 1, 1]]),
                      np.array([[1.0, 0, 3, 2], [2, 2, 3, 3]])), [1 / 3, 0])
    # a square half outside its 20 x 20 image, turned 180 degrees about
    # the centre: the visible half lands on the other side
    sq = [np.array([[-4.0, 6.0], [4.0, 6.0], [4.0, 10.0], [-4.0, 10.0]])]
    turn = np.array([[-1.0, 0.0, 20.0], [0.0, -1.0, 20.0], [0, 0, 1]])
    np.testing.assert_allclose(rules.polygon_boxes([sq], turn, 20, 20),
                               [[16.0, 10.0, 20.0, 14.0]])


def test_rules_on_an_object_turned_out_of_the_image():
    # a 10 x 4 box in the top-left corner of a 100 x 60 image; a turn of
    # 90 degrees (expand off) maps it outside the canvas
    import rotaug  # noqa: F401
    quads = np.array([[1.0, 1.0, 11.0, 1.0, 11.0, 5.0, 1.0, 5.0],
                      [40.0, 25.0, 60.0, 25.0, 60.0, 35.0, 40.0, 35.0]])
    hb = np.array([[1.0, 1.0, 11.0, 5.0], [40.0, 25.0, 60.0, 35.0]])
    ids, flags = np.arange(2), np.zeros(2, bool)
    canvas = np.zeros((60, 100, 3), np.uint8)
    out = rules.run_rules(quads, hb, ids, flags, canvas, 90.0)
    for name in ('exact', 'ellipse', 'envelope', 'mmdet+filter',
                 'torchvision', 'quad-ellipse'):
        assert list(out[name][0]) == [1], name
    k_ids, boxes, _ = out['mmdet']
    assert list(k_ids) == [0, 1]  # mmdet keeps the lost box
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    assert min(w[0], h[0]) == 0
    # the centre box turns about (50, 30) into x 45..55, y 20..40
    for name in ('exact', 'ellipse', 'envelope', 'torchvision'):
        np.testing.assert_allclose(out[name][1][-1], [45, 20, 55, 40],
                                   atol=1e-4, err_msg=name)
    # mmdet turns boxes about ((w - 1) / 2, (h - 1) / 2) = (49.5, 29.5),
    # the centre in pixel-index coordinates that its image warp uses:
    # x' = 49.5 - (y - 29.5), y' = 29.5 + (x - 49.5)
    np.testing.assert_allclose(out['mmdet'][1][-1], [44, 20, 54, 40],
                               atol=1e-4)


def test_pixel_labels_are_the_silhouettes_tight_boxes(tmp_path):
    import rotaug  # noqa: F401
    rp = load_tool('benchmarks/rotation_proof.py')
    root = str(tmp_path) + '/'
    synth.generate(root, seed=2, num=(0, 0, 2), verbose=False)
    rp.write_rotated_test(root, [0, 90])
    dst = hbb.write_pixel_labels(root, [0, 90])
    from rotaug.datasets.dota_io import parse_dota_label_file
    for i in range(2):
        _, objects, shapes = synth.render_scene((2, 2, i), 320,
                                                with_shapes=True)
        for angle in (0, 90):
            rid = f'test{i:04d}_r{angle:03d}.txt'
            quad, _ = parse_dota_label_file(
                osp.join(root, 'test_rot', 'labelTxt', rid), synth.CLASSES)
            pix, _ = parse_dota_label_file(osp.join(dst, rid),
                                           synth.CLASSES)
            assert [o['label'] for o in quad] == [o['label'] for o in pix]
            for q, p in zip(quad, pix):
                qb = q['poly'].reshape(4, 2)
                pb = p['poly'].reshape(4, 2)
                # inside the label's box (0.1 px: the label file's rounding)
                assert (pb.min(0) >= qb.min(0) - 0.1).all()
                assert (pb.max(0) <= qb.max(0) + 0.1).all()
                uncut = (qb.min() > 0.5) and (qb.max() < 319.5)
                if q['class_name'].endswith('vehicle') and uncut:
                    # a vehicle fills its rectangle: the same tight box
                    np.testing.assert_allclose(pb.min(0), qb.min(0),
                                               atol=0.1)
                    np.testing.assert_allclose(pb.max(0), qb.max(0),
                                               atol=0.1)
    assert len(os.listdir(dst)) == 2 * 2 + 1  # and the stamp


def test_hbb_evaluators_name_every_view(tmp_path):
    ev = hbb.hbb_evaluators(str(tmp_path), [0, 45, 90, 135])
    assert [e['prefix'] for e in ev] == ['quad_rot', 'quad_up', 'quad_diag',
                                         'pix_rot', 'pix_up', 'pix_diag']
    assert ev[2]['name_suffix'] == ['_r045', '_r135']
    assert all(e['iou_thrs'] == hbb.COCO_IOU_THRS for e in ev)
    assert hbb.COCO_IOU_THRS[0] == 0.5 and hbb.COCO_IOU_THRS[-1] == 0.95
    assert len(hbb.hbb_evaluators(str(tmp_path), [45])) == 2
    assert REPO in hbb.HBB_CONFIG


def test_turned_test_split_keeps_only_the_asked_angles(tmp_path):
    import rotaug  # noqa: F401
    rp = load_tool('benchmarks/rotation_proof.py')
    root = str(tmp_path) + '/'
    synth.generate(root, seed=2, num=(0, 0, 1), verbose=False)
    rp.write_rotated_test(root, [0, 90])
    hbb.write_pixel_labels(root, [0, 90])
    rp.write_rotated_test(root, [180])
    hbb.write_pixel_labels(root, [180])
    for sub in ('images', 'labelTxt', 'labelPix'):
        names = sorted(n for n in os.listdir(osp.join(root, 'test_rot', sub))
                       if n.startswith('test'))
        assert [n[:-4] for n in names] == ['test0000_r180'], sub


def test_subset_metric_scores_only_the_named_views():
    import rotaug  # noqa: F401
    from rotaug.registry import METRICS
    hbb.register_subset_metric()
    metric = METRICS.build(dict(type='rotaug.ProofSubsetDOTAMetric',
                                name_suffix='_r000', iou_thrs=[0.5, 0.75]))
    metric.dataset_meta = dict(classes=('a', ))
    box = [[10.0, 10.0, 30.0, 20.0]]

    def sample(name, pred):
        return dict(img_id=name,
                    gt_instances=dict(bboxes=torch.tensor(box),
                                      labels=torch.tensor([0])),
                    pred_instances=dict(bboxes=torch.tensor(pred),
                                        scores=torch.tensor([0.9]),
                                        labels=torch.tensor([0])))

    # the turned view's detection misses; only the upright one counts
    metric.process({}, [sample('x_r000', box),
                        sample('x_r045', [[50.0, 50.0, 60.0, 60.0]])])
    assert len(metric.results) == 1
    out = metric.compute_metrics(metric.results)
    assert out['AP50'] == pytest.approx(1.0)
    assert out['AP75'] == pytest.approx(1.0)
