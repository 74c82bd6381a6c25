# RoI Transformer, R50-FPN, 1x on DOTA with rotaug's random rotation.
_base_ = [
    '../_base_/models/roi-trans-le90_r50_fpn.py',
    '../_base_/datasets/dota_rr.py', '../_base_/schedules/schedule_1x.py',
    '../_base_/default_runtime.py'
]
