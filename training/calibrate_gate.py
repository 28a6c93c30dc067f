"""Calibrate the confidence gate (diffusionCoder.minConfidence) on held-out lines.

Lines come from code the model never trained on: files of this machine's Python standard
library, Debian's Python packages and the project's node_modules whose bare module or package
name falls in the corpus's held-out split (corpus.split_of, the same hash the corpus uses).
Each line is asked twice through the engine's own CLI (`node dist/cli.js infill --jsonl`, the
default decode): cut at the line's start (after its indentation) and mid-line (after 2-8 typed
characters). For each threshold, among the lines whose confidence reaches it: coverage (share
shown), exact match of the shown line, and characters kept (the longest correct prefix, what a
user accepting word by word would keep).

    npm run build && /usr/bin/python3 training/calibrate_gate.py [--lines 400] [--model DIR]

Writes docs/confidence-gate.md (the table, the chosen default) and docs/confidence-gate.svg.
"""
import argparse
import json
import os
import random
import subprocess

from corpus import split_of

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = [("/usr/lib/python3.11", "python", (".py",)), ("/usr/lib/python3/dist-packages", "python", (".py",)),
           (os.path.join(ROOT, "node_modules"), "javascript", (".js", ".ts"))]
THRESHOLDS = [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]


def held_out_files(root, exts, seed=0, test_frac=0.04):
    """Files under root whose top-level module or package is in the held-out split."""
    if not os.path.isdir(root):
        return []
    out = []
    for top in sorted(os.listdir(root)):
        key = os.path.splitext(top)[0] if top.endswith(".py") else top
        if key.startswith((".", "_", "test")) or split_of(key, seed, test_frac) != "test":
            continue
        path = os.path.join(root, top)
        walk = [(path, [], [top])] if os.path.isfile(path) else os.walk(path)
        for dirpath, _, names in walk:
            if any(p in dirpath for p in ("/test", "/dist/", ".min.")):
                continue
            out += [os.path.join(dirpath if os.path.isdir(dirpath) else root, n) for n in names
                    if n.endswith(exts) and not n.endswith((".d.ts", ".min.js"))]
    return out


def cases(n_lines, rng):
    """(lang, prefix, suffix, rest-of-line, cut) for held-out lines, each cut twice."""
    out = []
    per_source = n_lines // len(SOURCES)
    for root, lang, exts in SOURCES:
        files = held_out_files(root, exts)
        rng.shuffle(files)
        taken = 0
        for f in files:
            if taken >= per_source:
                break
            try:
                text = open(f, encoding="utf-8").read()
            except (UnicodeDecodeError, OSError):
                continue
            if len(text) > 100_000 or max((len(l) for l in text.split("\n")), default=0) > 300:
                continue
            lines = text.split("\n")
            good = [i for i, l in enumerate(lines) if 12 <= len(l.strip()) <= 100 and i > 5 and not l.strip().startswith(("#", "//", "*", "/*"))]
            for i in rng.sample(good, min(2, len(good))):
                start = sum(len(l) + 1 for l in lines[:i])
                indent = len(lines[i]) - len(lines[i].lstrip())
                after = "\n".join(lines[i + 1:])
                for cut, k in (("line start", indent), ("mid-line", indent + rng.randint(2, 8))):
                    prefix = text[:start + k][-1500:]
                    out.append(dict(lang=lang, cut=cut, prefix=prefix, suffix=("\n" + after)[:500],
                                    truth=lines[i][k:].rstrip()))
                taken += 1
    return out


def run(model, reqs):
    cmd = ["node", os.path.join(ROOT, "dist", "cli.js"), "infill", "--jsonl", "--mode", "single"] + (["--model", model] if model else [])
    inp = "".join(json.dumps(dict(id=i, prefix=r["prefix"], suffix=r["suffix"], mode="single")) + "\n" for i, r in enumerate(reqs))
    p = subprocess.run(cmd, input=inp, capture_output=True, text=True)
    got = {}
    for line in p.stdout.splitlines():
        d = json.loads(line)
        if "error" not in d:
            got[d["id"]] = d
    return got


def common_prefix(a, b):
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def curve(rows, cut=None):
    sel = [r for r in rows if cut is None or r["cut"] == cut]
    out = []
    for t in THRESHOLDS:
        shown = [r for r in sel if r["text"].strip() and r["confidence"] >= t]
        exact = sum(r["text"].rstrip() == r["truth"] for r in shown)
        kept = sum(common_prefix(r["text"], r["truth"]) for r in shown)
        out.append(dict(threshold=t, coverage=len(shown) / max(1, len(sel)), shown=len(shown),
                        exact_of_shown=exact / max(1, len(shown)), exact_of_all=exact / max(1, len(sel)),
                        kept_chars_per_shown=kept / max(1, len(shown)), kept_chars_per_line=kept / max(1, len(sel))))
    return out


