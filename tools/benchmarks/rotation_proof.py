"""Does rotaug train better? Train the demo Oriented R-CNN on the synthetic
DOTA-style data with four augmentations and score each on a test split
whose images are rotated to all angles.

    python tools/benchmarks/rotation_proof.py [--iters 600] \\
        [--variants none mmrotate rotaug batch] [--work-dir DIR] \\
        [--angles 0 30 ... 330] [--angle-spread D] [--device cuda|cpu]
        [--out proof.json]

Variants (same config, same seed, same iterations):

* ``none``: no rotation;
* ``mmrotate``: MMRotate 1.x ``RandomRotate`` (prob 0.5, 180, storage
  tanks by 90) in the pipeline;
* ``rotaug``: ``rotaug.RandomRotate`` with the same arguments;
* ``batch``: ``rotaug.BatchRandomRotate`` with the same arguments in the
  data preprocessor (on the device).

The rotated test split is written once next to the data
(``test_rot/``): every test image turned by each of ``--angles`` with
``rotaug.Rotate(expand=True)``, its labels turned exactly with it.
Reports mAP, mean iteration time, mean data time and the number of
non-finite losses per variant, as a table and as JSON.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))
CONFIG = osp.join(ROOT, 'configs', 'demo',
                  'oriented-rcnn-le90_tiny_rr_synth.py')
VARIANTS = ('none', 'mmrotate', 'rotaug', 'batch')


def _load_synth():
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'rotaug_synth', osp.join(ROOT, 'tools', 'data', 'synth_dota.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def write_rotated_test(data_root: str, angles) -> str:
    """``test_rot/``: each test image turned by each angle (expand=True),
    labels turned with it by rotaug's geometry."""
    import cv2
    import numpy as np
    from mmrotate.structures.bbox import QuadriBoxes

    from rotaug.datasets.dota_io import (parse_dota_label_file,
                                         write_dota_label_file)
    from rotaug.transforms import Rotate
    synth = _load_synth()
    src = osp.join(data_root, 'test')
    dst = osp.join(data_root, 'test_rot')
    stamp = osp.join(dst, 'angles.json')
    if osp.exists(stamp) and json.load(open(stamp)) == list(angles):
        return dst
    os.makedirs(osp.join(dst, 'images'), exist_ok=True)
    os.makedirs(osp.join(dst, 'labelTxt'), exist_ok=True)
    for name in sorted(os.listdir(osp.join(src, 'images'))):
        img_id = osp.splitext(name)[0]
        img = cv2.imread(osp.join(src, 'images', name))
        objs, _ = parse_dota_label_file(
            osp.join(src, 'labelTxt', img_id + '.txt'), synth.CLASSES)
        polys = np.array([o['poly'] for o in objs], np.float32).reshape(-1, 8)
        labels = np.array([o['label'] for o in objs], np.int64)
        for angle in angles:
            res = dict(img=img.copy(), img_shape=img.shape[:2],
                       gt_bboxes=QuadriBoxes(polys.copy()),
                       gt_bboxes_labels=labels.copy(),
                       gt_ignore_flags=np.zeros(len(labels), bool))
            out = Rotate(rotate_angle=angle, expand=True)(res)
            rid = f'{img_id}_r{int(angle):03d}'
            cv2.imwrite(osp.join(dst, 'images', rid + '.png'), out['img'])
            q = out['gt_bboxes'].tensor.numpy()
            write_dota_label_file(
                osp.join(dst, 'labelTxt', rid + '.txt'),
                [dict(poly=p, label=l, difficult=int(f)) for p, l, f in zip(
                    q, out['gt_bboxes_labels'], out['gt_ignore_flags'])],
                classes=synth.CLASSES)
    json.dump(list(angles), open(stamp, 'w'))
    return dst


