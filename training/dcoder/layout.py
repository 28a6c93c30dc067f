"""The engine's SPM context layout (src/engine/layout.ts `buildContext`), in Python: the one
function that both training examples (fim.build) and the torch evaluation (device_eval.py) lay
their contexts out with, so the model trains on exactly what the engine will show it.

    <fim_suffix> SUFFIX <fim_prefix> PREFIX <fim_middle>

- user text is encoded as the engine encodes it (a literal special-token string stays text);
- the suffix is cut at a line end to fit `max_suffix` tokens;
- the prefix is the window nearest the cursor: a fresh one fills 80% of what the middle's budget
  and the suffix leave, starting at a line; a remembered window (the engine's sticky window,
  `anchor`) is kept while it still fits;
- token healing: when the cursor is inside a word, or at a line's start with no indentation
  typed (a bare line break), the last prefix token is dropped and the middle must start with
  its text (the model then picks, e.g., the line break with the next line's whole indentation).
tests/test_gpu_run.py checks this against the engine (`dist/cli.js infill`), and
tests/test_pipeline.py that training examples are laid out by it.
"""
import re

CHARS_PER_TOKEN_MAX = 8     # an upper bound on characters per token (layout.ts says why)
FRESH_WINDOW_FILL = 0.8     # a fresh prefix window fills 80% of its budget
ANCHOR_CHARS = 48           # the sticky window is found again by its first 48 characters
FIM_TOKENS = 3              # <fim_suffix>, <fim_prefix>, <fim_middle>
MIN_PREFIX_TOKENS = 8       # the engine refuses a request that leaves less room for the prefix


def encode_text(tok, text):
    """The engine's encoding of user text (tokenizer.ts): a literal special-token string stays
    plain text (`<|` and the rest encoded apart) instead of becoming the special token."""
    hit = next((s for s in tok.specials if s in text), None)
    if hit is None:
        return tok.encode(text)
    out = []
    for i, part in enumerate(text.split(hit)):
        if i:
            out += tok.encode(hit[:2]) + encode_text(tok, hit[2:])
        out += encode_text(tok, part)
    return out


def fit_suffix(encode, suffix, limit):
    s = suffix[:limit * CHARS_PER_TOKEN_MAX]
    ids = encode(s)
    while len(ids) > limit:
        cut = s.rfind("\n", 0, len(s) - 1)
        s = s[:cut + 1] if cut > 0 else s[:int(len(s) * 0.8)]
        ids = encode(s)
    return ids


def fresh_window(encode, prefix, budget):
    target = max(1, int(budget * FRESH_WINDOW_FILL))
    start = max(0, len(prefix) - target * CHARS_PER_TOKEN_MAX)
    if start > 0:
        nl = prefix.find("\n", start)
        if 0 <= nl < len(prefix) - 1:
            start = nl + 1
    w = prefix[start:]
    n = len(encode(w))
    while n > target and len(w) > 1:
        drop = max(1, (n - target) * len(w) // n)
        nl = w.find("\n", drop)
        w = w[nl + 1:] if 0 <= nl < len(w) - 1 else w[drop:]
        n = len(encode(w))
    return w


def spm_context(tok, sp, prefix, suffix, max_context, max_suffix, middle_budget, anchor=""):
    """(context ids, healed text, the window's anchor), or None when the middle's budget and the
    suffix leave the prefix under MIN_PREFIX_TOKENS (the engine refuses such a request)."""
    encode = lambda t: encode_text(tok, t)  # noqa: E731
    suf = fit_suffix(encode, suffix, max_suffix)
    budget = max_context - middle_budget - FIM_TOKENS - len(suf)
    if budget < MIN_PREFIX_TOKENS:
        return None
    window = None
    if anchor:
        idx = prefix.find(anchor, max(0, len(prefix) - budget * CHARS_PER_TOKEN_MAX))
        if idx >= 0 and len(encode(prefix[idx:])) <= budget:
            window = prefix[idx:]
    if window is None:
        window = fresh_window(encode, prefix, budget)
    pre = encode(window)
    heal = ""
    if len(pre) > 1:
        last = tok.decode([pre[-1]])
        word = re.fullmatch(r"[ \t]?[A-Za-z0-9_]+", last) and re.search(r"[A-Za-z0-9_]$", window)
        if word or last == "\n":   # a cut word, or a bare line break (the cursor at a line's start)
            heal, pre = last, pre[:-1]
    ids = [sp["fim_suffix"], *suf, sp["fim_prefix"], *pre, sp["fim_middle"]]
    return ids, heal, window[:ANCHOR_CHARS]


class Layout:
    """buildContext for one engine: remembers the window's anchor between requests."""

    def __init__(self, tok, manifest):
        self.tok, self.m, self.anchor = tok, manifest, ""

    def context(self, prefix, suffix, middle_budget):
        """(context ids, healed text)"""
        m = self.m
        r = spm_context(self.tok, m["special_tokens"], prefix, suffix, m["max_context"], m["max_suffix"],
                        middle_budget, self.anchor)
        if r is None:
            raise ValueError(f"maxTokens {middle_budget} leaves no room for context")
        ids, heal, self.anchor = r
        return ids, heal
