"""The horizontal-box side of ``rotation_proof.py --detector hbb``: the
variants' pipelines, the ground truths of the object pixels for the turned
test split, and the evaluators.

Variants (the demo HBB Faster R-CNN, everything shared but the rotation):

* ``none``: no rotation;
* ``mmdet``: MMDetection's ``Rotate`` (prob 0.5, uniform in [-180, 180],
  image border 0 as rotaug's) on the quadrilaterals' horizontal boxes;
* ``mmdet-filter``: the same, then ``FilterAnnotations(min_gt_bbox_wh=
  (1e-2, 1e-2))`` (the usual fix for its zero-width boxes);
* ``exact``: ``rotaug.RandomRotate`` on the quadrilaterals, made horizontal
  boxes after the turn (``rotaug.SanitizeGT(out_box_type='hbox')``): the
  demo config as it stands;
* ``ellipse`` / ``envelope``: ``rotaug.RandomRotate(hbox_mode=...)`` on the
  horizontal boxes (what a pipeline without quadrilaterals has).

rotaug's variants keep the configs' ``rect_obj_labels`` (images with a
storage tank turn by multiples of 90 degrees); MMDetection's ``Rotate`` has
no such option.
"""
import json
import os
import os.path as osp
from typing import List, Optional, Sequence

import harness
import numpy as np

ROOT = harness.ROOT
HBB_CONFIG = osp.join(ROOT, 'configs', 'demo',
                      'faster-rcnn_tiny_rr_synth-hbb.py')
HBB_VARIANTS = ('none', 'mmdet', 'mmdet-filter', 'exact', 'ellipse',
                'envelope')
COCO_IOU_THRS = [round(0.5 + 0.05 * i, 2) for i in range(10)]
UPRIGHT_SUFFIX = '_r000'


def hbb_pipeline(name: str, pipe: List[dict]) -> List[dict]:
    """The training pipeline of variant ``name`` from the demo HBB config's
    (LoadAnnotations(qbox), SanitizeGT, Resize, RandomFlip, RandomRotate,
    SanitizeGT(out_box_type='hbox'), PackDetInputs)."""
    if name not in HBB_VARIANTS:
        raise ValueError(f'unknown HBB variant {name!r}: expected one of '
                         f'{HBB_VARIANTS}')
    pipe = [dict(t) for t in pipe]
    types = [t['type'] for t in pipe]
    rot = types.index('rotaug.RandomRotate')
    last = len(types) - 1 - types[::-1].index('rotaug.SanitizeGT')
    if pipe[last].get('out_box_type') != 'hbox' or last < rot:
        raise ValueError('the HBB config must end its boxes with '
                         "rotaug.SanitizeGT(out_box_type='hbox') after "
                         'rotaug.RandomRotate')
    ours = pipe[rot]
    if name == 'exact':
        return pipe
    if name == 'none':
        pipe.pop(rot)
        return pipe
    # horizontal boxes from the start: the quadrilaterals' tight boxes
    first = types.index('rotaug.SanitizeGT')
    pipe[first] = dict(pipe[first], out_box_type='hbox')
    pipe.pop(last)
    if name in ('ellipse', 'envelope'):
        pipe[rot] = dict(ours, hbox_mode=name)
        return pipe
    pipe[rot] = dict(type='mmdet.Rotate', prob=ours['prob'], level=None,
                     min_mag=0.0, max_mag=float(ours['angle_range']),
                     reversal_prob=0.5, img_border_value=0)
    if name == 'mmdet-filter':
        pipe.insert(rot + 1, dict(type='mmdet.FilterAnnotations',
                                  min_gt_bbox_wh=(1e-2, 1e-2)))
    return pipe


