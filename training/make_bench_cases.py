"""Fixed held-out infill cases for the speed benchmark (bench/cases.jsonl).

Usage:
    /usr/bin/python3 training/make_bench_cases.py [--per-kind 8]

From the held-out split (packages never trained on), per language (Python, JavaScript,
TypeScript): single-line cases (cursor inside a line, the rest of the line is the middle) and
multi-line cases (cursor at the start of the line after a block opener, the next lines are the
middle), each with about 1.5 KB of context around the cursor, from distinct files.
"""
import argparse
import json
import os
import random

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPENERS = (":", "{", "(", "[", "=>")


def cases_for(docs, lang, kind, n, rng):
    out = []
    rng.shuffle(docs)
    for d in docs:
        if len(out) >= n:
            break
        lines = d["text"].split("\n")
        idx = list(range(20, len(lines) - 8))
        rng.shuffle(idx)
        for i in idx[:50]:
            line = lines[i]
            if kind == "single":
                body = line.strip()
                if len(body) < 20 or body.startswith(("#", "//", "*", "/*")):
                    continue
                ind = len(line) - len(line.lstrip())
                cut = ind + rng.randint(6, min(len(body) - 8, 30))
                before = "\n".join(lines[:i]) + "\n" + line[:cut]
                after = line[cut:] + "\n" + "\n".join(lines[i + 1:])
                middle = line[cut:]
            else:
                if not lines[i - 1].rstrip().endswith(OPENERS) or not line.strip():
                    continue
                before = "\n".join(lines[:i]) + "\n"
                k = 3
                middle = "\n".join(lines[i:i + k]) + "\n"
                after = "\n".join(lines[i + k:])
            prefix, suffix = before[-1200:], after[:300]
            out.append({"id": f"{lang}-{kind}-{len(out)}", "lang": lang, "kind": kind,
                        "prefix": prefix, "suffix": suffix, "middle": middle, "source": d["package"]})
            break
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=os.path.join(ROOT, "training", "data", "corpus", "test.jsonl"))
    ap.add_argument("--per-kind", type=int, default=8)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "cases.jsonl"))
    args = ap.parse_args()
    rng = random.Random(11)
    by_lang = {}
    for line in open(args.corpus):
        d = json.loads(line)
        if d["text"].count("\n") > 40:
            by_lang.setdefault(d["lang"], []).append(d)
    cases = []
    for lang in ("python", "javascript", "typescript"):
        for kind in ("single", "multi"):
            cases += cases_for(list(by_lang.get(lang, [])), lang, kind, args.per_kind, rng)
    with open(args.out, "w") as f:
        for c in cases:
            f.write(json.dumps(c) + "\n")
    print(f"{len(cases)} cases -> {args.out}")


if __name__ == "__main__":
    main()
