"""Issue 21's measurements on a GPU, one subcommand per step
(``tools/gpu_check.sh`` runs them all; docs/gpu_check.md says how).

    python tools/benchmarks/gpu_check.py env     [--json env.json]
    python tools/benchmarks/gpu_check.py ops     [--device cuda] [--tiny]
    python tools/benchmarks/gpu_check.py speed   [--device cuda] [--tiny]
    python tools/benchmarks/gpu_check.py train   [--device cuda] [--tiny]
        [--configs ...] [--iters 8] [--budget-s S]
    python tools/benchmarks/gpu_check.py summary --out-dir OUT \\
        [--steps steps.tsv] [--command CMD]

* ``ops``: mmcv's ``box_iou_rotated`` (aligned and not), ``nms_rotated``
  and ``RoIAlignRotated`` (forward and backward) on ``--device`` in float32
  against their CPU float32 results and a float64 reference on the same
  random rboxes (realistic, tiny, zero-size, near-duplicate). With
  ``--device cpu`` only the float32-vs-float64 checks run.
* ``speed``: ``rotaug.BatchRandomRotate`` on a batch on ``--device``
  against ``rotaug.RandomRotate`` per image on one CPU thread, and a copy
  of the batch on the device (its memory-traffic floor), in the same run.
* ``train``: a few iterations of every config in ``configs/`` on synthetic
  data (backbone ``init_cfg=None``: nothing downloads), with the config's
  pipeline rotation and with ``rotaug.BatchRandomRotate`` in the data
  preprocessor instead; finite losses, s/iter, data s/iter.
* ``summary``: the JSONs of the steps as one markdown page.

The train and summary code live in ``gpu_check_train.py`` and
``gpu_check_report.py`` beside this file.
"""
import argparse
import json
import os
import os.path as osp
import platform
import shutil
import subprocess
import sys
import time
from typing import Callable, List, Optional, Sequence

import numpy as np

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))
# tolerances (docs/gpu_check.md derives them): float32 arithmetic on
# float32-rounded inputs against the same inputs in float64
IOU_TOL = 1e-4        # absolute, IoU in [0, 1]
ROI_TOL = 1e-4        # max |diff| / max |reference|
NMS_BORDER = 1e-4     # |IoU - threshold| that may flip an NMS decision


def write_json(path: Optional[str], obj: dict) -> None:
    """Write ``obj`` to ``path`` (if given) and print a one-line digest."""
    if path:
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        with open(path, 'w') as f:
            json.dump(obj, f, indent=2, default=float)
    print(json.dumps(obj, default=float)[:2000], flush=True)


def _sync(device: str) -> None:
    import torch
    if device.startswith('cuda'):
        torch.cuda.synchronize()


# ----------------------------------------------------------------- env
def cmd_env(a) -> dict:
    """Versions of the stack, the GPU, and whether mmcv's ops load."""
    import torch
    info = dict(date=time.strftime('%Y-%m-%d %H:%M'), python=sys.version
                .split()[0], torch=torch.__version__, cuda=torch.version.cuda,
                cuda_available=torch.cuda.is_available(),
                cpus=os.cpu_count(), machine=platform.machine())
    if shutil.which('nvidia-smi'):
        q = subprocess.run(['nvidia-smi', '--query-gpu=name,driver_version,'
                            'memory.total', '--format=csv,noheader'],
                           capture_output=True, text=True)
        info['nvidia_smi'] = q.stdout.strip() or q.stderr.strip()
    for mod in ('mmengine', 'mmcv', 'mmdet', 'mmrotate', 'rotaug',
                'shapely', 'numpy', 'cv2'):
        try:
            info[mod] = __import__(mod).__version__
        except Exception as err:  # report, never stop the check
            info[mod] = f'not importable: {err!r}'[:200]
    try:
        from mmcv.ops import get_compiler_version, get_compiling_cuda_version
        info['mmcv_ops'] = dict(compiler=get_compiler_version(),
                                cuda=get_compiling_cuda_version())
    except Exception as err:
        info['mmcv_ops'] = f'not loadable: {err!r}'[:200]
    return info


