"""Write models/<name>/MODEL_CARD.md from what the pipeline recorded.

Usage:
    /usr/bin/python3 training/model_card.py [--model models/NAME] [--run training/runs/main]

Reads the manifest, the corpus's sources.json (every source with its licence and bytes), the
training log (tokens, time, loss curve) and eval.json (training/evaluate.py), so every figure in
the card comes from a file a command wrote.
"""
import argparse
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MODEL = json.load(open(os.path.join(ROOT, "src", "defaults.json")))["model"]


_DECODE = json.load(open(os.path.join(ROOT, "src", "defaults.json")))["decode"]
DECODERS = (("diffusion", f"diffusion (block 16, threshold {_DECODE['threshold']}, ≤ {_DECODE['stepBudget']} steps per block)"),
            ("ar", "autoregressive (block 1, same weights)"),
            ("empty", "floor: an empty middle"),
            ("pass", "floor: `pass` at the reference's indentation"),
            ("repeat_previous_line", "floor: repeat the previous line"))


def results_table(r):
    s, m, h = r["humaneval_single"], r["humaneval_multi"], r["held_out"]
    lines = ["| decoder | HumanEval single-line pass@1 | single-line exact match | empty middles (single-line) | multi-line pass@1 | forward passes / token (single-line) | mean ms (single-line) |",
             "|---|---|---|---|---|---|---|"]
    for d, name in DECODERS:
        lines.append(f"| {name} | {s[d]['pass@1']}% | {s[d]['exact_match']}% | {s[d].get('empty_share', '-')}{'%' if 'empty_share' in s[d] else ''} "
                     f"| {m[d]['pass@1']}% | {s[d].get('forwards_per_token', '-')} | {s[d].get('mean_ms', '-')} |")
    lines += ["", f"Single-line: all {s['diffusion']['tasks']} tasks; multi-line: {m['diffusion']['tasks']} tasks "
              f"(every {r['multi_every']}th of the 5,815). Greedy, one sample, scored by running the tests.", "",
              "Held-out split (packages never trained on), exact match % / edit similarity %:", "",
              "| language | cases | diffusion | autoregressive | repeat previous line |", "|---|---|---|---|---|"]
    for lang in sorted(h["diffusion"]):
        cells = [f"{h[d][lang]['exact_match']} / {h[d][lang]['edit_similarity']}" for d in ("diffusion", "ar", "repeat_previous_line")]
        lines.append(f"| {lang} | {h['diffusion'][lang]['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


GROUPS = (("npm-", "npm packages"), ("debian-python3-", "Debian python3 packages"),
          ("pypi-", "Python packages installed with pip (the GPU machine's site-packages)"))


def sources_table(src):
    groups = {}
    for s in src["sources"]:
        prefix, key = next(((p, name) for p, name in GROUPS if s["source"].startswith(p)), ("", s["source"]))
        g = groups.setdefault((key, s["licence"]), {"n": 0, "files": 0, "bytes": 0, "names": []})
        g["n"] += 1
        g["files"] += s["files"]
        g["bytes"] += s["bytes"]
        g["names"].append(s["source"][len(prefix):])
    rows = ["| source | licence | packages | files | MB |", "|---|---|---|---|---|"]
    for (key, lic), g in sorted(groups.items(), key=lambda kv: -kv[1]["bytes"]):
        rows.append(f"| {key} | {lic} | {g['n']} | {g['files']} | {g['bytes'] / 1e6:.1f} |")
    return "\n".join(rows), groups


OBJECTIVE_SHIFTED = """the first {ar_pct:.0f} % of the training time is next-token prediction on
fill-in-the-middle examples (SPM order; cut at whole lines, several lines, the rest of a line, random
character spans, the end of a file, and 3 % empty middles) and on plain file windows (25 %); the
rest is block-diffusion adaptation: BD3-LM's one-pass block mask over `[clean sequence ; noisy
middle]`, one block size per batch from 4, 8, 16, 32, each block masked with its own rate in
[{t_lo}, {t_hi}], a masked token predicted from the state one position before it (a block's first token
from the last clean token), weighted by the inverse of the block's masked fraction, plus the
next-token loss. Past a middle's end the last block holds masks without targets, as at inference,
and the decoder commits `<eom>` only at the leftmost undecided position."""
OBJECTIVE_UNSHIFTED = """absorbing-state masked diffusion in which a masked position predicts its own
token, BD3-LM's one-pass block mask, block sizes 1-32, plus a 0.5-weighted next-token loss."""


def objective(man):
    if not man.get("logit_shift"):
        return OBJECTIVE_UNSHIFTED
    tc = man.get("training", {}).get("config", {})
    lo, hi = tc.get("t_range", (0.3, 0.8))
    return OBJECTIVE_SHIFTED.format(ar_pct=100 * tc.get("ar_frac", 0.8), t_lo=lo, t_hi=hi)


def tokens_note(tokens, params):
    if tokens >= 20 * params:
        return f"{tokens / params:.0f} tokens per parameter (about 20 is the usual compute-optimal ratio)."
    return (f"This is far below what a model of this size needs (about 20 tokens per parameter would be "
            f"~{20 * params / 1e6:.0f} M tokens); `training/gpu_run.sh` trains a larger one on a lent GPU.")


def write(model_dir, run_dir=os.path.join(ROOT, "training", "runs", "main")):
    man = json.load(open(os.path.join(model_dir, "manifest.json")))
    own = os.path.join(model_dir, "sources.json")  # the corpus it was trained on (a GPU run's comes back with it)
    src = json.load(open(own if os.path.exists(own) else os.path.join(ROOT, "training", "data", "corpus", "sources.json")))
    ev_path = os.path.join(model_dir, "eval.json")
    ev = json.load(open(ev_path)) if os.path.exists(ev_path) else None
    log = [json.loads(l) for l in open(os.path.join(run_dir, "log.jsonl"))] if os.path.exists(os.path.join(run_dir, "log.jsonl")) else []
    held = [x for x in log if "held_out_masked_ce" in x]
    tc = man.get("training", {}).get("config", {})
    a = man["architecture"]
    t = man["training"]
    table, groups = sources_table(src)
    notes_path = os.path.join(run_dir, "notes.md")
    notes = open(notes_path).read().strip() if os.path.exists(notes_path) else ""
    curve = " → ".join(f"{x['held_out_masked_ce']:.2f} @ {x['tokens'] / 1e6:.1f} M" for x in held[:: max(1, len(held) // 8)] + held[-1:]) if held else "n/a"
    lic_names = "\n".join(f"- **{k}** ({lic}): {', '.join(sorted(g['names'])[:400])}" for (k, lic), g in sorted(groups.items()) if k in [name for _, name in GROUPS])
    text = f"""# {man['name']}: a small block-diffusion code infilling model

The default model of Diffusion Coder. Trained from scratch by this repository's pipeline
(`training/`), on permissively licensed code installed on the machine that trained it.

## Model

| | |
|---|---|
| kind | {man['kind']} masked diffusion (blocks of {man['block_size']} denoised in parallel; context and finished blocks cached) |
| parameters | {man['params'] / 1e6:.2f} M ({a['n_layer']} layers, d_model {a['d_model']}, {a['n_head']} heads, rotary positions, tied embeddings) |
| vocabulary | {a['vocab_size']} (byte-level BPE trained on the corpus; 4k-16k measured, see `training/README.md`) |
| context | {man['max_context']} tokens in SPM order `<fim_suffix> S <fim_prefix> P <fim_middle> M <eom>`; suffix ≤ {man['max_suffix']}, middle ≤ {man['max_middle']} |
| file | `model.onnx`, {man['bytes'] / 2**20:.1f} MiB, {man['quantization']}, ONNX opset 17 |
| logits | {"shifted: the state at position i-1 predicts token i (Dream / DiffuCoder / Fast-dLLM v2)" if man.get("logit_shift") else "unshifted: a masked position predicts its own token"} |

Objective ({"shifted" if man.get("logit_shift") else "unshifted"}): {objective(man)}

## Training compute

| | |
|---|---|
| device | {t.get('device') or 'CPU, 2 cores'} |
| time | {t['seconds'] / 60:.1f} min |
| steps | {t['steps']} (batch {tc.get('batch', 16)} × {man['max_context']} tokens) |
| tokens seen | {t['tokens'] / 1e6:.2f} M |
| held-out masked-token cross-entropy on real middle tokens (block 16, t = 0.5) | {curve} |

{notes}

{tokens_note(t['tokens'], man['params'])}

## Evaluation

Command: `npm run build && /usr/bin/python3 training/evaluate.py --card` (decoding through the
engine's own command line, the sampler the extension uses).

{results_table(ev) if ev else "Not evaluated yet."}

Goal for this model family: single-line pass@1 ≥ 35% at ≤ 40 MB. The figures above are where it
stands now; they are bounded by the training compute above.

## Data

Only code whose licence allows training (MIT, BSD, Apache-2.0, ISC, PSF). Minified, generated,
vendored, binary and oversized files dropped; exact duplicates removed; any file containing one of
the HumanEval function signatures excluded ({src['dropped'].get('humaneval', 0)} file); a held-out
split by package. Bytes by language: {', '.join(f"{k} {v / 1e6:.1f} MB" for k, v in src['bytes_by_language'].items())}.
Dropped: {', '.join(f"{k} {v}" for k, v in src['dropped'].items())}.

{table}

Package names and licences (from each package's own metadata; full list with byte counts in
`sources.json` beside this card):

{lic_names}

## Limitations

A small model trained on {t['tokens'] / 1e6:.0f} M tokens: it knows common syntax and frequent idioms, not
APIs or algorithms. Expect short, plausible completions, often wrong on anything non-trivial.
"""
    with open(os.path.join(model_dir, "MODEL_CARD.md"), "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "models", DEFAULT_MODEL))
    ap.add_argument("--run", default=os.path.join(ROOT, "training", "runs", "main"))
    args = ap.parse_args()
    write(args.model, args.run)


if __name__ == "__main__":
    main()
