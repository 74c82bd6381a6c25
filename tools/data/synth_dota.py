"""Procedural DOTA-style dataset: the embedded default of the demo and the
tests.

    python tools/data/synth_dota.py --out data/synth_dota [--seed 0]
        [--num-train 96] [--num-val 24] [--num-test 24] [--size 320]

Aerial-like scenes: textured ground, roads with lane marks, roofs
(unlabelled distractors), cast shadows, and oriented objects of five
classes with distinct silhouettes (plane, ship, small-vehicle,
large-vehicle, storage-tank) at all orientations, dense parking rows, and
objects cut by the image border (``--angle-spread D`` lays objects along
the image axes give or take D degrees instead). Written as DOTA v1 does
it::

    OUT/{train,val,test}/images/NAME.png
    OUT/{train,val,test}/labelTxt/NAME.txt   # imagesource:/gsd: headers,
                                             # then x1 y1 .. x4 y4 cls diff
    OUT/meta.json                            # seed, sizes, classes, counts

Every label is the oriented rectangle that bounds the object's silhouette
(corners clockwise in image coordinates); labels of objects cut by the
border extend past it, as in real data (the pipeline's
``rotaug.SanitizeGT`` clips them). Storage tanks are round and labelled
with upright squares. Deterministic: the same seed gives the same bytes.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

CLASSES = ('plane', 'ship', 'small-vehicle', 'large-vehicle',
           'storage-tank')
SPLITS = ('train', 'val', 'test')
# (length range, width / length) in pixels at the default 320 px size
_SIZES = {
    'plane': ((34, 62), 0.95),
    'ship': ((30, 58), 0.28),
    'small-vehicle': ((11, 16), 0.5),
    'large-vehicle': ((20, 32), 0.36),
    'storage-tank': ((16, 38), 1.0),
}


def _rect_corners(cx, cy, length, width, theta) -> np.ndarray:
    """Corners of a rectangle of ``length`` along direction ``theta``
    (radians, clockwise on screen), clockwise from the rear-left."""
    c, s = np.cos(theta), np.sin(theta)
    u = np.array([c, s]) * length / 2
    v = np.array([-s, c]) * width / 2
    ctr = np.array([cx, cy])
    return np.stack([ctr - u - v, ctr + u - v, ctr + u + v, ctr - u + v])


def _local_to_image(pts: np.ndarray, cx, cy, theta) -> np.ndarray:
    c, s = np.cos(theta), np.sin(theta)
    rot = np.array([[c, -s], [s, c]])
    return pts @ rot.T + np.array([cx, cy])


def _silhouette(cls: str, length: float, width: float) -> List[np.ndarray]:
    """Polygons (local frame: x along the object, centred) of a class."""
    L, W = length / 2, width / 2
    if cls == 'plane':
        fus_w = max(1.5, 0.09 * length)
        fuselage = np.array([[-L, -fus_w], [L * 0.8, -fus_w], [L, 0],
                             [L * 0.8, fus_w], [-L, fus_w]])
        wings = np.array([[0.25 * L, -fus_w], [-0.15 * L, -W],
                          [-0.35 * L, -W], [-0.1 * L, -fus_w],
                          [-0.1 * L, fus_w], [-0.35 * L, W],
                          [-0.15 * L, W], [0.25 * L, fus_w]])
        tail = np.array([[-0.75 * L, -fus_w], [-L, -0.38 * W],
                         [-L, 0.38 * W], [-0.75 * L, fus_w]])
        return [fuselage, wings, tail]
    if cls == 'ship':
        hull = np.array([[-L, -W * 0.85], [-L * 0.9, -W], [L * 0.55, -W],
                         [L, 0], [L * 0.55, W], [-L * 0.9, W],
                         [-L, W * 0.85]])
        deck = np.array([[-L * 0.65, -W * 0.5], [-L * 0.25, -W * 0.5],
                         [-L * 0.25, W * 0.5], [-L * 0.65, W * 0.5]])
        return [hull, deck]
    if cls in ('small-vehicle', 'large-vehicle'):
        body = np.array([[-L, -W], [L, -W], [L, W], [-L, W]]) * [1, 1]
        cut = 0.32 if cls == 'large-vehicle' else 0.55
        glass = np.array([[L * cut, -W * 0.8], [L * (cut + 0.2), -W * 0.8],
                          [L * (cut + 0.2), W * 0.8], [L * cut, W * 0.8]])
        return [body, glass]
    raise ValueError(cls)


class _Scene:
    """One image: ground, roads, roofs, then objects with shadows."""

    def __init__(self, rng: np.random.Generator, size: int,
                 angle_spread: Optional[float] = None) -> None:
        self.rng = rng
        self.size = size
        self.spread = angle_spread
        self.scale = size / 320.0
        self.occupied = np.zeros((size, size), np.uint8)
        self.objects: List[Tuple[np.ndarray, str]] = []
        self.img = self._ground()

    # -- background ------------------------------------------------------
    def _ground(self) -> np.ndarray:
        rng, n = self.rng, self.size
        base = np.array(rng.choice([(92, 118, 104), (110, 128, 140),
                                    (80, 100, 96), (128, 140, 150)]),
                        np.float32)
        low = cv2.resize(rng.normal(0, 1, (6, 6)).astype(np.float32),
                         (n, n), interpolation=cv2.INTER_CUBIC)
        img = base + low[..., None] * 14 + rng.normal(
            0, 5, (n, n, 3)).astype(np.float32)
        for _ in range(rng.integers(0, 3)):  # roads with lane marks
            self._road(img)
        for _ in range(rng.integers(1, 5)):  # roofs: unlabelled
            c = rng.uniform(0, n, 2)
            w, h = rng.uniform(20, 60, 2) * self.scale
            poly = _rect_corners(c[0], c[1], w, h, rng.uniform(0, np.pi))
            colour = rng.choice([(70, 70, 150), (160, 160, 160),
                                 (60, 90, 120)]).tolist()
            cv2.fillPoly(img, [np.round(poly * 16).astype(np.int32)],
                         colour, cv2.LINE_AA, shift=4)
        return img

    def _road(self, img: np.ndarray) -> None:
        rng, n = self.rng, self.size
        theta = rng.uniform(0, np.pi)
        c = rng.uniform(0.2 * n, 0.8 * n, 2)
        d = np.array([np.cos(theta), np.sin(theta)]) * 2 * n
        a, b = c - d, c + d
        width = int(rng.uniform(14, 26) * self.scale)
        cv2.line(img, tuple(map(int, a)), tuple(map(int, b)),
                 (68, 68, 72), width, cv2.LINE_AA)
        steps = np.linspace(0, 1, 40)
        for t0, t1 in zip(steps[::2], steps[1::2]):
            p, q = a + (b - a) * t0, a + (b - a) * (t0 + (t1 - t0) * 0.5)
            cv2.line(img, tuple(map(int, p)), tuple(map(int, q)),
                     (200, 200, 200), 1, cv2.LINE_AA)

    # -- objects ---------------------------------------------------------
    def _free(self, poly: np.ndarray) -> bool:
        mask = np.zeros_like(self.occupied)
        cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 1)
        area = int(mask.sum())
        if area == 0:  # wholly outside
            return False
        return int((mask & self.occupied).sum()) <= 0.05 * area

    def _claim(self, poly: np.ndarray) -> None:
        cv2.fillPoly(self.occupied, [np.round(poly).astype(np.int32)], 1)

    def add(self, cls: str, cx: float, cy: float, length: float,
            theta: float) -> bool:
        ratio = _SIZES[cls][1]
        width = length * ratio
        if cls == 'storage-tank':
            theta = 0.0
        label = _rect_corners(cx, cy, length, width, theta)
        if not self._free(label):
            return False
        self._claim(label)
        rng = self.rng
        shadow = np.array([2.5, 2.0]) * self.scale * (1 + length / 40)
        if cls == 'storage-tank':
            r = length / 2
            sc = (int(round((cx + shadow[0]) * 16)),
                  int(round((cy + shadow[1]) * 16)))
            self._blend_circle(sc, r, (30, 30, 30), 0.45)
            body = tuple(int(v) for v in rng.integers(190, 240, 3))
            self._blend_circle((int(round(cx * 16)), int(round(cy * 16))),
                               r, body, 1.0)
            self._blend_circle((int(round(cx * 16)), int(round(cy * 16))),
                               r * 0.7, tuple(v - 40 for v in body), 0.5)
        else:
            polys = [
                _local_to_image(p, cx, cy, theta)
                for p in _silhouette(cls, length, width)
            ]
            self._blend_polys([p + shadow for p in polys], (30, 30, 30),
                              0.45)
            colour = {
                'plane': (225, 225, 230),
                'ship': (210, 215, 205),
            }.get(cls) or tuple(int(v) for v in rng.integers(30, 240, 3))
            self._blend_polys(polys[:1] + polys[1:-1] if cls != 'plane'
                              else polys, colour, 1.0)
            if cls != 'plane':  # glass / deck in a darker tone
                self._blend_polys(polys[-1:],
                                  tuple(max(0, v - 70) for v in colour),
                                  1.0)
        self.objects.append((label, cls))
        return True

    def _blend_polys(self, polys, colour, alpha) -> None:
        layer = self.img.copy()
        for p in polys:
            cv2.fillPoly(layer, [np.round(p * 16).astype(np.int32)],
                         colour, cv2.LINE_AA, shift=4)
        self.img = cv2.addWeighted(layer, alpha, self.img, 1 - alpha, 0)

    def _blend_circle(self, centre, radius, colour, alpha) -> None:
        layer = self.img.copy()
        cv2.circle(layer, centre, int(round(radius * 16)), colour, -1,
                   cv2.LINE_AA, shift=4)
        self.img = cv2.addWeighted(layer, alpha, self.img, 1 - alpha, 0)

    def parking_row(self) -> None:
        """A dense row of parked small vehicles, side by side."""
        rng, n = self.rng, self.size
        theta = self._direction(np.pi)
        length = rng.uniform(*_SIZES['small-vehicle'][0]) * self.scale
        width = length * _SIZES['small-vehicle'][1]
        step = width * rng.uniform(1.25, 1.6)
        start = rng.uniform(0, n, 2)
        across = np.array([-np.sin(theta), np.cos(theta)])
        for k in range(int(rng.integers(4, 11))):
            if rng.random() < 0.15:  # an empty bay
                continue
            p = start + across * step * k
            self.add('small-vehicle', p[0], p[1], length,
                     theta + (np.pi if rng.random() < 0.3 else 0.0))

    def random_object(self, near_border: bool = False) -> None:
        rng, n = self.rng, self.size
        cls = CLASSES[rng.choice(len(CLASSES),
                                 p=[0.15, 0.2, 0.3, 0.2, 0.15])]
        length = rng.uniform(*_SIZES[cls][0]) * self.scale
        if near_border:  # centre within half a length of an edge
            t = rng.uniform(-0.35, 0.35) * length
            edge = rng.integers(4)
            u = rng.uniform(0, n)
            cx, cy = [(t, u), (n - t, u), (u, t), (u, n - t)][edge]
        else:
            cx, cy = rng.uniform(0, n, 2)
        for _ in range(8):
            if self.add(cls, cx, cy, length, self._direction(2 * np.pi)):
                return
            cx, cy = rng.uniform(0, n, 2)

    def _direction(self, period: float) -> float:
        """An object direction: uniform over ``period``, or, with
        ``angle_spread`` (degrees), a multiple of 90 degrees give or take the
        spread (scenes laid out along the image axes, as many real ones
        are: the case where rotation augmentation matters)."""
        if self.spread is None:
            return self.rng.uniform(0, period)
        k = self.rng.integers(4)
        return k * np.pi / 2 + np.deg2rad(
            self.rng.uniform(-self.spread, self.spread))

    def finish(self) -> np.ndarray:
        return np.clip(self.img, 0, 255).astype(np.uint8)


def render_scene(seed: Sequence[int], size: int = 320,
                 angle_spread: Optional[float] = None
                 ) -> Tuple[np.ndarray, List[Tuple[np.ndarray, str]]]:
    """One image (H, W, 3 BGR uint8) and its labels (corners (4, 2),
    class) from a seed; ``angle_spread``: see ``_Scene._direction``."""
    rng = np.random.default_rng(list(seed))
    scene = _Scene(rng, size, angle_spread)
    for _ in range(rng.integers(0, 3)):
        scene.parking_row()
    for _ in range(rng.integers(6, 16)):
        scene.random_object()
    for _ in range(rng.integers(1, 4)):
        scene.random_object(near_border=True)
    return scene.finish(), scene.objects


def _label_text(objects) -> str:
    lines = ['imagesource:rotaug-synthetic', 'gsd:0.5']
    for poly, cls in objects:
        coords = ' '.join(f'{v:.1f}' for v in poly.reshape(-1))
        lines.append(f'{coords} {cls} 0')
    return '\n'.join(lines) + '\n'


def generate(out_dir: str, seed: int = 0,
             num: Sequence[int] = (96, 24, 24), size: int = 320,
             verbose: bool = True,
             angle_spread: Optional[float] = None) -> Dict:
    """Write the dataset; returns the summary also written to
    ``meta.json``."""
    if len(num) != len(SPLITS) or min(num) < 0:
        raise ValueError(f'num must give 3 non-negative counts, got {num}')
    if size < 64:
        raise ValueError(f'size must be >= 64 px, got {size}')
    t0 = time.time()
    counts = {}
    for s, (split, n_img) in enumerate(zip(SPLITS, num)):
        img_dir = osp.join(out_dir, split, 'images')
        lbl_dir = osp.join(out_dir, split, 'labelTxt')
        os.makedirs(img_dir, exist_ok=True)
        os.makedirs(lbl_dir, exist_ok=True)
        per_class = dict.fromkeys(CLASSES, 0)
        for i in range(n_img):
            img, objects = render_scene((seed, s, i), size, angle_spread)
            name = f'{split}{i:04d}'
            cv2.imwrite(osp.join(img_dir, name + '.png'), img)
            with open(osp.join(lbl_dir, name + '.txt'), 'w') as f:
                f.write(_label_text(objects))
            for _, cls in objects:
                per_class[cls] += 1
        if verbose:
            print(f'[synth] {split}: {n_img} images, '
                  f'{sum(per_class.values())} objects', flush=True)
        counts[split] = dict(images=n_img, objects=per_class)
    meta = dict(seed=seed, size=size, classes=list(CLASSES),
                angle_spread=angle_spread, splits=counts)
    with open(osp.join(out_dir, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=2)
    if verbose:
        total = sum(sum(c['objects'].values()) for c in counts.values())
        print(f'[synth] {sum(num)} images, {total} objects in {out_dir} '
              f'({time.time() - t0:.1f} s)')
    return meta


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--out', default='data/synth_dota')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--num-train', type=int, default=96)
    p.add_argument('--num-val', type=int, default=24)
    p.add_argument('--num-test', type=int, default=24)
    p.add_argument('--size', type=int, default=320)
    p.add_argument('--angle-spread', type=float, default=None,
                   help='objects along the image axes give or take this '
                   'many degrees (default: all directions)')
    a = p.parse_args(argv)
    generate(a.out, a.seed, (a.num_train, a.num_val, a.num_test), a.size,
             angle_spread=a.angle_spread)


if __name__ == '__main__':
    sys.exit(main())
