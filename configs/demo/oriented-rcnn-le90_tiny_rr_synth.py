# Demo: Oriented R-CNN with a light backbone on the synthetic DOTA-style
# data, trained on the CPU in minutes with rotaug's random rotation.
#   python tools/data/synth_dota.py --out data/synth_dota
#   python tools/train.py configs/demo/oriented-rcnn-le90_tiny_rr_synth.py
_base_ = [
    '../_base_/models/oriented-rcnn-le90_r50_fpn.py',
    './_tiny_synth.py'
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
        bbox_head=dict(in_channels=64, fc_out_channels=256, num_classes=5)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=500),
        rcnn=dict(sampler=dict(num=256))),
    test_cfg=dict(
        rpn=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(max_per_img=200)))
