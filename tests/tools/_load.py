"""Load a script of tools/ as a module (through tools/benchmarks/harness.py,
the one loader the tools and the tests share)."""
import importlib.util
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _harness():
    if 'harness' not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            'harness', osp.join(REPO, 'tools', 'benchmarks', 'harness.py'))
        mod = importlib.util.module_from_spec(spec)
        sys.modules['harness'] = mod
        spec.loader.exec_module(mod)
    return sys.modules['harness']


harness = _harness()


def load_tool(rel_path: str):
    """``tools/<rel_path>`` as a module, loaded once per process."""
    return harness.load_tool(osp.join('tools', rel_path))
