#!/usr/bin/env bash
# Distributed testing: tools/dist_test.sh CONFIG CHECKPOINT NPROC [args]
CONFIG=$1
CHECKPOINT=$2
NPROC=$3
shift 3
PORT=${PORT:-29500}
DIR="$(cd "$(dirname "$0")" && pwd)"
PY=${PYTHON:-python}
exec "$PY" -m torch.distributed.run --nproc_per_node="$NPROC" \
    --master_port="$PORT" "$DIR/test.py" "$CONFIG" "$CHECKPOINT" \
    --launcher pytorch "$@"
