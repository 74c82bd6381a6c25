"""The main job on the embedded default: synthetic DOTA-style data, a CPU
Oriented R-CNN trained with rotaug's random rotation, DOTA evaluation, and
pictures of predictions and of augmented training samples.

    python tools/demo.py [--work-dir work_dirs/demo] [--iters N] [--config C]
        [--no-tta]

Steps (each shows its progress): 1. generate ``data/synth_dota`` (skipped
when it already holds the same seed and sizes), 2. train the demo config,
3. evaluate on the test split (per-class AP table and mAP), 4. evaluate
again with test-time augmentation (the config's ``tta_model`` /
``tta_pipeline``, as ``tools/test.py --tta``; ``--no-tta`` skips it),
5. write ``predictions.png`` and ``augmented_samples.png`` into the work dir.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(HERE)


sys.path.insert(0, osp.join(HERE, 'benchmarks'))
import harness  # noqa: E402  (tools/benchmarks/harness.py)


def step(msg: str) -> None:
    print(f'\n[demo] {time.strftime("%H:%M:%S")} {msg}', flush=True)


def ensure_data(data_root: str, seed: int) -> None:
    synth = harness.load_tool('tools/data/synth_dota.py')
    meta_file = osp.join(data_root, 'meta.json')
    if osp.exists(meta_file):
        with open(meta_file) as f:
            meta = json.load(f)
        if meta.get('seed') == seed and meta.get('angle_spread') is None:
            step(f'synthetic data already in {data_root} (seed {seed})')
            return
    step(f'generating the synthetic DOTA-style data in {data_root}')
    synth.generate(data_root, seed=seed)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--config', default=osp.join(
        ROOT, 'configs', 'demo', 'oriented-rcnn-le90_tiny_rr_synth.py'))
    p.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'demo'))
    p.add_argument('--data-root', default=osp.join(ROOT, 'data',
                                                   'synth_dota'))
    p.add_argument('--iters', type=int, default=None,
                   help='training iterations (default: the config)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--no-tta', action='store_true',
                   help='skip the evaluation with test-time augmentation')
    args = p.parse_args()
    os.chdir(ROOT)
    t0 = time.time()

    ensure_data(args.data_root, args.seed)

    import torch
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    import rotaug  # noqa: F401
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    cfg = demo_config(args)
    if args.iters:
        cfg.train_cfg.max_iters = args.iters
        cfg.train_cfg.val_interval = args.iters
        cfg.default_hooks.checkpoint.interval = args.iters
        for sch in cfg.param_scheduler:
            if sch.type == 'MultiStepLR':
                sch.end = args.iters
                sch.milestones = [int(args.iters * 0.75)]
    init_default_scope(cfg.get('default_scope', 'rotaug'))

    step(f'training {osp.basename(args.config)} on the CPU for '
         f'{cfg.train_cfg.max_iters} iterations')
    runner = Runner.from_cfg(cfg)
    runner.train()

    step('evaluating on the test split (DOTA Task1 metric)')
    metrics = runner.test()
    out = {k: float(v) for k, v in metrics.items()}
    if not args.no_tta:
        tta_metrics, secs = test_with_tta(args)
        out.update({f'tta/{k}': float(v) for k, v in tta_metrics.items()})
        out['tta/seconds'] = secs
    with open(osp.join(args.work_dir, 'test_metrics.json'), 'w') as f:
        json.dump(out, f, indent=2)

    step('writing pictures')
    write_predictions(runner, args.work_dir)
    write_augmented(runner, args.work_dir)
    mins = (time.time() - t0) / 60
    m = {k: round(v, 4) for k, v in out.items() if 'mAP' in k}
    step(f'done in {mins:.1f} min: {m}; pictures and logs in '
         f'{args.work_dir}')


def demo_config(args):
    """The demo config with the data root and work dir of ``args``."""
    from mmengine.config import Config
    cfg = Config.fromfile(args.config)
    cfg.work_dir = args.work_dir
    data_root = args.data_root.rstrip('/') + '/'
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = data_root
    return cfg


def test_with_tta(args):
    """The test split again, with the config's tta_model / tta_pipeline
    and the checkpoint just trained (as ``tools/test.py --tta``)."""
    from mmengine.runner import Runner
    test_tool = harness.load_tool('tools/test.py')
    cfg = demo_config(args)
    if 'tta_model' not in cfg:
        step(f'{osp.basename(args.config)} has no tta_model: TTA skipped')
        return {}, 0.0
    with open(osp.join(args.work_dir, 'last_checkpoint')) as f:
        cfg.load_from = f.read().strip()
    test_tool.use_tta(cfg)
    step('evaluating on the test split with test-time augmentation '
         '(tta_model / tta_pipeline of the config)')
    t = time.time()
    metrics = Runner.from_cfg(cfg).test()
    secs = time.time() - t
    step(f'test-time augmentation took {secs:.0f} s')
    return metrics, secs


def write_predictions(runner, work_dir, num=6, score_thr=0.3):
    """Predictions of the trained model on the first test images."""
    import cv2
    import torch
    from mmengine.dataset import pseudo_collate

    from rotaug.visualization import draw_boxes, mosaic
    model = runner.model
    model.eval()
    dataset = runner.test_dataloader.dataset
    classes = dataset.metainfo['classes']
    images = []
    for i in range(min(num, len(dataset))):
        with torch.no_grad():
            pred = model.test_step(pseudo_collate([dataset[i]]))[0]
        inst = pred.pred_instances
        keep = inst.scores > score_thr
        boxes = inst.bboxes[keep]
        boxes = boxes.tensor if hasattr(boxes, 'tensor') else boxes
        images.append(draw_boxes(cv2.imread(pred.img_path),
                                 boxes.cpu().numpy(),
                                 inst.labels[keep].cpu().numpy(), classes,
                                 scores=inst.scores[keep].cpu().numpy()))
    path = osp.join(work_dir, 'predictions.png')
    cv2.imwrite(path, mosaic(images))
    print(f'[demo] predictions (score > {score_thr}) -> {path}')


def write_augmented(runner, work_dir, num=6):
    """Training samples after the training pipeline (rotation included);
    ignored ground truths are grey."""
    import cv2
    import numpy as np

    from rotaug.visualization import draw_det_sample, mosaic
    dataset = runner.train_dataloader.dataset
    classes = dataset.metainfo['classes']
    np.random.seed(1)
    images = [draw_det_sample(dataset[i], classes)
              for i in range(min(num, len(dataset)))]
    path = osp.join(work_dir, 'augmented_samples.png')
    cv2.imwrite(path, mosaic(images))
    print(f'[demo] augmented training samples -> {path}')


if __name__ == '__main__':
    main()
