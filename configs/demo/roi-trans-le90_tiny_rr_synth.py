# Demo: RoI Transformer with a light backbone on the synthetic data (CPU).
_base_ = [
    '../_base_/models/roi-trans-le90_r50_fpn.py',
    './_tiny_synth.py'
]
_stage1 = dict(
    type='mmdet.Shared2FCBBoxHead',
    predict_box_type='rbox',
    in_channels=64,
    fc_out_channels=256,
    roi_feat_size=7,
    num_classes=5,
    reg_predictor_cfg=dict(type='mmdet.Linear'),
    cls_predictor_cfg=dict(type='mmdet.Linear'),
    bbox_coder=dict(
        type='mmrotate.DeltaXYWHTHBBoxCoder',
        angle_version='le90',
        norm_factor=2,
        edge_swap=True,
        target_means=(.0, .0, .0, .0, .0),
        target_stds=(0.1, 0.1, 0.2, 0.2, 0.1),
        use_box_type=True),
    reg_class_agnostic=True,
    loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=False,
                  loss_weight=1.0),
    loss_bbox=dict(type='mmdet.SmoothL1Loss', beta=1.0, loss_weight=1.0))
_stage2 = dict(
    type='mmdet.Shared2FCBBoxHead',
    predict_box_type='rbox',
    in_channels=64,
    fc_out_channels=256,
    roi_feat_size=7,
    num_classes=5,
    reg_predictor_cfg=dict(type='mmdet.Linear'),
    cls_predictor_cfg=dict(type='mmdet.Linear'),
    bbox_coder=dict(
        type='mmrotate.DeltaXYWHTRBBoxCoder',
        angle_version='le90',
        norm_factor=None,
        edge_swap=True,
        proj_xy=True,
        target_means=[0., 0., 0., 0., 0.],
        target_stds=[0.05, 0.05, 0.1, 0.1, 0.05]),
    reg_class_agnostic=False,
    loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=False,
                  loss_weight=1.0),
    loss_bbox=dict(type='mmdet.SmoothL1Loss', beta=1.0, loss_weight=1.0))
model = dict(
    backbone={{_base_.tiny_backbone}},
    neck={{_base_.tiny_neck}},
    rpn_head=dict(
        in_channels=64,
        feat_channels=64,
        anchor_generator=dict(scales=[4])),
    roi_head=dict(
        bbox_roi_extractor=[
            dict(
                type='mmdet.SingleRoIExtractor',
                roi_layer=dict(
                    type='RoIAlign', output_size=7, sampling_ratio=0),
                out_channels=64,
                featmap_strides=[4, 8, 16, 32]),
            dict(
                type='mmrotate.RotatedSingleRoIExtractor',
                roi_layer=dict(
                    type='RoIAlignRotated', output_size=7, sampling_ratio=2,
                    clockwise=True),
                out_channels=64,
                featmap_strides=[4, 8, 16, 32]),
        ],
        bbox_head=[_stage1, _stage2]),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=500)),
    test_cfg=dict(
        rpn=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(max_per_img=200)))
