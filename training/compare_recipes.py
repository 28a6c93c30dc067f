"""Equal-compute comparison of the training recipe issue 19 proposes for the next GPU run, on the
CPU at a small size: today's recipe (AdamW), Muon, modded-nanogpt's architecture changes, and both.

Usage:
    nice -n 19 /usr/bin/python3 training/compare_recipes.py [--cpu-minutes 4] [--seeds 1 2]
        [--out training/runs/recipes] [--corpus training/data/corpus] [--tokenizer models/dcoder-17m/tokenizer.json]

Every run: train.py on one thread for the same CPU time of its own process (--cpu-clock: a busy
machine favours none), the small configuration below, gpu_config's objective (next-token for 60 %
of the budget, then block diffusion with mask rates up to 1.0, the next-token loss beside it),
the same data and initialisation seed per seed column. Measured: the held-out masked-token
cross-entropy on real middle tokens (compare.held_out_ce: 256 examples of held-out packages,
block 16, t = 0.5; lower is better). Runs go seed by seed, so a stopped comparison still has whole
seeds; OUT/results.json is rewritten after every run and the table printed at the end.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

from compare import held_out_ce

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cpu-minutes", type=float, default=4.0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--out", default=os.path.join(HERE, "runs", "recipes"))
    ap.add_argument("--corpus", default=os.path.join(HERE, "data", "corpus"))
    ap.add_argument("--tokenizer", default=os.path.join(os.path.dirname(HERE), "models", "dcoder-17m", "tokenizer.json"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
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
