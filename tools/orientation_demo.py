"""Which angle target survives rotation? Train one small CNN four ways to
read the tilt of a bar, on the CPU, and score each on held-out images.

    flock /tmp/rotaug-train.lock python tools/orientation_demo.py \\
        [--iters 600] [--epochs E] [--seed 0] [--variants a b c d] \\
        [--optimizer adam|sgd] [--lr 2e-3] [--out orientation.json]

Images (made on the fly, seeded): a tilted elongated rectangle plus noise
dots, tilt in ``[0, 180)`` degrees, clockwise-positive in image coordinates
(y down), as rotaug's rotations: the bar's long axis points along
``(cos t, sin t)`` in ``(x, y)``. Training images go through
``rotaug.RandomRotate(angle_keys={'tilt': 180})``, which turns the tilt
label with the image (wrapped into ``[-90, 90)``).

Variants (same network, initialisation, batches, augmentation, optimiser,
cosine learning-rate schedule):

* ``a`` / ``mse``: MSE on the tilt in degrees, in ``[0, 180)``;
* ``b`` / ``wrap_mae``: the wrap-aware MAE ``where(d > 90, 180 - d, d)``,
  ``d = |out % 180 - tilt|``;
* ``c`` / ``sincos``: ``rotaug.SinCosAngleCoder(180)`` targets and
  ``rotaug.AngularDistanceLoss(delta=0.2)`` on two outputs;
* ``d`` / ``periodic_l1``: ``rotaug.PeriodicL1Loss(180)`` on a raw output;
* ``e`` / ``mse_unit``, ``f`` / ``periodic_l1_unit`` (not run by default):
  ``a`` and ``d`` with the output in units of 90 degrees, O(1) like the
  sin/cos pair, to tell the output's scale from the wrap.

Reports each variant's mean absolute error on the circle (period 180) on
the held-out images, with the median, the share within 5 degrees, the
error by tilt (30 degree bins), the mean resultant length of the
predictions (1: one answer for every image) and their circular mean, and
the best constant guess.
"""
import argparse
import json
import math
import time
from typing import Callable, Dict, NamedTuple, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

PERIOD = 180.0
ALIASES = {'a': 'mse', 'b': 'wrap_mae', 'c': 'sincos', 'd': 'periodic_l1',
           'e': 'mse_unit', 'f': 'periodic_l1_unit'}
DEFAULT_VARIANTS = ['a', 'b', 'c', 'd']
UNIT = 90.0  # degrees per output unit in the '_unit' variants


# ------------------------------------------------------------------ data
def draw_bar(size: int, tilt: float, length: float, width: float,
             center: Tuple[float, float]) -> np.ndarray:
    """Coverage in [0, 1] of a ``length`` x ``width`` rectangle whose long
    axis has ``tilt`` degrees (clockwise, y down), on a ``size`` x ``size``
    grid of pixel centres (``i + 0.5``); edges antialiased over a pixel."""
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float64) + 0.5
    a = math.radians(tilt)
    dx, dy = xs - center[0], ys - center[1]
    along = dx * math.cos(a) + dy * math.sin(a)
    across = -dx * math.sin(a) + dy * math.cos(a)
    return (np.clip(length / 2 - np.abs(along) + 0.5, 0, 1) *
            np.clip(width / 2 - np.abs(across) + 0.5, 0, 1))


def draw_sample(rng: np.random.Generator, size: int = 64,
                tilt: Optional[float] = None,
                dots: int = 40) -> Tuple[np.ndarray, float]:
    """One uint8 ``(size, size)`` image and its tilt (degrees, [0, 180)):
    a bar 0.38-0.56 ``size`` long and 4-8 px wide near the centre (it stays
    inside the inscribed circle, so no turn cuts it), plus ``dots`` bright
    pixels anywhere."""
    if tilt is None:
        tilt = float(rng.uniform(0, PERIOD))
    length = rng.uniform(0.38, 0.56) * size
    width = rng.uniform(4.0, 8.0)
    r, phi = rng.uniform(0, size / 16), rng.uniform(0, 2 * math.pi)
    center = (size / 2 + r * math.cos(phi), size / 2 + r * math.sin(phi))
    img = draw_bar(size, tilt, length, width, center) * rng.uniform(0.6, 1)
    ys, xs = rng.integers(0, size, (2, dots))
    img[ys, xs] = np.maximum(img[ys, xs], rng.uniform(0.3, 1.0, dots))
    return np.round(img * 255).astype(np.uint8), tilt


