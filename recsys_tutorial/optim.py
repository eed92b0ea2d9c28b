"""Optimiser: torch's ``SparseAdam`` update in one pass over the touched rows.

``SparseAdam`` (lazy Adam: only the rows a batch touches move, and only their moments decay) builds and adds
several sparse tensors per step, each a pass over the rows in random order; on an MF batch of the Electronics
graph that was 60 % of the step. :class:`RowAdam` does the same float32 arithmetic in the same order: on the
CPU in one numba loop over the rows, equal to ``SparseAdam`` up to the rounding of a square root (torch's
vectorised float32 ``sqrt`` is not correctly rounded, numba's is); on other devices with row gathers and
scatters, bit for bit. Tests check both.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import torch

__all__ = ["RowAdam"]


class RowAdam(torch.optim.Optimizer):
    """``torch.optim.SparseAdam`` for parameters with sparse gradients (``nn.Embedding(sparse=True)``)."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        if not 0.0 < lr:
            raise ValueError(f"lr must be positive, got {lr}")
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps})

    @torch.no_grad()
    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                if not param.grad.is_sparse:
                    raise RuntimeError("RowAdam takes sparse gradients; use torch.optim.Adam for dense ones")
                grad = param.grad.coalesce()
                rows, values = grad.indices()[0], grad.values()
                if not len(rows):
                    continue
                state = self.state[param]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(param, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(param, memory_format=torch.preserve_format)
                state["step"] += 1
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                step_size = group["lr"] * math.sqrt(1 - beta2 ** state["step"]) / (1 - beta1 ** state["step"])
                if param.device.type == "cpu" and param.dtype == torch.float32 and param.dim() == 2:
                    _adam_rows(param.detach().numpy(), exp_avg.numpy(), exp_avg_sq.numpy(), rows.numpy(),
                               values.contiguous().numpy(), np.float32(1 - beta1), np.float32(1 - beta2),
                               np.float32(group["eps"]), np.float32(-step_size))
                    continue
                old_avg, old_sq = exp_avg.index_select(0, rows), exp_avg_sq.index_select(0, rows)
                avg_update = values.sub(old_avg).mul_(1 - beta1)
                exp_avg.index_add_(0, rows, avg_update)
                sq_update = values.pow(2).sub_(old_sq).mul_(1 - beta2)
                exp_avg_sq.index_add_(0, rows, sq_update)
                numer = avg_update.add_(old_avg)
                denom = sq_update.add_(old_sq).sqrt_().add_(group["eps"])
                param.index_add_(0, rows, -step_size * numer.div_(denom))
        return loss


@numba.njit(cache=True, error_model="numpy")
def _adam_rows(param, exp_avg, exp_avg_sq, rows, values, keep1, keep2, eps, neg_step):
    """SparseAdam's update of each touched row, element by element, in its operation order (float32)."""
    for i in range(len(rows)):
        r = rows[i]
        for j in range(param.shape[1]):
            grad, avg, sq = values[i, j], exp_avg[r, j], exp_avg_sq[r, j]
            avg_update = (grad - avg) * keep1
            sq_update = (grad * grad - sq) * keep2
            exp_avg[r, j] = avg + avg_update
            exp_avg_sq[r, j] = sq + sq_update
            param[r, j] += neg_step * ((avg_update + avg) / (np.sqrt(sq_update + sq) + eps))
