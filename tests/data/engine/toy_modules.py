"""A toy dataset and model for the engine tests: 16 samples with image
ids, a linear model whose loss turns NaN when the batch holds one of
``nan_ids``."""
import torch
from mmengine.dataset import BaseDataset
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement

from rotaug.registry import DATASETS, MODELS


@DATASETS.register_module(force=True)
class ToyIdDataset(BaseDataset):

    def __init__(self, num: int = 16, **kwargs) -> None:
        self.num = num
        super().__init__(serialize_data=False, lazy_init=False, **kwargs)

    def load_data_list(self):
        g = torch.Generator().manual_seed(0)
        return [
            dict(img_id=f'img{i:03d}', x=torch.randn(4, generator=g))
            for i in range(self.num)
        ]

    def prepare_data(self, idx):
        info = self.get_data_info(idx)
        return dict(inputs=info['x'],
                    data_samples=BaseDataElement(
                        metainfo=dict(img_id=info['img_id'])))


@MODELS.register_module(force=True)
class ToyIdModel(BaseModel):

    def __init__(self, nan_ids=(), **kwargs) -> None:
        super().__init__(**kwargs)
        self.nan_ids = set(nan_ids)
        self.fc = torch.nn.Linear(4, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        x = torch.stack(inputs) if isinstance(inputs, list) else inputs
        out = self.fc(x)
        if mode != 'loss':
            return out
        loss = (out - x.sum(1, keepdim=True)).pow(2).mean()
        ids = {ds.metainfo['img_id'] for ds in data_samples or []}
        if ids & self.nan_ids:
            loss = loss * float('nan')
        return dict(loss=loss)
