"""Fill-in-the-middle examples for training and held-out evaluation.

A file is cut at character level into prefix / middle / suffix in one of several modes (one
line, several lines, rest of a line, a random span with mid-token cuts, an empty middle, the
end of the file), and laid out by the engine's own function (layout.py: suffix cut at a line,
the prefix window nearest the cursor, token healing) in SPM order:

    <fim_suffix> SUFFIX <fim_prefix> PREFIX <fim_middle> MIDDLE <eom> <pad>...

`Example.mid_start` is the index of the first middle token; the middle includes <eom>.
"""
import random
from dataclasses import dataclass

from .layout import encode_text, spm_context

# An empty middle is rare in real use and its examples teach <eom>-first, the collapse the
# first model showed; 3% keeps the case known without rewarding it.
MODES = (("line", 0.32), ("lines", 0.22), ("rest_of_line", 0.17), ("span", 0.16),
         ("empty", 0.03), ("eof", 0.10))


@dataclass
class Example:
    ids: list          # full clean sequence, padded to seq_len
    mid_start: int
    mid_len: int       # middle tokens including <eom>
    length: int        # unpadded length
    mode: str


def _line_starts(text):
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def cut(text, mode, rng):
    """Return (prefix, middle, suffix) character strings for a cut of `text` in `mode`."""
    starts = _line_starts(text)
    n = len(starts)
    if mode in ("line", "lines"):
        k = 1 if mode == "line" else rng.randint(2, 8)
        for _ in range(10):
            i = rng.randrange(max(1, n - k))
            a, b = starts[i], starts[min(i + k, n - 1)] if i + k < n else len(text)
            if text[a:b].strip():
                break
        return text[:a], text[a:b], text[b:]
    if mode == "rest_of_line":
        i = rng.randrange(n)
        a = starts[i]
        b = text.find("\n", a)
        b = len(text) if b < 0 else b
        c = rng.randint(a, b)
        return text[:c], text[c:b], text[b:]
    if mode == "span":
        a = rng.randrange(len(text))
        b = min(len(text), a + rng.randint(1, 160))
        return text[:a], text[a:b], text[b:]
    if mode == "empty":
        a = rng.randrange(len(text) + 1)
        return text[:a], "", text[a:]
    # eof: the last few lines, nothing after them
    k = rng.randint(1, 6)
    a = starts[max(0, n - 1 - k)]
    return text[:a], text[a:], ""


def build(tok, ids_of, prefix, middle, suffix, seq_len, max_suffix, middle_budget):
    """Lay out one SPM example from already-cut strings with the engine's own layout
    (layout.spm_context, as for a request of `middle_budget` tokens); a healed prefix token moves
    to the middle's start, as the engine decodes it. None if it does not fit."""
    sp = ids_of
    r = spm_context(tok, sp, prefix, suffix, seq_len, max_suffix, middle_budget)
    if r is None:
        return None
    ids, heal, _ = r
    mid = encode_text(tok, heal + middle) + [sp["eom"]]
    if len(ids) + len(mid) > seq_len:
        return None
    start = len(ids)
    ids = ids + mid
    length = len(ids)
    ids += [sp["pad"]] * (seq_len - length)
    return Example(ids, start, len(mid), length, "")


def make_example(tok, ids_of, text, rng, seq_len, max_mid, max_suffix):
    for _ in range(8):
        r, acc = rng.random(), 0.0
        for mode, p in MODES:
            acc += p
            if r < acc:
                break
        prefix, middle, suffix = cut(text, mode, rng)
        if len(middle) > max_mid * 5:
            continue
        ex = build(tok, ids_of, prefix, middle, suffix, seq_len, max_suffix, max_mid)
        if ex is not None and ex.mid_len <= max_mid:
            ex.mode = mode
            return ex
    return None


def plain_example(tok, pad_id, text, rng, seq_len):
    """A window of a file as plain text (no FIM sentinels), for next-token training."""
    starts = _line_starts(text)
    a = starts[rng.randrange(len(starts))] if len(text) > seq_len * 4 else 0
    ids = tok.encode(text[a:a + seq_len * 6])[:seq_len]
    if len(ids) < 16:
        return None
    length = len(ids)
    return Example(ids + [pad_id] * (seq_len - length), length, 0, length, "plain")


def special_ids(tok):
    s = tok.specials
    return {"pad": s["<|pad|>"], "mask": s["<|mask|>"], "fim_prefix": s["<|fim_prefix|>"],
            "fim_suffix": s["<|fim_suffix|>"], "fim_middle": s["<|fim_middle|>"], "eom": s["<|eom|>"]}
