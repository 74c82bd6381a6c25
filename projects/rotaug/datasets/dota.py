"""``rotaug.DOTADataset``: MMRotate's DOTA dataset with robust ingest."""
import glob
import os.path as osp
from collections import Counter
from typing import List, Optional, Sequence, Union

from mmengine.logging import print_log
from mmrotate.datasets import DOTADataset as _MMRotateDOTA

from ..registry import DATASETS
from .dota_io import DotaParseReport, image_size, parse_dota_label_file


SUBSETS = (None, 'train', 'val')
#: the image files :class:`SSDDDataset` reads by default
IMAGE_SUFFIXES = ('png', 'jpg', 'jpeg', 'bmp', 'tif', 'tiff')


def select_subset(data_list: List[dict], subset: Optional[str],
                  val_every: int) -> List[dict]:
    """``'val'``: every ``val_every``-th item by sorted ``img_id`` (the
    ``val_every``-th, ``2 * val_every``-th, ...); ``'train'``: the others;
    ``None``: all. The same folder always splits the same way."""
    if subset is None:
        return data_list
    ordered = sorted(data_list, key=lambda d: d['img_id'])
    want_val = subset == 'val'
    return [d for i, d in enumerate(ordered)
            if ((i + 1) % val_every == 0) == want_val]


@DATASETS.register_module()
class DOTADataset(_MMRotateDOTA):
    """DOTA (labelTxt folders) with robust label ingest.

    Same arguments and data format as MMRotate's ``DOTADataset``
    (``diff_thr``, ``img_suffix``, ``metainfo``, ``data_root``,
    ``ann_file`` (a folder; ``''`` = images only), ``data_prefix``, ...),
    plus:

    - raw DOTA header lines (``imagesource:``, ``gsd:``) are skipped;
    - malformed lines are reported with ``file:line`` and counted
      (:mod:`rotaug.datasets.dota_io`); ``strict=True`` raises instead;
    - image sizes (``height``/``width``) are read from the image headers;
    - label files without an image and images without a label file are
      counted and reported;
    - a summary is logged when the dataset is built, and kept as
      ``self.parse_report``;
    - an image whose header cannot be read (not an image, truncated,
      empty) is an error naming the file when the dataset is built, not a
      crash in a data-loader worker; images are decoded by content, so a
      JPEG stored as ``.png`` (as in RBox-SSDD) loads;
    - ``img_suffix`` may name several extensions (``('png', 'jpg')``),
      matched in any case; two images of one id are an error naming both;
    - ``subset='train' | 'val'`` with ``val_every=K`` carves a validation
      split out of one folder: ``'val'`` keeps every K-th image by sorted
      id (the K-th, 2K-th, ...), ``'train'`` the others (``None``: all).

    Annotations outside the image are loaded as they are: put
    ``rotaug.SanitizeGT`` in the pipeline to clip or drop them.
    """

    def __init__(self,
                 *args,
                 strict: bool = False,
                 subset: Optional[str] = None,
                 val_every: int = 5,
                 **kwargs) -> None:
        if subset not in SUBSETS:
            raise ValueError(f'subset must be one of {SUBSETS}, got '
                             f'{subset!r}')
        if isinstance(val_every, bool) or not isinstance(val_every, int) \
                or val_every < 2:
            raise ValueError('val_every must be an integer >= 2, got '
                             f'{val_every!r}')
        self.strict = strict
        self.subset = subset
        self.val_every = val_every
        self.unreadable: List[str] = []
        self.parse_report = DotaParseReport()
        self.missing = Counter()
        super().__init__(*args, **kwargs)

    def _suffixes(self) -> tuple:
        """``img_suffix`` as a tuple of lower-case extensions (one, as
        MMRotate's string, or several)."""
        given = (self.img_suffix, ) if isinstance(self.img_suffix, str) \
            else tuple(self.img_suffix)
        return tuple(x.lower().lstrip('.') for x in given)

    def _find_images(self, img_dir: str) -> dict:
        """``{img_id: file name}`` of the images in ``img_dir`` with one
        of the suffixes (any case). Two images of one id (``a.png`` and
        ``a.jpg``) are an error naming both."""
        suffixes = self._suffixes()
        names = {}
        for path in sorted(glob.glob(osp.join(img_dir, '*'))):
            stem, ext = osp.splitext(osp.basename(path))
            if ext.lower().lstrip('.') not in suffixes:
                continue
            if stem in names:
                raise ValueError(
                    f'{osp.join(img_dir, names[stem])} and {path}: two '
                    f'images of one id {stem!r}; keep one, or set '
                    'img_suffix to the one to read')
            names[stem] = osp.basename(path)
        return names

    def _image_info(self, img_id: str, name: str) -> dict:
        path = osp.join(self.data_prefix['img_path'], name)
        info = dict(img_id=img_id, file_name=name, img_path=path)
        size = image_size(path)
        if size is None:
            self.unreadable.append(path)
        else:
            info['height'], info['width'] = size
        return info

    def _finish(self, data_list: List[dict]) -> List[dict]:
        """Check the images, keep the subset, log the summary."""
        if self.unreadable:
            raise ValueError(
                f'{self.unreadable[0]}: not a readable image (its header '
                'cannot be decoded)' + (
                    f'; {len(self.unreadable) - 1} more unreadable images '
                    f'in {osp.dirname(self.unreadable[0])}'
                    if len(self.unreadable) > 1 else '') +
                '. Replace or remove the file.')
        data_list = select_subset(data_list, self.subset, self.val_every)
        self._log_summary(data_list)
        return data_list

    def load_data_list(self) -> List[dict]:
        img_dir = self.data_prefix['img_path']
        names = self._find_images(img_dir)
        images = set(names)
        if not images:
            raise FileNotFoundError(self._missing(img_dir, 'no ' + ', '.join(
                f'*.{x}' for x in self._suffixes()) + ' images'))
        data_list = []
        if self.ann_file == '':
            for img_id in sorted(images):
                info = self._image_info(img_id, names[img_id])
                info['instances'] = []
                data_list.append(info)
            return self._finish(data_list)
        txt_files = sorted(glob.glob(osp.join(self.ann_file, '*.txt')))
        if not txt_files:
            raise FileNotFoundError(self._missing(
                self.ann_file, 'no DOTA label files (*.txt)'))
        classes = self.metainfo['classes']
        labelled = set()
        for txt in txt_files:
            img_id = osp.splitext(osp.basename(txt))[0]
            if img_id not in images:
                self.missing['label files without an image'] += 1
                continue
            labelled.add(img_id)
            objects, _ = parse_dota_label_file(txt, classes, self.strict,
                                               self.parse_report)
            info = self._image_info(img_id, names[img_id])
            info['instances'] = [
                dict(bbox=obj['poly'].tolist(), bbox_label=obj['label'],
                     ignore_flag=int(obj['difficult'] > self.diff_thr))
                for obj in objects
            ]
            data_list.append(info)
        self.missing['images without a label file'] += len(images - labelled)
        return self._finish(data_list)

    def _missing(self, folder: str, what: str) -> str:
        """The error for a data folder that is missing or empty, saying how
        to make the data."""
        state = 'is empty' if osp.isdir(folder) else 'does not exist'
        return f'{folder} {state} ({what} found). ' + self._how_to_get_data()

    @staticmethod
    def _how_to_get_data() -> str:
        return ('Make the data first: '
                'DOTA images and labelTxt split into patches with '
                '"python tools/data/dota/split.py --src DOTA/train --dst '
                'data/split_ss_dota/train" (likewise val), or the '
                'synthetic DOTA-style data of the demo configs with '
                '"python tools/data/synth_dota.py --out data/synth_dota" '
                '(make demo does it); or point the config\'s data_root '
                '(--cfg-options train_dataloader.dataset.data_root=...) at '
                'your data.')

    def _log_summary(self, data_list: List[dict]) -> None:
        classes = self.metainfo['classes']
        per_class = Counter(classes[i['bbox_label']] for d in data_list
                            for i in d['instances'])
        part = '' if self.subset is None else \
            f', subset {self.subset!r} (every {self.val_every}th image is val)'
        lines = [f'{type(self).__name__} ({self.ann_file or "images only"}'
                 f'{part}): {len(data_list)} images, '
                 f'{sum(per_class.values())} objects']
        if per_class:
            lines.append('  per class: ' + ', '.join(
                f'{c}={per_class[c]}' for c in classes if per_class[c]))
        if self.parse_report.num_dropped:
            lines.append('  ' + self.parse_report.summary())
        for what, n in self.missing.items():
            if n:
                lines.append(f'  {n} {what} (skipped)')
        level = 30 if self.parse_report.num_dropped or any(
            self.missing.values()) else 20
        print_log('\n'.join(lines), logger='current', level=level)


