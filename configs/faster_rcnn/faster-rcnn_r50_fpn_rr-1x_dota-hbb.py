# MMDetection's horizontal Faster R-CNN on DOTA (HBB, Task2-style boxes).
# Ground truths are loaded as the DOTA quadrilaterals, rotated exactly by
# rotaug, and only then turned into the tight horizontal box of each turned,
# clipped quadrilateral (rotaug.SanitizeGT(out_box_type='hbox') at the end
# of the pipeline), so the horizontal boxes are exact, not the loose
# envelope of a rotated box.
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    '../_base_/datasets/dota_rr.py', 'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py'
]
default_scope = 'mmdet'
custom_imports = dict(imports=['rotaug'], allow_failed_imports=False)
custom_hooks = [dict(type='rotaug.NonFiniteLossHook')]

model = dict(roi_head=dict(bbox_head=dict(num_classes=15)))

backend_args = None
rect_obj_labels = [9, 11]  # storage-tank, roundabout
# mmdet's transforms carry the mmdet. prefix: rotaug.DOTADataset builds its
# pipeline in the rotaug scope, whose transforms descend from MMEngine's
# root, where a bare LoadAnnotations is mmcv's. LoadImageFromFile is mmcv's
# in every scope (mmdet has none of its own) and stays bare.
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(type='rotaug.SanitizeGT'),
    # the boxes are clipped exactly already (MMRotate's boxes cannot clip)
    dict(type='mmdet.Resize', scale=(1024, 1024), keep_ratio=True,
         clip_object_border=False),
    dict(type='mmdet.RandomFlip', prob=0.75,
         direction=['horizontal', 'vertical', 'diagonal']),
    dict(type='rotaug.RandomRotate', prob=0.5, angle_range=180,
         rect_obj_labels=rect_obj_labels),
    # quadrilaterals -> exact horizontal boxes (no pixel work)
    dict(type='rotaug.SanitizeGT', out_box_type='hbox'),
    dict(type='mmdet.PackDetInputs')
]
val_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.Resize', scale=(1024, 1024), keep_ratio=True),
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
# test-time augmentation (tools/test.py --tta, docs/tta.md): quarter turns
# map horizontal boxes back exactly (other angles would need the hbox rule)
tta_model = dict(
    type='rotaug.RotatedTTAModel',
    tta_cfg=dict(merge='wbf', iou_thr=0.45, score_mode='avg',
                 max_per_img=2000))
tta_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='TestTimeAug',
         transforms=[
             [dict(type='mmdet.Resize', scale=(1024, 1024), keep_ratio=True)],
             [dict(type='rotaug.Rotate', rotate_angle=a, expand=True)
              for a in (0, 90, 180, 270)],
             [dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox')],
             [dict(type='mmrotate.ConvertBoxType',
                   box_type_mapping=dict(gt_bboxes='hbox'))],
             [dict(type='mmdet.PackDetInputs',
                   meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                              'scale_factor', 'homography_matrix'))]
         ])
]
optim_wrapper = dict(
    type='rotaug.NonFiniteGuardOptimWrapper',
    optimizer=dict(lr=0.005),
    clip_grad=dict(max_norm=35, norm_type=2))
