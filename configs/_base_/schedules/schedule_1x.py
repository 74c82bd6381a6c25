# MMRotate's 1x schedule, with the non-finite-loss guarding optimizer wrapper
_base_ = 'mmrotate::_base_/schedules/schedule_1x.py'

optim_wrapper = dict(type='rotaug.NonFiniteGuardOptimWrapper')
