"""tools/benchmarks/gpu_check*.py (issue 21's GPU check) on the CPU: the
comparisons catch planted differences and pass honest ones, the float64
IoU reference is right on hand-worked boxes, the batch-rotation config
rewrite, and the summary page."""
import json
import os.path as osp
import sys

import numpy as np
import pytest

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _load import load_tool  # noqa: E402

gc = load_tool('benchmarks/gpu_check.py')
gct = load_tool('benchmarks/gpu_check_train.py')
gcr = load_tool('benchmarks/gpu_check_report.py')


def test_iou_reference_on_hand_worked_boxes():
    b1 = np.array([[0, 0, 2, 2, 0], [0, 0, 4, 2, 0], [0, 0, 0, 3, 0],
                   [0, 0, 2, 2, 0]], float)
    b2 = np.array([[1, 0, 2, 2, 0],            # overlap 1x2: 2 / 6
                   [0, 0, 4, 2, np.pi / 2],     # a 2x2 cross: 4 / 12
                   [0, 0, 3, 3, 0],             # zero width: 0
                   [0, 0, 2, 2, np.pi / 4]])    # octagon 8(sqrt2-1): /(8-.)
    octagon = 8 * (np.sqrt(2) - 1)
    want = [1 / 3, 1 / 3, 0.0, octagon / (8 - octagon)]
    np.testing.assert_allclose(gc.iou_reference(b1, b2, aligned=True), want,
                               atol=1e-12)
    full = gc.iou_reference(b1, b2, aligned=False)
    assert full.shape == (4, 4)
    np.testing.assert_allclose(np.diag(full), want, atol=1e-12)
    assert full[0, 1] == pytest.approx(4 / 8)  # the square in the cross


def test_compare_values_catches_a_planted_difference():
    from mmcv.ops import box_iou_rotated
    import torch
    rng = np.random.default_rng(3)
    b1, b2 = gc.make_rboxes(rng, 40, 200.0), gc.make_rboxes(rng, 30, 200.0)
    ref = gc.iou_reference(b1, b2, aligned=False)
    got = box_iou_rotated(torch.tensor(b1, dtype=torch.float32),
                          torch.tensor(b2, dtype=torch.float32)).numpy()
    assert (ref > 0.05).sum() > 20  # the boxes do overlap
    ok = gc.compare_values('iou', got, ref, gc.IOU_TOL)
    assert ok['passed'] and ok['max_abs'] < gc.IOU_TOL / 10
    bad = got.copy()
    bad[3, 4] += 3 * gc.IOU_TOL
    res = gc.compare_values('iou', bad, ref, gc.IOU_TOL)
    assert not res['passed'] and res['n_over'] == 1
    bad[3, 4] = np.nan
    assert not gc.compare_values('iou', bad, ref, gc.IOU_TOL)['passed']
    assert not gc.compare_values('iou', got[:, :5], ref, 1.0)['passed']
    # relative: the same absolute error passes at a larger scale
    assert gc.compare_values('x', [1.0 + 5e-4], [1.0], 1e-4, 10.0)['passed']
    assert not gc.compare_values('x', [1.0 + 5e-4], [1.0], 1e-4, 1.0)[
        'passed']


def _shifted(dx):
    """A 10x10 box and one shifted by dx: IoU (10 - dx) / (10 + dx)."""
    return np.array([[0, 0, 10, 10, 0], [dx, 0, 10, 10, 0]], float)


def test_compare_keep_borderline_and_real_divergences():
    scores = np.array([0.9, 0.8])
    thr = 0.1
    border = _shifted(90 / 11)  # IoU exactly 0.1
    assert gc.compare_keep('n', [0, 1], [0, 1], scores, border, thr)[
        'passed']
    res = gc.compare_keep('n', [0, 1], [0], scores, border, thr)
    assert res['passed'] and res['first_divergence'] == 1
    assert res['box'] == 1 and res['iou_gap'] < 1e-9
    far = _shifted(2.0)  # IoU 8 / 12: suppressed by any honest NMS
    res = gc.compare_keep('n', [0, 1], [0], scores, far, thr)
    assert not res['passed'] and res['iou_gap'] == pytest.approx(2 / 3 - thr)
    # a divergence at the first box can never be borderline
    assert not gc.compare_keep('n', [1], [0], scores, far, thr)['passed']


