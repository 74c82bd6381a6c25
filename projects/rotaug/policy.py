"""Rules that decide, per ground-truth object, whether it is kept, kept as
``ignore``, or dropped, and the counters that make every drop visible.

========================  =====================================================
condition                 outcome
========================  =====================================================
non-finite coordinates    dropped (``nonfinite``)
zero area                 dropped (``degenerate``); a flipped hbox (x2 < x1)
                          or an rbox with a negative side has none
visible < min_visible     dropped (``invisible``)
visible < ignore_visible  kept, clipped, ``gt_ignore_flags`` set (``ignored``)
w or h < min_size         dropped (``too_small``), measured after clipping
centre off the canvas     dropped (``centre_outside``; cannot happen after a
                          clip, guards unclipped boxes)
========================  =====================================================
"""
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List

import numpy as np
from mmengine.logging import print_log

from .geometry.backend import Array, namespace
from .geometry.warp import WarpedBoxes

DROP_REASONS = ('nonfinite', 'degenerate', 'invisible', 'too_small',
                'centre_outside')


@dataclass
class GTPolicy:
    """Clamp/drop/ignore thresholds.

    Args:
        min_visible_ratio: objects with a smaller visible fraction of their
            area are dropped. Default 0.25.
        ignore_visible_ratio: objects visible less than this (and at least
            ``min_visible_ratio``) are kept but flagged ignore. Default 0.5,
            so an object more than half visible is never dropped nor
            ignored by visibility.
        min_size: boxes narrower or lower than this many pixels after
            clipping are dropped. Default 1.0.
    """
    min_visible_ratio: float = 0.25
    ignore_visible_ratio: float = 0.5
    min_size: float = 1.0

    def __post_init__(self):
        if not 0.0 <= self.min_visible_ratio <= 1.0:
            raise ValueError('min_visible_ratio must lie in [0, 1], got '
                             f'{self.min_visible_ratio!r}')
        if not 0.0 <= self.ignore_visible_ratio <= 1.0:
            raise ValueError('ignore_visible_ratio must lie in [0, 1], got '
                             f'{self.ignore_visible_ratio!r}')
        if self.ignore_visible_ratio < self.min_visible_ratio:
            raise ValueError(
                'ignore_visible_ratio must be >= min_visible_ratio, got '
                f'{self.ignore_visible_ratio!r} < {self.min_visible_ratio!r}')
        if not self.min_size >= 0:
            raise ValueError(f'min_size must be >= 0, got {self.min_size!r}')

    def decide(self, warped: WarpedBoxes) -> 'Decision':
        """The keep / ignore decision for each of the warped boxes, with
        the reason of every drop."""
        xp = namespace(warped.boxes)
        nonfinite = ~warped.finite | ~xp.all(xp.isfinite(warped.boxes), 1)
        degenerate = ~nonfinite & ~(warped.area > 0)
        invisible = ~nonfinite & ~degenerate & (
            (warped.visible < self.min_visible_ratio)
            | ~(warped.visible > 0))
        alive = ~nonfinite & ~degenerate & ~invisible
        small = alive & ((warped.widths < self.min_size)
                         | (warped.heights < self.min_size)
                         | ~(warped.widths > 0) | ~(warped.heights > 0))
        alive = alive & ~small
        centre_out = alive & ~warped.centre_inside
        keep = alive & ~centre_out
        ignore = keep & (warped.visible < self.ignore_visible_ratio)
        return Decision(keep, ignore, dict(
            zip(DROP_REASONS,
                (nonfinite, degenerate, invisible, small, centre_out))))


@dataclass
class Decision:
    """What :meth:`GTPolicy.decide` made of N boxes: boolean arrays of
    length N (numpy or torch, as the boxes)."""
    keep: Array
    ignore: Array  # kept, but flagged ignore
    reasons: Dict[str, Array]  # one mask per drop reason (DROP_REASONS)

    def counts(self) -> Dict[str, int]:
        """How many boxes were dropped for each reason."""
        return {k: _count(v) for k, v in self.reasons.items()}

    def counts_per(self, sizes) -> List[Dict[str, int]]:
        """:meth:`counts` of consecutive groups of ``sizes`` boxes (the
        samples of a batch), read off in one transfer."""
        stacked = namespace(self.keep).stack(
            [self.reasons[k] for k in DROP_REASONS], 0)
        if not isinstance(stacked, np.ndarray):
            stacked = stacked.cpu().numpy()
        bounds = np.cumsum([0] + list(sizes))
        return [dict(zip(DROP_REASONS, (int(c) for c in np.count_nonzero(
            stacked[:, a:b], 1)))) for a, b in zip(bounds[:-1], bounds[1:])]


def _count(mask) -> int:
    if isinstance(mask, np.ndarray):
        return int(np.count_nonzero(mask))  # no Python wrapper, unlike sum
    return int(mask.sum())


@dataclass
class DropStats:
    """Running counters of what a transform kept, ignored and dropped,
    reported through mmengine's logger at most every ``log_interval`` s."""
    name: str = 'rotaug'
    log_interval: float = 60.0
    seen: int = 0
    kept: int = 0
    ignored: int = 0
    dropped: Counter = field(default_factory=Counter)
    extra: Counter = field(default_factory=Counter)
    _last_log: float = field(default=0.0, repr=False)

    @property
    def total_dropped(self) -> int:
        return sum(self.dropped.values())

    def update(self, seen: int, kept: int, ignored: int,
               dropped: Dict[str, int]) -> None:
        self.seen += int(seen)
        self.kept += int(kept)
        self.ignored += int(ignored)
        for k, v in dropped.items():
            if v:
                self.dropped[k] += int(v)
        if any(dropped.values()):
            self.maybe_log()

    def bump(self, key: str, n: int = 1) -> None:
        """Count a non-drop event (e.g. an angle redraw)."""
        self.extra[key] += n

    def summary(self) -> str:
        drops = ', '.join(f'{k}={v}' for k, v in sorted(self.dropped.items()))
        extra = ', '.join(f'{k}={v}' for k, v in sorted(self.extra.items()))
        text = (f'{self.name}: {self.seen} ground truths seen, {self.kept} '
                f'kept ({self.ignored} flagged ignore), '
                f'{self.total_dropped} dropped' +
                (f' [{drops}]' if drops else ''))
        return text + (f'; {extra}' if extra else '')

    def maybe_log(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_log >= self.log_interval:
            self._last_log = now
            print_log(self.summary(), logger='current')

    def as_dict(self) -> dict:
        return dict(seen=self.seen, kept=self.kept, ignored=self.ignored,
                    dropped=dict(self.dropped), extra=dict(self.extra))
