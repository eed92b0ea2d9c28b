"""Evaluate: score validation pairs, compare methods with heuristics, rank held-out neighbours.

One policy for pairs with an unseen product, the same for every method: such a pair scores the
lowest possible value (it cannot be recommended from training data). The original's own rules — gensim
imputes the median, PyTorch keeps untrained random rows — are available to reproduce its table.

Beyond the original's ROC-AUC on uniform negatives (original-work.md B5, B7; peers.md §5):

- link-prediction heuristics from the **train** graph (preferential attachment, common neighbours,
  Jaccard, Adamic-Adar), on the unweighted edge set: edge weights are ignored;
- AUC against **degree-matched** negatives, which take away the free win uniform negatives give to
  popularity: ``evaluation_pairs`` + ``method_report`` give one tidy row per method;
- recall@k and NDCG@k of held-out neighbours for sampled query products (``ranking_metrics``);
- the node2vec paper's link-prediction protocol on any edge list (``node2vec_protocol`` and the
  command line ``python -m recsys_tutorial.evaluate node2vec-protocol EDGES.txt``).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import minimum_spanning_tree
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from recsys_tutorial.edges import WEIGHT_RANGE, WEIGHT_RULE, weight_problem
from recsys_tutorial.recommend import best_k
from recsys_tutorial.split import Split, degree_negatives, pair_keys, uniform_negatives

__all__ = [
    "HEURISTICS",
    "OPERATORS",
    "EdgeListReport",
    "ProtocolResult",
    "adamic_adar",
    "adjacency",
    "auc_table",
    "common_neighbours",
    "connected_removal",
    "cosine_scorer",
    "cosine_scores",
    "degree_matched_negatives",
    "dot_scorer",
    "dot_scores",
    "edge_features",
    "evaluation_pairs",
    "heuristic_reports",
    "heuristic_scorer",
    "heuristic_scores",
    "item_knn",
    "jaccard",
    "main",
    "method_report",
    "node2vec_protocol",
    "preferential_attachment",
    "ranking_metrics",
    "read_edge_list",
    "walk_embedder",
]

#: Link-prediction heuristics, in the order the tables show them.
HEURISTICS = ("common_neighbours", "jaccard", "adamic_adar", "preferential_attachment", "item_knn")
#: The node2vec paper's binary operators turning two node vectors into one edge feature vector.
OPERATORS = ("average", "hadamard", "weighted_l1", "weighted_l2")

Scores = np.ndarray | Callable[[np.ndarray, np.ndarray], np.ndarray]
Graph = pd.DataFrame | sparse.csr_matrix


def cosine_scores(vectors: np.ndarray, a: np.ndarray, b: np.ndarray, batch_size: int = 1 << 12) -> np.ndarray:
    """Cosine similarity of rows a[i] and b[i], in batches (zero vectors score 0).

    Small batches stay in cache (≈ 4x faster than 2^18 rows); the result does not depend on the batch size.
    """
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


# ----------------------------------------------------------------------------------------------------
# Heuristics on the (unweighted) train graph
# ----------------------------------------------------------------------------------------------------


def adjacency(edges: pd.DataFrame, num_nodes: int) -> sparse.csr_matrix:
    """Symmetric 0/1 CSR adjacency of the edge set (``src``, ``dst``): weights, repeats and self-pairs dropped."""
    src = edges["src"].to_numpy().astype(np.int64)
    dst = edges["dst"].to_numpy().astype(np.int64)
    keep = src != dst
    rows = np.concatenate([src[keep], dst[keep]])
    cols = np.concatenate([dst[keep], src[keep]])
    adj = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(num_nodes, num_nodes))
    adj.sum_duplicates()
    adj.data[:] = 1.0
    adj.sort_indices()
    return adj


def _as_adjacency(graph: Graph, num_nodes: int | None = None) -> sparse.csr_matrix:
    if sparse.issparse(graph):
        return graph.tocsr()
    if num_nodes is None:
        raise ValueError("num_nodes is needed to build the adjacency from an edge frame")
    return adjacency(graph, num_nodes)


def _degree(adj: sparse.csr_matrix) -> np.ndarray:
    return np.diff(adj.indptr).astype(np.float64)


def _adamic_adar_weights(degree: np.ndarray) -> np.ndarray:
    """1 / log(deg) per node; 0 for degree ≤ 1 (such a node is never a common neighbour of two distinct nodes)."""
    return np.divide(1.0, np.log(np.maximum(degree, 1.0)), out=np.zeros(len(degree)), where=degree > 1)


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _common_kernel(indptr, indices, weight, src, dst, count, weighted):
    """Per pair: number of common neighbours and the sum of their weights (sorted-row intersection).

    Merges the two rows when their sizes are close, else binary-searches the short row's entries in the
    long one, so a hub costs O(short × log long), not O(hub degree), per pair.
    """
    for i in numba.prange(len(src)):
        a0, a1 = indptr[src[i]], indptr[src[i] + 1]
        b0, b1 = indptr[dst[i]], indptr[dst[i] + 1]
        if a1 - a0 > b1 - b0:
            a0, a1, b0, b1 = b0, b1, a0, a1
        c = 0
        s = 0.0
        if (a1 - a0) * 16 < b1 - b0:
            lo = b0
            for j in range(a0, a1):
                x = indices[j]
                hi = b1
                while lo < hi:
                    mid = (lo + hi) >> 1
                    if indices[mid] < x:
                        lo = mid + 1
                    else:
                        hi = mid
                if lo < b1 and indices[lo] == x:
                    c += 1
                    s += weight[x]
                    lo += 1
        else:
            j, k = a0, b0
            while j < a1 and k < b1:
                x, y = indices[j], indices[k]
                if x == y:
                    c += 1
                    s += weight[x]
                    j += 1
                    k += 1
                elif x < y:
                    j += 1
                else:
                    k += 1
        count[i] = c
        weighted[i] = s


def _common(adj: sparse.csr_matrix, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Common-neighbour counts and Adamic-Adar sums of (src[i], dst[i]) in one pass."""
    src, dst = _pairs(src, dst, adj.shape[0])
    count = np.empty(len(src), np.float64)
    weighted = np.empty(len(src), np.float64)
    weight = _adamic_adar_weights(_degree(adj))
    _common_kernel(adj.indptr.astype(np.int64), adj.indices.astype(np.int32), weight, src, dst, count, weighted)
    return count, weighted


