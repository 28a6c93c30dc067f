"""The GPU run's throughput features and the stronger recipe, checked on the CPU: packed next-token
rows give each document the states it has alone; the chunked cross-entropy equals the plain one in
value and gradient; the guarded step falls back (compile, chunked CE, micro-batches) instead of
dying; the whole loss runs on the meta device with every feature and architecture flag on; Muon
orthogonalises, owns only the hidden matrices, and the flags survive export and the warm start."""
import os
import random
import sys
import tempfile
import unittest
from unittest import mock

import torch

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)
import export  # noqa: E402
from dcoder import objective, warm_start  # noqa: E402
from dcoder.config import TrainConfig  # noqa: E402
from dcoder.data import packed_rows  # noqa: E402
from dcoder.fim import Example  # noqa: E402
from dcoder.model import DiffusionCoder, ModelConfig  # noqa: E402
from dcoder.muon import Muon, orthogonalize  # noqa: E402
from dcoder.objective import _ce, attention_mask, losses, make_batch, make_packed_batch, to_device  # noqa: E402
from dcoder.optim import make_optimizer  # noqa: E402
from dcoder.step import Stepper, split  # noqa: E402

SP = {"pad": 0, "mask": 1, "fim_prefix": 2, "fim_suffix": 3, "fim_middle": 4, "eom": 5}
FLAGS = {"qk_norm": True, "mlp": "relu2", "tied": False, "zero_init": True}


def example(length, seed, L=32, mid_len=4):
    g = random.Random(seed)
    ids = [g.randrange(6, 100) for _ in range(length)]
    return Example(ids + [0] * (L - length), length - mid_len, mid_len, length, "line")


def tiny(**flags):
    torch.manual_seed(0)
    return DiffusionCoder(ModelConfig(vocab_size=100, n_layer=2, n_head=2, d_model=32, d_ff=64, **flags))


class PackingTest(unittest.TestCase):
    def test_a_packed_document_sees_only_itself(self):
        model = tiny(qk_norm=True).eval()
        a, b = example(11, 1), example(17, 2)
        packed = make_packed_batch([[a, b]], SP, 32)
        self.assertEqual(packed["pos"][0, 11:28].tolist(), list(range(17)))
        with torch.no_grad():
            ce_packed = _ce(model, *_hidden(model, packed), packed["ar_target"])[0]
            for e, start in ((a, 0), (b, 11)):
                alone = make_batch([e], None, SP, random.Random(0))
                ce_alone = _ce(model, *_hidden(model, alone), alone["ar_target"])[0]
                self.assertTrue(torch.allclose(ce_packed[start:start + e.length], ce_alone[:e.length], atol=1e-5))
        # the last token of a document predicts nothing (not the next document's first token)
        self.assertEqual(packed["ar_target"][0, 10].item(), -100)


class PackedRowsTest(unittest.TestCase):
    def test_rows_hold_whole_examples_each_once_and_fuller(self):
        lengths = random.Random(4).choices(range(40, 512), k=4000)
        drawn = []

        class Source:
            rng, pending = random.Random(0), []

            def example(self, plain):
                ex = Example([7] * lengths[len(drawn)], 0, 0, lengths[len(drawn)], "line")
                drawn.append(ex)
                return ex

        src, cfg = Source(), TrainConfig(batch=32, seq_len=512, pack=True)
        packed = []
        for _ in range(5):
            rows = packed_rows(src, cfg)
            self.assertEqual(len(rows), 32)
            self.assertTrue(all(sum(e.length for e in r) <= 512 for r in rows))
            packed += [e for r in rows for e in r]
            fill = sum(e.length for r in rows for e in r) / (32 * 512)
            self.assertGreater(fill, 0.85)      # one after the other, these lengths fill 0.76
        self.assertEqual(len({id(e) for e in packed}), len(packed))   # none twice
        self.assertLessEqual(len(src.pending), 32)


def _hidden(model, batch):
    """(final states,) through the training mask of a next-token batch, packed or not."""
    L = batch["ar_target"].shape[1]
    h, _ = model.hidden(batch["ids"], batch["pos"], attention_mask(L, device="cpu", doc=batch.get("doc")))
    return (h,)


class ChunkedCrossEntropyTest(unittest.TestCase):
    def test_equals_the_plain_cross_entropy_and_its_gradient(self):
        for tied in (True, False):
            model = tiny(tied=tied)
            h = torch.randn(2, 13, 32, requires_grad=True)
            t = torch.randint(0, 100, (2, 13))
            t[0, 3] = -100
            grads = []
            for chunk in (0, 4):
                h.grad = None
                model.zero_grad()
                ce = _ce(model, h, t, chunk)
                ce.sum().backward()
                grads.append((ce.detach(), h.grad.clone(), model.head_weight().grad.clone()))
            for x, y in zip(*grads):
                self.assertTrue(torch.allclose(x, y, atol=1e-5))


