"""One optimizer step of a run, its throughput features guarded so that none can end a lent-GPU
call: `cfg.accum` batches per step (gradient accumulation), torch.compile of the loss (cfg.compile),
the chunked cross-entropy (cfg.ce_chunk) and bf16 autocast on CUDA. A step that raises gives up
one feature and is retried on fresh batches: out of memory splits every batch into twice as many
micro-batches; any other error turns the chunked cross-entropy off, then compile (worth more);
an error with none of them left is raised. Each fallback is printed, so the log says what the run really used.
"""
import contextlib

import torch

from .objective import losses


def split(batch, k):
    """The rows of a batch in k micro-batches (every tensor in it is [B, ...])."""
    B = batch["ids"].shape[0]
    n = -(-B // k)
    return [{key: v[i:i + n] for key, v in batch.items()} for i in range(0, B, n)]


class Stepper:
    def __init__(self, model, opt, cfg, device, say=print):
        self.model, self.opt, self.cfg, self.say = model, opt, cfg, say
        self.cuda = device.startswith("cuda")
        self.parts = 1
        self.loss_fn = losses
        if cfg.compile and hasattr(torch, "compile"):
            self.loss_fn = torch.compile(losses, dynamic=False)
        elif cfg.compile:
            say("torch.compile: not in this torch; eager")

    def _step(self, batches):
        parts = [p for b in batches for p in split(b, self.parts)]
        sums = {}
        for p in parts:
            with torch.autocast("cuda", dtype=torch.bfloat16) if self.cuda else contextlib.nullcontext():
                diff, ar, masked_ce = self.loss_fn(self.model, p, self.cfg.ce_chunk)
                loss = ar if diff is None else diff + self.cfg.aux_weight * ar
            (loss / len(parts)).backward()
            for k, v in (("loss", loss), ("ar", ar), ("diffusion", diff), ("masked_ce", masked_ce)):
                if v is not None:
                    sums[k] = sums.get(k, 0.0) + v.detach() / len(parts)
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.clip)
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        return sums

    def _fall_back(self, err):
        rows = self.cfg.batch // self.parts
        if "out of memory" in str(err).lower() and rows > 1:
            self.parts *= 2
            if self.cuda:
                torch.cuda.empty_cache()
            return f"each batch in {self.parts} micro-batches of about {rows // 2} rows"
        if self.cfg.ce_chunk:  # the smaller loss first: compile is worth more than chunking on a 139 GiB GPU
            self.cfg.ce_chunk = 0
            return "chunked cross-entropy off"
        if self.loss_fn is not losses:
            self.loss_fn = losses
            return "torch.compile off (eager)"
        raise err

    def __call__(self, next_batch):
        """Draw cfg.accum batches from next_batch() and take one step; returns (block of the last
        batch, the last batch, positions trained on, {loss, ar[, diffusion, masked_ce]} as 0-d tensors
        averaged over the step)."""
        while True:
            drawn = [next_batch() for _ in range(self.cfg.accum)]
            try:
                stats = self._step([b for _, b in drawn])
                return drawn[-1][0], drawn[-1][1], sum(b["ids"].numel() for _, b in drawn), stats
            except Exception as e:  # noqa: BLE001  (any failure of a guarded feature)
                self.opt.zero_grad(set_to_none=True)
                what = self._fall_back(e)
                self.say(f"step failed ({type(e).__name__}: {str(e)[:400]}); retrying with {what}")
