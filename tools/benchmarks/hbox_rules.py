"""Horizontal boxes after a turn: how close each rule comes to the object's
own pixels, and what each keeps, ignores and drops, on the same objects
and the same angles (no training).

    python tools/benchmarks/hbox_rules.py [--angle-spread 10]
        [--border-share S] [--split train] [--images 96] [--draws 4]
        [--seed 0] [--dota /work/shared/data/dota_samples]
        [--dota-draws 24] [--out rules.json]

Objects: the synthetic DOTA-style scenes of ``tools/data/synth_dota.py``
(rendered again from their seed, with the painted silhouette of each
object), and optionally the real DOTA samples of ``--dota`` (their
silhouettes estimated by GrabCut inside each quadrilateral: an estimate,
see :func:`grabcut_masks`). Each object goes first through
``rotaug.SanitizeGT`` (as in the training pipelines); each scene is turned
by ``--draws`` angles drawn uniformly in [-180, 180) (expand off, as
``RandomRotate``), the same angles for every rule.

Rules (inputs as a horizontal-box pipeline has them: the quadrilateral for
``exact``, its horizontal box for the others):

* ``exact``: ``rotaug.Rotate(out_box_type='hbox')`` on the quadrilaterals;
* ``ellipse`` / ``envelope``: ``rotaug.Rotate(hbox_mode=...)`` on their
  horizontal boxes;
* ``mmdet``: MMDetection's ``Rotate``; ``mmdet+filter``: followed by
  ``FilterAnnotations(min_gt_bbox_wh=(1e-2, 1e-2))``;
* ``torchvision``: torchvision v2 ``rotate`` + ``clamp_bounding_boxes`` +
  ``SanitizeBoundingBoxes(min_size=1)``;
* ``quad-ellipse`` / ``quad-mid``: candidate tightenings of the exact box
  (:func:`quad_ellipse_hbox` with ``fill`` 0 and 0.5), cut to the exact box;
  their keep decisions are exact's.

References, per object and angle:

* ``pix``: the tight box of the object's pixels after the turn (its
  silhouette rasterised by pixel centres, warped with nearest
  interpolation by ``rotaug.Rotate`` as the image is; each pixel a unit
  square);
* ``poly`` (synthetic only): the tight box of the turned silhouette
  polygons cut to the source image and the canvas (the limit of ``pix``);
* ``quad``: the exact rule's box, the tight box of the turned, clipped
  quadrilateral: the DOTA-HBB label convention, what the test splits of
  ``rotation_proof.py --detector hbb`` score against.

The truth of a keep decision is the object's visible share of *pixels*
(rotaug's policy thresholds: below 0.25 drop, below 0.5 ignore).
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from typing import Dict, List, Optional

import harness
import numpy as np
import torch

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))
RULES = ('exact', 'ellipse', 'envelope', 'mmdet', 'mmdet+filter',
         'torchvision', 'quad-ellipse', 'quad-mid')
CANDIDATE_FILL = {'quad-ellipse': 0.0, 'quad-mid': 0.5}


def load_synth():
    return harness.load_tool('tools/data/synth_dota.py')


# ---------------------------------------------------------------- geometry
def quad_ellipse_hbox(quads: np.ndarray, matrix: np.ndarray,
                      fill: float = 0.0) -> np.ndarray:
    """Horizontal boxes (N, 4) of quadrilaterals (N, 8) mapped by the affine
    ``matrix`` (3, 3), shrunk toward the ellipse inscribed in each.

    A quadrilateral is read as the parallelogram of its centre and half
    sides ``e1 = (p1 + p2 - p0 - p3) / 4``, ``e2 = (p2 + p3 - p0 - p1) / 4``
    (exact for a rectangle); ``A`` the linear part of ``matrix``. The half
    extents along x are ``|A e1|_x + |A e2|_x`` for the parallelogram and
    ``sqrt((A e1)_x^2 + (A e2)_x^2)`` for its inscribed ellipse (likewise
    along y); ``fill`` in [0, 1] goes from the ellipse (0) to the
    parallelogram's own box (1), a shape prior for objects that do not fill
    their rectangle's corners. Pure numpy; belongs in the geometry core
    next to ``ellipse_hbox`` if it is adopted.
    """
    if not 0.0 <= fill <= 1.0:
        raise ValueError(f'fill must lie in [0, 1], got {fill!r}')
    p = np.asarray(quads, np.float64).reshape(-1, 4, 2)
    a = np.asarray(matrix, np.float64)[:2, :2]
    ctr = p.mean(1) @ a.T + np.asarray(matrix, np.float64)[:2, 2]
    e1 = ((p[:, 1] + p[:, 2]) - (p[:, 0] + p[:, 3])) * 0.25 @ a.T
    e2 = ((p[:, 2] + p[:, 3]) - (p[:, 0] + p[:, 1])) * 0.25 @ a.T
    ell = np.sqrt(e1**2 + e2**2)
    rect = np.abs(e1) + np.abs(e2)
    half = ell + fill * (rect - ell)
    return np.concatenate([ctr - half, ctr + half], 1)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise IoU of horizontal boxes (N, 4)."""
    lo = np.maximum(a[:, :2], b[:, :2])
    hi = np.minimum(a[:, 2:], b[:, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), 1)
    area = (np.prod(np.clip(a[:, 2:] - a[:, :2], 0, None), 1) +
            np.prod(np.clip(b[:, 2:] - b[:, :2], 0, None), 1) - inter)
    return np.where(area > 0, inter / np.maximum(area, 1e-12), 0.0)


