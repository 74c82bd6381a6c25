# Shared settings of the demo configs on the synthetic DOTA-style data of
# tools/data/synth_dota.py: small images, with the light backbone and the
# short CPU schedule of _tiny.py.
_base_ = ['../_base_/datasets/dota_rr.py', './_tiny.py']
data_root = 'data/synth_dota/'
classes = ('plane', 'ship', 'small-vehicle', 'large-vehicle', 'storage-tank')
metainfo = dict(classes=classes)
rect_obj_labels = [4]  # storage-tank: rotate only by multiples of 90
img_scale = (320, 320)

train_pipeline = [
    dict(type='mmdet.LoadImageFromFile'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(type='mmrotate.ConvertBoxType',
         box_type_mapping=dict(gt_bboxes='rbox')),
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
    dict(type='mmdet.LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(type='mmrotate.ConvertBoxType',
         box_type_mapping=dict(gt_bboxes='rbox')),
    dict(type='mmdet.PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor'))
]
train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    persistent_workers=True,
    dataset=dict(
        metainfo=metainfo,
        data_root=data_root,
        ann_file='train/labelTxt/',
        data_prefix=dict(img_path='train/images/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=1,
    persistent_workers=True,
    dataset=dict(
        metainfo=metainfo,
        data_root=data_root,
        ann_file='val/labelTxt/',
        data_prefix=dict(img_path='val/images/'),
        diff_thr=0,
        pipeline=val_pipeline))
test_dataloader = dict(
    batch_size=4,
    num_workers=1,
    persistent_workers=True,
    dataset=dict(
        metainfo=metainfo,
        data_root=data_root,
        ann_file='test/labelTxt/',
        data_prefix=dict(img_path='test/images/'),
        diff_thr=0,
        test_mode=True,
        pipeline=val_pipeline))
# full images, no patches to merge
val_evaluator = dict(
    _delete_=True, type='rotaug.DOTAMetric', merge_patches=False)
test_evaluator = val_evaluator
# test-time augmentation (tools/test.py --tta, docs/tta.md): the views of
# the DOTA configs at this scale; at most as many boxes as one view keeps
tta_model = dict(tta_cfg=dict(max_per_img=200))
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
                   box_type_mapping=dict(gt_bboxes='rbox'))],
             [dict(type='mmdet.PackDetInputs',
                   meta_keys={{_base_.tta_meta_keys}})]
         ])
]

