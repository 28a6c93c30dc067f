"""parity.json for a converted open model: random step inputs with the torch reference's outputs,
in export.py's format, so `node dist/cli.js parity --model DIR` checks onnxruntime against torch
(fp32: max |logit difference| over the first 64 columns; quantized: argmax agreement).

The masks are the engine's shape of step: every cached token visible, the new tokens attending
to one another both ways except for a random 20% (the diagonal always kept).
"""
import json

import numpy as np
import torch

from dcoder.open_model import load_reference

CASES = ((16, 40, 16), (1, 9, 1), (24, 0, 4))   # (T new tokens, P cached, num_logits)


def step_inputs(arch, T, P, n, seed):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, arch.vocab_size, size=(1, T))
    pos = (np.arange(T) + P)[None]
    mask = np.ones((1, 1, T, P + T), dtype=bool)
    mask[0, 0, :, P:] = (rng.random((T, T)) > 0.2) | np.eye(T, dtype=bool)
    past = np.round(rng.standard_normal((arch.n_layer, 2, 1, arch.n_kv_head, P, arch.head_dim)), 4)
    return ids, pos, mask, past, np.array([n])


def write_parity(spec, ckpt, path):
    model = load_reference(spec, ckpt)
    cases = []
    for T, P, n in CASES:
        ids, pos, mask, past, nl = step_inputs(spec.arch, T, P, n, seed=T + P)
        with torch.no_grad():
            logits, present = model(*(torch.from_numpy(a) for a in (ids, pos, mask, past.astype(np.float32), nl)))
        cases.append({"T": T, "P": P, "num_logits": n, "input_ids": ids[0].tolist(),
                      "position_ids": pos[0].tolist(), "attn_mask": mask.flatten().astype(int).tolist(),
                      "past_kv": past.flatten().tolist(),   # 4 decimals: the same float32 on both sides
                      "logits_sample": np.round(logits[0, :, :64].flatten().numpy(), 6).tolist(),
                      "logits_argmax": logits[0].argmax(-1).tolist(),
                      "present_sample": np.round(present.flatten()[:256].numpy(), 6).tolist()})
    with open(path, "w") as f:
        json.dump({"cases": cases}, f)
