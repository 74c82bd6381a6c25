"""Box fidelity after rotation: rotaug against MMRotate, MMDetection and
torchvision on the same scenes.

    python tools/benchmarks/fidelity.py [--scenes 60] [--objects 40]
        [--size 512 384] [--seed 0] [--edge-share 0.25] [--bounds]

Each scene holds oriented rectangles (a share ``--edge-share`` of them, a
quarter by default, placed across or beyond the border; with 0 only the
turn cuts objects); each scene is turned by a random angle. For every
object the exact visible part of the turned object is computed with shapely (an
independent reference: rotation about the image centre, continuous pixel
convention, positive = clockwise). Reported per tool:

* IoU of each output box with the reference (rbox/qbox: the visible
  polygon; hbox: the tight horizontal box of the visible polygon): mean
  and 5th percentile over the kept boxes;
* dropped objects that were more than half visible;
* kept boxes of objects with nothing visible, and degenerate boxes (a side
  below 1 px or non-finite; a qbox is measured by its minimum-area
  rectangle, the rbox MMRotate trains on), the ones that turn into nan
  losses.

Horizontal-box tools get only the object's horizontal box (the shape is
unknown to them), except ``rotaug qbox -> hbox``, which carries the
quadrilateral (what the HBB Faster R-CNN config does), and ``rotaug hbox
(bitmap masks)``, which also gets each object rasterised into a bitmap
mask (pixel centres inside; what mmdet's LoadAnnotations loads): its box
is exact for the pixels, so it differs from the polygon's tight box by the
rasterisation only.

``--bounds`` adds, on the objects rotaug rbox keeps, what rotated boxes
could score against the same reference: the smallest rectangle containing
each visible part (its minimum-area rectangle: the best any box that
covers the object can do), and the rectangle of highest IoU with it that
a local search finds (Nelder-Mead from two starts; an estimate of the
best any rectangle can do; slow, needs scipy).
"""
import argparse
import sys

import numpy as np
import torch
from shapely.geometry import Polygon
from shapely.geometry import box as sbox


def rect_poly(rb):
    cx, cy, w, h, t = rb
    c, s = np.cos(t), np.sin(t)
    u, v = np.array([c, s]) * w / 2, np.array([-s, c]) * h / 2
    ctr = np.array([cx, cy])
    return np.stack([ctr - u - v, ctr + u - v, ctr + u + v, ctr - u + v])


def make_scene(rng, w, h, n, edge_share=0.25):
    boxes = []
    for _ in range(n * 30):
        if len(boxes) == n:
            break
        edge = rng.random() < edge_share
        if edge:
            cx = rng.choice([rng.uniform(-20, 20),
                             rng.uniform(w - 20, w + 20)])
            cy = rng.uniform(-20, h + 20)
            if rng.random() < 0.5:
                cx, cy = rng.uniform(-20, w + 20), rng.choice(
                    [rng.uniform(-20, 20), rng.uniform(h - 20, h + 20)])
        else:
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        bw, bh = rng.uniform(6, 70), rng.uniform(6, 40)
        rb = np.array([cx, cy, bw, bh, rng.uniform(-np.pi / 2, np.pi / 2)])
        p = Polygon(rect_poly(rb))
        if any(p.distance(Polygon(rect_poly(o))) < 2 for o in boxes):
            continue
        boxes.append(rb)
    return np.array(boxes, np.float32).reshape(-1, 5)


def turn(points, angle, w, h, expand):
    """Reference rotation (clockwise on screen for angle > 0) about the
    image centre; returns the points and the new canvas size."""
    t = np.deg2rad(angle)
    c, s = np.cos(t), np.sin(t)
    rot = np.array([[c, -s], [s, c]])
    nw, nh = w, h
    if expand:
        nw = int(np.ceil(round(abs(w * c) + abs(h * s), 6)))
        nh = int(np.ceil(round(abs(w * s) + abs(h * c), 6)))
    out = (points - [w / 2, h / 2]) @ rot.T + [nw / 2, nh / 2]
    return out, nw, nh


def reference(rboxes, angle, w, h, expand):
    """The visible part of each turned object: the object cut to the
    source image (outside it there are no pixels), turned, cut to the
    canvas; and its fraction of the object's area."""
    vis, frac = [], []
    for rb in rboxes:
        full = Polygon(rect_poly(rb))
        src = full.intersection(sbox(0, 0, w, h))
        if src.is_empty or src.area == 0:
            vis.append(src)
            frac.append(0.0)
            continue
        pts, nw, nh = turn(np.asarray(src.exterior.coords), angle, w, h,
                           expand)
        v = Polygon(pts).intersection(sbox(0, 0, nw, nh))
        vis.append(v)
        frac.append(v.area / full.area)
    return vis, np.array(frac)


def poly_of(box):
    box = np.asarray(box, np.float64)
    if box.size == 4:
        return sbox(*box)
    if box.size == 5:
        return Polygon(rect_poly(box))
    return Polygon(box.reshape(4, 2))