# ----------------------------------------------------------------- ops
def make_rboxes(rng: np.random.Generator, n: int, extent: float
                ) -> np.ndarray:
    """(n, 5) rboxes (cx, cy, w, h, t radians), rounded to float32 and
    returned in float64: ordinary objects of 4-300 px at any angle, tiny
    ones (0.01-1 px), zero-size ones, axis-aligned ones, and
    near-duplicates of earlier boxes (heavy overlaps)."""
    b = np.c_[rng.uniform(0, extent, (n, 2)),
              np.exp(rng.uniform(np.log(4), np.log(300), (n, 2))),
              rng.uniform(-np.pi, np.pi, n)]
    kind = rng.choice(5, n, p=[0.55, 0.1, 0.05, 0.1, 0.2])
    b[kind == 1, 2:4] = rng.uniform(0.01, 1.0, ((kind == 1).sum(), 2))
    zero = np.flatnonzero(kind == 2)
    b[zero, 2 + rng.integers(0, 2, len(zero))] = 0.0
    b[kind == 3, 4] = rng.choice([0.0, np.pi / 2, -np.pi / 2],
                                 (kind == 3).sum())
    dup = np.flatnonzero(kind == 4)
    if len(dup):
        src = b[(rng.random(len(dup)) * dup).astype(int)]  # an earlier row
        b[dup] = src + np.c_[rng.normal(0, 1, (len(dup), 2)),
                             src[:, 2:4] * rng.normal(0, 0.05, (len(dup), 2)),
                             rng.normal(0, 0.03, len(dup))]
        b[dup[::7]] = src[::7]  # exact duplicates
    b[:, 2:4] = np.abs(b[:, 2:4])
    return b.astype(np.float32).astype(np.float64)


def iou_reference(b1: np.ndarray, b2: np.ndarray, aligned: bool
                  ) -> np.ndarray:
    """Float64 IoU of rboxes: the evaluation's exact polygon IoU
    (``rotaug.evaluation.poly_iou_matrix``) on rotaug's corners; 0 where a
    box has no area, as mmcv."""
    from rotaug.evaluation import poly_iou_matrix
    from rotaug.geometry import rbox_to_poly
    p1, p2 = (rbox_to_poly(b).reshape(-1, 8) for b in (b1, b2))
    if not aligned:
        return poly_iou_matrix(p1, p2)
    return np.diagonal(poly_iou_matrix(
        p1, p2, pair_mask=np.eye(len(p1), len(p2), dtype=bool))).copy()


def compare_values(name: str, got, ref, tol: float,
                   scale: Optional[float] = None) -> dict:
    """Pass when ``got`` is finite and ``max |got - ref| <= tol * scale``
    (``scale``: 1, or e.g. ``max |ref|`` for a relative check)."""
    got, ref = (np.asarray(x, np.float64) for x in (got, ref))
    if got.shape != ref.shape:
        return dict(check=name, passed=False,
                    error=f'shape {got.shape} != {ref.shape}')
    scale = 1.0 if scale is None else max(float(scale), 1e-30)
    diff = np.abs(got - ref)
    finite = bool(np.isfinite(got).all())
    worst = float(np.nanmax(diff)) if diff.size else 0.0
    return dict(check=name, n=int(diff.size), max_abs=worst,
                max_rel=worst / scale, tol=tol, finite=finite,
                n_over=int((diff > tol * scale).sum()),
                passed=finite and worst <= tol * scale)


def compare_keep(name: str, got: Sequence[int], ref: Sequence[int],
                 scores: np.ndarray, boxes: np.ndarray, thr: float,
                 border: float = NMS_BORDER) -> dict:
    """Kept indices of two greedy NMS runs (score order). Equal lists
    pass. Else, at the first divergence, the higher-scored of the two boxes
    there was kept by one run and suppressed by the other with the same
    boxes kept before it: that passes only as a borderline decision, its
    largest reference IoU with them within ``border`` of ``thr`` (later
    differences may follow from it)."""
    got, ref = [int(i) for i in got], [int(i) for i in ref]
    out = dict(check=name, kept=len(got), kept_ref=len(ref),
               jaccard=len(set(got) & set(ref)) /
               max(1, len(set(got) | set(ref))))
    if got == ref:
        return dict(out, first_divergence=None, passed=True)
    k = next((i for i, (x, y) in enumerate(zip(got, ref)) if x != y),
             min(len(got), len(ref)))
    there = [lst[k] for lst in (got, ref) if k < len(lst)]
    box = max(there, key=lambda i: scores[i])
    gap = float(abs(iou_reference(boxes[[box]], boxes[got[:k]], False).max()
                    - thr)) if k else float('inf')
    return dict(out, first_divergence=k, box=box, iou_gap=gap,
                border=border, passed=gap <= border)


