"""Rotary frequencies of the open models, shared by the torch reference and the ONNX graph so
both rotate with the same float32 table: inv_freq[j] = base^(-2j / head_dim), j < head_dim / 2
(the default RoPE of modeling_llada.py and of the Qwen2 / Dream modeling files)."""
import numpy as np


def inv_freq(head_dim, base):
    return (1.0 / (base ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim))).astype(np.float32)
