"""Describe a product graph: the statistics that tell a real co-purchase graph from a toy one.

Counts alone (nodes, edges, mean degree) are easy to match. What shapes how methods compare is the
structure: how *clustered* the graph is (do two products bought with a third tend to be bought with
each other?), how heavy the tail of the degrees is, and whether hubs link to hubs. Real co-purchase
graphs are strongly clustered — SNAP's Amazon co-purchase network has an average clustering
coefficient of 0.42 — with a median degree of one or two and a few products bought with everything.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_tutorial.evaluate import adjacency, common_neighbours

__all__ = ["REFERENCE_AUC", "REFERENCE_GRAPHS", "graph_statistics", "local_clustering"]

#: Published and measured statistics of real co-purchase graphs, to show beside a run's own.
#: SNAP's values are published on its dataset pages; the Amazon metadata extracts (partial or small files, not
#: part of this project) were measured with ``benchmarks/bench_realism.py --real FILE`` (default edge rules).
REFERENCE_GRAPHS = pd.DataFrame(
    [
        {"graph": "SNAP Amazon0302 (co-purchases, 2003)", "source": "published", "nodes": 262_111,
         "average clustering": 0.4198},
        {"graph": "SNAP com-Amazon (co-purchases)", "source": "published", "nodes": 334_863,
         "average clustering": 0.3967},
        {"graph": "Amazon 2014 Digital Music (first 7,419 products)", "source": "measured", "nodes": 60_430,
         "average clustering": 0.185, "clustering, degree ≥ 2": 0.307, "median degree": 2.0,
         "top-1% endpoint share": 0.144, "validation pairs seen": 0.730},
        {"graph": "Amazon 2018 Magazine Subscriptions", "source": "measured", "nodes": 16_438,
         "average clustering": 0.115, "clustering, degree ≥ 2": 0.456, "median degree": 1.0,
         "top-1% endpoint share": 0.292, "validation pairs seen": 0.449},
        {"graph": "Amazon 2018 Gift Cards", "source": "measured", "nodes": 2_791,
         "average clustering": 0.119, "clustering, degree ≥ 2": 0.317, "median degree": 1.0,
         "top-1% endpoint share": 0.132, "validation pairs seen": 0.624},
        {"graph": "Amazon 2018 All Beauty (no titles)", "source": "measured", "nodes": 84_921,
         "average clustering": 0.044, "clustering, degree ≥ 2": 0.158, "median degree": 1.0,
         "top-1% endpoint share": 0.291, "validation pairs seen": 0.314},
    ]
)

#: Seen-AUC per method on the measured extracts above, with the book's settings and split (seed 42), from one
#: run of ``benchmarks/bench_realism.py --scale ci --seed 42 --real …`` on 2026-11-30. Reference values only:
#: the files are not part of this project, so no page can recompute them.
REFERENCE_AUC = pd.DataFrame(
    {
        "Amazon 2014 Digital Music (first 7,419 products)":
            [0.896, 0.801, 0.940, 0.903, 0.950, 0.907, 0.922, 0.918, 0.966, 0.984],
        "Amazon 2018 Magazine Subscriptions": [0.924, 0.876, 0.663, 0.532, 0.835, 0.737, 0.773, 0.813, 0.934, 0.938],
        "Amazon 2018 Gift Cards": [0.901, 0.844, 0.676, 0.557, 0.504, 0.797, 0.609, 0.672, 0.311, 0.833],
        "Amazon 2018 All Beauty (no titles)": [0.865, 0.604, 0.932, 0.940, 0.950, 0.941, 0.856, 0.850, 0.887, 0.955],
    },
    index=pd.Index(["preferential attachment", "Adamic-Adar", "gensim skip-gram, 1 epoch",
                    "gensim skip-gram, 5 epochs", "PyTorch SGNS, 1 epoch", "PyTorch SGNS, 5 epochs", "MF, edges",
                    "MF-bias, edges", "MF-bias, edges (word2vec SGD)", "MF-bias, sequences (word2vec SGD)"],
                   name="seen-AUC"),
)


def local_clustering(edges: pd.DataFrame, num_nodes: int) -> np.ndarray:
    """Each node's local clustering coefficient: the share of its neighbour pairs that are linked (0 below degree 2).

    A node's triangles are half the common-neighbour counts summed over its edges, so one pass of the
    sorted-row intersection over all edges gives every node's count (edge weights are ignored).
    """
    adj = adjacency(edges, num_nodes)
    upper = adj.tocoo()
    keep = upper.row < upper.col
    src, dst = upper.row[keep].astype(np.int64), upper.col[keep].astype(np.int64)
    shared = common_neighbours(adj, src, dst)
    triangles = (np.bincount(src, shared, num_nodes) + np.bincount(dst, shared, num_nodes)) / 2
    degree = np.diff(adj.indptr).astype(np.float64)
    pairs = degree * (degree - 1) / 2
    return np.divide(triangles, pairs, out=np.zeros(num_nodes), where=pairs > 0)


def _assortativity(src: np.ndarray, dst: np.ndarray, degree: np.ndarray) -> float:
    """Pearson correlation of the degrees at the two ends of an edge (each edge counted both ways)."""
    a = np.concatenate([degree[src], degree[dst]]).astype(np.float64)
    b = np.concatenate([degree[dst], degree[src]]).astype(np.float64)
    if len(a) < 2 or a.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def _weight_mix(weight: np.ndarray) -> dict[str, float]:
    """Shares of edges by summed weight: one *also bought* (1), listed from both ends (2), *also viewed* only (0.5)."""
    weight = np.round(weight.astype(np.float64), 2)
    total = max(len(weight), 1)
    shares = {f"edges of weight {w:g}": float((weight == w).sum() / total) for w in (1.0, 2.0, 0.5)}
    shares["edges of other weights"] = 1.0 - sum(shares.values()) if len(weight) else 0.0
    return shares


def graph_statistics(edges: pd.DataFrame, vocab: pd.Index, products: pd.DataFrame | None = None) -> dict[str, float]:
    """Degree tail, clustering, assortativity and weight mix of an edge table from ``build_edges``.

    ``products`` (the metadata table) adds the share of graph nodes without a metadata line.
    """
    n = len(vocab)
    src, dst = edges["src"].to_numpy().astype(np.int64), edges["dst"].to_numpy().astype(np.int64)
    degree = np.bincount(np.concatenate([src, dst]), minlength=n)
    clustering = local_clustering(edges, n)
    top = np.sort(degree)[::-1][: max(1, n // 100)]
    stats = {
        "nodes": n,
        "edges": len(edges),
        "mean degree": 2 * len(edges) / max(n, 1),
        "median degree": float(np.median(degree)) if n else 0.0,
        "max degree": int(degree.max()) if n else 0,
        "share of nodes with degree 1": float((degree == 1).mean()) if n else 0.0,
        "top-1% endpoint share": float(top.sum() / max(degree.sum(), 1)),
        "average clustering": float(clustering.mean()) if n else 0.0,
        "clustering, degree ≥ 2": float(clustering[degree >= 2].mean()) if (degree >= 2).any() else 0.0,
        "degree assortativity": _assortativity(src, dst, degree),
        **_weight_mix(edges["weight"].to_numpy()),
    }
    if products is not None:
        catalogued = vocab.isin(pd.Index(products["asin"].astype(str)))
        stats["nodes without metadata"] = float(1 - catalogued.mean()) if n else 0.0
    return stats
