"""Training configuration: one dataclass and its presets (the CPU default, a tiny smoke-test
model, and one lent GPU)."""
from dataclasses import dataclass, field

from .model import ModelConfig


@dataclass
class TrainConfig:
    model: ModelConfig = field(default_factory=lambda: ModelConfig(n_layer=6, n_head=4, d_model=256, d_ff=1024))
    seq_len: int = 512
    max_mid: int = 64
    max_suffix: int = 128
    batch: int = 16
    lr: float = 2e-3
    min_lr_frac: float = 0.1
    warmup: int = 100
    weight_decay: float = 0.1
    clip: float = 1.0
    accum: int = 1              # micro-batches of `batch` rows per optimizer step
    pack: bool = False          # next-token rows packed with whole examples, attention inside each (data.packed_rows)
    ce_chunk: int = 0           # positions per chunk of the cross-entropy, logits recomputed in backward (0: all at once)
    compile: bool = False       # torch.compile the loss (torch >= 2; falls back to eager on any error)
    optimizer: str = "adamw"    # "muon": Muon for the hidden matrices, AdamW (lr) for the rest (dcoder/optim.py)
    muon_lr: float = 0.02
    ar_frac: float = 0.8        # share of the time budget spent on next-token training only
    warm_ar_frac: float = -1.0  # ar_frac of a run that starts from trained weights (-1: ar_frac)
    warm_lrs: tuple = ()        # (lr, muon_lr) of a run that starts from trained weights (empty: lr, muon_lr)
    plain_frac: float = 0.25    # share of plain file windows among next-token examples
    aux_weight: float = 1.0     # next-token loss beside the diffusion loss in the adaptation phase
    block_sizes: tuple = (4, 8, 16, 32)
    block_probs: tuple = (0.15, 0.2, 0.45, 0.2)
    lang_weights: dict = field(default_factory=lambda: {"python": 0.7, "javascript": 0.15, "typescript": 0.15})
    t_range: tuple = (0.3, 0.8)  # per-block mask rate in the adaptation phase (BD3-LM's clipping)
    max_steps: int = 0          # 0: bounded by --minutes only
    minutes: float = 90.0
    decay_frac: float = 0.25    # warmup-stable-decay: linear decay over the last quarter
    eval_every: int = 100
    eval_examples: int = 64
    log_every: int = 10         # .item() syncs only on logged steps
    ckpt_minutes: float = 5.0
    seed: int = 1234
    threads: int = 2
    device: str = ""            # where the weights were trained (set by train.py; model cards quote it)


def tiny_config():
    return TrainConfig(model=ModelConfig(vocab_size=8192, n_layer=2, n_head=2, d_model=64, d_ff=128),
                       seq_len=96, max_mid=24, max_suffix=24, batch=4, eval_every=5, log_every=1,
                       eval_examples=8, max_steps=10, minutes=2, warmup=2)


def gpu_config():
    """One lent H100/H200 for about 6 minutes of training: ~17 M parameters (the shipped
    architecture, so gpu_run.sh continues from dcoder-17m's weights). The run of 2026-11-27
    (dcoder-17m) used ar_frac 0.8 and t_range (0.3, 0.8); its diffusion decoder trailed AR on the
    same weights because blocks start fully masked at inference, so the adaptation now gets more of
    the time and mask rates up to 1.0 (training/README.md). Throughput (issue 19; each guarded by
    dcoder/step.py and to be measured on the device): 2 x 256 rows of 512 = 262 K positions a step,
    packed next-token rows, torch.compile, the cross-entropy in chunks of 128 positions. Muon for
    the hidden matrices (it beat AdamW on both seeds of the CPU comparison). Continuing from
    dcoder-17m (282 M next-token positions behind it already), the run adapts for 80% of its time
    (warm_ar_frac), the next-token loss beside the diffusion loss throughout, with smaller steps
    (warm_lrs: the full ones took the shipped weights' held-out loss from 3.22 to 4.13 in 30 small
    CPU steps, these to 3.30)."""
    return TrainConfig(model=ModelConfig(n_layer=8, n_head=6, d_model=384, d_ff=1536), batch=256, accum=2,
                       pack=True, compile=True, ce_chunk=128, optimizer="muon", muon_lr=0.02,
                       lr=1.5e-3, warmup=100, eval_every=200, log_every=20, minutes=7,
                       ar_frac=0.6, warm_ar_frac=0.2, warm_lrs=(3e-4, 0.005), t_range=(0.3, 1.0))