def score(name, kept_ids, boxes, vis, frac, want_hbox):
    """Per-tool tally."""
    ious, degenerate, ghosts = [], 0, 0
    for i, b in zip(kept_ids, boxes):
        b = np.asarray(b, np.float64)
        if not np.isfinite(b).all():
            degenerate += 1
            continue
        p = poly_of(b)
        # the sides of the box a detector trains on: an rbox itself; for a
        # qbox its minimum-area rectangle (MMRotate's qbox2rbox)
        rect = p.minimum_rotated_rectangle if not p.is_empty else None
        sides = np.linalg.norm(np.diff(np.asarray(rect.exterior.coords)[:3],
                                       axis=0), axis=1) \
            if rect is not None and rect.geom_type == 'Polygon' else [0]
        if b.size == 4:
            sides = [b[2] - b[0], b[3] - b[1]]
        if min(sides) < 1 or p.area <= 0:
            degenerate += 1
        if frac[i] <= 0:
            ghosts += 1
            continue
        ref = vis[i]
        if want_hbox:
            ref = sbox(*ref.bounds)
        inter = p.intersection(ref).area
        union = p.union(ref).area
        ious.append(inter / union if union > 0 else 0.0)
    kept = set(int(i) for i in kept_ids)
    dropped_half = int(sum(1 for i, f in enumerate(frac)
                           if f > 0.5 and i not in kept))
    return dict(tool=name, boxes=len(kept_ids), mean_iou=float(np.mean(ious)),
                p5_iou=float(np.percentile(ious, 5)),
                dropped_half_visible=dropped_half,
                invisible_kept=ghosts, degenerate=degenerate)


def rect_bounds(vis, ids):
    """For the objects ``ids`` (those rotaug rbox kept, so that the means
    compare like with like): the smallest rectangle containing each
    visible polygon, and the rectangle of highest IoU with it that a local
    search finds; as (ids, rboxes) rows for :func:`score`."""
    from scipy.optimize import minimize
    rows = {'bound: smallest containing rectangle': ([], []),
            'bound: best-IoU rectangle (numerical)': ([], [])}
    for i in ids:
        v = vis[i]
        if v.is_empty or v.area <= 0:
            continue
        rect = np.asarray(v.minimum_rotated_rectangle.exterior.coords)[:4]
        e1, e2 = rect[1] - rect[0], rect[2] - rect[1]
        rb = np.r_[rect.mean(0), np.linalg.norm(e1), np.linalg.norm(e2),
                   np.arctan2(e1[1], e1[0])]
        rows['bound: smallest containing rectangle'][0].append(i)
        rows['bound: smallest containing rectangle'][1].append(rb)
        if v.area < Polygon(rect_poly(rb)).area * (1 - 1e-9):

            def neg_iou(x, v=v):
                p = Polygon(rect_poly(x))
                if not p.is_valid or p.area <= 0:
                    return 0.0
                return -v.intersection(p).area / v.union(p).area

            cands = [rb]
            for start in (rb, rb * [1, 1, 0.9, 0.9, 1]):
                cands.append(minimize(neg_iou, start, method='Nelder-Mead',
                                      options=dict(xatol=1e-4, fatol=1e-8,
                                                   maxiter=3000)).x)
            rb = min(cands, key=neg_iou)
        rows['bound: best-IoU rectangle (numerical)'][0].append(i)
        rows['bound: best-IoU rectangle (numerical)'][1].append(rb)
    return rows


def raster(polys, shape):
    """Bitmaps (N, H, W) of polygons in continuous pixel coordinates (a
    pixel is set when its centre is inside; cv2 addresses centres)."""
    import cv2
    out = np.zeros((len(polys), ) + tuple(shape), np.uint8)
    for k, p in enumerate(polys):
        pts = np.round((np.asarray(p, np.float64) - 0.5) * 256)
        cv2.fillPoly(out[k], [pts.astype(np.int32)], 1, shift=8)
    return out


