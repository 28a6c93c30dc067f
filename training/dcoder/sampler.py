"""Reference sampler in torch: the same decode as src/engine/denoiser.ts, on the same runners as
src/engine/runners.ts (CausalRunner, BidirectionalRunner here; natural.py's NaturalRunner).

Usage (as a module): decode(CausalRunner(model), ctx_ids, **options) -> dict(tokens, steps, forwards, stop)

Blocks of <mask> are denoised in steps; each step commits the masked positions whose top
probability reaches the threshold (at least the most confident one), or, with a fixed number of
steps, ceil(masked / steps left) of them, most confident first (ties: lower index). The first
pass of a block also carries the previous block's clean tokens (or the context), whose K/V join
the cache. Special tokens other than <eom> are never
predicted, and <eom> is committed only at the leftmost undecided position. With shift=True (the
manifest's logit_shift) the state at i-1 predicts token i: a block's first position reads the
row of the last clean token (the anchor, computed in the block's first step), position i the
row of position i-1. Stops at <eom>, at a newline in single-line mode, at max_tokens or at
max_position.
make_fixtures.py runs it to write golden decodes that the TypeScript tests must reproduce.
"""
import copy
import math

import torch


def _run(model, ids, positions, mask, past):
    """One forward pass of our model; returns (logits of every input row, present K/V)."""
    with torch.no_grad():
        h, present = model.hidden(ids, positions, mask, past)
        return model.logits(h)[0].double().cpu(), present


class CausalRunner:
    """The engine's BlockCausalRunner: a step runs the pending clean tokens (causal, they join
    the K/V cache) and the block (bidirectional) against the cache, under the contract of
    docs/ARCHITECTURE.md, "The attention and layout contract"."""
    anchor_every_step = False

    def __init__(self, model):
        self.model, self.past, self.ids = model, None, []

    def step(self, pending, block, pos, rows):
        cfg = self.model.cfg
        dev = self.model.wte.weight.device  # the forward pass runs where the model is
        past = self.past
        if past is None:
            past = torch.zeros(cfg.n_layer, 2, 1, cfg.n_head, 0, cfg.head_dim, device=dev)
        P = past.shape[4]
        ids = torch.tensor([pending + block], device=dev)
        T = ids.shape[1]
        positions = torch.arange(pos - len(pending), pos - len(pending) + T, device=dev).unsqueeze(0)
        mask = torch.zeros(1, 1, T, P + T, dtype=torch.bool)
        mask[..., :P] = True
        for i in range(T):
            if i < len(pending):
                mask[0, 0, i, P:P + i + 1] = True
            else:
                mask[0, 0, i, P:] = True
        logits, present = _run(self.model, ids, positions, mask.to(dev), past)
        if pending:
            self.past = torch.cat([past, present[:, :, :, :, :len(pending)]], dim=4)
            self.ids += pending
        return logits[T - rows:]

    @property
    def held(self):
        return 0 if self.past is None else self.past.shape[4]

    def truncate(self, n):
        """Keep only the first n held tokens."""
        if self.past is not None:
            self.past = self.past[:, :, :, :, :n]
        del self.ids[n:]


class BidirectionalRunner:
    """The engine's BidirectionalRunner: no cache, the whole sequence [context ; block] every
    step with full attention (every row is recomputed, the row before the block included)."""
    anchor_every_step = True

    def __init__(self, model):
        self.model, self.ids = model, []

    def step(self, pending, block, pos, rows):
        cfg = self.model.cfg
        dev = self.model.wte.weight.device
        self.ids += pending
        ids = torch.tensor([self.ids + block], device=dev)
        T = ids.shape[1]
        positions = torch.arange(pos - len(self.ids), pos - len(self.ids) + T, device=dev).unsqueeze(0)
        mask = torch.ones(1, 1, T, T, dtype=torch.bool, device=dev)
        past = torch.zeros(cfg.n_layer, 2, 1, cfg.n_head, 0, cfg.head_dim, device=dev)
        return _run(self.model, ids, positions, mask, past)[0][T - rows:]


def _per_step(masked, steps, steps_done):
    return math.ceil(masked / max(1, steps - steps_done))


def _choose(cands, policy, steps_done):
    """policy: ("threshold", p[, max_steps]) or ("steps", n)."""
    order = sorted(cands, key=lambda c: (-c[2], c[0]))
    if policy[0] == "threshold":
        over = sum(c[2] >= policy[1] for c in order)
        floor = _per_step(len(cands), policy[2], steps_done) if len(policy) > 2 and policy[2] else 1
        return order[:max(over, floor)]
    return order[:_per_step(len(cands), policy[1], steps_done)]


def block_rows(logits, B, shift, anchor):
    """Per block position, the row that predicts it (see the module doc)."""
    if not shift:
        return logits, anchor
    if logits.shape[0] == B + 1:
        return logits[:B], logits[0]
    return torch.cat([anchor.unsqueeze(0), logits[:B - 1]]), anchor


