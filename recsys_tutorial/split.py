"""Split: hold out a third of the edges as validation positives and draw as many negatives.

The original protocol, made reproducible: one local random generator (the original reset the global
seed inside its sampling loop), deduplicated negatives, a ``seen`` flag per pair, and the seeded
learning-curve sample the original never shipped. ``negatives="degree"`` draws negatives whose
endpoint degrees match the positives', which removes the free win uniform negatives give to
popularity (see peers.md §5).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Split", "degree_negatives", "node_ids", "pair_keys", "train_val_split", "uniform_negatives"]

logger = logging.getLogger(__name__)

_MAX_ROUNDS = 64


@dataclass
class Split:
    """Train edges, validation pairs (``label`` 1/0, ``seen``) and the fixed learning-curve sample."""

    train: pd.DataFrame
    val: pd.DataFrame
    val_sample: pd.DataFrame
    num_nodes: int
    negatives: str
    seed: int

    def summary(self) -> str:
        pos = int(self.val["label"].sum())
        return (
            f"{len(self.train):,} train edges; {len(self.val):,} validation pairs ({pos:,} positive, "
            f"{len(self.val) - pos:,} {self.negatives} negatives), {self.val['seen'].mean():.1%} seen; "
            f"learning-curve sample {len(self.val_sample):,}"
        )


def pair_keys(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """One int64 key per undirected pair, min · n + max: pairs compare, sort and deduplicate as numbers."""
    lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
    return lo * n + hi


def node_ids(edges: pd.DataFrame, column: str, num_nodes: int | None = None) -> np.ndarray:
    """``edges[column]`` as node ids, or a ValueError naming the column and the first bad row.

    A NaN, negative, fractional or too-large id would be cast silently (NaN → a huge negative, 1.5 → 1) and
    invent edges; integral floats (2.0) pass. O(n), vectorised; integer columns come back unconverted.
    """
    series = edges[column]
    rule = "node ids must lie in " + (f"[0, {num_nodes})" if num_nodes is not None else "[0, n)") + " and be integers"
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        first = f"row {series.index[0]} is {series.iloc[0]!r}" if len(series) else "no rows"
        raise ValueError(f"{rule}: edges[{column!r}] has dtype {series.dtype} ({first})")
    integer = isinstance(series.dtype, np.dtype) and series.dtype.kind in "iu"  # numpy ints; nullable ones go via float
    values = series.to_numpy() if integer else series.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = values < 0 if integer else ~((values >= 0) & np.isfinite(values) & (values == np.floor(values)))
    if num_nodes is not None:
        bad |= values >= num_nodes
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{rule}: edges[{column!r}] row {series.index[i]} is {series.iloc[i]}")
    return values if values.dtype.kind == "i" else values.astype(np.int64)


def _contains(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    pos = np.searchsorted(sorted_keys, keys)
    pos[pos == len(sorted_keys)] = 0
    return sorted_keys[pos] == keys if len(sorted_keys) else np.zeros(len(keys), bool)


def _accept(keys: np.ndarray, forbidden: np.ndarray, taken: set | None, a, b) -> np.ndarray:
    """Mask of candidate pairs that are not self-pairs, not true edges and not already drawn."""
    ok = (a != b) & ~_contains(forbidden, keys)
    _, first = np.unique(keys, return_index=True)  # first occurrence in draw order wins
    unique_first = np.zeros(len(keys), bool)
    unique_first[first] = True
    ok &= unique_first
    if taken:
        ok &= ~np.fromiter((k in taken for k in keys.tolist()), bool, len(keys))
    return ok


def uniform_negatives(rng: np.random.Generator, candidates: np.ndarray, need: int, forbidden: np.ndarray,
                      n: int) -> tuple[np.ndarray, np.ndarray]:
    """``need`` distinct non-edge pairs with both ends drawn uniformly from ``candidates``; ``forbidden`` holds
    the sorted ``pair_keys`` they must avoid. Raises RuntimeError when the candidates cannot supply them."""
    src_parts, dst_parts = [], []
    taken: set[int] = set()
    got = 0
    for _ in range(_MAX_ROUNDS):
        draw = int((need - got) * 1.2) + 16
        a = candidates[rng.integers(0, len(candidates), draw)]
        b = candidates[rng.integers(0, len(candidates), draw)]
        keys = pair_keys(a, b, n)
        ok = _accept(keys, forbidden, taken, a, b)
        idx = np.flatnonzero(ok)[: need - got]
        src_parts.append(a[idx])
        dst_parts.append(b[idx])
        taken.update(keys[idx].tolist())
        got += len(idx)
        if got == need:
            break
    else:
        raise RuntimeError(f"could only draw {got:,} of {need:,} negatives: the graph is too dense")
    return np.concatenate(src_parts), np.concatenate(dst_parts)


def _degree_bucket(degree: np.ndarray) -> np.ndarray:
    """Exact degree below 16, then quarter-octave bins: fine where most nodes are, coarse in the tail."""
    d = degree.astype(np.float64)
    return np.where(d < 16, d, 16 + np.floor(4 * np.log2(np.maximum(d, 16) / 16))).astype(np.int64)


def degree_negatives(rng: np.random.Generator, pos_src: np.ndarray, pos_dst: np.ndarray, degree: np.ndarray,
                     forbidden: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For each positive (u, v), a non-edge (a, b) with deg(a) ~ deg(u) and deg(b) ~ deg(v) (same bucket)."""
    bucket = _degree_bucket(degree)
    order = np.argsort(bucket, kind="stable")
    counts = np.bincount(bucket)
    start = np.cumsum(counts) - counts

    def same_bucket(nodes: np.ndarray) -> np.ndarray:
        bk = bucket[nodes]
        return order[start[bk] + (rng.random(len(nodes)) * counts[bk]).astype(np.int64)]

    need = len(pos_src)
    out_a = np.full(need, -1, np.int64)
    out_b = np.full(need, -1, np.int64)
    todo = np.arange(need)
    taken: set[int] = set()
    for _ in range(_MAX_ROUNDS):
        a, b = same_bucket(pos_src[todo]), same_bucket(pos_dst[todo])
        keys = pair_keys(a, b, n)
        ok = _accept(keys, forbidden, taken, a, b)
        out_a[todo[ok]], out_b[todo[ok]] = a[ok], b[ok]
        taken.update(keys[ok].tolist())
        todo = todo[~ok]
        if not len(todo):
            break
    if len(todo):  # tiny buckets can run out of non-edges; widen to uniform over all nodes, and say so
        logger.warning("%d of %d degree-matched negatives fell back to uniform draws", len(todo), need)
        a, b = uniform_negatives(rng, np.arange(n), len(todo), np.sort(np.concatenate(
            [forbidden, np.fromiter(taken, np.int64, len(taken))])), n)
        out_a[todo], out_b[todo] = a, b
    return out_a, out_b


