"""ssdd_bootstrap.py: paired, clustered resampling of matched images."""
import os.path as osp
import sys

import numpy as np
import pytest

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _load import harness, load_tool  # noqa: E402

boot = load_tool('benchmarks/ssdd_bootstrap.py')


def test_turned_images_are_drawn_with_their_source():
    names = ['a_r000', 'a_r045', 'b_r000', 'b_r045', 'c', 'd_r2']
    assert [boot.ssdd.source_id(n) for n in names] == \
        ['a', 'a', 'b', 'b', 'c', 'd_r2']
    assert boot.ssdd.source_id(boot.ssdd.turned_id('a_r1', 315.0)) == 'a_r1'
    draws = boot.cluster_draws(names, 200, seed=3)
    seen = set()
    for d in draws:
        counts = np.bincount(d, minlength=6)
        # the two turns of a source always come together
        assert counts[0] == counts[1] and counts[2] == counts[3]
        # four sources drawn, each bringing all of its images
        assert counts[0] + counts[2] + counts[4] + counts[5] == 4
        seen.add(tuple(counts))
    assert len(seen) > 10  # draws differ
    again = boot.cluster_draws(names, 200, seed=3)
    assert all((x == y).all() for x, y in zip(draws, again))


def _rect(x1, y1, x2, y2):
    return [x1, y1, x2, y1, x2, y2, x1, y2]


def _images(shift):
    """Five images of one ship each, detected with a box shifted by
    ``shift[i]`` px (IoU falling with the shift), and one false alarm."""
    names, dets, gts = [], [], []
    for i, s in enumerate(shift):
        names.append(f'img{i}')
        gts.append(dict(polys=np.array([_rect(10, 10, 30, 20)], float),
                        labels=np.array([0]), difficult=np.array([False])))
        dets.append(dict(polys=np.array([_rect(10 + s, 10, 30 + s, 20),
                                         _rect(60, 60, 70, 70)], float),
                         scores=np.array([0.9 - 0.1 * i, 0.5]),
                         labels=np.array([0, 0])))
    return names, dets, gts


def test_metrics_and_paired_differences():
    from rotaug.evaluation import eval_dota_map, mean_ap
    good = boot.ssdd.match_detections(*_images([0, 0, 1, 0, 2]), 1)
    worse = boot.ssdd.match_detections(*_images([0, 4, 5, 6, 2]), 1)
    got = boot.metrics_of(worse)
    names, dets, gts = _images([0, 4, 5, 6, 2])
    ref = mean_ap(eval_dota_map(dets, gts, 1, [0.5 + 0.05 * i
                                               for i in range(10)], False))
    assert got['coco/mAP'] == pytest.approx(ref.mean())
    assert got['coco/AP75'] == pytest.approx(ref[5])
    assert got['voc07/AP50'] == pytest.approx(mean_ap(
        eval_dota_map(dets, gts, 1, 0.5, True))[0])
    draws = boot.cluster_draws(good['names'], 300, seed=0)
    g, w = boot.resampled(good, draws), boot.resampled(worse, draws)
    assert g['observed'] == boot.metrics_of(good)
    assert g['draws']['coco/AP75'][7] == \
        boot.metrics_of(good, draws[7])['coco/AP75']
    # a model against itself: zero, on every draw
    same = boot.paired([g], [g])
    for m in same.values():
        assert m['diff'] == m['lo'] == m['hi'] == 0
        assert m['above_zero'] == m['below_zero'] == 0
    # better localisation: AP75 ahead on the observed images and on most
    # draws, but not on all (a draw of the images where both are equal)
    res = boot.paired([g], [w])
    ap75 = res['coco/AP75']
    assert ap75['diff'] == pytest.approx(boot.metrics_of(good)['coco/AP75'] -
                                         got['coco/AP75'])
    assert ap75['diff'] > 0 and ap75['lo'] <= ap75['diff'] <= ap75['hi']
    assert 0.5 < ap75['above_zero'] < 1 and ap75['below_zero'] == 0
    # two seeds: the mean difference, each draw applied to both seeds
    two = boot.paired([g, g], [w, g])['coco/AP75']
    assert two['diff'] == pytest.approx(ap75['diff'] / 2)
    assert (two['lo'], two['hi']) == pytest.approx((ap75['lo'] / 2,
                                                    ap75['hi'] / 2))
    assert two['above_zero'] == ap75['above_zero']
    with pytest.raises(ValueError, match='one pair a seed'):
        boot.paired([g, g], [w])
    # the share that keeps the sign is rounded down: 100% means every draw
    assert boot._fmt(dict(diff=0.01, lo=0.0, hi=0.02, above_zero=0.9996,
                          below_zero=0.0004)).endswith('99.9%')
    assert boot._fmt(dict(diff=-0.01, lo=-0.02, hi=0.0, above_zero=0.0,
                          below_zero=1.0)) == '-1.0 [-2.0, +0.0] 100.0%'


