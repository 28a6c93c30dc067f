"""Block-causal diffusion coder: a small pre-LN transformer with rotary positions whose
attention pattern comes entirely from a mask, so the same weights run

  * training: [clean sequence ; noisy copy of the middle] with the BD3-LM block mask,
  * inference: one step over T new tokens against a K/V cache of P past tokens (the ONNX graph).

Shifted convention (Dream, DiffuCoder, Fast-dLLM v2): the state at position i-1 predicts token
i, for clean and masked tokens alike, so a block's first token comes from the last clean
token's state and plain next-token training already gives a one-token-per-block decoder.

Every tensor is created on the input's device (tests run the forward pass on the meta device).
"""
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelConfig:
    vocab_size: int = 8192
    n_layer: int = 6
    n_head: int = 6
    d_model: int = 384
    d_ff: int = 1536
    max_len: int = 1024
    rope_base: float = 10000.0
    shift: bool = True               # the state at i-1 predicts token i (see the module doc)
    fused_attention: bool = False    # torch >= 2 scaled_dot_product_attention (training on a GPU)
    # modded-nanogpt's architecture changes, all off in the shipped models (ARCH_FLAGS):
    qk_norm: bool = False            # parameterless RMS norm of queries and keys before rotary
    mlp: str = "gelu"                # "relu2": ReLU squared
    tied: bool = True                # False: a separate head matrix
    zero_init: bool = False          # initialisation only: output projections (and an untied head) start at zero

    @property
    def head_dim(self):
        return self.d_model // self.n_head

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, d):
        """A saved config; checkpoints from before the shift field were unshifted."""
        return cls(**{"shift": False, **d})


ARCH_FLAGS = {"qk_norm": False, "mlp": "gelu", "tied": True}  # shape the graph; off = the shipped models


def rms_norm(x, eps=1e-6):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)


def rope_tables(positions, head_dim, base):
    """cos/sin of shape [B, 1, T, head_dim/2] for integer positions [B, T]."""
    half = torch.arange(0, head_dim, 2, dtype=torch.float32, device=positions.device)
    inv = 1.0 / (base ** (half / head_dim))
    ang = positions.to(torch.float32).unsqueeze(-1) * inv
    return torch.cos(ang).unsqueeze(1), torch.sin(ang).unsqueeze(1)


def apply_rope(x, cos, sin):
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model, bias=False)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model, bias=False)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.fc = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.out = nn.Linear(cfg.d_ff, cfg.d_model, bias=False)

    def forward(self, x, cos, sin, allowed, past_k=None, past_v=None):
        B, T, _ = x.shape
        H, D = self.cfg.n_head, self.cfg.head_dim
        q, k, v = self.qkv(self.ln1(x)).split(self.cfg.d_model, dim=-1)
        q, k = q.view(B, T, H, D).transpose(1, 2), k.view(B, T, H, D).transpose(1, 2)
        if self.cfg.qk_norm:
            q, k = rms_norm(q), rms_norm(k)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        v = v.view(B, T, H, D).transpose(1, 2)
        new_k, new_v = k, v
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        if self.cfg.fused_attention and hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        else:
            att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(D))
            y = torch.softmax(att.masked_fill(~allowed, -1e9), dim=-1) @ v
        x = x + self.proj(y.transpose(1, 2).reshape(B, T, -1))
        a = self.fc(self.ln2(x))
        x = x + self.out(F.relu(a).square() if self.cfg.mlp == "relu2" else F.gelu(a))
        return x, new_k, new_v


class DiffusionCoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        if not cfg.tied:
            self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        self.apply(self._init)
        out_std = 0.0 if cfg.zero_init else 0.02 / math.sqrt(2 * cfg.n_layer)
        for b in self.blocks:
            nn.init.normal_(b.proj.weight, std=out_std)
            nn.init.normal_(b.out.weight, std=out_std)
        if not cfg.tied and cfg.zero_init:
            nn.init.zeros_(self.head.weight)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def num_params(self):
        return sum(p.numel() for p in self.parameters())

    def hidden(self, ids, pos, allowed, past=None):
        """ids, pos: [B, T]; allowed: bool [B, 1, T, P+T]; past: [L, 2, B, H, P, D] or None."""
        if allowed.device != ids.device:  # some kernels (the CPU path, meta) would not notice; CUDA would
            raise ValueError(f"attention mask on {allowed.device}, tokens on {ids.device}")
        cos, sin = rope_tables(pos, self.cfg.head_dim, self.cfg.rope_base)
        x = self.wte(ids)
        presents = []
        for i, blk in enumerate(self.blocks):
            pk = past[i, 0] if past is not None else None
            pv = past[i, 1] if past is not None else None
            x, k, v = blk(x, cos, sin, allowed, pk, pv)
            presents.append(torch.stack([k, v]))
        return self.ln_f(x), torch.stack(presents)

    def head_weight(self):
        """[vocab, d_model]: the embedding when tied."""
        return self.wte.weight if self.cfg.tied else self.head.weight

    def logits(self, h):
        return h @ self.head_weight().t()


class StepGraph(nn.Module):
    """The exported inference step: T new tokens against P cached ones, logits for the last
    `num_logits` positions only, K/V of the new tokens only (the engine appends what it keeps)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, position_ids, attn_mask, past_kv, num_logits):
        h, present = self.model.hidden(input_ids, position_ids, attn_mask, past_kv)
        n = num_logits.reshape(())
        h = h[:, h.shape[1] - n:, :]
        return self.model.logits(h), present
