"""Train the block-causal diffusion coder: next-token first, then block-diffusion adaptation.

Usage:
    /usr/bin/python3 training/train.py --out training/runs/main [--minutes 90] [--device cpu]
        [--init weights.pt|models/NAME] [--warm-start models/NAME] [--tiny] [--deadline EPOCH] [--snapshot-dir DIR]

Resumable: if OUT/ckpt.pt exists the run continues from it (model, optimizer, step, RNG).
--init starts a new run from other weights: a checkpoint, or a shipped model folder whose ONNX
weights are read back (dcoder/warm_start.py); --warm-start does the same when the architecture is
this run's and trains from scratch otherwise (gpu_run.sh: runs add up).

Objective (shifted, as Dream / DiffuCoder / Fast-dLLM v2: the state at i-1 predicts token i):
  * the first `ar_frac` of the time budget is next-token training on FIM-formatted examples
    and plain file windows (the clean stream only);
  * then block-diffusion adaptation: [clean sequence ; noisy middle] in one pass with the BD3-LM
    block mask, one block size per batch; a masked token is predicted from the state one position
    before it inside its noisy block (a block's first token from the last clean token's state,
    i.e. the next-token loss), weighted by the inverse of the block's masked fraction, with
    BD3-LM's clipped mask rates (t in `t_range`); the middle's last block is filled with masks
    that have no target, as at inference (see dcoder/objective.py).
With `ModelConfig.shift = False` (the first model's objective, kept for comparison) a masked
token predicts itself and there is no next-token phase.

The attention mask is built on the training device from per-token block ids (no dense mask
crosses processes). --deadline (seconds since the epoch) ends training early enough to save;
--snapshot-dir receives fp16 weights in parts under 16 MiB every --snapshot-minutes, each
renamed into place, so a killed run still leaves its latest weights.
"""
import argparse
import json
import os
import random
import time
from dataclasses import asdict

from dcoder import cpu_blas  # noqa: F401  (must come before torch)
import torch

from dcoder import bpe, warm_start
from dcoder.checkpoint import save_checkpoint, write_parts
from dcoder.config import TrainConfig, gpu_config, tiny_config
from dcoder.data import BYTES_PER_TOKEN, BatchStream, Data
from dcoder.model import DiffusionCoder, ModelConfig
from dcoder.objective import held_out_loss, to_device
from dcoder.optim import make_optimizer
from dcoder.step import Stepper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def lr_scale(cfg, step, frac):
    """Trapezoidal (warmup-stable-decay): linear warm-up over `warmup` steps, flat, then a linear
    decay to `min_lr_frac` over the last `decay_frac` of the budget; a factor of each group's peak lr."""
    if step < cfg.warmup:
        return (step + 1) / cfg.warmup
    if frac < 1 - cfg.decay_frac:
        return 1.0
    d = min(1.0, (frac - (1 - cfg.decay_frac)) / cfg.decay_frac)
    return 1 - d * (1 - cfg.min_lr_frac)