def mask_boxes(masks: np.ndarray) -> np.ndarray:
    """Tight boxes (N, 4) of bitmaps (N, H, W), each pixel a unit square;
    NaN rows for empty masks."""
    out = np.full((len(masks), 4), np.nan)
    for k, m in enumerate(masks):
        rows, cols = np.flatnonzero(m.any(1)), np.flatnonzero(m.any(0))
        if len(rows):
            out[k] = (cols[0], rows[0], cols[-1] + 1, rows[-1] + 1)
    return out


def polygon_boxes(shapes: List[List[np.ndarray]], matrix: np.ndarray,
                  w: int, h: int, out_w: Optional[int] = None,
                  out_h: Optional[int] = None) -> np.ndarray:
    """Tight boxes of silhouettes (lists of polygons) cut to the source
    image ``w`` x ``h``, mapped by ``matrix`` and cut to the canvas
    ``out_w`` x ``out_h`` (default: the source's size, expand off); NaN
    rows where nothing is left."""
    from rotaug.geometry import apply_matrix, clip_polygons_to_rect, fit_hbox
    owner = np.concatenate([[k] * len(s) for k, s in enumerate(shapes)])
    polys = [np.asarray(p, np.float64) for s in shapes for p in s]
    m = max(len(p) for p in polys)
    pts = np.zeros((len(polys), m, 2))
    counts = np.array([len(p) for p in polys])
    for k, p in enumerate(polys):
        pts[k, :len(p)] = p
    pts, counts = clip_polygons_to_rect(pts, counts, float(w), float(h))
    pts, counts = clip_polygons_to_rect(
        apply_matrix(pts, matrix), counts, float(out_w or w),
        float(out_h or h))
    boxes = fit_hbox(pts, counts)
    out = np.full((len(shapes), 4), np.nan)
    for k in range(len(shapes)):
        sel = (owner == k) & (counts >= 3)
        if sel.any():
            b = boxes[sel]
            out[k] = (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(),
                      b[:, 3].max())
    return out


# ------------------------------------------------------------------- rules
def _rotaug(boxes, ids, flags, shape, angle, **kwargs):
    from rotaug.transforms import Rotate
    res = dict(img_shape=shape, gt_bboxes=boxes, gt_bboxes_labels=ids.copy(),
               gt_ignore_flags=flags.copy())
    out = Rotate(angle, **kwargs)(res)
    return (np.asarray(out['gt_bboxes_labels']),
            out['gt_bboxes'].tensor.numpy().astype(np.float64),
            np.asarray(out['gt_ignore_flags'], bool))


