# Oriented R-CNN, R50-FPN (ImageNet weights), on RBox-SSDD (SAR ships) with
# rotaug's random rotation and ground-truth sanitizer, on MMRotate 1.x's
# SSDD schedule: 6x (72 epochs, steps at 48 and 66, SGD lr 0.0025 for a
# batch of 2, warm-up over 500 iterations), images at 512 px. For GPUs; the
# CPU-size variant is configs/demo/oriented-rcnn-le90_tiny_rr_ssdd.py.
# Data: tools/data/ssdd/README.md. Validation on every fifth training
# image; the official test split only for the final figure.
_base_ = [
    '../_base_/models/oriented-rcnn-le90_r50_fpn.py',
    '../_base_/datasets/ssdd_rr.py',
    'mmrotate::_base_/schedules/schedule_6x.py',
    '../_base_/default_runtime.py'
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=1)))
optim_wrapper = dict(type='rotaug.NonFiniteGuardOptimWrapper')
train_cfg = dict(val_interval=12)
default_hooks = dict(checkpoint=dict(interval=12, max_keep_ckpts=3))
