"""Walks: weighted DeepWalk and node2vec random walks over one CSR product graph, in numba.

First-order walks step from v to a neighbour x with probability w_vx / Σ_k w_vk (the original's
rule), in O(1) with one alias table per node (Walker/Vose; 16 bytes per stored edge, so O(E)).
node2vec walks bias that choice by where the walk came from (t): weight × 1/p to return to t, × 1 to
a neighbour of t, × 1/q to move further away. One 12-byte record per stored edge t→v (``node2vec_index``:
v's weight on nodes other than t, its weight on t's neighbours, the position of v→t) makes the mass of
each of those classes known, so a step picks its class exactly and draws inside it from the first-order
table (or by walking the two sorted rows): no rejected trials on the common path, and memory O(E) —
no per-edge-pair tables, which is what ran the original out of 64 GB. node2vec needs an undirected graph.

For cache locality the walk kernel sees the graph relabelled by degree (hubs first: the rows walks
visit most sit together); walks are mapped back to the original ids before they are returned. A step's
cost is its cache misses (table entry, node2vec record), so the kernel prefetches each as soon as its
position is known and advances a block of walks in lockstep to keep many misses in flight.

Every walk draws its random numbers from a counter-based generator keyed by (seed, walk id), so the
walks are identical at any thread count and any chunking. Policy for dead ends: a walk starts only
at nodes with at least one edge (isolated nodes get no walk, and ``ProductGraph.stats`` counts them);
if a first-order walk reaches a node without neighbours (only possible in a hand-built directed CSR),
the rest of the row is padded with ``PAD`` (-1).
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
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic
from tqdm import tqdm

from recsys_tutorial.edges import weight_problem
from recsys_tutorial.split import node_ids

__all__ = ["PAD", "ProductGraph", "compile_kernels", "random_walks"]

logger = logging.getLogger(__name__)

PAD = -1
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
#: One alias-table entry: neighbour, position of its alias entry, 32-bit threshold, edge weight.
ALIAS_ENTRY = np.dtype([("node", np.uint32), ("alias", np.uint32), ("thr", np.uint32), ("w", np.float32)])
#: node2vec's per-edge index for t→v: v's weight on others than t and on t's neighbours, and where v→t is.
SECOND_ORDER = np.dtype([("rest", np.float32), ("shared", np.float32), ("back", np.uint32)])


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
        src, dst = node_ids(edges, "src", num_nodes), node_ids(edges, "dst", num_nodes)
        w = edges["weight"].to_numpy() if "weight" in edges else np.ones(len(src), np.float32)
        problem = weight_problem(src, dst, w, num_nodes)
        if problem:
            raise ValueError(problem)
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
        """Node, edge and degree counts, including isolated nodes (which get no walks), and the memory the
        graph holds (node2vec's index included once built)."""
        degree = self.degree
        held = [self.indptr, self.indices, self.weights, self.order, self.walk_indptr, self.alias, self.strength]
        held += [getattr(self, "_node2vec_index", np.empty(0))]
        return {
            "nodes": self.num_nodes,
            "isolated nodes": int((degree == 0).sum()),
            "edges (undirected)": len(self.indices) // 2,
            "mean degree": float(degree.mean()) if self.num_nodes else 0.0,
            "max degree": int(degree.max()) if self.num_nodes else 0,
            "memory (MB)": sum(a.nbytes for a in held) / 2**20,
        }

    def node2vec_index(self) -> np.ndarray:
        """Per stored edge t→v (walk space, ``SECOND_ORDER``): ``rest`` = Σ w_vx over x ≠ t, ``shared`` = Σ w_vx
        over x ∈ N(v) ∩ N(t) (the weight v puts on neighbours it shares with t), and ``back`` = the position
        of t in v's row.

        node2vec needs them at every step (the class masses, and the edge after a return); one 12-byte
        read per step instead of three scattered ones. Built once per graph by intersecting sorted rows, O(E).
        """
        cached = getattr(self, "_node2vec_index", None)
        if cached is None:
            if len(self.alias) >= 2**32:
                raise ValueError("node2vec index positions are 32-bit: the graph has too many edges")
            cached = np.empty(len(self.alias), dtype=SECOND_ORDER)
            asymmetric = _node2vec_index(self.walk_indptr, self.alias, self.strength, self.order, self.indptr,
                                         self.indices, self.weights, cached)
            if asymmetric:
                raise ValueError(f"node2vec needs an undirected graph: {asymmetric:,} edges have no reverse edge "
                                 "of the same weight")
            self._node2vec_index = cached
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


@intrinsic
def _prefetch(typingctx, array, position):
    """Hint the CPU to start loading ``array[position]`` into cache (LLVM's prefetch; never faults)."""

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        array = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(context, builder, array_type, array, [args[1]], wraparound=False)
        i32, byte_pointer = ir.IntType(32), ir.IntType(8).as_pointer()
        pointer = builder.bitcast(pointer, byte_pointer)
        prefetch = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]), "llvm.prefetch.p0")
        builder.call(prefetch, [pointer, i32(0), i32(3), i32(1)])  # read, keep in all cache levels, data
        return context.get_dummy_value()

    return types.void(array, position), codegen


