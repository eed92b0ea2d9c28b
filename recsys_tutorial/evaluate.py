"""Evaluate: score validation pairs and compute ROC-AUC on all, seen and unseen pairs.

One policy for pairs with an unseen product, the same for every method: such a pair scores the
lowest possible value (it cannot be recommended from training data). The original's own rules — gensim
imputes the median, PyTorch keeps untrained random rows — are available to reproduce its table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

__all__ = ["auc_table", "cosine_scores"]


def cosine_scores(vectors: np.ndarray, a: np.ndarray, b: np.ndarray, batch_size: int = 1 << 18) -> np.ndarray:
    """Cosine similarity of rows a[i] and b[i], in batches (zero vectors score 0)."""
    out = np.empty(len(a), dtype=np.float64)
    for lo in range(0, len(a), batch_size):
        va = vectors[a[lo:lo + batch_size]].astype(np.float64)
        vb = vectors[b[lo:lo + batch_size]].astype(np.float64)
        norms = np.linalg.norm(va, axis=1) * np.linalg.norm(vb, axis=1)
        out[lo:lo + batch_size] = np.divide((va * vb).sum(1), norms, out=np.zeros(len(va)), where=norms > 0)
    return out


def auc_table(val: pd.DataFrame, scores: np.ndarray, known: np.ndarray | None = None,
              unseen: str = "lowest") -> dict[str, float]:
    """ROC-AUC on all pairs, seen pairs (both products in training) and unseen pairs.

    ``known[i]`` says whether the model has a trained vector for node i (default: the split's ``seen``).
    ``unseen``: ``"lowest"`` (our policy: below every seen score), ``"median"`` (gensim in the original),
    or ``"keep"`` (whatever the model returns, e.g. untrained random rows as the original's PyTorch models).
    """
    scores = np.asarray(scores, dtype=np.float64).copy()
    label = val["label"].to_numpy()
    seen = val["seen"].to_numpy() if known is None else known[val["src"].to_numpy()] & known[val["dst"].to_numpy()]
    if unseen == "lowest":
        scores[~seen] = scores[seen].min() - 1 if seen.any() else 0.0
    elif unseen == "median":
        scores[~seen] = np.median(scores[seen]) if seen.any() else 0.0
    elif unseen != "keep":
        raise ValueError(f"unseen must be 'lowest', 'median' or 'keep', got {unseen!r}")

    def auc(mask: np.ndarray) -> float:
        return float(roc_auc_score(label[mask], scores[mask])) if len(np.unique(label[mask])) == 2 else float("nan")

    return {"auc_all": auc(np.ones(len(label), bool)), "auc_seen": auc(seen), "auc_unseen": auc(~seen),
            "seen_share": float(seen.mean())}
