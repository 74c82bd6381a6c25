"""Every config builds; the two-stage families give finite losses on CPU;
border-heavy training with rotation never yields a non-finite loss."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    f for f in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                         recursive=True)
    if '_base_' not in f and not osp.basename(f).startswith('_'))


def _load(path):
    cfg = Config.fromfile(path)
    return cfg, cfg.get('default_scope', 'mmdet')


def _rel(path):
    return osp.relpath(path, REPO)


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_config_builds_model_and_pipelines(path):
    from mmcv.transforms import Compose
    from mmdet.registry import MODELS as MMDET_MODELS
    cfg, scope = _load(path)
    with DefaultScope.overwrite_default_scope(scope):
        model = MMDET_MODELS.build(cfg.model)
        assert sum(p.numel() for p in model.parameters()) > 0
        for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            Compose(cfg[key].dataset.pipeline)
    # validation never reads the training data: another folder, or the
    # other part of one folder split by rotaug's subset/val_every
    train = cfg.train_dataloader.dataset
    for key in ('val_dataloader', 'test_dataloader'):
        ds = cfg[key].dataset
        if ds.ann_file == train.ann_file:
            assert (train.subset, ds.subset) == ('train', 'val'), key
            assert ds.val_every == train.val_every, key
            assert ds.data_prefix == train.data_prefix, key
            continue
        assert ds.data_prefix['img_path'] != train.data_prefix['img_path']
        assert 'train' not in ds.ann_file
    # nothing downloads in the demo; real configs keep ImageNet weights
    init = cfg.model.backbone.get('init_cfg')
    if '/demo/' in path:
        assert init is None
    else:
        assert init['checkpoint'] == 'torchvision://resnet50'
    assert 'rotaug.RandomRotate' in str(cfg.train_dataloader.dataset.pipeline)
    assert 'rotaug.SanitizeGT' in str(cfg.train_dataloader.dataset.pipeline)


FAMILIES = {
    'oriented_rcnn': 'configs/demo/oriented-rcnn-le90_tiny_rr_synth.py',
    'roi_trans': 'configs/demo/roi-trans-le90_tiny_rr_synth.py',
    'rotated_faster_rcnn': ('configs/rotated_faster_rcnn/'
                            'rotated-faster-rcnn-le90_r50_fpn_rr-1x_dota.py'),
    'faster_rcnn_hbb': ('configs/faster_rcnn/'
                        'faster-rcnn_r50_fpn_rr-1x_dota-hbb.py'),
}


def _batch(rng, box_type, n_img=2, size=160, border_heavy=False,
           ignore_first=False):
    """Samples through rotaug's rotation, packed as PackDetInputs does
    (``ignore_first``: the first object of each image flagged ignore)."""
    from mmcv.transforms import Compose
    from mmrotate.structures.bbox import QuadriBoxes
    from rotaug.geometry import rbox_to_poly
    pipeline = Compose([
        dict(type='rotaug.SanitizeGT'),
        dict(type='rotaug.RandomRotate', prob=1.0, angle_range=180),
    ] + ([dict(type='rotaug.SanitizeGT', out_box_type='hbox')]
         if box_type == 'hbox' else
         [dict(type='mmrotate.ConvertBoxType',
               box_type_mapping=dict(gt_bboxes='rbox'))]) +
        [dict(type='mmdet.PackDetInputs')])
    inputs, samples = [], []
    for _ in range(n_img):
        n = int(rng.integers(1, 12))
        margin = 40 if border_heavy else 0
        rb = np.c_[rng.uniform(-margin, size + margin, (n, 2)),
                   rng.uniform(4, 60, (n, 2)),
                   rng.uniform(-np.pi, np.pi, n)]
        if border_heavy:  # zero-size and tiny ones too
            rb[0, 2] = 0.0
            rb[-1, 2:4] = 0.3
        img = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
        res = dict(img=img, img_shape=(size, size), ori_shape=(size, size),
                   img_id='x', img_path='x.png', scale_factor=(1.0, 1.0),
                   gt_bboxes=QuadriBoxes(torch.tensor(
                       rbox_to_poly(rb).reshape(-1, 8), dtype=torch.float32)),
                   gt_bboxes_labels=rng.integers(0, 5, n),
                   gt_ignore_flags=np.arange(n) < int(ignore_first))
        out = pipeline(res)
        inputs.append(out['inputs'])
        samples.append(out['data_samples'])
    return dict(inputs=inputs, data_samples=samples)


def _tiny_model(path, honour_ignore=False):
    cfg, scope = _load(osp.join(REPO, path))
    if honour_ignore:  # the opt-in: priors inside ignored objects ignored
        for acfg in _assigners(cfg.model.train_cfg):
            acfg.ignore_iof_thr = 0.5
    if cfg.model.backbone.get('depth') == 50:  # keep the test light
        cfg.model.backbone.update(depth=18, init_cfg=None)
        cfg.model.neck.in_channels = [64, 128, 256, 512]
    from mmdet.registry import MODELS as MMDET_MODELS
    with DefaultScope.overwrite_default_scope(scope):
        model = MMDET_MODELS.build(cfg.model)
    model.init_weights()
    return model, scope


@pytest.mark.parametrize('family', sorted(FAMILIES))
def test_two_stage_forward_backward_is_finite(family):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model, scope = _tiny_model(FAMILIES[family], honour_ignore=True)
    with DefaultScope.overwrite_default_scope(scope):
        # ignored objects go through the assigners' ignore branch
        data = _batch(rng, 'hbox' if family == 'faster_rcnn_hbb' else 'rbox',
                      ignore_first=True)
        assert any(len(ds.ignored_instances) for ds in data['data_samples'])
        data = model.data_preprocessor(data, True)
        losses = model.loss(data['inputs'], data['data_samples'])
    total = sum(v.sum() if isinstance(v, torch.Tensor) else sum(v)
                for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


def test_border_heavy_training_never_gives_a_nonfinite_loss():
    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    model, scope = _tiny_model(FAMILIES['oriented_rcnn'])
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    with DefaultScope.overwrite_default_scope(scope):
        for it in range(20):
            data = _batch(rng, 'rbox', border_heavy=True)
            data = model.data_preprocessor(data, True)
            losses = model.loss(data['inputs'], data['data_samples'])
            total = sum(v.sum() if isinstance(v, torch.Tensor) else sum(v)
                        for k, v in losses.items() if 'loss' in k)
            assert torch.isfinite(total), (it, losses)
            opt.zero_grad()
            total.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 35)
            opt.step()


def _assigners(train_cfg):
    stages = [train_cfg.rpn]
    rcnn = train_cfg.rcnn
    stages += list(rcnn) if isinstance(rcnn, (list, tuple)) else [rcnn]
    return [s.assigner for s in stages]


@pytest.mark.parametrize('family', sorted(FAMILIES))
def test_assigners_can_honour_ignore_flags(family):
    """rotaug flags objects a quarter to a half visible as ignore. With
    ``ignore_iof_thr > 0`` (a user's opt-in; the configs keep -1, see
    docs/benchmarks.md) every assigner of every config, including those
    with horizontal priors and rotated ground truths, ignores the priors
    lying inside them."""
    from mmdet.registry import TASK_UTILS
    from mmdet.structures.bbox import HorizontalBoxes
    from mmengine.structures import InstanceData
    from mmrotate.structures.bbox import RotatedBoxes
    cfg, scope = _load(osp.join(REPO, FAMILIES[family]))
    hbb = family == 'faster_rcnn_hbb'
    gt = (HorizontalBoxes(torch.tensor([[40.0, 40, 60, 60]])) if hbb else
          RotatedBoxes(torch.tensor([[50.0, 50, 20, 20, 0]])))
    ignored = (HorizontalBoxes(torch.tensor([[120.0, 120, 180, 180]])) if hbb
               else RotatedBoxes(torch.tensor([[150.0, 150, 60, 60, 0.3]])))
    assigners = _assigners(cfg.model.train_cfg)
    assert assigners
    with DefaultScope.overwrite_default_scope(scope):
        for acfg in assigners:
            acfg = acfg.copy()
            acfg.ignore_iof_thr = 0.5
            assigner = TASK_UTILS.build(acfg)
            calc = acfg.get('iou_calculator', {}).get('type', '')
            rotated_priors = calc.endswith('.RBboxOverlaps2D')
            # one prior inside the ignored object, one on the background
            priors = (torch.tensor([[150.0, 150, 10, 10, 0],
                                    [300.0, 300, 10, 10, 0]])
                      if rotated_priors else
                      torch.tensor([[145.0, 145, 155, 155],
                                    [295.0, 295, 305, 305]]))
            res = assigner.assign(
                InstanceData(priors=priors),
                InstanceData(bboxes=gt, labels=torch.tensor([0])),
                InstanceData(bboxes=ignored, labels=torch.tensor([1])))
            assert res.gt_inds.tolist() == [-1, 0], acfg
