"""Equal-compute comparison of the training recipe issue 19 proposes for the next GPU run, on the
CPU at a small size: today's recipe (AdamW), Muon, modded-nanogpt's architecture changes, and both.

Usage:
    nice -n 19 /usr/bin/python3 training/compare_recipes.py [--cpu-minutes 4] [--seeds 1 2]
        [--out training/runs/recipes] [--corpus training/data/corpus] [--tokenizer models/dcoder-17m/tokenizer.json]
    nice -n 19 /usr/bin/python3 training/compare_recipes.py --warm-start models/dcoder-17m --cpu-minutes 3

Every run: train.py on one thread for the same CPU time of its own process (--cpu-clock: a busy
machine favours none), the small configuration below, gpu_config's objective (next-token for 60 %
of the budget, then block diffusion with mask rates up to 1.0, the next-token loss beside it),
the same data and initialisation seed per seed column. Measured: the held-out masked-token
cross-entropy on real middle tokens (compare.held_out_ce: 256 examples of held-out packages,
block 16, t = 0.5; lower is better). Runs go seed by seed, so a stopped comparison still has whole
seeds; OUT/results.json is rewritten after every run and the table printed at the end.

--warm-start: the optimizers (WARM) continuing from a shipped model for the same CPU time each,
with gpu_config's objective and a 5-step warm-up, against the shipped weights' own held-out loss.
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys

from compare import held_out_ce
import torch

from dcoder import bpe, warm_start
from dcoder.config import TrainConfig
from dcoder.data import Data
from dcoder.model import DiffusionCoder, ModelConfig
from dcoder.objective import held_out_loss

HERE = os.path.dirname(os.path.abspath(__file__))
SMALL = {"n_layer": 4, "n_head": 3, "d_model": 192, "d_ff": 768}
ARCH = {"qk_norm": True, "mlp": "relu2", "tied": False, "zero_init": True}
COMMON = ["--seq-len", "384", "--batch", "8", "--warmup", "20", "--ar-frac", "0.6", "--t-range", "0.3", "1.0"]
RECIPES = [
    ("today: AdamW 2e-3, GELU, tied head", SMALL, []),
    ("Muon 0.02 (hidden matrices) + AdamW 2e-3", SMALL, ["--optimizer", "muon"]),
    ("AdamW + QK-norm, ReLU², untied zero-init head, zero-init projections", {**SMALL, **ARCH}, []),
    ("Muon + those architecture changes", {**SMALL, **ARCH}, ["--optimizer", "muon"]),
]


WARM = [  # continuing from a shipped model: the optimizer is the only choice (its architecture is fixed)
    ("AdamW 1.5e-3 (gpu_config)", []),
    ("Muon 0.02 + AdamW 1.5e-3", ["--optimizer", "muon"]),
    ("Muon 0.005 + AdamW 1.5e-3", ["--optimizer", "muon", "--muon-lr", "0.005"]),
    ("Muon 0.005 + AdamW 3e-4", ["--optimizer", "muon", "--muon-lr", "0.005", "--lr", "3e-4"]),
]


def held_out_of(state, corpus, tokenizer, n):
    """held-out masked CE of a checkpoint-shaped dict (compare.held_out_ce reads a file)."""
    model = DiffusionCoder(ModelConfig.from_dict(state["model_config"])).eval()
    model.load_state_dict({k: v.float() for k, v in state["model"].items()})
    cfg = TrainConfig(model=model.cfg)
    held = Data(os.path.join(corpus, "test.jsonl"), bpe.Tokenizer.load(tokenizer), cfg, random.Random(7))
    return held_out_loss(model, held.batch(n), held.sp, "cpu", model.cfg.shift)


def warm(args):
    """Each optimizer for the same CPU time from the shipped weights (gpu_config's schedule, a short
    warm-up): does the first stretch of a continued run improve the held-out loss or hurt it?"""
    rows = [("the shipped weights, before", held_out_of(warm_start.load(args.warm_start), args.corpus, args.tokenizer,
                                                      args.held_out), 0)]
    print(json.dumps({"recipe": rows[0][0], "held_out_masked_ce": round(rows[0][1], 4)}), flush=True)
    for i, (name, flags) in enumerate(WARM):
        run = os.path.join(args.out, f"warm{i}")
        subprocess.run([sys.executable, os.path.join(HERE, "train.py"), "--out", run, "--corpus", args.corpus,
                        "--tokenizer", args.tokenizer, "--gpu", "--device", "cpu", "--warm-start", args.warm_start,
                        "--minutes", str(args.cpu_minutes), "--cpu-clock", "--threads", "1", "--batch", "4",
                        "--accum", "1", "--warmup", "5"] + flags, check=True, stdout=subprocess.DEVNULL)
        state = torch.load(os.path.join(run, "ckpt.pt"), map_location="cpu", weights_only=False)
        rows.append((name, held_out_of(state, args.corpus, args.tokenizer, args.held_out), state["step"]))
        print(json.dumps({"recipe": name, "steps": state["step"], "held_out_masked_ce": round(rows[-1][1], 4)}), flush=True)
    print(f"\n| from {args.warm_start}, {args.cpu_minutes:g} CPU-minutes each | steps | held-out masked CE ({args.held_out} examples) |")
    print("|---|---|---|")
    for name, ce, steps in rows:
        print(f"| {name} | {steps} | {ce:.4f} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cpu-minutes", type=float, default=4.0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--out", default=os.path.join(HERE, "runs", "recipes"))
    ap.add_argument("--corpus", default=os.path.join(HERE, "data", "corpus"))
    ap.add_argument("--tokenizer", default=os.path.join(os.path.dirname(HERE), "models", "dcoder-17m", "tokenizer.json"))
    ap.add_argument("--warm-start", metavar="MODEL_DIR", help="instead: the optimizers continuing from this model (WARM)")
    ap.add_argument("--held-out", type=int, default=64, help="--warm-start: held-out examples (the 17 M model is slow here)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.warm_start:
        return warm(args)
    results = []
    for seed in args.seeds:
        for i, (name, model, flags) in enumerate(RECIPES):
            run = os.path.join(args.out, f"r{i}-s{seed}")
            cmd = [sys.executable, os.path.join(HERE, "train.py"), "--out", run, "--corpus", args.corpus,
                   "--tokenizer", args.tokenizer, "--minutes", str(args.cpu_minutes), "--cpu-clock", "--threads", "1",
                   "--seed", str(seed), "--model", json.dumps(model)] + COMMON + flags
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            ce, tokens = held_out_ce(os.path.join(run, "ckpt.pt"), args.corpus, args.tokenizer)
            results.append({"recipe": i, "name": name, "seed": seed, "tokens": tokens, "held_out_masked_ce": round(ce, 4)})
            print(json.dumps(results[-1]), flush=True)
            with open(os.path.join(args.out, "results.json"), "w") as f:
                json.dump({"cpu_minutes": args.cpu_minutes, "model": SMALL, "common": COMMON, "results": results}, f, indent=1)
    print(f"\n| recipe ({args.cpu_minutes:g} CPU-minutes each, {SMALL}) | tokens | held-out masked CE per seed | mean |")
    print("|---|---|---|---|")
    for i, (name, _, _) in enumerate(RECIPES):
        rs = [r for r in results if r["recipe"] == i]
        if rs:
            ces = [r["held_out_masked_ce"] for r in rs]
            print(f"| {name} | {statistics.mean(r['tokens'] for r in rs) / 1e6:.2f} M | "
                  f"{' / '.join(f'{c:.3f}' for c in ces)} | {statistics.mean(ces):.3f} |")


if __name__ == "__main__":
    main()