def run_tools(rboxes, img, angle, expand):
    """Output (kept ids, boxes) per tool for one scene."""
    from mmdet.datasets.transforms import Rotate as MMDetRotate
    from mmdet.structures.bbox import HorizontalBoxes
    from mmdet.structures.mask import BitmapMasks
    from mmrotate.datasets.transforms import Rotate as MMRotateRotate
    from mmrotate.structures.bbox import QuadriBoxes, RotatedBoxes

    from rotaug.transforms import Rotate
    n = len(rboxes)
    ids = np.arange(n)
    polys = np.stack([rect_poly(r) for r in rboxes]).astype(np.float32)
    hb = np.concatenate([polys.min(1), polys.max(1)], 1)

    def res(b):
        return dict(img=img.copy(), img_shape=img.shape[:2], gt_bboxes=b,
                    gt_bboxes_labels=ids.copy(),
                    gt_ignore_flags=np.zeros(n, bool))

    def out(r):
        return r['gt_bboxes_labels'], r['gt_bboxes'].tensor.numpy()

    tools = {}
    tools['rotaug rbox'] = out(Rotate(angle, expand=expand)(
        res(RotatedBoxes(torch.from_numpy(rboxes.copy())))))
    tools['rotaug qbox'] = out(Rotate(angle, expand=expand)(
        res(QuadriBoxes(torch.from_numpy(polys.reshape(n, 8).copy())))))
    tools['rotaug qbox -> hbox (exact)'] = out(
        Rotate(angle, expand=expand, out_box_type='hbox')(
            res(QuadriBoxes(torch.from_numpy(polys.reshape(n, 8).copy())))))
    tools['rotaug hbox (ellipse)'] = out(Rotate(angle, expand=expand)(
        res(HorizontalBoxes(torch.from_numpy(hb.copy())))))
    # the same horizontal boxes with bitmap masks of the objects (mmdet's
    # LoadAnnotations default), rasterised by pixel centres
    r = res(HorizontalBoxes(torch.from_numpy(hb.copy())))
    r['gt_masks'] = BitmapMasks(raster(polys, img.shape[:2]),
                                *img.shape[:2])
    tools['rotaug hbox (bitmap masks)'] = out(Rotate(angle,
                                                     expand=expand)(r))
    if not expand:
        tools['mmrotate Rotate rbox'] = out(MMRotateRotate(angle)(
            res(RotatedBoxes(torch.from_numpy(rboxes.copy())))))
        # mmdet returns -mag when rand() > reversal_prob: 1.0 keeps +mag
        mmd = MMDetRotate(prob=1.0, level=10, max_mag=abs(angle),
                          reversal_prob=1.0 if angle >= 0 else 0.0)
        r = res(HorizontalBoxes(torch.from_numpy(hb.copy())))
        tools['mmdet Rotate hbox'] = out(mmd(r))
    try:
        from torchvision import tv_tensors
        from torchvision.transforms import v2
        from torchvision.transforms.v2 import functional as F
        boxes = tv_tensors.BoundingBoxes(torch.from_numpy(hb.copy()),
                                         format='XYXY',
                                         canvas_size=img.shape[:2])
        timg = torch.from_numpy(img).permute(2, 0, 1)
        # torchvision's positive angle is counter-clockwise
        ti, tb = F.rotate(timg, -angle, expand=expand), F.rotate(
            boxes, -angle, expand=expand)
        tb = F.clamp_bounding_boxes(tb)
        sample = v2.SanitizeBoundingBoxes(min_size=1)(
            dict(image=ti, boxes=tb, labels=torch.from_numpy(ids)))
        tools['torchvision v2 hbox'] = (sample['labels'].numpy(),
                                        sample['boxes'].numpy())
    except Exception as e:  # pragma: no cover - optional comparison
        print(f'[fidelity] torchvision skipped: {e}', file=sys.stderr)
    return tools


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--scenes', type=int, default=60)
    p.add_argument('--objects', type=int, default=40)
    p.add_argument('--size', type=int, nargs=2, default=[512, 384])
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--edge-share', type=float, default=0.25,
                   help='share of objects placed across or beyond the '
                   'border (0: only the turn cuts objects)')
    p.add_argument('--bounds', action='store_true',
                   help='add what rotated boxes could score: the '
                   'smallest containing rectangle and a searched '
                   'best-IoU rectangle (slow)')
    a = p.parse_args(argv)
    import rotaug  # noqa: F401
    from mmengine.logging import MMLogger
    MMLogger.get_instance('rotaug-fidelity', log_level='ERROR')
    w, h = a.size
    rng = np.random.default_rng(a.seed)
    for expand in (False, True):
        tally = {}
        total = 0
        for _ in range(a.scenes):
            rboxes = make_scene(rng, w, h, a.objects, a.edge_share)
            angle = float(rng.uniform(-180, 180))
            img = np.zeros((h, w, 3), np.uint8)
            vis, frac = reference(rboxes, angle, w, h, expand)
            total += int((frac > 0).sum())
            outputs = run_tools(rboxes, img, angle, expand)
            if a.bounds:
                outputs.update(rect_bounds(vis, outputs['rotaug rbox'][0]))
            for name, (ids, boxes) in outputs.items():
                t = tally.setdefault(name, dict(ids=[], boxes=[], vis=[],
                                                frac=[]))
                off = len(t['vis'])
                t['ids'].extend(np.asarray(ids, int) + off)
                t['boxes'].extend(list(boxes))
                t['vis'].extend(vis)
                t['frac'].extend(frac)
        print(f'\nexpand={expand}: {a.scenes} scenes of {w}x{h}, '
              f'{total} objects at least partly visible')
        print('| tool | boxes | mean IoU | 5th pct IoU | dropped >50% '
              'visible | boxes of invisible objects | degenerate boxes |')
        print('|---|---|---|---|---|---|---|')
        for name, t in tally.items():
            r = score(name, t['ids'], t['boxes'], t['vis'],
                      np.array(t['frac']), 'hbox' in name)
            print(f"| {name} | {r['boxes']} | {r['mean_iou']:.3f} | "
                  f"{r['p5_iou']:.3f} | {r['dropped_half_visible']} | "
                  f"{r['invisible_kept']} | {r['degenerate']} |")


if __name__ == '__main__':
    main()
