"""Verified drafts (self-speculative decoding), the twin of src/engine/verified.ts.

The diffusion head drafts a block; one forward pass runs [pending ; draft ; block of masks],
the pending tokens and the draft as clean causal tokens (they join the cache). With shifted
logits each clean token's row is the next-token distribution after it, so draft[j] stays when it
is the greedy choice of the row before it; at the first disagreement the greedy choice replaces
it and the rest of the draft leaves the cache. When the whole draft stands, the masks' rows are
the next block's first denoising step, and prompt lookup (with_lookup, the twin of
src/engine/lookupDraft.ts) replaces the draft's later positions where the text so far repeats an
earlier n-gram. Drafts never hold <eom> (only the verifier ends the
middle). The output is exactly greedy next-token decoding's (block size 1).
"""
import torch

from .sampler import block_rows, best, commit_step, new_block, unsettled


MAX_NGRAM, MIN_NGRAM, LOOKUP_MAX = 4, 2, 16


def with_lookup(draft, history, allowed, max_len):
    """draft with positions 1.. taken from what followed the latest earlier occurrence of the
    n-gram ending at draft[0] in history + [draft[0]] (longest n first), extended with what
    followed there up to max_len tokens; a disallowed token ends the proposal."""
    if len(draft) < 1:
        return draft
    seq = list(history) + [draft[0]]
    end = len(seq) - 1
    for n in range(MAX_NGRAM, MIN_NGRAM - 1, -1):
        if end - n + 1 < 0:
            continue
        for p in range(end - 1, n - 2, -1):
            if all(seq[p - i] == seq[end - i] for i in range(n)):
                out = list(draft)
                j = 1
                while j < max_len and p + j <= end - 1 and bool(allowed[seq[p + j]]):
                    if j < len(out):
                        out[j] = seq[p + j]
                    else:
                        out.append(seq[p + j])
                    j += 1
                return out
    return draft


def verified_decode(runner, pending, pos, o):
    """runner: a CausalRunner (held K/V, truncate); pending: clean tokens not yet held, ending
    right before `pos`; o: sampler.Options. Returns the decode dict with verify_passes."""
    if not o.shift or runner.anchor_every_step:
        raise ValueError("verified drafts need a cached model with shifted logits")
    draft_o = o.without(o.eom_id)
    context = list(runner.ids) + list(pending)
    out, probs, draft, anchor = [], [], [], None
    n = dict(steps=0, forwards=0, verify_passes=0)
    stop = [None]

    def accept(token, prob):
        if token == o.eom_id:
            stop[0] = "eom"
        else:
            out.append(token)
            probs.append(prob)
            if o.single_line and o.line_ends(token, len(out) == 1):
                stop[0] = "newline"
            elif len(out) >= o.max_tokens:
                stop[0] = "maxTokens"
        return stop[0] is not None

    def result(reason):
        return dict(tokens=out, probs=probs, stop=stop[0] or reason, **n)

    def run(clean, block, at, rows):
        n["steps"] += 1
        n["forwards"] += 1
        return runner.step(clean, block, at, rows)

    while True:
        at = pos + len(draft)
        B = max(0, min(o.block_size, o.max_tokens - len(out) - len(draft), o.max_position - at))
        if not draft and B == 0:
            return result("contextFull" if o.max_position <= at else "maxTokens")
        held = runner.held + len(pending)
        logits = run(pending + draft, [o.mask_id] * B, at, (1 if pending else 0) + len(draft) + B)
        # rows[r] is the state at pos - 1 + r: r predicts draft[r], len(draft) + i predicts block[i]
        rows = logits if pending else torch.cat([anchor.unsqueeze(0), logits])
        if draft:
            n["verify_passes"] += 1
        rejected = False
        for k, d in enumerate(draft):
            t, p = best(rows[k], o.keep(len(out), 0))
            if t != d:
                runner.truncate(held + k)
                if accept(t, p):
                    return result("maxTokens")
                pos, pending, draft, rejected = pos + k + 1, [t], [], True
                break
            if accept(t, p):
                return result("maxTokens")
        if rejected:
            continue
        pos, pending = pos + len(draft), []
        if B == 0:
            return result("contextFull")
        d = len(draft)
        st, block_logits, anchor = new_block(B, o.mask_id), rows[d:d + B], rows[d]
        s = 0
        while True:
            commit_step(block_logits, st, draft_o, len(out), s)
            if not unsettled(st):
                break
            s += 1
            block_logits = block_rows(run([], st["block"], pos, B), B, True, anchor)[0]
        draft = with_lookup(st["block"][:st["horizon"]], context + out, draft_o.base,
                            min(LOOKUP_MAX, o.max_tokens - len(out), o.max_position - pos))
