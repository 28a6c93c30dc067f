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


def make_batch(examples, block, sp, rng, shift=True, t_range=(0.3, 0.8), t_fixed=None):
    """Tensors for one training step, as a dict (small: no L x L mask).

    block None: the clean stream only (next-token). Otherwise the noisy middle follows the clean
    sequence: ids / pos [B, L+M]; nstart / nblock [B, M] (each noisy token's block start and id,
    from which `attention_mask` builds the mask on the device); diff_target / diff_weight [B, M]
    (every target is a real middle token: the fill has none); first [B, L]
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
    # the middle's last block is filled up to `block` positions: at inference a block always holds
    # `block` masks, so the fill positions are masks here too, with no target (the decoder takes
    # <eom> only at the leftmost undecided position, so what they would say is never used)
    spans = [min(-(-e.mid_len // block) * block, L - e.mid_start + block - 1) for e in examples]
    M = max(spans)
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
            "first": first, "n_mid": torch.tensor(float(sum(e.mid_len for e in examples)))}


def attention_mask(L, nstart=None, nblock=None, device=None):
    """The contract of docs/ARCHITECTURE.md, "The attention and layout contract".
    bool [B or 1, 1, L+M, L+M]: clean tokens attend causally; a noisy token attends to the clean
    tokens before its block's start and to every noisy token of its own block."""
    dev = nstart.device if nstart is not None else device
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
    allowed = attention_mask(L, batch.get("nstart"), batch.get("nblock"), batch["ids"].device)
    h, _ = model.hidden(batch["ids"], batch["pos"], allowed)
    ce_ar = _ce(model, h[:, :L], ar_target)
    ar = ce_ar.sum() / (ar_target >= 0).sum().clamp(min=1)
    if "diff_target" not in batch:
        return None, ar, None
    ce = _ce(model, h[:, L:], batch["diff_target"])
    diff = (ce * batch["diff_weight"]).sum() / batch["n_mid"]
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
