# Shared settings of the demo configs: the synthetic DOTA-style data of
# tools/data/synth_dota.py, small images, a light backbone with no
# pretrained weights (nothing downloads), a short CPU schedule.
_base_ = [
    '../_base_/datasets/dota_rr.py', '../_base_/schedules/schedule_1x.py',
    '../_base_/default_runtime.py'
]
data_root = 'data/synth_dota/'
classes = ('plane', 'ship', 'small-vehicle', 'large-vehicle', 'storage-tank')
metainfo = dict(classes=classes)
rect_obj_labels = [4]  # storage-tank: rotate only by multiples of 90
img_scale = (320, 320)
max_iters = 600
val_interval = 600

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

train_cfg = dict(
    _delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
    val_interval=val_interval)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=50),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[int(max_iters * 0.75)], gamma=0.1)
]
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4),
    clip_grad=dict(max_norm=35, norm_type=2))
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', by_epoch=False,
                    interval=max_iters, max_keep_ckpts=1),
    visualization=dict(type='mmdet.DetVisualizationHook', draw=False))
log_processor = dict(by_epoch=False, window_size=20)
env_cfg = dict(dist_cfg=dict(backend='gloo'),
               mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0))
randomness = dict(seed=0)

# the light model: ResNet-18 at a quarter of the width, from scratch
tiny_backbone = dict(
    _delete_=True,
    type='mmdet.ResNet',
    depth=18,
    base_channels=16,
    num_stages=4,
    out_indices=(0, 1, 2, 3),
    frozen_stages=-1,
    norm_cfg=dict(type='BN', requires_grad=True),
    norm_eval=False,
    style='pytorch',
    init_cfg=None)
tiny_neck = dict(type='mmdet.FPN', in_channels=[16, 32, 64, 128],
            out_channels=64, num_outs=5)
