"""``gpu_check.py summary``: the JSONs of one ``tools/gpu_check.sh`` run as
a markdown page (``gpu_check.md``) to paste into docs/benchmarks.md."""
import json
import os.path as osp
import time
from typing import Callable, Dict, Optional, Sequence

STEPS = ('env', 'ops', 'speed', 'train', 'proof')


def md_table(head: Sequence[str], rows: Sequence[Sequence]) -> str:
    """A markdown table; floats with 4 significant digits."""
    def cell(v):
        return f'{v:.4g}' if isinstance(v, float) else str(v)
    lines = ['| ' + ' | '.join(head) + ' |', '|---' * len(head) + '|']
    lines += ['| ' + ' | '.join(cell(v) for v in r) + ' |' for r in rows]
    return '\n'.join(lines)


def env_section(env: dict, command: str) -> str:
    """Title, machine, versions and command."""
    return (f"## GPU check ({env.get('date', time.strftime('%Y-%m-%d'))})"
            f"\n\nMachine: {env.get('nvidia_smi', 'no nvidia-smi')}, "
            f"{env.get('cpus')} CPUs; Python {env.get('python')}, torch "
            f"{env.get('torch')} (CUDA {env.get('cuda')}), mmcv "
            f"{env.get('mmcv')} (ops: {env.get('mmcv_ops')}), mmengine "
            f"{env.get('mmengine')}, mmdet {env.get('mmdet')}, mmrotate "
            f"{env.get('mmrotate')}, rotaug {env.get('rotaug')}.\n\n"
            f'Command: `{command}`')


def ops_section(ops: dict) -> str:
    """One row per op check."""
    rows = [(c['check'], c.get('max_abs', c.get('iou_gap', '-')),
             c.get('tol', c.get('border', '-')),
             f"{c.get('kept', '-')}/{c.get('kept_ref', '-')}"
             if 'kept' in c else '-', c['passed']) for c in ops['checks']]
    return (f"### mmcv ops on {ops['device']} (seed {ops['seed']}): "
            f"{'all passed' if ops['passed'] else 'FAILED'}\n\n" + md_table(
                ('check', 'max abs diff (NMS: IoU gap at divergence)',
                 'tolerance', 'NMS kept', 'passed'), rows))


def speed_section(s: dict) -> str:
    """ms per image of the three paths and the ratio to the CPU anchor."""
    cpu = s['ms_per_img_cpu_1thread']
    rows = [('rotaug.RandomRotate, per image, 1 CPU thread', cpu, 1.0),
            (f"rotaug.BatchRandomRotate ({s['device']})",
             s['ms_per_img_batch'], cpu / s['ms_per_img_batch']),
            (f"copy of the batch ({s['device']}: memory-traffic floor)",
             s['ms_per_img_copy'], cpu / s['ms_per_img_copy'])]
    return (f"### BatchRandomRotate speed ({s['device_name']}; batch "
            f"{s['batch']} x {s['size']}^2, {s['rboxes']} rboxes each, "
            f"median of {s['repeats']}): {s['speedup']:.1f}x "
            f"(target {s['target']:g}x)\n\n" +
            md_table(('path', 'ms / image', 'x RandomRotate'), rows))


def train_section(t: dict) -> str:
    """One row per config and rotation."""
    rows = [(r['config'], r['variant'],
             r.get('skipped') or r.get('error') or r['finite'],
             r.get('s_per_iter', '-'), r.get('data_s_per_iter', '-'),
             r.get('peak_mem_gb') or '-') for r in t['runs']]
    return (f"### Train steps on {t['device']} (synthetic {t['size']}^2, "
            f"{t['iters']} iterations, the first {t['untimed']} not "
            'timed)\n\n' + md_table(
                ('config', 'rotation', 'finite losses', 's/iter',
                 'data s/iter', 'peak GB'), rows))


def proof_section(p: dict) -> str:
    """rotation_proof.py's runs (partial when the time ran out)."""
    rows = [(r['variant'], r['seed'], r['iters'], r['mAP'], r['iter_s'],
             r['data_s'], r['nonfinite']) for r in p.get('results', [])]
    return (f"### rotation_proof.py on {p.get('device')} "
            f"({p.get('detector', 'obb')}, test turned to "
            f"{len(p.get('angles', []))} angles)\n\n" + md_table(
                ('variant', 'seed', 'iterations', 'mAP', 's/iter',
                 'data s/iter', 'non-finite'), rows))


SECTIONS: Dict[str, Callable[[dict], str]] = dict(
    ops=ops_section, speed=speed_section, train=train_section,
    proof=proof_section)


def _load(out_dir: str, name: str) -> Optional[dict]:
    path = osp.join(out_dir, name + '.json')
    if not osp.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def summary_markdown(out_dir: str, steps: Sequence[Sequence[str]] = (),
                     command: str = '') -> str:
    """The page of one gpu_check run from the JSONs in ``out_dir``; a
    step without its JSON is said to have written none."""
    data = {k: _load(out_dir, k) for k in STEPS}
    parts = [env_section(data['env'] or {}, command)]
    if steps:
        parts.append(md_table(('step', 'exit status', 'limit s', 'seconds'),
                              steps))
    for name, section in SECTIONS.items():
        if data[name] is None:
            parts.append(f'### {name}: no {name}.json (step not run or '
                         'failed; see gpu_check.log)')
            continue
        try:
            parts.append(section(data[name]))
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as err:
            parts.append(f'### {name}: {name}.json unreadable ({err!r})')
    return '\n\n'.join(parts) + '\n'


def cmd_summary(a) -> str:
    """Write ``gpu_check.md`` into ``a.out_dir`` and print it."""
    steps = []
    if a.steps and osp.exists(a.steps):
        with open(a.steps) as f:
            steps = [ln.rstrip('\n').split('\t') for ln in f if ln.strip()]
    text = summary_markdown(a.out_dir, steps, a.command)
    with open(osp.join(a.out_dir, 'gpu_check.md'), 'w') as f:
        f.write(text)
    print(text)
    return text
