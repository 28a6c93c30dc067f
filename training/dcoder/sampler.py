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
        self.model, self.past = model, None

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
        return logits[T - rows:]


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


def _block_rows(logits, B, shift, anchor):
    """Per block position, the row that predicts it (see the module doc)."""
    if not shift:
        return logits, anchor
    if logits.shape[0] == B + 1:
        return logits[:B], logits[0]
    return torch.cat([anchor.unsqueeze(0), logits[:B - 1]]), anchor


def decode(runner, ctx_ids, *, mask_id, eom_id, max_tokens, block_size, policy, single_line,
           pieces, max_position, shift, vocab_size, banned=(), first_allowed=None, start=None, healed_chars=0):
    """Decode a middle after `ctx_ids` (still to be taken in by the runner) at position `start`
    (default: right after them; a runner that already took the context in gets ctx_ids=[])."""
    out, steps, forwards = [], 0, 0
    base = torch.ones(vocab_size, dtype=torch.bool)
    base[list(banned)] = False
    pending = list(ctx_ids)
    pos = len(ctx_ids) if start is None else start
    while True:
        if max_tokens - len(out) <= 0:
            return dict(tokens=out, steps=steps, forwards=forwards, stop="maxTokens")
        if max_position - pos <= 0:
            return dict(tokens=out, steps=steps, forwards=forwards, stop="contextFull")
        B = min(block_size, max_tokens - len(out), max_position - pos)
        block, done, horizon, stop, block_steps = [mask_id] * B, [False] * B, B, None, 0
        anchor = None
        while not all(done[:horizon]):
            rows = B + 1 if shift and (pending or runner.anchor_every_step) else B
            logits = runner.step(pending, block, pos, rows)
            logits, anchor = _block_rows(logits, B, shift, anchor)
            pending = []
            forwards += 1
            steps += 1
            cands = []
            leftmost = done.index(False)
            for i in range(horizon):
                if done[i]:
                    continue
                keep = base.clone()
                if not out and i == 0 and first_allowed is not None:
                    keep = torch.zeros_like(base)
                    keep[first_allowed] = True
                    keep &= base
                row = logits[i].masked_fill(~keep, -math.inf)
                probs = torch.softmax(row, dim=-1)
                p, t = probs.max(dim=-1)
                if int(t) == eom_id and i != leftmost:
                    continue  # <eom> waits until everything before it is decided
                cands.append((i, int(t), float(p)))
            for i, t, _ in _choose(cands, policy, block_steps):
                block[i], done[i] = t, True
            block_steps += 1
            horizon, stop = B, None
            for i in range(B):
                if not done[i]:
                    continue
                if block[i] == eom_id:
                    horizon, stop = i + 1, "eom"
                    break
                text = pieces[block[i]][healed_chars:] if not out and i == 0 else pieces[block[i]]
                if single_line and "\n" in text:  # not in the healed characters of the first token
                    horizon, stop = i + 1, "newline"
                    break
        finished = block[:horizon]
        if stop == "eom":
            return dict(tokens=out + finished[:-1], steps=steps, forwards=forwards, stop="eom")
        out += finished
        if stop == "newline":
            return dict(tokens=out, steps=steps, forwards=forwards, stop="newline")
        pending, pos = finished, pos + B
