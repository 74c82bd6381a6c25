"""The one options object: the transforms' signatures keep its defaults,
every path validates through it, and the repr fragment rebuilds it."""
import inspect
from dataclasses import fields

import pytest

from rotaug.compat import rotaug_fragment
from rotaug.models import BatchRandomRotate
from rotaug.options import BATCH_OPTIONS, SANITIZE_OPTIONS, RotationOptions
from rotaug.transforms import Rotate, SanitizeGT

DEFAULTS = {f.name: getattr(RotationOptions(), f.name)
            for f in fields(RotationOptions) if f.init}


@pytest.mark.parametrize('cls, names', [
    (Rotate, tuple(DEFAULTS)), (SanitizeGT, SANITIZE_OPTIONS),
    (BatchRandomRotate, BATCH_OPTIONS)])
def test_signatures_keep_the_options_defaults(cls, names):
    """A transform's explicit keyword arguments (for users and their
    editors) default to what :class:`RotationOptions` says, and it holds
    exactly those options."""
    params = inspect.signature(cls.__init__).parameters
    for name in names:
        assert name in params, name
        built = RotationOptions(**{name: params[name].default})
        assert getattr(built, name) == DEFAULTS[name], name
    t = cls()
    if cls is Rotate:  # MMRotate's repr, then the options that differ
        assert repr(t).endswith(rotaug_fragment(t.options) + ')')
        assert 'clip_border=True' in repr(t)
    else:
        assert t.options.fragment(names) in repr(t)


def test_fragment_rebuilds_the_options():
    opts = RotationOptions(expand=True, img_border_value=(1, 2, 3),
                           interpolation='nearest', angle_version=None,
                           angle_keys=['yaw'], instance_keys=['gt_ids'],
                           out_box_type='hbox', min_visible_ratio=0.1)
    again = eval(f'RotationOptions({opts.fragment()})',
                 dict(RotationOptions=RotationOptions))
    assert again == opts
    assert opts.border_scalar == (1.0, 2.0, 3.0)
    assert RotationOptions(img_border_value=7).border_scalar == (7.0, ) * 3


def test_unknown_option_names_are_refused():
    with pytest.raises(KeyError, match='bogus'):
        RotationOptions().fragment(['bogus'])
    with pytest.raises(TypeError):
        RotationOptions(bogus=1)


def test_clip_border_takes_clamp_and_update_validates_in_place():
    assert RotationOptions(clip_border='clamp').clamp
    assert not RotationOptions(clip_border='clamp').clip
    for bad in ('yes', 'Clamp', 1):
        with pytest.raises(ValueError, match='clip_border'):
            RotationOptions(clip_border=bad)
    with pytest.raises(ValueError, match='clip_border'):
        BatchRandomRotate(clip_border='clamp')  # no batch counterpart
    opts = RotationOptions()
    policy = opts.policy
    opts.update(min_size=3.0, mask_interpolation=None)
    assert opts.min_size == 3.0 and opts.policy.min_size == 3.0
    assert opts.policy is not policy and opts.bitmap_interpolation == \
        'bilinear'
    with pytest.raises(ValueError, match='mask_interpolation'):
        opts.update(mask_interpolation='cubic')
    assert opts.mask_interpolation is None  # unchanged by the refusal
