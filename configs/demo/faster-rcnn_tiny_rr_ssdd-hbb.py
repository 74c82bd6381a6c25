# Demo on real data, horizontal boxes: MMDetection's Faster R-CNN with the
# light backbone of the demo configs on RBox-SSDD (SAR ships) at 512 px,
# trained on the CPU with rotaug's random rotation. Ground truths are
# loaded as the quadrilaterals, turned exactly, and only then made
# horizontal boxes (rotaug.SanitizeGT(out_box_type='hbox')): the tight box
# of each turned, clipped ship (docs/hbb_proof.md). Scored against the
# tight horizontal boxes of the labelled quadrilaterals.
#   python tools/train.py configs/demo/faster-rcnn_tiny_rr_ssdd-hbb.py \
#     --cfg-options train_dataloader.dataset.data_root=DIR/ssdd/
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    './_tiny_ssdd.py'
]
# default scope 'rotaug': MMDetection's names carry their 'mmdet.' prefix;
# the model of the mmdet:: base builds in its scope
visualizer = dict(
    _delete_=True,
    type='mmdet.DetLocalVisualizer',
    vis_backends=[dict(type='LocalVisBackend')],
    name='visualizer')
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

img_scale = (512, 512)
train_pipeline = [
    dict(type='mmdet.LoadImageFromFile'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
    # clip/drop labels that lie (partly) outside their image
    dict(type='rotaug.SanitizeGT'),
    # the boxes are clipped exactly already (MMRotate's boxes cannot clip)
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True,
         clip_object_border=False),
    dict(type='mmdet.RandomFlip', prob=0.75,
         direction=['horizontal', 'vertical', 'diagonal']),
    dict(type='rotaug.RandomRotate', prob=0.5, angle_range=180,
         rect_obj_labels=None),
    # quadrilaterals -> exact horizontal boxes
    dict(type='rotaug.SanitizeGT', out_box_type='hbox'),
    dict(type='mmdet.PackDetInputs')
]
val_pipeline = [
    dict(type='mmdet.LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(type='mmrotate.ConvertBoxType',
         box_type_mapping=dict(gt_bboxes='hbox')),
    dict(type='mmdet.PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor'))
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(type='rotaug.NonFiniteGuardOptimWrapper')
# test-time augmentation: quarter turns, which map horizontal boxes back
# exactly
tta_model = dict(
    _delete_=True,
    type='rotaug.RotatedTTAModel',
    tta_cfg=dict(merge='wbf', iou_thr=0.45, score_mode='avg',
                 max_per_img=100))
tta_pipeline = [
    dict(type='mmdet.LoadImageFromFile'),
    dict(type='TestTimeAug',
         transforms=[
             [dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True)],
             [dict(type='rotaug.Rotate', rotate_angle=a, expand=True)
              for a in (0, 90, 180, 270)],
             [dict(type='mmdet.LoadAnnotations', with_bbox=True,
                   box_type='qbox')],
             [dict(type='mmrotate.ConvertBoxType',
                   box_type_mapping=dict(gt_bboxes='hbox'))],
             [dict(type='mmdet.PackDetInputs',
                   meta_keys=('img_id', 'img_path', 'ori_shape',
                              'img_shape', 'scale_factor',
                              'homography_matrix'))]
         ])
]
