"""Pipeline tests on tiny data: tokenizer round trip, FIM example construction, a resumable
training smoke run, export with ORT parity (through the engine's CLI), and the shipped model
folder's manifest agreeing with its ONNX file and tokenizer."""
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from dcoder import bpe, layout  # noqa: E402
from dcoder import fim  # noqa: E402

TOKENIZER = os.path.join(ROOT, "test", "fixtures", "tiny-model", "tokenizer.json")
SHIPPED = os.path.join(ROOT, "models", json.load(open(os.path.join(ROOT, "src", "defaults.json")))["model"])
SAMPLE = '''import os


def walk(folder):
    """Yield files under folder."""
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isdir(path):
            yield from walk(path)
        else:
            yield path
'''


class TokenizerTest(unittest.TestCase):
    def test_train_and_round_trip(self):
        words = {}
        for w in bpe.pretokenize(SAMPLE * 3):
            words[w] = words.get(w, 0) + 1
        tok = bpe.train(words, 300, log=lambda *_: None)
        self.assertEqual(len(tok.vocab) + len(tok.specials), 300)
        for text in (SAMPLE, "héllo\t\r\n  wörld 😀", "", "<|mask|> x"):
            self.assertEqual(tok.decode(tok.encode(text)), text)
        self.assertLess(len(tok.encode(SAMPLE)), len(SAMPLE.encode()) / 2)

    def test_shipped_tokenizer_round_trip_and_specials(self):
        tok = bpe.Tokenizer.load(TOKENIZER)
        self.assertEqual(tok.vocab_size, 8192)
        self.assertEqual(tok.encode("<|mask|>"), [tok.specials["<|mask|>"]])
        for text in (SAMPLE, "const x = () => { return `${a}`; };\r\n", " " * 33 + "\tz"):
            self.assertEqual(tok.decode(tok.encode(text)), text)

    def test_truncated_vocab_is_a_prefix(self):
        tok = bpe.Tokenizer.load(TOKENIZER)
        small = tok.truncated(1000)
        self.assertEqual(small.vocab_size, 6 + 256 + 1000)
        self.assertEqual(small.decode(small.encode(SAMPLE)), SAMPLE)


class FimTest(unittest.TestCase):
    def setUp(self):
        self.tok = bpe.Tokenizer.load(TOKENIZER)
        self.sp = fim.special_ids(self.tok)

    def test_every_mode_cuts_the_text_exactly(self):
        rng = random.Random(0)
        for mode, _ in fim.MODES:
            for _ in range(20):
                p, m, s = fim.cut(SAMPLE, mode, rng)
                self.assertEqual(p + m + s, SAMPLE)
                if mode == "empty":
                    self.assertEqual(m, "")
                if mode == "eof":
                    self.assertEqual(s, "")
                if mode == "line":
                    self.assertTrue(m.endswith("\n") or p + m == SAMPLE)
                if mode == "rest_of_line":
                    self.assertNotIn("\n", m)

    def test_layout_is_spm_with_eom_and_padding(self):
        rng = random.Random(1)
        for _ in range(50):
            ex = fim.make_example(self.tok, self.sp, SAMPLE, rng, 160, 32, 24)
            self.assertIsNotNone(ex)
            self.assertEqual(len(ex.ids), 160)
            self.assertEqual(ex.ids[0], self.sp["fim_suffix"])
            self.assertEqual(ex.ids[ex.mid_start - 1], self.sp["fim_middle"])
            self.assertEqual(ex.ids[ex.mid_start + ex.mid_len - 1], self.sp["eom"])
            self.assertEqual(ex.mid_start + ex.mid_len, ex.length)
            self.assertTrue(all(t == self.sp["pad"] for t in ex.ids[ex.length:]))
            self.assertIn(self.sp["fim_prefix"], ex.ids[:ex.mid_start])

    def test_small_file_round_trips_through_the_layout(self):
        ex = fim.build(self.tok, self.sp, "def f():\n", "    return 1\n", "\nprint(f())\n", 160, 24, 32)
        pre = ex.ids.index(self.sp["fim_prefix"])
        suffix = self.tok.decode(ex.ids[1:pre])
        prefix = self.tok.decode(ex.ids[pre + 1:ex.mid_start - 1])
        middle = self.tok.decode(ex.ids[ex.mid_start:ex.length - 1])
        # the prefix's final line break is healed: the middle starts with it, as the engine decodes
        self.assertEqual((prefix, middle, suffix), ("def f():", "\n    return 1\n", "\nprint(f())\n"))


    def test_training_context_is_the_engine_layout(self):
        """fim.build lays a cut out with layout.spm_context, the function device_eval's Layout uses
        and tests/test_gpu_run.py checks against the engine: the context before the middle is the
        engine's for a request of max_mid tokens, and a healed prefix token starts the middle."""
        rng = random.Random(3)
        text = SAMPLE * 6
        healed = 0
        for _ in range(60):
            p, m, s = fim.cut(text, "span", rng)
            ex = fim.build(self.tok, self.sp, p, m, s, 160, 24, 32)
            if ex is None:
                continue
            man = {"special_tokens": self.sp, "max_context": 160, "max_suffix": 24}
            ids, heal = layout.Layout(self.tok, man).context(p, s, 32)
            self.assertEqual(ex.ids[:ex.mid_start], ids)
            middle = self.tok.decode(ex.ids[ex.mid_start:ex.length - 1])
            self.assertEqual(middle, heal + m)
            healed += bool(heal)
        self.assertGreater(healed, 5, "no cut inside a word was healed")