def _mmdet(hb, ids, flags, canvas, angle, filtered):
    from mmdet.datasets.transforms import FilterAnnotations
    from mmdet.datasets.transforms import Rotate as MMDetRotate
    from mmdet.structures.bbox import HorizontalBoxes
    # level 10 = max_mag; the sign survives when rand() <= reversal_prob
    rot = MMDetRotate(prob=1.0, level=10, max_mag=abs(angle),
                      reversal_prob=1.0 if angle >= 0 else 0.0)
    res = rot(dict(img=canvas.copy(), img_shape=canvas.shape[:2],
                   gt_bboxes=HorizontalBoxes(torch.from_numpy(hb.copy())),
                   gt_bboxes_labels=ids.copy(), gt_ignore_flags=flags.copy()))
    if filtered:
        res = FilterAnnotations(min_gt_bbox_wh=(1e-2, 1e-2))(res)
        if res is None:  # every box filtered: the image is resampled
            return ids[:0], hb[:0], flags[:0]
    return (np.asarray(res['gt_bboxes_labels']),
            res['gt_bboxes'].tensor.numpy().astype(np.float64),
            np.asarray(res['gt_ignore_flags'], bool))


def _torchvision(hb, ids, flags, shape, angle):
    from torchvision import tv_tensors
    from torchvision.transforms import v2
    from torchvision.transforms.v2 import functional as F
    boxes = tv_tensors.BoundingBoxes(torch.from_numpy(hb.copy()),
                                     format='XYXY', canvas_size=shape)
    # torchvision turns counter-clockwise for a positive angle
    tb = F.clamp_bounding_boxes(F.rotate(boxes, -angle))
    keep = torch.from_numpy(np.arange(len(ids)))
    out = v2.SanitizeBoundingBoxes(min_size=1)(dict(
        image=tv_tensors.Image(torch.zeros((1, ) + tuple(shape))),
        boxes=tb, labels=keep))
    k = out['labels'].numpy()
    return ids[k], out['boxes'].numpy().astype(np.float64), flags[k]


def run_rules(quads, hb, ids, flags, canvas, angle) -> Dict[str, tuple]:
    """(kept ids, boxes, ignore flags) of every rule for one turn."""
    from mmdet.structures.bbox import HorizontalBoxes
    from mmrotate.structures.bbox import QuadriBoxes
    from rotaug.geometry import image_rotation
    shape = canvas.shape[:2]
    q = QuadriBoxes(torch.from_numpy(quads.astype(np.float32)))
    out = {'exact': _rotaug(q, ids, flags, shape, angle,
                            out_box_type='hbox')}
    for mode in ('ellipse', 'envelope'):
        h = HorizontalBoxes(torch.from_numpy(hb.astype(np.float32)))
        out[mode] = _rotaug(h, ids, flags, shape, angle, hbox_mode=mode)
    hb32 = hb.astype(np.float32)
    out['mmdet'] = _mmdet(hb32, ids, flags, canvas, angle, False)
    out['mmdet+filter'] = _mmdet(hb32, ids, flags, canvas, angle, True)
    out['torchvision'] = _torchvision(hb32, ids, flags, shape, angle)
    matrix, _ = image_rotation(shape[1], shape[0], angle, False)
    k_ids, k_box, k_ign = out['exact']
    pos = {int(i): n for n, i in enumerate(ids)}
    rows = [pos[int(i)] for i in k_ids]
    for name, fill in CANDIDATE_FILL.items():
        cand = quad_ellipse_hbox(quads[rows], matrix, fill)
        lo = np.maximum(cand[:, :2], k_box[:, :2])
        hi = np.maximum(np.minimum(cand[:, 2:], k_box[:, 2:]), lo)
        out[name] = (k_ids, np.concatenate([lo, hi], 1), k_ign)
    return out


