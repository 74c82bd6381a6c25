"""MMRotate 1.x compatibility of rotaug's rotations, in one place: the
``compat='mmrotate'`` preset (the settings under which ``Rotate``,
``RandomRotate`` and ``RandomChoiceRotate`` do what MMRotate's do), the
keyword that applies it, and the reprs in MMRotate's format.

Every difference, with the setting that removes it where there is one:
``docs/mmrotate_compat.md``."""
import functools
import inspect
from dataclasses import fields
from typing import Optional

from .options import RotationOptions

#: rotaug's options set to what MMRotate 1.x does
MMROTATE_OPTIONS = dict(
    mask_interpolation=None,  # bitmap masks with the image's interpolation
    # boxes crossing the border are not refitted; hboxes are clamped
    clip_border='clamp',
    hbox_mode='envelope',  # an hbox turns into the box of its corners
    hbox_from_masks=False,  # nor is it refitted to its mask
    angle_version=None,  # rbox angle: theta + turn, not regularised
    # kept while the centre is on the image: no visibility or size rule
    min_visible_ratio=0.0,
    ignore_visible_ratio=0.0,
    min_size=0.0,
)
#: the random rotations' own settings under which they draw and leave
#: unturned images as MMRotate 1.x does
MMROTATE_DRAWS = dict(max_redraws=0, sanitize_unrotated=False)
#: ``compat=`` name -> the keyword arguments it stands for
COMPAT_PRESETS = {'mmrotate': {**MMROTATE_OPTIONS, **MMROTATE_DRAWS}}

#: the options of MMRotate's own ``Rotate`` (printed first, in its format)
MMROTATE_ROTATE_FIELDS = ('img_border_value', 'mask_border_value',
                          'seg_ignore_label', 'interpolation')
_MMROTATE = RotationOptions(**MMROTATE_OPTIONS)


def check_compat(compat) -> Optional[str]:
    if compat is not None and compat not in COMPAT_PRESETS:
        raise ValueError(f'compat must be None (rotaug\'s defaults) or one '
                         f'of {tuple(COMPAT_PRESETS)}, got {compat!r}')
    return compat


def compat_keyword(init):
    """Decorate a transform's ``__init__`` that has a ``compat`` keyword:
    with ``compat='mmrotate'`` the preset's values stand in for the
    defaults of the preset's keyword arguments that the call leaves out
    (those it gives win). Names the signature lacks are left to
    ``__init__``, which passes ``compat`` on (to the inner ``Rotate``)."""
    sig = inspect.signature(init)
    named = {n for n, p in sig.parameters.items()
             if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}

    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        try:
            given = sig.bind(self, *args, **kwargs).arguments
        except TypeError:  # let __init__ say what is wrong
            return init(self, *args, **kwargs)
        compat = check_compat(given.get('compat', None))
        if compat is not None:
            for name, value in COMPAT_PRESETS[compat].items():
                if name in named and name not in given:
                    kwargs[name] = value
        return init(self, *args, **kwargs)

    return wrapper


def rotaug_fragment(options: RotationOptions, **draws) -> str:
    """``k=v, ...`` of every setting in which a rotation differs from
    MMRotate's: ``draws`` (``max_redraws``, ``sanitize_unrotated``) and
    the options of ``options`` other than MMRotate's own, where they are
    not what MMRotate does. Empty under ``compat='mmrotate'``."""
    parts = [f'{k}={v!r}' for k, v in draws.items()
             if v != COMPAT_PRESETS['mmrotate'][k]]
    names = [f.name for f in fields(options)
             if f.init and f.name not in MMROTATE_ROTATE_FIELDS
             and getattr(options, f.name) != getattr(_MMROTATE, f.name)]
    if names:
        parts.append(options.fragment(names))
    return ''.join(', ' + p for p in parts)
