"""DOTA ingest: robust labelTxt parsing and ``rotaug.DOTADataset``."""
from .dota import DOTADataset, SSDDDataset, select_subset
from .dota_io import (DotaParseReport, check_polygon, image_size,
                      parse_dota_label_file, parse_dota_line,
                      write_dota_label_file)

__all__ = [
    'DOTADataset', 'SSDDDataset', 'select_subset', 'DotaParseReport',
    'check_polygon', 'image_size',
    'parse_dota_label_file', 'parse_dota_line', 'write_dota_label_file'
]
