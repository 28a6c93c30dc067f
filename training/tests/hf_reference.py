"""An independent float64 numpy forward pass of the two open families, written from their
published modeling files and reading the checkpoint with the `safetensors` package (nothing from
dcoder), to check the torch reference (dcoder/open_model.py) that writes every parity.json.

* LLaDA (modeling_llada.py, LLaDALlamaBlock): x = wte[ids]; per block
  x += attn_out(attn(RMSNorm_attn_norm(x))); x += ff_out(silu(ff_proj(h)) * up_proj(h)) with
  h = RMSNorm_ff_norm(x); logits = ff_out(RMSNorm_ln_f(x)), or wte when weight_tying; all
  embedding_size columns are computed.
* Dream / Qwen2 (modeling_dream.py): the same with input_layernorm / post_attention_layernorm,
  q/k/v biases, repeat_kv for grouped K/V heads, mlp.{gate,up,down}_proj, norm, lm_head (or the
  tied embed_tokens).
Both rotate q and k with rotate_half and cos/sin of cat(freqs, freqs). `predictions` applies
each family's sampler: LLaDA reads a position's own row, Dream shifts
(`cat([logits[:, :1], logits[:, :-1]])`).
"""
import json
import os

import numpy as np
from safetensors.torch import load_file


def read_folder(folder):
    """{tensor name: float64 array} of every safetensors file in the folder."""
    out = {}
    for fname in sorted(os.listdir(folder)):
        if fname.endswith(".safetensors"):
            out.update({k: v.double().numpy() for k, v in load_file(os.path.join(folder, fname)).items()})
    return out


def rms(x, w, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


def rotary(x, pos, base):
    hd = x.shape[-1]
    freqs = pos[:, None] * (1.0 / base ** (np.arange(0, hd, 2) / hd))[None]
    emb = np.concatenate([freqs, freqs], -1)
    half = np.concatenate([-x[..., hd // 2:], x[..., :hd // 2]], -1)
    return x * np.cos(emb) + half * np.sin(emb)


def attention(x, wq, wk, wv, wo, biases, n_head, n_kv, pos, base, mask):
    S = x.shape[0]
    q, k, v = x @ wq.T, x @ wk.T, x @ wv.T
    if biases:
        q, k, v = q + biases[0], k + biases[1], v + biases[2]
    hd = q.shape[1] // n_head
    q = rotary(q.reshape(S, n_head, hd).transpose(1, 0, 2), pos, base)
    k = rotary(k.reshape(S, n_kv, hd).transpose(1, 0, 2), pos, base)
    v = v.reshape(S, n_kv, hd).transpose(1, 0, 2)
    rep = n_head // n_kv   # repeat_kv: kv head j serves query heads j*rep .. j*rep+rep-1
    k = np.broadcast_to(k[:, None], (n_kv, rep, S, hd)).reshape(n_head, S, hd)
    v = np.broadcast_to(v[:, None], (n_kv, rep, S, hd)).reshape(n_head, S, hd)
    att = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + np.where(mask, 0.0, -np.inf)
    att = np.exp(att - att.max(-1, keepdims=True))
    att /= att.sum(-1, keepdims=True)
    return (att @ v).transpose(1, 0, 2).reshape(S, -1) @ wo.T


def silu(x):
    return x / (1 + np.exp(-x))


def llada_logits(w, cfg, ids, pos, mask):
    p, eps = "model.transformer.", cfg["rms_norm_eps"]
    x = w[p + "wte.weight"][ids]
    for i in range(cfg["n_layers"]):
        b = f"{p}blocks.{i}."
        biases = [w[b + f"{n}_proj.bias"] for n in "qkv"] if cfg.get("include_qkv_bias") else None
        x = x + attention(rms(x, w[b + "attn_norm.weight"], eps), w[b + "q_proj.weight"], w[b + "k_proj.weight"],
                          w[b + "v_proj.weight"], w[b + "attn_out.weight"], biases, cfg["n_heads"],
                          cfg["n_kv_heads"], pos, cfg["rope_theta"], mask)
        h = rms(x, w[b + "ff_norm.weight"], eps)
        x = x + (silu(h @ w[b + "ff_proj.weight"].T) * (h @ w[b + "up_proj.weight"].T)) @ w[b + "ff_out.weight"].T
    x = rms(x, w[p + "ln_f.weight"], eps)
    return x @ (w[p + "wte.weight"] if cfg["weight_tying"] else w[p + "ff_out.weight"]).T


def dream_logits(w, cfg, ids, pos, mask):
    eps = cfg["rms_norm_eps"]
    x = w["model.embed_tokens.weight"][ids]
    for i in range(cfg["num_hidden_layers"]):
        b = f"model.layers.{i}."
        a = b + "self_attn."
        x = x + attention(rms(x, w[b + "input_layernorm.weight"], eps), w[a + "q_proj.weight"], w[a + "k_proj.weight"],
                          w[a + "v_proj.weight"], w[a + "o_proj.weight"], [w[a + f"{n}_proj.bias"] for n in "qkv"],
                          cfg["num_attention_heads"], cfg["num_key_value_heads"], pos, cfg["rope_theta"], mask)
        h = rms(x, w[b + "post_attention_layernorm.weight"], eps)
        m = b + "mlp."
        x = x + (silu(h @ w[m + "gate_proj.weight"].T) * (h @ w[m + "up_proj.weight"].T)) @ w[m + "down_proj.weight"].T
    x = rms(x, w["model.norm.weight"], eps)
    return x @ (w["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else w["lm_head.weight"]).T


def logits(folder, ids, pos, mask):
    """Logits of every position of one sequence; mask [S, S] bool, true = may attend."""
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    fn = llada_logits if cfg["model_type"] == "llada" else dream_logits
    return fn(read_folder(folder), cfg, np.asarray(ids), np.asarray(pos, dtype=np.float64), mask)


def predictions(raw, model_type):
    """The distribution each position's token is sampled from, as each family's sampler reads it."""
    if model_type == "llada":
        return raw
    return np.concatenate([raw[:1], raw[:-1]], 0)