# -------------------------------------------------------------- the scenes
def sanitized(quads: np.ndarray, shape):
    """``rotaug.SanitizeGT`` on quadrilaterals (N, 8), as the pipelines
    start: (kept ids, clipped quads, their horizontal boxes, flags)."""
    from mmrotate.structures.bbox import QuadriBoxes
    from rotaug.transforms import SanitizeGT
    n = len(quads)
    res = SanitizeGT()(dict(
        img_shape=shape, gt_bboxes=QuadriBoxes(torch.from_numpy(
            quads.reshape(n, 8).astype(np.float32))),
        gt_bboxes_labels=np.arange(n), gt_ignore_flags=np.zeros(n, bool)))
    q = res['gt_bboxes']
    hb = SanitizeGT(out_box_type='hbox')(dict(
        img_shape=shape, gt_bboxes=q, gt_bboxes_labels=res[
            'gt_bboxes_labels'].copy()))
    if len(hb['gt_bboxes']) != len(q):
        raise RuntimeError('SanitizeGT dropped a clipped quadrilateral')
    return (np.asarray(res['gt_bboxes_labels']),
            q.tensor.numpy().astype(np.float64),
            hb['gt_bboxes'].tensor.numpy().astype(np.float64),
            np.asarray(res['gt_ignore_flags'], bool))


def synthetic_scenes(synth, args):
    """(name, image, quads (N, 8), classes, masks (N, H, W), full pixel
    areas (N,), shapes) of the synthetic split, rendered from its seed."""
    split = synth.SPLITS.index(args.split)
    size, pad = args.size, 96
    for i in range(args.images):
        img, objects, shapes = synth.render_scene(
            (args.seed, split, i), size, args.angle_spread,
            args.border_share, with_shapes=True)
        quads = np.stack([p for p, _ in objects]).reshape(-1, 8)
        masks = np.stack([synth.label_map([s], (size, size)) > 0
                          for s in shapes]).astype(np.uint8)
        full = np.array([int((synth.label_map(
            [[p + pad for p in s]], (size + 2 * pad, ) * 2) > 0).sum())
            for s in shapes])
        yield (f'{args.split}{i:04d}', img, quads, [c for _, c in objects],
               masks, full, shapes)


def grabcut_masks(img: np.ndarray, quads: np.ndarray,
                  iters: int = 5) -> np.ndarray:
    """An estimate of each object's pixels (N, H, W) uint8 in a real image:
    OpenCV's GrabCut in a window around the quadrilateral, started with the
    quadrilateral's pixels as probable object, a ring as wide as half the
    object around it as probable ground (the other objects' pixels in it
    as probable object, so that a row of like objects does not teach the
    ground model their colours) and the rest of the window as ground; the
    result is kept inside the quadrilateral grown by one pixel
    (the annotator's quadrilateral bounds the object) and reduced to its
    largest connected part. Pixel (r, c) covers [c, c + 1) x [r, r + 1)."""
    import cv2
    h, w = img.shape[:2]
    out = np.zeros((len(quads), h, w), np.uint8)
    synth = load_synth()

    def fill(shape, poly, value):  # pixel centres inside
        return (synth.label_map([[poly]], shape) > 0).astype(np.uint8)

    quads = np.asarray(quads, np.float64).reshape(-1, 4, 2)
    for k, q in enumerate(quads):
        ctr = q.mean(0)
        ring = ctr + (q - ctr) * 2.0
        grown = ctr + (q - ctr) * (1 + 2.0 / max(np.ptp(q, 0).min(), 1.0))
        x0, y0 = np.floor(ring.min(0)).astype(int) - 2
        x1, y1 = np.ceil(ring.max(0)).astype(int) + 2
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        off = np.array([x0, y0], np.float64)
        shape = (y1 - y0, x1 - x0)
        mask = np.full(shape, cv2.GC_BGD, np.uint8)
        mask[fill(shape, ring - off, 1) > 0] = cv2.GC_PR_BGD
        for j in np.flatnonzero(np.arange(len(quads)) != k):
            other = quads[j] - off
            if (other.max(0) > 0).all() and (other.min(0) < shape[::-1]).all():
                mask[fill(shape, other, 1) > 0] = cv2.GC_PR_FGD
        inside = fill(shape, q - off, 1) > 0
        mask[inside] = cv2.GC_PR_FGD
        if inside.sum() < 4:
            out[k, y0:y1, x0:x1] = inside
            continue
        bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
        cv2.grabCut(np.ascontiguousarray(img[y0:y1, x0:x1]), mask, None,
                    bgd, fgd, iters, cv2.GC_INIT_WITH_MASK)
        fg = ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)) & (
            fill(shape, grown - off, 1) > 0)
        n, lab, stats, _ = cv2.connectedComponentsWithStats(
            fg.astype(np.uint8), connectivity=8)
        if n > 1:
            fg = lab == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        else:  # GrabCut found nothing: the quadrilateral itself
            fg = inside
        out[k, y0:y1, x0:x1] = fg
    return out


