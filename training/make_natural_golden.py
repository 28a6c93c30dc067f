"""Golden decodes of the natural layout (the converted open models), from the Python side.

Usage:
    .venv/bin/python training/make_natural_golden.py

For each tiny Hugging Face checkpoint in test/fixtures/hf-tiny/ (written by make_hf_tiny.py) and
its converted fp32 folder in test/fixtures/open-tiny/, decodes a few contexts with the torch
reference model (open_model.OpenModel, read straight from the safetensors) through
dcoder/natural.py (the middle's length, the dual cache or none) and sampler.decode, and writes
test/fixtures/golden-natural.json: the engine's NaturalRunner, middle stage and denoiser must
reproduce every token, step and forward pass (test/engine/natural.test.ts), and
tests/test_natural_golden.py re-runs this file's decodes against it.

A random tiny model never expects a middle to end, so the length pass would never cut and no
decode would meet end-of-text: `dream-ends` is the dream checkpoint with its end-of-text output
row moved towards the states of masked positions (END_PULL), so that "ended" is about as likely
as not there. This script writes it (hf-tiny/dream-ends, and its fp32 conversion in
open-tiny/dream-ends) before decoding.
"""
import json
import os
import shutil
import sys

from dcoder import cpu_blas  # noqa: F401  (must come before torch)
import torch

from dcoder.natural import NaturalRunner, place_middle
from dcoder.open_families import parse_config
from dcoder.open_model import load_reference
from dcoder.hf_checkpoint import Checkpoint, save_bf16
import convert
from dcoder.sampler import decode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "test", "fixtures")
FAMILIES = ("dream", "llada", "dream-ends")
END_PULL = 6.2      # dream-ends: the end row's logit at an average masked position, before the rest
# (prefix ids, suffix ids) drawn from the tiny vocabularies' ordinary range
CONTEXTS = [(list(range(40, 60)), list(range(70, 78))), ([97, 98, 99, 100, 32, 33, 34, 35, 36, 37], [])]
OPTIONS = [dict(block_size=8, policy=["threshold", 0.9, 4], max_tokens=24, middle_length="probe", dual_cache=True),
           dict(block_size=8, policy=["threshold", 0.9, 4], max_tokens=24, middle_length="probe", dual_cache=False),
           dict(block_size=8, policy=["steps", 4], max_tokens=16, middle_length="fixed", dual_cache=True),
           dict(block_size=4, policy=["steps", 2], max_tokens=12, middle_length="fixed", dual_cache=False)]


def write_ends():
    """hf-tiny/dream-ends and open-tiny/dream-ends (see the module doc)."""
    model, man = reference("dream")
    a, sp = man["architecture"], man["special_tokens"]
    seen = []
    hook = model.head.register_forward_hook(lambda m, i, o: seen.append(i[0].reshape(-1, a["d_model"])))
    for prefix, suffix in CONTEXTS:
        runner = NaturalRunner(model, a["n_layer"], a["n_kv_head"], a["head_dim"], sp["mask"])
        runner.place_tail(suffix, len(prefix) + 24)
        runner.step(prefix, [sp["mask"]] * 24, len(prefix), 24)
    hook.remove()
    d = torch.cat(seen).mean(0)
    src, dst = os.path.join(FIX, "hf-tiny", "dream"), os.path.join(FIX, "hf-tiny", "dream-ends")
    ckpt = Checkpoint(src)
    tensors = {t: ckpt.read(t) for t in ckpt.names()}
    head = parse_config(json.load(open(os.path.join(src, "config.json")))).tensor("head")
    tensors[head][sp["eom"]] += (END_PULL * d / d.norm() ** 2).numpy()
    shutil.rmtree(dst, ignore_errors=True)
    os.makedirs(dst)
    for f in ("config.json", "tokenizer.json"):
        shutil.copy(os.path.join(src, f), dst)
    save_bf16(os.path.join(dst, "model.safetensors"), tensors, metadata={"format": "pt"})
    out = os.path.join(FIX, "open-tiny", "dream-ends")
    shutil.rmtree(out, ignore_errors=True)
    convert.convert(dst, out, quant="none")


def reference(family):
    """(torch reference model, manifest of its converted folder)"""
    src = os.path.join(FIX, "hf-tiny", family)
    spec = parse_config(json.load(open(os.path.join(src, "config.json"))))
    model = load_reference(spec, Checkpoint(src))
    man = json.load(open(os.path.join(FIX, "open-tiny", family, "manifest.json")))
    return model, man


def decode_natural(model, man, case):
    """The engine's natural-layout infill at the token level: middle stage, then the denoiser."""
    a, sp, o = man["architecture"], man["special_tokens"], case["options"]
    runner = NaturalRunner(model, a["n_layer"], a["n_kv_head"], a["head_dim"], sp["mask"], o["dual_cache"])
    ends = [sp["eom"], *man.get("stop_tokens", [])]
    ctx = case["context"]
    slot = place_middle(runner, ctx, len(ctx), case["tail"], max_tokens=o["max_tokens"],
                        max_context=man["max_context"], mask_id=sp["mask"], end_ids=ends,
                        shift=man["logit_shift"], middle_length=o["middle_length"])
    banned = sorted(({v for k, v in sp.items() if k != "eom"} | set(man.get("stop_tokens", []))) - {sp["eom"]})
    r = decode(runner, slot["pending"], start=slot["start"], vocab_size=a["vocab_size"], mask_id=sp["mask"],
               eom_id=sp["eom"], max_tokens=slot["max_tokens"], block_size=o["block_size"],
               policy=tuple(o["policy"]), single_line=False, pieces=[""] * a["vocab_size"],
               max_position=slot["max_position"], shift=man["logit_shift"], banned=banned)
    r["forwards"] += 1 if slot["probed"] else 0
    r["middle_tokens"] = slot["max_tokens"]
    del r["probs"]  # the golden decodes hold tokens, steps and passes
    return r


def main():
    torch.manual_seed(0)
    write_ends()
    cases = []
    for family in FAMILIES:
        model, man = reference(family)
        for prefix, suffix in CONTEXTS:
            for o in OPTIONS:
                case = {"family": family, "context": prefix, "tail": suffix, "options": o}
                cases.append({**case, "expected": decode_natural(model, man, case)})
    path = os.path.join(FIX, "golden-natural.json")
    with open(path, "w") as f:
        json.dump({"cases": cases}, f)
    probed = sum(c["options"]["middle_length"] == "probe" and c["expected"]["middle_tokens"] < c["options"]["max_tokens"]
                 for c in cases)
    print(f"wrote {len(cases)} natural golden decodes to {path} ({probed} with a middle cut by the length pass)")


if __name__ == "__main__":
    sys.exit(main())