def _pairs(device: str) -> List[tuple]:
    """(candidate, reference) result keys compared, with their labels:
    CPU float32 against float64; on another device, that device against
    both."""
    names = {'cpu': 'cpu f32', 'f64': 'f64', device: f'{device} f32'}
    keys = [('cpu', 'f64')] + ([(device, 'cpu'), (device, 'f64')]
                               if device != 'cpu' else [])
    return [(x, y, f'{names[x]} vs {names[y]}') for x, y in keys]


def _runs(device: str) -> dict:
    """Result key -> (device, dtype) of each op run (one CPU float32 run
    when ``device`` is the CPU)."""
    import torch
    return {'f64': ('cpu', torch.float64), 'cpu': ('cpu', torch.float32),
            device: (device, torch.float32)}


def check_iou(rng, n: int, m: int, device: str) -> List[dict]:
    """``box_iou_rotated`` aligned and not: CPU f32 vs f64, device vs
    CPU, device vs f64."""
    import torch
    from mmcv.ops import box_iou_rotated
    out = []
    b1 = make_rboxes(rng, n, 400.0)
    b2 = make_rboxes(rng, m, 400.0)
    near = rng.random(m) < 0.5  # b2[i] a slightly moved b1[i]
    b2[near] = b1[:m][near] + rng.normal(0, [2, 2, 1, 1, 0.05],
                                         (near.sum(), 5))
    b2[:, 2:4] = np.abs(b2[:, 2:4])
    b2 = b2.astype(np.float32).astype(np.float64)
    for aligned, (x, y) in ((False, (b1, b2)), (True, (b1[:m], b2))):
        ref = iou_reference(x, y, aligned)
        tag = 'box_iou_rotated' + (' aligned' if aligned else '')
        res = dict(f64=ref)  # mmcv's CPU kernel is float32 only
        for dev in dict.fromkeys(('cpu', device)):
            tx, ty = (torch.tensor(v, dtype=torch.float32, device=dev)
                      for v in (x, y))
            res[dev] = box_iou_rotated(tx, ty, aligned=aligned).cpu().numpy()
        out += [compare_values(f'{tag}: {label}', res[g], res[r], IOU_TOL)
                for g, r, label in _pairs(device)]
    return out


def check_exact_iou(rng, n: int, m: int, device: str) -> List[dict]:
    """rotaug's exact ``box_ious`` (float64, one implementation for numpy
    and torch): torch on the device against numpy, every pair and aligned,
    and against the float64 polygon reference; the tensor stays on the
    device (no host round trip)."""
    import torch

    from rotaug.geometry import box_ious
    b1 = make_rboxes(rng, n, 400.0)
    b2 = make_rboxes(rng, m, 400.0)
    out = []
    for aligned, (x, y) in ((False, (b1, b2)), (True, (b1[:m], b2))):
        tag = 'rotaug box_ious' + (' aligned' if aligned else '')
        ref = box_ious(x, y, 'rbox', aligned=aligned)
        tx, ty = (torch.tensor(v, dtype=torch.float64, device=device)
                  for v in (x, y))
        got = box_ious(tx, ty, 'rbox', aligned=aligned)
        out.append(dict(check=f'{tag}: stays on {device}',
                        passed=got.device.type == torch.device(device).type))
        out.append(compare_values(f'{tag}: {device} torch vs numpy',
                                  got.cpu().numpy(), ref, 1e-9))
        out.append(compare_values(f'{tag}: numpy vs f64 polygons', ref,
                                  iou_reference(x, y, aligned), 1e-9))
    return out


def check_nms(rng, n: int, device: str, thr: float = 0.1) -> List[dict]:
    """``nms_rotated`` at the configs' IoU 0.1: kept indices on the device
    against the CPU (f32 and f64)."""
    import torch
    from mmcv.ops import nms_rotated
    boxes = make_rboxes(rng, n, 600.0)
    scores = (rng.permutation(n) + rng.uniform(0, 0.5, n)) / n  # no ties
    scores = scores.astype(np.float32).astype(np.float64)
    keep = {}
    for key, (dev, dt) in _runs(device).items():
        tb, ts = (torch.tensor(v, dtype=dt, device=dev)
                  for v in (boxes, scores))
        keep[key] = nms_rotated(tb, ts, thr)[1].cpu().tolist()
    return [compare_keep(f'nms_rotated: {label}', keep[g], keep[r], scores,
                         boxes, thr) for g, r, label in _pairs(device)]