def dota_scenes(root: str):
    """(name, image, quads, classes, masks, full areas, None) of the real
    DOTA samples. A thumbnail whose labels lie outside it (P2805: 170 px,
    labels in 1024 px coordinates) is scaled up to its labels' frame."""
    import cv2
    from mmrotate.datasets import DOTADataset

    from rotaug.datasets.dota_io import parse_dota_label_file
    classes_all = DOTADataset.METAINFO['classes']
    for name in sorted(os.listdir(osp.join(root, 'images'))):
        stem = osp.splitext(name)[0]
        img = cv2.imread(osp.join(root, 'images', name))
        objs, _ = parse_dota_label_file(
            osp.join(root, 'labelTxt', stem + '.txt'), classes_all,
            strict=False)
        quads = np.array([o['poly'] for o in objs], np.float64).reshape(-1, 8)
        classes = [o['class_name'] for o in objs]
        side = int(np.ceil(quads.max()))
        if side > max(img.shape[:2]) * 1.5:  # labels in a larger frame
            side = 1 << int(np.ceil(np.log2(side)))
            img = cv2.resize(img, (side, side), interpolation=cv2.INTER_CUBIC)
        masks = grabcut_masks(img, quads)
        yield stem, img, quads, classes, masks, masks.reshape(
            len(masks), -1).sum(1), None


# ------------------------------------------------------------ measurement
def _pixel_refs(masks, full, shape, angle):
    """Tight pixel boxes and visible pixel shares after the turn."""
    from mmdet.structures.mask import BitmapMasks

    from rotaug.transforms import Rotate
    h, w = shape
    res = Rotate(angle)(dict(img_shape=shape,
                             gt_masks=BitmapMasks(masks, h, w)))
    warped = res['gt_masks'].masks
    frac = warped.reshape(len(warped), -1).sum(1) / np.maximum(full, 1)
    return mask_boxes(warped), frac


