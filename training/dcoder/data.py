"""Training examples from the corpus: FIM examples and plain file windows by language, and
batch streams for one training phase (next-token or block diffusion), built in-process (CPU,
resumable exactly) or by worker processes (GPU)."""
import json
import random

import torch

from . import fim
from .objective import make_batch, make_packed_batch

BYTES_PER_TOKEN = 3.8   # held-out characters per token of the 8192-token vocabulary (README, section 2)


class Data:
    def __init__(self, path, tok, cfg, rng, limit=None):
        self.tok, self.cfg, self.rng = tok, cfg, rng
        self.sp = fim.special_ids(tok)
        self.by_lang = {}
        self.chars = 0          # characters of text, for the unique-token estimate train.py prints
        self.pending = []       # examples drawn but not yet packed into a row (packed_rows)
        with open(path) as f:
            for i, line in enumerate(f):
                if limit and i >= limit:
                    break
                d = json.loads(line)
                self.by_lang.setdefault(d["lang"], []).append(d["text"])
                self.chars += len(d["text"])
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


def packed_rows(data, cfg):
    """cfg.batch rows of whole examples, first-fit decreasing: a pool of examples about 10% longer
    than the rows hold, longest first, each into the first row with room. Examples left over wait
    for the next batch (up to one batch of them). With gpu_config's mix the rows are 80-85% real
    tokens against 70% unpacked (an example averages 351 of 512 positions, so one after the other a
    second one rarely fits)."""
    pool = data.pending
    while sum(e.length for e in pool) < 1.1 * cfg.batch * cfg.seq_len:
        pool.append(data.example(data.rng.random() < cfg.plain_frac))
    rows, room = [[] for _ in range(cfg.batch)], [cfg.seq_len] * cfg.batch
    left = []
    for ex in sorted(pool, key=lambda e: -e.length):
        i = next((i for i, r in enumerate(room) if r >= ex.length), None)
        if i is None:
            left.append(ex)
        else:
            rows[i].append(ex)
            room[i] -= ex.length
    data.pending = left[:cfg.batch]
    return rows


def noisy_len(cfg):
    """The fixed noisy part of a compiled run's diffusion batches: the longest middle, in whole
    blocks of the largest size (one shape, compiled once)."""
    big = max(cfg.block_sizes)
    return -(-cfg.max_mid // big) * big if cfg.compile else 0


def draw_batch(data, cfg, rng, diffusion):
    """(block size or None, batch) for one step of the current phase."""
    if not diffusion:
        if cfg.pack:
            return None, make_packed_batch(packed_rows(data, cfg), data.sp, cfg.seq_len)
        return None, make_batch(data.batch(cfg.batch, cfg.plain_frac), None, data.sp, rng)
    block = rng.choices(cfg.block_sizes, cfg.block_probs)[0]
    return block, make_batch(data.batch(cfg.batch), block, data.sp, rng, cfg.model.shift, cfg.t_range,
                             noisy_len=noisy_len(cfg))


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
