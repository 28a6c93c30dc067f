"""Warm start from a shipped model folder: the float weights of `models/NAME/model.onnx` read back
into the torch model's state dict, so a run continues from what the repository ships rather than
from a checkpoint a new machine does not have.

Every weight is found through the node that uses it, whose output torch.onnx names after the
module (`/blocks.3/qkv/MatMul_output_0`, `/blocks.3/ln1/LayerNormalization_output_0`), not by
initializer names: matrices are `onnx::MatMul_N`, and the exporter shares one initializer between
equal tensors through Identity nodes (a fresh model's LayerNorms); the head is the node writing
the graph output `logits`. Weight formats read:
float MatMul weights [K, N] (an unquantized export), com.microsoft MatMulNBits (8- or 4-bit codes
in blocks along K with a scale and zero point per block, quantize.py's layout; dequantized as
(code - zero point) * scale) and the int8 embedding rows with one scale per row. The embedding is
tied to the head, which the graph holds twice; the head's block-quantized copy is the finer one
(a scale per 32 values, not per 384), so it becomes `wte.weight`. The architecture flags
(model.ARCH_FLAGS: QK-norm, ReLU², an untied head) come from the manifest, absent meaning off.

`load(folder)` returns a checkpoint-shaped dict (`model`, `model_config`, `tokens`, `step`,
`train_config`, `tokenizer_json`), what train.py's `--init` takes from a `ckpt.pt`.
`mismatch(want, have)` names the architecture fields that differ (a run refuses or trains from
scratch; it never loads weights into another shape).
"""
import json
import os
import re

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from .model import ARCH_FLAGS, ModelConfig

BLOCK_MATMUL = re.compile(r"^/blocks\.(\d+)/(qkv|proj|fc|out)/MatMul")
LAYER_NORM = re.compile(r"^/((?:blocks\.\d+/)?(?:ln1|ln2|ln_f))/LayerNormalization")
# the fields that fix the weights' shapes and meaning; the rest (fused_attention, max_len) do not
ARCH_FIELDS = ("vocab_size", "n_layer", "n_head", "d_model", "d_ff", "rope_base", "shift", *ARCH_FLAGS)


def _unpack(packed, bits, n):
    """uint8 packed codes along the last axis -> codes, `n` of them (4-bit: low nibble first)."""
    if bits == 8:
        return packed[..., :n].astype(np.float32)
    codes = np.stack([packed & 0x0F, packed >> 4], axis=-1).reshape(*packed.shape[:-1], -1)
    return codes[..., :n].astype(np.float32)


def dequantize_nbits(node, inits):
    """A MatMulNBits node's weight as float32 [N, K] (torch's Linear layout)."""
    a = {x.name: onnx.helper.get_attribute_value(x) for x in node.attribute}
    K, N, bits, block = a["K"], a["N"], a["bits"], a["block_size"]
    nb = -(-K // block)
    q = numpy_helper.to_array(inits[node.input[1]]).reshape(N, nb, block * bits // 8)
    codes = _unpack(q, bits, block)                                   # [N, nb, block]
    scales = numpy_helper.to_array(inits[node.input[2]]).reshape(N, nb).astype(np.float32)
    if len(node.input) > 3 and node.input[3]:
        zp = _unpack(numpy_helper.to_array(inits[node.input[3]]).reshape(N, -1), bits, nb)
    else:
        zp = np.full((N, nb), float(1 << (bits - 1)), dtype=np.float32)  # the operator's default
    w = (codes - zp[..., None]) * scales[..., None]
    return w.reshape(N, nb * block)[:, :K]


def _weight_of(node, inits):
    """float32 [N, K] of a MatMul (constant [K, N] weight) or MatMulNBits node, or None."""
    if node.op_type == "MatMulNBits":
        return dequantize_nbits(node, inits)
    if node.op_type == "MatMul" and node.input[1] in inits:
        return numpy_helper.to_array(inits[node.input[1]]).astype(np.float32).T
    return None


def read_weights(onnx_path, tied=True):
    """{torch state-dict key: float32 tensor} from an exported step graph; an untied head is
    `head.weight` and the embedding comes from its own table."""
    g = onnx.load(onnx_path).graph
    inits = {i.name: i for i in g.initializer}
    for node in g.node:  # the exporter's Identity aliases of one shared initializer
        if node.op_type == "Identity" and node.input[0] in inits:
            inits[node.output[0]] = inits[node.input[0]]
    state = {}
    emb = None
    for node in g.node:
        m = LAYER_NORM.match(node.output[0]) if node.op_type == "LayerNormalization" else None
        if m:
            for key, name in zip(("weight", "bias"), node.input[1:3]):
                state[f"{m.group(1).replace('/', '.')}.{key}"] = numpy_helper.to_array(inits[name]).astype(np.float32)
        if node.op_type == "Gather" and node.input[0] == "model.wte.weight":
            emb = numpy_helper.to_array(inits[node.input[0]]).astype(np.float32)
        elif node.op_type == "Gather" and node.input[0] == "model.wte.weight_q8":
            emb = numpy_helper.to_array(inits["model.wte.weight_q8"]).astype(np.float32) \
                * numpy_helper.to_array(inits["model.wte.weight_rowscale"])[:, None]
        w = _weight_of(node, inits)
        if w is None:
            continue
        m = BLOCK_MATMUL.match(node.output[0])
        if m:
            state[f"blocks.{m.group(1)}.{m.group(2)}.weight"] = w
        elif node.output[0] == "logits":
            state["wte.weight" if tied else "head.weight"] = w
    if "wte.weight" not in state:
        if emb is None:
            raise SystemExit(f"{onnx_path}: no embedding table found")
        state["wte.weight"] = emb
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}


def config_of(manifest):
    a = manifest["architecture"]
    return ModelConfig(vocab_size=a["vocab_size"], n_layer=a["n_layer"], n_head=a["n_head"], d_model=a["d_model"],
                       d_ff=a["d_ff"], rope_base=a.get("rope_base", 10000.0), shift=manifest.get("logit_shift", False),
                       **{k: a.get(k, v) for k, v in ARCH_FLAGS.items()})


def mismatch(want, have):
    """'field: want A, the weights B; ...' for every architecture field that differs, '' if none."""
    return "; ".join(f"{k}: this run {getattr(want, k)}, the weights {getattr(have, k)}"
                     for k in ARCH_FIELDS if getattr(want, k) != getattr(have, k))


def load(folder):
    """A model folder (or its model.onnx) as a checkpoint-shaped dict."""
    if folder.endswith(".onnx"):
        folder = os.path.dirname(folder)
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    if manifest.get("kind") != "block-causal":
        raise SystemExit(f"{folder}: kind {manifest.get('kind')!r}; a warm start needs one of our block-causal models")
    cfg = config_of(manifest)
    state = read_weights(os.path.join(folder, manifest["file"]), cfg.tied)
    trained = manifest.get("training", {})
    with open(os.path.join(folder, manifest["tokenizer"])) as f:
        tok_json = f.read()
    return {"model": state, "model_config": cfg.to_dict(), "tokens": trained.get("tokens", 0),
            "step": trained.get("steps", 0), "source": folder,
            "train_config": {"device": trained.get("device", "")},
            "tokenizer_json": tok_json}
