"""Procedural DOTA-style dataset: the embedded default of the demo and the
tests.

    python tools/data/synth_dota.py --out data/synth_dota [--seed 0]
        [--num-train 96] [--num-val 24] [--num-test 24] [--size 320]
        [--angle-spread D] [--border-share S]

Aerial-like scenes: textured ground, roads with lane marks, roofs
(unlabelled distractors), cast shadows, and oriented objects of five
classes with distinct silhouettes (plane, ship, small-vehicle,
large-vehicle, storage-tank) at all orientations, dense parking rows, and
objects cut by the image border (``--angle-spread D`` lays objects along
the image axes give or take D degrees instead; ``--border-share S`` makes
the scenes dense, a share S of their objects vehicles along the image
border, where a turn cuts them). Written as DOTA v1 does it::

    OUT/{train,val,test}/images/NAME.png
    OUT/{train,val,test}/labelTxt/NAME.txt   # imagesource:/gsd: headers,
                                             # then x1 y1 .. x4 y4 cls diff
    OUT/meta.json                            # seed, sizes, classes, counts

Every label is the oriented rectangle that bounds the object's silhouette
(corners clockwise in image coordinates); labels of objects cut by the
border extend past it, as in real data (the pipeline's
``rotaug.SanitizeGT`` clips them). Storage tanks are round and labelled
with upright squares. Deterministic: the same seed gives the same bytes.

The painted shape of every object (its silhouette polygons, a 64-gon for a
tank) comes with ``render_scene(..., with_shapes=True)``, and
:func:`label_map` rasterises them into an instance map: what measures how
far a label (or a box rule) is from the object's own pixels.
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
        # the painted silhouette polygons of each object (image frame)
        self.shapes: List[List[np.ndarray]] = []
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
            polys = [_circle_polygon(cx, cy, r)]
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
        self.shapes.append(polys)
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

    def border_vehicle(self, band: float) -> None:
        """A small or large vehicle with its centre inside the image, at
        most ``band`` pixels from an edge (corners included), where a turn
        of the image cuts it."""
        rng, n = self.rng, self.size
        cls = ('small-vehicle', 'large-vehicle')[int(rng.random() < 0.35)]
        length = rng.uniform(*_SIZES[cls][0]) * self.scale
        for _ in range(8):
            depth, along = rng.uniform(0, band), rng.uniform(0, n)
            cx, cy = [(depth, along), (n - depth, along), (along, depth),
                      (along, n - depth)][int(rng.integers(4))]
            if self.add(cls, cx, cy, length, self._direction(2 * np.pi)):
                return

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


def _circle_polygon(cx: float, cy: float, r: float,
                    n: int = 64) -> np.ndarray:
    """The regular ``n``-gon inscribed in a circle, a vertex on each axis
    (so its horizontal box is the circle's)."""
    t = np.arange(n) * (2 * np.pi / n)
    return np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], 1)


def _check_border_share(border_share: Optional[float]) -> None:
    if border_share is not None and not 0 <= border_share <= 1:
        raise ValueError(
            f'border_share must lie in [0, 1], got {border_share!r}')


def render_scene(seed: Sequence[int], size: int = 320,
                 angle_spread: Optional[float] = None,
                 border_share: Optional[float] = None,
                 with_shapes: bool = False):
    """One image (H, W, 3 BGR uint8) and its labels (corners (4, 2),
    class) from a seed; ``angle_spread``: see ``_Scene._direction``.

    ``border_share`` (None: the default layout) makes a dense scene of 24
    to 40 objects after the parking rows, that share of them small and
    large vehicles centred within 12% of the image size of an edge, the
    rest placed as usual. ``with_shapes`` also returns each object's
    silhouette polygons (a list of (K, 2) arrays in image coordinates, in
    the order of the labels)."""
    _check_border_share(border_share)
    rng = np.random.default_rng(list(seed))
    scene = _Scene(rng, size, angle_spread)
    for _ in range(rng.integers(0, 3)):
        scene.parking_row()
    if border_share is None:
        for _ in range(rng.integers(6, 16)):
            scene.random_object()
        for _ in range(rng.integers(1, 4)):
            scene.random_object(near_border=True)
    else:
        for _ in range(rng.integers(24, 41)):
            if rng.random() < border_share:
                scene.border_vehicle(0.12 * size)
            else:
                scene.random_object()
    if with_shapes:
        return scene.finish(), scene.objects, scene.shapes
    return scene.finish(), scene.objects


