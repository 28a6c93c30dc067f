"""Checkpoints: the training checkpoint a run resumes from (`save_checkpoint`), and weights
that travel: an fp16 copy of the model in parts under 16 MiB, written atomically.

`write_parts` writes DIR/weights.pt.partNN (each first under a temporary name, then renamed)
and last DIR/weights.json naming the parts with their sha256, so a reader never joins parts
of two different snapshots. `join_parts` checks them and returns the joined bytes.
"""
import hashlib
import io
import json
import os
from dataclasses import asdict

import torch

PART_BYTES = 15 * 2**20


def save_checkpoint(path, model, opt, cfg, tok_json, step, tokens, seconds, rng):
    """Model, optimizer, step, RNG and the tokenizer the weights were trained with, renamed into place."""
    tmp = path + ".tmp"
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step,
                "tokens": tokens, "seconds": seconds, "rng": rng.getstate(), "torch_rng": torch.get_rng_state(),
                "model_config": cfg.model.to_dict(), "tokenizer_json": tok_json,
                "train_config": {k: v for k, v in asdict(cfg).items() if k != "model"}}, tmp)
    os.replace(tmp, path)


def weights_blob(model, cfg, tok_json, step, tokens, seconds):
    buf = io.BytesIO()
    torch.save({"model": {k: v.detach().to("cpu", torch.float16) for k, v in model.state_dict().items()},
                "model_config": cfg.model.to_dict(), "tokenizer_json": tok_json, "tokens": tokens, "step": step, "seconds": seconds,
                "train_config": {k: v for k, v in asdict(cfg).items() if k != "model"}}, buf)
    return buf.getvalue()


def write_parts(model, cfg, tok_json, step, tokens, seconds, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    blob = weights_blob(model, cfg, tok_json, step, tokens, seconds)
    parts = []
    for i in range(0, len(blob), PART_BYTES):
        name = f"weights.pt.part{i // PART_BYTES:02d}"
        chunk = blob[i:i + PART_BYTES]
        with open(os.path.join(out_dir, name + ".tmp"), "wb") as f:
            f.write(chunk)
        parts.append({"name": name, "sha256": hashlib.sha256(chunk).hexdigest()})
    for p in parts:
        os.replace(os.path.join(out_dir, p["name"] + ".tmp"), os.path.join(out_dir, p["name"]))
    meta = {"step": step, "tokens": tokens, "seconds": round(seconds, 1), "parts": parts}
    with open(os.path.join(out_dir, "weights.json.tmp"), "w") as f:
        json.dump(meta, f)
    os.replace(os.path.join(out_dir, "weights.json.tmp"), os.path.join(out_dir, "weights.json"))
    return meta


def join_parts(folder):
    meta = json.load(open(os.path.join(folder, "weights.json")))
    blob = b""
    for p in meta["parts"]:
        chunk = open(os.path.join(folder, p["name"]), "rb").read()
        if hashlib.sha256(chunk).hexdigest() != p["sha256"]:
            raise SystemExit(f"{p['name']} does not match weights.json (a snapshot was cut short)")
        blob += chunk
    return blob, meta