def make_set(seed: int, n: int, size: int) -> Tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pairs = [draw_sample(rng, size) for _ in range(n)]
    return (np.stack([p[0] for p in pairs]),
            np.array([p[1] for p in pairs], np.float64))


def augment(rotate: Callable, imgs: np.ndarray,
            tilts: np.ndarray) -> Tuple[Tensor, Tensor]:
    """Each image through ``rotate`` (its ``tilt`` key turned with it)."""
    out_imgs, out_tilts = [], []
    for img, tilt in zip(imgs, tilts):
        res = rotate(dict(img=img, img_shape=img.shape, tilt=tilt))
        out_imgs.append(res['img'])
        out_tilts.append(float(res['tilt']))
    x = torch.from_numpy(np.stack(out_imgs)).float().div_(255).unsqueeze(1)
    return x, torch.tensor(out_tilts, dtype=torch.float32)


def circular_error(pred: np.ndarray, target: np.ndarray,
                   period: float = PERIOD) -> np.ndarray:
    d = np.abs(np.asarray(pred, np.float64) - target) % period
    return np.minimum(d, period - d)


# ------------------------------------------------------------------ model
class TinyNet(nn.Module):
    """Four conv-BN-ReLU-maxpool stages, global mean, one linear layer."""

    def __init__(self, out_dim: int, width: int = 16) -> None:
        super().__init__()
        layers, c_in = [], 1
        for c_out in (width, 2 * width, 4 * width, 4 * width):
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
                       nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
                       nn.MaxPool2d(2)]
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(c_in, out_dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x).mean((2, 3)))


class Variant(NamedTuple):
    out_dim: int
    loss: Callable[[Tensor, Tensor], Tensor]  # (out, tilt degrees)
    decode: Callable[[Tensor], Tensor]  # out -> degrees


def build_variants() -> Dict[str, Variant]:
    from rotaug.registry import MODELS, TASK_UTILS
    coder = TASK_UTILS.build(dict(type='SinCosAngleCoder', period=PERIOD))
    angular = MODELS.build(dict(type='AngularDistanceLoss', delta=0.2))
    periodic = MODELS.build(dict(type='PeriodicL1Loss', period=PERIOD))

    def wrap_mae(out: Tensor, tilt: Tensor) -> Tensor:
        d = (out[:, 0] % PERIOD - tilt % PERIOD).abs()
        return torch.where(d > PERIOD / 2, PERIOD - d, d).mean()

    def mod(out: Tensor) -> Tensor:
        return out[:, 0] % PERIOD

    def unit_mod(out: Tensor) -> Tensor:
        return (UNIT * out[:, 0]) % PERIOD

    return {
        'mse': Variant(1, lambda o, t: F.mse_loss(o[:, 0], t % PERIOD), mod),
        'wrap_mae': Variant(1, wrap_mae, mod),
        'sincos': Variant(2, lambda o, t: angular(o, coder.encode(t)),
                          coder.decode),
        'periodic_l1': Variant(1, lambda o, t: periodic(o[:, 0], t), mod),
        # (a) and (d) with the output in units of 90 degrees (O(1) like the
        # sin/cos pair): separates the output's scale from the wrap
        'mse_unit': Variant(
            1, lambda o, t: F.mse_loss(o[:, 0], (t % PERIOD) / UNIT),
            unit_mod),
        'periodic_l1_unit': Variant(
            1, lambda o, t: periodic(UNIT * o[:, 0], t) / UNIT, unit_mod),
    }


