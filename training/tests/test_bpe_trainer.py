"""dcoder/bpe.py against the `tokenizers` package (Hugging Face's Rust library, pinned in
training/requirements.txt), which could train our tokenizer.json in its place.

What is the same: with our pre-tokenizer (Split on bpe.PATTERN, isolated, then ByteLevel without
its own regex) it splits code exactly as bpe.pretokenize does, and it encodes the shipped model's
tokenizer.json exactly as bpe.Tokenizer does on the golden tokenizer texts without special tokens
(it numbers our special tokens differently: see the test). What differs in training: its
BpeTrainer learns the same merges in the same order until two pairs have the same count, then
breaks the tie another way (ours takes the smaller pair of strings), and the merges after it
drift; it also numbers the 256 byte symbols in character order rather than byte order. So it
cannot regenerate the shipped tokenizer or the fixtures' ones, and bpe.train stays.
"""
import collections
import json
import os
import sys
import unittest

from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import make_hf_tiny  # noqa: E402
from dcoder import bpe  # noqa: E402

VOCAB = 1500


def our_pre_tokenizer():
    return pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(bpe.PATTERN), "isolated"),
                                    pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])


def pair_counts(words, merges):
    """{pair: count} over {word: count} after applying `merges` in order (what a trainer picks
    its next merge from)."""
    counts = collections.Counter()
    for word, n in words.items():
        units = list(bpe.to_units(word))
        for a, b in merges:
            units = bpe.merge_pair(units, a, b)
        for pair in zip(units, units[1:]):
            counts[pair] += n
    return counts


class BpeTrainerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.text = make_hf_tiny.repository_code(300_000)

    def test_the_pre_tokenizer_splits_as_bpe_does(self):
        theirs = [piece for piece, _ in our_pre_tokenizer().pre_tokenize_str(self.text)]
        self.assertEqual(theirs, [bpe.to_units(p) for p in bpe.pretokenize(self.text)])

    def test_the_shipped_tokenizer_encodes_alike(self):
        path = os.path.join(ROOT, "models", "dcoder-17m", "tokenizer.json")
        theirs, ours = Tokenizer.from_file(path), bpe.Tokenizer.load(path)
        with open(os.path.join(ROOT, "test", "fixtures", "tokenizer-golden.json")) as f:
            golden = [case["text"] for case in json.load(f)]
        plain = [t for t in golden if not any(s in t for s in bpe.SPECIALS)]
        self.assertGreater(len(plain), 0.8 * len(golden))
        for text in plain:
            self.assertEqual(theirs.encode(text, add_special_tokens=False).ids, ours.encode(text))
        # Our specials (ids 0-5) are listed in added_tokens only, not in model.vocab: the Rust
        # library then numbers them after the vocabulary, where @huggingface/tokenizers and bpe.py
        # keep the ids the file gives.
        self.assertEqual(theirs.token_to_id("<|mask|>"), len(ours.vocab) + 1)
        self.assertEqual(ours.encode("<|mask|>"), [1])

    def test_the_trainer_differs_from_bpe_train_first_at_a_count_tie(self):
        words = collections.Counter(bpe.pretokenize(self.text))
        ours = bpe.train(dict(words), VOCAB, log=lambda *_: None)
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = our_pre_tokenizer()
        tok.train_from_iterator([self.text], trainers.BpeTrainer(
            vocab_size=VOCAB, special_tokens=bpe.SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False))
        model = json.loads(tok.to_str())["model"]
        theirs = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in model["merges"]]
        self.assertEqual(len(theirs), len(ours.merges))
        first = next(i for i, (a, b) in enumerate(zip(ours.merges, theirs)) if a != b)
        # where the first difference falls depends on the text (the repository's own code, which
        # changes); what matters is that the merges agree up to it and that it is a tie
        self.assertGreater(first, 0)
        counts = pair_counts(words, ours.merges[:first])
        self.assertEqual(counts[ours.merges[first]], counts[theirs[first]], "not a tie")
        self.assertLess(ours.merges[first], theirs[first])   # ours takes the smaller pair of strings
        self.assertEqual(sorted(model["vocab"], key=model["vocab"].get)[6:8], ["!", '"'])   # theirs: character order
        self.assertEqual(sorted(ours.vocab, key=ours.vocab.get)[:2], ["Ā", "ā"])           # ours: byte order


if __name__ == "__main__":
    unittest.main()
