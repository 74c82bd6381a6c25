"""Install the rotaug plugin (the package lives in projects/rotaug).

MMRotate 1.x is not listed in ``install_requires``: users install it under
two names (``mmrotate`` from source, as MMRotate's docs say, or PyPI's
``mmrotate-dev``, MMRotate's dev-1.x code), and pip cannot tell that either
satisfies the other, so listing one would install a second copy of the same
package over the first. ``import rotaug`` checks for it instead and says how
to install it.
"""
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
    python_requires='>=3.11',  # tested: 3.11 (README, version table)
    package_dir={'': 'projects'},
    packages=find_packages('projects', include=['rotaug', 'rotaug.*']),
    install_requires=[
        'mmengine>=0.10,<1.0', 'mmcv>=2.0.0,<2.2.0', 'mmdet>=3.0,<3.4',
        'shapely>=2,<3', 'numpy'
    ],
    # cv2 comes with mmcv (opencv-python or -headless, whichever is there)
    extras_require={'mmrotate': ['mmrotate-dev>=1.0.1']},
    zip_safe=False,
)
