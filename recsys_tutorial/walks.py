"""Walks: weighted DeepWalk and node2vec random walks over one CSR product graph, in numba.

First-order walks step from v to a neighbour x with probability w_vx / Σ_k w_vk (the original's
rule), in O(1) with one alias table per node (Walker/Vose; 16 bytes per stored edge, so O(E)).
node2vec walks bias that choice by where the walk came from (t): weight × 1/p to return to t, × 1 to
a neighbour of t, × 1/q to move further away. They draw the return move with its exact mass and
propose every other move from the first-order table, accepting it with probability bias / max(1, 1/q)
— rejection sampling, so memory stays O(E): no per-edge second-order tables, which is what ran the
original out of 64 GB.

For cache locality the walk kernel sees the graph relabelled by degree (hubs first: the rows walks
visit most sit together); walks are mapped back to the original ids before they are returned.

Every walk draws its random numbers from a counter-based generator keyed by (seed, walk id), so the
walks are identical at any thread count and any chunking. Policy for dead ends: a walk starts only
at nodes with at least one edge (isolated nodes get no walk, and ``ProductGraph.stats`` counts them);
if a walk reaches a node without neighbours (only possible in a hand-built directed CSR), the rest of
the row is padded with ``PAD`` (-1).
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np
import pandas as pd
from tqdm import tqdm

__all__ = ["PAD", "ProductGraph", "random_walks"]

logger = logging.getLogger(__name__)

PAD = -1
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
#: One alias-table entry: neighbour, position of its alias entry, 32-bit threshold, edge weight.
ALIAS_ENTRY = np.dtype([("node", np.uint32), ("alias", np.uint32), ("thr", np.uint32), ("w", np.float32)])


@dataclass
class ProductGraph:
    """A weighted graph in CSR form: row v's neighbours are ``indices[indptr[v]:indptr[v+1]]``, sorted.

    The walk kernel uses a degree-ordered copy: ``order[r]`` is the original id of walk-space node r,
    ``walk_indptr`` its rows and ``alias`` its per-row alias tables (``ALIAS_ENTRY``: column c of a
    row yields entry c if a 32-bit coin is below its threshold, else the entry at its ``alias`` position).
    """

    indptr: np.ndarray  # int64, num_nodes + 1
    indices: np.ndarray  # int32, sorted within each row
    weights: np.ndarray  # float32
    order: np.ndarray  # int32, walk-space id -> original id (hubs first)
    walk_indptr: np.ndarray  # int64, rows in walk space
    alias: np.ndarray  # ALIAS_ENTRY per stored edge, walk space, rows sorted by neighbour id
    strength: np.ndarray  # float64, total edge weight per walk-space node

    @property
    def num_nodes(self) -> int:
        return len(self.indptr) - 1

    @property
    def degree(self) -> np.ndarray:
        return np.diff(self.indptr)

    @classmethod
    def from_edges(cls, edges: pd.DataFrame, num_nodes: int, validation: pd.DataFrame | None = None) -> ProductGraph:
        """Undirected weighted CSR from **training** edges (``src``, ``dst``, ``weight``).

        Pass the split's ``validation`` pairs to assert that no validation positive is in the graph:
        a walk over a held-out edge would leak the answer into the embeddings.
        """
        src = edges["src"].to_numpy()
        dst = edges["dst"].to_numpy()
        w = edges["weight"].to_numpy() if "weight" in edges else np.ones(len(src), np.float32)
        if len(src) and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= num_nodes):
            raise ValueError(f"edge ids must lie in [0, {num_nodes})")
        if (w <= 0).any() or not np.isfinite(w).all():
            raise ValueError("edge weights must be positive and finite")
        if (src == dst).any():
            raise ValueError("edges contain self-pairs; build_edges drops them")
        if validation is not None:
            _assert_disjoint(src, dst, validation, num_nodes)
        # Straight into CSR with numba: no COO copies, so peak memory stays near the final arrays.
        degree = np.bincount(src, minlength=num_nodes) + np.bincount(dst, minlength=num_nodes)
        indptr = np.zeros(num_nodes + 1, dtype=np.int64)
        np.cumsum(degree, out=indptr[1:])
        indices = np.empty(indptr[-1], dtype=np.int32)
        weights = np.empty(indptr[-1], dtype=np.float32)
        _fill_csr(src, dst, w, indptr, indices, weights)
        if _sort_rows(indptr, indices, weights):
            raise ValueError("edges contain duplicate undirected pairs; sum their weights first (build_edges does)")
        return cls.from_csr(indptr, indices, weights)

    @classmethod
    def from_csr(cls, indptr: np.ndarray, indices: np.ndarray, weights: np.ndarray) -> ProductGraph:
        """Wrap CSR arrays (rows sorted, weights positive) and build the degree-ordered alias tables."""
        n = len(indptr) - 1
        degree = np.diff(indptr)
        order = np.argsort(-degree, kind="stable").astype(np.int32)
        rank = np.empty(n, np.int64)
        rank[order] = np.arange(n)
        # Walk space: row r is original row order[r], neighbours renamed by rank and re-sorted.
        walk_indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(degree[order], out=walk_indptr[1:])
        alias = np.empty(len(indices), dtype=ALIAS_ENTRY)
        strength = np.zeros(n, dtype=np.float64)
        _walk_space(indptr, indices, weights, order, rank, walk_indptr, alias, strength)
        _build_alias(walk_indptr, alias)
        return cls(indptr, indices, weights, order, walk_indptr, alias, strength)

    def stats(self) -> dict[str, float]:
        """Node, edge and degree counts, including isolated nodes (which get no walks)."""
        degree = self.degree
        return {
            "nodes": self.num_nodes,
            "isolated nodes": int((degree == 0).sum()),
            "edges (undirected)": len(self.indices) // 2,
            "mean degree": float(degree.mean()) if self.num_nodes else 0.0,
            "max degree": int(degree.max()) if self.num_nodes else 0,
            "memory (MB)": sum(
                a.nbytes
                for a in (
                    self.indptr,
                    self.indices,
                    self.weights,
                    self.order,
                    self.walk_indptr,
                    self.alias,
                    self.strength,
                )
            )
            / 2**20,
        }

    def edge_index(self) -> tuple[np.ndarray, np.ndarray]:
        """Hash set and Bloom filter of the edges (walk-space ids) for node2vec's "is x a neighbour of t?"

        Built once, O(E): 2 hash slots per undirected edge (8 bytes each) and a filter of ~8 bits per
        edge that stays in cache, so most non-edges are ruled out without touching memory.
        """
        cached = getattr(self, "_edge_index", None)
        if cached is None:
            size = 1 << max(4, int(np.ceil(np.log2(max(len(self.indices), 1) + 1))))  # ≥ 2 × undirected edges
            edge_set = np.full(size, -1, dtype=np.int64)
            edge_filter = np.zeros(max(2, size // 16), dtype=np.uint64)  # ≈ 8 bits per undirected edge
            _build_edge_set(self.walk_indptr, self.alias, edge_set, edge_filter)
            cached = self._edge_index = (edge_set, edge_filter)
        return cached

    def has_edge(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Vectorised membership test of (a, b) pairs."""
        return _has_edges(self.indptr, self.indices, np.asarray(a, np.int64), np.asarray(b, np.int64))


