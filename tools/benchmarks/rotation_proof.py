"""Does rotaug train better? Train the demo Oriented R-CNN (or, with
``--detector hbb``, the demo horizontal Faster R-CNN) on the synthetic
DOTA-style data with several augmentations and score each on a test split
whose images are rotated to all angles.

    python tools/benchmarks/rotation_proof.py [--iters 600] \\
        [--detector obb|hbb] [--variants none mmrotate rotaug batch] \\
        [--work-dir DIR] [--angles 0 30 ... 330] [--angle-spread D] \\
        [--border-share S] [--seeds 0 1 2] [--iou-thrs 0.5 0.75] \\
        [--device cuda|cpu] [--out proof.json [--resume]]

Oriented variants (``--detector obb``, the default; same config, same
seed, same iterations):

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
non-finite losses per variant, as a table and as JSON (``--out``: written
after every run, so that partial results survive; ``--resume`` skips the
runs the file already holds).

Real data (``--dataset ssdd``, ``proof_ssdd.py``): RBox-SSDD in
``--data-root`` (``images/``, ``labelTxt/``), trained on all but every
``--val-every``-th image and scored on those (or on ``--test-root``), as
they are and turned to 8 angles, without and with the config's TTA::

    python tools/benchmarks/rotation_proof.py --dataset ssdd \\
        --data-root DIR --val-every 5 [--test-root DIR] \\
        --detector obb|hbb [--variants ...] --iters N --seeds 0 1 \\
        [--val-interval N] --out docs/results/ssdd_obb.json

Results are written after every run and runs already in ``--out`` are
skipped; a training cut short continues from its last checkpoint (every
250 iterations) in ``--work-dir``.

Horizontal variants (``--detector hbb``): ``none``, ``mmdet``,
``mmdet-filter``, ``exact``, ``ellipse``, ``envelope``; see
``proof_hbb.py``. They are scored with COCO-style mAP@[.5:.95], AP50 and
AP75 (``rotaug.DOTAMetric`` at the ten IoU thresholds, area under the
precision-recall curve) against the tight boxes of the turned
quadrilaterals (``quad_*``) and of the turned silhouettes (``pix_*``), on
all angles (``*_rot``) and on the unturned images (``*_up``).
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

import harness

HERE = osp.dirname(osp.abspath(__file__))
ROOT = harness.ROOT
CONFIG = osp.join(ROOT, 'configs', 'demo',
                  'oriented-rcnn-le90_tiny_rr_synth.py')
VARIANTS = ('none', 'mmrotate', 'rotaug', 'batch')


def _hbb():
    return harness.load_tool('tools/benchmarks/proof_hbb.py')


def _ssdd():
    return harness.load_tool('tools/benchmarks/proof_ssdd.py')


def _load_synth():
    return harness.load_tool('tools/data/synth_dota.py')


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
    for sub in ('images', 'labelTxt'):
        os.makedirs(osp.join(dst, sub), exist_ok=True)
        for old in os.listdir(osp.join(dst, sub)):  # other angles' views
            os.remove(osp.join(dst, sub, old))
    if osp.exists(stamp):
        os.remove(stamp)
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


def oriented_pipeline(name: str, pipe):
    """The oriented training pipeline ``pipe`` (a copy) with variant
    ``name``'s rotation: ``none`` drops ``rotaug.RandomRotate``,
    ``mmrotate`` puts MMRotate's with the same arguments in its place,
    ``rotaug`` keeps it."""
    pipe = [dict(t) for t in pipe]
    idx = next(i for i, t in enumerate(pipe)
               if t['type'] == 'rotaug.RandomRotate')
    ours = pipe[idx]
    if name == 'none':
        pipe.pop(idx)
    elif name == 'mmrotate':
        pipe[idx] = dict(type='mmrotate.RandomRotate', prob=ours['prob'],
                         angle_range=ours['angle_range'],
                         rect_obj_labels=ours['rect_obj_labels'])
    elif name != 'rotaug':
        raise ValueError(f'unknown oriented variant {name!r}')
    return pipe


def _oriented_variant(cfg, name: str) -> None:
    """Put variant ``name``'s rotation into the oriented demo config."""
    if name == 'batch':
        harness.to_batch_rotation(cfg)
        return
    ds = cfg.train_dataloader.dataset
    ds.pipeline = oriented_pipeline(name, ds.pipeline)


