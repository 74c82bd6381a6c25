# The light CPU setting shared by the demo configs: a short iteration-based
# schedule and a light backbone with no pretrained weights (nothing
# downloads). The data come from the configs that inherit it
# (_tiny_synth.py: the synthetic DOTA-style data; _tiny_ssdd.py: RBox-SSDD,
# with a longer schedule).
_base_ = [
    '../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py'
]
max_iters = 600
val_interval = 600

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
