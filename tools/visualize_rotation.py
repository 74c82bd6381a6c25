"""Draw a real DOTA image with its boxes before and after rotaug's rotation,
with ``expand`` off and on, into one PNG.

    python tools/visualize_rotation.py [--image P1888] [--angle 30]
        [--src ../shared/data/dota_samples] [--out docs/rotation_P1888.png]
"""
import argparse
import os.path as osp

import cv2
import numpy as np
import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def draw(img, rboxes, ignore=None, color=(0, 255, 255), scale=1.0):
    from rotaug.geometry import rbox_to_poly
    out = cv2.resize(img, None, fx=scale, fy=scale,
                     interpolation=cv2.INTER_AREA)
    polys = rbox_to_poly(np.asarray(rboxes, np.float64)) * scale
    for k, p in enumerate(polys):
        c = (0, 0, 255) if ignore is not None and ignore[k] else color
        pts = np.round((p - 0.5 * scale) * 16).astype(np.int32)
        cv2.polylines(out, [pts], True, c, 2, cv2.LINE_AA, shift=4)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--src', default=osp.join(ROOT, '..', 'shared', 'data',
                                             'dota_samples'))
    p.add_argument('--image', default='P1888')
    p.add_argument('--angle', type=float, default=30.0)
    p.add_argument('--out', default=osp.join(ROOT, 'docs',
                                             'rotation_P1888.png'))
    p.add_argument('--width', type=int, default=560,
                   help='width of each panel in the picture')
    args = p.parse_args()

    import rotaug  # noqa: F401
    from mmrotate.datasets import DOTADataset
    from mmrotate.structures.bbox import QuadriBoxes, RotatedBoxes

    from rotaug.datasets.dota_io import parse_dota_label_file
    from rotaug.transforms import Rotate

    img = cv2.imread(osp.join(args.src, 'images', args.image + '.png'))
    classes = DOTADataset.METAINFO['classes']
    objects, report = parse_dota_label_file(
        osp.join(args.src, 'labelTxt', args.image + '.txt'), classes)
    polys = np.array([o['poly'] for o in objects], np.float32)
    labels = np.array([o['label'] for o in objects], np.int64)
    rb = QuadriBoxes(torch.from_numpy(polys)).convert_to('rbox')
    h, w = img.shape[:2]
    panels = []
    titles = []
    scale = args.width / w
    panels.append(draw(img, rb.tensor.numpy(), scale=scale))
    titles.append(f'{args.image}: {len(polys)} objects')
    for expand in (False, True):
        res = dict(img=img.copy(), img_shape=(h, w),
                   gt_bboxes=RotatedBoxes(rb.tensor.clone()),
                   gt_bboxes_labels=labels.copy(),
                   gt_ignore_flags=np.zeros(len(labels), bool))
        t = Rotate(args.angle, expand=expand)
        res = t(res)
        s = args.width / res['img_shape'][1] if expand else scale
        panels.append(draw(res['img'], res['gt_bboxes'].tensor.numpy(),
                           res['gt_ignore_flags'], scale=s))
        st = t.stats
        titles.append(f'Rotate({args.angle:g}, expand={expand}): '
                      f'{st.kept} kept ({st.ignored} ignore), '
                      f'{st.total_dropped} dropped')
    hmax = max(pp.shape[0] for pp in panels) + 40
    canvas = np.full((hmax, sum(pp.shape[1] for pp in panels) + 20 *
                      (len(panels) - 1), 3), 255, np.uint8)
    x = 0
    for pp, title in zip(panels, titles):
        canvas[40:40 + pp.shape[0], x:x + pp.shape[1]] = pp
        cv2.putText(canvas, title, (x + 4, 26), cv2.FONT_HERSHEY_SIMPLEX,
                    0.5, (0, 0, 0), 1, cv2.LINE_AA)
        x += pp.shape[1] + 20
    cv2.imwrite(args.out, canvas)
    print(f'wrote {args.out} (yellow: kept, red: flagged ignore)')


if __name__ == '__main__':
    main()
