"""The training mask and the inference step must see the same attention: a noisy block's
logits in one training pass equal those of a cached prefill followed by one block step."""
import os
import random
import sys
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import fim  # noqa: E402
from model import DiffusionCoder, ModelConfig  # noqa: E402
from train import block_diffusion_batch  # noqa: E402

MASK, PAD, EOM = 1, 0, 5


def example(seq_len=40, start=20, mid_len=11, length=31):
    rng = random.Random(3)
    ids = [rng.randrange(6, 100) for _ in range(length)] + [PAD] * (seq_len - length)
    ids[start + mid_len - 1] = EOM
    return fim.Example(ids, start, mid_len, length, "line")


class BlockMaskTest(unittest.TestCase):
    def test_shapes_and_pattern(self):
        ex = [example(), example(mid_len=5, length=25)]
        ids, pos, allowed, target, weight, n_mid, ar_t = block_diffusion_batch(ex, 4, MASK, PAD, random.Random(0))
        L, M = 40, 12
        self.assertEqual(tuple(ids.shape), (2, L + M))
        self.assertEqual(tuple(allowed.shape), (2, 1, L + M, L + M))
        a = allowed[0, 0]
        self.assertTrue(bool(a[5, 5]) and not bool(a[5, 6]))          # clean: causal
        self.assertFalse(bool(a[:L, L:].any()))                       # clean never sees noisy
        # noisy token 5 is in block 1 (tokens 4..7) starting at absolute position 24
        self.assertTrue(bool(a[L + 5, 23]) and not bool(a[L + 5, 24]))
        self.assertTrue(bool(a[L + 5, L + 4]) and bool(a[L + 5, L + 7]))
        self.assertFalse(bool(a[L + 5, L + 3]) or bool(a[L + 5, L + 8]))
        self.assertEqual(n_mid, 12 + 8)                               # 11 -> 12 and 5 -> 8: blocks filled with <eom>
        self.assertTrue((target[1, 8:] == -100).all())                # padding has no target
        eom = EOM
        self.assertTrue(all(int(t) in (-100, eom) for t in target[1, 4:8]))
        self.assertTrue(all(int(t) in (-100, eom) for t in target[0, 10:12]))
        self.assertEqual(int(pos[0, L + 5]), 25)

    def test_training_pass_equals_cached_inference(self):
        torch.manual_seed(0)
        model = DiffusionCoder(ModelConfig(vocab_size=100, n_layer=2, n_head=2, d_model=32, d_ff=64)).eval()
        ex = example()
        block = 4
        ids, pos, allowed, *_ = block_diffusion_batch([ex], block, MASK, PAD, random.Random(1))
        with torch.no_grad():
            h_train, _ = model.hidden(ids, pos, allowed)
            L = 40
            k = 1                                   # second block of the middle
            bs = ex.mid_start + k * block
            ctx = torch.tensor([ex.ids[:bs]])
            p = torch.arange(bs).unsqueeze(0)
            causal = torch.ones(bs, bs, dtype=torch.bool).tril().view(1, 1, bs, bs)
            _, past = model.hidden(ctx, p, causal)
            noisy = ids[:, L + k * block:L + (k + 1) * block]
            npos = pos[:, L + k * block:L + (k + 1) * block]
            att = torch.ones(1, 1, block, bs + block, dtype=torch.bool)
            h_inf, _ = model.hidden(noisy, npos, att, past)
        diff = (h_train[:, L + k * block:L + (k + 1) * block] - h_inf).abs().max().item()
        self.assertLess(diff, 1e-4)


if __name__ == "__main__":
    unittest.main()
