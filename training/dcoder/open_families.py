"""Open diffusion coders' config.json and tensor names, read into one common description.

Two families, each with the field and tensor names of its own published code:

* `llada` (LLaDA-8B Base/Instruct; `modeling_llada.py`, `configuration_llada.py` of
  GSAI-ML/LLaDA-8B-*): LLaMA-like blocks under `model.transformer.`, RMSNorm, rotate-half RoPE
  over d_model / n_heads, SwiGLU with `ff_proj` the gate, `up_proj` and `ff_out` the down
  projection, optional q/k/v biases (`include_qkv_bias`), output head `model.transformer.ff_out`
  or the tied `wte` (`weight_tying`). `embedding_size` may exceed `vocab_size`: rows past
  `vocab_size` are padding and are dropped, so the logits are `vocab_size` wide. Logits are
  not shifted (`generate.py` reads a masked position's own row).
* `dream` (Qwen2 layout: Dream-v0 and Dream-Coder, DiffuCoder, model_type "Dream" with
  `DreamModel`; and model_type "qwen2", which Open-dCoder-0.5B loads as: its sampler
  `veomni/.../qwen2/generation_utils.py` calls a stock Qwen2ForCausalLM with is_causal=False):
  q/k/v biases, GQA (`num_key_value_heads`), `rms_norm_eps`, `rope_theta`,
  `tie_word_embeddings`. Logits are shifted: every published sampler does
  `logits = cat([logits[:, :1], logits[:, :-1]])`, i.e. row i-1 predicts token i.
  A "qwen2" config is accepted only with a mask token (see open_specials.py): a plain Qwen2
  causal LM has none, and converting one would give a model that cannot denoise.

The prompt's first token (`bos_first`): LLaDA's sequences start with <BOS> (GUIDELINES.md of
ML-GSAI/LLaDA) and Dream's evaluation prepends `tokenizer.bos_token` (`add_bos_token=true` in
DreamLM/Dream eval/eval_dream_gen.sh, eval_dream_mc.sh), although Dream's bos and eos are the same
id; Open-dLLM's infilling evaluation encodes the prefix with the Qwen2 tokenizer, which adds none
(eval/eval_infill/eval_infill.py). Sources and what is unconfirmed: training/README.md.

Unconfirmed here: Open-dCoder-0.5B's own config.json (read from no public copy; its loader and
the Qwen2.5-Coder-0.5B shape were); the `license` field (no released config has one that was
seen: the model card's front matter is read instead).
"""
from dataclasses import dataclass, field

MAX_CONTEXT = 2048

LLADA_NAMES = {
    "embed": "model.transformer.wte.weight", "norm_f": "model.transformer.ln_f.weight",
    "head": "model.transformer.ff_out.weight",
    "attn_norm": "model.transformer.blocks.{i}.attn_norm.weight",
    "q": "model.transformer.blocks.{i}.q_proj.weight", "k": "model.transformer.blocks.{i}.k_proj.weight",
    "v": "model.transformer.blocks.{i}.v_proj.weight", "q_bias": "model.transformer.blocks.{i}.q_proj.bias",
    "k_bias": "model.transformer.blocks.{i}.k_proj.bias", "v_bias": "model.transformer.blocks.{i}.v_proj.bias",
    "o": "model.transformer.blocks.{i}.attn_out.weight", "mlp_norm": "model.transformer.blocks.{i}.ff_norm.weight",
    "gate": "model.transformer.blocks.{i}.ff_proj.weight", "up": "model.transformer.blocks.{i}.up_proj.weight",
    "down": "model.transformer.blocks.{i}.ff_out.weight",
}
QWEN2_NAMES = {
    "embed": "model.embed_tokens.weight", "norm_f": "model.norm.weight", "head": "lm_head.weight",
    "attn_norm": "model.layers.{i}.input_layernorm.weight",
    "q": "model.layers.{i}.self_attn.q_proj.weight", "k": "model.layers.{i}.self_attn.k_proj.weight",
    "v": "model.layers.{i}.self_attn.v_proj.weight", "q_bias": "model.layers.{i}.self_attn.q_proj.bias",
    "k_bias": "model.layers.{i}.self_attn.k_proj.bias", "v_bias": "model.layers.{i}.self_attn.v_proj.bias",
    "o": "model.layers.{i}.self_attn.o_proj.weight", "mlp_norm": "model.layers.{i}.post_attention_layernorm.weight",
    "gate": "model.layers.{i}.mlp.gate_proj.weight", "up": "model.layers.{i}.mlp.up_proj.weight",
    "down": "model.layers.{i}.mlp.down_proj.weight",
}


class ConfigError(Exception):
    """config.json describes something this converter does not handle; the message says what."""


@dataclass
class OpenConfig:
    """The architecture both families share (what open_model.py and the graph writer build)."""
    vocab_size: int            # logits width (rows of the embedding and head that are kept)
    n_layer: int
    n_head: int
    n_kv_head: int
    head_dim: int
    d_model: int
    d_ff: int
    rope_base: float
    norm_eps: float
    qkv_bias: bool
    tied: bool
    emb_scale: float = 1.0     # LLaDA input_emb_norm: embeddings times sqrt(d_model)
    logit_scale: float = 1.0   # LLaDA scale_logits: logits times 1/sqrt(d_model)