def check_roi_align(rng, k: int, c: int, size: int,
                    device: str) -> List[dict]:
    """``RoIAlignRotated`` (7x7, sampling 2, stride 8, as the configs):
    output and input gradient, device f32 vs CPU f32 and f64."""
    import torch
    from mmcv.ops import RoIAlignRotated
    feats = rng.normal(0, 1, (2, c, size, size)).astype(np.float32)
    boxes = make_rboxes(rng, k, size * 8.0)
    boxes[:, :2] += rng.uniform(-40, 40, (k, 2))  # some partly outside
    rois = np.c_[rng.integers(0, 2, k), boxes].astype(np.float32)
    up = rng.normal(0, 1, (k, c, 7, 7)).astype(np.float32)
    res = {}
    for key, (dev, dt) in _runs(device).items():
        x = torch.tensor(feats, dtype=dt, device=dev, requires_grad=True)
        op = RoIAlignRotated(7, 1 / 8, 2, aligned=True, clockwise=True)
        y = op(x, torch.tensor(rois, dtype=dt, device=dev))
        y.backward(torch.tensor(up, dtype=dt, device=dev))
        res[key] = (y.detach().cpu().numpy(), x.grad.cpu().numpy())
    return [compare_values(f'RoIAlignRotated {what}: {label}', res[g][i],
                           res[r][i], ROI_TOL, np.abs(res[r][i]).max())
            for g, r, label in _pairs(device)
            for i, what in enumerate(('forward', 'backward'))]


def cmd_ops(a) -> dict:
    """All op checks; exit status 1 if any fails."""
    rng = np.random.default_rng(a.seed)
    n, m, k, c, s = (60, 50, 64, 4, 32) if a.tiny else (600, 400, 512, 32,
                                                          128)
    checks = []
    for op, fn in (('box_iou_rotated', lambda: check_iou(rng, n, m, a.device)),
                   ('rotaug box_ious',
                    lambda: check_exact_iou(rng, n, m, a.device)),
                   ('nms_rotated', lambda: check_nms(rng, 4 * n, a.device)),
                   ('RoIAlignRotated',
                    lambda: check_roi_align(rng, k, c, s, a.device))):
        try:
            checks += fn()
        except Exception as err:  # one op failing must not hide the others
            checks.append(dict(check=f'{op}: {err!r}'[:300], passed=False))
    res = dict(device=a.device, seed=a.seed, tiny=a.tiny, checks=checks,
               passed=all(ch['passed'] for ch in checks))
    return res


# --------------------------------------------------------------- speed
def timed(fn: Callable, device: str, warmup: int, repeat: int,
          setup: Callable = lambda: None) -> List[float]:
    """Seconds of ``fn(setup())`` per call, synchronised, after warm-up."""
    times = []
    for i in range(warmup + repeat):
        arg = setup()
        _sync(device)
        t0 = time.perf_counter()
        fn(arg)
        _sync(device)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return times


