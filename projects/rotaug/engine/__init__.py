"""Engine pieces: checkpoint loading under torch>=2.6, non-finite loss
guard."""
from .checkpoint import allow_mmengine_checkpoints, mmengine_safe_globals
from .dist import (CPUDistributedDataParallel, init_cpu_distributed,
                   use_cpu_distributed)
from .hooks import NonFiniteLossHook, batch_image_ids
from .optim_wrapper import (NonFiniteGuardAmpOptimWrapper,
                            NonFiniteGuardOptimWrapper)

allow_mmengine_checkpoints()

__all__ = [
    'allow_mmengine_checkpoints', 'mmengine_safe_globals',
    'init_cpu_distributed', 'use_cpu_distributed',
    'CPUDistributedDataParallel',
    'NonFiniteLossHook', 'batch_image_ids', 'NonFiniteGuardOptimWrapper',
    'NonFiniteGuardAmpOptimWrapper'
]