@numba.njit(cache=True, inline="always", error_model="numpy")
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


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
def _seek(alias, lo, hi, x):
    """First position in [lo, hi) of a sorted row whose node is ≥ x (hi if none): gallop, then bisect."""
    if lo >= hi or alias[lo].node >= x:
        return lo
    step = 1
    while lo + step < hi and alias[lo + step].node < x:
        lo += step
        step *= 2
    left, right = lo + 1, min(lo + step, hi)
    while left < right:
        mid = (left + right) >> 1
        if alias[mid].node < x:
            left = mid + 1
        else:
            right = mid
    return left


@numba.njit(cache=True, error_model="numpy")
def _shared(alias, v_lo, v_hi, t_lo, t_hi, target):
    """Walk N(v) ∩ N(t) (both rows sorted), summing v's weights w_vx; return the position in v's row
    where the running sum first exceeds ``target`` (the last shared one if it never does; -1 if none)
    and the sum so far. Steps through the shorter row and gallops through the longer one."""
    v_short = v_hi - v_lo <= t_hi - t_lo
    lo, hi = (v_lo, v_hi) if v_short else (t_lo, t_hi)
    other, other_hi = (t_lo, t_hi) if v_short else (v_lo, v_hi)
    total = 0.0
    last = -1
    for a in range(lo, hi):
        x = alias[a].node
        other = _seek(alias, other, other_hi, x)
        if other == other_hi:
            break
        if alias[other].node == x:
            last = a if v_short else other
            total += alias[last].w
            if total > target:
                break
    return last, total


@numba.njit(cache=True, error_model="numpy")
def _shared_both(indices, weights, a_lo, a_hi, b_lo, b_hi):
    """(Σ w_ax, Σ w_bx) over x ∈ N(a) ∩ N(b), on the compact CSR: a two-pointer merge of the sorted rows,
    or, when that costs more, a binary search of the longer row for each id of the shorter."""
    sum_a = sum_b = 0.0
    short, long = min(a_hi - a_lo, b_hi - b_lo), max(a_hi - a_lo, b_hi - b_lo)
    if short * np.log2(long + 1.0) < short + long:  # searching costs less than merging
        swap = a_hi - a_lo > b_hi - b_lo
        s_lo, s_hi, l_lo, l_hi = (b_lo, b_hi, a_lo, a_hi) if swap else (a_lo, a_hi, b_lo, b_hi)
        for i in range(s_lo, s_hi):
            k = l_lo + np.searchsorted(indices[l_lo:l_hi], indices[i])
            if k < l_hi and indices[k] == indices[i]:
                sum_a += weights[k] if swap else weights[i]
                sum_b += weights[i] if swap else weights[k]
                l_lo = k + 1
        return sum_a, sum_b
    i, k = a_lo, b_lo
    while i < a_hi and k < b_hi:  # branch-free advance; only the (rare) match branches
        x, y = indices[i], indices[k]
        if x == y:
            sum_a += weights[i]
            sum_b += weights[k]
        i += x <= y
        k += y <= x
    return sum_a, sum_b


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _node2vec_index(walk_indptr, alias, strength, order, indptr, indices, weights, out):
    """Fill ``SECOND_ORDER`` per stored edge; return how many edges have no reverse of equal weight.
    Each undirected edge is intersected once (on the compact original CSR) and fills both directions."""
    n = len(walk_indptr) - 1
    asymmetric = np.zeros(n, dtype=np.int64)
    for task in numba.prange(256):  # rows dealt round-robin: walk space puts all hubs first
        for t in range(task, n, 256):
            for e in range(walk_indptr[t], walk_indptr[t + 1]):
                v = np.int64(alias[e].node)
                back = _seek(alias, walk_indptr[v], walk_indptr[v + 1], t)
                out[e].back = back
                out[e].rest = max(strength[v] - alias[e].w, 0.0)
                if back == walk_indptr[v + 1] or alias[back].node != t or alias[back].w != alias[e].w:
                    asymmetric[t] += 1
                    continue
                if v < t:  # the pair is done from its other end
                    continue
                ot, ov = order[t], order[v]
                to_t, to_v = _shared_both(indices, weights, indptr[ot], indptr[ot + 1], indptr[ov], indptr[ov + 1])
                out[e].shared = to_v  # t→v: the weight v puts on their shared neighbours
                out[back].shared = to_t
    return asymmetric.sum()