def cmd_speed(a) -> dict:
    """ms per image: BatchRandomRotate on the device, a device copy of the
    batch (the memory-traffic floor), RandomRotate per image on one CPU
    thread; all in this run."""
    import cv2
    import torch
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    from mmrotate.structures.bbox import RotatedBoxes

    from rotaug.models import BatchRandomRotate
    from rotaug.transforms import RandomRotate
    b, s, n = (2, 256, 50) if a.tiny else (8, 1024, 200)
    rep = 3 if a.tiny else 20
    rng = np.random.default_rng(a.seed)
    imgs = rng.integers(0, 256, (b, s, s, 3), dtype=np.uint8)
    boxes = [make_rboxes(rng, n, s).astype(np.float32) for _ in range(b)]
    labels = [rng.integers(0, 15, n) for _ in range(b)]
    dev = a.device
    batch = (torch.from_numpy(imgs).permute(0, 3, 1, 2).float().to(dev) -
             128.0) / 64.0

    def samples():
        out = []
        for bx, lb in zip(boxes, labels):
            ds = DetDataSample(metainfo=dict(img_shape=(s, s),
                                             pad_shape=(s, s)))
            ds.gt_instances = InstanceData(
                bboxes=RotatedBoxes(torch.from_numpy(bx).to(dev)),
                labels=torch.from_numpy(lb).to(dev))
            out.append(ds)
        return out

    torch.manual_seed(a.seed)
    aug = BatchRandomRotate(prob=1.0, angle_range=180)
    t_batch = timed(lambda ss: aug(batch, ss), dev, 3, rep, samples)
    t_copy = timed(lambda _: batch.clone(), dev, 3, rep)
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    per = RandomRotate(prob=1.0, angle_range=180)

    def results():
        return [dict(img=img.copy(), img_shape=(s, s),
                     gt_bboxes=RotatedBoxes(torch.from_numpy(bx)),
                     gt_bboxes_labels=lb, gt_ignore_flags=np.zeros(n, bool))
                for img, bx, lb in zip(imgs, boxes, labels)]
    t_cpu = timed(lambda rs: [per(r) for r in rs], 'cpu', 1,
                  max(1, rep // 4), results)
    ms = {k: 1000 * float(np.median(t)) / b for k, t in
          (('batch', t_batch), ('copy', t_copy), ('cpu', t_cpu))}
    name = torch.cuda.get_device_name() if dev.startswith('cuda') else 'cpu'
    res = dict(device=dev, device_name=name, batch=b, size=s, rboxes=n,
               repeats=rep, ms_per_img_batch=ms['batch'],
               ms_per_img_copy=ms['copy'], ms_per_img_cpu_1thread=ms['cpu'],
               copy_gb_per_s=2 * batch.numel() * 4 / ms['copy'] / b / 1e6,
               speedup=ms['cpu'] / ms['batch'], target=100.0)
    if dev.startswith('cuda'):  # the target is the GPU's
        res['passed'] = res['speedup'] >= res['target']
    return res


def _sibling(name: str):
    """``tools/benchmarks/<name>.py`` (not a package)."""
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    import harness
    return harness.load_tool(f'tools/benchmarks/{name}.py')


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('step', choices=('env', 'ops', 'speed', 'train',
                                    'summary'))
    p.add_argument('--device', default=None, help='default: cuda if there')
    p.add_argument('--tiny', action='store_true', help='small sizes (CPU)')
    p.add_argument('--json', default=None, help='write the result here')
    p.add_argument('--seed', type=int, default=0)
    g = p.add_argument_group('train')
    g.add_argument('--configs', nargs='+', default=None,
                   help='default: every config under configs/')
    g.add_argument('--iters', type=int, default=None, help='8 (tiny: 2)')
    g.add_argument('--warmup', type=int, default=2,
                   help='first iterations left out of s/iter')
    g.add_argument('--size', type=int, default=None,
                   help='synthetic image size: 1024 (tiny: 256)')
    g.add_argument('--images', type=int, default=8)
    g.add_argument('--workers', type=int, default=None,
                   help="dataloader workers (default: the config's)")
    g.add_argument('--budget-s', type=float, default=None,
                   help='skip the runs that would end past this')
    g.add_argument('--work-dir', default='/tmp/gpu_check_work')
    g.add_argument('--resume', default=None,
                   help='an earlier train.json: keep the runs it holds')
    g = p.add_argument_group('summary')
    g.add_argument('--out-dir', default=None)
    g.add_argument('--steps', default=None, help='TSV: step, exit, seconds')
    g.add_argument('--command', default='')
    a = p.parse_args(argv)
    a.iters = a.iters or (2 if a.tiny else 8)
    return a


def main(argv=None) -> int:
    """Run one step; exit status 1 when its checks fail."""
    a = parse_args(argv)
    if a.step == 'summary':
        _sibling('gpu_check_report').cmd_summary(a)
        return 0
    if a.device == 'cpu':  # the runners too
        os.environ['CUDA_VISIBLE_DEVICES'] = ''
    import torch
    a.device = a.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    sys.path.insert(0, osp.join(ROOT, 'projects'))  # rotaug, uninstalled
    import rotaug  # noqa: F401  (registers everything)
    step = dict(env=cmd_env, ops=cmd_ops, speed=cmd_speed,
                train=lambda a: _sibling('gpu_check_train').cmd_train(a))
    res = step[a.step](a)
    write_json(a.json, res)
    return 1 if res.get('passed') is False else 0


if __name__ == '__main__':
    sys.exit(main())