def write_pixel_labels(data_root: str, angles: Sequence[float]) -> str:
    """``test_rot/labelPix/``: for every turned test image of
    ``write_rotated_test``, the same objects (same order, same difficult
    flags) labelled with the tight horizontal box of their turned
    silhouette (the painted polygons, re-rendered from ``meta.json``'s
    seed and checked against the written labels). An object whose
    silhouette is out of sight while its label is kept is written
    difficult (counted in ``stamp.json``)."""
    import torch
    from mmrotate.structures.bbox import QuadriBoxes

    from rotaug.datasets.dota_io import (parse_dota_label_file,
                                         write_dota_label_file)
    from rotaug.geometry import image_rotation
    from rotaug.transforms import Rotate
    synth = harness.load_tool('tools/data/synth_dota.py')
    rules = harness.load_tool('tools/benchmarks/hbox_rules.py')
    meta = json.load(open(osp.join(data_root, 'meta.json')))
    dst = osp.join(data_root, 'test_rot', 'labelPix')
    stamp = osp.join(dst, 'stamp.json')
    if osp.exists(stamp) and json.load(open(stamp))['angles'] == list(
            angles):
        return dst
    os.makedirs(dst, exist_ok=True)
    for old in os.listdir(dst):  # other angles' labels
        os.remove(osp.join(dst, old))
    size, hidden = meta['size'], 0
    for i in range(meta['splits']['test']['images']):
        img_id = f'test{i:04d}'
        _, objects, shapes = synth.render_scene(
            (meta['seed'], synth.SPLITS.index('test'), i), size,
            meta['angle_spread'], meta.get('border_share'), with_shapes=True)
        path = osp.join(data_root, 'test', 'labelTxt', img_id + '.txt')
        if open(path).read() != synth._label_text(objects):
            raise ValueError(f'{path} is not what meta.json\'s settings '
                             'render: regenerate the data')
        objs, _ = parse_dota_label_file(path, synth.CLASSES)
        polys = np.array([o['poly'] for o in objs], np.float32).reshape(-1, 8)
        for angle in angles:
            n = len(polys)
            out = Rotate(rotate_angle=angle, expand=True)(dict(
                img_shape=(size, size),
                gt_bboxes=QuadriBoxes(torch.from_numpy(polys.copy())),
                gt_bboxes_labels=np.arange(n),
                gt_ignore_flags=np.zeros(n, bool)))
            ids = np.asarray(out['gt_bboxes_labels'])
            matrix, (nw, nh) = image_rotation(size, size, angle, True)
            boxes = rules.polygon_boxes([shapes[k] for k in ids], matrix,
                                        size, size, nw, nh)
            lost = ~np.isfinite(boxes).all(1)
            hidden += int(lost.sum())
            quads = out['gt_bboxes'].tensor.numpy()
            rows = []
            for j, k in enumerate(ids):
                b = boxes[j]
                corners = (quads[j] if lost[j] else np.array(
                    [b[0], b[1], b[2], b[1], b[2], b[3], b[0], b[3]]))
                rows.append(dict(poly=corners, label=objs[k]['label'],
                                 difficult=int(out['gt_ignore_flags'][j]
                                               or lost[j])))
            write_dota_label_file(
                osp.join(dst, f'{img_id}_r{int(angle):03d}.txt'), rows,
                classes=synth.CLASSES, decimals=2)
    json.dump(dict(angles=list(angles), hidden_silhouettes=hidden),
              open(stamp, 'w'))
    return dst


def _sample_id(sample) -> str:
    """``img_id`` of a data sample (a dict, as the evaluator passes them,
    or a ``DetDataSample``), else the stem of its ``img_path``."""
    meta = sample if isinstance(sample, dict) else sample.metainfo
    img_id = meta.get('img_id')
    if img_id is None:
        img_id = osp.splitext(osp.basename(meta.get('img_path', '')))[0]
    return str(img_id)


def register_subset_metric() -> None:
    """``rotaug.ProofSubsetDOTAMetric``: ``rotaug.DOTAMetric`` on the images
    whose id ends with ``name_suffix`` (a string or a list of them; all
    images when None)."""
    from rotaug.evaluation import DOTAMetric
    from rotaug.registry import METRICS
    if 'ProofSubsetDOTAMetric' in METRICS.module_dict:
        return

    @METRICS.register_module(name='ProofSubsetDOTAMetric')
    class ProofSubsetDOTAMetric(DOTAMetric):

        def __init__(self, name_suffix=None, **kwargs):
            super().__init__(**kwargs)
            # str.endswith takes one suffix or a tuple of them
            self.name_suffix = (tuple(name_suffix) if isinstance(
                name_suffix, (list, tuple)) else name_suffix)

        def process(self, data_batch, data_samples) -> None:
            if self.name_suffix:
                data_samples = [
                    s for s in data_samples
                    if _sample_id(s).endswith(self.name_suffix)
                ]
            super().process(data_batch, data_samples)


def hbb_evaluators(data_root: str, angles: Sequence[float]) -> List[dict]:
    """COCO-style mAP@[.5:.95], AP50, AP75 (``rotaug.DOTAMetric``, area
    under the precision-recall curve) on the turned test split: against
    the quadrilaterals' tight boxes (``quad_*``, the DOTA-HBB convention)
    and the silhouettes' (``pix_*``), on all angles (``*_rot``), on the
    unturned images (``*_up``, when 0 is among ``angles``) and on the views
    turned off the axes (``*_diag``: the angles that are not multiples of
    90 degrees, when there are some)."""
    register_subset_metric()
    pix = osp.abspath(osp.join(data_root, 'test_rot', 'labelPix'))
    angles = [float(a) for a in angles]
    diag = [f'_r{int(a):03d}' for a in angles if a % 90]
    out = []
    for gt, gt_dir in (('quad', None), ('pix', pix)):
        views = [('rot', None)]
        if 0 in angles:
            views.append(('up', UPRIGHT_SUFFIX))
        if diag and len(diag) < len(angles):
            views.append(('diag', diag))
        for view, suffix in views:
            out.append(dict(type='rotaug.ProofSubsetDOTAMetric',
                            name_suffix=suffix, gt_dir=gt_dir,
                            iou_thrs=COCO_IOU_THRS, use_07_metric=False,
                            merge_patches=False, classwise=True,
                            prefix=f'{gt}_{view}'))
    return out
