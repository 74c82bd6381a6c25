"""Do a dataset's labels sit on its objects? For bright targets on a dark
background (ships in SAR images), the intensity centroid of each object's
bright pixels against the centre of its label polygon, in the continuous
pixel convention (pixel (i, j) covers [j, j+1) x [i, i+1)).

    python tools/data/label_offset.py data/ssdd/train [--classes ship]
        [--margin 3] [--percentile 60] [--max-images N] [--out F.json]

For each object: the pixels of its bounding box grown by ``--margin``,
weighted by how far they are above that window's ``--percentile``
intensity; their centroid minus the label's vertex mean is the object's
offset (x, y). A systematic offset (the same sign over thousands of
objects lying at every angle) is the labels' convention or bias, not the
objects' shape: flips and turns make it point every way in training, so a
detector learns boxes centred on the objects, and every box it predicts
sits that far from the labels it is scored against. Objects are printed
per size (the label's shorter bounding-box side), where a pixel matters
most.
"""
import argparse
import json
import os
import os.path as osp
import sys

import cv2
import numpy as np

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'projects'))

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')
SIZES = ((0, 10), (10, 20), (20, None))


def read_gray(path: str) -> np.ndarray:
    """The image at ``path`` as float64 grey levels, decoded by content
    (RBox-SSDD's ``.png`` files hold JPEG bytes)."""
    img = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise ValueError(f'{path}: not a readable image')
    return img.astype(np.float64)


def object_offset(img: np.ndarray, poly: np.ndarray, margin: int = 3,
                  percentile: float = 60.0):
    """(dx, dy) of the bright pixels' centroid from the centre of the
    label ``poly`` (4, 2), or None when the window is empty or flat."""
    h, w = img.shape
    lo, hi = poly.min(0), poly.max(0)
    x0, y0 = (int(max(0, np.floor(v - margin))) for v in lo)
    x1 = int(min(w, np.ceil(hi[0] + margin)))
    y1 = int(min(h, np.ceil(hi[1] + margin)))
    win = img[y0:y1, x0:x1]
    if win.size == 0:
        return None
    weight = np.clip(win - np.percentile(win, percentile), 0, None)
    total = weight.sum()
    if total <= 0:
        return None
    ys, xs = np.mgrid[y0:y1, x0:x1] + 0.5  # pixel centres
    cx = (xs * weight).sum() / total
    cy = (ys * weight).sum() / total
    centre = poly.mean(0)
    return float(cx - centre[0]), float(cy - centre[1])


def measure(root: str, classes, margin: int = 3, percentile: float = 60.0,
            max_images=None) -> dict:
    from rotaug.datasets.dota_io import parse_dota_label_file
    img_dir, lbl_dir = osp.join(root, 'images'), osp.join(root, 'labelTxt')
    for d in (img_dir, lbl_dir):
        if not osp.isdir(d):
            raise FileNotFoundError(f'{d} does not exist: the folder must '
                                    'hold images/ and labelTxt/')
    images = {osp.splitext(f)[0]: f for f in sorted(os.listdir(img_dir))
              if osp.splitext(f)[1].lower() in IMAGE_SUFFIXES}
    rows, skipped, no_image = [], 0, []
    labels = sorted(f for f in os.listdir(lbl_dir) if f.endswith('.txt'))
    for name in labels[:max_images]:
        stem = osp.splitext(name)[0]
        if stem not in images:
            no_image.append(name)
            continue
        objects, _ = parse_dota_label_file(osp.join(lbl_dir, name), classes)
        if not objects:
            continue
        img = read_gray(osp.join(img_dir, images[stem]))
        for obj in objects:
            poly = np.asarray(obj['poly'], np.float64).reshape(4, 2)
            off = object_offset(img, poly, margin, percentile)
            if off is None:
                skipped += 1
                continue
            ext = poly.max(0) - poly.min(0)
            rows.append((off[0], off[1], float(ext.min())))
    if no_image:
        print(f'{len(no_image)} label files without an image (skipped), '
              f'e.g. {no_image[0]}')
    d = np.array(rows).reshape(-1, 3)
    out = dict(root=osp.abspath(root), objects=len(d),
               skipped_flat_or_empty=skipped, margin=margin,
               percentile=percentile, sizes=[])
    for lo, hi in ((None, None), ) + SIZES:
        keep = np.ones(len(d), bool)
        if lo is not None:
            keep = (d[:, 2] >= lo) & ((d[:, 2] < hi) if hi else True)
        sel = d[keep, :2]
        out['sizes'].append(dict(
            shorter_side='all' if lo is None else
            f'{lo}-{hi}' if hi else f'>={lo}', objects=int(keep.sum()),
            mean=np.round(sel.mean(0), 3).tolist() if len(sel) else None,
            median=np.round(np.median(sel, 0), 3).tolist()
            if len(sel) else None,
            sd=np.round(sel.std(0), 3).tolist() if len(sel) else None))
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('root', help='a folder with images/ and labelTxt/')
    p.add_argument('--classes', nargs='+', default=['ship'])
    p.add_argument('--margin', type=int, default=3)
    p.add_argument('--percentile', type=float, default=60.0)
    p.add_argument('--max-images', type=int, default=None)
    p.add_argument('--out', default=None)
    a = p.parse_args(argv)
    res = measure(a.root, a.classes, a.margin, a.percentile, a.max_images)
    print(f"{res['objects']} objects ({res['skipped_flat_or_empty']} with a "
          'flat or empty window skipped); bright centroid minus label '
          'centre, px (x, y):')
    print('| shorter side (px) | objects | mean | median | sd |\n'
          '|---|---|---|---|---|')
    for s in res['sizes']:
        def f(v):
            return '-' if v is None else f'{v[0]:+.2f}, {v[1]:+.2f}'
        print(f"| {s['shorter_side']} | {s['objects']} | {f(s['mean'])} | "
              f"{f(s['median'])} | {f(s['sd'])} |")
    if a.out:
        with open(a.out, 'w') as fh:
            json.dump(res, fh, indent=1)


if __name__ == '__main__':
    main()