class GuardedStepTest(unittest.TestCase):
    def batches(self):
        ex = [example(20, s) for s in range(4)]
        rng = random.Random(0)
        return lambda: (16, make_batch(ex, 16, SP, rng, True, (0.3, 1.0)))

    def stepper(self):
        cfg = TrainConfig(model=tiny().cfg, batch=4, ce_chunk=8)
        model = tiny()
        said = []
        return Stepper(model, make_optimizer(model, cfg, "cpu"), cfg, "cpu", said.append), cfg, model, said

    def test_falls_back_instead_of_dying(self):
        stepper, cfg, model, said = self.stepper()
        errors = iter([RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"), RuntimeError("inductor failed"),
                       RuntimeError("inductor failed")])
        stepper.loss_fn = mock.Mock(side_effect=lambda *a: (_ for _ in ()).throw(next(errors)))
        before = model.blocks[0].fc.weight.clone()
        _, _, n, stats = stepper(self.batches())
        self.assertEqual(stepper.parts, 2)                              # out of memory: half-size micro-batches
        self.assertEqual((cfg.ce_chunk, stepper.loss_fn), (0, losses))  # then chunking off, then compile off
        self.assertEqual(len(said), 3)
        self.assertFalse(torch.equal(before, model.blocks[0].fc.weight))
        self.assertGreater(n, 0)
        self.assertEqual(set(stats), {"loss", "ar", "diffusion", "masked_ce"})
        with mock.patch.object(model, "hidden", side_effect=ValueError("a real bug")), self.assertRaises(ValueError):
            stepper(self.batches())  # nothing left to give up

    def test_a_chunking_failure_keeps_compile(self):
        stepper, cfg, model, said = self.stepper()
        stepper.loss_fn = compiled = mock.Mock(side_effect=losses)   # stands in for torch.compile(losses)
        with mock.patch.object(objective, "checkpoint", side_effect=RuntimeError("checkpoint failed")):
            stepper(self.batches())
        self.assertEqual((cfg.ce_chunk, stepper.loss_fn), (0, compiled))
        self.assertEqual(len(said), 1)

    def test_micro_batches_cover_every_row(self):
        b = make_batch([example(20, s) for s in range(5)], 8, SP, random.Random(0))
        parts = split(b, 2)
        self.assertEqual([p["ids"].shape[0] for p in parts], [3, 2])
        self.assertEqual(sum(p["mid_len"].sum() for p in parts), b["mid_len"].sum())


class MetaDeviceTest(unittest.TestCase):
    def test_every_feature_on_meta(self):
        model = tiny(**FLAGS).to("meta")
        ex = [example(20, s) for s in range(3)]
        for batch in (make_packed_batch([ex[:1], ex[1:]], SP, 48),
                      make_batch(ex, 4, SP, random.Random(0), noisy_len=16)):
            diff, ar, _ = losses(model, to_device(batch, "meta"), ce_chunk=8)
            self.assertEqual(ar.device.type, "meta")
            if diff is not None:
                self.assertEqual(diff.device.type, "meta")


class MuonTest(unittest.TestCase):
    def test_orthogonalises(self):
        g = torch.randn(48, 16) @ torch.diag(torch.logspace(-1, 0.5, 16))  # condition number 30
        s = torch.linalg.svdvals(orthogonalize(g))
        self.assertGreater(s.min().item(), 0.5)   # the quintic lands in about [0.7, 1.2], not exactly 1
        self.assertLess(s.max().item(), 1.3)

    def test_owns_the_hidden_matrices_only(self):
        model = tiny(**FLAGS)
        opt = make_optimizer(model, TrainConfig(model=model.cfg, optimizer="muon"), "cpu")
        muon, adamw = opt.opts
        self.assertIsInstance(muon, Muon)
        mine = {id(p) for g in muon.param_groups for p in g["params"]}
        names = {n for n, p in model.named_parameters() if id(p) in mine}
        self.assertEqual(names, {f"blocks.{i}.{m}.weight" for i in range(2) for m in ("qkv", "proj", "fc", "out")})
        self.assertEqual(sum(len(g["params"]) for g in adamw.param_groups), len(list(model.parameters())) - len(mine))
        opt.set_scale(0.5)
        self.assertEqual(muon.param_groups[0]["lr"], 0.01)


class ArchitectureFlagsTest(unittest.TestCase):
    def test_defaults_are_the_shipped_architecture(self):
        self.assertEqual(set(tiny().state_dict()), set(tiny(qk_norm=True, mlp="relu2").state_dict()))
        self.assertNotIn("head.weight", tiny().state_dict())

    def test_flags_survive_export_and_warm_start(self):
        model = tiny(**FLAGS).eval()
        with torch.no_grad():
            for p in model.parameters():
                p.normal_(0, 0.05)
        with tempfile.TemporaryDirectory() as d:
            tok = os.path.join(os.path.dirname(HERE), "models", export.DEFAULT_MODEL, "tokenizer.json")
            man = export.export_folder(model, d, "flags", tok, {}, quantize=False)
            self.assertEqual({k: man["architecture"][k] for k in ("qk_norm", "mlp", "tied")},
                             {"qk_norm": True, "mlp": "relu2", "tied": False})
            back = warm_start.load(d)
        again = DiffusionCoder(ModelConfig.from_dict(back["model_config"])).eval()
        again.load_state_dict(back["model"])
        ids, pos = torch.randint(6, 100, (1, 9)), torch.arange(9)[None]
        mask = torch.ones(9, 9, dtype=torch.bool).tril()[None, None]
        with torch.no_grad():
            self.assertTrue(torch.allclose(model.logits(model.hidden(ids, pos, mask)[0]),
                                           again.logits(again.hidden(ids, pos, mask)[0]), atol=1e-4))
        self.assertIn("qk_norm", warm_start.mismatch(tiny().cfg, again.cfg))


if __name__ == "__main__":
    unittest.main()
