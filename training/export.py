"""Export a training checkpoint to the engine's model folder.

Usage:
    /usr/bin/python3 training/export.py --ckpt training/runs/main/ckpt.pt [--name NAME]
        [--out models] [--tokenizer training/data/tokenizer.json] [--no-quantize]

Writes models/<name>/: model.onnx (opset 17; com.microsoft MatMulNBits with 8-bit weights in
blocks of 32, activations quantized per token inside the kernel, and an int8 embedding table), model.fp32.onnx only
with --keep-fp32, tokenizer.json, manifest.json (architecture kind, limits, block size, special
token ids, I/O names, sha256), weights.pt (fp16 state dict so a later run can continue), and
parity.json (random inputs with torch's outputs; `node dist/cli.js parity` checks ORT against
it). The graph: T new tokens against P cached ones, see model.StepGraph.
"""
import argparse
import inspect
import json
import os
import shutil

from dcoder import cpu_blas  # noqa: F401  (must come before torch)
import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper, TensorProto

from dcoder import bpe
from dcoder.hashing import sha256
from dcoder.model import ARCH_FLAGS, DiffusionCoder, ModelConfig, StepGraph
from dcoder.onnx_builder import ACCURACY_LEVEL
from dcoder.quantize import BLOCK, block_quantize, rowwise_int8

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MODEL = json.load(open(os.path.join(ROOT, "src", "defaults.json")))["model"]
INPUTS = ["input_ids", "position_ids", "attn_mask", "past_kv", "num_logits"]
OUTPUTS = ["logits", "present_kv"]


