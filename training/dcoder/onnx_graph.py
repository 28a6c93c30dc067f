"""The ONNX graph of a converted open model, written node by node with onnx.helper while its
weights stream from the safetensors checkpoint one tensor at a time (the model is never
materialised in float32).

Same I/O contract as our own models (docs/ARCHITECTURE.md, model.StepGraph): inputs
`input_ids`, `position_ids` int64 [1, T], `attn_mask` bool [1, 1, T, P+T], `past_kv` float32
[n_layer, 2, 1, n_kv_head, P, head_dim], `num_logits` int64 [1]; outputs `logits` float32
[1, num_logits, vocab] (the last rows of the T new tokens) and `present_kv` [n_layer, 2, 1,
n_kv_head, T, head_dim] (K after RoPE and V of the new tokens only). Grouped-query attention
stays grouped: the queries of a group are stacked as [1, n_kv_head, (n_head / n_kv_head) * T,
head_dim] against that group's [1, n_kv_head, P+T, head_dim] keys (plain batched matmuls, no
repeated K/V), and the additive mask bias is tiled to match once per step.

Weights: `none` float32 MatMul; `int4` / `int8` com.microsoft MatMulNBits (quantize.py). The
embedding table is float32 with `none`, otherwise int8 with one scale per row.
"""
import numpy as np
import onnx
from onnx import TensorProto, helper

from dcoder.onnx_builder import CHUNK_VALUES, Builder
from dcoder.onnx_weights import WeightStore
from dcoder.open_rope import inv_freq
from dcoder.quantize import rowwise_int8

INPUTS = ["input_ids", "position_ids", "attn_mask", "past_kv", "num_logits"]
OUTPUTS = ["logits", "present_kv"]
# Opset 17's IR version, set rather than taken from the onnx package (1.12 writes 8, 1.17 writes
# 10), so the same checkpoint converts to the same bytes whichever onnx is installed.
IR_VERSION = 8


