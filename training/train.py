"""Train the block-causal diffusion coder on fill-in-the-middle examples.

Usage:
    /usr/bin/python3 training/train.py --out training/runs/main [--minutes 120] [--device cpu]
        [--init models/dcoder-14m/checkpoint.pt] [--tiny]

Resumable: if OUT/ckpt.pt exists the run continues from it (model, optimizer, step, RNG).
--init starts a new run from other weights (e.g. to continue the shipped model on a GPU).
Each batch draws one block size (1 to 32) so the same weights decode at any block size; size 1
is the autoregressive baseline. Objective: masked diffusion (each block masked with its own
t ~ U(0,1], cross-entropy on masked tokens weighted by the inverse of the block's masked
fraction) on [clean ; noisy middle] with the
BD3-LM block mask, plus an auxiliary next-token loss on the clean stream. Logs JSON lines to
OUT/log.jsonl (train loss, held-out loss) and checkpoints every few minutes.
"""
import argparse
import contextlib
import json
import math
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class TrainConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    seq_len: int = 384
    max_mid: int = 64
    max_suffix: int = 96
    batch: int = 16
    lr: float = 1.5e-3
    min_lr_frac: float = 0.1
    warmup: int = 100
    weight_decay: float = 0.1
    clip: float = 1.0
    aux_weight: float = 0.5
    block_sizes: tuple = (1, 2, 4, 8, 16, 32)
    block_probs: tuple = (0.15, 0.08, 0.08, 0.14, 0.40, 0.15)
    lang_weights: dict = field(default_factory=lambda: {"python": 0.5, "javascript": 0.25, "typescript": 0.25})
    t_min: float = 0.05
    max_steps: int = 0          # 0: bounded by --minutes only
    minutes: float = 120.0
    decay_frac: float = 0.25    # warmup-stable-decay: linear decay over the last quarter
    eval_every: int = 100
    eval_examples: int = 64
    ckpt_minutes: float = 5.0
    seed: int = 1234
    threads: int = 2


def tiny_config():
    return TrainConfig(model=ModelConfig(vocab_size=8192, n_layer=2, n_head=2, d_model=64, d_ff=128),
                       seq_len=96, max_mid=24, max_suffix=24, batch=4, eval_every=5,
                       eval_examples=8, max_steps=10, minutes=2, warmup=2)


