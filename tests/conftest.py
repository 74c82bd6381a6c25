"""Shared test fixtures and paths."""
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / 'shared' / 'data'
DOTA_SAMPLES = SHARED_DATA / 'dota_samples'

os.environ.setdefault('OMP_NUM_THREADS', '2')


@pytest.fixture(autouse=True)
def _rotaug_scope():
    """Import rotaug and make 'rotaug' the default scope for every test."""
    import rotaug  # noqa: F401
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('rotaug'):
        yield


def dota_samples():
    if not (DOTA_SAMPLES / 'images').is_dir():
        pytest.skip(f'DOTA samples not found at {DOTA_SAMPLES}')
    return DOTA_SAMPLES