def embedding(b, spec, ckpt, ids):
    a = spec.arch
    V, D, tensor = a.vocab_size, a.d_model, spec.tensor("embed")
    if b.quant == "none":
        x = b.op("Gather", [b.weight("embed", ckpt.read(tensor, rows=(0, V))), ids], axis=0)
    else:
        step, scales = max(1, CHUNK_VALUES // D), []

        def codes():
            for r in range(0, V, step):
                q, scale = rowwise_int8(ckpt.read(tensor, rows=(r, min(V, r + step))))
                scales.append(scale)
                yield q

        table = b.store.add("embed_q8", (V, D), np.int8, codes())
        rowscale = b.weight("embed_rowscale", np.concatenate(scales))
        rows = b.op("Cast", [b.op("Gather", [table, ids], axis=0)], to=TensorProto.FLOAT)
        x = b.op("Mul", [rows, b.op("Unsqueeze", [b.op("Gather", [rowscale, ids], axis=0), b.const([-1])])])
    if a.emb_scale != 1.0:
        x = b.op("Mul", [x, b.const(a.emb_scale, np.float32)])
    return x


def layer(b, spec, ckpt, i, x, cos, sin, mask_bias):
    """One pre-norm block; returns the new hidden state and this layer's [1, 2, 1, kv, T, hd] K/V."""
    a = spec.arch
    H, KV, hd, D = a.n_head, a.n_kv_head, a.head_dim, a.d_model

    def t(role):
        return spec.tensor(role, i)

    def bias(role):
        return t(role) if a.qkv_bias else None

    h = b.rmsnorm(x, b.weight(f"l{i}_attn_norm", ckpt.read(t("attn_norm"))), a.norm_eps)
    q = b.linear(h, ckpt, t("q"), H * hd, D, bias("q_bias"), f"l{i}_q")
    k = b.linear(h, ckpt, t("k"), KV * hd, D, bias("k_bias"), f"l{i}_k")
    v = b.linear(h, ckpt, t("v"), KV * hd, D, bias("v_bias"), f"l{i}_v")
    q = b.op("Transpose", [b.op("Reshape", [q, b.const([1, -1, KV, H // KV, hd])])], perm=[0, 2, 3, 1, 4])
    k = b.op("Transpose", [b.op("Reshape", [k, b.const([1, -1, KV, hd])])], perm=[0, 2, 1, 3])
    v = b.op("Transpose", [b.op("Reshape", [v, b.const([1, -1, KV, hd])])], perm=[0, 2, 1, 3])
    q, k = b.rope(q, cos, sin, hd // 2), b.rope(k, cos, sin, hd // 2)
    q = b.op("Reshape", [q, b.const([1, KV, -1, hd])])   # rows (query head in group, token)
    past = b.op("Gather", ["past_kv", b.const(i)], axis=0)
    keys = b.op("Concat", [b.op("Gather", [past, b.const(0)], axis=0), k], axis=2)
    values = b.op("Concat", [b.op("Gather", [past, b.const(1)], axis=0), v], axis=2)
    scores = b.op("MatMul", [b.op("Mul", [q, b.const(hd ** -0.5, np.float32)]),
                             b.op("Transpose", [keys], perm=[0, 1, 3, 2])])
    probs = b.op("Softmax", [b.op("Add", [scores, mask_bias])], axis=-1)
    y = b.op("Reshape", [b.op("MatMul", [probs, values]), b.const([1, KV, H // KV, -1, hd])])
    y = b.op("Reshape", [b.op("Transpose", [y], perm=[0, 3, 1, 2, 4]), b.const([1, -1, H * hd])])
    x = b.op("Add", [x, b.linear(y, ckpt, t("o"), D, H * hd, hint=f"l{i}_o")])
    h = b.rmsnorm(x, b.weight(f"l{i}_mlp_norm", ckpt.read(t("mlp_norm"))), a.norm_eps)
    gate = b.linear(h, ckpt, t("gate"), a.d_ff, D, hint=f"l{i}_gate")
    up = b.linear(h, ckpt, t("up"), a.d_ff, D, hint=f"l{i}_up")
    act = b.op("Mul", [b.op("Mul", [gate, b.op("Sigmoid", [gate])]), up])
    x = b.op("Add", [x, b.linear(act, ckpt, t("down"), D, a.d_ff, hint=f"l{i}_down")])
    both = b.const([0, 1])
    kv = b.op("Concat", [b.op("Unsqueeze", [k, both]), b.op("Unsqueeze", [v, both])], axis=1)
    return x, kv


def write_model(spec, ckpt, folder, path, quant):
    """Write `path` (model.onnx, plus model.onnx.data when large); returns the data file or None."""
    a = spec.arch
    store = WeightStore(folder)
    b = Builder(store, quant)
    ang = b.op("Mul", [b.op("Unsqueeze", [b.op("Cast", ["position_ids"], to=TensorProto.FLOAT), b.const([-1])]),
                       b.weight("rope_inv_freq", inv_freq(a.head_dim, a.rope_base))])
    ang = b.op("Concat", [ang, ang], axis=-1)
    cos, sin = b.op("Cos", [ang]), b.op("Sin", [ang])
    mask_bias = b.op("Where", ["attn_mask", b.const(0.0, np.float32), b.const(-1e9, np.float32)])
    if a.n_head > a.n_kv_head:   # one row per (query head in the group, token), as q is laid out
        mask_bias = b.op("Tile", [mask_bias, b.const([1, 1, a.n_head // a.n_kv_head, 1])])
    x = embedding(b, spec, ckpt, "input_ids")
    kvs = []
    for i in range(a.n_layer):
        x, kv = layer(b, spec, ckpt, i, x, cos, sin, mask_bias)
        kvs.append(kv)
    b.nodes.append(helper.make_node("Concat", kvs, ["present_kv"], name="present", axis=0))
    h = b.op("Slice", [x, b.op("Neg", ["num_logits"]), b.const([2 ** 62]), b.const([1])])
    h = b.rmsnorm(h, b.weight("norm_f", ckpt.read(spec.tensor("norm_f"))), a.norm_eps)
    logits = b.linear(h, ckpt, spec.tensor("embed" if a.tied else "head"), a.vocab_size, a.d_model, hint="head")
    b.nodes.append(helper.make_node("Mul", [logits, b.const(a.logit_scale, np.float32)], ["logits"], name="logits")
                   if a.logit_scale != 1.0 else helper.make_node("Identity", [logits], ["logits"], name="logits"))
    f32, i64 = TensorProto.FLOAT, TensorProto.INT64
    inputs = [helper.make_tensor_value_info("input_ids", i64, [1, "T"]),
              helper.make_tensor_value_info("position_ids", i64, [1, "T"]),
              helper.make_tensor_value_info("attn_mask", TensorProto.BOOL, [1, 1, "T", "S"]),
              helper.make_tensor_value_info("past_kv", f32, [a.n_layer, 2, 1, a.n_kv_head, "P", a.head_dim]),
              helper.make_tensor_value_info("num_logits", i64, [1])]
    outputs = [helper.make_tensor_value_info("logits", f32, [1, "N", a.vocab_size]),
               helper.make_tensor_value_info("present_kv", f32, [a.n_layer, 2, 1, a.n_kv_head, "T", a.head_dim])]
    graph = helper.make_graph(b.nodes, "open_diffusion_step", inputs, outputs)
    model = helper.make_model(graph, producer_name="diffusion-coder convert",
                              opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = IR_VERSION
    external = store.save(model, path)
    onnx.checker.check_model(path)
    return external
