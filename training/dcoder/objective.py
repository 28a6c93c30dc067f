"""The training objective: batches of [clean sequence ; noisy middle], the block-causal
attention mask (docs/ARCHITECTURE.md, "The attention and layout contract") and the losses.

Shifted (Dream / DiffuCoder / Fast-dLLM v2): the state at i-1 predicts token i. A masked token
is predicted from the state one position before it inside its noisy block; a block's first
token from the last clean token (the next-token loss). Unshifted (`shift=False`, the first
model's objective): a masked position predicts its own token.
"""
import random

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint


def make_batch(examples, block, sp, rng, shift=True, t_range=(0.3, 0.8), t_fixed=None, noisy_len=0):
    """Tensors for one training step, as a dict (small: no L x L mask).

    block None: the clean stream only (next-token). Otherwise the noisy middle follows the clean
    sequence: ids / pos [B, L+M]; nstart / nblock [B, M] (each noisy token's block start and id,
    from which `attention_mask` builds the mask on the device); diff_target / diff_weight [B, M]
    (every target is a real middle token: the fill has none); first [B, L]
    (clean positions whose next token is a masked real block-first token); mid_len [B] (real
    middle tokens per example: the loss's normaliser). `noisy_len` pads the noisy part to at least
    that many positions (one shape for every batch: torch.compile compiles it once).
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
    # the middle's last block is filled up to `block` positions: at inference a block always holds
    # `block` masks, so the fill positions are masks here too, with no target (the decoder takes
    # <eom> only at the leftmost undecided position, so what they would say is never used)
    spans = [min(-(-e.mid_len // block) * block, L - e.mid_start + block - 1) for e in examples]
    M = max(max(spans), noisy_len)
    noisy = torch.full((B, M), sp["pad"], dtype=torch.long)
    npos = torch.zeros((B, M), dtype=torch.long)
    target = torch.full((B, M), -100, dtype=torch.long)
    weight = torch.zeros((B, M))
    first = torch.zeros((B, L), dtype=torch.bool)
    nblock = torch.full((B, M), -1, dtype=torch.long)   # block id of each noisy token (-k: padding)
    nstart = torch.zeros((B, M), dtype=torch.long)      # absolute start of its block
    for b, e in enumerate(examples):
        span = spans[b]
        mid = e.ids[e.mid_start:e.mid_start + e.mid_len]
        for j0 in range(0, span, block):
            j1 = min(j0 + block, span)
            # BD3-LM's clipped mask rates: far lower gradient variance than t ~ U(0, 1]
            t = t_fixed if t_fixed is not None else t_range[0] + (t_range[1] - t_range[0]) * rng.random()
            masked = [j >= e.mid_len or rng.random() < t for j in range(j0, j1)]
            # positions this block's noisy states predict (shifted: all but its first token)
            scored = range(j0 + s, min(j1, e.mid_len))
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
                    weight[b, j - s] = w
            if s and masked[0] and j0 < e.mid_len:
                first[b, e.mid_start + j0 - 1] = True
            nblock[b, j0:j1] = j0 // block
            nstart[b, j0:j1] = e.mid_start + j0
        npos[b, :span] = torch.arange(e.mid_start, e.mid_start + span)
        nblock[b, span:] = -1 - torch.arange(M - span)
    return {**out, "ids": torch.cat([clean, noisy], 1),
            "pos": torch.cat([torch.arange(L).expand(B, L), npos], 1),
            "nstart": nstart, "nblock": nblock, "diff_target": target, "diff_weight": weight,
            "first": first, "mid_len": torch.tensor([float(e.mid_len) for e in examples])}


def make_packed_batch(rows, sp, L):
    """Next-token batch of packed rows: each row holds whole examples (documents) one after the
    other, each with its own positions from 0 and attending only inside itself (doc [B, L]: the
    example's index in its row; the padding after the last one is a document of its own)."""
    B = len(rows)
    ids = torch.full((B, L), sp["pad"], dtype=torch.long)
    pos = torch.zeros((B, L), dtype=torch.long)
    doc = torch.zeros((B, L), dtype=torch.long)
    ar_target = torch.full((B, L), -100, dtype=torch.long)
    for b, row in enumerate(rows):
        o = 0
        for d, e in enumerate(row):
            n = e.length
            ids[b, o:o + n] = torch.tensor(e.ids[:n])
            pos[b, o:o + n] = torch.arange(n)
            doc[b, o:o + n] = d
            ar_target[b, o:o + n - 1] = ids[b, o + 1:o + n]
            o += n
        pos[b, o:] = torch.arange(L - o)
        doc[b, o:] = len(row)
    return {"ids": ids, "pos": pos, "doc": doc, "ar_target": ar_target}


def attention_mask(L, nstart=None, nblock=None, device=None, doc=None):
    """The contract of docs/ARCHITECTURE.md, "The attention and layout contract".
    bool [B or 1, 1, L+M, L+M]: clean tokens attend causally; a noisy token attends to the clean
    tokens before its block's start and to every noisy token of its own block. With `doc` (packed
    next-token rows) a token attends causally inside its own document only."""
    dev = nstart.device if nstart is not None else doc.device if doc is not None else device
    ar = torch.arange(L, device=dev)
    causal = ar.view(L, 1) >= ar.view(1, L)
    if doc is not None:
        return (causal & (doc.unsqueeze(-1) == doc.unsqueeze(1))).unsqueeze(1)
    if nstart is None:
        return causal.view(1, 1, L, L)
    B, M = nstart.shape
    top = torch.cat([causal.expand(B, L, L), torch.zeros(B, L, M, dtype=torch.bool, device=dev)], 2)
    to_clean = ar.view(1, 1, L) < nstart.unsqueeze(-1)
    same_block = nblock.unsqueeze(-1) == nblock.unsqueeze(1)
    return torch.cat([top, torch.cat([to_clean, same_block], 2)], 1).unsqueeze(1)


def _chunk_ce(h, w, target):
    ce = F.cross_entropy((h @ w.t()).flatten(0, 1).float(), target.flatten(), ignore_index=-100, reduction="none")
    return ce.view(target.shape)


def _ce(model, h, target, chunk=0):
    """Per-position cross-entropy [B, T] (0 where target is -100); no boolean indexing, so no
    device sync and the meta-device test can run it. `chunk` > 0: the logits of `chunk` positions
    at a time, each chunk recomputed in the backward pass (torch.utils.checkpoint), so the full
    [B, T, vocab] logits, in fp32 above all, never exist at once."""
    w = model.head_weight()
    T = h.shape[1]
    if chunk <= 0 or T <= chunk:
        return _chunk_ce(h, w, target)
    return torch.cat([checkpoint(_chunk_ce, h[:, i:i + chunk], w, target[:, i:i + chunk],
                                 use_reentrant=False, preserve_rng_state=False)
                      for i in range(0, T, chunk)], 1)


def losses(model, batch, ce_chunk=0):
    """(diffusion loss, next-token loss, masked-token CE on real middle tokens); the first and
    last are None for a next-token batch. `ce_chunk`: positions per chunk of the cross-entropy (_ce)."""
    ar_target = batch["ar_target"]
    L = ar_target.shape[1]
    allowed = attention_mask(L, batch.get("nstart"), batch.get("nblock"), batch["ids"].device, batch.get("doc"))
    h, _ = model.hidden(batch["ids"], batch["pos"], allowed)
    ce_ar = _ce(model, h[:, :L], ar_target, ce_chunk)
    ar = ce_ar.sum() / (ar_target >= 0).sum().clamp(min=1)
    if "diff_target" not in batch:
        return None, ar, None
    ce = _ce(model, h[:, L:], batch["diff_target"], ce_chunk)
    diff = (ce * batch["diff_weight"]).sum() / batch["mid_len"].sum()
    scored, first = batch["diff_target"] >= 0, batch["first"]
    masked_ce = ((ce * scored).sum() + (ce_ar * first).sum()) / (scored.sum() + first.sum()).clamp(min=1)
    return diff, ar, masked_ce


def to_device(batch, device):
    return {k: v.to(device, non_blocking=True) for k, v in batch.items()}


@torch.no_grad()
def held_out_loss(model, examples, sp, device, shift, block=16):
    """Masked-token cross-entropy on the middle's tokens (its <eom> included), block 16, t = 0.5."""
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