def dummy_inputs(cfg, T, P, n_logits, seed=0):
    """Example step inputs: T causal new tokens after P cached ones (docs/ARCHITECTURE.md, "The attention and layout contract")."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(6, cfg.vocab_size, (1, T), generator=g)
    pos = (torch.arange(T) + P).unsqueeze(0)
    mask = torch.ones(1, 1, T, P + T, dtype=torch.bool)
    mask[0, 0, :, P:] = torch.ones(T, T, dtype=torch.bool).tril()
    past = torch.randn(cfg.n_layer, 2, 1, cfg.n_head, P, cfg.head_dim, generator=g)
    return ids, pos, mask, past, torch.tensor([n_logits], dtype=torch.long)


def export_fp32(model, path):
    cfg = model.cfg
    graph = StepGraph(model).eval()
    # torch >= 2.9 defaults to the dynamo exporter; this graph is made for the TorchScript one
    legacy = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    torch.onnx.export(
        graph, dummy_inputs(cfg, 5, 7, 3), path, opset_version=17, input_names=INPUTS,
        output_names=OUTPUTS, do_constant_folding=True,
        dynamic_axes={"input_ids": {1: "T"}, "position_ids": {1: "T"}, "attn_mask": {2: "T", 3: "S"},
                      "past_kv": {4: "P"}, "logits": {1: "N"}, "present_kv": {4: "T"}}, **legacy)
    onnx.checker.check_model(onnx.load(path))


def quantize_int8(src, dst):
    """MatMul with a constant [K, N] weight -> com.microsoft MatMulNBits: 8-bit weights in blocks of
    32 along K (quantize.py, the open-model converter's format), activations quantized per token and
    block inside the kernel, so a token's result does not depend on what else is in the same
    forward pass (per-tensor dynamic quantization made decodes depend on the cache's history).
    The embedding Gather -> int8 Gather times a per-row scale."""
    m = onnx.load(src)
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    new_nodes, drop = [], set()
    for node in g.node:
        if node.op_type == "Gather" and node.input[0] in inits:
            w = inits[node.input[0]]
            W = numpy_helper.to_array(w).astype(np.float32)
            if W.ndim == 2 and W.shape[0] > 1000:
                q, scale = rowwise_int8(W)
                base = node.output[0]
                g.initializer.extend([numpy_helper.from_array(q, w.name + "_q8"),
                                      numpy_helper.from_array(scale, w.name + "_rowscale"),
                                      numpy_helper.from_array(np.array([-1], dtype=np.int64), base + "_axes")])
                new_nodes += [
                    helper.make_node("Gather", [w.name + "_q8", node.input[1]], [base + "_q8"], axis=0),
                    helper.make_node("Cast", [base + "_q8"], [base + "_f"], to=TensorProto.FLOAT),
                    helper.make_node("Gather", [w.name + "_rowscale", node.input[1]], [base + "_s"], axis=0),
                    helper.make_node("Unsqueeze", [base + "_s", base + "_axes"], [base + "_s2"]),
                    helper.make_node("Mul", [base + "_f", base + "_s2"], [base]),
                ]
                drop.add(w.name)
                continue
        w = inits.get(node.input[1]) if node.op_type == "MatMul" else None
        if w is not None and len(w.dims) == 2:
            W = numpy_helper.to_array(w).astype(np.float32)
            K, N = W.shape
            b, scales, zp = block_quantize(np.ascontiguousarray(W.T), 8)
            g.initializer.extend([numpy_helper.from_array(b, w.name + "_q"),
                                  numpy_helper.from_array(scales.reshape(-1), w.name + "_scales"),
                                  numpy_helper.from_array(zp.reshape(-1), w.name + "_zp")])
            new_nodes.append(helper.make_node(
                "MatMulNBits", [node.input[0], w.name + "_q", w.name + "_scales", w.name + "_zp"], list(node.output),
                domain="com.microsoft", K=K, N=N, bits=8, block_size=BLOCK, accuracy_level=ACCURACY_LEVEL))
            drop.add(w.name)
            continue
        new_nodes.append(node)
    used = {i for n in new_nodes for i in n.input}
    keep = [i for i in g.initializer if i.name not in drop or i.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    del g.node[:]
    g.node.extend(new_nodes)
    if not any(o.domain == "com.microsoft" for o in m.opset_import):
        m.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(m, dst)


def own_past(step, cfg, P, seed):
    """The model's own K/V for P random tokens read causally (random K/V would push a trained
    model's activations far outside what it ever sees, and overstate int8 error)."""
    ids, pos, mask, empty, _ = dummy_inputs(cfg, P, 0, 1, seed=seed + 1000)
    return step(ids, pos, mask, empty, torch.tensor([1]))[1] if P else empty


def parity_fixture(model, path):
    """Random tokens after the model's own cache and torch's outputs, for the ORT parity check on
    the Node side."""
    cases = []
    step = StepGraph(model).eval()
    for T, P, n in ((16, 40, 16), (1, 9, 1), (24, 0, 4)):
        ids, pos, mask, _, nl = dummy_inputs(model.cfg, T, P, n, seed=T + P)
        with torch.no_grad():
            past = own_past(step, model.cfg, P, seed=T + P)
            logits, present = step(ids, pos, mask, past, nl)
        cases.append({"T": T, "P": P, "num_logits": n, "input_ids": ids[0].tolist(),
                      "position_ids": pos[0].tolist(), "attn_mask": mask.flatten().int().tolist(),
                      "past_kv": [round(x, 6) for x in past.flatten().tolist()],
                      "logits_sample": logits[0, :, :64].flatten().tolist(),
                      "logits_argmax": logits[0].argmax(-1).tolist(),
                      "present_sample": present.flatten()[:256].tolist()})
    with open(path, "w") as f:
        json.dump({"cases": cases}, f)


def export_folder(model, out, name, tokenizer, state=None, quantize=True, keep_fp32=False,
                  block_size=16, weights=False):
    """Write a complete model folder (see the module docstring) for an in-memory model.
    `tokenizer` is a tokenizer.json path or its text (a checkpoint carries the one it was trained with)."""
    state = state or {}
    cfg = model.cfg
    cfg.fused_attention = False  # the exported graph spells attention out (opset 17)
    tcfg = state.get("train_config", {})
    os.makedirs(out, exist_ok=True)
    fp32 = os.path.join(out, "model.fp32.onnx")
    export_fp32(model, fp32)
    final = os.path.join(out, "model.onnx")
    if quantize:
        quantize_int8(fp32, final)
        onnx.checker.check_model(onnx.load(final))
    else:
        shutil.copy(fp32, final)
    if not keep_fp32:
        os.remove(fp32)
    tok_path = os.path.join(out, "tokenizer.json")
    if tokenizer.lstrip().startswith("{"):
        with open(tok_path, "w") as f:
            f.write(tokenizer)
    else:
        shutil.copy(tokenizer, tok_path)
    tok = bpe.Tokenizer.load(tok_path)
    if weights:
        torch.save({"model": {k: v.half() for k, v in model.state_dict().items()}, "model_config": cfg.to_dict(),
                    "tokens": state.get("tokens", 0), "step": state.get("step", 0),
                    "seconds": state.get("seconds", 0)}, os.path.join(out, "weights.pt"))
    parity_fixture(model, os.path.join(out, "parity.json"))
    manifest = {
        "format": 1,
        "name": name,
        "kind": "block-causal",
        "file": "model.onnx",
        "sha256": sha256(final),
        "bytes": os.path.getsize(final),
        "tokenizer": "tokenizer.json",
        "quantization": "int8 weights in blocks of 32 (MatMulNBits), int8 activations per token and block; int8 embedding rows" if quantize else "none",
        "params": model.num_params(),
        "architecture": {"n_layer": cfg.n_layer, "n_head": cfg.n_head, "d_model": cfg.d_model,
                         "head_dim": cfg.head_dim, "d_ff": cfg.d_ff, "vocab_size": cfg.vocab_size,
                         "positions": "rope", "rope_base": cfg.rope_base,
                         # the modded-nanogpt flags, named only when on (warm_start.config_of reads them back)
                         **{k: getattr(cfg, k) for k, off in ARCH_FLAGS.items() if getattr(cfg, k) != off}},
        "layout": "spm",
        "logit_shift": cfg.shift,
        "max_context": tcfg.get("seq_len", 384),
        "max_middle": tcfg.get("max_mid", 64),
        "max_suffix": tcfg.get("max_suffix", 96),
        "block_size": block_size,
        "special_tokens": {k: tok.specials[v] for k, v in (
            ("pad", "<|pad|>"), ("mask", "<|mask|>"), ("fim_prefix", "<|fim_prefix|>"),
            ("fim_suffix", "<|fim_suffix|>"), ("fim_middle", "<|fim_middle|>"), ("eom", "<|eom|>"))},
        "io": {"inputs": {k: k for k in INPUTS}, "outputs": {k: k for k in OUTPUTS},
               "kv_shape": ["n_layer", 2, 1, "n_head", "P", "head_dim"],
               "attn_mask": "bool [1, 1, T, P+T], true where attention is allowed"},
        "training": {"tokens": state.get("tokens", 0), "steps": state.get("step", 0),
                     "seconds": round(state.get("seconds", 0)), "device": tcfg.get("device", ""),
                     "config": {k: tcfg[k] for k in ("batch", "seq_len", "ar_frac", "t_range", "lang_weights") if k in tcfg}},
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    return manifest


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(ROOT, "training", "runs", "main", "ckpt.pt"))
    ap.add_argument("--name", default=DEFAULT_MODEL)
    ap.add_argument("--out", default=os.path.join(ROOT, "models"))
    ap.add_argument("--tokenizer", help="only for checkpoints that do not carry their tokenizer")
    ap.add_argument("--weights", action="store_true", help="also write fp16 weights.pt (to continue training)")
    ap.add_argument("--no-quantize", action="store_true")
    ap.add_argument("--keep-fp32", action="store_true")
    ap.add_argument("--block-size", type=int, default=16)
    args = ap.parse_args()
    state = torch.load(args.ckpt, map_location="cpu", weights_only=False)
    model = DiffusionCoder(ModelConfig.from_dict(state["model_config"]))
    model.load_state_dict({k: v.float() for k, v in state["model"].items()})
    model.eval()
    tokenizer = state.get("tokenizer_json") or args.tokenizer
    if not tokenizer:
        raise SystemExit(f"{args.ckpt} carries no tokenizer: name the one it was trained with (--tokenizer)")
    man = export_folder(model, os.path.join(args.out, args.name), args.name, tokenizer, state,
                        quantize=not args.no_quantize, keep_fp32=args.keep_fp32, block_size=args.block_size,
                        weights=args.weights)
    print(json.dumps({"out": os.path.join(args.out, args.name), "bytes": man["bytes"], "params": man["params"]}))


if __name__ == "__main__":
    main()
