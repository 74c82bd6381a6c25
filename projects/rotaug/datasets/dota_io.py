"""Robust reading and writing of DOTA labelTxt files.

A DOTA label line is ``x1 y1 x2 y2 x3 y3 x4 y4 class difficult``; raw DOTA
files start with ``imagesource:...`` and ``gsd:...`` header lines (MMRotate
1.x's own DOTA dataset crashes on them). Rules:

- blank lines and ``key:value`` header lines are skipped;
- 9 fields (no ``difficult``) read as difficult 0, as the DOTA devkit does;
  more than 10 fields, or fewer than 9, are malformed;
- a malformed line (wrong field count, non-numeric or non-finite
  coordinates, unknown class, bad difficult flag, zero-area or
  self-intersecting polygon) is reported as ``file:line: reason: line``,
  counted by reason in a :class:`DotaParseReport`, and skipped; with
  ``strict=True`` it raises ``ValueError`` naming ``file:line`` instead.
"""
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, List, Optional, Sequence, Tuple

import numpy as np
from shapely.geometry import Polygon

MIN_AREA = 1e-6  # polygons with a smaller area are degenerate


@dataclass
class DotaParseReport:
    """Counts of what parsing kept and skipped, with a few examples."""
    files: int = 0
    objects: int = 0
    skipped: Counter = field(default_factory=Counter)
    examples: List[str] = field(default_factory=list)
    max_examples: int = 10

    @property
    def num_dropped(self) -> int:
        return sum(self.skipped.values())

    def add(self, reason: str, where: str, line: str) -> None:
        self.skipped[reason] += 1
        if len(self.examples) < self.max_examples:
            self.examples.append(f'{where}: {reason}: {line.strip()}')

    def merge(self, other: 'DotaParseReport') -> 'DotaParseReport':
        self.files += other.files
        self.objects += other.objects
        self.skipped.update(other.skipped)
        room = self.max_examples - len(self.examples)
        self.examples.extend(other.examples[:max(room, 0)])
        return self

    def summary(self) -> str:
        text = (f'{self.files} label files, {self.objects} objects read, '
                f'{self.num_dropped} malformed lines skipped')
        if self.skipped:
            text += ' (' + ', '.join(
                f'{k}: {v}' for k, v in sorted(self.skipped.items())) + ')'
            text += ''.join(f'\n  {e}' for e in self.examples)
        return text


def _is_header(parts: List[str]) -> bool:
    """``imagesource:GoogleEarth``, ``gsd:0.146`` (or ``gsd: 0.146``):
    coordinates never contain a colon."""
    return ':' in parts[0]


def check_polygon(poly: np.ndarray) -> Optional[str]:
    """The reason a 4-point polygon (8,) is unusable, or None."""
    if not np.isfinite(poly).all():
        return 'non-finite coordinates'
    pts = poly.reshape(4, 2)
    shape = Polygon(pts)
    if shape.area < MIN_AREA or len(np.unique(pts, axis=0)) < 3:
        return 'degenerate polygon (zero area)'
    if not shape.is_valid:
        return 'self-intersecting polygon'
    return None


def parse_dota_line(line: str, cls_map: dict) -> Tuple[Optional[dict], str]:
    """Parse one line: ``(object, '')``, ``(None, 'header')`` or
    ``(None, reason)``."""
    parts = line.split()
    if not parts:
        return None, 'header'
    if _is_header(parts):
        return None, 'header'
    if len(parts) not in (9, 10):
        return None, f'wrong field count ({len(parts)}, expected 9 or 10)'
    try:
        coords = np.array([float(v) for v in parts[:8]], np.float64)
    except ValueError:
        return None, 'non-numeric coordinates'
    name = parts[8]
    if name not in cls_map:
        return None, f'unknown class {name!r}'
    difficult = 0
    if len(parts) == 10:
        try:
            difficult = int(parts[9])
        except ValueError:
            return None, f'bad difficult flag {parts[9]!r}'
    reason = check_polygon(coords)
    if reason:
        return None, reason
    return dict(poly=coords, label=cls_map[name], class_name=name,
                difficult=difficult), ''


def parse_dota_label_file(path: str,
                          classes: Sequence[str],
                          strict: bool = False,
                          report: Optional[DotaParseReport] = None
                          ) -> Tuple[List[dict], DotaParseReport]:
    """Read one DOTA labelTxt file.

    Returns ``(objects, report)``; each object is a dict with ``poly``
    (np.ndarray (8,), float64), ``label`` (index into ``classes``),
    ``class_name``, ``difficult`` and ``line`` (1-based).
    """
    report = DotaParseReport() if report is None else report
    cls_map = {c: i for i, c in enumerate(classes)}
    objects = []
    report.files += 1
    with open(path, encoding='utf-8', errors='replace') as f:
        for no, line in enumerate(f, 1):
            obj, reason = parse_dota_line(line, cls_map)
            if obj is not None:
                obj['line'] = no
                objects.append(obj)
                continue
            if reason == 'header':
                continue
            where = f'{path}:{no}'
            if strict:
                raise ValueError(f'{where}: {reason}: {line.strip()!r}')
            report.add(reason, where, line)
    report.objects += len(objects)
    return objects, report


def write_dota_label_file(path: str,
                          objects: Iterable[dict],
                          classes: Optional[Sequence[str]] = None,
                          header: Optional[Sequence[str]] = None,
                          decimals: int = 1) -> None:
    """Write objects (dicts with ``poly`` and ``class_name`` or ``label``,
    optional ``difficult``) as a DOTA labelTxt file."""
    lines = list(header or [])
    for obj in objects:
        name = obj.get('class_name')
        if name is None:
            if classes is None:
                raise ValueError('objects without class_name need classes')
            name = classes[int(obj['label'])]
        coords = ' '.join(f'{v:.{decimals}f}' for v in
                          np.asarray(obj['poly'], np.float64).reshape(-1))
        lines.append(f'{coords} {name} {int(obj.get("difficult", 0))}')
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + ('\n' if lines else ''))


def image_size(path: str) -> Optional[Tuple[int, int]]:
    """(height, width) read from the image header, without decoding the
    pixels when possible (PNG/JPEG via PIL); None if unreadable."""
    try:
        from PIL import Image
        with Image.open(path) as im:
            w, h = im.size
        return int(h), int(w)
    except Exception:  # noqa: BLE001 - any unreadable file
        return None


__all__ = [
    'DotaParseReport', 'check_polygon', 'parse_dota_line',
    'parse_dota_label_file', 'write_dota_label_file', 'image_size'
]
