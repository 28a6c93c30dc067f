"""HumanEval single-line pass@1 of a checkpoint with the torch reference sampler, without the
TypeScript engine: the figure a lent GPU machine can give before the weights travel back.

Usage:
    python3 training/device_eval.py --ckpt weights.pt --tasks HumanEval-SingleLineInfilling.jsonl.gz
        --out device-eval.json [--deadline EPOCH] [--limit N] [--device cuda] [--workers 14]

Decodes as the engine does by default: its context layout (src/engine/layout.ts: suffix fitted to
max_suffix, a prefix window remembered between requests, token healing, special-token strings in
the text kept as plain text), block 16, the threshold and step budget of src/defaults.json (0.7
within 4 steps per block), single-line mode, maxTokens 48 (capped by the model's max_middle and
the engine's single-line cap), the checkpoint's logit shift, <eom> only at the leftmost undecided
position (sampler.decode). Each task's program runs in its own process, in parallel with the decoding,
scored with evaluate.py's rule (passes()); the floors (evaluate.FLOORS) run after the model's
programs. The deadline stops the decoding early enough for started programs to finish (passes()
gives each at most 10 s): the figures cover the tasks whose programs finished, and say how many.
"""
import argparse
import concurrent.futures as cf
import gzip
import json
import os
import time

from dcoder import cpu_blas  # noqa: F401  (must come before torch)
import torch

from dcoder import bpe
import evaluate
from dcoder.layout import Layout
from dcoder.model import DiffusionCoder, ModelConfig
from dcoder.sampler import CausalRunner, decode

DECODE = json.load(open(os.path.join(evaluate.ROOT, "src", "defaults.json")))["decode"]  # the engine's defaults
THRESHOLD, MAX_STEPS = DECODE["threshold"], DECODE["stepBudget"]
MAX_TOKENS = min(48, DECODE["singleLineMaxTokens"])   # evaluate.py asks 48 for a single line
BLOCK = 16          # the manifest's block_size as export.py writes it
PROGRAM_S = 10      # passes()'s timeout per program


def load(ckpt, device):
    """(model, tokenizer, manifest-like limits) from a training checkpoint or a weights snapshot."""
    state = torch.load(ckpt, map_location="cpu", weights_only=False)
    cfg = ModelConfig.from_dict(state["model_config"])
    cfg.fused_attention = cfg.fused_attention and device.startswith("cuda")
    model = DiffusionCoder(cfg)
    model.load_state_dict({k: v.float() for k, v in state["model"].items()})
    model.to(device).eval()
    tok = bpe.Tokenizer.from_json(json.loads(state["tokenizer_json"]))
    tcfg = state["train_config"]
    sp = {k: tok.specials[f"<|{k}|>"] for k in ("pad", "mask", "fim_prefix", "fim_suffix", "fim_middle", "eom")}
    manifest = {"max_context": tcfg["seq_len"], "max_middle": tcfg["max_mid"], "max_suffix": tcfg["max_suffix"],
                "special_tokens": sp}
    info = {k: state.get(k) for k in ("step", "tokens", "seconds")}
    return model, tok, manifest, info


