"""Byte-level BPE tokenizer shared by every training script: encode, decode, load and save the
Hugging Face `tokenizer.json` format, and train new merges from word counts.

The TypeScript engine reads the same tokenizer.json through @huggingface/tokenizers; the golden
fixtures in test/fixtures/tokenizer.json keep the two encoders byte for byte equal.
"""
import heapq
import json
import re

# Code-oriented pre-tokenizer: newline runs with the next line's indentation, identifiers with
# one leading space, 1-3 digit numbers, punctuation runs, whitespace runs (the last space goes
# with the next word). Only ASCII classes, so Python `re` and JavaScript agree exactly.
PATTERN = (r"(?:\r?\n)+[ \t]*| ?[A-Za-z_][A-Za-z0-9_]*| ?[0-9]{1,3}| ?[^ \t\r\n\f\vA-Za-z0-9_]+"
           r"|[ \t\f\v]+(?![^ \t\r\n\f\v])|[ \t\f\v]+|[\r\n\f\v]+")
SPECIALS = ["<|pad|>", "<|mask|>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|eom|>"]
_pre = re.compile(PATTERN)


def byte_alphabet():
    """GPT-2's reversible map from the 256 byte values to printable unicode characters."""
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


B2U = byte_alphabet()
U2B = {u: b for b, u in B2U.items()}


def pretokenize(text):
    return _pre.findall(text)


def to_units(piece):
    return "".join(B2U[b] for b in piece.encode("utf-8"))


def merge_pair(units, a, b):
    """units with every adjacent (a, b), left to right, joined into a + b."""
    out, i = [], 0
    while i < len(units):
        if i + 1 < len(units) and units[i] == a and units[i + 1] == b:
            out.append(a + b)
            i += 2
        else:
            out.append(units[i])
            i += 1
    return out


class Tokenizer:
    def __init__(self, vocab, merges, specials):
        self.vocab = vocab                      # token string -> id
        self.inv = {i: s for s, i in vocab.items()}
        self.merges = merges                    # list of (a, b)
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.specials = specials                # content -> id
        for s, i in specials.items():
            self.inv[i] = s
        self._split = re.compile("(" + "|".join(re.escape(s) for s in specials) + ")")
        self._cache = {}

    @property
    def vocab_size(self):
        return max(self.inv) + 1

    def _bpe(self, units):
        sym = list(units)
        while len(sym) > 1:
            best, bi = None, -1
            for i in range(len(sym) - 1):
                r = self.ranks.get((sym[i], sym[i + 1]))
                if r is not None and (best is None or r < best):
                    best, bi = r, i
            if best is None:
                break
            sym = merge_pair(sym, *self.merges[best])
        return [self.vocab[s] for s in sym]

    def encode_piece(self, piece):
        ids = self._cache.get(piece)
        if ids is None:
            ids = self._bpe(to_units(piece))
            if len(self._cache) < 500_000:
                self._cache[piece] = ids
        return ids

    def encode(self, text):
        """Encode text; special-token strings in the text become their special ids (as in HF)."""
        ids = []
        for seg in self._split.split(text):
            if not seg:
                continue
            if seg in self.specials:
                ids.append(self.specials[seg])
                continue
            for piece in pretokenize(seg):
                ids.extend(self.encode_piece(piece))
        return ids

    def decode(self, ids):
        out, buf = [], []
        for i in ids:
            s = self.inv[i]
            if i in self.specials.values():
                out.append(bytes(U2B[c] for c in "".join(buf)).decode("utf-8", "replace"))
                buf = []
                out.append(s)
            else:
                buf.append(s)
        out.append(bytes(U2B[c] for c in "".join(buf)).decode("utf-8", "replace"))
        return "".join(out)

    def to_json(self):
        added = [{"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": False, "special": True} for s, i in self.specials.items()]
        return {
            "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": PATTERN}, "behavior": "Isolated", "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
            "post_processor": None,
            "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                      "ignore_merges": False, "vocab": self.vocab, "merges": [[a, b] for a, b in self.merges]},
        }

    @classmethod
    def from_json(cls, d):
        specials = {t["content"]: t["id"] for t in d["added_tokens"]}
        merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in d["model"]["merges"]]
        return cls(d["model"]["vocab"], merges, specials)

    @classmethod
    def load(cls, path):
        with open(path) as f:
            return cls.from_json(json.load(f))

    def truncated(self, n_merges):
        """The same tokenizer with only its first n merges (BPE merges are prefix-consistent)."""
        merges = self.merges[:n_merges]
        keep = set(B2U.values()) | {a + b for a, b in merges}
        vocab, nid = {}, len(self.specials)
        for s, _ in sorted(self.vocab.items(), key=lambda kv: kv[1]):
            if s in keep:
                vocab[s] = nid
                nid += 1
        return Tokenizer(vocab, merges, dict(self.specials))


def train(word_counts, vocab_size, specials=SPECIALS, log=print):
    """Learn merges from {pretoken: count} until the vocabulary (specials included) is full."""
    spec = {s: i for i, s in enumerate(specials)}
    vocab = {}
    for u in sorted(B2U.values(), key=lambda u: U2B[u]):
        vocab[u] = len(spec) + len(vocab)
    words = [list(to_units(w)) for w in word_counts]
    counts = list(word_counts.values())
    pairs, where = {}, {}
    for wi, w in enumerate(words):
        for p in zip(w, w[1:]):
            pairs[p] = pairs.get(p, 0) + counts[wi]
            where.setdefault(p, set()).add(wi)
    heap = [(-c, p) for p, c in pairs.items()]
    heapq.heapify(heap)
    merges = []
    while len(spec) + len(vocab) < vocab_size and heap:
        negc, p = heapq.heappop(heap)
        if pairs.get(p, 0) != -negc or -negc <= 0:
            continue
        a, b = p
        new = a + b
        merges.append(p)
        if new not in vocab:
            vocab[new] = len(spec) + len(vocab)
        changed = set()
        for wi in list(where.get(p, ())):
            w = words[wi]
            c = counts[wi]
            i, out, hit = 0, [], False
            while i < len(w):
                if i < len(w) - 1 and w[i] == a and w[i + 1] == b:
                    out.append(new)
                    i += 2
                    hit = True
                else:
                    out.append(w[i])
                    i += 1
            if not hit:
                continue
            for q in zip(w, w[1:]):
                pairs[q] -= c
                changed.add(q)
            for q in zip(out, out[1:]):
                pairs[q] = pairs.get(q, 0) + c
                where.setdefault(q, set()).add(wi)
                changed.add(q)
            words[wi] = out
        pairs.pop(p, None)
        where.pop(p, None)
        for q in changed:
            if pairs.get(q, 0) > 0:
                heapq.heappush(heap, (-pairs[q], q))
        if len(merges) % 1000 == 0:
            log(f"  {len(merges)} merges, last {new!r} x{-negc}")
    return Tokenizer(vocab, merges, spec)