@numba.njit(cache=True, inline="always", error_model="numpy")
def _propose(alias, lo, degree, state):
    """One first-order proposal from a row: (state, entry position)."""
    state, bits = _next(state)
    return state, _first_order(alias, lo, degree, bits)


@numba.njit(cache=True, error_model="numpy")
def _second_order_stage(alias, scratch, inv_p, inv_q):
    """One node2vec step for a block of walks: entry[j] = chosen table position, -1 = back to t, -2 = pad.

    Target at v coming from t: P(x) ∝ w_vx · a(x), a(t) = 1/p, a(x) = 1 for x ∈ N(t), 1/q otherwise.
    Split exactly into classes whose masses are known from the row strength S, the edge weight w_vt and
    the shared mass C (``node2vec_index``): return (w_vt/p); base min(1, 1/q) · (S - w_vt), drawn from
    the first-order table with t redrawn; and the rest of a(x): for q > 1 the shared neighbours,
    (1 - 1/q) · C, drawn from the table until one is in N(t) when that takes few draws, else exactly by
    walking N(v) ∩ N(t); for q < 1 the far ones, (1/q - 1) · (S - w_vt - C), drawn from the table until
    one is neither t nor in N(t). No rejected trials on the common path.
    """
    cur, prev, prev_row, prev_degree, row, degree, w_prev, states, bits, entry, rest_mass, shared, kind = scratch
    for j in range(len(cur)):  # the class, and a first-order proposal for the table-drawn ones
        kind[j] = 0
        if degree[j] == 0:
            entry[j] = -2
            continue
        states[j], bits[j] = _next(states[j])
        u = np.float64(bits[j] >> np.uint64(11)) * (1.0 / 9007199254740992.0)
        rest = rest_mass[j]
        ret = w_prev[j] * inv_p
        base = min(1.0, inv_q) * rest
        if inv_q < 1.0:
            extra = (1.0 - inv_q) * shared[j]
        else:
            far = rest - shared[j]
            extra = (inv_q - 1.0) * far if far > 1e-6 * rest else 0.0  # float32 C: no phantom far mass
        u *= ret + base + extra
        if u < ret or rest <= 0.0:
            entry[j] = -1
            continue
        kind[j] = 1  # base: from the table, t redrawn
        if u >= ret + base and inv_q > 1.0:
            kind[j] = 2 if shared[j] > 0.0 else 1  # far: from the table, t and shared neighbours redrawn
        elif u >= ret + base:  # shared: few expected table draws (rest / C) or walk the intersection
            kind[j] = 3
            if rest * 8.0 >= shared[j] * min(degree[j], prev_degree[j]):
                target = (u - ret - base) / (1.0 - inv_q)  # where Σ w_vx over N(v) ∩ N(t) passes it
                lo_t = prev_row[j]
                entry[j] = _shared(alias, row[j], row[j] + degree[j], lo_t, lo_t + prev_degree[j], target)[0]
                if entry[j] >= 0:
                    kind[j] = 0
                    continue
                kind[j] = 1  # C was float32 rounding of nothing: a base draw
        states[j], bits[j] = _next(states[j])
        entry[j] = row[j] + np.int64(((bits[j] >> np.uint64(32)) * np.uint64(degree[j])) >> np.uint64(32))
        _prefetch(alias, entry[j])
    for j in range(len(cur)):  # the alias coin, for all table draws at once (their misses overlap)
        e = entry[j]
        if kind[j] > 0 and (bits[j] & np.uint64(0xFFFFFFFF)) >= alias[e].thr:
            entry[j] = np.int64(alias[e].alias)
    for j in range(len(cur)):  # redraw until the draw is in its class
        if kind[j] == 0:
            continue
        lo_t, hi_t = prev_row[j], prev_row[j] + prev_degree[j]
        while True:
            x = alias[entry[j]].node
            if kind[j] == 1:
                if x != prev[j]:
                    break
            else:
                f = _seek(alias, lo_t, hi_t, x)
                near = f < hi_t and alias[f].node == x  # x ∈ N(t); t itself never is
                if near == (kind[j] == 3) and x != prev[j]:
                    break
            states[j], entry[j] = _propose(alias, row[j], degree[j], states[j])


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _walk_chunk(indptr, alias, index, order, starts, walk_ids, seed, inv_p, inv_q, second_order, out):
    """Fill ``out`` (walks × length, original ids).

    Walks advance in lockstep blocks, and each step is split into short loops over the block (row
    lookup, table lookup, resolve), so the CPU overlaps many walks' cache misses instead of waiting on
    each one in turn; each loop prefetches what the next one reads (table entry, node2vec record, row).
    """
    n, length = out.shape
    block = 128
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
        rest_mass = np.zeros(m, dtype=np.float64)
        link = np.zeros(m, dtype=np.int64)  # position of the edge t→v in t's row
        kind = np.zeros(m, dtype=np.int8)
        shared = np.zeros(m, dtype=np.float64)
        back = np.zeros(m, dtype=np.int64)  # position of the edge v→t in v's row
        # per-walk scratch arrays of this block, shared with the node2vec stage
        scratch = (cur, prev, prev_row, prev_degree, row, degree, w_prev, states, bits, entry, rest_mass, shared, kind)
        for j in range(m):
            states[j] = _mix(np.uint64(seed) ^ _mix(np.uint64(walk_ids[lo + j]) + _GOLDEN))
            cur[j] = starts[lo + j]
            out[lo + j, 0] = order[cur[j]]
        for k in range(1, length):
            for j in range(m):  # 1. rows
                v = max(cur[j], 0)
                row[j] = indptr[v]
                degree[j] = indptr[v + 1] - row[j] if cur[j] >= 0 else 0
                if second_order:  # one read, in a short loop, so the misses overlap
                    rest_mass[j] = index[link[j]].rest
                    shared[j] = index[link[j]].shared
                    back[j] = index[link[j]].back
            if second_order and k >= 2:
                _second_order_stage(alias, scratch, inv_p, inv_q)
            else:
                for j in range(m):  # 2. column and coin from one 64-bit draw
                    states[j], bits[j] = _next(states[j])
                    if degree[j] == 0:
                        entry[j] = -2
                        continue
                    entry[j] = row[j] + np.int64(((bits[j] >> np.uint64(32)) * np.uint64(degree[j])) >> np.uint64(32))
                    _prefetch(alias, entry[j])
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
                    link[j] = back[j]  # the edge is now v→t
                else:
                    x = np.int64(alias[e].node)
                    w_prev[j] = alias[e].w
                    link[j] = e
                if second_order:
                    _prefetch(index, link[j])
                prev[j] = cur[j]
                prev_row[j] = row[j]
                prev_degree[j] = degree[j]
                cur[j] = x
                _prefetch(indptr, x)
                out[lo + j, k] = order[x]


