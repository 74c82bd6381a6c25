"""Distributed set-up on machines without CUDA."""
import torch
import torch.distributed as dist


def init_cpu_distributed(launcher: str, backend: str = 'gloo') -> bool:
    """Start the process group for ``launcher='pytorch'`` (torchrun) when
    CUDA is absent.

    mmengine 0.10.7's ``init_dist`` calls ``torch.cuda.set_device``
    unconditionally, so CPU-only distributed training fails there; a group
    started here first makes the Runner skip its own set-up. Returns
    whether this call started it.
    """
    if launcher != 'pytorch' or torch.cuda.is_available():
        return False
    if dist.is_initialized():
        return False
    dist.init_process_group(backend=backend, init_method='env://')
    return True


def _register_cpu_ddp():
    from mmengine.model import MMDistributedDataParallel
    from mmengine.registry import MODEL_WRAPPERS

    class CPUDistributedDataParallel(MMDistributedDataParallel):
        """``MMDistributedDataParallel`` for a model on the CPU: drops the
        ``device_ids`` mmengine's Runner passes (DDP refuses them for CPU
        modules)."""

        def __init__(self, module, device_ids=None, **kwargs):
            super().__init__(module=module, device_ids=None, **kwargs)

    if 'RotaugCPUDistributedDataParallel' not in MODEL_WRAPPERS:
        MODEL_WRAPPERS.register_module(
            name='RotaugCPUDistributedDataParallel',
            module=CPUDistributedDataParallel)
    return CPUDistributedDataParallel


CPUDistributedDataParallel = _register_cpu_ddp()


def use_cpu_distributed(cfg, launcher: str) -> None:
    """Make a config train with ``launcher`` on a machine without CUDA:
    gloo backend and a CPU model wrapper. No-op with CUDA or no launcher."""
    if launcher == 'none' or torch.cuda.is_available():
        return
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg.backend = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or {}
    wrapper = dict(wrapper)
    if wrapper.get('type', 'MMDistributedDataParallel') in (
            'MMDistributedDataParallel', ):
        wrapper['type'] = 'RotaugCPUDistributedDataParallel'
        if 'find_unused_parameters' in cfg and \
                'find_unused_parameters' not in wrapper:
            wrapper['find_unused_parameters'] = cfg.find_unused_parameters
        wrapper.setdefault('broadcast_buffers', False)
        cfg.model_wrapper_cfg = wrapper