def test_ops_checks_pass_on_two_cpu_devices():
    """'cpu:0' runs the path of another device (device vs cpu f32, device
    vs f64) on the CPU."""
    rng = np.random.default_rng(5)
    checks = (gc.check_iou(rng, 30, 20, 'cpu:0') +
              gc.check_nms(rng, 120, 'cpu:0') +
              gc.check_roi_align(rng, 24, 2, 16, 'cpu:0'))
    names = [c['check'] for c in checks]
    assert len(checks) == 2 * 3 + 3 + 2 * 3
    assert 'nms_rotated: cpu:0 f32 vs cpu f32' in names
    assert all(c['passed'] for c in checks), checks
    nms = [c for c in checks if c['check'].startswith('nms')]
    assert all(0 < c['kept'] < 120 for c in nms)  # NMS did suppress


def test_ops_check_fails_on_a_wrong_kernel(monkeypatch):
    """A kernel off by 1e-3 in IoU (or by a sign of the angle) fails."""
    import mmcv.ops

    true_iou = mmcv.ops.box_iou_rotated
    monkeypatch.setattr(mmcv.ops, 'box_iou_rotated',
                        lambda *a, **k: true_iou(*a, **k) + 1e-3)
    checks = gc.check_iou(np.random.default_rng(0), 20, 10, 'cpu')
    assert checks and not any(c['passed'] for c in checks)
    monkeypatch.setattr(
        mmcv.ops, 'box_iou_rotated',
        lambda b1, b2, **k: true_iou(b1 * b1.new_tensor([1, 1, 1, 1, -1]),
                                     b2 * b2.new_tensor([1, 1, 1, 1, -1]),
                                     **k))
    checks = gc.check_iou(np.random.default_rng(0), 20, 10, 'cpu')
    assert not any(c['passed'] for c in checks)


def test_batch_rotation_rewrite_of_the_configs():
    from mmengine.config import Config
    root = gct.ROOT
    cfg = Config.fromfile(osp.join(
        root, 'configs/demo/faster-rcnn_tiny_rr_synth-hbb.py'))
    aug = gct.to_batch_rotation(cfg)
    types = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert 'rotaug.RandomRotate' not in types
    sanitize = [t for t in cfg.train_dataloader.dataset.pipeline
                if t['type'] == 'rotaug.SanitizeGT']
    assert len(sanitize) == 1 and not sanitize[0].get('out_box_type')
    assert aug == dict(type='rotaug.BatchRandomRotate', prob=0.5,
                       angle_range=180, rect_obj_labels=[4],
                       out_box_type='hbox')
    assert cfg.model.data_preprocessor.batch_augments == [aug]
    with pytest.raises(ValueError, match='rotaug.RandomRotate'):
        gct.to_batch_rotation(cfg)  # none left


def test_train_config_overrides(tmp_path):
    import argparse
    a = argparse.Namespace(tiny=True, size=128, workers=0, iters=3, seed=1)
    path = 'configs/oriented_rcnn/oriented-rcnn-le90_r50_fpn_rr-1x_dota.py'
    assert path in gct.list_configs()
    assert gct.list_configs()[-1].startswith('configs/demo/')
    cfg = gct.train_config(path, 'batch', str(tmp_path) + '/',
                           str(tmp_path / 'w'), a)
    assert cfg.model.backbone.init_cfg is None
    ds = cfg.train_dataloader.dataset
    assert ds.data_root == str(tmp_path) + '/'
    assert ds.ann_file == 'train/labelTxt/'
    assert [t['scale'] for t in ds.pipeline if 'Resize' in t['type']] == [
        (128, 128)]
    assert cfg.model.data_preprocessor.batch_augments[0]['angle_version'] \
        == 'le90'
    assert cfg.train_cfg.max_iters == 3 and cfg.val_dataloader is None
    assert cfg.param_scheduler and all(
        s.get('by_epoch') is False for s in cfg.param_scheduler)


