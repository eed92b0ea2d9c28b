"""recsys_tutorial: item-to-item recommendation from product graphs.

The package does the work the book narrates: parse Amazon metadata, build a weighted product graph,
split it, walk it, learn embeddings (matrix factorization, word2vec, skip-gram with side information)
and evaluate them. Library code logs through :mod:`logging` and never prints.
"""

from __future__ import annotations

import logging
import os
import random

import numpy as np

__version__ = "0.1.0"
__all__ = ["__version__", "get_device", "seed_everything"]

logging.getLogger(__name__).addHandler(logging.NullHandler())
logger = logging.getLogger(__name__)

_DEVICES = ("cuda", "mps", "cpu")


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python, NumPy and (if installed) PyTorch; return a NumPy Generator for explicit use.

    Package functions take their own ``seed`` arguments; this exists for notebook code and for
    libraries that read global state (PyTorch initialisers, DataLoader shuffling).
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - seeding legacy global state on purpose
    os.environ["PYTHONHASHSEED"] = str(seed)  # takes effect in child processes (gensim workers, kernels)
    try:
        import torch
    except ImportError:  # torch is a dependency, but seeding should not be the place that fails
        logger.debug("torch not importable; seeded Python and NumPy only")
    else:
        torch.manual_seed(seed)
        if torch.cuda.is_available():
            torch.cuda.manual_seed_all(seed)
    return np.random.default_rng(seed)


def get_device(preferred: str | None = None) -> str:
    """Resolve the torch device: ``preferred``, else ``$RECSYS_DEVICE``, else cuda > mps > cpu.

    ``"auto"`` (or ``None``) means pick the best available. Asking for a device that is not
    available raises instead of silently falling back, so a notebook never claims a GPU run it didn't do.
    """
    choice = preferred if preferred not in (None, "", "auto") else os.environ.get("RECSYS_DEVICE", "auto")
    choice = (choice or "auto").strip().lower()
    import torch

    available = {
        "cuda": torch.cuda.is_available(),
        "mps": bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()),
        "cpu": True,
    }
    if choice == "auto":
        device = next(name for name in _DEVICES if available[name])
        logger.info("device auto-detected: %s", device)
        return device
    base = choice.split(":", 1)[0]
    if base not in available:
        raise ValueError(f"unknown device {choice!r}; use one of auto, cuda, cuda:N, mps, cpu")
    if not available[base]:
        raise RuntimeError(f"device {choice!r} was requested but is not available on this machine")
    if base == "cuda" and ":" in choice:
        index = int(choice.split(":", 1)[1])
        if index >= torch.cuda.device_count():
            raise RuntimeError(f"{choice!r} requested but only {torch.cuda.device_count()} CUDA device(s) exist")
    return choice
