#!/usr/bin/env bash
# The RBox-SSDD proof's runs in order, one training at a time (docs/real_proof.md).
# Resumable: each command skips the runs its --out already holds, and a run cut
# short continues from its last checkpoint in WORK (every 250 iterations).
#   bash tools/benchmarks/ssdd_proof_queue.sh [DATA_ROOT] [WORK]
# Runs with one torch thread: on a 2-core machine shared with other work, two
# threads wait on each other (docs/real_proof.md, "CPU time").
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="${1:-data/ssdd/train}"
WORK="${2:-$HOME/.cache/rotaug/real_proof}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
PY="${PYTHON:-.venv/bin/python}"
run() {
  "$PY" tools/benchmarks/rotation_proof.py --dataset ssdd --data-root "$DATA" \
    --val-every 5 --iters 2000 --work-dir "$WORK" "$@"
}
run --detector obb --seeds 0 --val-interval 250 --out docs/results/ssdd_obb.json
run --detector hbb --seeds 0 --val-interval 250 --out docs/results/ssdd_hbb.json
run --detector obb --seeds 1 --out docs/results/ssdd_obb.json
run --detector hbb --seeds 1 --out docs/results/ssdd_hbb.json
