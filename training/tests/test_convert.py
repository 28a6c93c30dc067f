"""The open-model converter (training/convert.py) on the tiny Hugging Face checkpoints of
test/fixtures/hf-tiny: the torch reference against an independent numpy forward pass (both
families, grouped K/V heads, the KV cache, the shift), converted folders against the torch
reference in onnxruntime through the engine's `parity` command (fp32 to 1e-3, int4 by argmax),
the committed test/fixtures/open-tiny folders being what the converter writes now, the
tokenizer in @huggingface/tokenizers, and every input error ending in one `convert:` line with
no folder left behind."""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

import numpy as np
from safetensors.torch import load_file, save_file

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hf_reference  # noqa: E402
from node_checks import PRESENT_JS, TOKENIZER_JS, node  # noqa: E402
import make_hf_tiny  # noqa: E402
from convert import convert  # noqa: E402
from dcoder import bpe  # noqa: E402
from dcoder.open_families import parse_config  # noqa: E402
from dcoder.hf_checkpoint import Checkpoint  # noqa: E402


def read_json(*path):
    with open(os.path.join(*path)) as f:
        return json.load(f)


HF = os.path.join(ROOT, "test", "fixtures", "hf-tiny")
OPEN = os.path.join(ROOT, "test", "fixtures", "open-tiny")
CLI = os.path.join(ROOT, "dist", "cli.js")


def tied_qwen2(folder):
    """A model_type "qwen2" checkpoint (Open-dCoder's loader) with tied embeddings, its mask token
    named only by tokenizer_config.json."""
    cfg = {k: v for k, v in make_hf_tiny.DREAM.items() if k != "mask_token_id"}
    cfg.update(model_type="qwen2", architectures=["Qwen2ForCausalLM"], tie_word_embeddings=True)
    make_hf_tiny.write_checkpoint(folder, cfg, {"<|endoftext|>": 300, "<|im_end|>": 302, "<M>": 311}, 300, seed=4)
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({"mask_token": "<M>"}, f)


class ReferenceTest(unittest.TestCase):
    def check_against_numpy(self, folder):
        import torch
        from dcoder.open_model import load_reference
        cfg = read_json(folder, "config.json")
        spec = parse_config(cfg)
        a = spec.arch
        model = load_reference(spec, Checkpoint(folder))
        rng = np.random.default_rng(0)
        S, P = 12, 7
        ids, pos = rng.integers(0, a.vocab_size, S), 3 + np.arange(S)
        mask = (rng.random((S, S)) > 0.3) | np.eye(S, dtype=bool)
        mask[:P, P:] = False   # the cached context never sees the new tokens
        raw = hf_reference.logits(folder, ids, pos, mask)[:, :a.vocab_size]

        def step(rows, cols, past, n):
            t = [torch.tensor(ids[rows])[None], torch.tensor(pos[rows])[None],
                 torch.tensor(mask[rows][:, cols])[None, None], past, torch.tensor([n])]
            with torch.no_grad():
                return model(*t)
        empty = torch.zeros(a.n_layer, 2, 1, a.n_kv_head, 0, a.head_dim)
        first, present = step(slice(0, P), slice(0, P), empty, P)
        second, _ = step(slice(P, S), slice(0, S), present, S - P)
        self.assertLessEqual(np.abs(first[0].numpy() - raw[:P]).max(), 1e-4)
        self.assertLessEqual(np.abs(second[0].numpy() - raw[P:]).max(), 1e-4)
        self.assertEqual(tuple(present.shape), (a.n_layer, 2, 1, a.n_kv_head, P, a.head_dim))
        # the engine reads position k from row k-1 when logit_shift is set, as the family's sampler does
        engine = raw[np.maximum(np.arange(S) - 1, 0)] if spec.logit_shift else raw
        np.testing.assert_array_equal(engine, hf_reference.predictions(raw, cfg["model_type"]))
        return spec

    def test_llada(self):
        spec = self.check_against_numpy(os.path.join(HF, "llada"))
        self.assertFalse(spec.logit_shift)

    def test_dream_grouped_kv_heads(self):
        spec = self.check_against_numpy(os.path.join(HF, "dream"))
        self.assertTrue(spec.logit_shift)
        self.assertEqual((spec.arch.n_head, spec.arch.n_kv_head), (4, 2))

    def test_qwen2_tied(self):
        with tempfile.TemporaryDirectory() as tmp:
            tied_qwen2(tmp)
            self.assertTrue(self.check_against_numpy(tmp).arch.tied)


class ConvertTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        tied_qwen2(os.path.join(cls.tmp, "hf-qwen2"))
        cls.out = {}
        for name, src, quant in (("llada", "llada", "none"), ("dream", "dream", "none"),
                                 ("dream-int4", "dream", "int4"), ("qwen2-int4", None, "int4")):
            src = os.path.join(HF, src) if src else os.path.join(cls.tmp, "hf-qwen2")
            cls.out[name] = os.path.join(cls.tmp, name)
            convert(src, cls.out[name], quant)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def manifest(self, name):
        return read_json(self.out[name], "manifest.json")

    def test_fp32_matches_torch_in_onnxruntime(self):
        for name in ("llada", "dream"):
            rep = node(CLI, "parity", "--model", self.out[name])
            self.assertFalse(rep["quantized"])
            self.assertLessEqual(rep["maxAbsDiff"], 1e-3, name)
            present = node("-e", PRESENT_JS, self.out[name])
            a = self.manifest(name)["architecture"]
            self.assertEqual(present["dims"], [a["n_layer"], 2, 1, a["n_kv_head"], 16, a["head_dim"]])
            self.assertLessEqual(present["diff"], 1e-4, name)

    def test_int4_agrees_by_argmax(self):
        for name in ("dream-int4", "qwen2-int4"):
            rep = node(CLI, "parity", "--model", self.out[name])
            self.assertTrue(rep["quantized"])
            self.assertGreaterEqual(rep["argmaxAgreement"], 0.9, name)
            self.assertLess(os.path.getsize(os.path.join(self.out[name], "model.onnx")),
                            os.path.getsize(os.path.join(self.out["dream"], "model.onnx")) / 3)

    def test_manifest_ids_and_shapes_come_from_the_files(self):
        m = self.manifest("llada")
        self.assertEqual((m["kind"], m["layout"], m["family"], m["logit_shift"]), ("bidirectional", "natural", "llada", False))
        self.assertEqual(m["special_tokens"], {"mask": 310, "eom": 301, "pad": 301, "bos": 300})
        self.assertEqual(m["stop_tokens"], [301, 302])
        self.assertEqual(m["architecture"]["vocab_size"], 320)   # embedding_size 336: padding rows dropped
        self.assertEqual(m["max_context"], 2048)
        d = self.manifest("dream")
        self.assertEqual((d["family"], d["logit_shift"], d["architecture"]["n_kv_head"]), ("dream", True, 2))
        self.assertEqual(d["special_tokens"], {"mask": 310, "eom": 300, "pad": 300, "bos": 300})   # Dream: bos = eos
        self.assertEqual(d["stop_tokens"], [300, 302])
        self.assertEqual(len(d["source"]["safetensors"]), 2)
        q = self.manifest("qwen2-int4")
        self.assertEqual((q["source"]["model_type"], q["special_tokens"]["mask"]), ("qwen2", 311))
        self.assertNotIn("bos", q["special_tokens"])   # Open-dLLM's prompts start with the prefix
        self.assertNotIn("external_data", q)
        for name in self.out:
            self.assertEqual(sorted(os.listdir(self.out[name])),
                             ["MODEL_CARD.md", "manifest.json", "model.onnx", "parity.json", "tokenizer.json"])

    def test_committed_fixtures_are_what_the_converter_writes(self):
        for name in ("llada", "dream", "dream-int4"):
            hint = f"{name}: rerun make_hf_tiny.py and convert.py (training/README.md)"
            self.assertEqual(read_json(OPEN, name, "manifest.json"), read_json(self.tmp, name, "manifest.json"), hint)
            pairs = zip(read_json(OPEN, name, "parity.json")["cases"], read_json(self.tmp, name, "parity.json")["cases"])
            for want, got in pairs:
                for key in ("input_ids", "position_ids", "attn_mask", "past_kv", "logits_argmax"):
                    self.assertEqual(want[key], got[key], hint)
                for key in ("logits_sample", "present_sample"):   # torch's last bits may vary by machine
                    np.testing.assert_allclose(want[key], got[key], atol=1e-5, err_msg=hint)

    def test_tokenizer_loads_in_javascript_with_the_configured_specials(self):
        for fam, mask in (("llada", "<|mdm_mask|>"), ("dream", "<|mask|>")):
            path = os.path.join(self.out[fam], "tokenizer.json")
            text = "def f(x):\n    return x" + mask
            ids = node("-e", TOKENIZER_JS, path, text)
            self.assertEqual(ids, bpe.Tokenizer.load(path).encode(text))
            self.assertEqual(ids[-1], self.manifest(fam)["special_tokens"]["mask"])


