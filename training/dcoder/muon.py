"""Muon (Keller Jordan, modded-nanogpt): SGD with Nesterov momentum whose update for each 2-D hidden
matrix is replaced by the nearest semi-orthogonal matrix, found by a quintic Newton-Schulz
iteration, then scaled by sqrt(max(1, rows / cols)) so every matrix moves by a similar RMS.

Only hidden matrices (attention and MLP weights) belong here; embeddings, the head and every
vector (norm gains) stay with AdamW (train.make_optimizer). Runs in bf16 on a GPU and in fp32 on
the CPU (torch 1.13 has no fast bf16 matmul there); works on any device the parameters live on.
"""
import torch

NS_COEFFS = (3.4445, -4.7750, 2.0315)  # modded-nanogpt's quintic: fast rise near 0, no exact convergence needed


def orthogonalize(g, steps=5, eps=1e-7):
    """The nearest semi-orthogonal matrix to g (approximately U V^T of its SVD)."""
    a, b, c = NS_COEFFS
    x = g.to(torch.bfloat16 if g.is_cuda else torch.float32)
    tall = x.shape[0] > x.shape[1]
    if tall:
        x = x.t()
    x = x / (x.norm() + eps)
    for _ in range(steps):
        s = x @ x.t()
        x = a * x + (b * s + c * (s @ s)) @ x
    return (x.t() if tall else x).to(g.dtype)


class Muon(torch.optim.Optimizer):
    def __init__(self, params, lr=0.02, momentum=0.95, nesterov=True, ns_steps=5, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=nesterov, ns_steps=ns_steps,
                                      weight_decay=weight_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                buf = self.state[p].setdefault("momentum", torch.zeros_like(g))
                buf.mul_(group["momentum"]).add_(g)
                g = g.add(buf, alpha=group["momentum"]) if group["nesterov"] else buf
                u = orthogonalize(g, group["ns_steps"])
                if group["weight_decay"]:
                    p.mul_(1 - group["lr"] * group["weight_decay"])
                p.add_(u, alpha=-group["lr"] * max(1.0, p.shape[0] / p.shape[1]) ** 0.5)