def variant_config(name: str, data_root: str, work_dir: str, iters: int,
                   device: str, seed: int = 0, detector: str = 'obb',
                   angles=None, iou_thrs=None):
    """The config of one run. ``detector='hbb'``: the demo horizontal
    Faster R-CNN with ``proof_hbb.hbb_pipeline(name)`` and its evaluators
    (``angles``: those of the turned test split); ``iou_thrs``: the
    oriented evaluator's thresholds (default: its own, 0.5)."""
    from mmengine.config import Config
    cfg = Config.fromfile(_hbb().HBB_CONFIG if detector == 'hbb' else CONFIG)
    cfg.work_dir = work_dir
    if detector == 'hbb':
        hbb = _hbb()
        cfg.train_dataloader.dataset.pipeline = hbb.hbb_pipeline(
            name, cfg.train_dataloader.dataset.pipeline)
        cfg.test_evaluator = hbb.hbb_evaluators(data_root, angles or [0])
        # count every non-finite step, never stop on them
        cfg.optim_wrapper.max_consecutive = iters + 1
    else:
        _oriented_variant(cfg, name)
        if iou_thrs:
            cfg.test_evaluator.iou_thrs = list(iou_thrs)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = data_root
    cfg.test_dataloader.dataset.ann_file = 'test_rot/labelTxt/'
    cfg.test_dataloader.dataset.data_prefix = dict(
        img_path='test_rot/images/')
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = iters + 1  # no validation during training
    # nor at its end (the loop validates at max_iters otherwise)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
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