def block_diffusion_batch(examples, block, mask_id, pad_id, rng, t_min=0.05, t_fixed=None):
    """Tensors for one training step.

    Returns ids, pos [B, L+M]; allowed [B, 1, L+M, L+M] (bool); diffusion targets / weights
    over the noisy part [B, M]; the number of middle tokens; clean-stream next-token targets.
    """
    B, L = len(examples), len(examples[0].ids)
    # The last block of a middle is filled up with <eom> targets (LLaDA pads with EOS): at
    # inference every block holds `block` masks, so the model must learn that masks after the
    # end of the middle are <eom>, not infer the length from the number of masks.
    spans = [min(-(-e.mid_len // block) * block, L - e.mid_start + block - 1) for e in examples]
    M = max(spans)
    clean = torch.tensor([e.ids for e in examples], dtype=torch.long)
    noisy = torch.full((B, M), pad_id, dtype=torch.long)
    npos = torch.zeros((B, M), dtype=torch.long)
    target = torch.full((B, M), -100, dtype=torch.long)
    weight = torch.zeros((B, M))
    nblock = torch.full((B, M), -1, dtype=torch.long)   # block id of each noisy token (-k: padding)
    nstart = torch.zeros((B, M), dtype=torch.long)      # absolute start of its block
    eom = examples[0].ids[examples[0].mid_start + examples[0].mid_len - 1]
    for b, e in enumerate(examples):
        span = spans[b]
        mid = e.ids[e.mid_start:e.mid_start + e.mid_len] + [eom] * (span - e.mid_len)
        for j0 in range(0, span, block):
            j1 = min(j0 + block, span)
            t = t_fixed if t_fixed is not None else t_min + (1 - t_min) * rng.random()
            masked = [rng.random() < t for _ in range(j0, j1)]
            if not any(masked):
                masked[rng.randrange(j1 - j0)] = True
            # 1/t with t the block's actual masked fraction: the same expectation, lower
            # variance, and right for small blocks where one mask is forced (block 1: weight 1).
            w = (j1 - j0) / sum(masked)
            for j in range(j0, j1):
                noisy[b, j] = mask_id if masked[j - j0] else mid[j]
                if masked[j - j0]:
                    target[b, j] = mid[j]
                    weight[b, j] = w
            nblock[b, j0:j1] = j0 // block
            nstart[b, j0:j1] = e.mid_start + j0
        npos[b, :span] = torch.arange(e.mid_start, e.mid_start + span)
        nblock[b, span:] = -1 - torch.arange(M - span)
    ids = torch.cat([clean, noisy], 1)
    pos = torch.cat([torch.arange(L).expand(B, L), npos], 1)
    cc = torch.ones(L, L, dtype=torch.bool).tril().expand(B, L, L)
    nc = torch.arange(L).view(1, 1, L) < nstart.unsqueeze(-1)            # [B, M, L]
    nn_ = nblock.unsqueeze(-1) == nblock.unsqueeze(1)                     # [B, M, M]
    top = torch.cat([cc, torch.zeros(B, L, M, dtype=torch.bool)], 2)
    bottom = torch.cat([nc, nn_], 2)
    allowed = torch.cat([top, bottom], 1).unsqueeze(1)
    lengths = torch.tensor([e.length for e in examples])
    ar_target = torch.full((B, L), -100, dtype=torch.long)
    ar_target[:, :-1] = clean[:, 1:]
    ar_target[torch.arange(L).expand(B, L) >= (lengths - 1).unsqueeze(1)] = -100
    n_mid = sum(spans)
    return ids, pos, allowed, target, weight, n_mid, ar_target


def losses(model, batch):
    ids, pos, allowed, target, weight, n_mid, ar_target = batch
    L = ar_target.shape[1]
    h, _ = model.hidden(ids, pos, allowed)
    logits = model.logits(h).float()
    ce = F.cross_entropy(logits[:, L:].reshape(-1, logits.shape[-1]), target.reshape(-1),
                         ignore_index=-100, reduction="none")
    diff = (ce * weight.reshape(-1)).sum() / n_mid
    ar = F.cross_entropy(logits[:, :L].reshape(-1, logits.shape[-1]), ar_target.reshape(-1), ignore_index=-100)
    masked_ce = ce.sum() / (target >= 0).sum().clamp(min=1)
    return diff, ar, masked_ce


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

    def example(self):
        while True:
            lang = self.rng.choices(self.langs, self.weights)[0]
            text = self.rng.choice(self.by_lang[lang])
            ex = fim.make_example(self.tok, self.sp, text, self.rng, self.cfg.seq_len,
                                  self.cfg.max_mid, self.cfg.max_suffix)
            if ex is not None:
                return ex

    def batch(self, n):
        return [self.example() for _ in range(n)]


class _Batches(torch.utils.data.IterableDataset):
    def __init__(self, data, cfg, sp, seed):
        self.data, self.cfg, self.sp, self.seed = data, cfg, sp, seed

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        rng = random.Random(self.seed * 1000 + (info.id if info else 0))
        self.data.rng = rng
        while True:
            block = rng.choices(self.cfg.block_sizes, self.cfg.block_probs)[0]
            yield block, block_diffusion_batch(self.data.batch(self.cfg.batch), block, self.sp["mask"],
                                               self.sp["pad"], rng, self.cfg.t_min)


class BatchStream:
    """Training batches: built in this process from its seeded RNG (CPU, resumable exactly),
    or by worker processes when a GPU would otherwise wait for data."""

    def __init__(self, data, cfg, sp, workers, seed):
        self.data, self.cfg, self.sp = data, cfg, sp
        self.it = None
        if workers > 0:
            dl = torch.utils.data.DataLoader(_Batches(data, cfg, sp, seed), batch_size=None,
                                             num_workers=workers, pin_memory=True, prefetch_factor=4)
            self.it = iter(dl)

    def next(self):
        if self.it is not None:
            return next(self.it)
        block = self.data.rng.choices(self.cfg.block_sizes, self.cfg.block_probs)[0]
        return block, block_diffusion_batch(self.data.batch(self.cfg.batch), block, self.sp["mask"],
                                            self.sp["pad"], self.data.rng, self.cfg.t_min)


def lr_at(cfg, step, frac):
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    if frac < 1 - cfg.decay_frac:
        return cfg.lr
    d = min(1.0, (frac - (1 - cfg.decay_frac)) / cfg.decay_frac)
    return cfg.lr * (1 - d * (1 - cfg.min_lr_frac))


@torch.no_grad()
def held_out_loss(model, examples, sp, block=16):
    model.eval()
    rng = random.Random(0)
    tot = n = 0.0
    for i in range(0, len(examples), 8):
        batch = block_diffusion_batch(examples[i:i + 8], block, sp["mask"], sp["pad"], rng, t_fixed=0.5)
        _, _, masked_ce = losses(model, batch)
        tot += masked_ce.item()
        n += 1
    model.train()
    return tot / n


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
    ap.add_argument("--init", help="start from these weights (a checkpoint.pt) instead of random")
    ap.add_argument("--tiny", action="store_true", help="a tiny model and a few steps (smoke test)")
    ap.add_argument("--workers", type=int, default=0, help="data worker processes (for a GPU)")
    args = ap.parse_args()
    cfg = tiny_config() if args.tiny else TrainConfig()
    for k in ("minutes", "max_steps", "batch", "lr"):
        if getattr(args, k) is not None:
            setattr(cfg, k, getattr(args, k))
    torch.set_num_threads(cfg.threads if args.device == "cpu" else 8)
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, "ckpt.pt")
    tok = bpe.Tokenizer.load(args.tokenizer)
    cfg.model.vocab_size = tok.vocab_size
    rng = random.Random(cfg.seed)
    torch.manual_seed(cfg.seed)
    state = None
    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        cfg.model = ModelConfig(**state["model_config"])
    elif args.init:
        init = torch.load(args.init, map_location="cpu", weights_only=False)
        cfg.model = ModelConfig(**init["model_config"])
    model = DiffusionCoder(cfg.model).to(args.device)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr, betas=(0.9, 0.95))
    step, tokens, prev_seconds = 0, 0, 0.0
    if state:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        step, tokens, prev_seconds = state["step"], state["tokens"], state["seconds"]
        rng.setstate(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        print(f"resumed at step {step}, {tokens/1e6:.2f} M tokens")
    elif args.init:
        model.load_state_dict(init["model"])
        tokens = init.get("tokens", 0)
        print(f"initialised from {args.init} ({tokens/1e6:.2f} M tokens seen before)")
    print(f"model: {model.num_params()/1e6:.2f} M parameters, device {args.device}")
    data = Data(os.path.join(args.corpus, "train.jsonl"), tok, cfg, rng, limit=200 if args.tiny else None)
    held_rng = random.Random(99)
    held = Data(os.path.join(args.corpus, "test.jsonl"), tok, cfg, held_rng, limit=200 if args.tiny else None)
    held_examples = held.batch(cfg.eval_examples)
    sp = data.sp
    log = open(os.path.join(args.out, "log.jsonl"), "a")
    batches = BatchStream(data, cfg, sp, args.workers, cfg.seed + step)
    amp = args.device.startswith("cuda")
    t_start, last_ckpt = time.time(), time.time()

    def save():
        tmp = ckpt_path + ".tmp"
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step,
                    "tokens": tokens, "seconds": prev_seconds + time.time() - t_start,
                    "rng": rng.getstate(), "torch_rng": torch.get_rng_state(),
                    "model_config": cfg.model.to_dict(), "train_config": {
                        k: v for k, v in asdict(cfg).items() if k != "model"}}, tmp)
        os.replace(tmp, ckpt_path)

    while True:
        elapsed = prev_seconds + time.time() - t_start
        frac = elapsed / (cfg.minutes * 60)
        if cfg.max_steps:
            frac = max(frac, step / cfg.max_steps)
        if frac >= 1:
            break
        lr = lr_at(cfg, step, frac)
        for g in opt.param_groups:
            g["lr"] = lr
        block, batch = batches.next()
        batch = tuple(x.to(args.device, non_blocking=True) if torch.is_tensor(x) else x for x in batch)
        with (torch.autocast("cuda", dtype=torch.bfloat16) if amp else contextlib.nullcontext()):
            diff, ar, masked_ce = losses(model, batch)
            loss = diff + cfg.aux_weight * ar
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
        opt.step()
        step += 1
        tokens += cfg.batch * cfg.seq_len
        rec = {"step": step, "tokens": tokens, "lr": round(lr, 6), "block": block,
               "loss": round(loss.item(), 4), "diffusion": round(diff.item(), 4),
               "masked_ce": round(masked_ce.item(), 4), "ar": round(ar.item(), 4),
               "seconds": round(prev_seconds + time.time() - t_start, 1)}
        if step % cfg.eval_every == 0:
            rec["held_out_masked_ce"] = round(held_out_loss(model, held_examples, sp), 4)
        log.write(json.dumps(rec) + "\n")
        log.flush()
        if step % 10 == 0 or "held_out_masked_ce" in rec:
            print(json.dumps(rec), flush=True)
        if time.time() - last_ckpt > cfg.ckpt_minutes * 60:
            save()
            last_ckpt = time.time()
    save()
    print(f"done: step {step}, {tokens/1e6:.2f} M tokens")


if __name__ == "__main__":
    main()
