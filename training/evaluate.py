"""Score a model folder with the engine's own sampler (through `node dist/cli.js infill --jsonl`).

Usage:
    npm run build && /usr/bin/python3 training/evaluate.py [--model models/NAME]
        [--multi-every 20] [--held-out 100] [--card]

Reports, for diffusion decoding, one-token-per-pass (AR) decoding of the same weights, and the
floors a model must beat before it counts as writing anything (an empty middle, `pass` at the
reference's indentation, the previous line repeated):
  * HumanEval-Infilling single-line (all 1,033 tasks) and multi-line (every Nth of 5,815) pass@1
    with one greedy sample: prompt + completion + suffix + test + check(entry_point) must run
    without an exception in a fresh Python process within 10 s; exact match; and the share of
    empty middles (every reference middle is non-empty);
  * exact match and edit similarity per language on held-out FIM cases (packages never trained on);
  * forward passes per token and mean latency.
Writes MODEL/eval.json; --card then regenerates MODEL/MODEL_CARD.md (model_card.py).
"""
import argparse
import concurrent.futures as cf
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dcoder import fim  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EVAL = os.path.join(ROOT, "..", "shared", "eval")
_DEFAULTS = json.load(open(os.path.join(ROOT, "src", "defaults.json")))
DEFAULT_MODEL = _DEFAULTS["model"]
SINGLE_MAX, MULTI_MAX = _DEFAULTS["decode"]["singleLineMaxTokens"], _DEFAULTS["decode"]["maxTokens"]


DECODE_FLAGS = []   # extra CLI flags for the diffusion decoder (--threshold / --steps)


def run_engine(model, reqs, ar=False):
    """The engine's answers: the diffusion decode itself (--decode threshold, with DECODE_FLAGS), or
    greedy next-token decoding (--ar; the default `verified` decode writes exactly its text)."""
    cmd = ["node", os.path.join(ROOT, "dist", "cli.js"), "infill", "--jsonl", "--model", model]
    cmd += ["--ar"] if ar else ["--decode", "threshold", *DECODE_FLAGS]
    inp = "".join(json.dumps(r) + "\n" for r in reqs)
    p = subprocess.run(cmd, input=inp, capture_output=True, text=True)
    out = {}
    for line in p.stdout.splitlines():
        d = json.loads(line)
        out[d["id"]] = d
    # exit 1 means some lines failed (each answered with its error): they score as empty
    # completions and are counted; anything else, or a missing answer, stops the evaluation
    failed = [d for d in out.values() if "error" in d]
    if p.returncode not in (0, 1) or len(out) != len(reqs) or (p.returncode == 1 and not failed):
        raise SystemExit(f"engine failed (exit {p.returncode}): {p.stderr.strip()[-2000:]}")
    if failed:
        print(f"  {len(failed)} requests failed, e.g. {failed[0]['error']}", flush=True)
    return out


def passes(task, completion):
    # the CPU limit ends a looping program even if this process is killed before it can time it out
    prog = ("import resource; resource.setrlimit(resource.RLIMIT_CPU, (12, 12))\n"
            + task["prompt"] + completion + task["suffix"] + "\n" + task["test"] + "\n"
            + f"check({task['entry_point']})\n")
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(prog)
        path = f.name
    try:
        r = subprocess.run([sys.executable, path], capture_output=True, timeout=10)
        return r.returncode == 0
    except subprocess.TimeoutExpired:
        return False
    finally:
        os.unlink(path)


def prev_line(prefix):
    lines = prefix.split("\n")
    body = lines[:-1]
    for l in reversed(body):
        if l.strip():
            return l
    return ""


def edit_similarity(a, b):
    if not a and not b:
        return 1.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return 1 - prev[-1] / max(len(a), len(b))


def indent_of(text):
    return text[:len(text) - len(text.lstrip(" \t"))]


# Floors: completions that need no model (the reference's indentation is the only thing read).
FLOORS = {
    "empty": lambda t: "",
    "pass": lambda t: indent_of(t["canonical_solution"]) + "pass\n",
    "repeat_previous_line": lambda t: prev_line(t["prompt"]) + "\n",
}


def humaneval(model, name, single, every, decoders=("diffusion", "ar", *FLOORS)):
    path = os.path.join(EVAL, f"HumanEval-{name}.jsonl.gz")
    tasks = [json.loads(l) for l in gzip.open(path, "rt")][::every]
    mode = "single" if single else "multi"
    reqs = [{"id": i, "prefix": t["prompt"], "suffix": t["suffix"], "mode": mode,
             "maxTokens": SINGLE_MAX if single else MULTI_MAX} for i, t in enumerate(tasks)]
    results = {}
    for decoder in decoders:
        if decoder in FLOORS:
            comps = {i: FLOORS[decoder](t) for i, t in enumerate(tasks)}
            meta = {}
        else:
            out = run_engine(model, reqs, ar=decoder == "ar")
            comps = {}
            for i in range(len(tasks)):
                text = out[i].get("text", "")
                comps[i] = text + "\n" if single or not text.endswith("\n") else text
            toks = sum(o.get("tokens", 0) for o in out.values())
            empty = sum(not out[i].get("text", "").strip() for i in range(len(tasks)))
            meta = {"empty_share": round(100 * empty / len(tasks), 2),
                    "forwards_per_token": round(sum(o.get("forwards", 0) for o in out.values()) / max(1, toks), 3),
                    "mean_ms": round(sum(o.get("ms", 0) for o in out.values()) / len(out), 1)}
        with cf.ThreadPoolExecutor(2) as ex:
            ok = list(ex.map(lambda i: passes(tasks[i], comps[i]), range(len(tasks))))
        em = sum(comps[i].strip() == t["canonical_solution"].strip() for i, t in enumerate(tasks))
        results[decoder] = {"tasks": len(tasks), "pass@1": round(100 * sum(ok) / len(tasks), 2),
                            "exact_match": round(100 * em / len(tasks), 2), **meta}
        print(f"  {name} {decoder}: {results[decoder]}", flush=True)
    return results


