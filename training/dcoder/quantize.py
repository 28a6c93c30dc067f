"""Weight quantization for converted open models (numpy only, one block of rows at a time).

`block_quantize` produces onnxruntime's com.microsoft MatMulNBits layout (ContribOperators.md):
the weight in PyTorch's [N, K] layout (N outputs, K inputs) is cut into blocks of `block` values
along K; each block gets a float32 scale and a uint8 zero point, asymmetric over the block's
range widened to include 0, dequantized as (code - zero_point) * scale. B is uint8
[N, k_blocks, block * bits / 8], codes packed low bits first (4-bit: even index in the low
nibble); scales are [N, k_blocks]; zero points are packed the same way as B,
[N, ceil(k_blocks * bits / 8)]. K is zero-padded to a whole number of blocks.

The bytes are those of onnxruntime's own MatMulNBitsQuantizer (tests/test_quantize_ort.py), which
cannot replace this: it quantizes a whole float32 ModelProto in memory (about 30 GB for an 8 B
model), where the converter quantizes one slice of rows at a time as it streams the checkpoint.

`rowwise_int8` is the embedding table's format: int8 codes and one float32 scale per row.
"""
import numpy as np

BLOCK = 32


def _pack(codes, bits):
    """uint8 codes [..., n] (n even for 4 bits) -> packed bytes along the last axis."""
    if bits == 8:
        return codes.astype(np.uint8)
    return (codes[..., 0::2] | (codes[..., 1::2] << 4)).astype(np.uint8)


def block_quantize(w, bits, block=BLOCK):
    """float32 [n, K] -> (B uint8 [n, k_blocks, block*bits/8], scales f32 [n, k_blocks],
    zero points uint8 [n, ceil(k_blocks*bits/8)])."""
    n, k = w.shape
    nb = -(-k // block)
    if nb * block != k:
        w = np.pad(w, ((0, 0), (0, nb * block - k)))
    wb = w.reshape(n, nb, block)
    qmax = (1 << bits) - 1
    lo = np.minimum(wb.min(axis=2), 0.0)
    hi = np.maximum(wb.max(axis=2), 0.0)
    scale = (hi - lo) / qmax
    scale[scale == 0] = 1.0
    zp = np.clip(np.round(-lo / scale), 0, qmax)
    codes = np.clip(np.round(wb / scale[..., None]) + zp[..., None], 0, qmax).astype(np.uint8)
    zp = zp.astype(np.uint8)
    if bits == 4 and nb % 2:
        zp = np.pad(zp, ((0, 0), (0, 1)), constant_values=8)   # the unused nibble, as onnxruntime fills it
    return _pack(codes, bits), scale.astype(np.float32), _pack(zp, bits)


def rowwise_int8(w):
    """float32 [n, D] -> (int8 codes [n, D], float32 scale per row [n]), symmetric."""
    scale = np.maximum(np.abs(w).max(axis=1), 1e-8) / 127.0
    codes = np.clip(np.round(w / scale[:, None]), -127, 127).astype(np.int8)
    return codes, scale.astype(np.float32)