def run_variant(name, data_root, work_root, iters, device, seed=0,
                detector='obb', angles=None, iou_thrs=None):
    import numpy as np
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    tag = _run_tag(name, seed, iters, detector)
    cfg = variant_config(name, data_root, osp.join(work_root, tag), iters,
                         device, seed, detector, angles, iou_thrs)
    init_default_scope(cfg.get('default_scope', 'rotaug'))
    runner = Runner.from_cfg(cfg)
    log = {}
    runner.register_hook(harness.iter_times_hook(log), priority='LOWEST')
    t0 = time.time()
    runner.train()
    train_s = time.time() - t0
    t0 = time.time()
    metrics = runner.test()
    test_s = time.time() - t0
    times, data_times = log['time'], log['data_time']
    skip = max(1, len(times) // 10)  # warm-up
    head = 'quad_rot/mAP' if detector == 'hbb' else 'dota/mAP'
    return dict(
        variant=name,
        seed=seed,
        detector=detector,
        iters=iters,
        mAP=float(metrics.get(head, float('nan'))),
        metrics={k: float(v) for k, v in metrics.items()},
        test_s=test_s,
        iter_s=float(np.mean(times[skip:])) if times else float('nan'),
        data_s=float(np.mean(data_times[skip:])) if data_times else
        float('nan'),
        nonfinite=int(runner.message_hub.get_info('train/nonfinite_losses')
                      or 0),
        train_s=train_s)


def _run_tag(name: str, seed: int, iters: int, detector: str) -> str:
    return f'{name}_seed{seed}' if detector == 'obb' else \
        f'hbb_{name}_seed{seed}_it{iters}'


def reevaluate(results, data_root, work_root, device, angles,
               iou_thrs=None) -> None:
    """Test the saved final checkpoint of every run in ``results`` again
    (with the current evaluators, e.g. views added since) and update its
    metrics in place."""
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    for r in results:
        det = r.get('detector', 'obb')
        tag = _run_tag(r['variant'], r['seed'], r['iters'], det)
        cfg = variant_config(r['variant'], data_root,
                             osp.join(work_root, tag), r['iters'], device,
                             r['seed'], det, angles, iou_thrs)
        ckpt = osp.join(work_root, tag, f"iter_{r['iters']}.pth")
        if not osp.exists(ckpt):
            raise FileNotFoundError(f'{ckpt}: no checkpoint of run {tag}')
        cfg.load_from = ckpt
        init_default_scope(cfg.get('default_scope', 'rotaug'))
        metrics = Runner.from_cfg(cfg).test()
        r['metrics'].update({k: float(v) for k, v in metrics.items()})
        head = 'quad_rot/mAP' if det == 'hbb' else 'dota/mAP'
        r['mAP'] = r['metrics'].get(head, r['mAP'])
        print(f'[proof] re-evaluated {tag}', flush=True)


def _data_root(a) -> str:
    if a.data_root is None:
        name = 'synth_dota'
        if a.angle_spread is not None:
            name += f'_spread{a.angle_spread:g}'
        if a.border_share is not None:
            name += f'_border{a.border_share:g}'
        a.data_root = osp.join(ROOT, 'data', name)
    data_root = a.data_root.rstrip('/') + '/'
    meta = osp.join(data_root, 'meta.json')
    old = json.load(open(meta)) if osp.exists(meta) else None
    if old is None or old.get('angle_spread') != a.angle_spread or \
            old.get('border_share') != a.border_share:
        _load_synth().generate(data_root, seed=0,
                               angle_spread=a.angle_spread,
                               border_share=a.border_share)
    return data_root


def _save(path, results, **info) -> None:
    if path:
        tmp = path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(dict(info, results=results), f, indent=2)
        os.replace(tmp, path)


def _print_table(results, a, gpu) -> None:
    import numpy as np
    if a.detector == 'hbb':
        keys = ('quad_rot/mAP', 'quad_rot/AP50', 'quad_rot/AP75',
                'quad_up/mAP', 'quad_up/AP75', 'pix_rot/mAP',
                'pix_rot/AP75')
        head = ('| variant | seed | ' + ' | '.join(keys) +
                ' | s/iter | data s/iter | non-finite steps |')
    else:
        keys = ()
        head = (f'| variant | seed | mAP (test rotated by {len(a.angles)} '
                'angles) | s/iter | data s/iter | non-finite losses |')
    print(f'\n{gpu}, {a.iters} iterations, '
          f'{time.strftime("%Y-%m-%d")}\n{head}\n' +
          '|---' * (head.count('|') - 1) + '|')
    for r in results:
        vals = [r['metrics'].get(k, float('nan')) for k in keys] or \
            [r['mAP']]
        print(f"| {r['variant']} | {r['seed']} | " +
              ' | '.join(f'{v:.4f}' for v in vals) +
              f" | {r['iter_s']:.3f} | {r['data_s']:.3f} | "
              f"{r['nonfinite']} |")
    if len(a.seeds) > 1:
        for name in a.variants:
            maps = [r['mAP'] for r in results if r['variant'] == name]
            if maps:
                print(f'{name}: mAP mean {np.mean(maps):.4f}, min '
                      f'{np.min(maps):.4f}, max {np.max(maps):.4f} over '
                      f'{len(maps)} seeds')


HBB_KEYS = ('quad_up/mAP', 'quad_up/AP50', 'quad_up/AP75', 'quad_rot/mAP',
            'quad_rot/AP50', 'quad_rot/AP75', 'quad_diag/AP75',
            'pix_up/AP75', 'pix_rot/AP75')


def print_summary(results, detector: str, keys=None) -> None:
    """Mean, standard deviation and range over seeds, per variant and
    schedule, of the headline metrics (``--summary``)."""
    import numpy as np
    keys = keys or (HBB_KEYS if detector == 'hbb' else
                    ('dota/mAP', 'dota/AP50', 'dota/AP75'))
    print('| variant | iterations | seeds | ' + ' | '.join(keys) +
          ' | non-finite steps | s/iter | data s/iter |')
    print('|---' * (len(keys) + 6) + '|')
    groups = {}
    for r in results:
        if r.get('detector', 'obb') == detector:
            groups.setdefault((r['variant'], r.get('iters')), []).append(r)
    for (name, iters), rows in groups.items():
        cells = []
        for k in keys:
            v = np.array([r['metrics'].get(k, np.nan) for r in rows])
            v = v[~np.isnan(v)]  # runs scored before a view was added
            if not len(v):
                cells.append('-')
                continue
            cells.append(f'{v.mean():.3f} ± {v.std():.3f} '
                         f'({v.min():.3f}-{v.max():.3f})')
        nf = '/'.join(str(r['nonfinite']) for r in rows)
        it = np.mean([r['iter_s'] for r in rows])
        ds = np.mean([r['data_s'] for r in rows])
        seeds = ','.join(str(r['seed']) for r in rows)
        print(f'| {name} | {iters} | {seeds} | ' + ' | '.join(cells) +
              f' | {nf} | {it:.2f} | {ds:.2f} |')


def main_ssdd(a, p) -> None:
    """``--dataset ssdd``: see ``proof_ssdd.py``."""
    ssdd = _ssdd()
    if not a.data_root:
        p.error('--dataset ssdd needs --data-root (a folder with images/ '
                'and labelTxt/: RBox-SSDD\'s training split)')
    for flag, root in (('--data-root', a.data_root),
                       ('--test-root', a.test_root)):
        for sub in ('images', 'labelTxt') if root else ():
            if not osp.isdir(osp.join(root, sub)):
                p.error(f'{osp.join(root, sub)} does not exist: {flag} '
                        'must hold images/ and labelTxt/ '
                        '(tools/data/ssdd/README.md)')
    # paths as given, from where the command runs (it then works in ROOT)
    for key in ('data_root', 'test_root', 'out', 'work_dir'):
        if getattr(a, key):
            setattr(a, key, osp.abspath(getattr(a, key)))
    known = ssdd.VARIANTS[a.detector]
    a.variants = a.variants or list(known)
    bad = [v for v in a.variants if v not in known]
    if bad:
        p.error(f'unknown ssdd {a.detector} variants {bad}: choose from '
                f'{known}')
    held = (harness.read_json(a.out) or {}) if a.out else {}
    results = held.get('results', [])
    if a.summary:
        print(ssdd.report(results, a.detector, a.keys))
        return
    if a.doc_tables:
        print(ssdd.doc_tables(results, a.detector, a.doc_iters))
        return
    os.chdir(ROOT)
    os.environ['CUDA_VISIBLE_DEVICES'] = '' if a.device == 'cpu' else \
        os.environ.get('CUDA_VISIBLE_DEVICES', '')
    import rotaug  # noqa: F401
    from mmengine.config import Config
    data_root = a.data_root.rstrip('/') + '/'  # absolute (above)
    if a.test_root:
        eval_root, subset = a.test_root.rstrip('/') + '/', None
        turned = osp.join(a.work_dir, 'turned_test')
    else:
        eval_root, subset = data_root, 'val'
        turned = osp.join(a.work_dir, f'turned_val{a.val_every}')
    info = dict(dataset='ssdd', data_root=data_root, eval_root=eval_root,
                eval_subset=subset, val_every=a.val_every,
                turned_angles=list(ssdd.ROT_ANGLES))
    if results:
        # one result file, one evaluation split: scores on the held-out
        # test split never mix with (or get skipped as) validation ones
        keys = ('eval_subset', 'val_every') + (
            ('eval_root', ) if subset is None else ())  # a test folder
        theirs = {k: held.get(k) for k in keys}
        ours = {k: info[k] for k in keys}
        if theirs != ours:
            p.error(f'{a.out} holds results of another evaluation '
                    f'({theirs}), not of this one ({ours}): give another '
                    '--out (the trained checkpoints in --work-dir are '
                    'reused, so only the scoring runs again)')
    cfg = Config.fromfile(ssdd.config_path(a.detector))
    if a.stage != 'train':
        ssdd.write_turned(cfg, eval_root, subset, a.val_every, turned)
    for seed in a.seeds:
        for name in a.variants:
            if _held(results, a, name, seed):
                print(f'[proof] ssdd {a.detector} {name} (seed {seed}): in '
                      f'{a.out}, skipped')
                continue
            what = dict(train='training', score='scoring',
                        all='training and scoring')[a.stage]
            print(f'[proof] ssdd {a.detector} {name} (seed {seed}): {what}, '
                  f'{a.iters} iterations', flush=True)
            common = (a.detector, name, seed, a.iters, data_root,
                      a.val_every, a.work_dir)
            if a.stage != 'score':
                ssdd.train_variant(
                    *common, a.val_interval if seed == a.seeds[0] else 0)
            if a.stage == 'train':
                continue
            rec = ssdd.score_variant(*common, eval_root, subset, turned,
                                     a.max_eval_images)
            print(f"[proof] {json.dumps(rec['metrics'])}", flush=True)
            results = _add_result(a, rec, info, results)
    if a.stage != 'train':
        print(ssdd.report(results, a.detector, a.keys))


def _run_key(r: dict) -> tuple:
    """What makes two SSDD records the same run."""
    return tuple(r.get(k) for k in ('dataset', 'detector', 'variant', 'seed',
                                    'iters'))


def _held(results, a, name: str, seed: int) -> bool:
    key = ('ssdd', a.detector, name, seed, a.iters)
    return any(_run_key(r) == key for r in results)


def _add_result(a, rec: dict, info: dict, results: list) -> list:
    """Add one run's record to ``--out`` (or, without one, to
    ``results``) and return the results. Several processes may write the
    file (``--stage score`` in the background while the next run trains):
    under a lock, the file is read again and the record merged into what
    it holds then."""
    if not a.out:
        return results + [rec]
    import fcntl
    with open(a.out + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        held = harness.read_json(a.out) or {}
        results = [r for r in held.get('results', [])
                   if _run_key(r) != _run_key(rec)]
        results.append(rec)
        _save(a.out, results, **info)
    return results


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--dataset', default='synth', choices=('synth', 'ssdd'),
                   help='synth: the synthetic DOTA-style data; ssdd: '
                   'RBox-SSDD in --data-root (proof_ssdd.py)')
    p.add_argument('--val-every', type=int, default=5,
                   help='ssdd: every K-th image of --data-root by sorted '
                   'name is the validation split, the others train')
    p.add_argument('--test-root', default=None,
                   help='ssdd: score on this folder (images/, labelTxt/) '
                   'instead of the validation split')
    p.add_argument('--stage', default='all', choices=('all', 'train', 'score'),
                   help='ssdd: train: only train (or continue) the runs '
                   'not in --out; score: only score the trained runs not '
                   'in --out (one may run in the background while the '
                   'next run trains: ssdd_proof_queue.sh); all: both')
    p.add_argument('--max-eval-images', type=int, default=None,
                   help='ssdd: score on the first N images of each split '
                   'only (a smoke test, not a result)')
    p.add_argument('--val-interval', type=int, default=0,
                   help='ssdd: validate the first seed\'s runs every N '
                   'iterations (the learning curve); 0: never')
    p.add_argument('--detector', default='obb', choices=('obb', 'hbb'),
                   help='obb: the demo Oriented R-CNN; hbb: the demo '
                   'horizontal Faster R-CNN')
    p.add_argument('--iters', type=int, default=None,
                   help='training iterations (default 600); with '
                   '--doc-tables, the schedule shown (default: the only '
                   'one the file holds)')
    p.add_argument('--variants', nargs='+', default=None,
                   help=f'obb: {VARIANTS}; hbb: see proof_hbb.py '
                   '(default: all of the detector\'s)')
    p.add_argument('--angles', type=float, nargs='+',
                   default=list(range(0, 360, 30)))
    p.add_argument('--data-root', default=None,
                   help='default: data/synth_dota (with _spreadD and/or '
                   '_borderS for --angle-spread D / --border-share S)')
    p.add_argument('--angle-spread', type=float, default=None,
                   help='generate the data with objects along the image '
                   'axes give or take this many degrees (rotation '
                   'augmentation then has something to teach)')
    p.add_argument('--border-share', type=float, default=None,
                   help='generate dense scenes, this share of objects '
                   'vehicles near the image border (where turns cut them)')
    p.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs',
                                                  'rotation_proof'))
    p.add_argument('--seeds', type=int, nargs='+', default=[0],
                   help='training seeds (weights, sampling, augmentation)')
    p.add_argument('--iou-thrs', type=float, nargs='+', default=None,
                   help='obb: IoU thresholds of the evaluator (default '
                   '0.5); hbb always scores 0.5:0.95')
    p.add_argument('--device', default=None)
    p.add_argument('--out', default=None, help='JSON results file, '
                   'written after every run')
    p.add_argument('--resume', action='store_true',
                   help='skip the runs already in --out')
    p.add_argument('--reeval', action='store_true',
                   help='test the saved checkpoints of the runs in --out '
                   'again with the current evaluators (no training)')
    p.add_argument('--keys', nargs='+', default=None,
                   help='metrics of the --summary table')
    p.add_argument('--summary', action='store_true',
                   help='only print mean / std / range over seeds of the '
                   'runs in --out')
    p.add_argument('--doc-tables', action='store_true',
                   help='ssdd: only print the tables of docs/real_proof.md '
                   'from the runs in --out')
    a = p.parse_args(argv)
    a.doc_iters, a.iters = a.iters, 600 if a.iters is None else a.iters
    if a.dataset == 'ssdd':
        return main_ssdd(a, p)
    if a.stage != 'all':
        p.error('--stage is for --dataset ssdd')
    if a.doc_tables:
        p.error('--doc-tables is for --dataset ssdd')
    if a.summary:
        if not a.out or not osp.exists(a.out):
            p.error('--summary needs an existing --out file')
        print_summary(json.load(open(a.out))['results'], a.detector,
                      a.keys)
        return
    known = _hbb().HBB_VARIANTS if a.detector == 'hbb' else VARIANTS
    a.variants = a.variants or list(known)
    bad = [v for v in a.variants if v not in known]
    if bad:
        p.error(f'unknown {a.detector} variants {bad}: choose from {known}')
    os.chdir(ROOT)
    import torch
    device = a.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if device == 'cpu':
        os.environ['CUDA_VISIBLE_DEVICES'] = ''
    import rotaug  # noqa: F401
    data_root = _data_root(a)
    write_rotated_test(data_root, a.angles)
    if a.detector == 'hbb':
        _hbb().write_pixel_labels(data_root, a.angles)
    gpu = torch.cuda.get_device_name(0) if device == 'cuda' else 'CPU'
    info = dict(device=gpu, iters=a.iters, angles=a.angles,
                detector=a.detector, data_root=data_root)
    results = []
    if (a.resume or a.reeval) and a.out and osp.exists(a.out):
        results = json.load(open(a.out))['results']
    if a.reeval:
        reevaluate(results, data_root, a.work_dir, device, a.angles,
                   a.iou_thrs)
        _save(a.out, results, **info)
        print_summary(results, a.detector)
        return
    for seed in a.seeds:
        for name in a.variants:
            if any(r['variant'] == name and r['seed'] == seed and
                   r.get('iters', a.iters) == a.iters and
                   r.get('detector', 'obb') == a.detector
                   for r in results):
                print(f'[proof] {name} (seed {seed}): in {a.out}, skipped')
                continue
            print(f'[proof] {a.detector} {name} (seed {seed}): training '
                  f'{a.iters} iterations on {device}', flush=True)
            results.append(run_variant(name, data_root, a.work_dir, a.iters,
                                       device, seed, a.detector, a.angles,
                                       a.iou_thrs))
            print(f'[proof] {results[-1]}', flush=True)
            _save(a.out, results, **info)
    _print_table(results, a, gpu)
    _save(a.out, results, **info)


if __name__ == '__main__':
    sys.exit(main())
