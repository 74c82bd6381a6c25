# rotaug runtime: MMRotate's, with rotaug's scope, imports and the
# non-finite loss guard.
_base_ = 'mmrotate::_base_/default_runtime.py'

default_scope = 'rotaug'
custom_imports = dict(imports=['rotaug'], allow_failed_imports=False)
# report (with the batch's image ids) and skip any non-finite loss
custom_hooks = [dict(type='rotaug.NonFiniteLossHook')]
