"""How sure are the RBox-SSDD differences? A paired bootstrap over the
validation images of the proof's trained runs (``rotation_proof.py
--dataset ssdd``).

Every difference the proof reports (rotaug against another variant of the
same seed; a model with its TTA against itself without) is measured on one
set of validation images. Resampling those images with replacement, the
same draw for both sides of a pair, says how much of a difference that
image sample alone could make: the 95 % interval of each difference and
how often it keeps its sign. The turned split is resampled by source image
(its 8 turns go together). Seeds are a second, separate source of spread:
each seed has its own row, then the mean over the seeds (each draw applied
to every seed).

    python tools/benchmarks/ssdd_bootstrap.py --detector hbb \\
        [--seeds 0 1] [--splits up rot] [--tta [up rot]] \\
        [--resamples 2000] [--proof docs/results/ssdd_hbb.json] \\
        [--out docs/results/ssdd_bootstrap_hbb.json]
    python tools/benchmarks/ssdd_bootstrap.py --table OUT.json  # its table

The proof's scoring keeps each run's matched detections on the validation
split (both splits, without and with TTA) in its work dir (``bootstrap/``),
so this tool only resamples; a run whose kept matching is missing or stale
(another checkpoint, config or data) is predicted here once (the 0-degree
view, and every TTA view with ``--tta``) and kept. Every observed value is
checked against the proof's record of the run when ``--proof`` gives its
result file.
"""
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

import harness
import numpy as np

ROOT = harness.ROOT
ssdd = harness.load_tool(osp.join('tools', 'benchmarks', 'proof_ssdd.py'))

#: the metrics resampled: (name, IoU thresholds, VOC07 11-point, index)
METRICS = (('voc07/AP50', [0.5], True, 0),
           ('coco/mAP', ssdd.COCO_IOU_THRS, False, None),
           ('coco/AP75', ssdd.COCO_IOU_THRS, False, 5))


def cluster_draws(names: Sequence[str], resamples: int,
                  seed: int = 0) -> List[np.ndarray]:
    """``resamples`` draws of image indices: the source images drawn with
    replacement, each bringing all of its images."""
    groups: Dict[str, List[int]] = {}
    for i, n in enumerate(names):
        groups.setdefault(ssdd.source_id(n), []).append(i)
    members = list(groups.values())
    rng = np.random.default_rng(seed)
    return [np.concatenate([members[k] for k in
                            rng.integers(0, len(members), len(members))])
            for _ in range(resamples)]


# the per-image matching (``proof_ssdd.match_detections``, done once per
# run and split by the proof's scoring, or here) covers every threshold
assert {tuple(m[1]) for m in METRICS} <= set(ssdd.MATCH_THRS)


def metrics_of(matched: dict, images=None) -> Dict[str, float]:
    """The metrics of ``METRICS`` on the images ``images`` (indices,
    repeats allowed; all when None)."""
    from rotaug.evaluation import accumulate_map, mean_ap
    maps, out = {}, {}
    for name, thrs, voc07, k in METRICS:
        key = (tuple(thrs), voc07)  # one ranking per thresholds and rule
        if key not in maps:
            maps[key] = mean_ap(accumulate_map(matched[tuple(thrs)],
                                               matched['num_classes'], thrs,
                                               voc07, images))
        out[name] = float(maps[key].mean() if k is None else maps[key][k])
    return out


def resampled(matched: dict, draws: List[np.ndarray]) -> dict:
    """A run's metrics on its images (``observed``) and on every draw
    (``draws``: metric -> array over the draws)."""
    per = [metrics_of(matched, d) for d in draws]
    return dict(observed=metrics_of(matched),
                draws={name: np.array([m[name] for m in per])
                       for name, *_ in METRICS})


def paired(a: List[dict], b: List[dict]) -> dict:
    """The difference ``a - b`` of every metric, averaged over the seeds
    (``a[s]``, ``b[s]``: :func:`resampled` of seed ``s``'s runs, on the
    same draws), observed and on each draw: its value, 95 % percentile
    interval and the shares of draws above and below zero."""
    if len(a) != len(b) or not a:
        raise ValueError(f'{len(a)} runs against {len(b)}: one pair a seed')
    out = {}
    for name, *_ in METRICS:
        diff = np.mean([x['observed'][name] - y['observed'][name]
                        for x, y in zip(a, b)])
        d = np.mean([x['draws'][name] - y['draws'][name]
                     for x, y in zip(a, b)], axis=0)
        lo, hi = np.percentile(d, [2.5, 97.5])
        out[name] = dict(diff=float(diff), lo=float(lo), hi=float(hi),
                         above_zero=float((d > 0).mean()),
                         below_zero=float((d < 0).mean()))
    return out


