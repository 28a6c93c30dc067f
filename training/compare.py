"""Equal-compute comparison of training recipes on one small configuration.

Usage:
    nice -n 19 /usr/bin/python3 training/compare.py [--cpu-minutes 8] [--out training/runs/compare]

Trains each recipe for the same CPU time (the process's own CPU seconds on one thread, so a busy
machine favours no run and no time is lost to threads waiting for each other), then measures the held-out masked-token cross-entropy on real middle
tokens (block 16, t = 0.5, 256 held-out examples) and HumanEval single-line pass@1 (every 3rd
task, diffusion decoding through the engine's CLI). Prints a markdown table and writes
OUT/results.json. Needs `npm run build` for the CLI.
"""
import argparse
import json
import os
import random
import subprocess
import sys

from dcoder import cpu_blas  # noqa: F401  (must come before torch)
import torch

from dcoder import bpe
import evaluate
from dcoder.config import TrainConfig
from dcoder.data import Data
from dcoder.objective import held_out_loss
from dcoder.model import DiffusionCoder, ModelConfig

HERE = os.path.dirname(os.path.abspath(__file__))
SMALL = {"n_layer": 4, "n_head": 3, "d_model": 192, "d_ff": 768}
RECIPES = [
    ("old objective (unshifted diffusion throughout), context 384", ["--unshifted", "--seq-len", "384", "--python-share", "0.5"]),
    ("new objective (shifted; next-token, then diffusion), context 384", ["--seq-len", "384", "--python-share", "0.5"]),
    ("new objective, context 768", ["--seq-len", "768", "--python-share", "0.5"]),
    ("new objective, context 384, Python 80 %", ["--seq-len", "384", "--python-share", "0.8"]),
]


def held_out_ce(ckpt, corpus, tokenizer, n=256):
    state = torch.load(ckpt, map_location="cpu", weights_only=False)
    model = DiffusionCoder(ModelConfig.from_dict(state["model_config"])).eval()
    model.load_state_dict(state["model"])
    tc = state["train_config"]
    cfg = TrainConfig(model=model.cfg, seq_len=tc["seq_len"], max_mid=tc["max_mid"], max_suffix=tc["max_suffix"])
    tok = bpe.Tokenizer.load(tokenizer)
    held = Data(os.path.join(corpus, "test.jsonl"), tok, cfg, random.Random(7))
    return held_out_loss(model, held.batch(n), held.sp, "cpu", model.cfg.shift), state["tokens"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cpu-minutes", type=float, default=8.0)
    ap.add_argument("--out", default=os.path.join(HERE, "runs", "compare"))
    ap.add_argument("--corpus", default=os.path.join(HERE, "data", "corpus"))
    ap.add_argument("--tokenizer", default=os.path.join(HERE, "data", "tokenizer.json"))
    args = ap.parse_args()
    results = []
    for i, (name, flags) in enumerate(RECIPES):
        run = os.path.join(args.out, f"r{i}")
        cmd = [sys.executable, os.path.join(HERE, "train.py"), "--out", run, "--corpus", args.corpus,
               "--tokenizer", args.tokenizer, "--minutes", str(args.cpu_minutes), "--cpu-clock", "--threads", "1",
               "--model", json.dumps(SMALL)] + flags
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        ce, tokens = held_out_ce(os.path.join(run, "ckpt.pt"), args.corpus, args.tokenizer)
        subprocess.run([sys.executable, os.path.join(HERE, "export.py"), "--ckpt", os.path.join(run, "ckpt.pt"),
                        "--out", run, "--name", "model", "--tokenizer", args.tokenizer], check=True,
                       stdout=subprocess.DEVNULL)
        he = evaluate.humaneval(os.path.join(run, "model"), "SingleLineInfilling", True, 3, ("diffusion",))["diffusion"]
        results.append({"recipe": name, "flags": flags, "tokens": tokens, "held_out_masked_ce": round(ce, 3),
                        "single_line_pass@1": he["pass@1"], "tasks": he["tasks"], "empty_share": he["empty_share"]})
        json.dump({"cpu_minutes": args.cpu_minutes, "model": SMALL, "results": results},
                  open(os.path.join(args.out, "results.json"), "w"), indent=1)
    print(f"| recipe ({args.cpu_minutes:g} CPU-minutes each, {SMALL}) | tokens | held-out masked CE | single-line pass@1 | empty |")
    print("|---|---|---|---|---|")
    for r in results:
        print(f"| {r['recipe']} | {r['tokens'] / 1e6:.2f} M | {r['held_out_masked_ce']} | {r['single_line_pass@1']}% "
              f"(of {r['tasks']}) | {r['empty_share']}% |")


if __name__ == "__main__":
    main()