@dataclass
class OpenSpec:
    family: str                # "llada" | "dream"
    model_type: str
    architectures: list
    arch: OpenConfig
    embed_rows: int            # rows stored in the embedding (and head) tensors
    logit_shift: bool
    max_positions: int
    bos_first: bool            # the family's code starts every prompt with bos_token_id
    names: dict = field(repr=False, default_factory=dict)

    def tensor(self, role, i=None):
        return self.names[role].format(i=i)

    def expected(self):
        """(tensor name, shape) of every tensor the conversion reads."""
        a = self.arch
        q_out, kv_out = a.n_head * a.head_dim, a.n_kv_head * a.head_dim
        out = [(self.tensor("embed"), (self.embed_rows, a.d_model)), (self.tensor("norm_f"), (a.d_model,))]
        if not a.tied:
            out.append((self.tensor("head"), (self.embed_rows, a.d_model)))
        for i in range(a.n_layer):
            shapes = {"attn_norm": (a.d_model,), "q": (q_out, a.d_model), "k": (kv_out, a.d_model),
                      "v": (kv_out, a.d_model), "o": (a.d_model, q_out), "mlp_norm": (a.d_model,),
                      "gate": (a.d_ff, a.d_model), "up": (a.d_ff, a.d_model), "down": (a.d_model, a.d_ff)}
            if a.qkv_bias:
                shapes.update(q_bias=(q_out,), k_bias=(kv_out,), v_bias=(kv_out,))
            out += [(self.tensor(role, i), shape) for role, shape in shapes.items()]
        return out


def _need(cfg, key):
    if cfg.get(key) is None:
        raise ConfigError(f"config.json has no {key}")
    return cfg[key]


def _unsupported(cfg, checks):
    for key, ok, what in checks:
        if key in cfg and not ok(cfg[key]):
            raise ConfigError(f"config.json {key}={cfg[key]!r}: {what} is not supported")


def parse_llada(cfg):
    _unsupported(cfg, [
        ("block_type", lambda v: v == "llama", "a block other than llama"),
        ("activation_type", lambda v: v == "silu", "an activation other than silu (SwiGLU)"),
        ("layer_norm_type", lambda v: v == "rms", "a norm other than RMSNorm"),
        ("include_bias", lambda v: not v, "biases on every linear layer"),
        ("attention_layer_norm", lambda v: not v, "q/k layer norms"),
        ("alibi", lambda v: not v, "ALiBi"), ("rope", lambda v: v is not False, "a model without RoPE"),
        ("block_group_size", lambda v: v == 1, "grouped blocks"),
        ("layer_norm_with_affine", lambda v: v is not False, "norms without weights"),
    ])
    d, heads = _need(cfg, "d_model"), _need(cfg, "n_heads")
    kv = cfg.get("n_kv_heads") or (1 if cfg.get("multi_query_attention") else heads)
    vocab = _need(cfg, "vocab_size")
    d_ff = cfg.get("mlp_hidden_size") or cfg.get("mlp_ratio", 4) * d
    arch = OpenConfig(vocab_size=vocab, n_layer=_need(cfg, "n_layers"), n_head=heads, n_kv_head=kv,
                      head_dim=d // heads, d_model=d, d_ff=d_ff, rope_base=float(cfg.get("rope_theta", 10000.0)),
                      norm_eps=float(cfg.get("rms_norm_eps", 1e-5)), qkv_bias=bool(cfg.get("include_qkv_bias")),
                      tied=bool(cfg.get("weight_tying")), emb_scale=d ** 0.5 if cfg.get("input_emb_norm") else 1.0,
                      logit_scale=d ** -0.5 if cfg.get("scale_logits") else 1.0)
    return OpenSpec("llada", cfg["model_type"], cfg.get("architectures", []), arch,
                    embed_rows=cfg.get("embedding_size") or vocab, logit_shift=False,
                    max_positions=cfg.get("max_sequence_length", MAX_CONTEXT), bos_first=True, names=LLADA_NAMES)


def parse_qwen2(cfg):
    """Dream's DreamConfig defaults where a field is absent (configuration_dream.py)."""
    _unsupported(cfg, [
        ("hidden_act", lambda v: v == "silu", "an activation other than silu (SwiGLU)"),
        ("rope_scaling", lambda v: v is None, "RoPE scaling"),
        ("use_sliding_window", lambda v: not v, "sliding-window attention"),
    ])
    d, heads = _need(cfg, "hidden_size"), _need(cfg, "num_attention_heads")
    vocab = cfg.get("vocab_size", 151936)
    arch = OpenConfig(vocab_size=vocab, n_layer=_need(cfg, "num_hidden_layers"), n_head=heads,
                      n_kv_head=cfg.get("num_key_value_heads") or heads, head_dim=cfg.get("head_dim") or d // heads,
                      d_model=d, d_ff=_need(cfg, "intermediate_size"), rope_base=float(cfg.get("rope_theta", 10000.0)),
                      norm_eps=float(cfg.get("rms_norm_eps", 1e-6)), qkv_bias=True,
                      tied=bool(cfg.get("tie_word_embeddings", False)))
    return OpenSpec("dream", cfg["model_type"], cfg.get("architectures", []), arch, embed_rows=vocab,
                    logit_shift=True, max_positions=cfg.get("max_position_embeddings", 32768),
                    bos_first=cfg["model_type"] == "Dream", names=QWEN2_NAMES)


PARSERS = {"llada": parse_llada, "Dream": parse_qwen2, "qwen2": parse_qwen2}


def parse_config(cfg):
    """The common description of a config.json, or ConfigError naming what is wrong."""
    mt = cfg.get("model_type")
    if mt not in PARSERS:
        raise ConfigError(f"unknown model_type {mt!r} in config.json (known: {', '.join(PARSERS)})")
    spec = PARSERS[mt](cfg)
    a = spec.arch
    if a.n_head % a.n_kv_head:
        raise ConfigError(f"{a.n_kv_head} key/value heads do not divide {a.n_head} heads")
    if spec.embed_rows < a.vocab_size:
        raise ConfigError(f"the embedding has {spec.embed_rows} rows for a vocabulary of {a.vocab_size}")
    return spec
