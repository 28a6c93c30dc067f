"""Tiny checkpoints in the exact Hugging Face layouts of the open diffusion coders, with random
weights, for the converter's tests; and full-size random checkpoints for benchmarks.

Usage:
    .venv/bin/python training/make_hf_tiny.py                      # -> test/fixtures/hf-tiny/{llada,dream}
    .venv/bin/python training/make_hf_tiny.py --shape open-dcoder-0.5b --to DIR

Each folder: config.json with the family's real field names (LLaDA-8B's and Dream-v0's configs,
shrunk), bf16 safetensors under the real tensor names (the Dream one sharded in two, with
model.safetensors.index.json), and a small byte-level BPE tokenizer.json (dcoder/bpe.py) whose
special tokens sit at the ids the config names. `open-dcoder-0.5b` is Qwen2.5-Coder-0.5B's
shape (hidden 896, 24 layers, 14 heads, 2 K/V heads, d_ff 4864, vocabulary 151936, tied
embeddings) under model_type "qwen2", its mask token named only by tokenizer_config.json, and
a 4096-token BPE learnt from this repository's sources (its speed is real, its text is not).
"""
import argparse
import glob
import json
import os

import numpy as np

from dcoder import bpe
from dcoder.open_families import parse_config
from dcoder.quantize import BLOCK
from dcoder.hf_checkpoint import save_bf16

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE = '''import os


def walk(folder, depth=0):
    """Yield every file under folder, sorted."""
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isdir(path):
            yield from walk(path, depth + 1)
        else:
            yield path


export function add(a: number, b: number): number {
  return a + b;
}
'''

LLADA = {
    "activation_type": "silu", "alibi": False, "alibi_bias_max": 8.0, "architectures": ["LLaDAModelLM"],
    "attention_dropout": 0.0, "attention_layer_norm": False, "attention_layer_norm_with_affine": True,
    "auto_map": {"AutoConfig": "configuration_llada.LLaDAConfig", "AutoModel": "modeling_llada.LLaDAModelLM",
                 "AutoModelForCausalLM": "modeling_llada.LLaDAModelLM"},
    "bias_for_layer_norm": False, "block_group_size": 1, "block_type": "llama", "bos_token_id": 300,
    "d_model": 64, "embedding_dropout": 0.0, "embedding_size": 336, "eos_token_id": 301,
    "flash_attention": False, "include_bias": False, "include_qkv_bias": False, "init_device": "meta",
    "init_fn": "mitchell", "init_std": 0.02, "input_emb_norm": False, "layer_norm_type": "rms",
    "layer_norm_with_affine": True, "mask_token_id": 310, "max_sequence_length": 4096, "mlp_hidden_size": 128,
    "mlp_ratio": 4, "model_type": "llada", "multi_query_attention": None, "n_heads": 4, "n_kv_heads": 4,
    "n_layers": 2, "pad_token_id": 301, "precision": "amp_bf16", "residual_dropout": 0.0, "rms_norm_eps": 1e-05,
    "rope": True, "rope_full_precision": True, "rope_theta": 500000.0, "scale_logits": False,
    "use_cache": False, "vocab_size": 320, "weight_tying": False,
}
LLADA_SPECIALS = {"<|startoftext|>": 300, "<|endoftext|>": 301, "<|eot_id|>": 302, "<|mdm_mask|>": 310}
DREAM = {
    "architectures": ["DreamModel"], "attention_dropout": 0.0,
    "auto_map": {"AutoConfig": "configuration_dream.DreamConfig", "AutoModel": "modeling_dream.DreamModel"},
    "bos_token_id": 300, "eos_token_id": 300, "hidden_act": "silu", "hidden_size": 64, "initializer_range": 0.02,
    "intermediate_size": 128, "mask_token_id": 310, "max_position_embeddings": 131072, "max_window_layers": 2,
    "model_type": "Dream", "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 2,
    "pad_token_id": 300, "rms_norm_eps": 1e-06, "rope_scaling": None, "rope_theta": 1000000.0,
    "sliding_window": None, "tie_word_embeddings": False, "torch_dtype": "bfloat16", "use_cache": False,
    "use_sliding_window": False, "vocab_size": 320,
}
DREAM_SPECIALS = {"<|endoftext|>": 300, "<|im_start|>": 301, "<|im_end|>": 302, "<|mask|>": 310}
OPEN_DCODER = {
    "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
    "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 896, "initializer_range": 0.02,
    "intermediate_size": 4864, "max_position_embeddings": 32768, "max_window_layers": 24, "model_type": "qwen2",
    "num_attention_heads": 14, "num_hidden_layers": 24, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
    "rope_scaling": None, "rope_theta": 1000000.0, "sliding_window": None, "tie_word_embeddings": True,
    "torch_dtype": "bfloat16", "use_cache": False, "use_sliding_window": False, "vocab_size": 151936,
}
OPEN_DCODER_SPECIALS = {"<|endoftext|>": 151643, "<|im_start|>": 151644, "<|im_end|>": 151645, "<M>": 151665}