def variant_config(name: str, data_root: str, work_dir: str, iters: int,
                   device: str, seed: int = 0):
    from mmengine.config import Config
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = work_dir
    pipe = cfg.train_dataloader.dataset.pipeline
    idx = next(i for i, t in enumerate(pipe)
               if t['type'] == 'rotaug.RandomRotate')
    ours = pipe[idx]
    if name in ('none', 'batch'):
        pipe.pop(idx)
    elif name == 'mmrotate':
        pipe[idx] = dict(type='mmrotate.RandomRotate', prob=ours['prob'],
                         angle_range=ours['angle_range'],
                         rect_obj_labels=ours['rect_obj_labels'])
    if name == 'batch':
        pre = cfg.model.data_preprocessor
        pre.batch_augments = [
            dict(type='rotaug.BatchRandomRotate', prob=ours['prob'],
                 angle_range=ours['angle_range'],
                 rect_obj_labels=ours['rect_obj_labels'],
                 angle_version='le90')
        ]
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = data_root
    cfg.test_dataloader.dataset.ann_file = 'test_rot/labelTxt/'
    cfg.test_dataloader.dataset.data_prefix = dict(
        img_path='test_rot/images/')
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = iters + 1  # no validation during training
    cfg.default_hooks.checkpoint.interval = iters
    cfg.default_hooks.logger.interval = max(1, min(20, iters // 5))
    for sch in cfg.param_scheduler:
        if sch.type == 'MultiStepLR':
            sch.end = iters
            sch.milestones = [int(iters * 0.75)]
        if sch.type == 'LinearLR':
            sch.end = min(sch.end, max(1, iters // 4))
    cfg.randomness = dict(seed=seed)
    if device == 'cpu':
        cfg.env_cfg.cudnn_benchmark = False
    return cfg


def run_variant(name, data_root, work_root, iters, device, seed=0):
    import numpy as np
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    cfg = variant_config(name, data_root,
                         osp.join(work_root, f'{name}_seed{seed}'), iters,
                         device, seed)
    init_default_scope('rotaug')
    runner = Runner.from_cfg(cfg)
    times, data_times = [], []

    from mmengine.hooks import Hook

    class _Timer(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            hub = runner.message_hub
            for key, dst in (('train/time', times),
                             ('train/data_time', data_times)):
                buf = hub.log_scalars.get(key)
                if buf is not None:
                    dst.append(float(buf.current()))

    runner.register_hook(_Timer(), priority='LOWEST')
    t0 = time.time()
    runner.train()
    train_s = time.time() - t0
    metrics = runner.test()
    skip = max(1, len(times) // 10)  # warm-up
    return dict(
        variant=name,
        seed=seed,
        mAP=float(metrics.get('dota/mAP', float('nan'))),
        iter_s=float(np.mean(times[skip:])) if times else float('nan'),
        data_s=float(np.mean(data_times[skip:])) if data_times else
        float('nan'),
        nonfinite=int(runner.message_hub.get_info('train/nonfinite_losses')
                      or 0),
        train_s=train_s)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--iters', type=int, default=600)
    p.add_argument('--variants', nargs='+', default=list(VARIANTS),
                   choices=VARIANTS)
    p.add_argument('--angles', type=float, nargs='+',
                   default=list(range(0, 360, 30)))
    p.add_argument('--data-root', default=None,
                   help='default: data/synth_dota (or data/synth_dota_'
                   'spreadD with --angle-spread D)')
    p.add_argument('--angle-spread', type=float, default=None,
                   help='generate the data with objects along the image '
                   'axes give or take this many degrees (rotation '
                   'augmentation then has something to teach)')
    p.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs',
                                                  'rotation_proof'))
    p.add_argument('--seeds', type=int, nargs='+', default=[0],
                   help='training seeds (weights, sampling, augmentation)')
    p.add_argument('--device', default=None)
    p.add_argument('--out', default=None, help='JSON results file')
    a = p.parse_args(argv)
    os.chdir(ROOT)
    import torch
    device = a.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if device == 'cpu':
        os.environ['CUDA_VISIBLE_DEVICES'] = ''
    import rotaug  # noqa: F401
    if a.data_root is None:
        name = 'synth_dota' if a.angle_spread is None else \
            f'synth_dota_spread{a.angle_spread:g}'
        a.data_root = osp.join(ROOT, 'data', name)
    data_root = a.data_root.rstrip('/') + '/'
    meta = osp.join(data_root, 'meta.json')
    if not osp.exists(meta) or json.load(open(meta)).get(
            'angle_spread') != a.angle_spread:
        _load_synth().generate(data_root, seed=0,
                               angle_spread=a.angle_spread)
    write_rotated_test(data_root, a.angles)
    results = []
    for seed in a.seeds:
        for name in a.variants:
            print(f'[proof] {name} (seed {seed}): training {a.iters} '
                  f'iterations on {device}', flush=True)
            results.append(run_variant(name, data_root, a.work_dir, a.iters,
                                       device, seed))
            print(f'[proof] {results[-1]}', flush=True)
    gpu = torch.cuda.get_device_name(0) if device == 'cuda' else 'CPU'
    head = (f'| variant | seed | mAP (test rotated by {len(a.angles)} '
            'angles) | s/iter | data s/iter | non-finite losses |')
    print(f'\n{gpu}, {a.iters} iterations, '
          f'{time.strftime("%Y-%m-%d")}\n{head}\n|---|---|---|---|---|---|')
    for r in results:
        print(f"| {r['variant']} | {r['seed']} | {r['mAP']:.4f} | "
              f"{r['iter_s']:.3f} | {r['data_s']:.3f} | {r['nonfinite']} |")
    if len(a.seeds) > 1:
        import numpy as np
        for name in a.variants:
            maps = [r['mAP'] for r in results if r['variant'] == name]
            print(f'{name}: mAP mean {np.mean(maps):.4f}, min '
                  f'{np.min(maps):.4f}, max {np.max(maps):.4f} over '
                  f'{len(maps)} seeds')
    if a.out:
        with open(a.out, 'w') as f:
            json.dump(dict(device=gpu, iters=a.iters, angles=a.angles,
                           results=results), f, indent=2)


if __name__ == '__main__':
    sys.exit(main())
