# Demo: MMDetection's horizontal Faster R-CNN with the light backbone of
# the demo configs on the synthetic DOTA-style data (CPU, minutes), trained
# with rotaug's random rotation. Ground truths are loaded as the
# quadrilaterals, turned exactly, and only then made horizontal boxes
# (rotaug.SanitizeGT(out_box_type='hbox')): the tight box of each turned,
# clipped quadrilateral (see configs/faster_rcnn/ for the DOTA version and
# docs/hbb_proof.md for how the rule was chosen).
#   python tools/data/synth_dota.py --out data/synth_dota
#   python tools/train.py configs/demo/faster-rcnn_tiny_rr_synth-hbb.py
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py', './_tiny_synth.py'
]
# default scope 'rotaug' (from _tiny_synth.py): MMDetection's names carry
# their 'mmdet.' prefix; the model of the mmdet:: base builds in its scope
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
        bbox_head=dict(in_channels=64, fc_out_channels=256, num_classes=5)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=500),
        rcnn=dict(sampler=dict(num=256))),
    test_cfg=dict(
        rpn=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(max_per_img=100)))

rect_obj_labels = [4]  # storage-tank: rotate only by multiples of 90
img_scale = (320, 320)
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
         rect_obj_labels=rect_obj_labels),
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
test_dataloader = dict(dataset=dict(pipeline=val_pipeline))
# COCO-style mAP@[.5:.95] (area under the precision-recall curve at each
# IoU threshold, averaged over classes and thresholds) with AP50 and AP75
val_evaluator = dict(
    _delete_=True,
    type='rotaug.DOTAMetric',
    iou_thrs=[0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95],
    use_07_metric=False,
    merge_patches=False)
test_evaluator = val_evaluator
optim_wrapper = dict(type='rotaug.NonFiniteGuardOptimWrapper')
custom_hooks = [dict(type='rotaug.NonFiniteLossHook')]
# test-time augmentation (tools/test.py --tta, docs/tta.md): quarter turns,
# which map horizontal boxes back exactly
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