def measure(scenes, draws: int, rng: np.random.Generator) -> dict:
    """Per rule, per (object, angle): class, decision (0 kept, 1 ignored,
    2 dropped), box, and the references ``pix``, ``poly``, ``quad`` and the
    visible pixel share ``frac``; plus the label's own IoU with the pixels
    (angle 0) in ``label``."""
    from rotaug.geometry import image_rotation
    rec = {r: {k: [] for k in ('cls', 'dec', 'box', 'pix', 'poly', 'quad',
                               'frac')} for r in RULES}
    label = dict(cls=[], iou=[])
    for name, img, quads, classes, masks, full, shapes in scenes:
        shape = img.shape[:2]
        ids, q, hb, flags = sanitized(quads, shape)
        if not len(ids):
            continue
        m, fa, cls = masks[ids], full[ids], [classes[i] for i in ids]
        label['cls'] += cls
        label['iou'] += list(box_iou(hb, mask_boxes(m)))
        canvas = np.zeros(shape + (3, ), np.uint8)
        for angle in rng.uniform(-180, 180, draws):
            angle = float(angle)
            pix, frac = _pixel_refs(m, fa, shape, angle)
            poly = np.full_like(pix, np.nan)
            if shapes is not None:
                matrix, _ = image_rotation(shape[1], shape[0], angle, False)
                poly = polygon_boxes([shapes[i] for i in ids], matrix,
                                     shape[1], shape[0])
            outs = run_rules(q, hb, ids, flags, canvas, angle)
            quad = np.full_like(pix, np.nan)
            pos = {int(i): n for n, i in enumerate(ids)}
            e_ids, e_box, _ = outs['exact']
            quad[[pos[int(i)] for i in e_ids]] = e_box
            for rule, (k_ids, k_box, k_ign) in outs.items():
                dec = np.full(len(ids), 2)
                box = np.full((len(ids), 4), np.nan)
                rows = [pos[int(i)] for i in k_ids]
                dec[rows] = np.where(k_ign, 1, 0)
                box[rows] = k_box
                r = rec[rule]
                r['cls'] += cls
                for key, val in (('dec', dec), ('box', box), ('pix', pix),
                                 ('poly', poly), ('quad', quad),
                                 ('frac', frac)):
                    r[key].append(val)
    out = {}
    for rule, r in rec.items():
        out[rule] = {k: (np.asarray(v) if k == 'cls' else
                         np.concatenate(v)) for k, v in r.items()}
    return dict(rules=out, label={k: np.asarray(v) for k, v in
                                  label.items()})


def _area(b):
    return np.prod(np.clip(b[:, 2:] - b[:, :2], 0, None), 1)


def summarise(r: dict) -> dict:
    """Decision counts and box quality of one rule's records."""
    dec, box, frac = r['dec'], r['box'], r['frac']
    kept = dec < 2
    side = np.where(kept, np.minimum(box[:, 2] - box[:, 0],
                                     box[:, 3] - box[:, 1]), np.inf)
    truth = np.where(frac < 0.25, 2, np.where(frac < 0.5, 1, 0))
    trained = (dec == 0) & (frac > 0)

    def iou_vs(ref):
        ok = trained & np.isfinite(ref).all(1)
        v = box_iou(box[ok], ref[ok])
        return (float(v.mean()) if len(v) else float('nan'),
                float(np.percentile(v, 5)) if len(v) else float('nan'),
                v, ok)

    pix_mean, pix_p5, pix_v, pix_ok = iou_vs(r['pix'])
    poly_mean, _, _, _ = iou_vs(r['poly'])
    quad_mean, quad_p5, _, _ = iou_vs(r['quad'])
    ratio = _area(box[pix_ok]) / np.maximum(_area(r['pix'][pix_ok]), 1e-12)
    per_class = {c: float(pix_v[r['cls'][pix_ok] == c].mean())
                 for c in sorted(set(r['cls'][pix_ok]))}
    return dict(
        objects=int(len(dec)), kept=int((dec == 0).sum()),
        ignored=int((dec == 1).sum()), dropped=int((dec == 2).sum()),
        kept_side_below_001=int((side < 1e-2).sum()),
        kept_side_below_1=int((side < 1).sum()),
        kept_no_pixels=int((kept & (frac <= 0)).sum()),
        dropped_half_visible=int(((dec == 2) & (frac >= 0.5)).sum()),
        decision_as_pixels=float((dec == truth).mean()),
        iou_pix_mean=pix_mean, iou_pix_p5=pix_p5, iou_poly_mean=poly_mean,
        iou_quad_mean=quad_mean, iou_quad_p5=quad_p5,
        area_ratio_median=float(np.median(ratio)) if len(ratio) else
        float('nan'),
        iou_pix_per_class=per_class)


