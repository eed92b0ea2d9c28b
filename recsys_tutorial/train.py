"""Train: one loop for every PyTorch model — epochs, learning-rate schedule, learning curve, device.

Schedules (per batch):

- ``"restarts"``: cosine annealing from ``lr`` to ~0 within each epoch, restarting at the next — what
  the original meant to do;
- ``"cosine"``: one cosine over all epochs, no restarts;
- ``"constant"``;
- ``"faithful"``: the original's code — a new ``torch.optim.lr_scheduler.CosineAnnealingLR`` built
  every epoch. On PyTorch ≥ 1.4 it picks up the optimiser's current (annealed) learning rate, so from
  the second epoch on the rate stays near 0 and nothing trains (bug B1). Kept to show it.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import roc_auc_score
from tqdm import tqdm

from recsys_tutorial import get_device
from recsys_tutorial.optim import RowAdam
from recsys_tutorial.sampling import WalkBlocks

__all__ = ["SCHEDULES", "TrainResult", "schedule_lr", "train"]

logger = logging.getLogger(__name__)

SCHEDULES = ("restarts", "cosine", "linear", "constant", "faithful")


@dataclass
class TrainResult:
    """Embeddings (numpy, rows = node ids), the trained model, the learning curve and timings."""

    embeddings: np.ndarray
    model: torch.nn.Module | None
    curve: pd.DataFrame
    seconds: float
    device: str
    epoch_start_lr: list[float] = field(default_factory=list)
    batches: int = 0

    def release_model(self) -> TrainResult:
        """Drop the model (its tables and any optimizer-sized buffers), keeping the embeddings and the curve:
        a page that trains a dozen models keeps only what it scores. Returns ``self``."""
        self.model = None
        return self


def schedule_lr(schedule: str, lr: float, batch_in_epoch: int, batches_per_epoch: int, epoch: int,
                epochs: int, min_lr: float = 0.0) -> float:
    """Learning rate of a batch under ``"restarts"``, ``"cosine"``, ``"linear"`` or ``"constant"``."""
    if schedule == "constant":
        return lr
    overall = min((epoch * batches_per_epoch + batch_in_epoch) / max(epochs * batches_per_epoch, 1), 1.0)
    if schedule == "linear":  # word2vec's own decay, over all epochs
        return lr + (min_lr - lr) * overall
    if schedule == "restarts":
        progress = min(batch_in_epoch / max(batches_per_epoch, 1), 1.0)
    elif schedule == "cosine":
        progress = overall
    else:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
    return min_lr + (lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2


def _auc(model: torch.nn.Module, pairs: pd.DataFrame | None, device: str) -> float:
    if pairs is None or len(pairs) == 0:
        return float("nan")
    model.eval()
    a = torch.as_tensor(pairs["src"].to_numpy().astype(np.int64), device=device)
    b = torch.as_tensor(pairs["dst"].to_numpy().astype(np.int64), device=device)
    scores = torch.cat([model.score(a[i:i + 65536], b[i:i + 65536]) for i in range(0, len(a), 65536)])
    model.train()
    return float(roc_auc_score(pairs["label"].to_numpy(), scores.float().cpu().numpy()))


def train(
    model: torch.nn.Module,
    batches,
    epochs: int = 1,
    lr: float = 0.01,
    schedule: str = "restarts",
    batches_per_epoch: int | None = None,
    val_pairs: pd.DataFrame | None = None,
    eval_every: int = 1000,
    device: str | None = None,
    seed: int = 0,
    num_workers: int = 0,
    progress: bool = True,
    threads: int | None = 1,
    optimizer: str = "adam",
) -> TrainResult:
    """Train ``model`` on ``batches`` (a ``PairBatches`` / ``EdgeBatches`` / ``WalkBlocks`` stream) → TrainResult.

    ``optimizer="adam"``: lazy Adam for sparse embeddings (``optim.RowAdam``: torch's ``SparseAdam`` update,
    ~2× faster on a CPU), plus Adam for any dense parameters, as the original. ``"sgd"``: word2vec's plain SGD
    through the model's hand-written ``sgd_step`` on ``WalkBlocks`` (skip-gram only; faster than gensim on a
    CPU), best with ``schedule="linear"``.
    ``val_pairs`` (with ``label``) is scored every ``eval_every`` batches and at each epoch's end for the
    learning curve. Same seed on CPU → same result.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    if optimizer == "sgd" and getattr(model, "sgd_step", None) is None:
        raise ValueError(f"{type(model).__name__} has no hand-written sgd_step; use optimizer='adam'")
    if optimizer == "sgd" and not isinstance(batches, WalkBlocks):
        raise ValueError("optimizer='sgd' steps on whole walks: pass a WalkBlocks stream")
    device = get_device(device)
    torch.manual_seed(seed)
    if device == "cpu" and threads is not None:
        torch.set_num_threads(threads)  # small sparse ops run faster on one thread than split over two
    model.to(device).train()
    sparse = [p for m in model.modules() if isinstance(m, torch.nn.Embedding) and m.sparse for p in m.parameters()]
    sparse_ids = {id(p) for p in sparse}
    dense = [p for p in model.parameters() if id(p) not in sparse_ids]
    optimizers: list[torch.optim.Optimizer] = []
    if optimizer == "sgd":
        optimizers.append(torch.optim.SGD(model.parameters(), lr=lr))  # holds the lr; sgd_step applies it
    else:
        if sparse:
            optimizers.append(RowAdam(sparse, lr=lr))
        if dense:
            optimizers.append(torch.optim.Adam(dense, lr=lr))
    if batches_per_epoch is None:
        batches_per_epoch = len(batches) if hasattr(batches, "__len__") else _count(batches)
    loader = torch.utils.data.DataLoader(batches, batch_size=None, num_workers=num_workers)
    rows, epoch_lr = [], []
    step, running, start = 0, [], time.perf_counter()
    with tqdm(total=epochs * batches_per_epoch, unit="batch", disable=not progress, desc=type(model).__name__) as bar:
        for epoch in range(epochs):
            if hasattr(batches, "set_epoch"):
                batches.set_epoch(epoch)
            faithful = ([torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=batches_per_epoch)
                         for opt in optimizers] if schedule == "faithful" else [])
            for b, batch in enumerate(loader):
                if schedule != "faithful":
                    rate = schedule_lr(schedule, lr, b, batches_per_epoch, epoch, epochs)
                    for opt in optimizers:
                        for group in opt.param_groups:
                            group["lr"] = rate
                current = optimizers[0].param_groups[0]["lr"]
                if b == 0:
                    epoch_lr.append(current)
                batch = [t.to(device, non_blocking=True) for t in batch]
                if optimizer == "sgd":
                    loss = model.sgd_step(*batch, lr=current, k=batches.k)
                else:
                    loss = model.loss(*batch)
                    for opt in optimizers:
                        opt.zero_grad(set_to_none=True)
                    loss.backward()
                    for opt in optimizers:
                        opt.step()
                if not torch.isfinite(loss):
                    raise FloatingPointError(f"loss became {loss.item()} at epoch {epoch}, batch {b}")
                for sched in faithful:
                    sched.step()
                step += 1
                running.append(loss.item())
                bar.update(1)
                if step % eval_every == 0:
                    rows.append({"epoch": epoch, "batch": step, "loss": float(np.mean(running)),
                                 "auc": _auc(model, val_pairs, device), "lr": current})
                    running = []
            rows.append({"epoch": epoch, "batch": step, "loss": float(np.mean(running)) if running else float("nan"),
                         "auc": _auc(model, val_pairs, device), "lr": optimizers[0].param_groups[0]["lr"],
                         "epoch_end": True})
            running = []
    seconds = time.perf_counter() - start
    curve = pd.DataFrame(rows)
    curve["epoch_end"] = curve.get("epoch_end", pd.Series(False, index=curve.index)).fillna(False).astype(bool)
    logger.info("%s: %d batches in %.1f s on %s", type(model).__name__, step, seconds, device)
    model.eval()
    return TrainResult(model.embeddings(), model, curve, seconds, device, epoch_lr, step)


def _count(batches) -> int:
    """Number of batches in one pass (streams without a length are counted once)."""
    return sum(1 for _ in batches)