def svg(curves, default):
    """A small line chart: exact match of what is shown, and coverage, against the threshold."""
    W, H, L, B = 560, 300, 50, 40
    x = lambda t: L + t * (W - L - 20)
    y = lambda v: H - B - v * (H - B - 20)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="11">',
             f'<rect width="{W}" height="{H}" fill="white"/>',
             f'<line x1="{L}" y1="{y(0)}" x2="{W - 20}" y2="{y(0)}" stroke="black"/><line x1="{L}" y1="{y(0)}" x2="{L}" y2="{y(1)}" stroke="black"/>']
    for v in (0, 0.25, 0.5, 0.75, 1):
        parts.append(f'<text x="{L - 30}" y="{y(v) + 4}">{v:.2f}</text><line x1="{L}" y1="{y(v)}" x2="{W - 20}" y2="{y(v)}" stroke="#ddd"/>')
    for t in (0, 0.2, 0.4, 0.6, 0.8, 1.0):
        parts.append(f'<text x="{x(t) - 8}" y="{H - B + 15}">{t:.1f}</text>')
    parts.append(f'<text x="{W / 2 - 80}" y="{H - 8}">gate threshold (lowest token probability)</text>')
    colours = {"line start": "#1f77b4", "mid-line": "#d62728"}
    ly = 30
    for cut, c in curves.items():
        for key, dash, label in (("exact_of_shown", "", "exact match of shown"), ("coverage", "4,3", "coverage")):
            pts = " ".join(f"{x(p['threshold']):.1f},{y(p[key]):.1f}" for p in c)
            parts.append(f'<polyline fill="none" stroke="{colours[cut]}" stroke-width="2" stroke-dasharray="{dash}" points="{pts}"/>')
            parts.append(f'<line x1="{W - 210}" y1="{ly}" x2="{W - 185}" y2="{ly}" stroke="{colours[cut]}" stroke-width="2" stroke-dasharray="{dash}"/><text x="{W - 180}" y="{ly + 4}">{cut}: {label}</text>')
            ly += 15
    parts.append(f'<line x1="{x(default)}" y1="{y(0)}" x2="{x(default)}" y2="{y(1)}" stroke="gray" stroke-dasharray="2,2"/><text x="{x(default) + 3}" y="{y(1) + 10}">default {default}</text>')
    return "\n".join(parts + ["</svg>\n"])


def choose(rows):
    """The lowest threshold at which what is shown is exact at least twice as often as with no gate."""
    base = curve(rows)[0]["exact_of_shown"]
    for p in curve(rows)[1:]:
        if p["shown"] >= 20 and p["exact_of_shown"] >= 2 * base:
            return p["threshold"]
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs"))
    args = ap.parse_args()
    reqs = cases(args.lines, random.Random(args.seed))
    got = run(args.model, reqs)
    rows = [dict(r, text=got[i]["text"], confidence=got[i]["confidence"]) for i, r in enumerate(reqs) if i in got]
    default = choose(rows)
    curves = {cut: curve(rows, cut) for cut in ("line start", "mid-line")}
    table = ["| cut | threshold | coverage | exact match of shown | exact match of all lines | chars kept per shown | chars kept per line |",
             "|---|---|---|---|---|---|---|"]
    for cut, c in [("both", curve(rows))] + list(curves.items()):
        for p in c:
            table.append(f"| {cut} | {p['threshold']} | {p['coverage']:.1%} | {p['exact_of_shown']:.1%} | {p['exact_of_all']:.1%} | {p['kept_chars_per_shown']:.1f} | {p['kept_chars_per_line']:.2f} |")
    langs = {l: sum(r["lang"] == l for r in rows) // 2 for l in ("python", "javascript")}
    with open(os.path.join(args.out, "confidence-gate.svg"), "w") as f:
        f.write(svg(curves, default if default is not None else 0))
    with open(os.path.join(args.out, "confidence-gate.md"), "w") as f:
        f.write(f"""# The confidence gate

Ghost text whose least sure token (`InfillResult.confidence`: the lowest probability any of its
tokens was committed with) is below `diffusionCoder.minConfidence` is held back: nothing is shown,
and the status bar and the statistics count it. Calibrated on held-out lines (packages in the
corpus's held-out split, never trained on; not HumanEval): {langs['python']} Python lines and
{langs['javascript']} JavaScript/TypeScript lines, each cut at the line's start (after its
indentation) and mid-line (after 2-8 typed characters), decoded single-line by the engine's CLI
with the default decode. "Exact" compares the shown line with the rest of the true line; "chars
kept" is the longest correct prefix (what accepting word by word keeps).

Chosen default: **{default}**, the lowest threshold at which the exact match of what is shown is at
least twice that of showing everything (at least 20 lines shown).

![exact match and coverage against the threshold](confidence-gate.svg)

{chr(10).join(table)}

Made by `npm run build && /usr/bin/python3 training/calibrate_gate.py --lines {args.lines} --seed {args.seed}`
(model: {args.model or 'the bundled model'}).
""")
    print(json.dumps(dict(default=default, cases=len(rows), both=curve(rows))))


if __name__ == "__main__":
    main()