def _pairs(src: np.ndarray, dst: np.ndarray, num_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    src, dst = np.asarray(src, np.int64), np.asarray(dst, np.int64)
    if src.shape != dst.shape or src.ndim != 1:
        raise ValueError("src and dst must be 1-d arrays of the same length")
    if len(src) and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= num_nodes):
        raise ValueError(f"node ids must lie in [0, {num_nodes})")
    return src, dst


def preferential_attachment(adj: sparse.csr_matrix, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """deg(u) · deg(v): pure popularity, the baseline uniform negatives flatter most."""
    src, dst = _pairs(src, dst, adj.shape[0])
    degree = _degree(adj)
    return degree[src] * degree[dst]


def common_neighbours(adj: sparse.csr_matrix, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """|N(u) ∩ N(v)|: products bought with both."""
    return _common(adj, src, dst)[0]


def jaccard(adj: sparse.csr_matrix, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """|N(u) ∩ N(v)| / |N(u) ∪ N(v)| (0 when both are isolated): common neighbours, discounted for popularity."""
    count = _common(adj, src, dst)[0]
    return _jaccard_from(count, *_pairs(src, dst, adj.shape[0]), _degree(adj))


def _jaccard_from(count: np.ndarray, src: np.ndarray, dst: np.ndarray, degree: np.ndarray) -> np.ndarray:
    union = degree[src] + degree[dst] - count
    return np.divide(count, union, out=np.zeros(len(count)), where=union > 0)


def item_knn(adj: sparse.csr_matrix, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Cosine of the two products' adjacency rows, |N(u) ∩ N(v)| / √(deg u · deg v): classic item-kNN, where
    each product's co-purchase list plays the user's basket (0 when either is isolated)."""
    count = _common(adj, src, dst)[0]
    return _cosine_from(count, *_pairs(src, dst, adj.shape[0]), _degree(adj))


def _cosine_from(count: np.ndarray, src: np.ndarray, dst: np.ndarray, degree: np.ndarray) -> np.ndarray:
    norm = np.sqrt(degree[src] * degree[dst])
    return np.divide(count, norm, out=np.zeros(len(count)), where=norm > 0)


def adamic_adar(adj: sparse.csr_matrix, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Σ 1 / log deg(w) over common neighbours w: a shared niche product counts more than a shared hub."""
    return _common(adj, src, dst)[1]


def heuristic_scores(graph: Graph, num_nodes: int | None, src: np.ndarray, dst: np.ndarray) -> dict[str, np.ndarray]:
    """Every heuristic (``HEURISTICS``) for pairs (src[i], dst[i]) on the train graph, unweighted.

    ``graph`` is the train edge frame (with ``num_nodes``) or an ``adjacency`` matrix; one intersection pass.
    """
    adj = _as_adjacency(graph, num_nodes)
    src, dst = _pairs(src, dst, adj.shape[0])
    degree = _degree(adj)
    count, weighted = _common(adj, src, dst)
    return {"common_neighbours": count, "jaccard": _jaccard_from(count, src, dst, degree), "adamic_adar": weighted,
            "preferential_attachment": degree[src] * degree[dst], "item_knn": _cosine_from(count, src, dst, degree)}


# ----------------------------------------------------------------------------------------------------
# Degree-matched negatives and one report row per method
# ----------------------------------------------------------------------------------------------------


def _sorted_keys(src: np.ndarray, dst: np.ndarray, n: int) -> np.ndarray:
    return np.unique(pair_keys(np.asarray(src, np.int64), np.asarray(dst, np.int64), n))


def degree_matched_negatives(pos_src: np.ndarray, pos_dst: np.ndarray, train_edges: pd.DataFrame, num_nodes: int,
                             seed: int = 0, exclude: pd.DataFrame | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One non-edge per positive (u, v) whose endpoints' train degrees fall in the buckets of deg(u), deg(v).

    The buckets are the split's (exact below 16, quarter octaves above). Negatives are never a train edge,
    a positive, a pair in ``exclude``, a self-pair or repeated; tiny buckets fall back to uniform draws.
    """
    pos_src, pos_dst = _pairs(pos_src, pos_dst, num_nodes)
    t_src = train_edges["src"].to_numpy().astype(np.int64)
    t_dst = train_edges["dst"].to_numpy().astype(np.int64)
    parts_src, parts_dst = [t_src, pos_src], [t_dst, pos_dst]
    if exclude is not None:
        parts_src.append(exclude["src"].to_numpy().astype(np.int64))
        parts_dst.append(exclude["dst"].to_numpy().astype(np.int64))
    forbidden = _sorted_keys(np.concatenate(parts_src), np.concatenate(parts_dst), num_nodes)
    degree = np.bincount(np.concatenate([t_src, t_dst]), minlength=num_nodes)
    rng = np.random.default_rng(seed)
    return degree_negatives(rng, pos_src, pos_dst, degree, forbidden, num_nodes)


def evaluation_pairs(split: Split, seed: int = 0,
                     degree_negatives: tuple[np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    """Validation positives with uniform and degree-matched negatives, ``kind`` saying which is which.

    Columns ``src, dst, label, seen, kind`` with kind ∈ {positive, uniform, degree}: positives + uniform
    negatives are the original protocol, positives + degree negatives the degree-corrected one. The split's
    own negatives are reused; the other kind is drawn (seeded), or ``degree_negatives`` are taken as given.
    """
    val = split.val
    pos = val[val["label"] == 1]
    own = val[val["label"] == 0]
    n = split.num_nodes
    rng = np.random.default_rng([seed, 3])
    pos_src = pos["src"].to_numpy().astype(np.int64)
    pos_dst = pos["dst"].to_numpy().astype(np.int64)
    if split.negatives == "degree" and degree_negatives is None:
        degree_negatives = (own["src"].to_numpy(), own["dst"].to_numpy())
    if split.negatives == "uniform":
        uniform = (own["src"].to_numpy(), own["dst"].to_numpy())
    else:  # the same draw the uniform split makes: pairs among validation products, no true edge
        forbidden = _sorted_keys(np.concatenate([split.train["src"], pos_src]),
                                 np.concatenate([split.train["dst"], pos_dst]), n)
        candidates = np.unique(np.concatenate([pos_src, pos_dst]))
        try:
            uniform = uniform_negatives(rng, candidates, len(pos), forbidden, n)
        except RuntimeError:
            uniform = uniform_negatives(rng, np.arange(n), len(pos), forbidden, n)
    if degree_negatives is None:
        degree_negatives = degree_matched_negatives(pos_src, pos_dst, split.train, n, seed=seed)
    degree = np.bincount(np.concatenate([split.train["src"], split.train["dst"]]), minlength=n)
    parts = []
    for kind, (a, b) in (("positive", (pos_src, pos_dst)), ("uniform", uniform), ("degree", degree_negatives)):
        a, b = np.asarray(a, np.int32), np.asarray(b, np.int32)
        parts.append(pd.DataFrame({"src": a, "dst": b, "label": np.int8(kind == "positive"),
                                   "seen": (degree[a] > 0) & (degree[b] > 0), "kind": kind}))
    pairs = pd.concat(parts, ignore_index=True)
    pairs["label"] = pairs["label"].astype(np.int8)
    pairs["kind"] = pd.Categorical(pairs["kind"], categories=["positive", "uniform", "degree"])
    return pairs


def method_report(name: str, scores: Scores, pairs: pd.DataFrame, known: np.ndarray | None = None,
                  unseen: str = "lowest") -> pd.DataFrame:
    """One tidy row: AUC on all, seen and unseen pairs (uniform negatives) and against degree-matched negatives.

    ``scores``: an array aligned with ``pairs`` or a function ``(src, dst) -> scores``. ``known`` and
    ``unseen`` as in ``auc_table`` (default policy: pairs with an unseen product score lowest).
    Without a ``kind`` column (e.g. a split's ``val``) all negatives count as uniform.
    """
    src, dst = pairs["src"].to_numpy(), pairs["dst"].to_numpy()
    values = np.asarray(scores(src, dst) if callable(scores) else scores, dtype=np.float64)
    if len(values) != len(pairs):
        raise ValueError(f"{len(values):,} scores for {len(pairs):,} pairs")
    kind = pairs["kind"].to_numpy() if "kind" in pairs else np.where(pairs["label"].to_numpy() == 1, "positive",
                                                                       "uniform")
    uni = kind != "degree"
    deg = kind != "uniform"
    table = auc_table(pairs[uni], values[uni], known, unseen)
    row = {"method": name, "auc_all": table["auc_all"], "auc_seen": table["auc_seen"],
           "auc_unseen": table["auc_unseen"], "auc_degree_matched": float("nan"),
           "auc_degree_matched_seen": float("nan"), "seen_share": table["seen_share"]}
    if (kind == "degree").any():
        degree_table = auc_table(pairs[deg], values[deg], known, unseen)
        row.update(auc_degree_matched=degree_table["auc_all"], auc_degree_matched_seen=degree_table["auc_seen"])
    return pd.DataFrame([row])


def heuristic_reports(split: Split, pairs: pd.DataFrame) -> pd.DataFrame:
    """``method_report`` rows of the four heuristics, computed from the split's train graph."""
    scores = heuristic_scores(split.train, split.num_nodes, pairs["src"].to_numpy(), pairs["dst"].to_numpy())
    return pd.concat([method_report(name, scores[name], pairs) for name in HEURISTICS], ignore_index=True)


# ----------------------------------------------------------------------------------------------------
# Ranking: recall@k and NDCG@k of held-out neighbours
# ----------------------------------------------------------------------------------------------------


def cosine_scorer(vectors: np.ndarray, known: np.ndarray | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """Rows of cosine scores of query products against every product, for ``ranking_metrics``.

    Products without a vector (zero row, or ``known`` False) score -inf: the lowest, as in ``auc_table``.
    """
    vectors = np.asarray(vectors, dtype=np.float32)  # no normalised copy: a notebook holds a dozen scorers
    norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors, dtype=np.float64))
    inverse = 1.0 / np.where(norms > 0, norms, 1.0)
    usable = norms > 0 if known is None else np.asarray(known, bool) & (norms > 0)

    def score(queries: np.ndarray) -> np.ndarray:
        rows = (vectors[queries] @ vectors.T).astype(np.float64)
        rows *= inverse[queries][:, None]
        rows *= inverse[None, :]
        rows[:, ~usable] = -np.inf
        rows[~usable[queries]] = -np.inf
        return rows

    return score


def dot_scores(vectors: np.ndarray, a: np.ndarray, b: np.ndarray, bias: np.ndarray | None = None,
               batch_size: int = 1 << 12) -> np.ndarray:
    """MF's score of pairs (a[i], b[i]): the dot product plus both products' biases, in batches.

    This is the logit; the sigmoid MF applies on top changes neither AUC nor rankings.
    """
    out = np.empty(len(a), dtype=np.float64)
    for lo in range(0, len(a), batch_size):
        ia, ib = a[lo:lo + batch_size], b[lo:lo + batch_size]
        out[lo:lo + batch_size] = (vectors[ia].astype(np.float64) * vectors[ib]).sum(1)
        if bias is not None:
            out[lo:lo + batch_size] += bias[ia] + bias[ib]
    return out


def dot_scorer(vectors: np.ndarray, bias: np.ndarray | None = None,
               known: np.ndarray | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """Rows of MF scores (dot product + biases) of query products against every product, for ``ranking_metrics``.

    Products where ``known`` is False score -inf, as in ``cosine_scorer``.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    bias = np.zeros(len(vectors)) if bias is None else np.asarray(bias, dtype=np.float64).ravel()
    usable = np.ones(len(vectors), bool) if known is None else np.asarray(known, bool)

    def score(queries: np.ndarray) -> np.ndarray:
        rows = (vectors[queries] @ vectors.T).astype(np.float64) + bias[queries][:, None] + bias[None, :]
        rows[:, ~usable] = -np.inf
        rows[~usable[queries]] = -np.inf
        return rows

    return score


def heuristic_scorer(graph: Graph, num_nodes: int | None, name: str) -> Callable[[np.ndarray], np.ndarray]:
    """Rows of one heuristic's scores of query products against every product, for ``ranking_metrics``.

    ``preferential_attachment`` ranks every query's candidates by degree: the popularity baseline.
    """
    if name not in HEURISTICS:
        raise ValueError(f"name must be one of {HEURISTICS}, got {name!r}")
    adj = _as_adjacency(graph, num_nodes)
    degree = _degree(adj)
    if name == "preferential_attachment":
        return lambda queries: np.outer(degree[queries], degree)
    if name == "adamic_adar":
        weighted = (sparse.diags(_adamic_adar_weights(degree)) @ adj).tocsr()
        return lambda queries: (adj[queries] @ weighted).toarray()

    def score(queries: np.ndarray) -> np.ndarray:
        count = (adj[queries] @ adj).toarray()
        if name == "common_neighbours":
            return count
        if name == "item_knn":
            norm = np.sqrt(degree[queries][:, None] * degree[None, :])
            return np.divide(count, norm, out=np.zeros_like(count), where=norm > 0)
        union = degree[queries][:, None] + degree[None, :] - count
        return np.divide(count, union, out=np.zeros_like(count), where=union > 0)

    return score


def ranking_metrics(scorer: np.ndarray | Callable[[np.ndarray], np.ndarray], split: Split,
                    ks: Sequence[int] = (10, 100), num_queries: int = 1000, seed: int = 0,
                    rows_per_chunk: int | None = None) -> dict[str, float]:
    """Mean recall@k and NDCG@k of each sampled query's held-out validation neighbours, exact top-k.

    Queries: up to ``num_queries`` products (seeded sample) in the train graph with ≥ 1 validation positive.
    Candidates: every product except the query itself and its **train** neighbours (recommending a known
    co-purchase is no test). ``scorer`` is a vector matrix (cosine, see ``cosine_scorer``) or a function
    ``queries -> (len(queries), num_nodes)`` score rows; -inf marks a product that cannot be recommended and
    never counts as a hit. Recall@k = hits in the top k / held-out neighbours; NDCG@k uses binary gains.
    Equal scores go to the lower product id (``recommend.best_k``, the package's one top-k).
    """
    if not ks or min(ks) < 1:
        raise ValueError(f"ks must be positive, got {ks}")
    if isinstance(scorer, np.ndarray):
        scorer = cosine_scorer(scorer)
    n = split.num_nodes
    adj = adjacency(split.train, n)
    relevant = adjacency(split.val[split.val["label"] == 1], n)
    relevant_keys = np.repeat(np.arange(n, dtype=np.int64), np.diff(relevant.indptr)) * n + relevant.indices
    num_relevant = np.diff(relevant.indptr)
    eligible = np.flatnonzero((num_relevant > 0) & (np.diff(adj.indptr) > 0))
    rng = np.random.default_rng(seed)
    queries = np.sort(rng.choice(eligible, size=min(num_queries, len(eligible)), replace=False))
    kmax = min(max(ks), n)
    discount = 1.0 / np.log2(np.arange(kmax) + 2.0)
    ideal = np.cumsum(discount)
    chunk = rows_per_chunk or max(1, (1 << 23) // max(n, 1))
    recall: dict[int, list[np.ndarray]] = {k: [] for k in ks}
    ndcg: dict[int, list[np.ndarray]] = {k: [] for k in ks}
    for lo in range(0, len(queries), chunk):
        q = queries[lo:lo + chunk]
        rows = np.array(scorer(q), dtype=np.float64)
        if rows.shape != (len(q), n):
            raise ValueError(f"scorer returned shape {rows.shape}, expected {(len(q), n)}")
        sub = adj[q]
        rows[np.repeat(np.arange(len(q)), np.diff(sub.indptr)), sub.indices] = -np.inf
        rows[np.arange(len(q)), q] = -np.inf
        top, _ = best_k(rows, kmax)  # the package's one top-k: ties go to the lower id
        keys = q[:, None].astype(np.int64) * n + top
        pos = np.searchsorted(relevant_keys, keys).clip(0, len(relevant_keys) - 1)
        hit = (relevant_keys[pos] == keys) & np.isfinite(np.take_along_axis(rows, top, 1))
        nrel = num_relevant[q]
        for k in ks:
            kk = min(k, kmax)
            recall[k].append(hit[:, :kk].sum(1) / nrel)
            ndcg[k].append((hit[:, :kk] * discount[:kk]).sum(1) / ideal[np.minimum(nrel, kk) - 1])
    out: dict[str, float] = {"queries": float(len(queries))}
    for k in ks:
        out[f"recall@{k}"] = float(np.concatenate(recall[k]).mean()) if len(queries) else float("nan")
        out[f"ndcg@{k}"] = float(np.concatenate(ndcg[k]).mean()) if len(queries) else float("nan")
    return out


# ----------------------------------------------------------------------------------------------------
# The node2vec paper's link-prediction protocol
# ----------------------------------------------------------------------------------------------------


def _edge_arrays(edges: pd.DataFrame, num_nodes: int | None) -> tuple[np.ndarray, np.ndarray, int]:
    src = edges["src"].to_numpy().astype(np.int64)
    dst = edges["dst"].to_numpy().astype(np.int64)
    if not len(src):
        raise ValueError("no edges")
    n = int(num_nodes if num_nodes is not None else max(src.max(), dst.max()) + 1)
    src, dst = _pairs(src, dst, n)
    if (src == dst).any():
        raise ValueError(f"edges contain {(src == dst).sum()} self-pairs")
    if len(np.unique(pair_keys(src, dst, n))) < len(src):
        raise ValueError("edges contain duplicate undirected pairs")
    return src, dst, n


def connected_removal(edges: pd.DataFrame, num_nodes: int | None = None, frac: float = 0.5,
                      seed: int = 0) -> np.ndarray:
    """Mask of ``frac`` of the edges, chosen at random, whose removal leaves every connected component connected.

    A random spanning forest (Kruskal on a random edge order) stays; removals are drawn from the other
    edges only. If fewer than ``frac`` of the edges lie outside the forest, all of those are removed
    (check ``mask.mean()``).
    """
    if not 0 < frac < 1:
        raise ValueError(f"frac must be in (0, 1), got {frac}")
    src, dst, n = _edge_arrays(edges, num_nodes)
    rng = np.random.default_rng([seed, 5])
    rank = rng.permutation(len(src)) + 1.0  # distinct weights: the MST is the forest of that edge order
    tree = minimum_spanning_tree(sparse.csr_matrix((rank, (src, dst)), shape=(n, n)))
    in_tree = np.zeros(len(src), bool)
    in_tree[np.argsort(rank)[tree.data.astype(np.int64) - 1]] = True
    removable = np.flatnonzero(~in_tree)
    take = min(round(frac * len(src)), len(removable))
    removed = np.zeros(len(src), bool)
    removed[rng.choice(removable, size=take, replace=False)] = True
    return removed


def edge_features(vectors: np.ndarray, src: np.ndarray, dst: np.ndarray, operator: str) -> np.ndarray:
    """The node2vec paper's edge features from node vectors: average, Hadamard, weighted-L1 or weighted-L2."""
    a = np.asarray(vectors[src], np.float64)
    b = np.asarray(vectors[dst], np.float64)
    if operator == "average":
        return (a + b) / 2
    if operator == "hadamard":
        return a * b
    if operator == "weighted_l1":
        return np.abs(a - b)
    if operator == "weighted_l2":
        return (a - b) ** 2
    raise ValueError(f"operator must be one of {OPERATORS}, got {operator!r}")


def walk_embedder(p: float = 1.0, q: float = 1.0, dim: int = 128, num_walks: int = 10, walk_length: int = 80,
                  window: int = 10, seed: int = 0, workers: int = 1,
                  epochs: int = 1) -> Callable[[pd.DataFrame, int], np.ndarray]:
    """``embed_fn`` for ``node2vec_protocol``: our walks (node2vec p, q) + gensim skip-gram with negative sampling.

    Defaults are the node2vec paper's: r = 10 walks per node, l = 80, window 10, d = 128, one epoch.
    Same seed → same walks; gensim is exactly repeatable with ``workers=1`` and a fixed ``PYTHONHASHSEED``.
    """
    from recsys_tutorial.w2v import train_word2vec
    from recsys_tutorial.walks import ProductGraph, random_walks

    def embed(edges: pd.DataFrame, num_nodes: int) -> np.ndarray:
        graph = ProductGraph.from_edges(edges, num_nodes)
        walks = random_walks(graph, num_walks, walk_length, p=p, q=q, seed=seed, progress=False)
        return train_word2vec(walks, num_nodes, sg=1, vector_size=dim, window=window, negative=5, sample=1e-3,
                              epochs=epochs, workers=workers, seed=seed).vectors

    return embed


@dataclass
class ProtocolResult:
    """Test AUC per edge operator (embeddings + logistic regression) and per heuristic, and the split's sizes."""

    operator_auc: dict[str, float]
    heuristic_auc: dict[str, float]
    removed_fraction: float
    num_nodes: int
    num_edges: int
    train_pairs: int
    test_pairs: int

    def table(self) -> pd.DataFrame:
        rows = [("embedding", name, auc) for name, auc in self.operator_auc.items()]
        rows += [("heuristic", name, auc) for name, auc in self.heuristic_auc.items()]
        return pd.DataFrame(rows, columns=["kind", "method", "auc"])


def node2vec_protocol(edges: pd.DataFrame, embed_fn: Callable[[pd.DataFrame, int], np.ndarray] | None = None,
                      seed: int = 0, num_nodes: int | None = None, remove_frac: float = 0.5) -> ProtocolResult:
    """The node2vec paper's link prediction: hide 50 % of the edges (residual stays connected), then classify.

    Positives to predict: the removed edges; negatives: as many random non-edges of the full graph.
    ``embed_fn(residual_edges, num_nodes) -> vectors`` embeds the residual graph (default ``walk_embedder``).
    A logistic regression per operator (standardised features, L2) is trained on the residual edges + as
    many non-edges, and tested on the removed edges + fresh non-edges (disjoint from the training ones).
    The heuristics are computed on the residual graph and scored on the same test pairs.
    """
    src, dst, n = _edge_arrays(edges, num_nodes)
    embed_fn = embed_fn or walk_embedder(seed=seed)
    removed = connected_removal(edges, n, remove_frac, seed)
    residual = edges.loc[~removed].reset_index(drop=True)
    degree = np.bincount(np.concatenate([src, dst]), minlength=n)
    nodes = np.flatnonzero(degree > 0)
    if len(nodes) * (len(nodes) - 1) // 2 - len(src) < len(src):
        raise ValueError("the graph is too dense: fewer non-edges than edges to draw as negatives")
    rng = np.random.default_rng([seed, 7])
    neg_src, neg_dst = uniform_negatives(rng, nodes, len(src), _sorted_keys(src, dst, n), n)
    n_train = int((~removed).sum())
    train_src = np.concatenate([src[~removed], neg_src[:n_train]])
    train_dst = np.concatenate([dst[~removed], neg_dst[:n_train]])
    train_y = np.r_[np.ones(n_train), np.zeros(n_train)]
    test_src = np.concatenate([src[removed], neg_src[n_train:]])
    test_dst = np.concatenate([dst[removed], neg_dst[n_train:]])
    test_y = np.r_[np.ones(removed.sum()), np.zeros(len(src) - n_train)]

    vectors = np.asarray(embed_fn(residual, n))
    if vectors.ndim != 2 or len(vectors) != n:
        raise ValueError(f"embed_fn returned shape {vectors.shape}, expected ({n}, d)")
    operator_auc = {}
    for operator in OPERATORS:
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        clf.fit(edge_features(vectors, train_src, train_dst, operator), train_y)
        score = clf.decision_function(edge_features(vectors, test_src, test_dst, operator))
        operator_auc[operator] = float(roc_auc_score(test_y, score))
    heuristics = heuristic_scores(residual, n, test_src, test_dst)
    heuristic_auc = {name: float(roc_auc_score(test_y, heuristics[name])) for name in HEURISTICS}
    return ProtocolResult(operator_auc, heuristic_auc, float(removed.mean()), len(nodes), len(src),
                          len(train_y), len(test_y))


# ----------------------------------------------------------------------------------------------------
# Edge-list files and the command line
# ----------------------------------------------------------------------------------------------------


@dataclass
class EdgeListReport:
    """What ``read_edge_list`` read and dropped."""

    lines: int
    comments: int
    self_loops: int
    duplicates: int
    nodes: int
    edges: int

    def summary(self) -> str:
        return (f"{self.lines:,} lines ({self.comments:,} comments or blank) → {self.edges:,} undirected edges on "
                f"{self.nodes:,} nodes; dropped {self.self_loops:,} self-loops and {self.duplicates:,} duplicates")


def read_edge_list(path: str | Path) -> tuple[pd.DataFrame, pd.Index, EdgeListReport]:
    """Read a whitespace-separated edge list (SNAP style): ``source target [weight]``, ``#`` comment lines.

    Node tokens are arbitrary strings, numbered 0..n-1 in order of first appearance (``nodes[i]`` is node
    i's token). Edges are undirected; self-loops and repeated pairs (either direction; the first weight
    wins) are dropped and counted: ``lines = comments + self_loops + duplicates + edges``. A UTF-8 BOM is
    skipped. A malformed line (not UTF-8, wrong columns, a weight outside float32's range) raises ``ValueError``
    naming the file and line number.
    """
    path = Path(path)
    sources: list[str] = []
    targets: list[str] = []
    weights: list[float] = []
    comments = lines = 0
    for lines, line in enumerate(_text_lines(path), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            comments += 1
            continue
        parts = text.split()
        if len(parts) not in (2, 3):
            raise ValueError(f"{path}, line {lines}: expected 'source target [weight]', "
                             f"got {len(parts)} columns: {text[:80]!r}")
        weight = 1.0
        if len(parts) == 3:
            try:
                weight = float(parts[2])
            except ValueError:
                raise ValueError(f"{path}, line {lines}: weight {parts[2]!r} is not a number") from None
            if not WEIGHT_RANGE[0] <= weight <= WEIGHT_RANGE[1]:  # NaN, inf, ≤ 0, or 0 / inf in float32
                raise ValueError(f"{path}, line {lines}: weight {parts[2]!r} is out of range: {WEIGHT_RULE}")
        sources.append(parts[0])
        targets.append(parts[1])
        weights.append(weight)
    a, b = np.array(sources, dtype=object), np.array(targets, dtype=object)
    loop = a == b
    codes, nodes = pd.factorize(np.column_stack([a[~loop], b[~loop]]).ravel())
    codes = codes.reshape(-1, 2).astype(np.int64)
    w = np.asarray(weights, np.float32)[~loop]
    lo, hi = np.minimum(codes[:, 0], codes[:, 1]), np.maximum(codes[:, 0], codes[:, 1])
    first = ~pd.Series(lo * max(len(nodes), 1) + hi).duplicated().to_numpy()
    edges = pd.DataFrame({"src": lo[first].astype(np.int32), "dst": hi[first].astype(np.int32), "weight": w[first]})
    if edges.empty:
        raise ValueError(f"{path}: no edges (besides self-loops)")
    problem = weight_problem(edges["src"].to_numpy(), edges["dst"].to_numpy(), edges["weight"].to_numpy(), len(nodes),
                             labels=nodes)
    if problem:
        raise ValueError(f"{path}: {problem}")
    report = EdgeListReport(lines, comments, int(loop.sum()), int((~first).sum()), len(nodes), len(edges))
    return edges, pd.Index(nodes), report


def _text_lines(path: Path) -> Iterator[str]:
    """The file's lines, decoded as UTF-8 with a leading BOM dropped; not UTF-8: a ValueError naming the line."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            yield from fh
    except UnicodeDecodeError:
        with open(path, "rb") as fh:  # the slow path, only after a failure: find the first undecodable line
            for number, raw in enumerate(fh, 1):
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError as err:
                    raise ValueError(f"{path}, line {number}: not UTF-8 text (byte {err.start + 1}: "
                                     f"{raw[err.start:err.start + 1]!r}); save the file as UTF-8") from None
        raise


def _positive_number(text: str) -> float:
    """argparse type for p and q: a finite number above 0 (the walks divide by them)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (np.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text!r}")
    return value


def _integer_from(least: int) -> Callable[[str], int]:
    """argparse type: an integer ≥ ``least`` (a window of 0 kills the interpreter inside gensim)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
        return value

    return parse


def _held_out_or_usage_error(parser: argparse.ArgumentParser, edges: pd.DataFrame, num_nodes: int, seed: int) -> int:
    """How many edges the protocol will hold out; a usage error, before any work, if none can be or the graph
    has fewer non-edges than edges to draw as negatives."""
    held_out = int(connected_removal(edges, num_nodes, 0.5, seed).sum())  # the protocol's own draw
    if not held_out:
        parser.error(f"no edge can be held out: all {len(edges):,} edges are needed to keep the graph connected "
                     "(it is a tree or forest); the protocol needs a graph with cycles")
    non_edges = num_nodes * (num_nodes - 1) // 2 - len(edges)
    if non_edges < len(edges):
        parser.error(f"the graph is too dense for the protocol: {len(edges):,} edges but only {non_edges:,} "
                     "non-edges to draw as negatives")
    return held_out


@contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """SIGTERM raises SystemExit while the protocol runs, so temp folders (word2vec's corpus) are removed."""
    if threading.current_thread() is not threading.main_thread():  # signals can only be set from the main thread
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m recsys_tutorial.evaluate node2vec-protocol EDGES.txt --p 1 --q 1``: print the AUC table."""
    parser = argparse.ArgumentParser(prog="python -m recsys_tutorial.evaluate", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    proto = commands.add_parser("node2vec-protocol", help="the node2vec paper's link-prediction protocol",
                                description=node2vec_protocol.__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    proto.add_argument("edges", type=Path, help="edge list: 'source target [weight]' per line, '#' comments")
    proto.add_argument("--p", type=_positive_number, default=1.0, help="return parameter, > 0")
    proto.add_argument("--q", type=_positive_number, default=1.0, help="in-out parameter, > 0")
    proto.add_argument("--seed", type=_integer_from(0), default=0, help="seed of the split, walks and word2vec")
    proto.add_argument("--dim", type=_integer_from(1), default=128, help="embedding dimension d")
    proto.add_argument("--walks", type=_integer_from(1), default=10, help="walks per node r")
    proto.add_argument("--length", type=_integer_from(2), default=80, help="walk length l, at least 2")
    proto.add_argument("--window", type=_integer_from(1), default=10, help="skip-gram window k")
    proto.add_argument("--workers", type=_integer_from(1), default=1, help="gensim threads (1 is repeatable)")
    args = parser.parse_args(argv)
    try:
        edges, nodes, report = read_edge_list(args.edges)
    except (OSError, ValueError) as err:
        proto.error(str(err))
    held_out = _held_out_or_usage_error(proto, edges, len(nodes), args.seed)
    print(report.summary())
    embed = walk_embedder(p=args.p, q=args.q, dim=args.dim, num_walks=args.walks, walk_length=args.length,
                          window=args.window, seed=args.seed, workers=args.workers)
    with _sigterm_as_exit():
        result = node2vec_protocol(edges, embed, seed=args.seed, num_nodes=len(nodes))
    print(f"removed {result.removed_fraction:.1%} of the edges (residual graph connected); classifier trained on "
          f"{result.train_pairs:,} pairs, tested on {result.test_pairs:,}")
    if held_out < round(0.5 * len(edges)):
        print(f"warning: held out {held_out:,} of {len(edges):,} edges ({held_out / len(edges):.1%}), not half: the "
              f"other {len(edges) - held_out:,} form a spanning forest, kept so the residual graph stays connected; "
              f"the test AUCs rest on {held_out:,} held-out edge{'s' * (held_out != 1)}")
    print(f"{'method':<40}{'test AUC':>10}")
    for name, auc in result.operator_auc.items():
        print(f"{f'walks+SGNS (p={args.p:g}, q={args.q:g}) {name}':<40}{auc:>10.4f}")
    for name, auc in result.heuristic_auc.items():
        print(f"{f'heuristic {name}':<40}{auc:>10.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