# ----------------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------------


def _check_walk_arguments(p: float, q: float, **counts: int) -> None:
    """A ValueError naming the argument for what the kernel would misread: float or < 1 counts, a negative
    seed (0 is the least), NaN, infinite or non-positive p or q."""
    for name, value in counts.items():
        least = 0 if name == "seed" else 1
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
            raise ValueError(f"{name} must be an integer, at least {least}; got {value} ({type(value).__name__})")
    if not all(isinstance(x, int | float | np.number) and np.isfinite(x) and x > 0 for x in (p, q)):
        raise ValueError(f"p and q must be positive and finite, got p={p}, q={q}")


def active_nodes(graph: ProductGraph) -> np.ndarray:
    """The nodes walks start from: every node with an edge, in id order."""
    return np.flatnonzero(graph.degree > 0).astype(np.int32)


def round_order(active: np.ndarray, seed: int, r: int) -> np.ndarray:
    """Start nodes of round r: every non-isolated node once, shuffled by (seed, r)."""
    return np.random.default_rng([seed, r]).permutation(active)


def walk_block(graph: ProductGraph, starts: np.ndarray, round_: int, walk_length: int, p: float, q: float,
               seed: int, index: np.ndarray | None = None, rank: np.ndarray | None = None) -> np.ndarray:
    """The walks of round ``round_`` from ``starts`` (a slice of :func:`round_order`), computed alone.

    A walk's random stream is keyed by (seed, round, start node), so any split of the rows into blocks — chunks
    here, tasks on a cluster (:mod:`recsys_tutorial.distributed`) — gives the same walks. ``index`` (node2vec's)
    and ``rank`` (original id → walk space) are built when not given; callers running many blocks pass them.
    """
    second_order = not (p == 1.0 and q == 1.0)
    if index is None:
        index = graph.node2vec_index() if second_order else np.zeros(1, SECOND_ORDER)
    if rank is None:
        rank = walk_ranks(graph)
    starts = np.asarray(starts, dtype=np.int32)
    buffer = np.empty((len(starts), walk_length), dtype=np.int32)
    _walk_chunk(graph.walk_indptr, graph.alias, index, graph.order, rank[starts],
                np.int64(round_) * graph.num_nodes + starts, np.uint64(int(seed) % 2**64), 1.0 / p, 1.0 / q,
                second_order, buffer)
    return buffer


