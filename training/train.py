"""Train the block-causal diffusion coder: next-token first, then block-diffusion adaptation.

Usage:
    /usr/bin/python3 training/train.py --out training/runs/main [--minutes 90] [--device cpu]
        [--init weights.pt] [--tiny] [--deadline EPOCH] [--snapshot-dir DIR]

Resumable: if OUT/ckpt.pt exists the run continues from it (model, optimizer, step, RNG).
--init starts a new run from other weights.

Objective (shifted, as Dream / DiffuCoder / Fast-dLLM v2: the state at i-1 predicts token i):
  * the first `ar_frac` of the time budget is next-token training on FIM-formatted examples
    and plain file windows (the clean stream only);
  * then block-diffusion adaptation: [clean sequence ; noisy middle] in one pass with the BD3-LM
    block mask, one block size per batch; a masked token is predicted from the state one position
    before it inside its noisy block (a block's first token from the last clean token's state,
    i.e. the next-token loss), weighted by the inverse of the block's masked fraction; the
    middle's last block is padded with <eom> targets whose weight is `eom_fill_weight` and which
    are left out of the normaliser and of the held-out figure.
With `ModelConfig.shift = False` (the first model's objective, kept for comparison) a masked
token predicts itself and there is no next-token phase.

The attention mask is built on the training device from per-token block ids (no dense mask
crosses processes). --deadline (seconds since the epoch) ends training early enough to save;
--snapshot-dir receives fp16 weights in parts under 16 MiB every --snapshot-minutes, each
renamed into place, so a killed run still leaves its latest weights.
"""
import argparse
import contextlib
import inspect
import json
import os
import random
import time
from dataclasses import dataclass, field, asdict

import cpu_blas  # noqa: F401  (must come before torch)
import torch
import torch.nn.functional as F

import bpe
import fim
from model import DiffusionCoder, ModelConfig
from snapshot import write_parts

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class TrainConfig:
    model: ModelConfig = field(default_factory=lambda: ModelConfig(n_layer=6, n_head=4, d_model=256, d_ff=1024))
    seq_len: int = 512
    max_mid: int = 64
    max_suffix: int = 128
    batch: int = 16
    lr: float = 2e-3
    min_lr_frac: float = 0.1
    warmup: int = 100
    weight_decay: float = 0.1
    clip: float = 1.0
    ar_frac: float = 0.8        # share of the time budget spent on next-token training only
    plain_frac: float = 0.25    # share of plain file windows among next-token examples
    aux_weight: float = 1.0     # next-token loss beside the diffusion loss in the adaptation phase
    eom_fill_weight: float = 0.1
    block_sizes: tuple = (4, 8, 16, 32)
    block_probs: tuple = (0.15, 0.2, 0.45, 0.2)
    lang_weights: dict = field(default_factory=lambda: {"python": 0.7, "javascript": 0.15, "typescript": 0.15})
    t_min: float = 0.05
    max_steps: int = 0          # 0: bounded by --minutes only
    minutes: float = 90.0
    decay_frac: float = 0.25    # warmup-stable-decay: linear decay over the last quarter
    eval_every: int = 100
    eval_examples: int = 64
    log_every: int = 10         # .item() syncs only on logged steps
    ckpt_minutes: float = 5.0
    seed: int = 1234
    threads: int = 2


def tiny_config():
    return TrainConfig(model=ModelConfig(vocab_size=8192, n_layer=2, n_head=2, d_model=64, d_ff=128),
                       seq_len=96, max_mid=24, max_suffix=24, batch=4, eval_every=5, log_every=1,
                       eval_examples=8, max_steps=10, minutes=2, warmup=2)


def gpu_config():
    """One lent H100/H200 for about 7 minutes of training: ~17 M parameters, 64 K-token batches."""
    return TrainConfig(model=ModelConfig(n_layer=8, n_head=6, d_model=384, d_ff=1536), batch=128,
                       lr=1.5e-3, warmup=150, eval_every=200, log_every=20, minutes=7)