class TrainExportTest(unittest.TestCase):
    def test_training_resumes_and_export_matches_torch_in_onnxruntime(self):
        with tempfile.TemporaryDirectory() as tmp:
            corpus = os.path.join(tmp, "corpus")
            os.makedirs(corpus)
            for split in ("train", "test"):
                with open(os.path.join(corpus, f"{split}.jsonl"), "w") as f:
                    for lang in ("python", "javascript"):
                        f.write(json.dumps({"lang": lang, "package": "p", "text": SAMPLE * 3}) + "\n")
            run = os.path.join(tmp, "run")
            base = [sys.executable, os.path.join(HERE, "train.py"), "--tiny", "--out", run, "--corpus", corpus,
                    "--tokenizer", TOKENIZER]
            subprocess.run(base + ["--max-steps", "2"], check=True, capture_output=True)
            subprocess.run(base + ["--max-steps", "4"], check=True, capture_output=True)
            steps = [json.loads(l)["step"] for l in open(os.path.join(run, "log.jsonl"))]
            self.assertEqual(steps, [1, 2, 3, 4])
            out = os.path.join(tmp, "models")
            for extra in ([], ["--no-quantize"]):
                name = "q" if not extra else "f"
                subprocess.run([sys.executable, os.path.join(HERE, "export.py"), "--ckpt", os.path.join(run, "ckpt.pt"),
                                "--name", name, "--out", out, "--tokenizer", TOKENIZER] + extra,
                               check=True, capture_output=True)
                r = subprocess.run(["node", os.path.join(ROOT, "dist", "cli.js"), "parity", "--model", os.path.join(out, name)],
                                   capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                rep = json.loads(r.stdout)
                if extra:
                    self.assertLessEqual(rep["maxAbsDiff"], 1e-3)
                else:
                    self.assertTrue(rep["quantized"])
                    self.assertGreaterEqual(rep["argmaxAgreement"], 0.9)


class ShippedModelTest(unittest.TestCase):
    def test_manifest_agrees_with_onnx_file_and_tokenizer(self):
        import onnx
        man = json.load(open(os.path.join(SHIPPED, "manifest.json")))
        path = os.path.join(SHIPPED, man["file"])
        self.assertLessEqual(os.path.getsize(path), 40 * 1024 * 1024)
        self.assertEqual(hashlib.sha256(open(path, "rb").read()).hexdigest(), man["sha256"])
        model = onnx.load(path)
        onnx.checker.check_model(model)
        self.assertGreaterEqual(max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 17)
        names_in = {i.name for i in model.graph.input}
        names_out = {o.name for o in model.graph.output}
        self.assertEqual(set(man["io"]["inputs"].values()), names_in)
        self.assertEqual(set(man["io"]["outputs"].values()), names_out)
        tok = json.load(open(os.path.join(SHIPPED, man["tokenizer"])))
        added = {t["content"]: t["id"] for t in tok["added_tokens"]}
        for key, content in (("mask", "<|mask|>"), ("eom", "<|eom|>"), ("fim_prefix", "<|fim_prefix|>"),
                             ("fim_suffix", "<|fim_suffix|>"), ("fim_middle", "<|fim_middle|>"), ("pad", "<|pad|>")):
            self.assertEqual(man["special_tokens"][key], added[content])
        self.assertEqual(len(tok["model"]["vocab"]) + len(added), man["architecture"]["vocab_size"])
        self.assertEqual(man["kind"], "block-causal")
        self.assertTrue(os.path.exists(os.path.join(SHIPPED, "MODEL_CARD.md")))


if __name__ == "__main__":
    unittest.main()
