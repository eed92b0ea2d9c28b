"""Baselines: the original project's random-walk method, rebuilt as written, to time ours against.

The original (``prep_graph_samples``, original-work.md §4) loaded the training edges into a networkx
graph, turned each node's weighted neighbourhood into a Python transition list (neighbours and their
probabilities w_vx / Σ_k w_vk), and then walked in pure Python: for every start node, for every walk,
one ``random.choices(neighbours, weights=probabilities, k=1)`` per step, with Python's ``random`` seeded
with 42. ``random.choices`` accumulates the weights on every call, so a step costs O(degree).

:class:`OriginalWalker` keeps that method — networkx graph, per-node transition lists, one
``random.choices`` per step — and only differs in bookkeeping: its random stream is a ``random.Random``
instance instead of the global one, and the transition lists come from networkx's adjacency view. (The
original read them from a sparse matrix T = D⁻¹A element by element, which is slower still, so the
preparation time measured here is a lower bound for the original's.)
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

__all__ = ["OriginalWalker", "original_node2vec_bytes", "time_original_walks"]

#: The numpy array header every per-edge table pays (``sys.getsizeof(np.empty(0))`` on 64-bit CPython).
NUMPY_ARRAY_HEADER = 112


@dataclass
class OriginalWalker:
    """The original's walker: ``transitions[v]`` is ``(neighbours, probabilities)`` of node v."""

    graph: nx.Graph
    transitions: dict[int, tuple[list[int], list[float]]]

    @classmethod
    def from_edges(cls, edges: pd.DataFrame) -> OriginalWalker:
        """Undirected weighted networkx graph of the training edges (``src``, ``dst``, ``weight``) and the
        transition list of every node, P(v → x) = w_vx / Σ_k w_vk."""
        graph = nx.Graph()
        weights = edges["weight"].tolist() if "weight" in edges else [1.0] * len(edges)
        graph.add_weighted_edges_from(zip(edges["src"].tolist(), edges["dst"].tolist(), weights, strict=True))
        transitions = {}
        for node, neighbours in graph.adjacency():
            total = sum(attrs["weight"] for attrs in neighbours.values())
            transitions[node] = (list(neighbours), [attrs["weight"] / total for attrs in neighbours.values()])
        return cls(graph, transitions)

    @property
    def nodes(self) -> list[int]:
        """Nodes with at least one edge, in networkx's insertion order (the only possible start nodes)."""
        return list(self.graph.nodes)

    def walk(self, start: int, walk_length: int, rng: random.Random) -> list[int]:
        """One walk of ``walk_length`` nodes (the start included): one weighted ``choices`` call per step."""
        walk = [start]
        for _ in range(walk_length - 1):
            neighbours, probabilities = self.transitions[walk[-1]]
            walk.append(rng.choices(neighbours, weights=probabilities, k=1)[0])
        return walk

    def walks(self, num_walks: int, walk_length: int, start_nodes: list[int] | np.ndarray | None = None,
              seed: int = 42) -> np.ndarray:
        """``num_walks`` walks from every start node (default: every node), as the original's triple loop.

        Returns an int64 array (start nodes × ``num_walks``, ``walk_length``), rows grouped by start node.
        """
        if num_walks < 1 or walk_length < 1:
            raise ValueError("num_walks and walk_length must be at least 1")
        starts = self.nodes if start_nodes is None else [int(v) for v in start_nodes]
        missing = [v for v in starts if v not in self.transitions]
        if missing:
            raise ValueError(f"start nodes without edges cannot walk: {missing[:5]}")
        rng = random.Random(seed)
        rows = [self.walk(v, walk_length, rng) for v in starts for _ in range(num_walks)]
        return np.array(rows, dtype=np.int64).reshape(len(rows), walk_length)


def time_original_walks(edges: pd.DataFrame, num_walks: int = 10, walk_length: int = 10, sample_nodes: int = 2000,
                        seed: int = 0) -> dict[str, float | int]:
    """Time the original method: build it on the whole graph, walk from a seeded sample of start nodes, and
    **extrapolate** the walking time to every start node (steps per second × all steps).

    Returns ``prep_s`` (graph + transition lists, measured on the whole graph), ``walk_s`` (the sample),
    ``steps``, ``steps_per_s``, ``sampled_nodes``, ``nodes`` and ``extrapolated_walk_s``.
    """
    start = time.perf_counter()
    walker = OriginalWalker.from_edges(edges)
    prep_s = time.perf_counter() - start
    nodes = walker.nodes
    pick = np.random.default_rng(seed).choice(len(nodes), size=min(sample_nodes, len(nodes)), replace=False)
    start = time.perf_counter()
    sampled = walker.walks(num_walks, walk_length, start_nodes=[nodes[i] for i in pick.tolist()], seed=42)
    walk_s = time.perf_counter() - start
    steps = sampled.shape[0] * (walk_length - 1)
    per_s = steps / walk_s if walk_s > 0 else float("inf")
    return {"prep_s": prep_s, "walk_s": walk_s, "steps": steps, "steps_per_s": per_s,
            "sampled_nodes": len(pick), "nodes": len(nodes),
            "extrapolated_walk_s": len(nodes) * num_walks * (walk_length - 1) / per_s}


def original_node2vec_bytes(degree: np.ndarray, workers: int = 1) -> int:
    """A lower bound on the memory of the original's node2vec precomputation (PyPI ``node2vec`` 0.3.1).

    For every directed edge t→v it stores v's transition probabilities as a float64 array of deg(v) entries:
    Σ_v deg(v)² × 8 bytes, plus one array header per directed edge; each of ``workers`` processes holds its own
    copy (the original ran 10). Dict and Python object overheads come on top, so the real cost is higher.
    """
    degree = np.asarray(degree, dtype=np.float64)
    per_copy = float((degree**2).sum()) * 8 + float(degree.sum()) * NUMPY_ARRAY_HEADER
    return int(per_copy * workers)