class Options:
    """The decode's fixed options (the engine's DecodeOptions), with the allowed-token masks."""

    def __init__(self, *, mask_id, eom_id, max_tokens, block_size, policy, single_line, pieces,
                 max_position, shift, vocab_size, banned=(), first_allowed=None, healed_chars=0):
        self.mask_id, self.eom_id, self.max_tokens, self.block_size = mask_id, eom_id, max_tokens, block_size
        self.policy, self.single_line, self.pieces, self.max_position = policy, single_line, pieces, max_position
        self.shift, self.healed_chars = shift, healed_chars
        self.base = torch.ones(vocab_size, dtype=torch.bool)
        self.base[list(banned)] = False
        self.first = None
        if first_allowed is not None:
            self.first = torch.zeros_like(self.base)
            self.first[first_allowed] = True
            self.first &= self.base

    def keep(self, out_len, i):
        """The tokens allowed at block position i after out_len output tokens."""
        return self.first if out_len == 0 and i == 0 and self.first is not None else self.base

    def without(self, token):
        """A copy with `token` banned everywhere."""
        o = copy.copy(self)
        o.base = self.base.clone()
        o.base[token] = False
        if self.first is not None:
            o.first = self.first.clone()
            o.first[token] = False
        return o

    def line_ends(self, token, first):
        """Whether `token` (the middle's first when `first`) ends a single line (healed characters excluded)."""
        text = self.pieces[token][self.healed_chars:] if first else self.pieces[token]
        return "\n" in text


def best(row, keep):
    """The best allowed token of a logits row and its softmax probability."""
    probs = torch.softmax(row.masked_fill(~keep, -math.inf), dim=-1)
    p, t = probs.max(dim=-1)
    return int(t), float(p)


def block_end(block, done, o, first):
    """(horizon, stop): the first committed <eom> or single-line newline ends the block's useful part."""
    for i in range(len(block)):
        if not done[i]:
            continue
        if block[i] == o.eom_id:
            return i + 1, "eom"
        if o.single_line and o.line_ends(block[i], first and i == 0):
            return i + 1, "newline"
    return len(block), None


def commit_step(rows, st, o, out_len, block_steps):
    """One denoising step on a block state dict(block, done, probs, horizon, stop) from its rows."""
    cands = []
    leftmost = st["done"].index(False)
    for i in range(st["horizon"]):
        if st["done"][i]:
            continue
        t, p = best(rows[i], o.keep(out_len, i))
        if t == o.eom_id and i != leftmost:
            continue  # <eom> waits until everything before it is decided
        cands.append((i, t, p))
    for i, t, p in _choose(cands, o.policy, block_steps):
        st["block"][i], st["done"][i], st["probs"][i] = t, True, p
    st["horizon"], st["stop"] = block_end(st["block"], st["done"], o, out_len == 0)


def new_block(B, mask_id):
    return dict(block=[mask_id] * B, done=[False] * B, probs=[0.0] * B, horizon=B, stop=None)


def unsettled(st):
    return not all(st["done"][:st["horizon"]])


def decode(runner, ctx_ids, *, start=None, verified=False, **options):
    """Decode a middle after `ctx_ids` (still to be taken in by the runner) at position `start`
    (default: right after them; a runner that already took the context in gets ctx_ids=[]).
    verified=True: verified drafts (dcoder/verified.py), greedy next-token output."""
    o = Options(**options)
    pos = len(ctx_ids) if start is None else start
    if verified:
        from .verified import verified_decode
        return verified_decode(runner, list(ctx_ids), pos, o)
    out, probs, steps, forwards = [], [], 0, 0
    pending = list(ctx_ids)
    result = lambda stop: dict(tokens=out, probs=probs, steps=steps, forwards=forwards, stop=stop)
    while True:
        if o.max_tokens - len(out) <= 0:
            return result("maxTokens")
        if o.max_position - pos <= 0:
            return result("contextFull")
        B = min(o.block_size, o.max_tokens - len(out), o.max_position - pos)
        st, block_steps, anchor = new_block(B, o.mask_id), 0, None
        while unsettled(st):
            rows = B + 1 if o.shift and (pending or runner.anchor_every_step) else B
            logits = runner.step(pending, st["block"], pos, rows)
            logits, anchor = block_rows(logits, B, o.shift, anchor)
            pending = []
            forwards += 1
            steps += 1
            commit_step(logits, st, o, len(out), block_steps)
            block_steps += 1
        h = st["horizon"]
        if st["stop"] == "eom":
            out += st["block"][:h - 1]
            probs += st["probs"][:h - 1]
            return result("eom")
        out += st["block"][:h]
        probs += st["probs"][:h]
        if st["stop"] == "newline":
            return result("newline")
        pending, pos = st["block"][:h], pos + B
