# DOTA (split into 1024x1024 patches by tools/data/dota/split.py) with
# rotaug's random rotation and ground-truth sanitizer.
_base_ = 'mmrotate::_base_/datasets/dota.py'

dataset_type = 'rotaug.DOTADataset'
data_root = 'data/split_ss_dota/'
# full-image DOTA labels of the validation set, for merged evaluation
val_gt_dir = 'data/DOTA/val/labelTxt/'
backend_args = None
# DOTA classes that look the same at any angle: rotate them only by
# multiples of 90 degrees (indices in DOTADataset.METAINFO['classes'])
rect_obj_labels = [9, 11]  # storage-tank, roundabout

train_pipeline = [
    dict(type='mmdet.LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(type='mmrotate.ConvertBoxType',
         box_type_mapping=dict(gt_bboxes='rbox')),
    # clip/drop annotations that lie (partly) outside their image
    dict(type='rotaug.SanitizeGT', angle_version='le90'),
    # the boxes are clipped exactly already (MMRotate's boxes cannot clip)
    dict(type='mmdet.Resize', scale=(1024, 1024), keep_ratio=True,
         clip_object_border=False),
    dict(type='mmdet.RandomFlip', prob=0.75,
         direction=['horizontal', 'vertical', 'diagonal']),
    dict(type='rotaug.RandomRotate', prob=0.5, angle_range=180,
         rect_obj_labels=rect_obj_labels, angle_version='le90'),
    dict(type='mmdet.PackDetInputs')
]
val_pipeline = [
    dict(type='mmdet.LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.Resize', scale=(1024, 1024), keep_ratio=True),
    # annotations after the resize: boxes stay in original coordinates
    dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(type='mmrotate.ConvertBoxType',
         box_type_mapping=dict(gt_bboxes='rbox')),
    dict(type='mmdet.PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor'))
]
test_pipeline = [
    dict(type='mmdet.LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.Resize', scale=(1024, 1024), keep_ratio=True),
    dict(type='mmdet.PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor'))
]

train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=None,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='train/annfiles/',
        data_prefix=dict(img_path='train/images/'),
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline))
# validate on the validation split, never on training data
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='val/annfiles/',
        data_prefix=dict(img_path='val/images/'),
        # difficult objects are neither positives nor false positives
        diff_thr=0,
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader

# the official DOTA Task1 number: patches merged back to full images
val_evaluator = dict(
    type='rotaug.DOTAMetric', merge_patches=True, gt_dir=val_gt_dir)
test_evaluator = val_evaluator
# DOTA test set (no labels): write Task1 submission files with
#   python tools/test.py CONFIG CKPT --format-only \
#     --cfg-options test_dataloader.dataset.ann_file='' \
#     test_dataloader.dataset.data_prefix.img_path=test/images/

# Test-time augmentation (python tools/test.py CONFIG CKPT --tta; see
# docs/tta.md): four quarter turns; each view's boxes go back to the
# original image exactly (read from 'homography_matrix' and
# 'scale_factor') and the views are fused per class. Views are merged per
# patch, then the patches per image by the metric.
tta_model = dict(
    type='rotaug.RotatedTTAModel',
    tta_cfg=dict(merge='wbf', iou_thr=0.45, score_mode='avg',
                 max_per_img=2000, angle_version='le90'))
tta_meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape',
                 'scale_factor', 'homography_matrix')
tta_pipeline = [
    dict(type='mmdet.LoadImageFromFile', backend_args=backend_args),
    dict(type='TestTimeAug',
         transforms=[
             [dict(type='mmdet.Resize', scale=(1024, 1024), keep_ratio=True)],
             [dict(type='rotaug.Rotate', rotate_angle=a, expand=True)
              for a in (0, 90, 180, 270)],
             # annotations after the views: boxes stay in original
             # coordinates
             [dict(type='mmdet.LoadAnnotations', with_bbox=True,
                   box_type='qbox')],
             [dict(type='mmrotate.ConvertBoxType',
                   box_type_mapping=dict(gt_bboxes='rbox'))],
             [dict(type='mmdet.PackDetInputs', meta_keys=tta_meta_keys)]
         ])
]
