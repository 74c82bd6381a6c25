"""Test (evaluate) a detector, or write DOTA Task1 submission files.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE.pkl]
        [--format-only] [--tta] [--show-dir DIR] [--cfg-options k=v ...]
        [--launcher none|pytorch]

``--tta`` tests with the config's ``tta_model`` and ``tta_pipeline``
(rotaug.RotatedTTAModel: rotated views mapped back exactly and fused; see
docs/tta.md), as MMDetection's tools/test.py does.
"""
import argparse
import os
import os.path as osp

import torch
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.registry import RUNNERS, init_default_scope
from mmengine.runner import Runner

import rotaug  # noqa: F401
from rotaug.engine import init_cpu_distributed, use_cpu_distributed


def parse_args():
    p = argparse.ArgumentParser(description='Test a detector')
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--work-dir')
    p.add_argument('--out', help='dump predictions to a pickle file')
    p.add_argument('--format-only', action='store_true',
                   help='write DOTA Task1 files instead of scoring '
                   '(outfile_prefix from --cfg-options or '
                   '<work_dir>/submission)')
    p.add_argument('--tta', action='store_true',
                   help="test-time augmentation with the config's "
                   'tta_model and tta_pipeline (docs/tta.md)')
    p.add_argument('--show-dir', help='draw predictions into this folder '
                   '(inside the work dir)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    p.add_argument('--launcher', choices=['none', 'pytorch'],
                   default='none')
    p.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = p.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def use_tta(cfg: Config) -> None:
    """Wrap the model in ``cfg.tta_model`` and give the test dataset
    ``cfg.tta_pipeline`` (innermost dataset of any wrappers)."""
    missing = [k for k in ('tta_model', 'tta_pipeline') if k not in cfg]
    if missing:
        raise KeyError(f'--tta needs {" and ".join(missing)} in the config '
                       '(see docs/tta.md for an example)')
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    dataset = cfg.test_dataloader.dataset
    while 'dataset' in dataset:
        dataset = dataset['dataset']
    dataset.pipeline = cfg.tta_pipeline


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.tta:
        use_tta(cfg)
    if args.format_only:
        evaluators = cfg.test_evaluator if isinstance(
            cfg.test_evaluator, list) else [cfg.test_evaluator]
        for ev in evaluators:
            ev.format_only = True
            ev.setdefault('outfile_prefix',
                          osp.join(cfg.work_dir, 'submission'))
    if args.show_dir:
        vis = cfg.default_hooks.setdefault(
            'visualization', dict(type='mmdet.DetVisualizationHook'))
        vis.draw = True
        vis.test_out_dir = args.show_dir
    use_cpu_distributed(cfg, args.launcher)
    init_cpu_distributed(args.launcher)
    init_default_scope(cfg.get('default_scope', 'rotaug'))
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else \
        RUNNERS.build(cfg)
    if args.out:
        from mmengine.evaluator import DumpResults
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=args.out))
    runner.test()


if __name__ == '__main__':
    main()
