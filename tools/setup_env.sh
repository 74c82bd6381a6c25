#!/usr/bin/env bash
# Create/refresh the project virtual environment in .venv (idempotent).
#
# The pinned stack: Python 3.11, torch 2.11.0 + torchvision 0.26.0, mmengine 0.10.7,
# mmcv 2.1.0 built from source WITH ops, mmdet 3.3.0, mmrotate-dev 1.0.1, shapely 2.
#
# mmcv has no binary wheel on PyPI: the first set-up compiles it (about 11 minutes on
# 2 cores). The built wheel is cached in $ROTAUG_CACHE (default ~/.cache/rotaug/wheels),
# keyed by mmcv, torch, Python and CPU/CUDA, so later set-ups install it in seconds.
# pip's own wheel cache is not used for mmcv: it does not key on the torch version.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ROTAUG_VENV:-$ROOT/.venv}"
CACHE="${ROTAUG_CACHE:-$HOME/.cache/rotaug/wheels}"
TORCH_VERSION=2.11.0
TORCHVISION_VERSION=0.26.0
MMCV_VERSION=2.1.0
REQ="$ROOT/requirements/runtime.txt"
say() { echo "[setup] $*"; }
die() { echo "[setup] ERROR: $*" >&2; exit 1; }

# ---- prerequisites -------------------------------------------------------------
PY="${ROTAUG_PYTHON:-}"
if [[ -z "$PY" ]]; then
  for c in python3.11 python3 python; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      PY="$(command -v "$c")"; break
    fi
  done
fi
[[ -n "$PY" ]] || die "Python 3.11 is required (set ROTAUG_PYTHON=/path/to/python3.11)."
command -v "${CXX:-g++}" >/dev/null 2>&1 || die "a C++ compiler (g++) is required to build mmcv's ops."

# ---- fast path: nothing changed -------------------------------------------------
STAMP_SRC="$(cat "$0" "$REQ" "$ROOT/setup.py" | sha256sum | cut -c1-16)"
STAMP="$VENV/.rotaug-setup-stamp"
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$STAMP_SRC" ]]; then
  say "environment .venv is up to date"
  exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  say "creating virtual environment $VENV with $PY"
  "$PY" -m venv "$VENV"
fi
VPY="$VENV/bin/python"
PIP=("$VPY" -m pip --disable-pip-version-check)
"${PIP[@]}" install -q --upgrade "pip>=24" "setuptools>=77,<81" wheel ninja

# ---- torch ----------------------------------------------------------------------
if ! "$VPY" -c "import torch, torchvision, sys; sys.exit(not (torch.__version__.split('+')[0]=='$TORCH_VERSION' and torchvision.__version__.split('+')[0]=='$TORCHVISION_VERSION'))" 2>/dev/null; then
  say "installing torch==$TORCH_VERSION torchvision==$TORCHVISION_VERSION (a few GB, about 1-2 minutes)"
  "${PIP[@]}" install -q "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
fi

# ---- mmcv with ops, from a wheel cache keyed by (mmcv, torch, python, cpu/cuda) ---
PYTAG="$("$VPY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
if [[ "${FORCE_CUDA:-0}" == "1" ]]; then
  FLAVOUR="cuda$("$VPY" -c 'import torch; print(torch.version.cuda)')-arch${TORCH_CUDA_ARCH_LIST:-native}"
else
  FLAVOUR=cpu
fi
KEY="mmcv-$MMCV_VERSION-torch$TORCH_VERSION-$PYTAG-$FLAVOUR"
KEY="${KEY// /_}"
WHEEL_DIR="$CACHE/$KEY"
have_mmcv_ops() {
  "$VPY" - <<PYEOF 2>/dev/null
import sys, mmcv
from mmcv.utils import ext_loader
ext_loader.load_ext('_ext', ['nms_rotated', 'box_iou_rotated', 'roi_align_rotated_forward'])
sys.exit(mmcv.__version__ != '$MMCV_VERSION')
PYEOF
}
if ! have_mmcv_ops; then
  if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
    say "building mmcv==$MMCV_VERSION with ops against torch $TORCH_VERSION ($FLAVOUR)."
    say "This happens once per machine and takes about 10-12 minutes on 2 cores; the wheel is cached in $WHEEL_DIR"
    mkdir -p "$WHEEL_DIR.tmp"
    MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
      "${PIP[@]}" wheel --no-build-isolation --no-deps --no-cache-dir \
      -w "$WHEEL_DIR.tmp" "mmcv==$MMCV_VERSION"
    rm -rf "$WHEEL_DIR"; mv "$WHEEL_DIR.tmp" "$WHEEL_DIR"
  else
    say "installing cached mmcv wheel from $WHEEL_DIR"
  fi
  "${PIP[@]}" install -q --force-reinstall --no-deps "$WHEEL_DIR"/mmcv-*.whl
  "${PIP[@]}" install -q addict numpy opencv-python packaging pillow pyyaml yapf "mmengine==0.10.7"
  have_mmcv_ops || die "mmcv $MMCV_VERSION was installed but its ops do not load"
fi

# ---- the rest of the stack, then rotaug itself -----------------------------------
say "installing the pinned OpenMMLab stack and test tools"
"${PIP[@]}" install -q -r "$REQ"
"${PIP[@]}" install -q --no-deps --no-build-isolation -e "$ROOT"
"$VPY" -c "import rotaug, mmcv, mmdet, mmrotate; print('[setup] rotaug', rotaug.__version__, '| mmcv', mmcv.__version__, '| mmdet', mmdet.__version__, '| mmrotate', mmrotate.__version__)"
echo "$STAMP_SRC" > "$STAMP"
say "done"