def _assert_disjoint(src, dst, validation: pd.DataFrame, n: int) -> None:
    positives = validation[validation["label"] == 1] if "label" in validation else validation
    a, b = positives["src"].to_numpy().astype(np.int64), positives["dst"].to_numpy().astype(np.int64)
    src, dst = np.asarray(src, np.int64), np.asarray(dst, np.int64)  # int32 keys would wrap at ~46 K nodes
    train_keys = np.sort(np.minimum(src, dst) * n + np.maximum(src, dst))
    val_keys = np.minimum(a, b) * n + np.maximum(a, b)
    pos = np.searchsorted(train_keys, val_keys).clip(0, max(len(train_keys) - 1, 0))
    leaked = int((train_keys[pos] == val_keys).sum()) if len(train_keys) else 0
    if leaked:
        raise ValueError(f"{leaked:,} validation positives are in the training graph: walks would leak them")


# ----------------------------------------------------------------------------------------------------
# numba kernels
# ----------------------------------------------------------------------------------------------------


@numba.njit(cache=True, inline="always", error_model="numpy")
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=True, inline="always", error_model="numpy")
def _uniform(state):
    """SplitMix64: advance the state, return (state, a float in [0, 1))."""
    state = state + _GOLDEN
    return state, np.float64(_mix(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@numba.njit(cache=True, inline="always", error_model="numpy")
def _is_neighbour(indptr, indices, a, b):
    left, right = indptr[a], indptr[a + 1]
    while left < right:
        mid = (left + right) >> 1
        x = indices[mid]
        if x == b:
            return True
        if x < b:
            left = mid + 1
        else:
            right = mid
    return False


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _has_edges(indptr, indices, a, b):
    out = np.zeros(len(a), dtype=np.bool_)
    for i in numba.prange(len(a)):
        out[i] = _is_neighbour(indptr, indices, a[i], b[i])
    return out


@numba.njit(cache=True, error_model="numpy")
def _fill_csr(src, dst, w, indptr, indices, weights):
    cursor = indptr[:-1].copy()
    for i in range(len(src)):
        a, b = src[i], dst[i]
        indices[cursor[a]] = b
        weights[cursor[a]] = w[i]
        cursor[a] += 1
        indices[cursor[b]] = a
        weights[cursor[b]] = w[i]
        cursor[b] += 1


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _sort_rows(indptr, indices, weights):
    """Sort each row by neighbour id; return True if a row holds a neighbour twice."""
    duplicate = np.zeros(len(indptr) - 1, dtype=np.bool_)
    for v in numba.prange(len(indptr) - 1):
        lo, hi = indptr[v], indptr[v + 1]
        if hi - lo > 1:
            perm = np.argsort(indices[lo:hi], kind="mergesort")
            indices[lo:hi] = indices[lo:hi][perm]
            weights[lo:hi] = weights[lo:hi][perm]
            for j in range(lo + 1, hi):
                if indices[j] == indices[j - 1]:
                    duplicate[v] = True
    return duplicate.any()


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _walk_space(indptr, indices, weights, order, rank, walk_indptr, alias, strength):
    """Copy each row into walk space (renamed neighbours, sorted) as alias entries with their weights."""
    for r in numba.prange(len(order)):
        v = order[r]
        lo, hi = indptr[v], indptr[v + 1]
        out = walk_indptr[r]
        renamed = np.empty(hi - lo, dtype=np.int64)
        for j in range(hi - lo):
            renamed[j] = rank[indices[lo + j]]
        perm = np.argsort(renamed)
        total = 0.0
        for j in range(hi - lo):
            alias[out + j].node = renamed[perm[j]]
            alias[out + j].w = weights[lo + perm[j]]
            total += weights[lo + perm[j]]
        strength[r] = total


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _build_alias(indptr, alias):
    """Vose's alias method, one table per row (rows in parallel), from the entries' weights."""
    for v in numba.prange(len(indptr) - 1):
        lo = indptr[v]
        d = indptr[v + 1] - lo
        if d == 0:
            continue
        total = 0.0
        for j in range(d):
            total += alias[lo + j].w
        scaled = np.empty(d)
        small = np.empty(d, dtype=np.int64)
        large = np.empty(d, dtype=np.int64)
        n_small = n_large = 0
        for j in range(d):
            scaled[j] = alias[lo + j].w * d / total
            alias[lo + j].alias = lo + j  # a full column aliases to itself
            alias[lo + j].thr = np.uint32(0xFFFFFFFF)
            if scaled[j] < 1.0:
                small[n_small] = j
                n_small += 1
            else:
                large[n_large] = j
                n_large += 1
        while n_small > 0 and n_large > 0:
            n_small -= 1
            s = small[n_small]
            g = large[n_large - 1]
            alias[lo + s].alias = lo + g
            alias[lo + s].thr = np.uint32(scaled[s] * 4294967296.0)
            scaled[g] = scaled[g] + scaled[s] - 1.0
            if scaled[g] < 1.0:
                n_large -= 1
                small[n_small] = g
                n_small += 1


@numba.njit(cache=True, inline="always", error_model="numpy")
def _next(state):
    """SplitMix64: advance the state, return (state, 64 random bits)."""
    state = state + _GOLDEN
    return state, _mix(state)


@numba.njit(cache=True, inline="always", error_model="numpy")
def _first_order(alias, lo, degree, bits):
    """Entry (position) drawn ∝ weight from one 64-bit draw: high half picks the column, low half the coin."""
    column = lo + np.int64(((bits >> np.uint64(32)) * np.uint64(degree)) >> np.uint64(32))
    if (bits & np.uint64(0xFFFFFFFF)) < alias[column].thr:
        return column
    return np.int64(alias[column].alias)


@numba.njit(cache=True, inline="always", error_model="numpy")
def _filter_bits(hh):
    """The three bits (of one 64-bit Bloom-filter word) that a key's hash sets."""
    return (
        (np.uint64(1) << (hh & np.uint64(63)))
        | (np.uint64(1) << ((hh >> np.uint64(6)) & np.uint64(63)))
        | (np.uint64(1) << ((hh >> np.uint64(12)) & np.uint64(63)))
    )


@numba.njit(cache=True, error_model="numpy")
def _build_edge_set(indptr, alias, edge_set, edge_filter):
    """Hash set (open addressing, -1 = empty) and blocked Bloom filter (3 bits in one 64-bit word) of the
    undirected walk-space edges, key = min · n + max."""
    n = len(indptr) - 1
    mask = len(edge_set) - 1
    shift = np.uint64(64 - int(np.log2(len(edge_set))))
    filter_shift = np.uint64(64 - int(np.log2(len(edge_filter))))
    for v in range(n):
        for e in range(indptr[v], indptr[v + 1]):
            x = np.int64(alias[e].node)
            if x <= v:
                continue
            key = v * n + x
            h = np.int64((np.uint64(key) * _GOLDEN) >> shift)
            while edge_set[h] != -1:
                h = (h + 1) & mask
            edge_set[h] = key
            hh = _mix(np.uint64(key))
            edge_filter[np.int64(hh >> filter_shift)] |= _filter_bits(hh)


@numba.njit(cache=True, error_model="numpy")
def _second_order_stage(alias, indptr, total, edge_set, edge_filter, scratch, inv_p, inv_q, envelope_bias, sure):
    """One node2vec step for a block of walks: entry[j] = chosen table position, -1 = back to t, -2 = pad.

    Target: P(x) ∝ w_vx · a(x) with a(t) = 1/p, a(x) = 1 if x is a neighbour of t, else 1/q, sampled by
    rejection from the envelope w_vx · max(1, 1/q) for x ≠ t plus the exact return mass w_vt/p. A trial
    returns to t with probability (w_vt/p) / envelope; otherwise it proposes x ∝ w_vx, x ≠ t, and keeps
    it with probability a(x) / max(1, 1/q). Exact, and O(E) memory. Trials run in rounds over all
    still-pending walks of the block, so their memory misses overlap.
    """
    (
        cur,
        prev,
        prev_row,
        prev_degree,
        row,
        degree,
        w_prev,
        states,
        bits,
        entry,
        pending,
        new_trial,
        coin,
        key,
        slot,
        lookup,
    ) = scratch
    n_nodes = len(indptr) - 1
    mask = len(edge_set) - 1
    shift = np.uint64(64 - int(np.log2(len(edge_set))))
    filter_shift = np.uint64(64 - int(np.log2(len(edge_filter))))
    n_pending = 0
    for j in range(len(cur)):
        if degree[j] == 0:
            entry[j] = -2
        else:
            pending[n_pending] = j
            new_trial[j] = True
            n_pending += 1
    while n_pending > 0:
        for a in range(n_pending):  # the mixture draw, then a proposal column and coin
            j = pending[a]
            if new_trial[j]:
                states[j], u = _uniform(states[j])
                return_mass = w_prev[j] * inv_p
                envelope = return_mass + (total[j] - w_prev[j]) * envelope_bias
                if u * envelope < return_mass:
                    entry[j] = -1
                    continue
            states[j], bits[j] = _next(states[j])
            entry[j] = row[j] + np.int64(((bits[j] >> np.uint64(32)) * np.uint64(degree[j])) >> np.uint64(32))
        for a in range(n_pending):  # the alias coin
            j = pending[a]
            e = entry[j]
            if e >= 0 and (bits[j] & np.uint64(0xFFFFFFFF)) >= alias[e].thr:
                entry[j] = np.int64(alias[e].alias)
        still = 0
        n_lookup = 0
        for a in range(n_pending):  # accept or reject; edge look-ups are queued, not done here
            j = pending[a]
            e = entry[j]
            if e < 0:
                continue  # returned to t: accepted
            x = np.int64(alias[e].node)
            t = prev[j]
            if x == t:  # propose again, same trial (the proposal is conditioned on x != t)
                new_trial[j] = False
                pending[still] = j
                still += 1
                continue
            states[j], coin[j] = _uniform(states[j])
            if coin[j] < sure:
                continue
            if prev_degree[j] <= 8:  # t's short row was just read, so it is in cache: search it
                lo_t = prev_row[j]
                found = False
                for f in range(lo_t, lo_t + prev_degree[j]):
                    if np.int64(alias[f].node) == x:
                        found = True
                        break
                if coin[j] * envelope_bias >= (1.0 if found else inv_q):
                    new_trial[j] = True
                    pending[still] = j
                    still += 1
                continue
            key[j] = min(t, x) * n_nodes + max(t, x)
            slot[j] = np.int64(_mix(np.uint64(key[j])))
            lookup[n_lookup] = j
            n_lookup += 1
        n_exact = 0
        for a in range(n_lookup):  # a cache-resident Bloom filter rules out most non-edges
            j = lookup[a]
            hh = np.uint64(slot[j])
            word = edge_filter[np.int64(hh >> filter_shift)]
            bits_needed = _filter_bits(hh)
            if (word & bits_needed) != bits_needed:
                if coin[j] * envelope_bias >= inv_q:
                    new_trial[j] = True
                    pending[still] = j
                    still += 1
                continue
            slot[j] = np.int64((np.uint64(key[j]) * _GOLDEN) >> shift)
            lookup[n_exact] = j
            n_exact += 1
        for a in range(n_exact):  # is t–x an edge? exact: open addressing, usually one probe
            j = lookup[a]
            h = slot[j]
            while edge_set[h] != key[j] and edge_set[h] != -1:
                h = (h + 1) & mask
            bias = 1.0 if edge_set[h] == key[j] else inv_q
            if coin[j] * envelope_bias >= bias:
                new_trial[j] = True
                pending[still] = j
                still += 1
        n_pending = still


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _walk_chunk(
    indptr, alias, strength, edge_set, edge_filter, order, starts, walk_ids, seed, inv_p, inv_q, second_order, out
):
    """Fill ``out`` (walks × length, original ids).

    Walks advance in lockstep blocks, and each step is split into short loops over the block (row
    lookup, table lookup, resolve), so the CPU overlaps many walks' cache misses instead of waiting on
    each one in turn.
    """
    n, length = out.shape
    block = 128
    envelope_bias = max(1.0, inv_q)
    sure = min(1.0, inv_q) / envelope_bias
    for b in numba.prange((n + block - 1) // block):
        lo = b * block
        m = min(lo + block, n) - lo
        states = np.empty(m, dtype=np.uint64)
        w_prev = np.zeros(m, dtype=np.float64)
        cur = np.empty(m, dtype=np.int64)  # walk-space ids; -1 once a walk is padded
        prev = np.full(m, -1, dtype=np.int64)
        row = np.empty(m, dtype=np.int64)
        degree = np.empty(m, dtype=np.int64)
        entry = np.empty(m, dtype=np.int64)
        bits = np.empty(m, dtype=np.uint64)
        prev_row = np.zeros(m, dtype=np.int64)
        prev_degree = np.zeros(m, dtype=np.int64)
        pending = np.empty(m, dtype=np.int64)
        lookup = np.empty(m, dtype=np.int64)
        coin = np.empty(m, dtype=np.float64)
        key = np.empty(m, dtype=np.int64)
        slot = np.empty(m, dtype=np.int64)
        new_trial = np.empty(m, dtype=np.bool_)
        total = np.zeros(m, dtype=np.float64)
        scratch = (
            cur,
            prev,
            prev_row,
            prev_degree,
            row,
            degree,
            w_prev,
            states,
            bits,
            entry,
            pending,
            new_trial,
            coin,
            key,
            slot,
            lookup,
        )  # per-walk scratch arrays of this block, shared with the node2vec stage
        for j in range(m):
            states[j] = _mix(np.uint64(seed) ^ _mix(np.uint64(walk_ids[lo + j]) + _GOLDEN))
            cur[j] = starts[lo + j]
            out[lo + j, 0] = order[cur[j]]
        for k in range(1, length):
            for j in range(m):  # 1. rows
                v = max(cur[j], 0)
                row[j] = indptr[v]
                degree[j] = indptr[v + 1] - row[j] if cur[j] >= 0 else 0
                if second_order:
                    total[j] = strength[v]
            if second_order and k >= 2:
                _second_order_stage(
                    alias, indptr, total, edge_set, edge_filter, scratch, inv_p, inv_q, envelope_bias, sure
                )
            else:
                for j in range(m):  # 2. column and coin from one 64-bit draw
                    states[j], bits[j] = _next(states[j])
                    if degree[j] == 0:
                        entry[j] = -2
                        continue
                    entry[j] = row[j] + np.int64(((bits[j] >> np.uint64(32)) * np.uint64(degree[j])) >> np.uint64(32))
                for j in range(m):  # 3. alias coin
                    e = entry[j]
                    if e >= 0 and (bits[j] & np.uint64(0xFFFFFFFF)) >= alias[e].thr:
                        entry[j] = np.int64(alias[e].alias)
            for j in range(m):  # 4. move, and write the original id
                e = entry[j]
                if e == -2:  # padded, or a dead end: pad
                    cur[j] = -1
                    out[lo + j, k] = -1
                    continue
                if e == -1:  # node2vec returned to t over the same edge (w_prev unchanged)
                    x = prev[j]
                else:
                    x = np.int64(alias[e].node)
                    w_prev[j] = alias[e].w
                prev[j] = cur[j]
                prev_row[j] = row[j]
                prev_degree[j] = degree[j]
                cur[j] = x
                out[lo + j, k] = order[x]


# ----------------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------------


def _round_order(active: np.ndarray, seed: int, r: int) -> np.ndarray:
    """Start nodes of round r: every non-isolated node once, shuffled by (seed, r)."""
    return np.random.default_rng([seed, r]).permutation(active)


def random_walks(
    graph: ProductGraph,
    num_walks: int = 10,
    walk_length: int = 10,
    p: float = 1.0,
    q: float = 1.0,
    seed: int = 0,
    *,
    out: str | os.PathLike | None = None,
    chunk_size: int = 1 << 18,
    progress: bool = True,
) -> np.ndarray:
    """Walks as an int32 array (num_walks × active nodes, walk_length), the start node included.

    ``p = q = 1`` gives first-order weighted walks (DeepWalk with weights, as the original); other
    values give node2vec walks. ``out`` writes to a memory-mapped ``.npy`` in chunks (for graphs whose
    walks don't fit in memory) and returns it opened read-only. Same seed → same walks, any thread count.
    """
    if num_walks < 1 or walk_length < 1:
        raise ValueError("num_walks and walk_length must be at least 1")
    if p <= 0 or q <= 0:
        raise ValueError(f"p and q must be positive, got p={p}, q={q}")
    active = np.flatnonzero(graph.degree > 0).astype(np.int32)
    second_order = not (p == 1.0 and q == 1.0)
    shape = (num_walks * len(active), walk_length)
    tmp_path = None
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=".npy", dir=out.parent)
        os.close(fd)
        tmp_path = Path(tmp_name)
        walks = np.lib.format.open_memmap(tmp_path, mode="w+", dtype=np.int32, shape=shape)
    else:
        walks = np.empty(shape, dtype=np.int32)
    seed64 = int(seed) % 2**64
    edge_set, edge_filter = graph.edge_index() if second_order else (np.full(2, -1, np.int64), np.zeros(2, np.uint64))
    rank = np.empty(graph.num_nodes, np.int32)
    rank[graph.order] = np.arange(graph.num_nodes, dtype=np.int32)
    kind = f"node2vec p={p:g} q={q:g}" if second_order else "first-order"
    try:
        with tqdm(total=shape[0], unit="walk", desc=f"{kind} walks", disable=not progress) as bar:
            for r in range(num_walks):  # start nodes are made per round and chunk, never all at once
                order = _round_order(active, seed, r)
                for lo in range(0, len(active), chunk_size):
                    starts = order[lo : lo + chunk_size]
                    row = r * len(active) + lo
                    buffer = np.empty((len(starts), walk_length), dtype=np.int32)
                    _walk_chunk(
                        graph.walk_indptr,
                        graph.alias,
                        graph.strength,
                        edge_set,
                        edge_filter,
                        graph.order,
                        rank[starts],
                        np.int64(r) * graph.num_nodes + starts,
                        np.uint64(seed64),
                        1.0 / p,
                        1.0 / q,
                        second_order,
                        buffer,
                    )
                    walks[row : row + len(starts)] = buffer
                    bar.update(len(starts))
        if tmp_path is not None:
            walks.flush()
            del walks
            os.replace(tmp_path, out)
            return np.load(out, mmap_mode="r")
    except BaseException:
        if tmp_path is not None:
            tmp_path.unlink(missing_ok=True)
        raise
    logger.info("%s: %s walks of length %d", kind, f"{shape[0]:,}", walk_length)
    return walks
