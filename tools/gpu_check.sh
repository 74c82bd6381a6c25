#!/usr/bin/env bash
# Issue 21's GPU measurements in one command (docs/gpu_check.md says how to
# prepare and call it).
#
#   bash tools/gpu_check.sh          # on the GPU machine, from the repo root
#   bash tools/gpu_check.sh --cpu    # dry run: the venv, no install or
#                                    # build, --device cpu --tiny
#
# Steps, each timed, limited and guarded (a failing step does not stop the
# next): setup (carried wheels into /tmp/site; mmcv 2.1.0 with CUDA ops
# built from the carried sdist unless a carried mmcv wheel or an earlier
# build on this machine is there), env, ops, speed, train, proof
# (rotation_proof.py with the time left), summary. Results: $OUT/*.json,
# $OUT/gpu_check.md (the page for docs/benchmarks.md), $OUT/gpu_check.log;
# on a fresh build also the mmcv wheel, when it is under 16 MiB.
#
# The results are kept in $GPU_CHECK_WORK/results and copied into $OUT at
# the end. A call that names GPU_CHECK_STEPS goes on from the last one on
# the same (still warm) machine: the other steps' results stay, the train
# step keeps the runs it has and the proof the variants it has; a call
# without it starts afresh.
#
# Environment:
#   OUT               results folder (default ./gpu_check_out)
#   GPU_CHECK_BUDGET  seconds for the whole command (default 480; cpu 900)
#   GPU_CHECK_STEPS   steps to run (default: all, from scratch:
#                     "setup env ops speed train proof")
#   GPU_CHECK_WHEELS  carried wheels and the mmcv sdist (default .whl)
#   GPU_CHECK_WORK    scratch folder (default /tmp/gpu_check_work)
#   GPU_CHECK_PROOF_ITERS  rotation_proof.py iterations (default 200)
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODE=gpu
[[ "${1:-}" == "--cpu" ]] && MODE=cpu
OUT="${OUT:-$ROOT/gpu_check_out}"
WORK="${GPU_CHECK_WORK:-/tmp/gpu_check_work}"
WHEELS="${GPU_CHECK_WHEELS:-$ROOT/.whl}"
SITE=/tmp/site
STEPS="${GPU_CHECK_STEPS:-setup env ops speed train proof}"
RES="$WORK/results"
[[ -z "${GPU_CHECK_STEPS:-}" ]] && rm -rf "$RES"
if [[ $MODE == cpu ]]; then
  BUDGET="${GPU_CHECK_BUDGET:-900}"
  PY="$ROOT/.venv/bin/python"; [[ -x "$PY" ]] || PY=python3
  DEV=(--device cpu --tiny)
  export PYTHONPATH="$ROOT/projects${PYTHONPATH:+:$PYTHONPATH}"
else
  BUDGET="${GPU_CHECK_BUDGET:-480}"
  PY=python3
  DEV=(--device cuda)
  export PYTHONPATH="$SITE:$ROOT/projects${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONUNBUFFERED=1 PY SITE WHEELS WORK OUT
mkdir -p "$OUT" "$RES"
LOG="$OUT/gpu_check.log"
TSV="$RES/steps.tsv"
touch "$TSV"
mv "$TSV" "$RES/steps.prev"
: > "$TSV"
T0=$(date +%s)
CMD="bash tools/gpu_check.sh $*"
for v in GPU_CHECK_PROOF_ITERS GPU_CHECK_BUDGET GPU_CHECK_STEPS; do
  [[ -n "${!v:-}" ]] && CMD="$v='${!v}' $CMD"
done
left() { echo $(( BUDGET - ($(date +%s) - T0) )); }
say() { echo "[gpu_check] $*" | tee -a "$LOG"; }
wanted() { [[ " $STEPS " == *" $1 "* ]]; }

# step NAME LIMIT_S MIN_S CMD...: run CMD for at most LIMIT_S (and never
# past the budget, keeping 15 s for the summary); skipped when fewer than
# MIN_S would be left or when NAME is not in GPU_CHECK_STEPS.
step() {
  local name=$1 limit=$2 min=$3; shift 3
  local avail=$(( $(left) - 15 ))
  (( limit > avail )) && limit=$avail
  if ! wanted "$name"; then  # an earlier call's row, if any
    grep "^$name"$'\t' "$RES/steps.prev" >> "$TSV" \
      || printf '%s\tnot asked\t-\t-\n' "$name" >> "$TSV"
    return 0
  fi
  if (( limit < min )); then
    say "$name: skipped, ${limit}s left of the budget (needs ${min}s)"
    printf '%s\tskipped (time)\t%s\t-\n' "$name" "$limit" >> "$TSV"; return 0
  fi
  say "=== $name (limit ${limit}s, $(left)s of ${BUDGET}s left) ==="
  local t0; t0=$(date +%s%N)
  timeout -k 10 "$limit" "$@" 2>&1 | tee -a "$LOG"
  local rc=${PIPESTATUS[0]}
  local ds=$(( ($(date +%s%N) - t0) / 100000000 ))  # tenths of a second
  local s="$(( ds / 10 )).$(( ds % 10 ))"
  (( rc == 124 || rc == 137 )) && rc="$rc (time limit)"
  say "$name: exit $rc after ${s}s"
  printf '%s\t%s\t%s\t%s\n' "$name" "$rc" "$limit" "$s" >> "$TSV"
}

