"""RowAdam is SparseAdam's update: the same vectors (to float32 rounding of a square root), rows outside the
batch untouched."""

from __future__ import annotations

import pytest
import torch

from recsys_tutorial.optim import RowAdam


def train_steps(optimizer: type, dtype: torch.dtype, steps: int = 20) -> tuple[torch.Tensor, dict]:
    torch.manual_seed(0)
    table = torch.nn.Embedding(500, 16, sparse=True).to(dtype)
    opt = optimizer([table.weight], lr=0.05)
    batches = torch.Generator().manual_seed(1)
    for _ in range(steps):
        a, b = torch.randint(0, 400, (2, 64), generator=batches)  # rows 400+ never in a batch
        loss = torch.nn.functional.logsigmoid(-(table(a) * table(b)).sum(-1)).sum()  # repeats rows: grads add
        opt.zero_grad()
        loss.backward()
        opt.step()
    return table.weight.detach().clone(), opt.state[table.weight]


def test_row_adam_is_sparse_adam():
    expected, expected_state = train_steps(torch.optim.SparseAdam, torch.float32)
    got, state = train_steps(RowAdam, torch.float32)  # the numba loop
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    assert state["step"] == expected_state["step"] == 20
    for key in ("exp_avg", "exp_avg_sq"):
        torch.testing.assert_close(state[key], expected_state[key], rtol=1e-4, atol=1e-7)
    # float64 takes the torch path (as on a GPU): the same operations, so the same bits
    expected64, _ = train_steps(torch.optim.SparseAdam, torch.float64)
    assert torch.equal(train_steps(RowAdam, torch.float64)[0], expected64)


def test_rows_outside_every_batch_and_their_moments_never_move():
    torch.manual_seed(0)
    before = torch.nn.Embedding(500, 16).weight.detach().clone()
    got, state = train_steps(RowAdam, torch.float32)
    assert torch.equal(got[400:], before[400:])
    assert not state["exp_avg"][400:].any() and not state["exp_avg_sq"][400:].any()
    assert not torch.equal(got[:400], before[:400])


def test_dense_gradients_are_refused():
    weight = torch.nn.Parameter(torch.ones(3, 2))
    (weight**2).sum().backward()
    with pytest.raises(RuntimeError, match="sparse gradients"):
        RowAdam([weight], lr=0.1).step()
    with pytest.raises(ValueError, match="lr"):
        RowAdam([weight], lr=0.0)
