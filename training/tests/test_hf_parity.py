"""Converter parity against the reference implementations, in tests only: transformers (pinned in
training/requirements.txt) builds each family's model with random weights, training/convert.py
turns its checkpoint into the engine's step graph, and the graph's logits must match.

* Qwen2 layout (model_type "Dream": Dream-v0, Dream-Coder, DiffuCoder; model_type "qwen2":
  Open-dCoder): a tiny random Qwen2ForCausalLM saved with `save_pretrained` (safetensors), its
  config.json relabelled as each family's. These models run the Qwen2 decoder bidirectionally
  (modeling_dream.py's attention is not causal; Open-dLLM's sampler calls Qwen2 with
  is_causal=False and no padding), so the reference is transformers' own eager Qwen2 given a 4D
  additive mask of zeros, which Qwen2Model uses as it is instead of building its causal mask:
  every query attends to every key, the computation of a non-causal pass, with nothing patched.
* LLaDA: modeling_llada.py's LLaDALlamaBlock is Llama's decoder layer under other names
  (attn_norm, q/k/v_proj, attn_out, ff_norm, ff_proj = the SwiGLU gate, up_proj, ff_out = down;
  RMSNorm weight * x / sqrt(mean(x^2) + rms_norm_eps); rotate-half RoPE over d_model / n_heads
  with rope_theta; K/V heads repeated as repeat_kv does; no biases when include_bias and
  include_qkv_bias are false, as in LLaDA-8B), with embedding_size rows in wte and ff_out. The
  reference is transformers' LlamaForCausalLM with those sizes and the same all-visible mask, its
  weights saved under LLaDA's names and config.json fields; its logits past vocab_size (the
  padding rows) are not compared. input_emb_norm and scale_logits are false in LLaDA-8B.

Each family: fp32 logits within 1e-3 through onnxruntime (a full pass in shuffled row order with
explicit positions, and a second pass against the reference's own K/V cache) and through the Node
engine's `parity` command on the reference's outputs; int8 and int4 graphs by argmax agreement;
the manifest's ids, rope base, norm eps and logit shift against the family's config and sampler.
"""
import json
import os
import shutil
import sys
import tempfile
import unittest

import numpy as np
import onnxruntime as ort
import torch
from safetensors.torch import save_file
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import make_hf_tiny  # noqa: E402
from convert import convert  # noqa: E402
from node_checks import node  # noqa: E402

CLI = os.path.join(os.path.dirname(HERE), "dist", "cli.js")
S, P = 24, 16              # tokens of the full pass; the second pass runs the last S - P against P cached
# Quantized graphs: argmax agreement with the fp32 reference and mean |logit error| / logit std.
# Measured on these random weights (Dream, Open-dCoder, LLaDA): int8 0.875 / 1.0 / 0.906 and
# 0.012 / 0.011 / 0.013; int4 0.656 / 1.0 / 0.812 and 0.108 / 0.108 / 0.123. Random heads leave
# many rows with near-tied top tokens (every int8 disagreement has a top-2 margin under 0.015),
# so agreement alone is loose; a wrong graph scores about 1/320 and an error near 1.
QUANT_FLOORS = {"int8": (0.85, 0.03), "int4": (0.6, 0.2)}
LLADA_TO_LLAMA = {          # modeling_llada.py names -> transformers' Llama names
    "model.transformer.wte.weight": "model.embed_tokens.weight",
    "model.transformer.ln_f.weight": "model.norm.weight",
    "model.transformer.ff_out.weight": "lm_head.weight",
    "attn_norm": "input_layernorm", "q_proj": "self_attn.q_proj", "k_proj": "self_attn.k_proj",
    "v_proj": "self_attn.v_proj", "attn_out": "self_attn.o_proj", "ff_norm": "post_attention_layernorm",
    "ff_proj": "mlp.gate_proj", "up_proj": "mlp.up_proj", "ff_out": "mlp.down_proj",
}


