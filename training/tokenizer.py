"""Train the byte-level BPE tokenizer on the training split and pick its size by measurement.

Usage:
    /usr/bin/python3 training/tokenizer.py [--corpus training/data/corpus] [--vocab 8192]
        [--max-vocab 16384] [--out training/data/tokenizer.json]

Counts pre-tokens over the training split, learns merges up to --max-vocab, then measures
bytes per token on the held-out split for vocabularies of 4k, 6k, 8k, 12k and 16k (truncating the
merge list), prints the table, and saves the --vocab sized tokenizer (the measured choice).
"""
import argparse
import collections
import json
import os
import time

from dcoder import bpe

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=os.path.join(ROOT, "training", "data", "corpus"))
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--max-vocab", type=int, default=16384)
    ap.add_argument("--min-count", type=int, default=2)
    ap.add_argument("--max-bytes-per-language", type=int, default=20_000_000)
    ap.add_argument("--out", default=os.path.join(ROOT, "training", "data", "tokenizer.json"))
    args = ap.parse_args()
    t0 = time.time()
    counts, per_lang = collections.Counter(), collections.Counter()
    with open(os.path.join(args.corpus, "train.jsonl")) as f:
        for line in f:
            d = json.loads(line)
            if per_lang[d["lang"]] < args.max_bytes_per_language:
                counts.update(bpe.pretokenize(d["text"]))
                per_lang[d["lang"]] += len(d["text"])
    seen = sum(per_lang.values())
    words = {w: c for w, c in counts.items() if c >= args.min_count}
    print(f"{seen/1e6:.1f} MB read, {len(words)} distinct pre-tokens kept ({time.time()-t0:.0f}s)")
    tok = bpe.train(words, args.max_vocab)
    print(f"trained {len(tok.merges)} merges in {time.time()-t0:.0f}s")
    held = [json.loads(l)["text"] for l in open(os.path.join(args.corpus, "test.jsonl"))]
    held = held[:: max(1, len(held) // 150)]
    nbytes = sum(len(t.encode()) for t in held)
    print("| vocab | bytes/token (held-out) | embedding params at d=384 |")
    print("|---|---|---|")
    rows = {}
    for v in (4096, 6144, 8192, 12288, 16384):
        if v > args.max_vocab:
            continue
        t = tok.truncated(v - len(bpe.SPECIALS) - 256)
        ntok = sum(len(t.encode(x)) for x in held)
        rows[v] = nbytes / ntok
        print(f"| {v} | {rows[v]:.3f} | {v*384/1e6:.2f} M |")
    final = tok.truncated(args.vocab - len(bpe.SPECIALS) - 256)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(final.to_json(), f, ensure_ascii=False)
    json.dump({"bytes_per_token": rows, "chosen": args.vocab},
              open(os.path.splitext(args.out)[0] + ".measure.json", "w"), indent=1)
    print(f"saved {args.out} (vocab {final.vocab_size})")


if __name__ == "__main__":
    main()
