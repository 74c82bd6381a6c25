"""Split DOTA images and labels into patches (the layout MMRotate's split
tool writes), clipping cut objects with rotaug's geometry core.

    python tools/data/dota/split.py --src data/DOTA/train --dst \\
        data/split_ss_dota/train [--size 1024] [--gap 200] \\
        [--rates 1.0 ...] [--iof-thr 0.7] [--nproc N] [--save-empty]

Input: ``SRC/images/*.png`` (or ``--img-ext``) and, when present,
``SRC/labelTxt/*.txt`` (DOTA v1 format, header lines allowed; malformed
lines are reported with file:line and skipped). Several ``--src`` folders
may be given. Output: ``DST/images/NAME.png`` and ``DST/annfiles/NAME.txt``.

Windows: ``size`` x ``size`` with a stride of ``size - gap``; the last
window of a row or column is moved back to end on the image edge, so every
pixel is covered and every object no wider than ``gap`` lies whole in at
least one window. Smaller images give one window; patches are padded to
``size`` with ``--pad-value`` (MMRotate's mean colour by default).

Names: at rate 1, ``{id}__{size}__{x}___{y}`` (MMRotate's naming; x, y are
offsets in the original image). At another rate the image is resized by
the rate first, as the DOTA devkit does, and the name is
``{id}__{rate}__{x}___{y}`` with offsets in the resized image (the rate is
always written with a decimal point). ``rotaug.DOTAMetric`` parses both
when merging patch results back to full images.

Objects cut by a window (the rule): the object's polygon is clipped to the
window's image area (exactly, Sutherland-Hodgman in the geometry core).
With ``iof`` = visible area / object area,

* ``iof == 0``: not in the patch;
* the object lies wholly inside: written unchanged (only translated);
* otherwise it is written as its visible part when that has four corners,
  else as the quadrilateral on the visible part's own sides
  (``rotaug.geometry.fit_qbox``, the qbox rule of rotaug's transforms),
  keeping its difficult flag when
  ``iof >= --iof-thr`` (0.7, the DOTA devkit's threshold) and marked
  ``difficult 2`` otherwise (the devkit's mark: a pipeline with
  ``diff_thr`` 1 ignores them; the DOTA metric never counts them).
"""
import argparse
import glob
import multiprocessing
import os
import os.path as osp
import sys
import time
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
sys.path.insert(0, osp.join(ROOT, 'projects'))

from rotaug.datasets.dota_io import (DotaParseReport,  # noqa: E402
                                     parse_dota_label_file,
                                     write_dota_label_file)
from rotaug.geometry import (clip_polygons_to_rect, fit_qbox,  # noqa: E402
                             polygon_areas)

# DOTA v1.0 + v1.5/2.0 classes: the parser needs the names to accept
DOTA_CLASSES = (
    'plane', 'baseball-diamond', 'bridge', 'ground-track-field',
    'small-vehicle', 'large-vehicle', 'ship', 'tennis-court',
    'basketball-court', 'storage-tank', 'soccer-ball-field', 'roundabout',
    'harbor', 'swimming-pool', 'helicopter', 'container-crane', 'airport',
    'helipad')
PAD_VALUE = (104, 116, 124)  # MMRotate's split tool (BGR mean)
TRUNCATED = 2  # the DOTA devkit's difficult mark of a truncated object


def window_starts(length: int, size: int, gap: int) -> List[int]:
    """Start offsets of windows covering ``[0, length)``; the last one
    ends on the edge."""
    if size <= gap:
        raise ValueError(f'size ({size}) must be larger than gap ({gap})')
    if length <= size:
        return [0]
    step = size - gap
    starts = list(range(0, length - size, step))
    starts.append(length - size)
    return starts


def windows(width: int, height: int, size: int,
            gap: int) -> List[Tuple[int, int]]:
    return [(x, y) for y in window_starts(height, size, gap)
            for x in window_starts(width, size, gap)]


