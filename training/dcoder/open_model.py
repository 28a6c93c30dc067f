"""Torch reference of the open diffusion coders (LLaDA, and the Qwen2 layout of Dream,
DiffuCoder, Open-dCoder) as one inference step with our engine's contract, for parity tests
on tiny models (never used to convert: the graph writer streams the checkpoint).

Pre-norm blocks: RMSNorm (weight * x / sqrt(mean(x^2) + eps)), attention with rotate-half RoPE
(cos/sin of position * base^(-2j/head_dim), the two halves of each head rotated together, as in
both published modeling files), grouped-query attention (each K/V head serves n_head/n_kv_head
consecutive query heads, as repeat_kv / repeat_interleave do), SwiGLU MLP
down(silu(gate(x)) * up(x)), final RMSNorm, output head.

Step contract (docs/ARCHITECTURE.md): T new tokens at explicit rope positions against P cached
ones; `attn_mask` bool [1, 1, T, P+T] (true = may attend); `past_kv` [n_layer, 2, 1, n_kv_head,
P, head_dim]; returns the logits of the last `num_logits` new tokens and the new tokens' K
(after RoPE) and V.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from dcoder.open_rope import inv_freq


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        q_out, kv_out = cfg.n_head * cfg.head_dim, cfg.n_kv_head * cfg.head_dim
        self.q = nn.Linear(cfg.d_model, q_out, bias=cfg.qkv_bias)
        self.k = nn.Linear(cfg.d_model, kv_out, bias=cfg.qkv_bias)
        self.v = nn.Linear(cfg.d_model, kv_out, bias=cfg.qkv_bias)
        self.o = nn.Linear(q_out, cfg.d_model, bias=False)

    def forward(self, x, cos, sin, allowed, past_k, past_v):
        c = self.cfg
        B, T, _ = x.shape
        q = self.q(x).view(B, T, c.n_head, c.head_dim).transpose(1, 2)
        k = self.k(x).view(B, T, c.n_kv_head, c.head_dim).transpose(1, 2)
        v = self.v(x).view(B, T, c.n_kv_head, c.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        keys, values = torch.cat([past_k, k], dim=2), torch.cat([past_v, v], dim=2)
        rep = c.n_head // c.n_kv_head
        keys, values = keys.repeat_interleave(rep, dim=1), values.repeat_interleave(rep, dim=1)
        att = (q @ keys.transpose(-1, -2)) * c.head_dim ** -0.5
        y = torch.softmax(att.masked_fill(~allowed, -1e9), dim=-1) @ values
        return self.o(y.transpose(1, 2).reshape(B, T, -1)), k, v


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.attn_norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.attn = Attention(cfg)
        self.mlp_norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.gate = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.up = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.down = nn.Linear(cfg.d_ff, cfg.d_model, bias=False)

    def forward(self, x, cos, sin, allowed, past_k, past_v):
        a, k, v = self.attn(self.attn_norm(x), cos, sin, allowed, past_k, past_v)
        x = x + a
        h = self.mlp_norm(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h)), k, v


class OpenModel(nn.Module):
    """Built from an open_families.OpenConfig."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.norm_f = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        if cfg.tied:
            self.head.weight = self.wte.weight
        self.register_buffer("inv_freq", torch.from_numpy(inv_freq(cfg.head_dim, cfg.rope_base)), persistent=False)

    def forward(self, input_ids, position_ids, attn_mask, past_kv, num_logits):
        ang = position_ids.to(torch.float32).unsqueeze(-1) * self.inv_freq
        ang = torch.cat([ang, ang], dim=-1).unsqueeze(1)
        cos, sin = torch.cos(ang), torch.sin(ang)
        x = self.wte(input_ids) * self.cfg.emb_scale
        present = []
        for i, blk in enumerate(self.blocks):
            x, k, v = blk(x, cos, sin, attn_mask, past_kv[i, 0], past_kv[i, 1])
            present.append(torch.stack([k, v]))
        n = int(num_logits.reshape(()))
        h = self.norm_f(x[:, x.shape[1] - n:])
        return self.head(h) * self.cfg.logit_scale, torch.stack(present)


def load_reference(spec, ckpt):
    """The reference model with a checkpoint's weights (float32), through the family's names."""
    a = spec.arch
    model = OpenModel(a).eval()
    V = a.vocab_size
    state = {"wte.weight": ckpt.read(spec.tensor("embed"), rows=(0, V)),
             "norm_f.weight": ckpt.read(spec.tensor("norm_f"))}
    state["head.weight"] = state["wte.weight"] if a.tied else ckpt.read(spec.tensor("head"), rows=(0, V))
    roles = {"attn_norm": "attn_norm", "attn.q": "q", "attn.k": "k", "attn.v": "v", "attn.o": "o",
             "mlp_norm": "mlp_norm", "gate": "gate", "up": "up", "down": "down"}
    if a.qkv_bias:
        roles.update({"attn.q.bias": "q_bias", "attn.k.bias": "k_bias", "attn.v.bias": "v_bias"})
    for i in range(a.n_layer):
        for ours, role in roles.items():
            key = f"blocks.{i}.{ours}" + ("" if ours.endswith(".bias") else ".weight")
            state[key] = ckpt.read(spec.tensor(role, i))
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()}, strict=True)
    return model