def test_summary_page(tmp_path):
    assert gcr.md_table(('a', 'b'), [(1, 0.123456)]) == \
        '| a | b |\n|---|---|\n| 1 | 0.1235 |'
    dump = dict(
        env=dict(date='2026-12-02 10:00', nvidia_smi='NVIDIA H200, 580, x',
                 cpus=16, torch='2.11.0+cu130'),
        ops=dict(device='cuda', seed=0, passed=False, checks=[
            dict(check='box_iou_rotated: cuda f32 vs cpu f32', max_abs=2e-7,
                 tol=1e-4, passed=True),
            dict(check='nms_rotated: cuda f32 vs f64', kept=9, kept_ref=10,
                 iou_gap=0.3, border=1e-4, passed=False)]),
        speed=dict(device='cuda', device_name='NVIDIA H200', batch=8,
                   size=1024, rboxes=200, repeats=20, ms_per_img_batch=0.25,
                   ms_per_img_copy=0.01, ms_per_img_cpu_1thread=50.0,
                   speedup=200.0, target=100.0),
        train=dict(device='cuda', size=1024, iters=8, untimed=2, runs=[
            dict(config='configs/x.py', variant='batch', finite=True,
                 s_per_iter=0.5, data_s_per_iter=0.125, peak_mem_gb=3.0),
            dict(config='configs/y.py', variant='pipeline',
                 skipped='budget 100 s')]))
    for name, obj in dump.items():
        (tmp_path / f'{name}.json').write_text(json.dumps(obj))
    text = gcr.summary_markdown(str(tmp_path), [('ops', '1', '120', '9.5')],
                                'bash tools/gpu_check.sh')
    assert '## GPU check (2026-12-02 10:00)' in text
    assert 'NVIDIA H200, 580, x' in text
    assert 'Command: `bash tools/gpu_check.sh`' in text
    assert '| ops | 1 | 120 | 9.5 |' in text
    assert 'FAILED' in text and '| 9/10 | False |' in text
    assert '| rotaug.BatchRandomRotate (cuda) | 0.25 | 200 |' in text
    assert '| copy of the batch (cuda: memory-traffic floor) | 0.01 | 5000 |' \
        in text
    assert '1024^2, 8 iterations, the first 2 not timed' in text
    assert '| configs/x.py | batch | True | 0.5 | 0.125 | 3 |' in text
    assert '| configs/y.py | pipeline | budget 100 s | - | - | - |' in text
    assert 'no proof.json' in text


def test_train_resume_keeps_done_runs_and_retries_skipped(tmp_path):
    import argparse
    demo = 'configs/demo/oriented-rcnn-le90_tiny_rr_synth.py'
    prev = tmp_path / 'train.json'
    prev.write_text(json.dumps(dict(runs=[
        dict(config=demo, variant='pipeline', finite=True, s_per_iter=0.5,
             wall_s=3.0),
        dict(config=demo, variant='batch', skipped='budget 10 s')])))
    assert list(gct.done_runs(str(prev))) == [(demo, 'pipeline')]
    assert gct.done_runs(str(tmp_path / 'none.json')) == {}
    # a budget already spent: the skipped run is tried again, and skipped
    a = argparse.Namespace(tiny=True, size=64, images=1, workers=0, iters=2,
                           warmup=2, seed=0, device='cpu', configs=[demo],
                           budget_s=1e-9, resume=str(prev),
                           work_dir=str(tmp_path / 'w'))
    res = gct.cmd_train(a)
    assert [r.get('resumed', False) for r in res['runs']] == [True, False]
    assert res['runs'][0]['s_per_iter'] == 0.5
    assert res['runs'][1]['skipped'] == 'budget 0 s'
    assert res['passed'] and res['untimed'] == 1
