"""Install the rotaug plugin (the package lives in projects/rotaug)."""
import os.path as osp
import re

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_version():
    with open(osp.join(HERE, 'projects', 'rotaug', 'version.py')) as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


setup(
    name='rotaug',
    version=read_version(),
    description='Exact rotation augmentation and robust ground-truth handling '
    'for rotated object detection (MMDetection 3.x / MMRotate 1.x plugin)',
    long_description=open(osp.join(HERE, 'README.md')).read()
    if osp.exists(osp.join(HERE, 'README.md')) else '',
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9',
    package_dir={'': 'projects'},
    packages=find_packages('projects', include=['rotaug', 'rotaug.*']),
    install_requires=[
        'mmengine>=0.10,<1.0', 'mmcv>=2.0.0,<2.2.0', 'mmdet>=3.0,<3.4',
        'mmrotate-dev>=1.0.1', 'shapely>=2,<3', 'numpy', 'opencv-python'
    ],
    zip_safe=False,
)