# ------------------------------------------------------------- training
def train_and_score(name: str, variant: Variant, train: tuple, test: tuple,
                    args: argparse.Namespace) -> dict:
    from rotaug.transforms import RandomRotate
    np.random.seed(args.seed)  # RandomRotate draws from np.random
    torch.manual_seed(args.seed)
    batches = np.random.default_rng(args.seed)
    model = TinyNet(variant.out_dim)
    if args.optimizer == 'sgd':
        opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.iters)
    rotate = RandomRotate(prob=args.rotate_prob, angle_range=180,
                          angle_keys={'tilt': PERIOD})
    imgs, tilts = train
    start, losses = time.perf_counter(), []
    model.train()
    for _ in range(args.iters):
        idx = batches.integers(0, len(imgs), args.batch)
        x, t = augment(rotate, imgs[idx], tilts[idx])
        loss = variant.loss(model(x), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
    seconds = time.perf_counter() - start
    pred = predict(model, variant, test[0])
    return dict(variant=name, train_s=round(seconds, 1),
                final_loss=float(np.mean(losses[-50:])),
                **score(pred, test[1]))


@torch.no_grad()
def predict(model: nn.Module, variant: Variant, imgs: np.ndarray,
            batch: int = 250) -> np.ndarray:
    model.eval()
    out = []
    for i in range(0, len(imgs), batch):
        x = torch.from_numpy(imgs[i:i + batch]).float().div_(255)
        out.append(variant.decode(model(x.unsqueeze(1))).double().numpy())
    return np.concatenate(out)


def score(pred: np.ndarray, target: np.ndarray) -> dict:
    err = circular_error(pred, target)
    bins = np.minimum((np.asarray(target) % PERIOD) // 30, 5).astype(int)
    phase = np.exp(2j * math.pi * pred / PERIOD).mean()
    return dict(mae=float(err.mean()), median=float(np.median(err)),
                within_5=float((err < 5).mean()),
                resultant=float(abs(phase)),
                mean_pred=float(np.angle(phase) * PERIOD / (2 * math.pi)
                                % PERIOD),
                mae_by_30deg=[float(err[bins == b].mean()) if
                              (bins == b).any() else None for b in range(6)])


def best_constant(target: np.ndarray) -> dict:
    grid = np.arange(0, PERIOD, 0.5)
    errs = [circular_error(np.full_like(target, c), target).mean()
            for c in grid]
    best = int(np.argmin(errs))
    return dict(variant='constant', guess=float(grid[best]),
                **score(np.full_like(target, grid[best]), target))


# ------------------------------------------------------------------ main
def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--iters', type=int, default=600)
    p.add_argument('--epochs', type=float, default=None,
                   help='passes over the training pool (replaces --iters)')
    p.add_argument('--batch', type=int, default=32)
    p.add_argument('--lr', type=float, default=2e-3)
    p.add_argument('--optimizer', choices=('adam', 'sgd'), default='adam',
                   help='Adam, or SGD with momentum 0.9')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--variants', nargs='+', default=DEFAULT_VARIANTS)
    p.add_argument('--train-size', type=int, default=2000)
    p.add_argument('--test-size', type=int, default=1000)
    p.add_argument('--size', type=int, default=64)
    p.add_argument('--rotate-prob', type=float, default=0.5)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--out', default=None, help='write the results as JSON')
    args = p.parse_args(argv)
    if args.epochs is not None:
        args.iters = max(1, round(args.epochs * args.train_size / args.batch))
    names = [ALIASES.get(v, v) for v in args.variants]
    bad = [v for v, n in zip(args.variants, names)
           if n not in ALIASES.values()]
    if bad:
        p.error(f'unknown variants {bad}: choose from {sorted(ALIASES)} or '
                f'{sorted(ALIASES.values())}')
    args.variants = names
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    import rotaug  # noqa: F401  (registers rotaug's modules)
    train = make_set(args.seed, args.train_size, args.size)
    test = make_set(args.seed + 1_000_003, args.test_size, args.size)
    variants = build_variants()
    rows = [best_constant(test[1])]
    for name in args.variants:
        rows.append(train_and_score(name, variants[name], train, test, args))
        print(json.dumps(rows[-1]), flush=True)
    print(f'\n{args.iters} iterations of batch {args.batch} '
          f'({args.optimizer}, lr {args.lr}), '
          f'{args.test_size} held-out images, seed {args.seed}\n')
    print('| variant | MAE (deg) | median | within 5 deg | resultant | '
          'mean answer | train s |')
    print('|---|---|---|---|---|---|---|')
    for r in rows:
        print(f"| {r['variant']} | {r['mae']:.2f} | {r['median']:.2f} | "
              f"{100 * r['within_5']:.1f}% | {r['resultant']:.3f} | "
              f"{r['mean_pred']:.1f} | "
              f"{r.get('train_s', '-')} |")
    result = dict(args=vars(args), rows=rows)
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == '__main__':
    main()