class ErrorTest(unittest.TestCase):
    def run_broken(self, breaker):
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "hf")
            shutil.copytree(os.path.join(HF, "llada"), src)
            breaker(src)
            dst = os.path.join(tmp, "models", "out")
            os.makedirs(os.path.dirname(dst))
            r = subprocess.run([sys.executable, os.path.join(HERE, "convert.py"), "--from", src, "--to", dst],
                               capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0)
            lines = r.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, r.stderr)
            self.assertTrue(lines[0].startswith("convert: "), r.stderr)
            self.assertEqual(os.listdir(os.path.dirname(dst)), [])
            return lines[0]

    def rewrite_header(self, src, change):
        path = os.path.join(src, "model.safetensors")
        with open(path, "rb") as f:
            blob = f.read()
        (n,) = struct.unpack("<Q", blob[:8])
        header = json.loads(blob[8:8 + n])
        change(header)
        text = json.dumps(header).encode()
        with open(path, "wb") as f:
            f.write(struct.pack("<Q", len(text)) + text + blob[8 + n:])

    def test_missing_tensor(self):
        def drop(src):
            path = os.path.join(src, "model.safetensors")
            tensors = load_file(path)
            del tensors["model.transformer.blocks.1.up_proj.weight"]
            save_file(tensors, path)
        self.assertIn("model.transformer.blocks.1.up_proj.weight is missing", self.run_broken(drop))

    def test_wrong_dtype(self):
        def to_i16(h):
            h["model.transformer.ln_f.weight"].update(dtype="I16")
        self.assertIn("dtype I16", self.run_broken(lambda s: self.rewrite_header(s, to_i16)))

    def test_unknown_model_type(self):
        def retype(src):
            path = os.path.join(src, "config.json")
            cfg = read_json(path)
            cfg["model_type"] = "mamba"
            with open(path, "w") as f:
                json.dump(cfg, f)
        msg = self.run_broken(retype)
        self.assertIn("'mamba'", msg)
        self.assertIn("known: llada, Dream, qwen2", msg)

    def test_a_qwen2_model_needs_a_mask_token(self):
        from dcoder.open_specials import SpecialsError
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "hf")
            tied_qwen2(src)
            os.remove(os.path.join(src, "tokenizer_config.json"))   # now a plain causal Qwen2 checkpoint
            with self.assertRaisesRegex(SpecialsError, "no mask token"):
                convert(src, os.path.join(tmp, "out"), "none", parity=False)
            self.assertEqual(sorted(os.listdir(tmp)), ["hf"])
            man = convert(src, os.path.join(tmp, "out"), "none", parity=False, mask_token="<M>")
            self.assertEqual(man["special_tokens"]["mask"], 311)

    def test_truncated_safetensors(self):
        def truncate(src):
            path = os.path.join(src, "model.safetensors")
            os.truncate(path, os.path.getsize(path) - 1000)
        self.assertIn("model.safetensors: cannot be read as safetensors", self.run_broken(truncate))


if __name__ == "__main__":
    unittest.main()