def randomize(model, seed):
    """Weights far from transformers' 0.02 init, so logits span several units: matrices with
    1/sqrt(fan-in) spread, unit-normal embeddings, norms near 1, small biases."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim == 2:
                std = 1.0 if "embed" in name else p.shape[1] ** -0.5
                p.copy_(torch.randn(p.shape, generator=g) * std)
            elif "norm" in name:
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
    return model.eval()


def write_tokenizer(folder, specials, mask_text=None):
    with open(os.path.join(folder, "tokenizer.json"), "w") as f:
        json.dump(make_hf_tiny.tokenizer_json(300, specials), f, ensure_ascii=False)
    if mask_text:
        with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
            json.dump({"mask_token": mask_text}, f)


def qwen2_family(folder, model_type, seed):
    """Dream (model_type "Dream", separate head) or Open-dCoder (model_type "qwen2", tied head,
    mask token named by tokenizer_config.json) from a random Qwen2ForCausalLM."""
    tied = model_type == "qwen2"
    cfg = Qwen2Config(vocab_size=320, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
                      rope_theta=1e6, rms_norm_eps=1e-6, tie_word_embeddings=tied, bos_token_id=300,
                      eos_token_id=300, pad_token_id=300, attn_implementation="eager")
    model = randomize(Qwen2ForCausalLM(cfg), seed)
    model.save_pretrained(folder, safe_serialization=True)
    with open(os.path.join(folder, "config.json")) as f:
        saved = json.load(f)
    if model_type == "Dream":
        saved.update(model_type="Dream", architectures=["DreamModel"], mask_token_id=310)
        write_tokenizer(folder, make_hf_tiny.DREAM_SPECIALS)
    else:
        write_tokenizer(folder, {"<|endoftext|>": 300, "<|im_end|>": 302, "<M>": 311}, mask_text="<M>")
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(saved, f, indent=2)
    return model, saved


def llada_family(folder, seed):
    """LLaDA's config.json (make_hf_tiny.LLADA: LLaDA-8B's fields, shrunk) and its tensor names,
    with the weights of a random LlamaForCausalLM of the same sizes."""
    c = make_hf_tiny.LLADA
    cfg = LlamaConfig(vocab_size=c["embedding_size"], hidden_size=c["d_model"], intermediate_size=c["mlp_hidden_size"],
                      num_hidden_layers=c["n_layers"], num_attention_heads=c["n_heads"],
                      num_key_value_heads=c["n_kv_heads"], rope_theta=c["rope_theta"], rms_norm_eps=c["rms_norm_eps"],
                      max_position_embeddings=c["max_sequence_length"], attention_bias=False, mlp_bias=False,
                      tie_word_embeddings=False, attn_implementation="eager")
    model = randomize(LlamaForCausalLM(cfg), seed)
    state = model.state_dict()
    tensors = {}
    for name, llama in LLADA_TO_LLAMA.items():
        if name.startswith("model."):
            tensors[name] = state[llama]
            continue
        for i in range(c["n_layers"]):
            tensors[f"model.transformer.blocks.{i}.{name}.weight"] = state[f"model.layers.{i}.{llama}.weight"]
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(folder, "model.safetensors"),
              metadata={"format": "pt"})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(c, f, indent=2)
    write_tokenizer(folder, make_hf_tiny.LLADA_SPECIALS)
    return model, c


def reference(model, ids, vocab):
    """Logits [S, vocab] of a full non-causal pass at positions 0..S-1, and its K/V cache as the
    graph's past_kv [n_layer, 2, 1, n_kv_head, S, head_dim] (K after RoPE)."""
    n = len(ids)
    with torch.no_grad():
        out = model(input_ids=torch.tensor([ids]), position_ids=torch.arange(n)[None],
                    attention_mask=torch.zeros(1, 1, n, n), use_cache=True)
    cache = out.past_key_values
    kv = torch.stack([torch.stack([cache[i][0], cache[i][1]]) for i in range(len(cache))])
    return out.logits[0, :, :vocab].numpy(), kv.numpy()


def step_cases(ids, logits, kv, seed):
    """The two steps, as (inputs, expected logits): the whole sequence with its rows shuffled
    (explicit positions, full attention), then the last S - P tokens against the first P's K/V."""
    order = np.random.default_rng(seed).permutation(S)
    full = dict(input_ids=np.array([ids])[:, order], position_ids=order[None].astype(np.int64),
                attn_mask=np.ones((1, 1, S, S), bool), past_kv=np.zeros(kv.shape[:4] + (0, kv.shape[5]), np.float32),
                num_logits=np.array([S]))
    cached = dict(input_ids=np.array([ids[P:]]), position_ids=np.arange(P, S)[None],
                  attn_mask=np.ones((1, 1, S - P, S), bool), past_kv=np.ascontiguousarray(kv[:, :, :, :, :P]),
                  num_logits=np.array([S - P]))
    return [(full, logits[order]), (cached, logits[P:])]


def onnxruntime_logits(folder, inputs):
    session = ort.InferenceSession(os.path.join(folder, "model.onnx"), providers=["CPUExecutionProvider"])
    return session.run(["logits"], {k: (v.astype(np.int64) if v.dtype.kind == "i" else v) for k, v in inputs.items()})[0][0]


