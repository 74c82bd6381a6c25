"""tools/data/label_offset.py: the bright pixels' centroid against the
label's centre, in the continuous pixel convention."""
import json
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _load import load_tool  # noqa: E402

lo = load_tool('data/label_offset.py')


def _scene(root, shift):
    """Two bright ships on noise, labelled ``shift`` px off their pixels;
    the image stored as JPEG bytes in a .png file, as RBox-SSDD does."""
    os.makedirs(osp.join(root, 'images'))
    os.makedirs(osp.join(root, 'labelTxt'))
    rng = np.random.default_rng(0)
    img = rng.integers(0, 20, (60, 80), dtype=np.uint8)
    img[10:16, 20:40] = 250   # pixels 20..39 x 10..15: [20, 40) x [10, 16)
    img[40:52, 60:66] = 250
    ok, buf = cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, 100])
    buf.tofile(osp.join(root, 'images', 'a.png'))
    dx, dy = shift
    lines = []
    for x0, y0, x1, y1 in ((20, 10, 40, 16), (60, 40, 66, 52)):
        q = np.array([x0, y0, x1, y0, x1, y1, x0, y1], float)
        q[0::2] += dx
        q[1::2] += dy
        lines.append(' '.join(f'{v:g}' for v in q) + ' ship 0')
    with open(osp.join(root, 'labelTxt', 'a.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    # a label file whose image is missing is counted, not fatal
    open(osp.join(root, 'labelTxt', 'b.txt'), 'w').write(lines[0] + '\n')


@pytest.mark.parametrize('shift', [(0, 0), (-0.5, -1.0), (1.0, 0.0)])
def test_offset_of_shifted_labels(tmp_path, shift):
    _scene(str(tmp_path / 'd'), shift)
    res = lo.measure(str(tmp_path / 'd'), ['ship'])
    assert res['objects'] == 2
    every = res['sizes'][0]
    # labels moved by (dx, dy) sit (-dx, -dy) from the bright pixels
    np.testing.assert_allclose(every['mean'], [-shift[0], -shift[1]],
                               atol=0.05)


def test_cli_and_unreadable_image(tmp_path, capsys):
    root = str(tmp_path / 'd')
    _scene(root, (0.5, 0.5))
    out = str(tmp_path / 'o.json')
    lo.main([root, '--out', out])
    text = capsys.readouterr().out
    assert '1 label files without an image' in text and '| all | 2 |' in text
    assert json.load(open(out))['objects'] == 2
    open(osp.join(root, 'images', 'a.png'), 'wb').write(b'not an image')
    with pytest.raises(ValueError, match='a.png: not a readable image'):
        lo.measure(root, ['ship'])
    with pytest.raises(FileNotFoundError, match='images/ and labelTxt/'):
        lo.measure(str(tmp_path), ['ship'])
