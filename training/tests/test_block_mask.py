"""The training mask and the inference step must see the same attention: a noisy block's
states in one training pass equal those of a cached prefill followed by one block step; and the
shifted targets are the ones the engine reads (noisy state j predicts token j+1 of its block)."""
import os
import random
import sys
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from dcoder import fim  # noqa: E402
from dcoder.model import DiffusionCoder, ModelConfig  # noqa: E402
from dcoder.objective import attention_mask, make_batch  # noqa: E402

MASK, PAD, EOM = 1, 0, 5
SP = {"mask": MASK, "pad": PAD, "eom": EOM}


def example(seq_len=40, start=20, mid_len=11, length=31):
    rng = random.Random(3)
    ids = [rng.randrange(6, 100) for _ in range(length)] + [PAD] * (seq_len - length)
    ids[start + mid_len - 1] = EOM
    return fim.Example(ids, start, mid_len, length, "line")


class BlockMaskTest(unittest.TestCase):
    def test_shapes_and_pattern(self):
        ex = [example(), example(mid_len=5, length=25)]
        b = make_batch(ex, 4, SP, random.Random(0))
        L, M = 40, 12
        self.assertEqual(tuple(b["ids"].shape), (2, L + M))
        allowed = attention_mask(L, b["nstart"], b["nblock"])
        self.assertEqual(tuple(allowed.shape), (2, 1, L + M, L + M))
        a = allowed[0, 0]
        self.assertTrue(bool(a[5, 5]) and not bool(a[5, 6]))          # clean: causal
        self.assertFalse(bool(a[:L, L:].any()))                       # clean never sees noisy
        # noisy token 5 is in block 1 (tokens 4..7) starting at absolute position 24
        self.assertTrue(bool(a[L + 5, 23]) and not bool(a[L + 5, 24]))
        self.assertTrue(bool(a[L + 5, L + 4]) and bool(a[L + 5, L + 7]))
        self.assertFalse(bool(a[L + 5, L + 3]) or bool(a[L + 5, L + 8]))
        self.assertEqual(float(b["mid_len"].sum()), 11 + 5)                  # the <eom> padding is not counted
        self.assertEqual(int(b["pos"][0, L + 5]), 25)

    def test_shifted_targets(self):
        ex = [example(), example(mid_len=5, length=25)]
        b = make_batch(ex, 4, SP, random.Random(0), t_fixed=1.0)      # everything masked
        t, w = b["diff_target"], b["diff_weight"]
        mid0 = ex[0].ids[20:31]                                       # 10 tokens and the real <eom>
        for j in range(12):
            if j % 4 == 3 or j + 1 >= 11:
                # a block's last state predicts the next block's first token, and nothing
                # predicts past the real <eom>: not scored
                self.assertEqual(int(t[0, j]), -100)
            else:
                self.assertEqual(int(t[0, j]), mid0[j + 1])
        self.assertEqual(int(t[0, 9]), EOM)                           # the real end is a target
        self.assertEqual(float(w[0, 0]), 1.0)
        self.assertNotEqual(int(t[0, 0]), -100)
        # example 1: 4 tokens + <eom> (which opens block 2); the rest of block 2 is fill
        self.assertEqual([int(x) for x in t[1, :3]], ex[1].ids[21:24])
        self.assertTrue((t[1, 3:] == -100).all())                     # fill has no target
        L = 40
        self.assertTrue((b["ids"][1, L + 5:L + 8] == MASK).all())     # fill is masks, as at inference
        # block-first tokens are scored from the clean state before them
        self.assertTrue(bool(b["first"][0, 19]) and bool(b["first"][0, 23]) and bool(b["first"][0, 27]))
        self.assertTrue(bool(b["first"][1, 23]))                      # example 1's real <eom> opens block 2

    def test_fill_is_masked_even_at_low_rates(self):
        b = make_batch([example(mid_len=5, length=25)], 4, SP, random.Random(0), t_fixed=0.0)
        self.assertTrue((b["ids"][0, 40 + 5:40 + 8] == MASK).all())

    def test_unshifted_targets_predict_themselves(self):
        ex = [example()]
        b = make_batch(ex, 4, SP, random.Random(0), shift=False, t_fixed=1.0)
        self.assertEqual([int(x) for x in b["diff_target"][0, :11]], ex[0].ids[20:31])
        self.assertFalse(bool(b["first"].any()))

    def test_training_pass_equals_cached_inference(self):
        torch.manual_seed(0)
        model = DiffusionCoder(ModelConfig(vocab_size=100, n_layer=2, n_head=2, d_model=32, d_ff=64)).eval()
        ex = example()
        block = 4
        b = make_batch([ex], block, SP, random.Random(1))
        ids, pos = b["ids"], b["pos"]
        with torch.no_grad():
            h_train, _ = model.hidden(ids, pos, attention_mask(40, b["nstart"], b["nblock"]))
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


class MetaDeviceTest(unittest.TestCase):
    """Forward pass and loss on the meta device: any tensor created without the input's device
    (a CPU-only rotary table, mask or bias) fails here, which is what would fail on a GPU."""

    def test_forward_and_loss_on_meta(self):
        from dcoder.objective import losses, to_device
        cfg = ModelConfig(vocab_size=100, n_layer=2, n_head=2, d_model=32, d_ff=64)
        model = DiffusionCoder(cfg).to("meta")
        for block in (None, 4):
            batch = to_device(make_batch([example(), example(mid_len=5, length=25)], block, SP,
                                         random.Random(0)), "meta")
            diff, ar, masked_ce = losses(model, batch)
            self.assertEqual(ar.device.type, "meta")
            if block:
                self.assertEqual(diff.device.type, "meta")
                self.assertEqual(masked_ce.device.type, "meta")


if __name__ == "__main__":
    unittest.main()