def walk_ranks(graph: ProductGraph) -> np.ndarray:
    """Original id → walk-space id (the inverse of ``graph.order``)."""
    rank = np.empty(graph.num_nodes, np.int32)
    rank[graph.order] = np.arange(graph.num_nodes, dtype=np.int32)
    return rank


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
    _check_walk_arguments(num_walks=num_walks, walk_length=walk_length, chunk_size=chunk_size, seed=seed, p=p, q=q)
    active = active_nodes(graph)
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
    index = graph.node2vec_index() if second_order else np.zeros(1, SECOND_ORDER)
    rank = walk_ranks(graph)
    kind = f"node2vec p={p:g} q={q:g}" if second_order else "first-order"
    try:
        with tqdm(total=shape[0], unit="walk", desc=f"{kind} walks", disable=not progress) as bar:
            for r in range(num_walks):  # start nodes are made per round, walks per chunk
                order = round_order(active, seed, r)
                for lo in range(0, len(active), chunk_size):
                    block = walk_block(graph, order[lo : lo + chunk_size], r, walk_length, p, q, seed, index,
                                       rank)
                    row = r * len(active) + lo
                    walks[row : row + len(block)] = block
                    bar.update(len(block))
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


def compile_kernels() -> float:
    """Compile (or load from numba's disk cache) every walk kernel on a five-node graph; return the seconds.

    Call it before timing graph building or walks, so a cold start (a fresh clone, Colab) measures the work and
    not the compiler: a first call otherwise adds ~20 s of compilation to whatever it times.
    """
    import time

    start = time.perf_counter()
    edges = pd.DataFrame({"src": [0, 0, 1, 1, 2, 3], "dst": [1, 2, 2, 3, 3, 4],
                          "weight": np.array([1.0, 2.0, 0.5, 1.0, 3.0, 1.0], dtype=np.float32)})
    validation = pd.DataFrame({"src": [0], "dst": [4], "label": [1]})
    graph = ProductGraph.from_edges(edges, 5, validation=validation)
    for p, q in ((1.0, 1.0), (0.5, 2.0), (2.0, 0.5)):
        random_walks(graph, 2, 4, p=p, q=q, seed=0, progress=False)
    return time.perf_counter() - start