def make_batch(examples, block, sp, rng, shift=True, t_min=0.05, eom_fill_weight=0.1, t_fixed=None):
    """Tensors for one training step, as a dict (small: no L x L mask).

    block None: the clean stream only (next-token). Otherwise the noisy middle follows the clean
    sequence: ids / pos [B, L+M]; nstart / nblock [B, M] (each noisy token's block start and id,
    from which `attention_mask` builds the mask on the device); diff_target / diff_weight [B, M];
    real [B, M] (targets that are real middle tokens, for the held-out figure); first [B, L]
    (clean positions whose next token is a masked real block-first token); n_mid (normaliser).
    """
    B, L = len(examples), len(examples[0].ids)
    clean = torch.tensor([e.ids for e in examples], dtype=torch.long)
    lengths = torch.tensor([e.length for e in examples])
    ar_target = torch.full((B, L), -100, dtype=torch.long)
    ar_target[:, :-1] = clean[:, 1:]
    ar_target[torch.arange(L).expand(B, L) >= (lengths - 1).unsqueeze(1)] = -100
    out = {"ar_target": ar_target}
    if block is None:
        return {**out, "ids": clean, "pos": torch.arange(L).expand(B, L).contiguous()}
    s = 1 if shift else 0
    spans = [min(-(-e.mid_len // block) * block, L - e.mid_start + block - 1) for e in examples]
    M = max(spans)
    noisy = torch.full((B, M), sp["pad"], dtype=torch.long)
    npos = torch.zeros((B, M), dtype=torch.long)
    target = torch.full((B, M), -100, dtype=torch.long)
    weight = torch.zeros((B, M))
    real = torch.zeros((B, M), dtype=torch.bool)
    first = torch.zeros((B, L), dtype=torch.bool)
    nblock = torch.full((B, M), -1, dtype=torch.long)   # block id of each noisy token (-k: padding)
    nstart = torch.zeros((B, M), dtype=torch.long)      # absolute start of its block
    for b, e in enumerate(examples):
        span = spans[b]
        mid = e.ids[e.mid_start:e.mid_start + e.mid_len] + [sp["eom"]] * (span - e.mid_len)
        for j0 in range(0, span, block):
            j1 = min(j0 + block, span)
            t = t_fixed if t_fixed is not None else t_min + (1 - t_min) * rng.random()
            masked = [rng.random() < t for _ in range(j0, j1)]
            # positions this block's noisy states predict (shifted: all but its first token)
            scored = range(j0 + s, j1)
            if len(scored) and not any(masked[j - j0] for j in scored):
                masked[rng.choice(scored) - j0] = True
            n_scored = sum(masked[j - j0] for j in scored)
            # 1/t with t the block's actual masked fraction: the ELBO weight with lower variance
            w = len(scored) / max(1, n_scored)
            for j in range(j0, j1):
                noisy[b, j] = sp["mask"] if masked[j - j0] else mid[j]
            for j in scored:
                if masked[j - j0]:
                    target[b, j - s] = mid[j]
                    # the first <eom> ends the middle; the padding after it barely counts
                    weight[b, j - s] = w * (1.0 if j < e.mid_len else eom_fill_weight)
                    real[b, j - s] = j < e.mid_len
            if s and masked[0] and j0 < e.mid_len:
                first[b, e.mid_start + j0 - 1] = True
            nblock[b, j0:j1] = j0 // block
            nstart[b, j0:j1] = e.mid_start + j0
        npos[b, :span] = torch.arange(e.mid_start, e.mid_start + span)
        nblock[b, span:] = -1 - torch.arange(M - span)
    return {**out, "ids": torch.cat([clean, noisy], 1),
            "pos": torch.cat([torch.arange(L).expand(B, L), npos], 1),
            "nstart": nstart, "nblock": nblock, "diff_target": target, "diff_weight": weight,
            "real": real, "first": first, "n_mid": torch.tensor(float(sum(e.mid_len for e in examples)))}


def attention_mask(L, nstart=None, nblock=None):
    """The contract of docs/ARCHITECTURE.md, "The attention and layout contract".
    bool [B or 1, 1, L+M, L+M]: clean tokens attend causally; a noisy token attends to the clean
    tokens before its block's start and to every noisy token of its own block."""
    dev = nstart.device if nstart is not None else None
    ar = torch.arange(L, device=dev)
    causal = ar.view(L, 1) >= ar.view(1, L)
    if nstart is None:
        return causal.view(1, 1, L, L)
    B, M = nstart.shape
    top = torch.cat([causal.expand(B, L, L), torch.zeros(B, L, M, dtype=torch.bool, device=dev)], 2)
    to_clean = ar.view(1, 1, L) < nstart.unsqueeze(-1)
    same_block = nblock.unsqueeze(-1) == nblock.unsqueeze(1)
    return torch.cat([top, torch.cat([to_clean, same_block], 2)], 1).unsqueeze(1)


def _ce(model, h, target):
    """Per-position cross-entropy [B, T] (0 where target is -100); no boolean indexing, so no
    device sync and the meta-device test can run it."""
    logits = model.logits(h)
    ce = F.cross_entropy(logits.flatten(0, 1).float(), target.flatten(), ignore_index=-100, reduction="none")
    return ce.view(target.shape)


def losses(model, batch):
    """(diffusion loss, next-token loss, masked-token CE on real middle tokens); the first and
    last are None for a next-token batch."""
    ar_target = batch["ar_target"]
    L = ar_target.shape[1]
    allowed = attention_mask(L, batch.get("nstart"), batch.get("nblock"))
    h, _ = model.hidden(batch["ids"], batch["pos"], allowed)
    ce_ar = _ce(model, h[:, :L], ar_target)
    ar = ce_ar.sum() / (ar_target >= 0).sum().clamp(min=1)
    if "diff_target" not in batch:
        return None, ar, None
    ce = _ce(model, h[:, L:], batch["diff_target"])
    diff = (ce * batch["diff_weight"]).sum() / batch["n_mid"]
    real, first = batch["real"], batch["first"]
    masked_ce = ((ce * real).sum() + (ce_ar * first).sum()) / (real.sum() + first.sum()).clamp(min=1)
    return diff, ar, masked_ce


def to_device(batch, device):
    return {k: v.to(device, non_blocking=True) for k, v in batch.items()}


class Data:
    def __init__(self, path, tok, cfg, rng, limit=None):
        self.tok, self.cfg, self.rng = tok, cfg, rng
        self.sp = fim.special_ids(tok)
        self.by_lang = {}
        with open(path) as f:
            for i, line in enumerate(f):
                if limit and i >= limit:
                    break
                d = json.loads(line)
                self.by_lang.setdefault(d["lang"], []).append(d["text"])
        langs = [l for l in cfg.lang_weights if l in self.by_lang]
        self.langs, self.weights = langs, [cfg.lang_weights[l] for l in langs]

    def example(self, plain=False):
        while True:
            lang = self.rng.choices(self.langs, self.weights)[0]
            text = self.rng.choice(self.by_lang[lang])
            if plain:
                ex = fim.plain_example(self.tok, self.sp["pad"], text, self.rng, self.cfg.seq_len)
            else:
                ex = fim.make_example(self.tok, self.sp, text, self.rng, self.cfg.seq_len,
                                      self.cfg.max_mid, self.cfg.max_suffix)
            if ex is not None:
                return ex

    def batch(self, n, plain_frac=0.0):
        return [self.example(self.rng.random() < plain_frac) for _ in range(n)]


def draw_batch(data, cfg, rng, diffusion):
    """(block size or None, batch) for one step of the current phase."""
    if not diffusion:
        return None, make_batch(data.batch(cfg.batch, cfg.plain_frac), None, data.sp, rng)
    block = rng.choices(cfg.block_sizes, cfg.block_probs)[0]
    return block, make_batch(data.batch(cfg.batch), block, data.sp, rng, cfg.model.shift, cfg.t_min,
                             cfg.eom_fill_weight)


class _Batches(torch.utils.data.IterableDataset):
    def __init__(self, data, cfg, seed, diffusion):
        self.data, self.cfg, self.seed, self.diffusion = data, cfg, seed, diffusion

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        rng = random.Random(self.seed * 1000 + (info.id if info else 0))
        self.data.rng = rng
        while True:
            yield draw_batch(self.data, self.cfg, rng, self.diffusion)


class BatchStream:
    """Training batches of one phase: built in this process from its seeded RNG (CPU, resumable
    exactly), or by worker processes when a GPU would otherwise wait for data."""

    def __init__(self, data, cfg, workers, seed, diffusion):
        self.data, self.cfg, self.diffusion = data, cfg, diffusion
        self.it = None
        if workers > 0:
            dl = torch.utils.data.DataLoader(_Batches(data, cfg, seed, diffusion), batch_size=None,
                                             num_workers=workers, pin_memory=True, prefetch_factor=4,
                                             persistent_workers=False)
            self.it = iter(dl)

    def next(self):
        if self.it is not None:
            return next(self.it)
        return draw_batch(self.data, self.cfg, self.data.rng, self.diffusion)


def lr_at(cfg, step, frac):
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    if frac < 1 - cfg.decay_frac:
        return cfg.lr
    d = min(1.0, (frac - (1 - cfg.decay_frac)) / cfg.decay_frac)
    return cfg.lr * (1 - d * (1 - cfg.min_lr_frac))


@torch.no_grad()
def held_out_loss(model, examples, sp, device, shift, block=16):
    """Masked-token cross-entropy on real middle tokens (not the <eom> padding), block 16, t = 0.5."""
    model.eval()
    rng = random.Random(0)
    tot = n = 0.0
    for i in range(0, len(examples), 8):
        batch = make_batch(examples[i:i + 8], block, sp, rng, shift, t_fixed=0.5)
        _, _, masked_ce = losses(model, to_device(batch, device))
        tot += masked_ce.item()
        n += 1
    model.train()
    return tot / n


def make_optimizer(model, cfg, device):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    extra = {}
    if device.startswith("cuda") and "fused" in inspect.signature(torch.optim.AdamW).parameters:
        extra["fused"] = True
    return torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr, betas=(0.9, 0.95), **extra)


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
    ap.add_argument("--seq-len", type=int)
    ap.add_argument("--python-share", type=float, help="share of Python examples (rest split JS/TS)")
    ap.add_argument("--unshifted", action="store_true", help="the first model's objective (for comparison)")
    ap.add_argument("--model", help="JSON ModelConfig fields, e.g. '{\"n_layer\": 8}'")
    ap.add_argument("--init", help="start from these weights (a checkpoint.pt) instead of random")
    ap.add_argument("--tiny", action="store_true", help="a tiny model and a few steps (smoke test)")
    ap.add_argument("--gpu", action="store_true", help="the configuration for a lent GPU (gpu_config)")
    ap.add_argument("--workers", type=int, default=0, help="data worker processes (for a GPU)")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model (torch >= 2)")
    ap.add_argument("--deadline", type=float, help="stop training at this time (seconds since the epoch)")
    ap.add_argument("--snapshot-dir", help="write fp16 weight parts here every --snapshot-minutes")
    ap.add_argument("--snapshot-minutes", type=float, default=2.0)
    ap.add_argument("--threads", type=int, help="CPU threads (default 2)")
    ap.add_argument("--cpu-clock", action="store_true",
                    help="count --minutes in this process's CPU time (equal-compute comparisons on a shared machine)")
    args = ap.parse_args()
    cfg = tiny_config() if args.tiny else gpu_config() if args.gpu else TrainConfig()
    for k in ("minutes", "max_steps", "batch", "lr", "seq_len", "threads"):
        if getattr(args, k) is not None:
            setattr(cfg, k, getattr(args, k))
    if args.python_share is not None:
        rest = (1 - args.python_share) / 2
        cfg.lang_weights = {"python": args.python_share, "javascript": rest, "typescript": rest}
    if args.model:
        cfg.model = ModelConfig(**{**asdict(cfg.model), **json.loads(args.model)})
    if args.unshifted:
        cfg.model.shift, cfg.ar_frac, cfg.aux_weight = False, 0.0, 0.5
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
    elif args.init:
        init = torch.load(args.init, map_location="cpu", weights_only=False)
        cfg.model = ModelConfig.from_dict(init["model_config"])
    cuda = args.device.startswith("cuda")
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
        print(f"initialised from {args.init} ({tokens/1e6:.2f} M tokens seen before)")
    print(f"model: {model.num_params()/1e6:.2f} M parameters, device {args.device}, shift {cfg.model.shift}")
    run_model = torch.compile(model) if args.compile and hasattr(torch, "compile") else model
    data = Data(os.path.join(args.corpus, "train.jsonl"), tok, cfg, rng, limit=200 if args.tiny else None)
    held = Data(os.path.join(args.corpus, "test.jsonl"), tok, cfg, random.Random(99), limit=200 if args.tiny else None)
    held_examples = held.batch(cfg.eval_examples)
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
        tmp = ckpt_path + ".tmp"
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step,
                    "tokens": tokens, "seconds": prev_seconds + clock() - t_start,
                    "rng": rng.getstate(), "torch_rng": torch.get_rng_state(),
                    "model_config": cfg.model.to_dict(), "tokenizer_json": tok_json, "train_config": {
                        k: v for k, v in asdict(cfg).items() if k != "model"}}, tmp)
        os.replace(tmp, ckpt_path)

    def snapshot():
        if args.snapshot_dir:
            write_parts(model, cfg, tok_json, step, tokens, prev_seconds + clock() - t_start, args.snapshot_dir)

    first_log = None
    while True:
        elapsed = prev_seconds + clock() - t_start
        frac = elapsed / budget if budget > 0 else 1.0
        if cfg.max_steps:
            frac = max(frac, step / cfg.max_steps)
        if frac >= 1:
            break
        lr = lr_at(cfg, step, frac)
        for g in opt.param_groups:
            g["lr"] = lr
        block, batch = stream(frac >= cfg.ar_frac).next()
        batch = to_device(batch, args.device)
        with (torch.autocast("cuda", dtype=torch.bfloat16) if cuda else contextlib.nullcontext()):
            diff, ar, masked_ce = losses(run_model, batch)
            loss = ar if diff is None else diff + cfg.aux_weight * ar
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
        opt.step()
        step += 1
        tokens += batch["ids"].numel()
        if step % cfg.log_every == 0 or step % cfg.eval_every == 0:
            now = prev_seconds + clock() - t_start
            rec = {"step": step, "tokens": tokens, "lr": round(lr, 6), "block": block,
                   "loss": round(loss.item(), 4), "ar": round(ar.item(), 4), "seconds": round(now, 1)}
            if diff is not None:
                rec.update(diffusion=round(diff.item(), 4), masked_ce=round(masked_ce.item(), 4))
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
    print(f"done: step {step}, {tokens/1e6:.2f} M tokens")


if __name__ == "__main__":
    main()
