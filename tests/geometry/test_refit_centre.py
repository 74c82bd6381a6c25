"""An object seen only by one of its corners is refitted to the box that
spans the corner and the two points where its sides leave the canvas: that
box's centre lies exactly on the border. Rounding must not send it off the
canvas, where the policy would drop a visible object by chance (it did for
about 0.3 % of the visible crossing rboxes of random scenes)."""
import numpy as np
import pytest
import torch

from rotaug.geometry import image_rotation, rbox_to_poly, warp_boxes
from rotaug.geometry.boxes import BOX_TYPES
from rotaug.policy import GTPolicy


def _scene(rng, n=4000):
    w, h = (int(v) for v in rng.integers(100, 700, 2))
    ctr = np.c_[rng.uniform(-40, w + 40, n), rng.uniform(-40, h + 40, n)]
    boxes = np.c_[ctr, rng.uniform(2, 120, (n, 2)),
                  rng.uniform(-np.pi, np.pi, (n, 1))]
    return boxes, w, h


def _as(boxes, box_type):
    poly = rbox_to_poly(boxes)
    if box_type == 'qbox':
        return poly.reshape(-1, 8)
    if box_type == 'hbox':
        return np.c_[poly.min(1), poly.max(1)]
    return boxes


@pytest.mark.parametrize('box_type', ['rbox', 'qbox', 'hbox'])
@pytest.mark.parametrize('torch_input', [False, True])
def test_clipped_boxes_keep_their_centre_on_the_canvas(box_type,
                                                       torch_input):
    rng = np.random.default_rng(3)
    seen = 0
    for _ in range(12):
        boxes, w, h = _scene(rng)
        angle = float(rng.uniform(-180, 180))
        m, (nw, nh) = image_rotation(w, h, angle, bool(rng.integers(0, 2)))
        b = _as(boxes, box_type)
        if torch_input:
            b, m = torch.from_numpy(b), torch.from_numpy(m)
        wb = warp_boxes(b, box_type, m, nw, nh, src_width=w, src_height=h)
        if torch_input:
            wb = wb.map(lambda a: a.numpy())
        seen_now = wb.visible > 0
        assert wb.centre_inside[seen_now].all()
        ctr = BOX_TYPES[box_type].centres(wb.boxes)[seen_now]
        assert (ctr >= 0).all() and (ctr[:, 0] <= nw).all() and \
            (ctr[:, 1] <= nh).all()
        # the policy never drops a visible, clipped object for its centre
        assert not GTPolicy().decide(wb).reasons['centre_outside'].any()
        seen += int((wb.crossing & seen_now).sum())
    assert seen > 1000  # the scenes cross the border a lot


def test_a_corner_seen_alone_is_kept_with_its_centre_on_the_border():
    """Objects poking one corner into the top of the canvas (no turn):
    each refitted box spans the corner and the two points where its sides
    leave the canvas, so its centre lies on the border, y = 0."""
    rng = np.random.default_rng(5)
    n = 400
    t = rng.uniform(0.2, np.pi / 2 - 0.2, n)  # no side along the border
    w, h = rng.uniform(20, 60, n), rng.uniform(8, 20, n)
    # the lowest corner 5-9 px into the canvas, the rest above it
    depth = rng.uniform(5, 9, n)
    c, s = np.cos(t), np.sin(t)
    low = np.abs(w * s) / 2 + np.abs(h * c) / 2  # centre to lowest corner
    boxes = np.c_[rng.uniform(100, 400, n), depth - low, w, h, t]
    wb = warp_boxes(boxes, 'rbox', np.eye(3), 512, 300, src_width=512,
                    src_height=300)
    one = (rbox_to_poly(boxes)[..., 1] > 0).sum(1) == 1
    assert one.sum() > 100 and (wb.visible[one] > 0).all()
    y = wb.boxes[one, 1]
    assert (y >= 0).all() and (y < 1e-9).all()  # on the top border
    d = GTPolicy(min_visible_ratio=0.0, ignore_visible_ratio=0.0).decide(wb)
    assert d.keep.all()
