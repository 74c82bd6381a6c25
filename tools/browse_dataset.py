"""Write PNGs of augmented samples of a config's dataset, boxes coloured
by class (ignored ground truths grey).

    python tools/browse_dataset.py CONFIG [--output-dir DIR] [--num 12]
        [--split train|val|test] [--seed 0] [--mosaic]
        [--cfg-options k=v ...]

Each sample goes through the dataset's full pipeline (random rotation
included), so running it twice with different seeds shows different
augmentations of the same images.
"""
import argparse
import os
import os.path as osp
import sys

import cv2
import numpy as np
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

import rotaug  # noqa: F401  (registers rotaug)
from rotaug.visualization import draw_det_sample, mosaic


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Browse a dataset')
    p.add_argument('config')
    p.add_argument('--output-dir', default='work_dirs/browse')
    p.add_argument('--num', type=int, default=12)
    p.add_argument('--split', choices=['train', 'val', 'test'],
                   default='train')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--mosaic', action='store_true',
                   help='also write all samples into one mosaic.png')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    return p.parse_args(argv)


def browse(cfg: Config, output_dir: str, num: int = 12,
           split: str = 'train', seed: int = 0,
           write_mosaic: bool = False) -> list:
    """Build the dataset of ``split`` and write ``num`` samples; returns
    the written paths."""
    from rotaug.registry import DATASETS
    init_default_scope(cfg.get('default_scope', 'rotaug'))
    dataset = DATASETS.build(cfg[f'{split}_dataloader'].dataset)
    classes = dataset.metainfo.get('classes')
    os.makedirs(output_dir, exist_ok=True)
    np.random.seed(seed)
    paths, images = [], []
    n = min(num, len(dataset))
    for i in range(n):
        item = dataset[i]
        if item is None:
            continue
        img = draw_det_sample(item, classes)
        meta = item['data_samples'].metainfo
        name = meta.get('img_id') or osp.splitext(
            osp.basename(meta.get('img_path', f'{i:04d}')))[0]
        path = osp.join(output_dir, f'{i:04d}_{name}.png')
        cv2.imwrite(path, img)
        paths.append(path)
        images.append(img)
        print(f'\r[browse] {i + 1}/{n}', end='', flush=True)
    print()
    if write_mosaic and images:
        path = osp.join(output_dir, 'mosaic.png')
        cv2.imwrite(path, mosaic(images, cols=min(4, len(images))))
        paths.append(path)
    print(f'[browse] {len(paths)} pictures in {output_dir}')
    return paths


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    browse(cfg, args.output_dir, args.num, args.split, args.seed,
           args.mosaic)


if __name__ == '__main__':
    sys.exit(main())
