# Shared settings of the SSDD demo configs: RBox-SSDD (SAR ships,
# configs/_base_/datasets/ssdd_rr.py) with the light backbone of _tiny.py,
# trained longer than the synthetic demos. The schedule pieces that depend
# on the length follow from max_iters alone.
_base_ = ['../_base_/datasets/ssdd_rr.py', './_tiny.py']
max_iters = 2000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=50),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[int(max_iters * 0.75)], gamma=0.1)
]
default_hooks = dict(checkpoint=dict(interval=max_iters))
train_dataloader = dict(batch_size=4, num_workers=1)
val_dataloader = dict(batch_size=4, num_workers=1)
test_dataloader = val_dataloader
