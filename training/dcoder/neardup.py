"""Near-duplicate files for the corpus (corpus.py --near-dup): MinHash over the set of a file's
distinct stripped non-empty lines, with locality-sensitive hashing in bands to find candidates.

A file whose estimated Jaccard similarity to a file already kept reaches the threshold is a
near-duplicate (another version of the same module, a vendored copy with a changed header): the
exact, whitespace-insensitive hash in corpus.py misses those. 64 hash functions in 16 bands of
4 find a pair at similarity 0.8 with probability 1 - (1 - 0.8^4)^16 > 0.999; each candidate is then
checked on the whole signature. Deterministic (crc32 line hashes, seeded hash functions), numpy only.
"""
import zlib

import numpy as np

PRIME = (1 << 61) - 1


class NearDuplicates:
    def __init__(self, threshold=0.8, perms=64, bands=16, seed=0):
        rng = np.random.default_rng(seed)
        # a < 2^31 and crc32 < 2^32 keep a * h + b under 2^64: no wrap-around before the modulo
        self.a = rng.integers(1, 1 << 31, perms, dtype=np.uint64)[:, None]
        self.b = rng.integers(0, PRIME, perms, dtype=np.uint64)[:, None]
        self.threshold, self.bands, self.rows = threshold, bands, perms // bands
        self.buckets = [{} for _ in range(bands)]
        self.sigs = []

    def signature(self, text):
        lines = {ln.strip() for ln in text.split("\n")}
        lines.discard("")
        if not lines:
            return None
        h = np.fromiter((zlib.crc32(ln.encode()) for ln in lines), dtype=np.uint64, count=len(lines))
        return ((self.a * h[None, :] + self.b) % PRIME).min(axis=1)

    def seen(self, text):
        """True if `text` is a near-duplicate of a file kept before; otherwise it is kept (remembered)."""
        sig = self.signature(text)
        if sig is None:
            return False
        keys = [sig[i * self.rows:(i + 1) * self.rows].tobytes() for i in range(self.bands)]
        candidates = {self.buckets[i][k] for i, k in enumerate(keys) if k in self.buckets[i]}
        if any((self.sigs[c] == sig).mean() >= self.threshold for c in candidates):
            return True
        for i, k in enumerate(keys):
            self.buckets[i].setdefault(k, len(self.sigs))
        self.sigs.append(sig)
        return False
