"""``rotaug.NonFiniteLossHook``: catch and report non-finite losses with the
image ids of the batch."""
from typing import Optional, Sequence

import torch
from mmengine.hooks import Hook
from mmengine.logging import MessageHub, print_log

from ..registry import HOOKS

BATCH_IDS_KEY = 'rotaug/batch_image_ids'
COUNT_KEY = 'train/nonfinite_losses'


def batch_image_ids(data_batch) -> list:
    """``img_id`` (or ``img_path``) of every sample of a batch."""
    samples = data_batch.get('data_samples', []) if isinstance(
        data_batch, dict) else []
    ids = []
    for ds in samples or []:
        meta = getattr(ds, 'metainfo', ds if isinstance(ds, dict) else {})
        ids.append(meta.get('img_id', meta.get('img_path', '?')))
    return ids


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Publish the image ids of each training batch and report non-finite
    losses with them.

    With :class:`rotaug.engine.NonFiniteGuardOptimWrapper` the bad step is
    skipped before it touches the weights (the wrapper reads the ids this
    hook publishes); on its own, the hook reports after the fact. Either way
    the count is in the message hub as ``train/nonfinite_losses``.

    Args:
        action (str): 'warn' (default) or 'raise' on a non-finite loss seen
            by the hook.
    """
    priority = 'VERY_HIGH'

    def __init__(self, action: str = 'warn') -> None:
        if action not in ('warn', 'raise'):
            raise ValueError(f"action must be 'warn' or 'raise', got "
                             f'{action!r}')
        self.action = action
        self.count = 0

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        MessageHub.get_current_instance().update_info(
            BATCH_IDS_KEY, batch_image_ids(data_batch or {}))

    def after_train_iter(self, runner, batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if not outputs:
            return
        bad = {
            k: float(torch.as_tensor(v).detach())
            for k, v in outputs.items() if 'loss' in k and isinstance(
                v, (torch.Tensor, float, int)) and not torch.isfinite(
                    torch.as_tensor(v, dtype=torch.float64)).all()
        }
        if not bad:
            return
        hub = MessageHub.get_current_instance()
        already = hub.get_info('rotaug/nonfinite_reported_iter') == \
            runner.iter
        self.count += 1
        if not already:
            hub.update_info(COUNT_KEY, (hub.get_info(COUNT_KEY) or 0) + 1)
            msg = (f'non-finite loss at iteration {runner.iter + 1}: {bad}; '
                   f'images: {batch_image_ids(data_batch or {})}')
            if self.action == 'raise':
                raise FloatingPointError(msg)
            print_log(msg, logger='current', level=40)


__all__: Sequence[str] = ['NonFiniteLossHook', 'batch_image_ids']
