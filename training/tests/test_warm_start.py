"""The warm start (dcoder/warm_start.py) reproduces the shipped model: weights read back from
models/<default>/model.onnx (int8 MatMulNBits, dequantized) give, on the same held-out batches,
the held-out loss that onnxruntime (the engine's runtime, through onnxruntime-node) gives on the
shipped graph itself, and the logits that the original fp32 weights gave at export (parity.json).

Held-out batches: FIM examples cut (fixed seed) from this repository's own Python sources, which
no training corpus holds, laid out and masked as train.py's held-out loss does (block 16, t = 0.5),
each [clean sequence ; noisy middle] run as one step of the graph with the training mask.
Tolerances (README, "Warm start"): masked-token CE and next-token CE within 0.03 nats of
onnxruntime's; logits within 0.25 of the fp32 export's (mean |diff| under 0.05) and the same argmax
on at least 90% of positions. A wrong mapping (a transposed, swapped or missing matrix) moves
these by nats, and a mismatched architecture is refused."""
import json
import os
import random
import subprocess
import sys
import tempfile
import unittest

import torch

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import export  # noqa: E402
from dcoder import bpe, fim, warm_start  # noqa: E402
from dcoder.model import DiffusionCoder, ModelConfig, StepGraph  # noqa: E402
from dcoder.objective import attention_mask, losses, make_batch  # noqa: E402

MODEL = os.path.join(ROOT, "models", json.load(open(os.path.join(ROOT, "src", "defaults.json")))["model"])
CE_TOL, LOGIT_TOL, LOGIT_MEAN_TOL, ARGMAX_MIN = 0.03, 0.25, 0.05, 0.9
SOURCES = ["dcoder/objective.py", "dcoder/fim.py", "dcoder/layout.py", "dcoder/bpe.py", "export.py", "corpus.py"]

# Summed cross-entropy and count per case, for two target sets, from onnxruntime's logits of the
# whole sequence run as one step (P = 0) with the training mask and positions.
ORT_CE_JS = """
const ort = require('onnxruntime-node'); const fs = require('fs');
const [model, casesPath] = process.argv.slice(1); const cases = JSON.parse(fs.readFileSync(casesPath));
const m = JSON.parse(fs.readFileSync(model + '/manifest.json')).architecture;
const I = (v) => BigInt64Array.from(v, BigInt);
(async () => {
  const s = await ort.InferenceSession.create(model + '/model.onnx');
  const out = [];
  for (const c of cases) {
    const T = c.ids.length;
    const o = await s.run({input_ids: new ort.Tensor('int64', I(c.ids), [1, T]),
      position_ids: new ort.Tensor('int64', I(c.pos), [1, T]),
      attn_mask: new ort.Tensor('bool', Uint8Array.from(c.mask, (ch) => ch === '1' ? 1 : 0), [1, 1, T, T]),
      past_kv: new ort.Tensor('float32', new Float32Array(0), [m.n_layer, 2, 1, m.n_head, 0, m.head_dim]),
      num_logits: new ort.Tensor('int64', I([T]), [1])});
    const V = o.logits.dims[2], L = o.logits.data;
    const ce = (targets) => { let sum = 0, n = 0;
      targets.forEach((t, i) => { if (t < 0) return; let mx = -Infinity;
        for (let v = 0; v < V; v++) mx = Math.max(mx, L[i * V + v]);
        let z = 0; for (let v = 0; v < V; v++) z += Math.exp(L[i * V + v] - mx);
        sum += mx + Math.log(z) - L[i * V + t]; n++; });
      return [sum, n]; };
    out.push({masked: ce(c.masked), ar: ce(c.ar)});
  }
  console.log(JSON.stringify(out));
})();
"""


def held_out_batch(tok, manifest, n=6, seed=5):
    sp = fim.special_ids(tok)
    rng = random.Random(seed)
    examples = []
    for rel in SOURCES * 2:
        with open(os.path.join(HERE, rel)) as f:
            text = f.read()
        ex = fim.make_example(tok, sp, text, rng, manifest["max_context"], manifest["max_middle"], manifest["max_suffix"])
        if ex is not None and ex.mode != "empty":
            examples.append(ex)
        if len(examples) == n:
            break
    return make_batch(examples, manifest["block_size"], sp, random.Random(0), True, t_fixed=0.5)


def ort_cases(batch):
    """One case per example: the whole [clean ; noisy] sequence, its mask, and its targets (the
    masked-token CE's: first block tokens from the clean row before them, masked noisy tokens; and
    the clean stream's next-token targets)."""
    L = batch["ar_target"].shape[1]
    cases = []
    for b in range(batch["ids"].shape[0]):
        mask = attention_mask(L, batch["nstart"][b:b + 1], batch["nblock"][b:b + 1])[0, 0]
        first = torch.where(batch["first"][b], batch["ar_target"][b], torch.full_like(batch["ar_target"][b], -100))
        cases.append({"ids": batch["ids"][b].tolist(), "pos": batch["pos"][b].tolist(),
                      "mask": "".join("1" if x else "0" for x in mask.flatten().tolist()),
                      "masked": first.tolist() + batch["diff_target"][b].tolist(),
                      "ar": batch["ar_target"][b].tolist() + [-100] * batch["diff_target"].shape[1]})
    return cases


class WarmStartTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ckpt = warm_start.load(MODEL)
        cls.model = DiffusionCoder(ModelConfig.from_dict(cls.ckpt["model_config"])).eval()
        cls.model.load_state_dict(cls.ckpt["model"])  # strict: every parameter found, every shape right
        with open(os.path.join(MODEL, "manifest.json")) as f:
            cls.manifest = json.load(f)

    def test_held_out_loss_matches_onnxruntime_on_the_shipped_graph(self):
        tok = bpe.Tokenizer.from_json(json.loads(self.ckpt["tokenizer_json"]))
        batch = held_out_batch(tok, self.manifest)
        with torch.no_grad():
            _, ar, masked = losses(self.model, batch)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "cases.json")
            with open(path, "w") as f:
                json.dump(ort_cases(batch), f)
            r = subprocess.run(["node", "-e", ORT_CE_JS, MODEL, path], capture_output=True, text=True, cwd=ROOT)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        ort = json.loads(r.stdout)
        ort_masked = sum(c["masked"][0] for c in ort) / sum(c["masked"][1] for c in ort)
        ort_ar = sum(c["ar"][0] for c in ort) / sum(c["ar"][1] for c in ort)
        print(f"\nwarm start on {len(ort)} held-out examples: masked-token CE {masked.item():.4f} "
              f"(onnxruntime {ort_masked:.4f}), next-token CE {ar.item():.4f} (onnxruntime {ort_ar:.4f})")
        self.assertLess(abs(masked.item() - ort_masked), CE_TOL)
        self.assertLess(abs(ar.item() - ort_ar), CE_TOL)
        self.assertLess(masked.item(), 5.0, "a trained model's loss, not a random one's (~9)")

    def test_logits_match_the_fp32_export(self):
        cfg = self.model.cfg
        step = StepGraph(self.model).eval()
        with open(os.path.join(MODEL, "parity.json")) as f:
            cases = json.load(f)["cases"]
        diffs, agree, n = [], 0, 0
        for c in cases:
            T, P, k = c["T"], c["P"], c["num_logits"]
            with torch.no_grad():
                logits, _ = step(torch.tensor([c["input_ids"]]), torch.tensor([c["position_ids"]]),
                                 torch.tensor(c["attn_mask"], dtype=torch.bool).view(1, 1, T, P + T),
                                 torch.tensor(c["past_kv"]).view(cfg.n_layer, 2, 1, cfg.n_head, P, cfg.head_dim),
                                 torch.tensor([k]))
            diffs.append((logits[0, :, :64] - torch.tensor(c["logits_sample"]).view(k, 64)).abs().flatten())
            agree += (logits[0].argmax(-1) == torch.tensor(c["logits_argmax"])).sum().item()
            n += k
        d = torch.cat(diffs)
        print(f"\nlogits against the fp32 export: max |diff| {d.max().item():.3f}, mean {d.mean().item():.4f}, "
              f"argmax {agree}/{n}")
        self.assertLess(d.max().item(), LOGIT_TOL)
        self.assertLess(d.mean().item(), LOGIT_MEAN_TOL)
        self.assertGreaterEqual(agree / n, ARGMAX_MIN)

    def test_train_refuses_to_load_another_architecture(self):
        """--init with --gpu: the GPU configuration's architecture against a tiny exported model."""
        tiny = DiffusionCoder(ModelConfig(n_layer=2, n_head=2, d_model=64, d_ff=128)).eval()
        with tempfile.TemporaryDirectory() as d:
            export.export_folder(tiny, os.path.join(d, "m"), "m", self.ckpt["tokenizer_json"], {})
            r = subprocess.run([sys.executable, os.path.join(HERE, "train.py"), "--gpu", "--device", "cpu",
                                "--init", os.path.join(d, "m"), "--out", os.path.join(d, "run"),
                                "--tokenizer", os.path.join(MODEL, "tokenizer.json")],
                               capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("another architecture (n_layer: this run 8, the weights 2;", r.stderr)

    def test_refuses_another_architecture(self):
        have = ModelConfig.from_dict(self.ckpt["model_config"])
        self.assertEqual(warm_start.mismatch(have, have), "")
        want = ModelConfig(**{**have.to_dict(), "n_layer": have.n_layer + 2, "fused_attention": True})
        self.assertEqual(warm_start.mismatch(want, have), f"n_layer: this run {have.n_layer + 2}, the weights {have.n_layer}")


if __name__ == "__main__":
    unittest.main()
