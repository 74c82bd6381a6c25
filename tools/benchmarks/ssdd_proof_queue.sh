#!/usr/bin/env bash
# The RBox-SSDD proof's runs in order, one training at a time (docs/real_proof.md).
# Each run is trained here, then scored in the background while the next one
# trains (scoring takes about a third of a training; one of each at a time).
# Resumable: each command skips the runs its --out already holds, a trained
# run is only scored, and a run cut short continues from its last checkpoint
# in WORK (every 250 iterations).
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
scorer=
wait_scorer() {  # a failed scoring stops the queue
  if [ -n "$scorer" ]; then wait "$scorer"; scorer=; fi
}
# a failed training stops the queue, but not the scoring of the run before
# it (else a restart would score that run twice at once)
trap 'if [ -n "$scorer" ]; then wait "$scorer" || true; fi' EXIT
# DETECTOR SEED VARIANT [extra arguments]
one() {
  local det=$1 seed=$2 var=$3; shift 3
  local out="docs/results/ssdd_${det}.json"
  run --detector "$det" --seeds "$seed" --variants "$var" --out "$out" \
    --stage train "$@"
  wait_scorer
  run --detector "$det" --seeds "$seed" --variants "$var" --out "$out" \
    --stage score &
  scorer=$!
}
for seed in 0 1; do
  for det in obb hbb; do
    if [ "$det" = obb ]; then variants="none mmrotate rotaug"
    else variants="none mmdet-filter rotaug"; fi
    for var in $variants; do
      # the learning curve for the first seed
      if [ "$seed" = 0 ]; then one "$det" "$seed" "$var" --val-interval 250
      else one "$det" "$seed" "$var"; fi
    done
  done
done
wait_scorer
for det in obb hbb; do run --detector "$det" --out "docs/results/ssdd_${det}.json" --summary; done