class SingleLine:
    """The engine's answer to single-line requests (one engine: the layout remembers its window)."""

    def __init__(self, model, tok, manifest):
        self.model, self.tok, self.m = model, tok, manifest
        self.banned = sorted(v for k, v in manifest["special_tokens"].items() if k != "eom")
        self.pieces = [tok.decode([i]) for i in range(tok.vocab_size)]
        self.max_tokens = min(MAX_TOKENS, manifest["max_middle"])
        self.layout = Layout(tok, manifest)

    def __call__(self, prefix, suffix):
        """(text, sampler.decode's result)"""
        sp = self.m["special_tokens"]
        ctx, heal = self.layout.context(prefix, suffix, self.max_tokens)
        first = [i for i, p in enumerate(self.pieces) if p.startswith(heal) and i not in self.banned] if heal else None
        r = decode(CausalRunner(self.model), ctx, vocab_size=self.model.cfg.vocab_size, mask_id=sp["mask"], eom_id=sp["eom"], max_tokens=self.max_tokens,
                   block_size=BLOCK, policy=("threshold", THRESHOLD, MAX_STEPS), single_line=True,
                   pieces=self.pieces, max_position=self.m["max_context"], shift=self.model.cfg.shift,
                   banned=self.banned, first_allowed=first, healed_chars=len(heal))
        text = self.tok.decode(r["tokens"])
        text = text[len(heal):] if heal and text.startswith(heal) else text
        return text.split("\n", 1)[0], r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--tasks", required=True, help="HumanEval-SingleLineInfilling.jsonl.gz")
    ap.add_argument("--out", required=True)
    ap.add_argument("--deadline", type=float, help="seconds since the epoch by which the figures are written")
    ap.add_argument("--limit", type=int, help="only the first N tasks")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 2))
    args = ap.parse_args()
    t0 = time.time()
    deadline = args.deadline or float("inf")
    model, tok, m, info = load(args.ckpt, args.device)
    complete = SingleLine(model, tok, m)
    tasks = [json.loads(l) for l in gzip.open(args.tasks, "rt")][:args.limit]
    pool = cf.ThreadPoolExecutor(args.workers)
    runs, stats = [], []   # per decoded task: its program's future, its decode's figures
    for t in tasks:
        if time.time() > deadline - PROGRAM_S - 5:
            break
        t1 = time.time()
        text, r = complete(t["prompt"], t["suffix"])
        runs.append(pool.submit(evaluate.passes, t, text + "\n"))
        stats.append({"empty": not text.strip(), "exact": text.strip() == t["canonical_solution"].strip(),
                      "tokens": len(r["tokens"]), "forwards": r["forwards"], "ms": 1000 * (time.time() - t1)})
    # the floors' programs queue behind the model's: they matter less when time runs short
    floors = [{k: pool.submit(evaluate.passes, t, f(t)) for k, f in evaluate.FLOORS.items()} for t in tasks[:len(runs)]]
    # wait for the programs while each can still finish before the deadline; drop those not started
    wait = max(0.0, args.deadline - PROGRAM_S - 1 - time.time()) if args.deadline else None
    cf.wait(runs + [f for fl in floors for f in fl.values()], timeout=wait)
    pool.shutdown(wait=True, cancel_futures=True)

    def finished(f):
        return f.done() and not f.cancelled()

    done = [i for i, f in enumerate(runs) if finished(f)]
    floor_done = [i for i, fl in enumerate(floors) if all(finished(f) for f in fl.values())]
    n = len(done)

    def total(key):
        return sum(stats[i][key] for i in done)

    def pct(x, of):
        return round(100 * x / of, 2) if of else None

    diff = {"pass@1": pct(sum(runs[i].result() for i in done), n), "exact_match": pct(total("exact"), n),
            "empty_share": pct(total("empty"), n), "forwards_per_token": round(total("forwards") / max(1, total("tokens")), 3),
            "mean_ms": round(total("ms") / max(1, n), 1)}
    res = {"tasks": len(tasks), "scored": n, "decoded": len(runs), "complete": n == len(tasks),
           "seconds": round(time.time() - t0, 1), "device": args.device, "checkpoint": info,
           "decode": {"block": BLOCK, "threshold": THRESHOLD, "max_steps": MAX_STEPS, "mode": "single",
                      "max_tokens": complete.max_tokens, "shift": model.cfg.shift},
           "diffusion": diff,
           "floors": {"scored": len(floor_done), **{k: {"pass@1": pct(sum(floors[i][k].result() for i in floor_done),
                                                                      len(floor_done))} for k in evaluate.FLOORS}}}
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(res, f, indent=1)
    os.replace(tmp, args.out)
    print(f"HumanEval single-line pass@1 {diff['pass@1']}% on {n} of {len(tasks)} tasks (empty middles "
          f"{diff['empty_share']}%; floors {json.dumps(res['floors'])}) in {res['seconds']} s")


if __name__ == "__main__":
    main()
