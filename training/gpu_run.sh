#!/usr/bin/env bash
# One lent-GPU training call: continue the shipped model (models/dcoder-14m/weights.pt) in bf16
# on a corpus gathered on the device (its Python standard library and site-packages, licence-
# checked) plus the carried JS/TS records, then write weights (fp16, in parts under 16 MiB), the
# loss log and the corpus's sources to $OUT.
#
#   here:    /usr/bin/python3 training/gpu.py prepare          # -> training/data/gpu/ (carried)
#   device:  run(command="bash training/gpu_run.sh 7", carry=["training/data/gpu"], timeout_s=560)
#   here:    /usr/bin/python3 training/gpu.py collect FILES_AT  # export, evaluate, ship if better
#   CPU smoke test of this script: DC_GPU_SMOKE=1 OUT=/tmp/gpu-out bash training/gpu_run.sh 0.2
set -euo pipefail
MINUTES=${1:-7}
OUT=${OUT:?OUT must name the output folder}
PY=${PYTHON:-python3}
DATA=training/data/gpu
WORK=${TMPDIR:-/tmp}/dc-gpu
export PYTHONUNBUFFERED=1
rm -rf "$WORK" && mkdir -p "$WORK" "$OUT"
STD=$($PY -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
SITES=$($PY -c 'import site; print(" ".join(site.getsitepackages()))')
$PY training/corpus.py --out "$WORK/corpus" --stdlib "$STD" --site-packages $SITES \
  --signatures "$DATA/humaneval-signatures.txt" --extra-jsonl "$DATA/jsts.jsonl.gz" | tail -1
if [ -n "${DC_GPU_SMOKE:-}" ]; then
  ARGS=(--device cpu --batch 2 --max-steps 3 --workers 1)
else
  ARGS=(--device cuda --batch 64 --lr 1e-3 --workers 12)
fi
$PY training/train.py --out "$WORK/run" --corpus "$WORK/corpus" --tokenizer models/dcoder-14m/tokenizer.json \
  --init models/dcoder-14m/weights.pt --minutes "$MINUTES" "${ARGS[@]}" 2>&1 | tee "$OUT/train.log" | grep -E 'held_out|done|initialised|model:'
$PY - "$WORK/run/ckpt.pt" "$OUT" <<'PYEOF'
import sys, torch
state = torch.load(sys.argv[1], map_location="cpu", weights_only=False)
blob = {"model": {k: v.half() for k, v in state["model"].items()}, "model_config": state["model_config"],
        "tokens": state["tokens"], "step": state["step"], "seconds": state["seconds"],
        "train_config": state["train_config"]}
torch.save(blob, sys.argv[2] + "/weights.pt")
PYEOF
split -b 15M -d "$OUT/weights.pt" "$OUT/weights.pt.part" && rm "$OUT/weights.pt"
cp "$WORK/run/log.jsonl" "$OUT/log.jsonl"
gzip -c "$WORK/corpus/sources.json" > "$OUT/sources.json.gz"
ls -la "$OUT"