def write_reference_parity(folder, cases):
    """parity.json (the format `node dist/cli.js parity` reads) holding the reference's outputs."""
    out = []
    for inputs, want in cases:
        T, past = inputs["input_ids"].shape[1], inputs["past_kv"]
        out.append({"T": T, "P": past.shape[4], "num_logits": int(inputs["num_logits"][0]),
                    "input_ids": inputs["input_ids"][0].tolist(), "position_ids": inputs["position_ids"][0].tolist(),
                    "attn_mask": inputs["attn_mask"].flatten().astype(int).tolist(),
                    "past_kv": [float(x) for x in past.flatten()],
                    "logits_sample": [float(x) for x in want[:, :64].flatten()],
                    "logits_argmax": want.argmax(-1).tolist()})
    with open(os.path.join(folder, "parity.json"), "w") as f:
        json.dump({"cases": out}, f)


def sampler_rows(model_type, n):
    """The logits row each family's own sampler reads for position i: Dream's and Open-dLLM's
    samplers shift (cat([logits[:, :1], logits[:, :-1]])), LLaDA's generate.py does not."""
    return np.arange(n) if model_type == "llada" else np.maximum(np.arange(n) - 1, 0)


class FamilyParity:
    """One family against its reference; subclasses say how to build it."""
    model_type = None

    @classmethod
    def setUpClass(cls):
        torch.manual_seed(0)
        cls.tmp = tempfile.mkdtemp()
        cls.src = os.path.join(cls.tmp, "hf")
        os.makedirs(cls.src)
        cls.model, cls.cfg = cls.build(cls.src)
        cls.vocab = cls.cfg["vocab_size"]
        cls.ids = np.random.default_rng(1).integers(0, 300, S).tolist()
        cls.logits, cls.kv = reference(cls.model, cls.ids, cls.vocab)
        cls.cases = step_cases(cls.ids, cls.logits, cls.kv, seed=2)
        cls.out = {q: os.path.join(cls.tmp, q) for q in ("none", "int8", "int4")}
        for q, dst in cls.out.items():
            convert(cls.src, dst, q, parity=False)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def manifest(self, quant="none"):
        with open(os.path.join(self.out[quant], "manifest.json")) as f:
            return json.load(f)

    def test_fp32_logits_match_the_reference_in_onnxruntime(self):
        for inputs, want in self.cases:
            got = onnxruntime_logits(self.out["none"], inputs)
            self.assertLessEqual(np.abs(got - want).max(), 1e-3, f"P={inputs['past_kv'].shape[4]}")

    def test_node_engine_reproduces_the_reference(self):
        write_reference_parity(self.out["none"], self.cases)
        rep = node(CLI, "parity", "--model", self.out["none"])
        self.assertLessEqual(rep["maxAbsDiff"], 1e-3)
        self.assertEqual(rep["argmaxAgreement"], 1.0)

    def test_quantized_graphs_agree_by_argmax(self):
        want = np.concatenate([w for _, w in self.cases])
        for quant, (agreement, error) in QUANT_FLOORS.items():
            got = np.concatenate([onnxruntime_logits(self.out[quant], inputs) for inputs, _ in self.cases])
            self.assertGreaterEqual((got.argmax(-1) == want.argmax(-1)).mean(), agreement, quant)
            self.assertLessEqual(np.abs(got - want).mean() / want.std(), error, quant)

    def test_manifest_follows_the_config_and_the_sampler(self):
        m, c = self.manifest(), self.cfg
        self.assertEqual(m["architecture"]["rope_base"], c["rope_theta"])
        self.assertEqual(m["architecture"]["norm_eps"], c["rms_norm_eps"])
        self.assertEqual(m["architecture"]["vocab_size"], self.vocab)
        engine_rows = np.maximum(np.arange(S) - 1, 0) if m["logit_shift"] else np.arange(S)
        np.testing.assert_array_equal(self.logits[engine_rows], self.logits[sampler_rows(self.model_type, S)],
                                      "the engine reads other logit rows than the family's sampler")


class DreamParity(FamilyParity, unittest.TestCase):
    model_type = "Dream"

    @staticmethod
    def build(folder):
        return qwen2_family(folder, "Dream", seed=3)

    def test_ids_and_bos(self):
        self.assertEqual(self.manifest()["special_tokens"], {"mask": 310, "eom": 300, "pad": 300, "bos": 300})


class OpenDCoderParity(FamilyParity, unittest.TestCase):
    model_type = "qwen2"

    @staticmethod
    def build(folder):
        return qwen2_family(folder, "qwen2", seed=4)

    def test_ids_and_no_bos(self):
        self.assertEqual(self.manifest()["special_tokens"], {"mask": 311, "eom": 300, "pad": 300})


class LLaDAParity(FamilyParity, unittest.TestCase):
    model_type = "llada"

    @staticmethod
    def build(folder):
        return llada_family(folder, seed=5)

    def test_ids_and_bos(self):
        self.assertEqual(self.manifest()["special_tokens"], {"mask": 310, "eom": 301, "pad": 301, "bos": 300})


if __name__ == "__main__":
    unittest.main()