def label_map(shapes: Sequence[Sequence[np.ndarray]],
              size: Tuple[int, int]) -> np.ndarray:
    """Instance map (H, W) uint16 of silhouettes (``render_scene(...,
    with_shapes=True)``): 0 is the ground, ``k + 1`` the pixels of object
    ``k`` (a pixel belongs to an object when its centre lies inside one of
    its polygons, pixel ``(r, c)`` covering ``[c, c + 1) x [r, r + 1)``;
    later objects over earlier ones, as painted). ``size``: (H, W)."""
    if len(shapes) >= 65535:
        raise ValueError(f'{len(shapes)} objects do not fit a uint16 map')
    out = np.zeros(tuple(size), np.uint16)
    for k, polys in enumerate(shapes):
        for p in polys:
            _fill_centres(out, np.asarray(p, np.float64), k + 1)
    return out


def _fill_centres(out: np.ndarray, poly: np.ndarray, value: int) -> None:
    """Set the pixels of ``out`` whose centres lie inside ``poly`` (K, 2)
    (even-odd crossings; OpenCV's ``fillPoly`` also sets pixels the
    outline only touches)."""
    h, w = out.shape
    x0, y0 = np.maximum(np.floor(poly.min(0)).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(poly.max(0)).astype(int), (w, h))
    if x1 <= x0 or y1 <= y0:
        return
    cx, cy = np.meshgrid(np.arange(x0, x1) + 0.5, np.arange(y0, y1) + 0.5)
    inside = np.zeros(cx.shape, bool)
    for (ax, ay), (bx, by) in zip(poly, np.roll(poly, -1, 0)):
        if ay == by:
            continue
        spans = (ay > cy) != (by > cy)
        inside ^= spans & (cx < ax + (cy - ay) * (bx - ax) / (by - ay))
    out[y0:y1, x0:x1][inside] = value


def _label_text(objects) -> str:
    lines = ['imagesource:rotaug-synthetic', 'gsd:0.5']
    for poly, cls in objects:
        coords = ' '.join(f'{v:.1f}' for v in poly.reshape(-1))
        lines.append(f'{coords} {cls} 0')
    return '\n'.join(lines) + '\n'


def generate(out_dir: str, seed: int = 0,
             num: Sequence[int] = (96, 24, 24), size: int = 320,
             verbose: bool = True,
             angle_spread: Optional[float] = None,
             border_share: Optional[float] = None) -> Dict:
    """Write the dataset; returns the summary also written to
    ``meta.json`` (which names ``border_share`` only when it is set)."""
    if len(num) != len(SPLITS) or min(num) < 0:
        raise ValueError(f'num must give 3 non-negative counts, got {num}')
    if size < 64:
        raise ValueError(f'size must be >= 64 px, got {size}')
    _check_border_share(border_share)
    t0 = time.time()
    counts = {}
    for s, (split, n_img) in enumerate(zip(SPLITS, num)):
        img_dir = osp.join(out_dir, split, 'images')
        lbl_dir = osp.join(out_dir, split, 'labelTxt')
        os.makedirs(img_dir, exist_ok=True)
        os.makedirs(lbl_dir, exist_ok=True)
        per_class = dict.fromkeys(CLASSES, 0)
        for i in range(n_img):
            img, objects = render_scene((seed, s, i), size, angle_spread,
                                        border_share)
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
    if border_share is not None:  # the default meta.json stays as it was
        meta['border_share'] = border_share
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
    p.add_argument('--border-share', type=float, default=None,
                   help='dense scenes (24-40 objects), this share of them '
                   'small/large vehicles near the image border, where a '
                   'turn cuts them (default: the ordinary layout)')
    a = p.parse_args(argv)
    generate(a.out, a.seed, (a.num_train, a.num_val, a.num_test), a.size,
             angle_spread=a.angle_spread, border_share=a.border_share)


if __name__ == '__main__':
    sys.exit(main())