def starting_weights(args, cfg, tok_json):
    """The checkpoint-shaped dict to start from (--init or --warm-start), its architecture made the
    run's; None when --warm-start's weights have another architecture than --gpu's or --model's."""
    src = args.init or args.warm_start
    if os.path.isdir(src) or src.endswith(".onnx"):
        init = warm_start.load(src)
    else:
        init = torch.load(src, map_location="cpu", weights_only=False)
    have = ModelConfig.from_dict(init["model_config"])
    diff = warm_start.mismatch(cfg.model, have) if args.gpu or args.model else ""
    if diff and args.init:
        raise SystemExit(f"--init {src}: another architecture ({diff}); a changed architecture trains from "
                         "scratch once (drop --init)")
    if diff:
        print(f"warm start skipped: {src} has another architecture ({diff}); training from scratch", flush=True)
        return None
    if init.get("tokenizer_json") and json.loads(init["tokenizer_json"]) != json.loads(tok_json):
        raise SystemExit(f"{src} was trained with another tokenizer than {args.tokenizer}")
    cfg.model = have
    return init


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "training", "runs", "main"))
    ap.add_argument("--corpus", default=os.path.join(ROOT, "training", "data", "corpus"))
    ap.add_argument("--tokenizer", default=os.path.join(ROOT, "training", "data", "tokenizer.json"))
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--minutes", type=float)
    ap.add_argument("--max-steps", type=int)
    ap.add_argument("--batch", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--warmup", type=int, help="warm-up steps (default 100)")
    ap.add_argument("--seq-len", type=int)
    ap.add_argument("--python-share", type=float, help="share of Python examples (rest split JS/TS)")
    ap.add_argument("--t-range", type=float, nargs=2, metavar=("LO", "HI"),
                    help="per-block mask rates of the adaptation phase (default 0.3 0.8)")
    ap.add_argument("--ar-frac", type=float, help="share of the budget on next-token training only (0: adapt from the start, e.g. after --init)")
    ap.add_argument("--optimizer", choices=["adamw", "muon"], help="muon: Muon for the hidden matrices (default adamw)")
    ap.add_argument("--muon-lr", type=float, help="Muon's learning rate (default 0.02)")
    ap.add_argument("--seed", type=int, help="data and initialisation seed (default 1234)")
    ap.add_argument("--unshifted", action="store_true", help="the first model's objective (for comparison)")
    ap.add_argument("--model", help="JSON ModelConfig fields, e.g. '{\"n_layer\": 8}'")
    ap.add_argument("--init", help="start from these weights instead of random: a checkpoint (.pt) or a model folder "
                    "(models/NAME: its ONNX weights read back, dcoder/warm_start.py); with --gpu or --model the "
                    "architectures must match")
    ap.add_argument("--warm-start", metavar="MODEL_DIR",
                    help="as --init, but weights of another architecture than this run's mean training from scratch (said in the log)")
    ap.add_argument("--tiny", action="store_true", help="a tiny model and a few steps (smoke test)")
    ap.add_argument("--gpu", action="store_true", help="the configuration for a lent GPU (gpu_config)")
    ap.add_argument("--workers", type=int, default=0, help="data worker processes (for a GPU)")
    ap.add_argument("--compile", action="store_true", help="torch.compile the loss (torch >= 2; --gpu has it on)")
    ap.add_argument("--accum", type=int, help="batches per optimizer step (gradient accumulation)")
    ap.add_argument("--pack", action="store_true", help="pack next-token rows with whole examples")
    ap.add_argument("--ce-chunk", type=int, help="positions per chunk of the cross-entropy (0: all at once)")
    ap.add_argument("--deadline", type=float, help="stop training at this time (seconds since the epoch)")
    ap.add_argument("--snapshot-dir", help="write fp16 weight parts here every --snapshot-minutes")
    ap.add_argument("--snapshot-minutes", type=float, default=2.0)
    ap.add_argument("--threads", type=int, help="CPU threads (default 2)")
    ap.add_argument("--cpu-clock", action="store_true",
                    help="count --minutes in this process's CPU time (equal-compute comparisons on a shared machine)")
    args = ap.parse_args()
    cfg = tiny_config() if args.tiny else gpu_config() if args.gpu else TrainConfig()
    for k in ("minutes", "max_steps", "batch", "lr", "warmup", "seq_len", "threads", "ar_frac", "t_range",
              "optimizer", "muon_lr", "seed", "accum", "ce_chunk"):
        if getattr(args, k) is not None:
            setattr(cfg, k, tuple(getattr(args, k)) if k == "t_range" else getattr(args, k))
    cfg.compile = cfg.compile or args.compile
    cfg.pack = cfg.pack or args.pack
    if args.python_share is not None:
        rest = (1 - args.python_share) / 2
        cfg.lang_weights = {"python": args.python_share, "javascript": rest, "typescript": rest}
    if args.model:
        cfg.model = ModelConfig(**{**asdict(cfg.model), **json.loads(args.model)})
    if args.unshifted:
        cfg.model.shift, cfg.ar_frac, cfg.aux_weight, cfg.t_range = False, 0.0, 0.5, (0.05, 1.0)
        cfg.block_sizes, cfg.block_probs = (1, 2, 4, 8, 16, 32), (0.15, 0.08, 0.08, 0.14, 0.40, 0.15)
    torch.set_num_threads(cfg.threads if args.device == "cpu" else 8)
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, "ckpt.pt")
    tok = bpe.Tokenizer.load(args.tokenizer)
    tok_json = open(args.tokenizer).read()  # travels with every checkpoint: export uses it
    cfg.model.vocab_size = tok.vocab_size
    rng = random.Random(cfg.seed)
    torch.manual_seed(cfg.seed)
    state = init = None
    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        cfg.model = ModelConfig.from_dict(state["model_config"])
    elif args.init or args.warm_start:
        init = starting_weights(args, cfg, tok_json)
        if init and args.ar_frac is None and cfg.warm_ar_frac >= 0:
            cfg.ar_frac = cfg.warm_ar_frac
        if init and cfg.warm_lrs:  # trained weights take smaller steps (compare_recipes.py --warm-start)
            cfg.lr, cfg.muon_lr = args.lr or cfg.warm_lrs[0], args.muon_lr or cfg.warm_lrs[1]
    cuda = args.device.startswith("cuda")
    here = torch.cuda.get_device_name(args.device) if cuda else f"CPU, {cfg.threads} threads"
    before = ((state or init or {}).get("train_config") or {}).get("device", "")
    cfg.device = here if before in ("", here) or before.endswith("then " + here) else f"{before}, then {here}"
    cfg.model.fused_attention = cuda
    model = DiffusionCoder(cfg.model).to(args.device)
    opt = make_optimizer(model, cfg, args.device)
    step, tokens, prev_seconds = 0, 0, 0.0
    if state:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        step, tokens, prev_seconds = state["step"], state["tokens"], state["seconds"]
        rng.setstate(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        print(f"resumed at step {step}, {tokens/1e6:.2f} M tokens")
    elif init:
        model.load_state_dict({k: v.float() for k, v in init["model"].items()})
        tokens = init.get("tokens", 0)
        print(f"initialised from {args.init or args.warm_start} ({tokens/1e6:.2f} M tokens seen before)")
    print(f"model: {model.num_params()/1e6:.2f} M parameters, device {args.device}, shift {cfg.model.shift}, "
          f"next-token only for {cfg.ar_frac:.0%} of the time, {cfg.optimizer} (lr {cfg.lr:g}"
          + (f", Muon {cfg.muon_lr:g})" if cfg.optimizer == "muon" else ")"))
    stepper = Stepper(model, opt, cfg, args.device)
    data = Data(os.path.join(args.corpus, "train.jsonl"), tok, cfg, rng, limit=200 if args.tiny else None)
    held = Data(os.path.join(args.corpus, "test.jsonl"), tok, cfg, random.Random(99), limit=200 if args.tiny else None)
    held_examples = held.batch(cfg.eval_examples)
    unique = data.chars / BYTES_PER_TOKEN
    print(f"corpus: {data.chars / 1e6:.1f} M characters of training text, about {unique / 1e6:.1f} M unique tokens "
          f"at {BYTES_PER_TOKEN} characters a token", flush=True)
    log = open(os.path.join(args.out, "log.jsonl"), "a")
    clock = time.process_time if args.cpu_clock else time.time
    t_start, last_ckpt, last_snap = clock(), time.time(), time.time()
    budget = cfg.minutes * 60
    if args.deadline:
        # leave room for the final checkpoint and snapshot after training stops
        budget = min(budget, prev_seconds + args.deadline - time.time() - 20)
    streams = {}

    def stream(diffusion):
        if diffusion not in streams:
            streams.clear()  # one phase at a time: stop the other phase's workers
            streams[diffusion] = BatchStream(data, cfg, args.workers, cfg.seed + step, diffusion)
        return streams[diffusion]

    def save():
        save_checkpoint(ckpt_path, model, opt, cfg, tok_json, step, tokens, prev_seconds + clock() - t_start, rng)

    def snapshot():
        if args.snapshot_dir:
            write_parts(model, cfg, tok_json, step, tokens, prev_seconds + clock() - t_start, args.snapshot_dir)

    first_log, first_step_s, start_tokens = None, {}, tokens
    while True:
        elapsed = prev_seconds + clock() - t_start
        frac = elapsed / budget if budget > 0 else 1.0
        if cfg.max_steps:
            frac = max(frac, step / cfg.max_steps)
        if frac >= 1:
            break
        lr = cfg.lr * lr_scale(cfg, step, frac)
        opt.set_scale(lr / cfg.lr)
        diffusion = frac >= cfg.ar_frac
        t0 = time.time()

        def next_batch():
            block, batch = stream(diffusion).next()
            return block, to_device(batch, args.device)

        block, batch, n, stats = stepper(next_batch)
        if diffusion not in first_step_s:  # a phase's first step holds its compile: say how long it took
            first_step_s[diffusion] = round(time.time() - t0, 1)
            print(f"first {'diffusion' if diffusion else 'next-token'} step: {first_step_s[diffusion]} s", flush=True)
        step += 1
        tokens += n
        if step % cfg.log_every == 0 or step % cfg.eval_every == 0:
            now = prev_seconds + clock() - t_start
            rec = {"step": step, "tokens": tokens, "lr": round(lr, 6), "block": block,
                   **{k: round(v.item(), 4) for k, v in stats.items()}, "seconds": round(now, 1),
                   "real_frac": round((batch["ar_target"] >= 0).float().mean().item(), 3)}
            if first_log is None and now - prev_seconds > 30:
                first_log = (now, tokens)
            elif first_log:
                rec["tokens_per_s"] = round((tokens - first_log[1]) / max(1e-6, now - first_log[0]))
            if step % cfg.eval_every == 0:
                rec["held_out_masked_ce"] = round(held_out_loss(model, held_examples, data.sp, args.device,
                                                                cfg.model.shift), 4)
            log.write(json.dumps(rec) + "\n")
            log.flush()
            print(json.dumps(rec), flush=True)
        if time.time() - last_ckpt > cfg.ckpt_minutes * 60:
            save()
            last_ckpt = time.time()
        if time.time() - last_snap > args.snapshot_minutes * 60:
            snapshot()
            last_snap = time.time()
    save()
    snapshot()
    print(f"done: step {step}, {tokens/1e6:.2f} M tokens ({(tokens - start_tokens) / max(1.0, unique):.1f} passes "
          "over the unique tokens in this run, padding included)")


if __name__ == "__main__":
    main()