def held_out(model, per_lang):
    rng = random.Random(2024)
    by_lang = {}
    for line in open(os.path.join(ROOT, "training", "data", "corpus", "test.jsonl")):
        d = json.loads(line)
        by_lang.setdefault(d["lang"], []).append(d["text"])
    cases = []
    for lang, docs in sorted(by_lang.items()):
        for k in range(per_lang):
            text = rng.choice(docs)
            mode = rng.choice(["line", "lines", "rest_of_line"])
            prefix, middle, suffix = fim.cut(text, mode, rng)
            cases.append({"lang": lang, "mode": mode, "prefix": prefix[-3000:], "suffix": suffix[:1000], "middle": middle})
    reqs = [{"id": i, "prefix": c["prefix"], "suffix": c["suffix"],
             "mode": "multi" if c["mode"] == "lines" else "single", "maxTokens": MULTI_MAX} for i, c in enumerate(cases)]
    res = {}
    for decoder in ("diffusion", "ar", "repeat_previous_line"):
        out = None if decoder == "repeat_previous_line" else run_engine(model, reqs, ar=decoder == "ar")
        per = {}
        if out is not None:
            toks = sum(o.get("tokens", 0) for o in out.values())
            res.setdefault("speed", {})[decoder] = {
                "forwards_per_token": round(sum(o.get("forwards", 0) for o in out.values()) / max(1, toks), 3),
                "mean_ms": round(sum(o.get("ms", 0) for o in out.values()) / len(out), 1)}
        for i, c in enumerate(cases):
            if out is None:
                comp = prev_line(c["prefix"]) if c["mode"] != "rest_of_line" else ""
            else:
                comp = out[i].get("text", "")
            want = c["middle"].rstrip("\n") if c["mode"] != "lines" else c["middle"]
            p = per.setdefault(c["lang"], {"n": 0, "em": 0, "es": 0.0})
            p["n"] += 1
            p["em"] += comp.strip() == want.strip()
            p["es"] += edit_similarity(comp.strip(), want.strip())
        res[decoder] = {l: {"n": p["n"], "exact_match": round(100 * p["em"] / p["n"], 1),
                            "edit_similarity": round(100 * p["es"] / p["n"], 1)} for l, p in per.items()}
        print(f"  held-out {decoder}: {res[decoder]} {res.get('speed', {}).get(decoder, '')}", flush=True)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "models", DEFAULT_MODEL))
    ap.add_argument("--multi-every", type=int, default=20)
    ap.add_argument("--single-every", type=int, default=1, help="subsample single-line tasks (quick checks)")
    ap.add_argument("--held-out", type=int, default=100, help="held-out cases per language")
    ap.add_argument("--card", action="store_true")
    ap.add_argument("--held-out-only", action="store_true", help="skip HumanEval (for tuning decode settings)")
    ap.add_argument("--threshold", type=float)
    ap.add_argument("--steps", type=int)
    ap.add_argument("--max-steps", type=int)
    args = ap.parse_args()
    if args.threshold is not None:
        DECODE_FLAGS.extend(["--threshold", str(args.threshold)])
    if args.max_steps is not None:
        DECODE_FLAGS.extend(["--max-steps", str(args.max_steps)])
    if args.steps is not None:
        DECODE_FLAGS.extend(["--steps", str(args.steps)])
    if args.held_out_only:
        r = held_out(args.model, args.held_out)
        print(json.dumps(r))
        return
    if not os.path.exists(os.path.join(ROOT, "dist", "cli.js")):
        raise SystemExit("run `npm run build` first")
    manifest = json.load(open(os.path.join(args.model, "manifest.json")))
    r = {"model": manifest["name"], "multi_every": args.multi_every}
    r["humaneval_single"] = humaneval(args.model, "SingleLineInfilling", True, args.single_every)
    r["humaneval_multi"] = humaneval(args.model, "MultiLineInfilling", False, args.multi_every)
    r["held_out"] = held_out(args.model, args.held_out)
    with open(os.path.join(args.model, "eval.json"), "w") as f:
        json.dump(r, f, indent=1)
    print(json.dumps(r))
    if args.card:
        import model_card
        model_card.write(args.model)


if __name__ == "__main__":
    main()