def clip_objects(polys: np.ndarray, x: int, y: int, win_w: int, win_h: int,
                 iof_thr: float, difficult: np.ndarray
                 ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Objects (N, 8) of the resized image in the window at (x, y) of
    ``win_w`` x ``win_h`` image pixels.

    Returns ``(keep, polys_in_patch (K, 8), difficult (K,))`` following the
    rule of the module docstring.
    """
    n = len(polys)
    if n == 0:
        return np.zeros(0, bool), np.zeros((0, 8)), np.zeros(0, int)
    pts = polys.reshape(n, 4, 2) - np.array([x, y], np.float64)
    counts = np.full(n, 4, np.int64)
    area = polygon_areas(pts, counts)
    clipped, ccounts = clip_polygons_to_rect(pts, counts, float(win_w),
                                             float(win_h))
    vis = polygon_areas(clipped, ccounts)
    iof = np.where(area > 0, vis / np.maximum(area, 1e-12), 0.0)
    keep = (ccounts >= 3) & (iof > 0)
    inside = ((pts[..., 0] >= 0) & (pts[..., 0] <= win_w) &
              (pts[..., 1] >= 0) & (pts[..., 1] <= win_h)).all(1)
    out = pts.copy()
    cut = keep & ~inside
    if cut.any():
        out[cut] = fit_qbox(clipped[cut], ccounts[cut],
                            pts[cut]).reshape(-1, 4, 2)
    diff = np.where(inside | (iof >= iof_thr), difficult, TRUNCATED)
    return keep, out[keep].reshape(-1, 8), diff[keep]


def split_image(img_path: str, label_path: str, dst: str, size: int,
                gap: int, rates: Sequence[float], iof_thr: float,
                save_empty: bool, pad_value, img_ext: str) -> Dict:
    """Split one image; returns counts and the parse report."""
    img_id = osp.splitext(osp.basename(img_path))[0]
    img = cv2.imread(img_path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError(f'{img_path}: cannot read the image')
    report = DotaParseReport()
    objects = []
    if label_path is not None:
        objects, _ = parse_dota_label_file(label_path, DOTA_CLASSES,
                                           report=report)
    polys0 = np.array([o['poly'] for o in objects],
                      np.float64).reshape(-1, 8)
    names = np.array([o['class_name'] for o in objects], dtype=object)
    diffs = np.array([o['difficult'] for o in objects], np.int64)
    patches = written_objects = 0
    for rate in rates:
        im = img if rate == 1 else cv2.resize(
            img, None, fx=rate, fy=rate, interpolation=cv2.INTER_CUBIC)
        h, w = im.shape[:2]
        polys = polys0 * rate
        mid = str(size) if rate == 1 else repr(float(rate))
        for x, y in windows(w, h, size, gap):
            win_w, win_h = min(size, w - x), min(size, h - y)
            keep, pp, dd = clip_objects(polys, x, y, win_w, win_h, iof_thr,
                                        diffs)
            if label_path is not None and not keep.any() and not save_empty:
                continue
            name = f'{img_id}__{mid}__{x}___{y}'
            patch = im[y:y + win_h, x:x + win_w]
            if win_w < size or win_h < size:
                full = np.empty((size, size) + im.shape[2:], im.dtype)
                chans = im.shape[2] if im.ndim == 3 else 1
                full[...] = np.resize(np.asarray(pad_value), chans).astype(
                    im.dtype).reshape(im.shape[2:])
                full[:win_h, :win_w] = patch
                patch = full
            cv2.imwrite(osp.join(dst, 'images', name + img_ext), patch)
            if label_path is not None:
                write_dota_label_file(
                    osp.join(dst, 'annfiles', name + '.txt'),
                    [dict(poly=p, class_name=c, difficult=d)
                     for p, c, d in zip(pp, names[keep], dd)])
            patches += 1
            written_objects += int(keep.sum())
    return dict(image=img_id, patches=patches, objects=len(objects),
                written=written_objects, report=report)


def _work(args):
    return split_image(*args)


def find_inputs(srcs: Sequence[str], img_ext: str):
    """(image path, label path or None) for every image of the sources."""
    items = []
    for src in srcs:
        img_dir = osp.join(src, 'images')
        lbl_dir = osp.join(src, 'labelTxt')
        if not osp.isdir(img_dir):
            raise FileNotFoundError(f'{img_dir}: no images folder')
        has_labels = osp.isdir(lbl_dir)
        for img in sorted(glob.glob(osp.join(img_dir, '*' + img_ext))):
            lbl = None
            if has_labels:
                lbl = osp.join(lbl_dir,
                               osp.splitext(osp.basename(img))[0] + '.txt')
                if not osp.exists(lbl):
                    print(f'[split] warning: {img} has no label file '
                          f'{lbl}; treated as an image without objects',
                          file=sys.stderr)
                    lbl = os.devnull
            items.append((img, lbl))
    return items


def split_dataset(srcs: Sequence[str], dst: str, size: int = 1024,
                  gap: int = 200, rates: Sequence[float] = (1.0, ),
                  iof_thr: float = 0.7, nproc: int = 1,
                  save_empty: bool = False, pad_value=PAD_VALUE,
                  img_ext: str = '.png', verbose: bool = True) -> Dict:
    """Split every image of ``srcs`` into ``dst``; returns a summary."""
    if not 0 < iof_thr <= 1:
        raise ValueError(f'iof_thr must be in (0, 1], got {iof_thr}')
    if any(r <= 0 for r in rates):
        raise ValueError(f'rates must be positive, got {rates}')
    items = find_inputs(srcs, img_ext)
    if not items:
        raise FileNotFoundError(f'no *{img_ext} images in {list(srcs)}')
    os.makedirs(osp.join(dst, 'images'), exist_ok=True)
    if any(lbl is not None for _, lbl in items):
        os.makedirs(osp.join(dst, 'annfiles'), exist_ok=True)
    jobs = [(img, lbl, dst, size, gap, tuple(rates), iof_thr, save_empty,
             tuple(pad_value), img_ext) for img, lbl in items]
    t0 = time.time()
    summary = dict(images=0, patches=0, objects=0, written=0)
    report = DotaParseReport()
    pool = multiprocessing.Pool(nproc) if nproc > 1 else None
    results = pool.imap_unordered(_work, jobs) if pool else map(_work, jobs)
    try:
        for k, res in enumerate(results, 1):
            summary['images'] += 1
            for key in ('patches', 'objects', 'written'):
                summary[key] += res[key]
            report.merge(res['report'])
            if verbose:
                done = int(30 * k / len(jobs))
                print(f'\r[split] [{"#" * done}{"." * (30 - done)}] '
                      f'{k}/{len(jobs)} images, {summary["patches"]} '
                      f'patches, {time.time() - t0:.0f} s', end='',
                      flush=True)
    finally:
        if pool:
            pool.close()
            pool.join()
    if verbose:
        print()
        print(f'[split] {summary["images"]} images -> {summary["patches"]} '
              f'patches in {dst}; labels: {report.summary()}')
    summary['report'] = report
    return summary


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description='Split DOTA images and labels into patches.')
    p.add_argument('--src', nargs='+', required=True,
                   help='folders holding images/ and labelTxt/')
    p.add_argument('--dst', required=True)
    p.add_argument('--size', type=int, default=1024)
    p.add_argument('--gap', type=int, default=200)
    p.add_argument('--rates', type=float, nargs='+', default=[1.0])
    p.add_argument('--iof-thr', type=float, default=0.7)
    p.add_argument('--nproc', type=int, default=max(1, os.cpu_count() or 1))
    p.add_argument('--save-empty', action='store_true',
                   help='also write patches without objects')
    p.add_argument('--pad-value', type=int, nargs='+', default=PAD_VALUE)
    p.add_argument('--img-ext', default='.png')
    return p.parse_args(argv)


def main(argv=None) -> None:
    a = parse_args(argv)
    split_dataset(a.src, a.dst, a.size, a.gap, a.rates, a.iof_thr, a.nproc,
                  a.save_empty, a.pad_value, a.img_ext)


if __name__ == '__main__':
    main()
