#!/usr/bin/env bash
# Distributed training with torchrun: tools/dist_train.sh CONFIG NPROC [args]
# On machines without CUDA the gloo backend is used.
CONFIG=$1
NPROC=$2
shift 2
PORT=${PORT:-29500}
DIR="$(cd "$(dirname "$0")" && pwd)"
PY=${PYTHON:-python}
PYTHONPATH="$DIR/..:$PYTHONPATH" \
exec "$PY" -m torch.distributed.run --nproc_per_node="$NPROC" \
    --master_port="$PORT" "$DIR/train.py" "$CONFIG" --launcher pytorch "$@"
