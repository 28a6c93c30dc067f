"""Around a lent-GPU run: prepare what travels, and collect what comes back.

Usage:
    /usr/bin/python3 training/gpu.py prepare
    /usr/bin/python3 training/gpu.py collect FILES_AT [--model models/NAME]

prepare writes training/data/gpu/: the JS/TS records of the local corpus (gzip) and the HumanEval
signature list (the device has no ../shared), to be named in the device call's `carry`.
collect joins the weight parts from FILES_AT, exports them to models/<name>-candidate, evaluates
it with training/evaluate.py and replaces the shipped model only if it is better on the held-out
split (mean edit similarity) and on HumanEval single-line pass@1.
"""
import argparse
import glob
import gzip
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MODEL = json.load(open(os.path.join(ROOT, "src", "defaults.json")))["model"]
HERE = os.path.join(ROOT, "training")
GPU = os.path.join(HERE, "data", "gpu")


def prepare():
    os.makedirs(GPU, exist_ok=True)
    subprocess.run([sys.executable, os.path.join(HERE, "corpus.py"), "--write-signatures",
                    os.path.join(GPU, "humaneval-signatures.txt")], check=True)
    n = 0
    with gzip.open(os.path.join(GPU, "jsts.jsonl.gz"), "wt") as out:
        for split in ("train", "test"):
            for line in open(os.path.join(HERE, "data", "corpus", f"{split}.jsonl")):
                if json.loads(line)["lang"] in ("javascript", "typescript"):
                    out.write(line)
                    n += 1
    size = sum(os.path.getsize(p) for p in glob.glob(os.path.join(GPU, "*")))
    print(f"{n} JS/TS files, {size / 2**20:.1f} MiB in {GPU}")


def score(ev):
    held = ev["held_out"]["diffusion"]
    es = sum(v["edit_similarity"] for v in held.values()) / len(held)
    return es, ev["humaneval_single"]["diffusion"]["pass@1"]


def collect(files_at, model):
    parts = sorted(glob.glob(os.path.join(files_at, "weights.pt.part*")))
    if not parts:
        raise SystemExit(f"no weights.pt.part* in {files_at}")
    run = os.path.join(HERE, "runs", "gpu")
    os.makedirs(run, exist_ok=True)
    with open(os.path.join(run, "ckpt.pt"), "wb") as out:
        for p in parts:
            out.write(open(p, "rb").read())
    shutil.copy(os.path.join(files_at, "log.jsonl"), os.path.join(run, "log.jsonl"))
    name = os.path.basename(model.rstrip("/"))
    cand = model.rstrip("/") + "-candidate"
    subprocess.run([sys.executable, os.path.join(HERE, "export.py"), "--ckpt", os.path.join(run, "ckpt.pt"),
                    "--name", os.path.basename(cand), "--out", os.path.dirname(cand)], check=True)
    manifest = json.load(open(os.path.join(cand, "manifest.json")))
    manifest["name"] = name
    json.dump(manifest, open(os.path.join(cand, "manifest.json"), "w"), indent=1)
    subprocess.run([sys.executable, os.path.join(HERE, "evaluate.py"), "--model", cand], check=True)
    new = score(json.load(open(os.path.join(cand, "eval.json"))))
    old = score(json.load(open(os.path.join(model, "eval.json"))))
    print(f"held-out edit similarity / single-line pass@1: shipped {old}, candidate {new}")
    if new[0] > old[0] and new[1] >= old[1]:
        shutil.rmtree(model)
        os.rename(cand, model)
        subprocess.run([sys.executable, os.path.join(HERE, "model_card.py"), "--model", model, "--run", run], check=True)
        print("candidate shipped")
    else:
        print(f"kept the shipped model; candidate left in {cand}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["prepare", "collect"])
    ap.add_argument("files_at", nargs="?")
    ap.add_argument("--model", default=os.path.join(ROOT, "models", DEFAULT_MODEL))
    args = ap.parse_args()
    if args.cmd == "prepare":
        prepare()
    else:
        collect(args.files_at, args.model)


if __name__ == "__main__":
    main()