def report(title: str, data: dict) -> dict:
    """Print the three tables of one data set; return the summaries."""
    summ = {rule: summarise(r) for rule, r in data['rules'].items()}
    lab = data['label']
    label_cls = {c: float(lab['iou'][lab['cls'] == c].mean())
                 for c in sorted(set(lab['cls']))}
    n = summ['exact']['objects']
    print(f'\n### {title}: {n} (object, angle) pairs\n')
    print('| rule | boxes trained on | IoU with pixel box: mean | 5th pct |'
          ' IoU with polygon box | IoU with quad box (test convention) |'
          ' median area / pixel box |')
    print('|---|---|---|---|---|---|---|')
    for rule, s in summ.items():
        print(f"| {rule} | {s['kept']} | {s['iou_pix_mean']:.3f} | "
              f"{s['iou_pix_p5']:.3f} | {s['iou_poly_mean']:.3f} | "
              f"{s['iou_quad_mean']:.3f} | {s['area_ratio_median']:.2f} |")
    print('\n| rule | kept | ignored | dropped | kept, a side < 0.01 px | '
          '< 1 px | kept, no pixel visible | dropped, >= half visible | '
          'decision as the pixels say |')
    print('|---|---|---|---|---|---|---|---|---|')
    for rule, s in summ.items():
        print(f"| {rule} | {s['kept']} | {s['ignored']} | {s['dropped']} | "
              f"{s['kept_side_below_001']} | {s['kept_side_below_1']} | "
              f"{s['kept_no_pixels']} | {s['dropped_half_visible']} | "
              f"{s['decision_as_pixels']:.3f} |")
    classes = sorted(label_cls)
    print('\n| IoU with pixel box, per class | ' + ' | '.join(classes) + ' |')
    print('|---|' + '---|' * len(classes))
    print('| the label itself, unturned | ' + ' | '.join(
        f'{label_cls[c]:.3f}' for c in classes) + ' |')
    for rule, s in summ.items():
        print(f'| {rule} | ' + ' | '.join(
            f"{s['iou_pix_per_class'].get(c, float('nan')):.3f}"
            for c in classes) + ' |')
    return dict(summaries=summ, label_iou_per_class=label_cls)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--angle-spread', type=float, default=None)
    p.add_argument('--border-share', type=float, default=None)
    p.add_argument('--split', default='train', choices=('train', 'val',
                                                         'test'))
    p.add_argument('--images', type=int, default=96)
    p.add_argument('--size', type=int, default=320)
    p.add_argument('--seed', type=int, default=0, help='data seed')
    p.add_argument('--draws', type=int, default=4,
                   help='angles per synthetic scene')
    p.add_argument('--draw-seed', type=int, default=0)
    p.add_argument('--dota', default=None,
                   help='folder of real DOTA samples (images/, labelTxt/)')
    p.add_argument('--dota-draws', type=int, default=24)
    p.add_argument('--no-synthetic', action='store_true')
    p.add_argument('--out', default=None, help='JSON summaries')
    a = p.parse_args(argv)
    import rotaug  # noqa: F401
    from mmengine.logging import MMLogger
    MMLogger.get_instance('rotaug-hbox-rules', log_level='ERROR')
    t0 = time.time()
    results = dict(date=time.strftime('%Y-%m-%d'), args=vars(a))
    if not a.no_synthetic:
        data = measure(synthetic_scenes(load_synth(), a), a.draws,
                       np.random.default_rng(a.draw_seed))
        results['synthetic'] = report(
            f'synthetic {a.split} split (seed {a.seed}, angle spread '
            f'{a.angle_spread}, border share {a.border_share}), '
            f'{a.draws} angles per scene', data)
    if a.dota:
        data = measure(dota_scenes(a.dota), a.dota_draws,
                       np.random.default_rng(a.draw_seed))
        results['dota'] = report(
            f'real DOTA samples ({a.dota}), GrabCut pixels, '
            f'{a.dota_draws} angles per image', data)
    print(f'\n({time.time() - t0:.0f} s)')
    if a.out:
        with open(a.out, 'w') as f:
            json.dump(results, f, indent=2)


if __name__ == '__main__':
    sys.exit(main())