def test_observed_values_are_checked_against_the_proof(tmp_path):
    proof = tmp_path / 'proof.json'
    harness.write_json(str(proof), dict(eval_subset='val', val_every=5,
                                        results=[dict(
        detector='hbb', variant='rotaug', seed=0, iters=2000,
        metrics={'up_coco/AP75': 0.25, 'tta_up_coco/AP75': 0.30})]))
    rows = {('rotaug', 0, 'up', 'plain'): {'coco/AP75': 0.25},
            ('rotaug', 0, 'up', 'tta'): {'coco/AP75': 0.31},
            ('none', 0, 'up', 'plain'): {'coco/AP75': 0.5}}  # not recorded
    bad, compared, missing = boot.check_against_proof(rows, str(proof),
                                                      'hbb', 2000, 5)
    assert len(bad) == 1 and 'tta_up_coco/AP75: 0.310000 here' in bad[0]
    assert compared == 2 and missing == ['none seed 0']
    # another detector's runs: nothing compared, every run said missing
    assert boot.check_against_proof(rows, str(proof), 'obb', 2000, 5)[1:] \
        == (0, ['none seed 0', 'rotaug seed 0'])
    with pytest.raises(ValueError, match='not this validation split'):
        boot.check_against_proof(rows, str(proof), 'hbb', 2000, 4)
    with pytest.raises(FileNotFoundError):
        boot.check_against_proof(rows, str(tmp_path / 'x.json'), 'hbb',
                                 2000, 5)


def test_arguments_are_checked_before_any_prediction(tmp_path, capsys):
    work = str(tmp_path / 'work')
    with pytest.raises(SystemExit):
        boot.main(['--splits', 'up', '--tta', 'rot', '--work-dir', work])
    assert "--tta ['rot']: not in --splits ['up']" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        boot.main(['--detector', 'obb', '--variants', 'none', 'rotaug',
                   '--work-dir', work])
    err = capsys.readouterr().err
    assert 'not trained in' in err and 'ssdd_obb_none_seed0_it2000, ' \
        'ssdd_obb_rotaug_seed0_it2000' in err


def test_table_of_a_result_file(tmp_path, capsys):
    cell = dict(diff=-0.012, lo=-0.03, hi=0.004, above_zero=0.1,
                below_zero=0.8996)
    row = dict(comparison='rotaug - none', split='rot', seed='mean',
               **{m[0]: cell for m in boot.METRICS})
    out = tmp_path / 'b.json'
    harness.write_json(str(out), dict(rows=[row]))
    boot.main(['--table', str(out)])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith('| comparison | split | seed | voc07/AP50')
    assert lines[2] == '| rotaug - none | rot | mean | ' + ' | '.join(
        ['-1.2 [-3.0, +0.4] 89.9%'] * 3) + ' |'
    with pytest.raises(SystemExit, match='no such file'):
        boot.main(['--table', str(tmp_path / 'none.json')])
