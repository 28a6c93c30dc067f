"""Around a lent-GPU run: prepare what travels, and collect what comes back.

Usage:
    /usr/bin/python3 training/gpu.py prepare
    /usr/bin/python3 training/gpu.py collect FILES_AT [--model models/NAME]
    python3 training/gpu.py join FILES_AT OUT.pt          # (gpu_run.sh, on the device)

prepare writes training/data/gpu/ (named in the device call's `carry`): the JS/TS records of the
local corpus (xz), the HumanEval signature list and HumanEval-SingleLineInfilling.jsonl.gz (the
device has no ../shared), then checks that what travels (tracked and untracked-not-ignored files,
shared/, the carried folder) stays under the device's 64 MiB, and refuses otherwise.
join checks the weight parts against weights.json (snapshot.join_parts) and writes the checkpoint.
collect joins the parts in FILES_AT into training/runs/gpu/, names them by their size
(dcoder-<millions of parameters>m: the shipped name when the architecture is the shipped one),
exports them to models/<name>-candidate, evaluates it with training/evaluate.py and ships it (in
place of the shipped model, or as a new folder) only if it is better than the shipped model on
the held-out split (mean edit similarity) and not worse on HumanEval single-line pass@1.
"""
import argparse
import gzip
import json
import lzma
import os
import shutil
import subprocess
import sys

import torch

from dcoder.checkpoint import join_parts
from dcoder.data import BYTES_PER_TOKEN

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MODEL = json.load(open(os.path.join(ROOT, "src", "defaults.json")))["model"]
HERE = os.path.join(ROOT, "training")
GPU = os.path.join(HERE, "data", "gpu")
EVAL = os.path.join(ROOT, "..", "shared", "eval")
HUMANEVAL = "HumanEval-SingleLineInfilling.jsonl.gz"
JSTS = "jsts.jsonl.xz"
TRANSFER_LIMIT = 64 * 2**20


def prepare(dest=GPU, corpus=os.path.join(HERE, "data", "corpus")):
    """The carried folder: JS/TS records (xz: about 6x on code against gzip's 4x), HumanEval."""
    os.makedirs(dest, exist_ok=True)
    subprocess.run([sys.executable, os.path.join(HERE, "corpus.py"), "--write-signatures",
                    os.path.join(dest, "humaneval-signatures.txt")], check=True)
    shutil.copyfile(os.path.join(EVAL, HUMANEVAL), os.path.join(dest, HUMANEVAL))
    n = chars = 0
    for old in ("jsts.jsonl.gz",):  # an earlier prepare's format would travel too
        if os.path.exists(os.path.join(dest, old)):
            os.remove(os.path.join(dest, old))
    path = os.path.join(dest, JSTS)
    with lzma.open(path + ".tmp", "wt", preset=9 | lzma.PRESET_EXTREME) as out:
        for split in ("train", "test"):
            with open(os.path.join(corpus, f"{split}.jsonl")) as f:
                for line in f:
                    d = json.loads(line)
                    if d["lang"] in ("javascript", "typescript"):
                        out.write(line)
                        n += 1
                        chars += len(d["text"])
    os.replace(path + ".tmp", path)
    print(f"{n} JS/TS files, {chars / 1e6:.1f} MB of text (about {chars / BYTES_PER_TOKEN / 1e6:.1f} M tokens) in "
          f"{os.path.getsize(path) / 2**20:.1f} MiB of xz ({chars / os.path.getsize(path):.1f}x); "
          f"HumanEval single-line tasks and signatures in {dest}")


def _files(root, rel):
    """{relative path: bytes} of the plain files and links under root/rel (links not followed)."""
    top = os.path.join(root, rel)
    if not os.path.isdir(top) or os.path.islink(top):
        return {rel: os.lstat(top).st_size} if os.path.lexists(top) else {}
    out = {}
    for d, dirs, names in os.walk(top):
        for nm in names + [x for x in dirs if os.path.islink(os.path.join(d, x))]:
            p = os.path.join(d, nm)
            out[os.path.relpath(p, root)] = os.lstat(p).st_size
    return out