def train_val_split(
    edges: pd.DataFrame,
    val_frac: float = 0.33,
    seed: int = 42,
    negatives: str = "uniform",
    num_nodes: int | None = None,
    sample_size: int = 100_000,
) -> Split:
    """Hold out ``val_frac`` of the edges as positives, add as many negatives, flag ``seen`` pairs.

    ``negatives="uniform"``: pairs drawn uniformly among validation products (the original protocol);
    ``"degree"``: each negative's endpoint train-degrees match a positive's. Negatives are never a true
    edge (train or validation), never a self-pair, never repeated. Same seed → same split.
    """
    if not 0 < val_frac < 1:
        raise ValueError(f"val_frac must be in (0, 1), got {val_frac}")
    if negatives not in ("uniform", "degree"):
        raise ValueError(f"negatives must be 'uniform' or 'degree', got {negatives!r}")
    src = node_ids(edges, "src", num_nodes).astype(np.int64)
    dst = node_ids(edges, "dst", num_nodes).astype(np.int64)
    if len(src) < 2:
        raise ValueError("need at least two edges to split")
    if (src == dst).any():
        raise ValueError(f"edges contain {(src == dst).sum()} self-pairs; build_edges drops them")
    n = int(num_nodes if num_nodes is not None else max(src.max(), dst.max()) + 1)
    keys = pair_keys(src, dst, n)
    forbidden = np.sort(keys)
    if (np.diff(forbidden) == 0).any():
        raise ValueError("edges contain duplicate undirected pairs; sum their weights first (build_edges does)")
    n_val = int(val_frac * len(src))
    if n_val < 1:
        raise ValueError(f"val_frac={val_frac:g} holds out no edge of {len(src)} (val_frac × edges = "
                         f"{val_frac * len(src):.3g} < 1): use a larger val_frac or a graph with more edges")

    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(src))
    val_idx, train_idx = np.sort(perm[:n_val]), np.sort(perm[n_val:])
    train = edges.iloc[train_idx].reset_index(drop=True)
    degree = np.bincount(np.concatenate([src[train_idx], dst[train_idx]]), minlength=n)

    pos_src, pos_dst = src[val_idx], dst[val_idx]
    if negatives == "uniform":
        candidates = np.unique(np.concatenate([pos_src, pos_dst]))
        try:
            neg_src, neg_dst = uniform_negatives(rng, candidates, n_val, forbidden, n)
        except RuntimeError:  # tiny or near-complete validation graphs: widen to every product, and say so
            logger.warning("validation products cannot supply %d negatives; drawing among all products", n_val)
            neg_src, neg_dst = uniform_negatives(rng, np.arange(n), n_val, forbidden, n)
    else:
        neg_src, neg_dst = degree_negatives(rng, pos_src, pos_dst, degree, forbidden, n)

    all_src = np.concatenate([pos_src, neg_src]).astype(np.int32)
    all_dst = np.concatenate([pos_dst, neg_dst]).astype(np.int32)
    val = pd.DataFrame(
        {
            "src": all_src,
            "dst": all_dst,
            "label": np.concatenate([np.ones(n_val, np.int8), np.zeros(n_val, np.int8)]),
            "seen": (degree[all_src] > 0) & (degree[all_dst] > 0),
        }
    )
    sample_rng = np.random.default_rng([seed, 1])
    take = np.sort(sample_rng.choice(len(val), size=min(sample_size, len(val)), replace=False))
    split = Split(train=train, val=val, val_sample=val.iloc[take].reset_index(drop=True), num_nodes=n,
                  negatives=negatives, seed=seed)
    logger.info("%s", split.summary())
    return split
