"""``rotaug.DOTADataset``: MMRotate's DOTA dataset with robust ingest."""
import glob
import os.path as osp
from collections import Counter
from typing import List

from mmengine.logging import print_log
from mmrotate.datasets import DOTADataset as _MMRotateDOTA

from ..registry import DATASETS
from .dota_io import DotaParseReport, image_size, parse_dota_label_file


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
      ``self.parse_report``.

    Annotations outside the image are loaded as they are: put
    ``rotaug.SanitizeGT`` in the pipeline to clip or drop them.
    """

    def __init__(self, *args, strict: bool = False, **kwargs) -> None:
        self.strict = strict
        self.parse_report = DotaParseReport()
        self.missing = Counter()
        super().__init__(*args, **kwargs)

    def _image_info(self, img_id: str) -> dict:
        name = f'{img_id}.{self.img_suffix}'
        path = osp.join(self.data_prefix['img_path'], name)
        info = dict(img_id=img_id, file_name=name, img_path=path)
        size = image_size(path)
        if size is not None:
            info['height'], info['width'] = size
        return info

    def load_data_list(self) -> List[dict]:
        img_dir = self.data_prefix['img_path']
        pattern = osp.join(img_dir, f'*.{self.img_suffix}')
        images = {
            osp.splitext(osp.basename(p))[0]
            for p in glob.glob(pattern)
        }
        if not images:
            raise FileNotFoundError(self._missing(
                img_dir, f'no *.{self.img_suffix} images'))
        data_list = []
        if self.ann_file == '':
            for img_id in sorted(images):
                info = self._image_info(img_id)
                info['instances'] = []
                data_list.append(info)
            self._log_summary(data_list)
            return data_list
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
            info = self._image_info(img_id)
            info['instances'] = [
                dict(bbox=obj['poly'].tolist(), bbox_label=obj['label'],
                     ignore_flag=int(obj['difficult'] > self.diff_thr))
                for obj in objects
            ]
            data_list.append(info)
        self.missing['images without a label file'] += len(images - labelled)
        self._log_summary(data_list)
        return data_list

    @staticmethod
    def _missing(folder: str, what: str) -> str:
        """The error for a data folder that is missing or empty, saying how
        to make the data."""
        state = 'is empty' if osp.isdir(folder) else 'does not exist'
        return (f'{folder} {state} ({what} found). Make the data first: '
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
        lines = [f'{type(self).__name__} ({self.ann_file or "images only"}): '
                 f'{len(data_list)} images, '
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