def inputs_of_run(detector: str, variant: str, seed: int, iters: int,
                  data_root: str, val_every: int, work_root: str, split: str,
                  tta: bool, max_images: Optional[int] = None) -> dict:
    """``{'plain': matched, 'tta': matched}`` (``tta`` only when asked) of
    one trained run on one split: kept by the proof's scoring
    (``proof_ssdd.MatchedStore``), else predicted here and kept."""
    from mmengine.config import Config
    tag = ssdd.run_tag(detector, variant, seed, iters)
    ckpt = osp.join(work_root, tag, f'iter_{iters}.pth')
    if not osp.exists(ckpt):
        raise FileNotFoundError(f'{ckpt}: run {tag} is not trained')
    store = ssdd.MatchedStore(detector, osp.join(work_root, tag), ckpt,
                              data_root, val_every, max_images)
    kinds = ('plain', 'tta') if tta else ('plain', )
    out = store.load(split, kinds)
    if len(out) == len(kinds):
        return out
    cfg = Config.fromfile(ssdd.config_path(detector))
    if split == 'up':
        root, subset = data_root, 'val'
    else:
        root = ssdd.write_turned(cfg, data_root, 'val', val_every,
                                 osp.join(work_root, f'turned_val{val_every}'))
        subset = None
    got = ssdd.predict_split(cfg, harness.build_model(cfg, ckpt), root,
                             subset, val_every, max_images,
                             tag=f'{tag} {split}', tta=tta)
    return store.keep(split, got)


def comparisons(detector: str, variants: Sequence[str],
                tta: bool) -> List[tuple]:
    """(name, (variant, kind), (variant, kind)) of every difference the
    proof reads: rotaug against each other variant, and with ``tta`` each
    model with its TTA against itself without."""
    out = [(f'rotaug - {v}', ('rotaug', 'plain'), (v, 'plain'))
           for v in variants if v != 'rotaug' and 'rotaug' in variants]
    if tta:
        out += [(f'{v}: TTA - no TTA', (v, 'tta'), (v, 'plain'))
                for v in variants]
    return out


def _fmt(c: dict) -> str:
    """'+1.2 [-0.3, +2.8] 93.1%': the difference in points, its 95 %
    interval and the share of draws that keep its sign (rounded down: 100%
    only when every draw does)."""
    keep = c['above_zero'] if c['diff'] >= 0 else c['below_zero']
    return (f"{100 * c['diff']:+.1f} [{100 * c['lo']:+.1f}, "
            f"{100 * c['hi']:+.1f}] {np.floor(1000 * keep) / 10:.1f}%")


def check_against_proof(rows: Dict[tuple, dict], proof: str, detector: str,
                        iters: int, val_every: int) -> tuple:
    """The observed values against the proof's records of the same runs
    (they must agree: the same checkpoints, images and metric). Returns
    the mismatches, the number of values compared and the runs the proof
    has no record of."""
    held = harness.read_json(proof)
    if held is None:
        raise FileNotFoundError(f'{proof}: no such result file')
    if held.get('eval_subset') != 'val' or \
            held.get('val_every') != val_every:
        raise ValueError(
            f"{proof} holds scores on eval_subset={held.get('eval_subset')!r}"
            f", val_every={held.get('val_every')!r}: not this validation "
            f'split (every {val_every}th image)')
    recs = {(r['variant'], r['seed']): r['metrics']
            for r in held.get('results', [])
            if r.get('detector') == detector and r.get('iters') == iters
            and not r.get('max_eval_images')}
    bad, compared, missing = [], 0, []
    for (variant, seed, split, kind), m in rows.items():
        rec = recs.get((variant, seed))
        if rec is None:
            missing.append(f'{variant} seed {seed}')
            continue
        prefix = ('tta_' if kind == 'tta' else '') + split
        for name, value in m.items():
            want = rec.get(f'{prefix}_{name}')
            if want is None:
                continue
            compared += 1
            if abs(want - value) > 1e-9:
                bad.append(f'{variant} seed {seed} {prefix}_{name}: '
                           f'{value:.6f} here, {want:.6f} in {proof}')
    return bad, compared, sorted(set(missing))


HEAD = ('| comparison | split | seed | ' + ' | '.join(m[0] for m in METRICS)
        + ' |\n' + '|---' * (len(METRICS) + 3) + '|')


def row_line(row: dict) -> str:
    """One markdown row of a comparison (a row of ``--out``)."""
    return (f"| {row['comparison']} | {row['split']} | {row['seed']} | "
            + ' | '.join(_fmt(row[m[0]]) for m in METRICS) + ' |')


