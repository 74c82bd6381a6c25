"""Robust DOTA ingest: malformed lines reported with file:line and
counted, headers skipped, real samples load, image sizes from headers."""

import cv2
import numpy as np
import pytest

from rotaug.datasets import (DOTADataset, parse_dota_label_file,
                             write_dota_label_file)

CLASSES = ('plane', 'ship')
GOOD = '10 10 50 10 50 30 10 30 plane 0'
BAD = {
    'wrong field count': '10 10 50 10 50 30 10 30 plane 0 extra',
    'non-numeric coordinates': '10 10 5O 10 50 30 10 30 plane 0',
    'non-finite coordinates': '10 10 nan 10 50 30 10 30 plane 0',
    'unknown class': '10 10 50 10 50 30 10 30 car 0',
    'degenerate polygon': '10 10 50 10 50 10 10 10 plane 0',
    'self-intersecting polygon': '10 10 50 40 50 10 10 30 plane 0',
    'bad difficult flag': '10 10 50 10 50 30 10 30 plane x',
}


def _write(path, lines):
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def test_headers_are_skipped_and_nine_fields_mean_not_difficult(tmp_path):
    f = _write(tmp_path / 'a.txt', ['imagesource:GoogleEarth',
                                     'gsd:0.146343590398', '', GOOD,
                                     '1 1 9 1 9 9 1 9 ship'])
    objs, rep = parse_dota_label_file(f, CLASSES)
    assert [o['line'] for o in objs] == [4, 5]
    assert [o['difficult'] for o in objs] == [0, 0]
    assert objs[1]['label'] == 1 and objs[0]['poly'].shape == (8, )
    assert rep.num_dropped == 0


@pytest.mark.parametrize('reason', sorted(BAD))
def test_each_malformed_line_is_reported_with_file_and_line(tmp_path,
                                                           reason):
    f = _write(tmp_path / 'b.txt', [GOOD, BAD[reason], GOOD])
    objs, rep = parse_dota_label_file(f, CLASSES)
    assert len(objs) == 2 and rep.num_dropped == 1
    assert sum(v for k, v in rep.skipped.items() if reason in k) == 1
    assert rep.examples[0].startswith(f'{f}:2: ')
    with pytest.raises(ValueError, match=f'b.txt:2: .*{reason.split()[0]}'):
        parse_dota_label_file(f, CLASSES, strict=True)


def test_write_then_read_round_trip(tmp_path):
    objs = [dict(poly=np.arange(8.0) * 3 + [0, 0, 5, 0, 5, 5, 0, 5],
                 class_name='ship', difficult=1)]
    objs[0]['poly'] = np.array([0, 0, 10, 0, 10, 6, 0, 6.0])
    f = str(tmp_path / 'c.txt')
    write_dota_label_file(f, objs, header=['imagesource:x', 'gsd:1'])
    back, _ = parse_dota_label_file(f, CLASSES)
    np.testing.assert_allclose(back[0]['poly'], objs[0]['poly'])
    assert back[0]['difficult'] == 1 and back[0]['class_name'] == 'ship'


def _tiny_dataset(tmp_path):
    (tmp_path / 'images').mkdir()
    (tmp_path / 'labelTxt').mkdir()
    cv2.imwrite(str(tmp_path / 'images' / 'x.png'),
                np.zeros((37, 53, 3), np.uint8))
    cv2.imwrite(str(tmp_path / 'images' / 'nolabel.png'),
                np.zeros((5, 5, 3), np.uint8))
    _write(tmp_path / 'labelTxt' / 'x.txt',
           ['gsd:1', GOOD, BAD['unknown class'], '1 1 9 1 9 9 1 9 ship 1'])
    _write(tmp_path / 'labelTxt' / 'orphan.txt', [GOOD])


def test_dataset_summary_sizes_and_strict(tmp_path, caplog):
    _tiny_dataset(tmp_path)
    ds = DOTADataset(data_root=str(tmp_path), ann_file='labelTxt/',
                     data_prefix=dict(img_path='images/'),
                     metainfo=dict(classes=CLASSES), diff_thr=0)
    assert len(ds) == 1
    info = ds.get_data_info(0)
    assert (info['height'], info['width']) == (37, 53)
    assert [i['ignore_flag'] for i in info['instances']] == [0, 1]
    assert ds.parse_report.num_dropped == 1
    assert ds.missing['label files without an image'] == 1
    assert ds.missing['images without a label file'] == 1
    with pytest.raises(ValueError, match=r'x.txt:3'):
        DOTADataset(data_root=str(tmp_path), ann_file='labelTxt/',
                    data_prefix=dict(img_path='images/'),
                    metainfo=dict(classes=CLASSES), strict=True)


def test_real_samples_and_a_pipeline(dota_samples_dir):
    from mmcv.transforms import Compose
    src = dota_samples_dir
    n_lines = sum(1 for line in (src / 'labelTxt' / 'P1888.txt').read_text(
    ).splitlines() if line.strip() and ':' not in line.split()[0])
    ds = DOTADataset(data_root=str(src), ann_file='labelTxt/',
                     data_prefix=dict(img_path='images/'))
    infos = {ds.get_data_info(i)['img_id']: ds.get_data_info(i)
             for i in range(len(ds))}
    assert len(infos['P1888']['instances']) == n_lines
    img = cv2.imread(str(src / 'images' / 'P2805__1024__0___0.png'))
    p2805 = infos['P2805__1024__0___0']
    assert (p2805['height'], p2805['width']) == img.shape[:2]
    # the thumbnail's labels lie outside it: loaded as they are
    xs = np.array([i['bbox'][0::2] for i in p2805['instances']])
    assert xs.max() > img.shape[1]
    pipe = Compose([
        dict(type='mmdet.LoadImageFromFile'),
        dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
        dict(type='mmrotate.ConvertBoxType',
             box_type_mapping=dict(gt_bboxes='rbox')),
        dict(type='rotaug.SanitizeGT'),
        dict(type='mmdet.PackDetInputs')
    ])
    idx = [ds.get_data_info(i)['img_id'] for i in range(len(ds))]
    out = pipe(ds.get_data_info(idx.index('P2805__1024__0___0')))
    b = out['data_samples'].gt_instances.bboxes.tensor
    h, w = img.shape[:2]
    assert (b[:, 0] <= w).all() and (b[:, 1] <= h).all()


@pytest.fixture
def dota_samples_dir():
    from conftest import dota_samples
    return dota_samples()


@pytest.mark.parametrize('missing', ['images', 'labels'])
def test_missing_data_says_how_to_make_it(tmp_path, missing):
    """A config whose data is missing ends in an error that names the
    folder and the commands that make the data."""
    root = tmp_path / 'data'
    (root / 'images').mkdir(parents=True)
    if missing == 'labels':
        cv2.imwrite(str(root / 'images' / 'a.png'),
                    np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(FileNotFoundError) as err:
        DOTADataset(data_root=str(root), ann_file='labelTxt/',
                    data_prefix=dict(img_path='images/'),
                    metainfo=dict(classes=('plane', )), pipeline=[])
    text = str(err.value)
    folder = 'images' if missing == 'images' else 'labelTxt'
    assert folder in text
    assert 'tools/data/dota/split.py' in text
    assert 'tools/data/synth_dota.py' in text
