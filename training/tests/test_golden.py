"""The Python side of the golden decodes: sampler.py must reproduce test/fixtures/golden-decode.json
on the fixture model, as the TypeScript denoiser must (test/engine/golden.test.ts). An edit to
the sampler alone, or to the denoiser alone, fails one of the two."""
import json
import os
import sys
import unittest

import torch

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from dcoder import bpe  # noqa: E402
from make_fixtures import decode_case, fixture_model  # noqa: E402

FIX = os.path.join(ROOT, "test", "fixtures")


class GoldenDecodeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        tiny = os.path.join(FIX, "tiny-model")
        cls.man = json.load(open(os.path.join(tiny, "manifest.json")))
        tok = bpe.Tokenizer.load(os.path.join(tiny, "tokenizer.json"))
        cls.pieces = [tok.decode([i]) for i in range(tok.vocab_size)]
        cls.model = fixture_model(tok.vocab_size)
        cls.golden = json.load(open(os.path.join(FIX, "golden-decode.json")))["cases"]
        cls.parity = json.load(open(os.path.join(tiny, "parity.json")))["cases"]

    def test_rebuilt_model_is_the_fixture_model(self):
        cfg = self.model.cfg
        for c in self.parity:
            T, P = c["T"], c["P"]
            ids = torch.tensor([c["input_ids"]])
            pos = torch.tensor([c["position_ids"]])
            mask = torch.tensor(c["attn_mask"], dtype=torch.bool).view(1, 1, T, P + T)
            past = torch.tensor(c["past_kv"]).view(cfg.n_layer, 2, 1, cfg.n_head, P, cfg.head_dim)
            with torch.no_grad():
                h, _ = self.model.hidden(ids, pos, mask, past)
                logits = self.model.logits(h[:, T - c["num_logits"]:])[0]
            got = logits[:, :64].flatten()
            diff = (got - torch.tensor(c["logits_sample"])).abs().max().item()
            self.assertLess(diff, 1e-3, "the rebuilt fixture model differs from the one that wrote the fixtures")

    def test_sampler_reproduces_every_golden_decode(self):
        self.assertGreater(len(self.golden), 10)
        for i, case in enumerate(self.golden):
            with self.subTest(case=i, options=case["options"]):
                self.assertEqual(decode_case(self.model, self.man, self.pieces, case), case["expected"])


if __name__ == "__main__":
    unittest.main()
