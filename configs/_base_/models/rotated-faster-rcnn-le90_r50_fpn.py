# Rotated Faster R-CNN: horizontal RPN, rotated R-CNN head (MMRotate 1.x).
_base_ = './oriented-rcnn-le90_r50_fpn.py'

angle_version = 'le90'
model = dict(
    rpn_head=dict(
        _delete_=True,
        type='mmdet.RPNHead',
        in_channels=256,
        feat_channels=256,
        anchor_generator=dict(
            type='mmdet.AnchorGenerator',
            scales=[8],
            ratios=[0.5, 1.0, 2.0],
            strides=[4, 8, 16, 32, 64],
            use_box_type=True),
        bbox_coder=dict(
            type='mmrotate.DeltaXYWHHBBoxCoder',
            target_means=[0.0, 0.0, 0.0, 0.0],
            target_stds=[1.0, 1.0, 1.0, 1.0],
            use_box_type=True),
        loss_cls=dict(
            type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='mmdet.SmoothL1Loss', beta=1.0 / 9.0,
                       loss_weight=1.0)),
    roi_head=dict(
        bbox_roi_extractor=dict(
            _delete_=True,
            type='mmdet.SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=256,
            featmap_strides=[4, 8, 16, 32]),
        bbox_head=dict(
            bbox_coder=dict(
                _delete_=True,
                type='mmrotate.DeltaXYWHTHBBoxCoder',
                angle_version=angle_version,
                norm_factor=2,
                edge_swap=True,
                target_means=(.0, .0, .0, .0, .0),
                target_stds=(0.1, 0.1, 0.2, 0.2, 0.1),
                use_box_type=True))),
    train_cfg=dict(
        rpn_proposal=dict(nms=dict(iou_threshold=0.7)),
        rcnn=dict(assigner=dict(
            iou_calculator=dict(type='rotaug.HBoxOverlaps2D')))),
    test_cfg=dict(rpn=dict(nms=dict(iou_threshold=0.7))))
