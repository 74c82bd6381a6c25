"""Foundation: registries, pinned stack, mmcv's CPU ops."""
import importlib.metadata as md

import pytest
import torch

import rotaug


def test_version_and_scope():
    assert rotaug.__version__ == md.version('rotaug')
    from rotaug.registry import TRANSFORMS
    assert TRANSFORMS.scope == 'rotaug'
    assert TRANSFORMS.get('RandomRotate') is rotaug.transforms.RandomRotate


@pytest.mark.parametrize('scope', ['mmdet', 'mmrotate', 'rotaug'])
def test_prefixed_types_resolve_from_any_scope(scope):
    from mmdet.registry import TRANSFORMS as MMDET_T
    from mmengine.registry import DefaultScope
    from mmrotate.registry import TRANSFORMS as MMROT_T
    reg = {'mmdet': MMDET_T, 'mmrotate': MMROT_T,
           'rotaug': rotaug.registry.TRANSFORMS}[scope]
    with DefaultScope.overwrite_default_scope(scope):
        t = reg.build(dict(type='rotaug.SanitizeGT'))
    assert isinstance(t, rotaug.transforms.SanitizeGT)


def test_default_scope_rotaug_finds_mmrotate_and_mmdet_modules():
    from mmengine.registry import DefaultScope
    from rotaug.registry import MODELS, TRANSFORMS
    with DefaultScope.overwrite_default_scope('rotaug'):
        assert TRANSFORMS.get('ConvertBoxType').__module__.startswith(
            'mmrotate')
        assert MODELS.get('OrientedRPNHead').__module__.startswith(
            'mmrotate')
        assert MODELS.get('mmdet.FasterRCNN').__module__.startswith('mmdet')


def test_custom_imports_from_a_users_mmdet_config(tmp_path):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    cfg_file = tmp_path / 'user_cfg.py'
    cfg_file.write_text(
        "default_scope = 'mmdet'\n"
        "custom_imports = dict(imports=['rotaug'], "
        "allow_failed_imports=False)\n"
        "pipeline = [dict(type='rotaug.RandomRotate', prob=1.0, "
        "angle_range=30)]\n")
    cfg = Config.fromfile(str(cfg_file))
    init_default_scope(cfg.default_scope)
    from mmcv.transforms import Compose
    pipe = Compose(cfg.pipeline)
    assert type(pipe.transforms[0]).__name__ == 'RandomRotate'


def test_pinned_versions():
    import mmcv
    import mmdet
    import mmengine
    import mmrotate
    import shapely
    import torchvision
    assert torch.__version__.split('+')[0] == '2.11.0'
    assert torchvision.__version__.split('+')[0] == '0.26.0'
    assert mmengine.__version__ == '0.10.7'
    assert mmcv.__version__ == '2.1.0'
    assert mmdet.__version__ == '3.3.0'
    assert md.version('mmrotate-dev') == '1.0.1' and mmrotate.__version__
    assert int(shapely.__version__.split('.')[0]) == 2


def test_box_iou_rotated_cpu():
    from mmcv.ops import box_iou_rotated
    a = torch.tensor([[5.0, 5.0, 2.0, 1.0, 0.0], [5.0, 5.0, 2.0, 2.0, 0.0],
                      [50.0, 50.0, 2.0, 2.0, 0.0]])
    b = torch.tensor([[5.0, 5.0, 1.0, 2.0, 0.0],
                      [5.0, 5.0, 2.0, 2.0, torch.pi / 2]])
    iou = box_iou_rotated(a, b)
    expected = torch.tensor([[1 / 3, 0.5], [0.5, 1.0], [0.0, 0.0]])
    torch.testing.assert_close(iou, expected, atol=1e-5, rtol=0)


def test_nms_rotated_cpu():
    from mmcv.ops import nms_rotated
    boxes = torch.tensor([[10.0, 10.0, 8.0, 4.0, 0.1],
                          [10.2, 10.0, 8.0, 4.0, 0.1],
                          [30.0, 30.0, 8.0, 4.0, 0.0],
                          [10.0, 10.0, 8.0, 4.0, 1.4]])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6])
    dets, keep = nms_rotated(boxes, scores, iou_threshold=0.5)
    assert keep.tolist() == [0, 2, 3]
    torch.testing.assert_close(dets[:, 5], scores[[0, 2, 3]])


def test_roi_align_rotated_forward_backward_cpu():
    from mmcv.ops import RoIAlignRotated
    # feature = x index of each pixel, 2 channels (x and 2x)
    xs = torch.arange(16.0).repeat(16, 1)
    feat = torch.stack([xs, 2 * xs])[None].requires_grad_(True)
    op = RoIAlignRotated(output_size=2, spatial_scale=1.0, sampling_ratio=2,
                         aligned=True, clockwise=True)
    # roi centred at continuous (8, 8) = pixel index 7.5, 4x4, no rotation
    rois = torch.tensor([[0.0, 8.0, 8.0, 4.0, 4.0, 0.0],
                         [0.0, 8.0, 8.0, 4.0, 4.0, torch.pi / 2]])
    out = op(feat, rois)
    assert out.shape == (2, 2, 2, 2)
    # bin centres at index 7.5 -+ 1: a linear ramp is sampled exactly
    torch.testing.assert_close(out[0, 0], torch.tensor([[6.5, 8.5],
                                                        [6.5, 8.5]]))
    torch.testing.assert_close(out[0, 1], 2 * out[0, 0])
    # turned by 90 degrees the ramp runs along the other output axis
    assert torch.allclose(out[1, 0][0], out[1, 0][0, 0].expand(2)) and \
        not torch.allclose(out[1, 0][0], out[1, 0][1])
    out.sum().backward()
    # bilinear weights of each inside sample sum to one: the gradient mass
    # per channel is the number of output cells of both rois
    torch.testing.assert_close(feat.grad.sum(dim=(0, 2, 3)),
                               torch.tensor([8.0, 8.0]))


def test_missing_mmrotate_says_how_to_install_it():
    """MMRotate is not in rotaug's install_requires (users have it under
    two names): without it, ``import rotaug`` says how to install it."""
    import subprocess
    import sys
    code = ("import sys; sys.modules['mmrotate'] = None\n"
            "try:\n    import rotaug\nexcept ImportError as e:\n"
            "    print(e)\n")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True).stdout
    assert 'rotaug needs MMRotate 1.x' in out
    assert 'pip install mmrotate-dev' in out and 'dev-1.x' in out


def test_installing_rotaug_never_pulls_a_second_mmrotate():
    """The package metadata lists no MMRotate distribution (only the
    optional extra does)."""
    import ast
    from pathlib import Path
    setup = (Path(__file__).resolve().parents[1] / 'setup.py').read_text()
    call = next(n for n in ast.walk(ast.parse(setup))
                if isinstance(n, ast.Call) and getattr(n.func, 'id', '') ==
                'setup')
    kw = {k.arg: ast.literal_eval(k.value) for k in call.keywords
          if k.arg in ('install_requires', 'extras_require')}
    assert not any('mmrotate' in r for r in kw['install_requires'])
    assert kw['extras_require']['mmrotate'] == ['mmrotate-dev>=1.0.1']
