"""The optimizers of a run: AdamW for everything (the shipped models' recipe), or Muon for the
hidden matrices (attention and MLP weights) with AdamW for the embedding, the head and every
vector (modded-nanogpt, nanochat). `Optimizers` steps, zeroes, schedules and checkpoints them as one.
"""
import inspect

import torch

from .muon import Muon


def _adamw(groups, cfg, device):
    extra = {}
    if device.startswith("cuda") and "fused" in inspect.signature(torch.optim.AdamW).parameters:
        extra["fused"] = True
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.95), **extra)


class Optimizers:
    """Several optimizers behind one interface; each group keeps its peak lr as `base_lr`, and
    `set_scale` sets every group's lr to base_lr times the schedule's factor."""

    def __init__(self, opts):
        self.opts = opts
        for o in opts:
            for g in o.param_groups:
                g["base_lr"] = g["lr"]

    def set_scale(self, f):
        for o in self.opts:
            for g in o.param_groups:
                g["lr"] = g["base_lr"] * f

    def zero_grad(self, set_to_none=True):
        for o in self.opts:
            o.zero_grad(set_to_none=set_to_none)

    def step(self):
        for o in self.opts:
            o.step()

    def state_dict(self):
        return {"optimizers": [o.state_dict() for o in self.opts]}

    def load_state_dict(self, state):
        if "optimizers" not in state:  # a checkpoint from before: one AdamW
            state = {"optimizers": [state]}
        if len(state["optimizers"]) != len(self.opts):
            raise SystemExit("the checkpoint was trained with another optimizer (cfg.optimizer)")
        for o, s in zip(self.opts, state["optimizers"]):
            o.load_state_dict(s)


def make_optimizer(model, cfg, device):
    hidden = [p for n, p in model.named_parameters() if n.startswith("blocks.") and p.dim() == 2]
    if cfg.optimizer == "muon":
        ids = {id(p) for p in hidden}
        rest = [p for p in model.parameters() if id(p) not in ids]
        return Optimizers([Muon(hidden, lr=cfg.muon_lr, momentum=0.95),
                           _adamw([{"params": [p for p in rest if p.dim() >= 2], "weight_decay": cfg.weight_decay},
                                   {"params": [p for p in rest if p.dim() < 2], "weight_decay": 0.0}], cfg, device)])
    if cfg.optimizer != "adamw":
        raise SystemExit(f"unknown optimizer {cfg.optimizer!r} (adamw, muon)")
    return Optimizers([_adamw([{"params": [p for p in model.parameters() if p.dim() >= 2], "weight_decay": cfg.weight_decay},
                               {"params": [p for p in model.parameters() if p.dim() < 2], "weight_decay": 0.0}], cfg, device)])
