# Toy config for the engine tests (tests/engine): rotaug's runtime and
# non-finite guard on a tiny model, on the CPU.
default_scope = 'rotaug'
custom_imports = dict(imports=['rotaug', 'toy_modules'],
                      allow_failed_imports=False)
model = dict(type='ToyIdModel', nan_ids=[])
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='ToyIdDataset', num=16))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=4)
optim_wrapper = dict(
    type='rotaug.NonFiniteGuardOptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=2))
custom_hooks = [dict(type='rotaug.NonFiniteLossHook')]
log_processor = dict(by_epoch=False)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
