"""Batch rotation on the device against the per-image CPU transform.

    python tools/benchmarks/batch_rotate_speed.py [--device cuda] [--batch 8]

A batch of ``--batch`` images of ``--size``^2 with ``--objects`` rboxes
each; prints ms per image for ``rotaug.BatchRandomRotate`` on the device and
for ``rotaug.Rotate`` on one CPU thread, measured in the same run, and their
ratio (the per-image transform is the anchor).
"""
import argparse
import time

import cv2
import numpy as np
import torch


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--device',
                   default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--batch', type=int, default=8)
    p.add_argument('--size', type=int, default=1024)
    p.add_argument('--objects', type=int, default=200)
    p.add_argument('--repeat', type=int, default=10)
    args = p.parse_args()
    cv2.setNumThreads(1)

    import rotaug  # noqa: F401
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    from mmrotate.structures.bbox import RotatedBoxes

    from rotaug.models import BatchRandomRotate
    from rotaug.transforms import Rotate

    rng = np.random.default_rng(0)
    b, s, n = args.batch, args.size, args.objects
    imgs = rng.integers(0, 255, (b, s, s, 3), dtype=np.uint8)
    boxes = [
        np.c_[rng.uniform(-20, s + 20, (n, 2)), rng.uniform(8, 80, (n, 2)),
              rng.uniform(-1.5, 1.5, n)].astype(np.float32) for _ in range(b)
    ]
    angles = rng.uniform(-180, 180, b)

    def samples():
        out = []
        for i in range(b):
            ds = DetDataSample(metainfo=dict(img_shape=(s, s),
                                             pad_shape=(s, s)))
            ds.gt_instances = InstanceData(
                bboxes=RotatedBoxes(torch.from_numpy(boxes[i])),
                labels=torch.zeros(n, dtype=torch.long))
            out.append(ds)
        return out

    dev = torch.device(args.device)
    batch = torch.from_numpy(imgs).permute(0, 3, 1, 2).float().to(dev)
    aug = BatchRandomRotate(max_redraws=0)
    ang = torch.tensor(angles)

    def sync():
        if dev.type == 'cuda':
            torch.cuda.synchronize()

    for _ in range(2):
        aug.rotate(batch, samples(), ang)
    sync()
    t_batch = []
    for _ in range(args.repeat):
        ss = samples()
        sync()
        t0 = time.perf_counter()
        aug.rotate(batch, ss, ang)
        sync()
        t_batch.append(time.perf_counter() - t0)

    torch.set_num_threads(1)
    per = [Rotate(float(a)) for a in angles]
    t_cpu = []
    for _ in range(max(2, args.repeat // 3)):
        tot = 0.0
        for i in range(b):
            res = dict(img=imgs[i].copy(), img_shape=(s, s),
                       gt_bboxes=RotatedBoxes(torch.from_numpy(boxes[i])),
                       gt_bboxes_labels=np.zeros(n, np.int64))
            t0 = time.perf_counter()
            per[i](res)
            tot += time.perf_counter() - t0
        t_cpu.append(tot)
    ms_batch = 1000 * float(np.median(t_batch)) / b
    ms_cpu = 1000 * float(np.median(t_cpu)) / b
    name = torch.cuda.get_device_name(dev) if dev.type == 'cuda' else 'cpu'
    print(f'batch {b} x {s}^2, {n} rboxes each; device {name}')
    print(f'{"rotaug.Rotate (per image, 1 CPU thread)":44s} '
          f'{ms_cpu:8.2f} ms/img   1.00x')
    print(f'{"rotaug.BatchRandomRotate (" + dev.type + ")":44s} '
          f'{ms_batch:8.2f} ms/img {ms_cpu / ms_batch:6.2f}x faster')


if __name__ == '__main__':
    main()
