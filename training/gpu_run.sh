#!/usr/bin/env bash
# One lent-GPU call that cannot waste its draw. Every phase is bounded by an absolute deadline
# taken from the call's own time limit: build a corpus on the device (its Python standard library
# and site-packages, licence-checked by corpus.py, plus the carried JS/TS records and HumanEval
# signatures, near-duplicates dropped), train (train.py --gpu, continuing from the shipped
# model's weights when the architecture is the same; DC_GPU_INIT= names another model folder,
# empty: from scratch) with fp16 weight parts renamed into $OUT every 2 minutes (a killed call
# still returns the latest weights), export the ONNX model, and score
# HumanEval single-line pass@1 there (device_eval.py). All output, tracebacks included, goes to
# $OUT/run.log and to the terminal. $OUT ends with at most 8 files of at most 16 MiB:
# weights.pt.partNN + weights.json, run.log, device-eval.json, then log.jsonl, sources.json.gz
# and model.onnx while slots are left.
#
#   here:    /usr/bin/python3 training/gpu.py prepare      # training/data/gpu/ + transfer-size check
#   device:  run(command="bash training/gpu_run.sh 560", carry=["training/data/gpu"], timeout_s=570)
#   here:    /usr/bin/python3 training/gpu.py collect FILES_AT
#   CPU dry run (the shipped model at a tiny batch with the GPU features, a few seconds of training,
#   the deadline fires during training):
#            DC_GPU_DRY=1 PYTHON=/usr/bin/python3 OUT=/tmp/gpu-dry bash training/gpu_run.sh 60
set -uo pipefail
LIMIT=${1:?usage: bash training/gpu_run.sh LIMIT_SECONDS, the timeout_s of the device call}
START=$(date +%s)
OUT=${OUT:?OUT must name the output folder}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
cd "$(dirname "$0")/.." || exit 1   # the repository root; DC_GPU_DATA is relative to it (or absolute)
export PYTHONUNBUFFERED=1
PY=${PYTHON:-python3}
DATA=${DC_GPU_DATA:-training/data/gpu}
MAX_FILES=8
MAX_BYTES=$((16 * 1024 * 1024))

if [ -n "${DC_GPU_DRY:-}" ]; then
  DEVICE=cpu MARGIN=3 EXPORT_S=6 EVAL_S=6 MIN_TRAIN=3
  CORPUS_ARGS=(--max-files 4 --test-frac 0.3)
  # the GPU configuration's throughput features, guarded (torch 1.13 has no torch.compile: it says so)
  TRAIN_ARGS=(--tiny --max-steps 0 --snapshot-minutes 0.05 --workers 1 --pack --accum 2 --ce-chunk 32 --compile)
  EVAL_ARGS=(--limit 3 --workers 2)
else
  DEVICE=cuda MARGIN=20 EXPORT_S=40 EVAL_S=100 MIN_TRAIN=60
  CORPUS_ARGS=()
  TRAIN_ARGS=(--gpu --snapshot-minutes 2 --workers 14)
  EVAL_ARGS=()
fi
END=$((START + LIMIT - MARGIN))          # everything is written by then
TRAIN_END=$((END - EVAL_S - EXPORT_S))   # train.py's --deadline: it stops 20 s before and saves

left() { echo $((END - $(date +%s))); }
say() { echo "== [+$(($(date +%s) - START)) s, $(left) s left] $*"; }

room() { # free slots in $OUT, one kept for device-eval.json until it is written
  local n
  n=$(find "$OUT" -maxdepth 1 -type f ! -name '*.tmp' | wc -l)
  [ -e "$OUT/device-eval.json" ] || n=$((n + 1))
  echo $((MAX_FILES - n))
}

ship() { # SRC NAME: copy into $OUT (atomically) when it fits, else say why not
  local size
  if [ ! -e "$1" ]; then
    say "$2 was not written"
    return
  fi
  size=$(stat -c %s "$1")
  if [ "$size" -gt "$MAX_BYTES" ]; then
    say "$2 is $size bytes, over 16 MiB: not returned"
  elif [ "$(room)" -lt 1 ]; then
    say "$2: no slot left of $MAX_FILES: not returned"
  else
    cp "$1" "$OUT/$2.tmp" && mv "$OUT/$2.tmp" "$OUT/$2"
  fi
}

