"""manifest.json (format 1) and a MODEL_CARD.md stub for a converted open model.

The engine reads everything from the manifest: kind `bidirectional`, layout `natural`
(prefix, masked middle, suffix in text order), the family, where the weights came from, the
files with their sha256, the architecture (`vocab_size` is the logits width, `n_kv_head` the
K/V heads of `past_kv`), `logit_shift`, limits, special ids and the I/O names.
"""
import os
import re

from dcoder.onnx_graph import INPUTS, OUTPUTS
from dcoder.hashing import sha256

QUANTIZATION = {
    "none": "none",
    "int4": "int4 weights (com.microsoft MatMulNBits, blocks of 32 along K, float32 scale and uint8 zero point "
            "per block, accuracy_level 4), int8 embedding with a per-row scale",
    "int8": "int8 weights (com.microsoft MatMulNBits bits 8, blocks of 32 along K, float32 scale and uint8 zero "
            "point per block, accuracy_level 4), int8 embedding with a per-row scale",
}
LIMITS = {"max_middle": 128, "max_suffix": 512, "block_size": 32}


def licence(cfg, src):
    """The licence the downloaded files state: config.json, else the model card's front matter."""
    for key in ("license", "licence"):
        if cfg.get(key):
            return str(cfg[key])
    readme = os.path.join(src, "README.md")
    if os.path.exists(readme):
        with open(readme, encoding="utf-8", errors="replace") as f:
            head = f.read(4000)
        m = re.match(r"---\s*\n(.*?)\n---", head, re.S)
        hit = m and re.search(r"^licen[cs]e:\s*(\S+)", m.group(1), re.M)
        if hit:
            return hit.group(1).strip("'\"")
    return None


def manifest(name, spec, cfg, src, files, out, external, quant, params, max_context, special, stops):
    a = spec.arch
    m = {
        "format": 1, "name": name, "kind": "bidirectional", "layout": "natural", "family": spec.family,
        "source": {"model_type": spec.model_type, "architectures": spec.architectures,
                   "folder": os.path.basename(os.path.normpath(src)), "safetensors": files,
                   "licence": licence(cfg, src)},
        "file": "model.onnx",
    }
    if external:
        m["external_data"] = external
        m["external_sha256"] = sha256(os.path.join(out, external))
    m.update({
        "sha256": sha256(os.path.join(out, "model.onnx")),
        "bytes": sum(os.path.getsize(os.path.join(out, f)) for f in ["model.onnx"] + ([external] if external else [])),
        "tokenizer": "tokenizer.json", "quantization": QUANTIZATION[quant], "params": params,
        "architecture": {"n_layer": a.n_layer, "n_head": a.n_head, "n_kv_head": a.n_kv_head, "head_dim": a.head_dim,
                         "d_model": a.d_model, "d_ff": a.d_ff, "vocab_size": a.vocab_size, "positions": "rope",
                         "rope_base": a.rope_base, "norm_eps": a.norm_eps},
        "logit_shift": spec.logit_shift, "max_context": max_context, **LIMITS,
        "special_tokens": special, "stop_tokens": stops,
        "io": {"inputs": {k: k for k in INPUTS}, "outputs": {k: k for k in OUTPUTS},
               "kv_shape": ["n_layer", 2, 1, "n_kv_head", "P", "head_dim"],
               "attn_mask": "bool [1, 1, T, P+T], true where attention is allowed"},
    })
    return m


def model_card(m, quant, parity):
    src = m["source"]
    a = m["architecture"]
    return "\n".join([
        f"# {m['name']}", "",
        f"Converted by `training/convert.py` from the Hugging Face checkpoint folder `{src['folder']}` "
        f"(model_type `{src['model_type']}`, {', '.join(src['architectures']) or 'no architectures listed'}; "
        f"{len(src['safetensors'])} safetensors file(s)).", "",
        f"- Licence (as the downloaded files state it): {src['licence'] or 'not stated; check the source model page'}",
        f"- Family: {m['family']}; bidirectional, natural layout (prefix, masked middle, suffix); "
        f"logits {'shifted (row i-1 predicts token i)' if m['logit_shift'] else 'not shifted'}",
        f"- Parameters: {m['params']:,}; {a['n_layer']} layers, d_model {a['d_model']}, {a['n_head']} heads, "
        f"{a['n_kv_head']} K/V heads, vocabulary {a['vocab_size']}",
        f"- Quantization (`--quant {quant}`): {m['quantization']}",
        f"- Context: {m['max_context']} tokens; middle ≤ {m['max_middle']}, suffix ≤ {m['max_suffix']}, "
        f"blocks of {m['block_size']}",
        f"- Special ids: {', '.join(f'{k} {v}' for k, v in m['special_tokens'].items())}; "
        f"stop ids {m['stop_tokens']}",
        f"- parity.json: {'written (torch reference outputs)' if parity else 'not written'}", "",
        "Evaluation: not run; see `training/evaluate.py`.", ""])
