# RBox-SSDD (SAR ships, one class) in DOTA layout, with rotaug's random
# rotation and ground-truth sanitizer. tools/data/ssdd/README.md says where
# to get the data and how to lay it out:
#   data/ssdd/train/{images,labelTxt}   the official training split
#   data/ssdd/test/{images,labelTxt}    the official test split (inshore and
#                                       offshore together), for the final
#                                       figure only
# The images are JPEG bytes in files named .png: they are decoded by
# content. Validation during development: every fifth training image by
# sorted name (subset='val', val_every=5), trained on the other four
# fifths (subset='train'). The test dataloader scores that validation split
# too; point it at the official test split for the final figure only:
#   --cfg-options test_dataloader.dataset.ann_file=test/labelTxt/ \
#     test_dataloader.dataset.data_prefix.img_path=test/images/ \
#     test_dataloader.dataset.subset=None
dataset_type = 'rotaug.SSDDDataset'
data_root = 'data/ssdd/'
backend_args = None
img_scale = (512, 512)
val_every = 5
# ships are not symmetric under quarter turns: every class turns freely
rect_obj_labels = None

train_pipeline = [
    dict(type='mmdet.LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(type='mmrotate.ConvertBoxType',
         box_type_mapping=dict(gt_bboxes='rbox')),
    # clip/drop labels that lie (partly) outside their image
    dict(type='rotaug.SanitizeGT', angle_version='le90'),
    # the boxes are clipped exactly already (MMRotate's boxes cannot clip)
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True,
         clip_object_border=False),
    dict(type='mmdet.RandomFlip', prob=0.75,
         direction=['horizontal', 'vertical', 'diagonal']),
    dict(type='rotaug.RandomRotate', prob=0.5, angle_range=180,
         rect_obj_labels=rect_obj_labels, angle_version='le90'),
    dict(type='mmdet.PackDetInputs')
]
val_pipeline = [
    dict(type='mmdet.LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    # annotations after the resize: boxes stay in original coordinates
    dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(type='mmrotate.ConvertBoxType',
         box_type_mapping=dict(gt_bboxes='rbox')),
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
        ann_file='train/labelTxt/',
        data_prefix=dict(img_path='train/images/'),
        subset='train',
        val_every=val_every,
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='train/labelTxt/',
        data_prefix=dict(img_path='train/images/'),
        subset='val',
        val_every=val_every,
        diff_thr=0,
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader
# VOC07 AP50 (the SSDD papers' figure) on whole images
val_evaluator = dict(
    type='rotaug.DOTAMetric', merge_patches=False, use_07_metric=True)
test_evaluator = val_evaluator

# Test-time augmentation (tools/test.py --tta; docs/tta.md): four quarter
# turns mapped back exactly and fused per class
tta_model = dict(
    type='rotaug.RotatedTTAModel',
    tta_cfg=dict(merge='wbf', iou_thr=0.45, score_mode='avg',
                 max_per_img=100, angle_version='le90'))
tta_meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape',
                 'scale_factor', 'homography_matrix')
tta_pipeline = [
    dict(type='mmdet.LoadImageFromFile', backend_args=backend_args),
    dict(type='TestTimeAug',
         transforms=[
             [dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True)],
             [dict(type='rotaug.Rotate', rotate_angle=a, expand=True)
              for a in (0, 90, 180, 270)],
             [dict(type='mmdet.LoadAnnotations', with_bbox=True,
                   box_type='qbox')],
             [dict(type='mmrotate.ConvertBoxType',
                   box_type_mapping=dict(gt_bboxes='rbox'))],
             [dict(type='mmdet.PackDetInputs', meta_keys=tta_meta_keys)]
         ])
]