@DATASETS.register_module()
class SSDDDataset(DOTADataset):
    """RBox-SSDD (SAR ships) in DOTA layout: ``ROOT/images/*.png`` (JPEG
    bytes in ``.png`` files: decoded by content) and ``ROOT/labelTxt/*.txt``
    (``x1 y1 ... x4 y4 ship 0``). One class, ``ship``. Everything else as
    :class:`DOTADataset` (``subset`` / ``val_every`` for a validation split
    carved out of the training folder). Cite T. Zhang et al., "SAR Ship
    Detection Dataset (SSDD): Official Release and Comprehensive Data
    Analysis", Remote Sensing 13(18):3690, 2021."""

    METAINFO = dict(classes=('ship', ), palette=[(0, 255, 0)])

    def __init__(self, *args,
                 img_suffix: Union[str, Sequence[str]] = IMAGE_SUFFIXES,
                 **kwargs) -> None:
        # SSDD copies come as .png (this release), .jpg (the original
        # release) or converted: any image file, decoded by content
        super().__init__(*args, img_suffix=img_suffix, **kwargs)

    @staticmethod
    def _how_to_get_data() -> str:
        return ('Get RBox-SSDD and lay it out as tools/data/ssdd/README.md '
                'says (ROOT/train/images, ROOT/train/labelTxt), then point '
                'the config\'s data_root at ROOT (--cfg-options '
                'train_dataloader.dataset.data_root=ROOT/ and likewise for '
                'val_dataloader and test_dataloader).')