# mmcv imports, its ops were compiled with CUDA, and nms_rotated runs there
cuda_mmcv() {
  "$PY" - <<'EOF' 2>/dev/null
import torch
from mmcv.ops import get_compiling_cuda_version, nms_rotated
assert get_compiling_cuda_version() not in ('', 'not available')
b = torch.tensor([[5., 5., 4., 2., .3], [5., 5., 4., 2., .2]], device='cuda')
assert nms_rotated(b, torch.tensor([.9, .8], device='cuda'), .5)[1].tolist() == [0]
EOF
}

setup() {
  set -e
  if cuda_mmcv; then echo "mmcv with CUDA ops already in $SITE: reused"; return 0; fi
  ls "$WHEELS"/*.whl >/dev/null  # no wheels carried: say so and fail
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
    --upgrade --target "$SITE" "$WHEELS"/*.whl
  if ! cuda_mmcv; then
    # built in a folder that stays on this machine: a rerun after a time
    # limit goes on where ninja stopped
    local src="$WORK/mmcv-src/mmcv-2.1.0"
    if [[ ! -f "$src/setup.py" ]]; then
      mkdir -p "$WORK/mmcv-src"
      tar xzf "$WHEELS/mmcv-2.1.0.tar.gz" -C "$WORK/mmcv-src"
    fi
    echo "building mmcv 2.1.0 with CUDA ops in $src (sm_90, 16 jobs)"
    rm -rf "$WORK/mmcv_whl"
    (cd "$src" && MMCV_WITH_OPS=1 FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST=9.0 \
      MAX_JOBS=16 python3 -m pip wheel --no-build-isolation --no-deps \
      --no-index --no-cache-dir -w "$WORK/mmcv_whl" .)
    python3 -m pip install -q --no-index --no-deps --no-compile \
      --no-cache-dir --upgrade --target "$SITE" "$WORK"/mmcv_whl/mmcv-*.whl
    bring_back_wheel || true
  fi
  cuda_mmcv
}

# the built wheel comes back in $OUT (a later fresh machine can carry it
# instead of building) when it fits the 16 MiB a returned file may have
bring_back_wheel() {
  local whl; whl=$(ls "$WORK"/mmcv_whl/mmcv-*.whl)
  if (( $(stat -c %s "$whl") > 16000000 )) && command -v strip >/dev/null; then
    (cd "$WORK" && rm -rf unpacked && python3 -m wheel unpack -d unpacked "$whl" \
      && strip --strip-debug unpacked/*/mmcv/_ext*.so \
      && rm -f "$whl" && python3 -m wheel pack -d mmcv_whl unpacked/*) || return 1
    whl=$(ls "$WORK"/mmcv_whl/mmcv-*.whl)
  fi
  if (( $(stat -c %s "$whl") <= 16000000 )); then cp "$whl" "$OUT/"; fi
  ls -la "$WORK"/mmcv_whl
}
export -f setup cuda_mmcv bring_back_wheel

say "mode $MODE, budget ${BUDGET}s, steps: $STEPS; $(date '+%F %T')"
command -v nvidia-smi >/dev/null && nvidia-smi 2>&1 | tee -a "$LOG"
if [[ $MODE == gpu ]]; then
  step setup 330 60 bash -c setup
else
  printf 'setup\tskipped (--cpu: the venv)\t-\t-\n' >> "$TSV"
fi
GC=("$PY" tools/benchmarks/gpu_check.py)
step env 60 10 "${GC[@]}" env --json "$RES/env.json"
step ops 120 20 "${GC[@]}" ops "${DEV[@]}" --json "$RES/ops.json"
step speed 150 20 "${GC[@]}" speed "${DEV[@]}" --json "$RES/speed.json"
# train: the time left after ~100 s kept for the proof, at least 120 s
TRAIN=$(( $(left) - 115 )); (( TRAIN < 120 )) && TRAIN=$(( $(left) - 15 ))
TRAIN_ARGS=(--json "$RES/train.json" --resume "$RES/train.json"
            --work-dir "$WORK/train" --budget-s $(( TRAIN - 30 )))
[[ $MODE == cpu ]] && TRAIN_ARGS+=(--workers 0)
step train "$TRAIN" 60 "${GC[@]}" train "${DEV[@]}" "${TRAIN_ARGS[@]}"
if [[ $MODE == gpu ]]; then
  step proof 600 90 "$PY" tools/benchmarks/rotation_proof.py \
    --iters "${GPU_CHECK_PROOF_ITERS:-200}" --device cuda \
    --work-dir "$WORK/proof" --out "$RES/proof.json" --resume
else  # minutes of CPU training: not in the dry run
  printf 'proof\tskipped (--cpu)\t-\t-\n' >> "$TSV"
fi
# tools/benchmarks/tta_eval.py takes no device (it runs on the CPU) and
# needs a trained checkpoint: not part of this check
cp "$RES"/*.json "$OUT"/ 2>/dev/null
"$PY" tools/benchmarks/gpu_check.py summary --out-dir "$OUT" --steps "$TSV" \
  --command "$CMD" 2>&1 | tee -a "$LOG"
say "done in $(( $(date +%s) - T0 ))s; results in $OUT: $(ls "$OUT" | tr '\n' ' ')"
