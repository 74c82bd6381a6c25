"""rotation_proof.py --dataset ssdd (proof_ssdd.py, through harness.py):
the variants' pipelines, the turned evaluation split, one tiny run end to
end, resumed without training again."""
import glob
import json
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _load import REPO, harness, load_tool  # noqa: E402

ssdd = load_tool('benchmarks/proof_ssdd.py')
proof = load_tool('benchmarks/rotation_proof.py')


def _folder(root, n=5, size=(80, 96)):
    """``n`` images with two ships each (one clean, one crossing the
    right border) in DOTA layout."""
    rng = np.random.default_rng(0)
    for sub in ('images', 'labelTxt'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    for i in range(n):
        cv2.imwrite(osp.join(root, 'images', f'{i:06d}.png'),
                    rng.integers(0, 255, size + (3, ), dtype=np.uint8))
        with open(osp.join(root, 'labelTxt', f'{i:06d}.txt'), 'w') as f:
            f.write('10 10 40 14 38 30 8 26 ship 0\n'
                    '80 40 110 40 110 56 80 56 ship 0\n')
    return str(root) + '/'


def _types(pipe):
    return [t['type'] for t in pipe]


@pytest.mark.parametrize('detector', ['obb', 'hbb'])
def test_variants_change_only_the_rotation(detector):
    from mmengine.config import Config
    cfg = Config.fromfile(ssdd.config_path(detector))
    pipe = cfg.train_dataloader.dataset.pipeline
    base = _types(pipe)
    none = ssdd.train_pipeline(detector, 'none', pipe)
    assert 'rotaug.RandomRotate' not in _types(none)
    assert ssdd.train_pipeline(detector, 'rotaug', pipe) == [
        dict(t) for t in pipe]
    other = 'mmrotate' if detector == 'obb' else 'mmdet-filter'
    theirs = _types(ssdd.train_pipeline(detector, other, pipe))
    if detector == 'obb':
        assert theirs == [t.replace('rotaug.RandomRotate',
                                    'mmrotate.RandomRotate') for t in base]
    else:
        assert 'mmdet.Rotate' in theirs and 'mmdet.FilterAnnotations' in \
            theirs and 'rotaug.RandomRotate' not in theirs
    with pytest.raises(ValueError, match='unknown'):
        ssdd.train_pipeline(detector, 'batch', pipe)
    assert _types(pipe) == base  # the config's own list is untouched


def test_turned_split_turns_images_and_labels_together(tmp_path):
    from mmengine.config import Config

    from rotaug.datasets.dota_io import parse_dota_label_file
    from rotaug.geometry import image_rotation
    root = _folder(tmp_path / 'src')
    cfg = Config.fromfile(ssdd.OBB_CONFIG)
    dst = str(tmp_path / 'rot')
    ssdd.write_turned(cfg, root, 'val', 5, dst, angles=(0, 90, 45))
    # the validation split of 5 images is the fifth: 000004
    assert sorted(os.listdir(osp.join(dst, 'images'))) == [
        '000004_r000.png', '000004_r045.png', '000004_r090.png']
    src = cv2.imread(osp.join(root, 'images', '000004.png'))
    turned = cv2.imread(osp.join(dst, 'images', '000004_r090.png'))
    assert turned.shape[:2] == src.shape[1::-1]
    objs, _ = parse_dota_label_file(
        osp.join(dst, 'labelTxt', '000004_r090.txt'), ('ship', ))
    matrix, _ = image_rotation(96, 80, 90, True)
    first = np.array([10, 10, 40, 14, 38, 30, 8, 26.]).reshape(4, 2)
    want = first @ matrix[:2, :2].T + matrix[:2, 2]
    got = objs[0]['poly'].reshape(4, 2)
    # the same corners, whatever vertex the writer starts from
    assert min(np.abs(np.roll(got, k, 0) - want).max()
               for k in range(4)) < 1e-2
    # the ship crossing the border is cut to its visible part
    objs0, _ = parse_dota_label_file(
        osp.join(dst, 'labelTxt', '000004_r000.txt'), ('ship', ))
    assert objs0[1]['poly'].reshape(4, 2)[:, 0].max() <= 96 + 1e-3
    stamp = osp.getmtime(osp.join(dst, 'stamp.json'))
    ssdd.write_turned(cfg, root, 'val', 5, dst, angles=(0, 90, 45))
    assert osp.getmtime(osp.join(dst, 'stamp.json')) == stamp  # reused
    ssdd.write_turned(cfg, root, 'val', 5, dst, angles=(180, ))
    assert os.listdir(osp.join(dst, 'images')) == ['000004_r180.png']


def test_tta_views_follow_the_configs_tta_pipeline():
    from mmengine.config import Config
    cfg = Config.fromfile(ssdd.HBB_CONFIG)
    views = harness.tta_view_pipelines(cfg)
    assert len(views) == 4
    angles = [next(t.rotate_angle for t in v.transforms
                   if type(t).__name__ == 'Rotate') for v in views]
    assert angles == [0, 90, 180, 270]


def test_one_tiny_run_end_to_end_then_resumed(tmp_path, monkeypatch):
    root = _folder(tmp_path / 'data', n=10)
    out = str(tmp_path / 'ssdd.json')
    work = str(tmp_path / 'work')
    args = ['--dataset', 'ssdd', '--data-root', root, '--val-every', '5',
            '--detector', 'obb', '--variants', 'rotaug', '--iters', '2',
            '--seeds', '0', '--work-dir', work, '--out', out,
            '--max-eval-images', '2', '--device', 'cpu']
    proof.main(args)
    res = json.load(open(out))
    assert res['dataset'] == 'ssdd' and res['eval_subset'] == 'val'
    (rec, ) = res['results']
    assert (rec['detector'], rec['variant'], rec['iters']) == ('obb',
                                                               'rotaug', 2)
    m = rec['metrics']
    for split in ('up', 'rot', 'tta_up', 'tta_rot'):
        for key in ('voc07/AP50', 'coco/mAP', 'coco/AP75'):
            assert 0.0 <= m[f'{split}_{key}'] <= 1.0
    assert rec['nonfinite'] == 0 and rec['max_eval_images'] == 2
    tag = ssdd.run_tag('obb', 'rotaug', 0, 2)
    stats = json.load(open(osp.join(work, tag, 'train_stats.json')))
    assert stats['processes'] == 1
    _bootstrap_reads_what_the_scoring_kept(root, work, tag, m, monkeypatch)
    # the same command again: the run is in --out, nothing trains
    proof.main(args)
    assert json.load(open(out))['results'] == res['results']
    # the record gone but the checkpoint kept: scored again, not trained
    os.remove(out)
    proof.main(args)
    stats = json.load(open(osp.join(work, tag, 'train_stats.json')))
    assert stats['processes'] == 1
    again = json.load(open(out))['results'][0]['metrics']
    scores = [k for k in m if not k.endswith('_s') and '_s_' not in k]
    assert len(scores) >= 12
    assert {k: again[k] for k in scores} == {k: m[k] for k in scores}
    # the held-out split: its scores never go into the validation file,
    # nor its matched detections into what the bootstrap reads
    kept = {f: os.stat(f).st_mtime_ns for f in
            glob.glob(osp.join(work, tag, 'bootstrap', '*'))}
    assert len(kept) == 4
    test_root = _folder(tmp_path / 'test', n=3)
    with pytest.raises(SystemExit):
        proof.main(args + ['--test-root', test_root])
    assert json.load(open(out))['results'][0]['metrics'] == again
    # another --out, paths relative to where the command runs: the
    # checkpoint is scored on the test folder, nothing trains
    monkeypatch.chdir(tmp_path)
    rel = [{root: 'data', out: 'test.json', work: 'work'}.get(v, v)
           for v in args]
    proof.main(rel + ['--test-root', 'test'])
    res = json.load(open(tmp_path / 'test.json'))
    assert res['eval_subset'] is None
    assert res['eval_root'] == str(tmp_path / 'test') + '/'
    assert res['results'][0]['metrics'].keys() == m.keys()
    stats = json.load(open(osp.join(work, tag, 'train_stats.json')))
    assert stats['processes'] == 1
    assert kept == {f: os.stat(f).st_mtime_ns for f in
                    glob.glob(osp.join(work, tag, 'bootstrap', '*'))}


def _bootstrap_reads_what_the_scoring_kept(root, work, tag, metrics,
                                           monkeypatch):
    """The scoring kept each split's matched detections (without and with
    TTA); ssdd_bootstrap.py reads them instead of predicting, and they
    give the record's scores. They go stale with another checkpoint."""
    boot = load_tool('benchmarks/ssdd_bootstrap.py')

    def no_prediction(*a, **k):
        raise AssertionError('predicted again')

    with monkeypatch.context() as mp:
        mp.setattr(boot.ssdd, 'predict_split', no_prediction)
        for split in ('up', 'rot'):
            got = boot.inputs_of_run('obb', 'rotaug', 0, 2, root, 5, work,
                                     split, True, max_images=2)
            assert set(got) == {'plain', 'tta'}
            for kind, matched in got.items():
                prefix = ('tta_' if kind == 'tta' else '') + split
                assert len(matched['names']) == 2
                for name, value in boot.metrics_of(matched).items():
                    assert value == pytest.approx(
                        metrics[f'{prefix}_{name}'], abs=1e-12)
    ckpt = osp.join(work, tag, 'iter_2.pth')
    store = ssdd.MatchedStore('obb', osp.join(work, tag), ckpt, root, 5, 2)
    assert set(store.load('up', ('plain', 'tta'))) == {'plain', 'tta'}
    # all images, or another split setting: not what was kept
    assert not ssdd.MatchedStore('obb', osp.join(work, tag), ckpt, root,
                                 5).load('up', ('plain', ))
    assert not ssdd.MatchedStore('obb', osp.join(work, tag), ckpt, root, 4,
                                 2).load('up', ('plain', ))
    st = os.stat(ckpt)
    os.utime(ckpt, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert not ssdd.MatchedStore('obb', osp.join(work, tag), ckpt, root, 5,
                                 2).load('up', ('plain', 'tta'))
    os.utime(ckpt, ns=(st.st_atime_ns, st.st_mtime_ns))
    # a file cut short (a killed writer) is predicted again, not a crash
    with open(store._path('up', 'tta'), 'wb') as f:
        f.write(b'\x80\x04\x95')
    assert set(store.load('up', ('plain', 'tta'))) == {'plain'}


def test_train_then_score_in_another_process(tmp_path, monkeypatch):
    """--stage train writes a checkpoint and no record; --stage score
    refuses an untrained run, and merges its record into what --out holds
    when it writes (another scorer may have added one meanwhile)."""
    root = _folder(tmp_path / 'data', n=10)
    out = str(tmp_path / 'ssdd.json')
    work = str(tmp_path / 'work')
    args = ['--dataset', 'ssdd', '--data-root', root, '--val-every', '5',
            '--detector', 'hbb', '--variants', 'none', '--iters', '2',
            '--work-dir', work, '--out', out, '--max-eval-images', '1',
            '--device', 'cpu']
    # the checkout moves on while the run trains (a commit of the docs):
    # the record names the commit the training started from
    commits = iter(f'c{i}' for i in range(100))
    monkeypatch.setattr(harness, 'git_commit', lambda: next(commits))
    proof.main(args + ['--stage', 'train', '--seeds', '0'])
    tag = ssdd.run_tag('hbb', 'none', 0, 2)
    assert osp.exists(osp.join(work, tag, 'iter_2.pth'))
    assert not osp.exists(out)
    with pytest.raises(FileNotFoundError, match='not trained'):
        proof.main(args + ['--stage', 'score', '--seeds', '1'])
    other = dict(_record('hbb', 'rotaug', 0, **{'up_voc07/AP50': 0.5}),
                 iters=2, nonfinite=0)
    real = ssdd.score_variant

    def score_while_another_writes(*a, **k):
        rec = real(*a, **k)
        held = json.load(open(out))
        held['results'].append(other)
        with open(out, 'w') as f:
            json.dump(held, f)
        return rec

    # --out must exist (with this evaluation) for another scorer to add to
    proof._save(out, [], dataset='ssdd', eval_subset='val', val_every=5)
    monkeypatch.setattr(ssdd, 'score_variant', score_while_another_writes)
    proof.main(args + ['--stage', 'score', '--seeds', '0'])
    got = json.load(open(out))['results']
    assert [(r['variant'], r['seed']) for r in got] == [('rotaug', 0),
                                                        ('none', 0)]
    assert got[0] == other and 0.0 <= got[1]['metrics'][
        'up_voc07/AP50'] <= 1.0
    stats = json.load(open(osp.join(work, tag, 'train_stats.json')))
    assert stats['processes'] == 1 and stats['train_commits'] == ['c0']
    assert got[1]['train_commits'] == ['c0'] and got[1]['commit'] != 'c0'
    assert stats['segments'][0]['end'] == 2
    with pytest.raises(SystemExit):
        proof.main(['--stage', 'train'])  # synthetic data: no stages


class _Cut(Exception):
    pass


def test_a_cut_run_continues_from_its_last_checkpoint(tmp_path,
                                                      monkeypatch):
    """A run killed after its checkpoint at iteration 2 of 4 (as when a
    session ends) trains iterations 3-4 only when run again, and says
    where it resumed."""
    from mmengine.config import Config
    from mmengine.hooks import Hook
    root = _folder(tmp_path / 'data', n=10)
    work = str(tmp_path / 'work')
    turned = str(tmp_path / 'turned')
    ssdd.write_turned(Config.fromfile(ssdd.OBB_CONFIG), root, 'val', 5,
                      turned, angles=(0, ))
    kwargs = dict(detector='obb', name='none', seed=0, iters=4,
                  data_root=root, val_every=5, work_root=work,
                  eval_root=root, eval_subset='val', turned_root=turned,
                  max_eval_images=1, ckpt_interval=2)
    real_hook = harness.iter_times_hook

    class Kill(Hook):
        priority = 'LOWEST'  # after the checkpoint hook

        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            if runner.iter == 2:
                raise _Cut()

    class Both(Hook):  # the real timing hook, then the kill
        priority = 'LOWEST'

        def __init__(self, log):
            self.hooks = [real_hook(log), Kill()]

        def after_train_iter(self, runner, *args, **kwargs):
            for h in self.hooks:
                h.after_train_iter(runner, *args, **kwargs)

    monkeypatch.setattr(harness, 'iter_times_hook', Both)
    with pytest.raises(_Cut):
        ssdd.run_variant(**kwargs)
    run_dir = osp.join(work, ssdd.run_tag('obb', 'none', 0, 4))
    assert osp.exists(osp.join(run_dir, 'iter_2.pth'))
    assert not osp.exists(osp.join(run_dir, 'iter_4.pth'))
    monkeypatch.setattr(harness, 'iter_times_hook', real_hook)
    # the cut process's timing up to its checkpoint is kept
    with open(osp.join(run_dir, 'train_stats.json')) as f:
        cut = json.load(f)
    assert [(s['start'], s['end']) for s in cut['segments']] == [(0, 2)]
    assert cut['segments'][0]['iters_timed'] >= 1
    assert cut['segments'][0]['time_sum'] > 0
    rec = ssdd.run_variant(**kwargs)
    assert rec['resumed_at'] == [0, 2]
    assert osp.exists(osp.join(run_dir, 'iter_4.pth'))
    with open(osp.join(run_dir, 'train_stats.json')) as f:
        stats = json.load(f)
    assert [(s['start'], s['end']) for s in stats['segments']] == [(0, 2),
                                                                   (2, 4)]
    assert stats['segments'][0] == cut['segments'][0]
    assert stats['processes'] == 2
    assert stats['train_s'] == pytest.approx(
        sum(s['train_s'] for s in stats['segments']))
    assert rec['train_s'] == stats['train_s'] and rec['nonfinite'] == 0
    # a process resuming from a checkpoint keeps the segments up to it
    # and drops what a cut process trained past it
    hook = ssdd.train_stats_hook(osp.join(run_dir, 'train_stats.json'),
                                 {'time': [], 'data_time': []}, 2)

    class R:
        iter = 2
    hook.before_train(R)
    assert hook.kept == [stats['segments'][0]]
    R.iter = 0
    hook.before_train(R)
    assert hook.kept == []


def _record(detector, variant, seed, **metrics):
    return dict(dataset='ssdd', detector=detector, variant=variant,
                seed=seed, iters=2000, metrics=metrics)


def test_expectations_are_judged_seed_by_seed():
    results = [
        # seed 0: rotaug level with MMRotate (holds: >=), above none
        _record('obb', 'none', 0, **{'rot_voc07/AP50': 0.60,
                                     'rot_coco/mAP': 0.20}),
        _record('obb', 'mmrotate', 0, **{'rot_voc07/AP50': 0.65,
                                         'rot_coco/mAP': 0.22}),
        _record('obb', 'rotaug', 0, **{'rot_voc07/AP50': 0.65,
                                       'rot_coco/mAP': 0.20}),
        # seed 1: no MMRotate run yet: only "> none" is judged
        _record('obb', 'none', 1, **{'rot_voc07/AP50': 0.70,
                                     'rot_coco/mAP': 0.21}),
        _record('obb', 'rotaug', 1, **{'rot_voc07/AP50': 0.69,
                                       'rot_coco/mAP': 0.25}),
        # horizontal: +4.9 AP75 is short of +5
        _record('hbb', 'mmdet-filter', 0, **{'up_coco/AP75': 0.100}),
        _record('hbb', 'rotaug', 0, **{'up_coco/AP75': 0.149,
                                       'up_voc07/AP50': 0.5,
                                       'tta_up_voc07/AP50': 0.5}),
    ]
    got = {(e['check'], e['detector'], e['seed'], e['metric']): e['holds']
           for e in ssdd.expectations(results)}
    assert got == {
        ('rotaug >= MMRotate, turned split', 'obb', 0, 'rot_voc07/AP50'):
            True,
        ('rotaug >= MMRotate, turned split', 'obb', 0, 'rot_coco/mAP'):
            False,
        ('rotaug > none, turned split', 'obb', 0, 'rot_voc07/AP50'): True,
        ('rotaug > none, turned split', 'obb', 0, 'rot_coco/mAP'): False,
        ('rotaug > none, turned split', 'obb', 1, 'rot_voc07/AP50'): False,
        ('rotaug > none, turned split', 'obb', 1, 'rot_coco/mAP'): True,
        ('rotaug >= mmdet-filter + 5 AP75, split as it is', 'hbb', 0,
         'up_coco/AP75'): False,
        # TTA level with the model does not add
        ('TTA adds (rotaug)', 'hbb', 0, 'up_voc07/AP50'): False,
        # judged on two seeds: judged once more on the means (paired seeds)
        # AP50 0.67 > 0.65 and mAP 0.225 > 0.205, though each fails once
        ('rotaug > none, turned split', 'obb', 'mean', 'rot_voc07/AP50'):
            True,
        ('rotaug > none, turned split', 'obb', 'mean', 'rot_coco/mAP'):
            True,
    }
    table = ssdd.expectations_table(results)
    assert table.count('**no**') == 5 and table.count('| yes |') == 5
    assert '| rotaug > none, turned split | obb | mean | rot_coco/mAP | ' \
        '0.225 | 0.205 | yes |' in table
    # a smoke test on a few images is no result: never judged
    smoke = _record('hbb', 'mmdet-filter', 1, **{'up_coco/AP75': 0.0})
    smoke['max_eval_images'] = 2
    more = results + [smoke, _record('hbb', 'rotaug', 1,
                                     **{'up_coco/AP75': 0.3})]
    assert len(ssdd.expectations(more)) == len(got)


def test_report_keeps_its_tables_apart_and_to_one_detector():
    results = [_record('obb', 'none', 0, **{'rot_voc07/AP50': 0.60}),
               _record('obb', 'rotaug', 0, **{'rot_voc07/AP50': 0.65}),
               _record('hbb', 'mmdet-filter', 0, **{'up_coco/AP75': 0.1}),
               _record('hbb', 'rotaug', 0, **{'up_coco/AP75': 0.2})]
    for r in results:
        r['nonfinite'] = 0
    text = ssdd.report(results, 'obb', ('rot_voc07/AP50', ))
    blocks = text.split('\n\n')
    assert [b.splitlines()[0].split(' | ')[0] for b in blocks] == \
        ['| variant', '| variant', '| expectation']
    assert 'rotaug > none, turned split | obb | 0' in blocks[2]
    assert '| hbb |' not in blocks[2]


def test_summary_mean_and_sample_sd_over_seeds():
    keys = ('up_voc07/AP50', )
    results = [_record('obb', 'none', 0, **{'up_voc07/AP50': 0.60}),
               _record('obb', 'none', 1, **{'up_voc07/AP50': 0.70}),
               _record('obb', 'rotaug', 0, **{'up_voc07/AP50': 0.65}),
               _record('hbb', 'none', 0, **{'up_voc07/AP50': 0.10})]
    for r in results:
        r['nonfinite'] = 0
    lines = ssdd.summary(results, 'obb', keys).splitlines()
    # two seeds: mean 0.65, sample sd 0.0707; one seed: no spread shown
    assert lines[2] == '| none | 2000 | 0,1 | 0.650 ± 0.071 | 0/0 |'
    assert lines[3] == '| rotaug | 2000 | 0 | 0.650 | 0 |'
    assert lines[4:7] == ['', '| variant | iterations | seed | '
                          'up_voc07/AP50 | non-finite steps |',
                          '|---|---|---|---|---|']
    assert lines[7:] == ['| none | 2000 | 0 | 0.600 | 0 |',
                         '| none | 2000 | 1 | 0.700 | 0 |',
                         '| rotaug | 2000 | 0 | 0.650 | 0 |']


def test_run_arguments_of_the_study_tools(tmp_path, capsys, monkeypatch):
    p = ssdd.run_arg_parser('x')
    p.add_argument('--extra', type=int, default=1)
    monkeypatch.chdir(tmp_path)
    a = ssdd.parse_run_args(p, ['--detector', 'obb', '--data-root', 'd',
                                '--out', 'o.json', '--extra', '3'])
    assert a.variants == ['none', 'mmrotate', 'rotaug'] and a.extra == 3
    assert a.data_root == str(tmp_path / 'd') + '/'
    assert a.out == str(tmp_path / 'o.json') and osp.isabs(a.work_dir)
    with pytest.raises(SystemExit):
        ssdd.parse_run_args(p, ['--detector', 'obb', '--variants',
                                'mmdet-filter'])
    assert "unknown obb variants ['mmdet-filter']" in capsys.readouterr().err


def test_doc_tables_means_bold_best_and_tta_gains():
    keys = [k for k, _ in ssdd.DOC_COLUMNS]

    def rec(variant, seed, base, tta_gain, nonfinite=0):
        m = {k: base for k in keys}
        m.update({f'tta_{k}': base + tta_gain for k in keys})
        r = _record('obb', variant, seed, **m)
        r['nonfinite'] = nonfinite
        return r
    results = [rec('rotaug', 1, 0.50, 0.02), rec('none', 0, 0.40, -0.01),
               rec('rotaug', 0, 0.60, 0.04, 3), rec('none', 1, 0.44, 0.01)]
    smoke = rec('mmrotate', 0, 0.9, 0.0)
    smoke['max_eval_images'] = 2
    plain, tta = ssdd.doc_tables(results + [smoke], 'obb').split('\n\n')
    rows = plain.splitlines()[2:]
    # variants in the proof's order, each seed after the mean; no smoke test
    assert [r.split(' | ')[:2] for r in rows] == [
        ['| none', 'mean'], ['| none', '0'], ['| none', '1'],
        ['| rotaug', 'mean'], ['| rotaug', '0'], ['| rotaug', '1']]
    assert rows[0].count('0.420 ± 0.028') == 6 and '**' not in rows[0]
    assert rows[3].count('**0.550 ± 0.071**') == 6
    assert rows[3].endswith('| 3/0 |') and rows[4].endswith('| 3 |')
    trows = tta.splitlines()[2:]
    assert trows[0].count('0.420 ± 0.042 (+0.0)') == 6
    assert trows[4].count('0.640 (+4.0)') == 6
    # one variant with fewer seeds: no best is claimed
    assert '**' not in ssdd.doc_tables(results[:3], 'obb')
    # another schedule is never averaged in; nothing to show is said
    longer = rec('none', 2, 0.9, 0.0)
    longer['iters'] = 4000
    with pytest.raises(ValueError, match=r'runs of \[2000, 4000\]'):
        ssdd.doc_tables(results + [longer], 'obb')
    assert ssdd.doc_tables(results + [longer], 'obb', 2000) == \
        ssdd.doc_tables(results, 'obb')
    assert ssdd.doc_tables(results, 'hbb') == '(no hbb runs)'