def transfer_sizes(root, carried):
    """{relative path: bytes} of what a device call sends from the checkout at root."""
    listed = subprocess.run(["git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            capture_output=True, check=True).stdout.decode().split("\0")
    sizes = {}
    for rel in filter(None, listed):
        p = os.path.join(root, rel)
        if os.path.lexists(p) and (os.path.islink(p) or os.path.isfile(p)):
            sizes[rel] = os.lstat(p).st_size
    for rel in ["shared", *carried]:
        sizes.update(_files(root, rel))
    return sizes


def check_transfer(root=ROOT, carried=(os.path.relpath(GPU, ROOT),), limit=TRANSFER_LIMIT):
    """Total bytes that travel; SystemExit with the figures when they exceed the limit."""
    sizes = transfer_sizes(root, carried)
    total = sum(sizes.values())
    if total >= limit:
        big = sorted(sizes.items(), key=lambda kv: -kv[1])[:5]
        raise SystemExit(f"refusing: what travels to the device is {total / 2**20:.1f} MiB, over its "
                         f"{limit / 2**20:.0f} MiB limit (tracked and untracked-not-ignored files, shared/, "
                         f"carried {', '.join(carried)}). Largest: "
                         + ", ".join(f"{p} {b / 2**20:.1f} MiB" for p, b in big))
    return total


def join(files_at, dest):
    blob, meta = join_parts(files_at)
    with open(dest + ".tmp", "wb") as f:
        f.write(blob)
    os.replace(dest + ".tmp", dest)
    print(f"joined {len(meta['parts'])} parts (step {meta['step']}, {meta['tokens'] / 1e6:.1f} M tokens) into {dest}")
    return meta


def model_name(params):
    """dcoder-<parameters in millions>m, as the shipped folders are named (dcoder-17m: 17.3 M)."""
    return f"dcoder-{round(params / 1e6)}m"


def target_folder(shipped, state):
    """models/<name> for the weights in a checkpoint: the shipped folder when they have its size,
    else a new folder beside it (another architecture must not take the shipped model's name)."""
    params = sum(v.numel() for v in state["model"].values())
    return os.path.join(os.path.dirname(os.path.normpath(shipped)), model_name(params))


def score(ev):
    held = ev["held_out"]["diffusion"]
    es = sum(v["edit_similarity"] for v in held.values()) / len(held)
    return es, ev["humaneval_single"]["diffusion"]["pass@1"]


def collect(files_at, model):
    run = os.path.join(HERE, "runs", "gpu")
    os.makedirs(run, exist_ok=True)
    join(files_at, os.path.join(run, "ckpt.pt"))
    for name in ("log.jsonl", "run.log", "device-eval.json", "sources.json.gz"):
        if os.path.exists(os.path.join(files_at, name)):
            shutil.copy(os.path.join(files_at, name), os.path.join(run, name))
        else:
            print(f"{name} did not come back")
    if os.path.exists(os.path.join(run, "device-eval.json")):
        dev = json.load(open(os.path.join(run, "device-eval.json")))
        print(f"device: single-line pass@1 {dev['diffusion']['pass@1']}% on {dev['scored']} of {dev['tasks']} tasks")
    target = target_folder(model, torch.load(os.path.join(run, "ckpt.pt"), map_location="cpu", weights_only=False))
    name, cand = os.path.basename(target), target + "-candidate"
    if target != os.path.normpath(model):
        print(f"the new weights are {name}, not {os.path.basename(os.path.normpath(model))}: a new model folder")
    subprocess.run([sys.executable, os.path.join(HERE, "export.py"), "--ckpt", os.path.join(run, "ckpt.pt"),
                    "--name", os.path.basename(cand), "--out", os.path.dirname(cand)], check=True)
    manifest = json.load(open(os.path.join(cand, "manifest.json")))
    manifest["name"] = name
    json.dump(manifest, open(os.path.join(cand, "manifest.json"), "w"), indent=1)
    if os.path.exists(os.path.join(run, "sources.json.gz")):  # the corpus it was trained on (device side)
        with gzip.open(os.path.join(run, "sources.json.gz"), "rb") as src, open(os.path.join(cand, "sources.json"), "wb") as dst:
            shutil.copyfileobj(src, dst)
    subprocess.run([sys.executable, os.path.join(HERE, "evaluate.py"), "--model", cand], check=True)
    new = score(json.load(open(os.path.join(cand, "eval.json"))))
    old = score(json.load(open(os.path.join(model, "eval.json"))))
    print(f"held-out edit similarity / single-line pass@1: shipped {old}, candidate {new}")
    if new[0] > old[0] and new[1] >= old[1]:
        if os.path.exists(target):
            shutil.rmtree(target)
        os.rename(cand, target)
        subprocess.run([sys.executable, os.path.join(HERE, "model_card.py"), "--model", target, "--run", run], check=True)
        print("candidate shipped" if target == os.path.normpath(model) else
              f"candidate shipped as {target}: set \"model\": \"{name}\" in src/defaults.json (the next warm start reads it)")
    else:
        print(f"kept the shipped model; candidate left in {cand}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["prepare", "join", "collect"])
    ap.add_argument("files_at", nargs="?")
    ap.add_argument("dest", nargs="?", help="join: the checkpoint to write")
    ap.add_argument("--model", default=os.path.join(ROOT, "models", DEFAULT_MODEL))
    ap.add_argument("--corpus", default=os.path.join(HERE, "data", "corpus"), help="prepare: the corpus whose JS/TS travels")
    args = ap.parse_args()
    if args.cmd == "prepare":
        prepare(corpus=args.corpus)
        print(f"what travels: {check_transfer() / 2**20:.1f} MiB of {TRANSFER_LIMIT / 2**20:.0f} MiB")
    elif args.cmd == "join":
        join(args.files_at, args.dest)
    else:
        collect(args.files_at, args.model)


if __name__ == "__main__":
    main()