main() {
  say "gpu_run.sh: limit $LIMIT s, device $DEVICE, training until $((TRAIN_END - 20 - START)) s, all written by $((END - START)) s"
  command -v nvidia-smi >/dev/null && nvidia-smi -L
  local name tok work std sites rc bound init
  name=$($PY -c 'import json; print(json.load(open("src/defaults.json"))["model"])') || return 1
  tok=models/$name/tokenizer.json
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT

  for f in humaneval-signatures.txt jsts.jsonl.xz HumanEval-SingleLineInfilling.jsonl.gz; do
    if [ ! -e "$DATA/$f" ]; then
      say "ERROR: $DATA/$f is missing: run gpu.py prepare here and name $DATA in the call's carry"
      return 2
    fi
  done
  bound=$((TRAIN_END - 20 - MIN_TRAIN - $(date +%s)))
  if [ "$bound" -le 0 ]; then
    say "ERROR: a limit of $LIMIT s leaves no time to train"
    return 2
  fi
  say "corpus (at most $bound s)"
  std=$($PY -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
  sites=$($PY -c 'import site; print(" ".join(site.getsitepackages()))')
  # shellcheck disable=SC2086  # several site-packages folders
  timeout "$bound" $PY training/corpus.py --out "$work/corpus" --stdlib "$std" --site-packages $sites \
    --signatures "$DATA/humaneval-signatures.txt" --extra-jsonl "$DATA/jsts.jsonl.xz" --near-dup 0.8 "${CORPUS_ARGS[@]}"
  rc=$?
  if [ "$rc" != 0 ]; then
    say "ERROR: the corpus build failed (exit $rc; 124: it ran out of time)"
    return 1
  fi

  # runs add up: continue from the shipped weights (its ONNX read back) unless the architecture changed
  init=${DC_GPU_INIT-models/$name}
  say "training (deadline +$((TRAIN_END - START)) s, warm start: ${init:-none})"
  timeout -k 10 $((TRAIN_END + 30 - $(date +%s))) $PY training/train.py --out "$work/run" --corpus "$work/corpus" \
    --tokenizer "$tok" --device "$DEVICE" --deadline "$TRAIN_END" --snapshot-dir "$OUT" \
    ${init:+--warm-start "$init"} "${TRAIN_ARGS[@]}"
  rc=$?
  [ "$rc" = 0 ] || say "ERROR: training exited with $rc; going on with the last snapshot"
  if [ ! -e "$OUT/weights.json" ]; then
    say "ERROR: no weights were written"
    return 1
  fi
  ship "$work/run/log.jsonl" log.jsonl
  gzip -c "$work/corpus/sources.json" >"$work/sources.json.gz"
  ship "$work/sources.json.gz" sources.json.gz

  $PY training/gpu.py join "$OUT" "$work/weights.pt" || return 1
  bound=$(($(left) - EVAL_S / 2))
  say "export (at most $bound s)"
  if [ "$bound" -gt 0 ] && timeout "$bound" $PY training/export.py --ckpt "$work/weights.pt" --name "$name" --out "$work/export"; then
    ship "$work/export/$name/model.onnx" model.onnx
  else
    say "ERROR: no export (it failed or no time was left); gpu.py collect exports the weights here"
  fi

  bound=$(($(left) + MARGIN / 2))
  say "HumanEval single-line pass@1 (until +$((END - START)) s)"
  if [ "$bound" -gt 0 ]; then
    timeout -k 5 "$bound" $PY training/device_eval.py --ckpt "$work/weights.pt" \
      --tasks "$DATA/HumanEval-SingleLineInfilling.jsonl.gz" --out "$OUT/device-eval.json" \
      --deadline "$END" --device "$DEVICE" "${EVAL_ARGS[@]}" || say "ERROR: device_eval.py exited with $?"
  fi

  ls -l "$OUT"
  say "$(find "$OUT" -maxdepth 1 -type f | wc -l) files in \$OUT (at most $MAX_FILES); done $((START + LIMIT - $(date +%s))) s before the call's limit"
}

main 2>&1 | tee "$OUT/run.log"
exit "${PIPESTATUS[0]}"