def repository_code(limit=1 << 20):
    """This repository's Python and TypeScript sources: enough text for a few thousand merges."""
    paths = sorted(glob.glob(os.path.join(ROOT, "training", "**", "*.py"), recursive=True) +
                   glob.glob(os.path.join(ROOT, "src", "**", "*.ts"), recursive=True))
    text = ""
    for path in paths:
        with open(path, encoding="utf-8") as f:
            text += f.read()
        if len(text) > limit:
            break
    return text


def tokenizer_json(n_tokens, specials, text=SAMPLE * 4):
    """A byte-level BPE with n_tokens regular ids (0..n-1) and the specials at their own ids."""
    words = {}
    for w in bpe.pretokenize(text):
        words[w] = words.get(w, 0) + 1
    tok = bpe.train(words, n_tokens, specials=[], log=lambda *_: None)
    return bpe.Tokenizer(tok.vocab, tok.merges, dict(specials)).to_json()


def random_weight(spec, name, shape, rng):
    """Norms near 1, small biases, a unit-normal embedding; every matrix is a power of two times
    integers in [-8, 7] with both ends in each block of 32 inputs, so int4 and int8 blocks hold
    it exactly and a quantized model's parity isolates the graph (packing, scales, zero points)."""
    if len(shape) == 1:
        return (0.0 if name.endswith(".bias") else 1.0) + 0.1 * rng.standard_normal(shape, dtype=np.float32)
    if name == spec.tensor("embed"):
        return rng.standard_normal(shape, dtype=np.float32)
    k = rng.integers(-8, 8, size=shape).astype(np.float32)
    k[:, 0::BLOCK], k[:, 1::BLOCK] = -8, 7
    return k * np.float32(2.0 ** np.round(np.log2(1 / (4.6 * np.sqrt(shape[1])))))


def write_checkpoint(folder, cfg, specials, n_tokens, shards=1, seed=0, text=SAMPLE * 4):
    """config.json, tokenizer.json and the weights, one shard in memory at a time."""
    os.makedirs(folder, exist_ok=True)
    spec = parse_config(cfg)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(folder, "tokenizer.json"), "w") as f:
        json.dump(tokenizer_json(n_tokens, specials, text), f, ensure_ascii=False)
    expected = sorted(spec.expected())
    weight_map, total = {}, 0
    for s in range(shards):
        fname = "model.safetensors" if shards == 1 else f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        part = {name: random_weight(spec, name, shape, np.random.default_rng([seed, i]))
                for i, (name, shape) in enumerate(expected) if i % shards == s}
        save_bf16(os.path.join(folder, fname), part, metadata={"format": "pt"})
        weight_map.update({n: fname for n in part})
        total += sum(v.size * 2 for v in part.values())
    if shards > 1:
        with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", choices=["tiny", "open-dcoder-0.5b"], default="tiny")
    ap.add_argument("--to", help="output folder (default for tiny: test/fixtures/hf-tiny)")
    args = ap.parse_args()
    if args.shape == "tiny":
        out = args.to or os.path.join(ROOT, "test", "fixtures", "hf-tiny")
        write_checkpoint(os.path.join(out, "llada"), LLADA, LLADA_SPECIALS, 300, seed=1)
        write_checkpoint(os.path.join(out, "dream"), DREAM, DREAM_SPECIALS, 300, shards=2, seed=2)
    else:
        if not args.to:
            ap.error("--to is needed with --shape open-dcoder-0.5b")
        write_checkpoint(args.to, OPEN_DCODER, OPEN_DCODER_SPECIALS, 4096, shards=4, seed=3, text=repository_code())
        with open(os.path.join(args.to, "tokenizer_config.json"), "w") as f:
            json.dump({"mask_token": "<M>", "eos_token": "<|endoftext|>"}, f, indent=2)
    print(json.dumps({"shape": args.shape, "out": args.to or "test/fixtures/hf-tiny"}))


if __name__ == "__main__":
    main()
