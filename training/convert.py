"""Convert a downloaded Hugging Face checkpoint of an open diffusion coder into a model folder
the engine loads.

Usage:
    .venv/bin/python training/convert.py --from DIR --to models/NAME [--quant int4|int8|none]
        [--max-context N] [--no-parity] [--mask-token TEXT]

DIR holds config.json, tokenizer.json and model.safetensors or shards with
model.safetensors.index.json (families: dcoder/open_families.py). The output folder gets
model.onnx (+ model.onnx.data past 1.8 GB), tokenizer.json (copied unchanged), manifest.json,
parity.json (torch reference outputs; only up to 50 M parameters and without --no-parity) and
MODEL_CARD.md. Everything is written to a temporary sibling folder renamed at the end, so a
failure leaves no model folder behind. Errors the input can cause end the run with one line
`convert: ...` on stderr and exit status 1.
"""
import argparse
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dcoder.hf_checkpoint import Checkpoint, FormatError  # noqa: E402
from dcoder.open_families import MAX_CONTEXT, ConfigError, parse_config  # noqa: E402
from dcoder.open_specials import SpecialsError, special_tokens  # noqa: E402
from dcoder.onnx_graph import write_model  # noqa: E402
from dcoder import open_manifest  # noqa: E402

PARITY_MAX_PARAMS = 50_000_000


class ConvertError(Exception):
    pass


def read_json(folder, name):
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        raise ConvertError(f"{name} not found in {folder}")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except ValueError as e:
        raise ConvertError(f"{name} is not valid JSON ({e})")


def check_tensors(spec, ckpt):
    for name, shape in spec.expected():
        if name not in ckpt:
            raise ConvertError(f"tensor {name} is missing from the checkpoint")
        if ckpt.shape(name) != shape:
            raise ConvertError(f"tensor {name} has shape {list(ckpt.shape(name))}, the config needs {list(shape)}")


def params_of(spec):
    """Parameters of the converted model (padding rows dropped, a tied head counted once)."""
    total = 0
    for name, shape in spec.expected():
        rows = spec.arch.vocab_size if name in (spec.tensor("embed"), spec.tensor("head")) else shape[0]
        total += rows * (shape[1] if len(shape) > 1 else 1)
    return total


def convert(src, dst, quant="int4", max_context=None, parity=True, mask_token=None):
    cfg = read_json(src, "config.json")
    spec = parse_config(cfg)
    tokenizer = read_json(src, "tokenizer.json")
    special, stops = special_tokens(cfg, src, tokenizer, spec.family, spec.arch.vocab_size, spec.bos_first,
                                    mask_token)
    ckpt = Checkpoint(src)
    check_tensors(spec, ckpt)
    if os.path.exists(dst):
        raise ConvertError(f"{dst} already exists (remove it or choose another --to)")
    params = params_of(spec)
    parity = parity and params <= PARITY_MAX_PARAMS
    max_context = max_context or min(spec.max_positions, MAX_CONTEXT)
    dst = os.path.normpath(dst)
    tmp = os.path.join(os.path.dirname(dst) or ".", f".{os.path.basename(dst)}.partial-{os.getpid()}")
    os.makedirs(tmp)
    try:
        external = write_model(spec, ckpt, tmp, os.path.join(tmp, "model.onnx"), quant)
        shutil.copyfile(os.path.join(src, "tokenizer.json"), os.path.join(tmp, "tokenizer.json"))
        if parity:
            from dcoder.open_parity import write_parity   # torch is imported only here
            write_parity(spec, ckpt, os.path.join(tmp, "parity.json"))
        man = open_manifest.manifest(os.path.basename(dst), spec, cfg, src, ckpt.files, tmp, external, quant,
                                     params, max_context, special, stops)
        with open(os.path.join(tmp, "manifest.json"), "w") as f:
            json.dump(man, f, indent=1)
        with open(os.path.join(tmp, "MODEL_CARD.md"), "w") as f:
            f.write(open_manifest.model_card(man, quant, parity))
        os.rename(tmp, dst)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return man


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--from", dest="src", required=True, help="Hugging Face checkpoint folder")
    ap.add_argument("--to", dest="dst", required=True, help="output model folder, e.g. models/NAME")
    ap.add_argument("--quant", choices=["int4", "int8", "none"], default="int4")
    ap.add_argument("--max-context", type=int, help=f"default: min(the config's positions, {MAX_CONTEXT})")
    ap.add_argument("--no-parity", action="store_true", help="skip parity.json (always skipped past 50 M parameters)")
    ap.add_argument("--mask-token", help="the mask token's text, when neither config.json nor the tokenizer files name it")
    args = ap.parse_args(argv)
    if args.max_context is not None and args.max_context <= 0:
        ap.error("--max-context must be positive")
    try:
        man = convert(args.src, args.dst, args.quant, args.max_context, not args.no_parity, args.mask_token)
    except (ConvertError, ConfigError, SpecialsError, FormatError) as e:
        print(f"convert: {e}", file=sys.stderr)
        return 1
    print(json.dumps({"out": args.dst, "bytes": man["bytes"], "params": man["params"],
                      "quantization": args.quant, "external_data": man.get("external_data")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