def table(rows: List[dict]) -> str:
    """The markdown table of the rows of an ``--out`` file."""
    return '\n'.join([HEAD] + [row_line(r) for r in rows])


def main(argv=None) -> None:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ['--table']:
        if len(argv) != 2:
            sys.exit('usage: ssdd_bootstrap.py --table OUT.json')
        held = harness.read_json(argv[1])
        if held is None:
            sys.exit(f'{argv[1]}: no such file')
        print(table(held['rows']))
        return
    p = ssdd.run_arg_parser(__doc__.split('\n\n')[0])
    p.add_argument('--splits', nargs='+', default=['up', 'rot'],
                   choices=('up', 'rot'))
    p.add_argument('--tta', nargs='*', default=None, choices=('up', 'rot'),
                   help="also the config's TTA (4 views per image), on "
                   'these splits (all of --splits when none is named)')
    p.add_argument('--resamples', type=int, default=2000)
    p.add_argument('--draw-seed', type=int, default=0)
    p.add_argument('--proof', default=None,
                   help="the proof's result file: the observed values must "
                   'equal its records')
    a = ssdd.parse_run_args(p, argv)
    variants, data_root, work_root, out = (a.variants, a.data_root,
                                           a.work_dir, a.out)
    tta = set(a.splits if a.tta == [] else a.tta or ())
    if tta - set(a.splits):
        p.error(f'--tta {sorted(tta)}: not in --splits {a.splits}')
    proof = osp.abspath(a.proof) if a.proof else None
    untrained = [ssdd.run_tag(a.detector, v, s, a.iters) for s in a.seeds
                 for v in variants if not osp.exists(osp.join(
                     work_root, ssdd.run_tag(a.detector, v, s, a.iters),
                     f'iter_{a.iters}.pth'))]
    if untrained:
        p.error(f'not trained in {work_root}: {", ".join(untrained)}')
    os.chdir(ROOT)
    import rotaug  # noqa: F401
    from mmengine.registry import init_default_scope
    init_default_scope('rotaug')
    matched, observed = {}, {}
    for split in a.splits:
        for seed in a.seeds:
            for v in variants:
                got = inputs_of_run(a.detector, v, seed, a.iters, data_root,
                                    a.val_every, work_root, split,
                                    split in tta, a.max_images)
                for kind, m in got.items():
                    matched[(v, seed, split, kind)] = m
                    observed[(v, seed, split, kind)] = metrics_of(m)
    mismatches = []
    # a smoke test on a few images is not the proof's split
    if proof and not a.max_images:
        mismatches, compared, missing = check_against_proof(
            observed, proof, a.detector, a.iters, a.val_every)
        for run in missing:
            print(f'[bootstrap] {run}: no record in {proof}, not checked')
        for line in mismatches:
            print(f'[bootstrap] MISMATCH {line}')
        print(f'[bootstrap] {compared - len(mismatches)} of {compared} '
              f'observed values equal to {proof}')
        if not compared:
            sys.exit(f'{proof} holds none of these runs: nothing checked')
    rows = []
    print(HEAD)
    for split in a.splits:
        names = matched[(variants[0], a.seeds[0], split, 'plain')]['names']
        for key, m in matched.items():
            if key[2] == split and m['names'] != names:
                raise ValueError(f'{key}: not the images of the others')
        draws = cluster_draws(names, a.resamples, a.draw_seed)
        # each run's metrics on each draw, once
        boot = {key: resampled(m, draws) for key, m in matched.items()
                if key[2] == split}
        for name, x, y in comparisons(a.detector, variants, split in tta):
            for seeds in [[s] for s in a.seeds] + (
                    [a.seeds] if len(a.seeds) > 1 else []):
                res = paired([boot[(x[0], s, split, x[1])] for s in seeds],
                             [boot[(y[0], s, split, y[1])] for s in seeds])
                seed = seeds[0] if len(seeds) == 1 else 'mean'
                rows.append(dict(comparison=name, split=split, seed=seed,
                                 **res))
                print(row_line(rows[-1]), flush=True)
    if out:
        harness.write_json(out, dict(
            detector=a.detector, iters=a.iters, data_root=data_root,
            val_every=a.val_every, resamples=a.resamples,
            draw_seed=a.draw_seed, max_images=a.max_images,
            observed=[dict(variant=k[0], seed=k[1], split=k[2], kind=k[3],
                           **v) for k, v in observed.items()],
            mismatches=mismatches, rows=rows))
    if mismatches:
        sys.exit(f'{len(mismatches)} observed values differ from {proof}')


if __name__ == '__main__':
    sys.exit(main())
