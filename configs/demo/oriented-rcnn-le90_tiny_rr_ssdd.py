# Demo on real data: Oriented R-CNN with the light backbone of the demo
# configs (from scratch, nothing downloads) on RBox-SSDD (SAR ships), at
# 512 px, trained on the CPU with rotaug's random rotation. Data layout and
# the validation split: configs/_base_/datasets/ssdd_rr.py and
# tools/data/ssdd/README.md. The side-by-side proof that uses it:
# tools/benchmarks/rotation_proof.py --dataset ssdd (docs/real_proof.md).
#   python tools/train.py configs/demo/oriented-rcnn-le90_tiny_rr_ssdd.py \
#     --cfg-options train_dataloader.dataset.data_root=DIR/ssdd/
_base_ = [
    '../_base_/models/oriented-rcnn-le90_r50_fpn.py',
    './_tiny_ssdd.py'
]
model = dict(
    backbone={{_base_.tiny_backbone}},
    neck={{_base_.tiny_neck}},
    rpn_head=dict(
        in_channels=64,
        feat_channels=64,
        anchor_generator=dict(scales=[4])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=64),
        bbox_head=dict(in_channels=64, fc_out_channels=256, num_classes=1)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=500),
        rcnn=dict(sampler=dict(num=256))),
    test_cfg=dict(
        rpn=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(max_per_img=100)))
