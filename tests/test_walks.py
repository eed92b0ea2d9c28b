"""Random walks: transition laws (chi-square), node2vec bias ratios, determinism, no leakage."""

from __future__ import annotations

import numba
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from recsys_tutorial.split import train_val_split
from recsys_tutorial.walks import PAD, ProductGraph, random_walks


def graph_of(pairs, weights=None, n=None):
    src, dst = zip(*pairs, strict=True)
    edges = pd.DataFrame({"src": src, "dst": dst, "weight": weights or [1.0] * len(pairs)})
    return ProductGraph.from_edges(edges, n or max(max(src), max(dst)) + 1)


def transitions(walks: np.ndarray) -> pd.DataFrame:
    a, b = walks[:, :-1].ravel(), walks[:, 1:].ravel()
    keep = (a >= 0) & (b >= 0)
    return pd.DataFrame({"a": a[keep], "b": b[keep]})


def test_csr_is_symmetric_sorted_and_summed():
    g = graph_of([(0, 1), (1, 2), (0, 3)], [2.0, 0.5, 1.0], n=5)
    assert g.indptr.tolist() == [0, 2, 4, 5, 6, 6]
    assert g.indices.tolist() == [1, 3, 0, 2, 1, 0]
    assert g.weights.tolist() == [2.0, 1.0, 2.0, 0.5, 0.5, 1.0]
    assert g.strength.tolist() == [3.0, 2.5, 0.5, 1.0, 0.0]
    for r, v in enumerate(g.order):  # the walk-space alias rows hold the same neighbours and weights
        row = g.alias[g.walk_indptr[r]:g.walk_indptr[r + 1]]
        lo, hi = g.indptr[v], g.indptr[v + 1]
        assert sorted(zip(g.order[row["node"]].tolist(), row["w"].tolist(), strict=True)) == sorted(
            zip(g.indices[lo:hi].tolist(), g.weights[lo:hi].tolist(), strict=True))
    assert g.stats()["isolated nodes"] == 1
    before = g.stats()["memory (MB)"]
    g.node2vec_index()  # 12 bytes per stored edge, counted once built
    assert g.stats()["memory (MB)"] * 2**20 == pytest.approx(before * 2**20 + 12 * len(g.indices))
    assert g.has_edge([0, 0, 2], [1, 2, 1]).tolist() == [True, False, True]


def test_first_order_transitions_follow_the_weights():
    # A star with unequal weights plus a triangle, so rows have 1–4 neighbours.
    pairs = [(0, 1), (0, 2), (0, 3), (0, 4), (1, 2), (3, 5)]
    weights = [1.0, 2.0, 3.0, 4.0, 1.2, 0.5]
    g = graph_of(pairs, weights)
    walks = random_walks(g, num_walks=400, walk_length=20, seed=3, progress=False)
    counts = transitions(walks).value_counts()
    for v in range(g.num_nodes):
        lo, hi = g.indptr[v], g.indptr[v + 1]
        if hi - lo < 2:
            continue
        observed = np.array([counts.get((v, x), 0) for x in g.indices[lo:hi]])
        w = g.weights[lo:hi].astype(np.float64)
        expected = w / w.sum() * observed.sum()
        assert stats.chisquare(observed, expected).pvalue > 1e-3, v


def test_node2vec_bias_ratios_are_one_over_p_one_one_over_q():
    # From t=0 to v=1, the walk can return (0), stay near t (2, a neighbour of 0) or move away (3).
    g = graph_of([(0, 1), (1, 2), (0, 2), (1, 3)])
    p, q = 0.5, 4.0
    walks = random_walks(g, num_walks=6000, walk_length=12, p=p, q=q, seed=5, progress=False)
    triples = np.stack([walks[:, :-2].ravel(), walks[:, 1:-1].ravel(), walks[:, 2:].ravel()], axis=1)
    after = triples[(triples[:, 0] == 0) & (triples[:, 1] == 1)][:, 2]
    observed = np.array([(after == x).sum() for x in (0, 2, 3)])
    bias = np.array([1 / p, 1.0, 1 / q])
    assert stats.chisquare(observed, bias / bias.sum() * observed.sum()).pvalue > 1e-3
    assert observed[0] / observed[1] == pytest.approx(1 / p, rel=0.1)
    assert observed[2] / observed[1] == pytest.approx(1 / q, rel=0.2)


def test_node2vec_with_weights_multiplies_bias_and_weight():
    g = graph_of([(0, 1), (1, 2), (0, 2), (1, 3)], [1.0, 3.0, 1.0, 2.0])
    walks = random_walks(g, num_walks=6000, walk_length=12, p=2.0, q=0.5, seed=9, progress=False)
    triples = np.stack([walks[:, :-2].ravel(), walks[:, 1:-1].ravel(), walks[:, 2:].ravel()], axis=1)
    after = triples[(triples[:, 0] == 0) & (triples[:, 1] == 1)][:, 2]
    observed = np.array([(after == x).sum() for x in (0, 2, 3)])
    expected = np.array([1.0 * 0.5, 3.0 * 1.0, 2.0 * 2.0])
    assert stats.chisquare(observed, expected / expected.sum() * observed.sum()).pvalue > 1e-3


def test_p_equals_q_equals_one_matches_first_order_in_distribution(ci_edges):
    edges, vocab = ci_edges
    g = ProductGraph.from_edges(edges, len(vocab))
    first = transitions(random_walks(g, 5, 10, seed=1, progress=False))
    # p and q a hair away from 1 force the second-order (rejection) code path.
    second = transitions(random_walks(g, 5, 10, p=1.0 + 1e-9, q=1.0 - 1e-9, seed=2, progress=False))
    hubs = np.argsort(g.degree)[-5:]
    for v in hubs:
        a = first[first["a"] == v]["b"].value_counts()
        b = second[second["a"] == v]["b"].value_counts()
        table = pd.concat([a, b], axis=1).fillna(0).to_numpy()
        table = table[table.sum(axis=1) >= 10]
        assert stats.chi2_contingency(table).pvalue > 1e-3, v


def test_same_output_at_any_thread_count_and_chunk_size(ci_edges):
    edges, vocab = ci_edges
    g = ProductGraph.from_edges(edges, len(vocab))
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = random_walks(g, 3, 8, p=0.5, q=2.0, seed=11, progress=False)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = random_walks(g, 3, 8, p=0.5, q=2.0, seed=11, progress=False, chunk_size=1000)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one, two)
    assert not np.array_equal(one, random_walks(g, 3, 8, p=0.5, q=2.0, seed=12, progress=False))


def test_walks_never_use_a_validation_edge(ci_edges):
    edges, vocab = ci_edges
    sp = train_val_split(edges, num_nodes=len(vocab))
    g = ProductGraph.from_edges(sp.train, sp.num_nodes, validation=sp.val)
    walks = random_walks(g, 5, 10, p=0.5, q=2.0, seed=0, progress=False)
    steps = transitions(walks)
    assert g.has_edge(steps["a"], steps["b"]).all()  # every step is a training edge
    pos = sp.val[sp.val["label"] == 1]
    val_keys = set((np.minimum(pos["src"], pos["dst"]) * sp.num_nodes + np.maximum(pos["src"], pos["dst"])).tolist())
    step_keys = set((np.minimum(steps["a"], steps["b"]).astype(np.int64) * sp.num_nodes
                     + np.maximum(steps["a"], steps["b"])).tolist())
    assert not val_keys & step_keys
    with pytest.raises(ValueError, match="validation positives are in the training graph"):
        ProductGraph.from_edges(edges, len(vocab), validation=sp.val)


def test_isolated_nodes_get_no_walk_and_dead_ends_are_padded():
    g = graph_of([(0, 1), (1, 2)], n=4)  # node 3 is isolated
    walks = random_walks(g, 2, 5, seed=0, progress=False)
    assert len(walks) == 2 * 3 and 3 not in walks
    # A directed, hand-built CSR: 0 → 1 → (nothing).
    dead = ProductGraph.from_csr(np.array([0, 1, 1], np.int64), np.array([1], np.int32), np.array([1.0], np.float32))
    walks = random_walks(dead, 1, 4, seed=0, progress=False)
    assert walks.tolist() == [[0, 1, PAD, PAD]]


def test_memory_mapped_output_equals_in_memory(tmp_path, ci_edges):
    edges, vocab = ci_edges
    g = ProductGraph.from_edges(edges, len(vocab))
    in_memory = random_walks(g, 2, 6, p=0.5, q=2.0, seed=4, progress=False)
    mapped = random_walks(g, 2, 6, p=0.5, q=2.0, seed=4, progress=False, out=tmp_path / "w.npy", chunk_size=777)
    assert isinstance(mapped, np.memmap)
    np.testing.assert_array_equal(in_memory, mapped)
    assert [p.name for p in tmp_path.iterdir()] == ["w.npy"]


def test_bad_arguments_are_clear_errors():
    g = graph_of([(0, 1)])
    with pytest.raises(ValueError, match="p and q"):
        random_walks(g, p=0)
    with pytest.raises(ValueError, match="at least 1"):
        random_walks(g, walk_length=0)
    with pytest.raises(ValueError, match="ids must lie"):
        ProductGraph.from_edges(pd.DataFrame({"src": [0], "dst": [5], "weight": [1.0]}), 3)
    with pytest.raises(ValueError, match="positive"):
        ProductGraph.from_edges(pd.DataFrame({"src": [0], "dst": [1], "weight": [0.0]}), 3)


@st.composite
def small_graphs(draw):
    n = draw(st.integers(2, 25))
    pairs = draw(st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda e: e[0] < e[1]),
                         min_size=1, max_size=60))
    weights = draw(st.lists(st.floats(0.1, 5.0), min_size=len(pairs), max_size=len(pairs)))
    return sorted(pairs), weights, n


@given(small_graphs(), st.integers(1, 4), st.integers(1, 8), st.sampled_from([(1.0, 1.0), (0.5, 2.0), (4.0, 0.25)]),
       st.integers(0, 2**63))
@settings(max_examples=60, deadline=None)
def test_walk_structure(graph, num_walks, length, pq, seed):
    pairs, weights, n = graph
    g = graph_of(pairs, weights, n)
    walks = random_walks(g, num_walks, length, p=pq[0], q=pq[1], seed=seed, progress=False)
    active = np.flatnonzero(g.degree > 0)
    assert walks.shape == (num_walks * len(active), length) and walks.dtype == np.int32
    starts, counts = np.unique(walks[:, 0], return_counts=True)
    assert starts.tolist() == active.tolist() and (counts == num_walks).all()  # each node starts num_walks walks
    steps = transitions(walks)
    assert g.has_edge(steps["a"], steps["b"]).all()  # every step follows an edge
    np.testing.assert_array_equal(walks, random_walks(g, num_walks, length, p=pq[0], q=pq[1], seed=seed,
                                                      progress=False))


def test_the_leak_check_does_not_wrap_on_int32_ids_of_a_large_graph():
    n = 1 << 17  # with int32 ids, 5·n + 100000 and 32773·n + 100000 are the same key modulo 2^32
    train = pd.DataFrame({"src": np.array([5], np.int32), "dst": np.array([100_000], np.int32), "weight": [1.0]})
    val = pd.DataFrame({"src": np.array([32_773], np.int32), "dst": np.array([100_000], np.int32), "label": [1]})
    ProductGraph.from_edges(train, n, validation=val)  # disjoint: must not raise
    with pytest.raises(ValueError, match="validation positives"):
        ProductGraph.from_edges(train, n, validation=val.assign(src=np.int32(5)))


def test_node2vec_in_out_bias_below_one_and_directed_graphs():
    # q < 1 favours moving away: from t=0 at v=1, the far node 3 gets weight 1/q, the shared one 2 gets 1.
    g = graph_of([(0, 1), (1, 2), (0, 2), (1, 3), (1, 4), (3, 4)], [1.0, 2.0, 1.0, 0.5, 1.5, 1.0])
    walks = random_walks(g, num_walks=5000, walk_length=12, p=3.0, q=0.25, seed=4, progress=False)
    triples = np.stack([walks[:, :-2].ravel(), walks[:, 1:-1].ravel(), walks[:, 2:].ravel()], axis=1)
    after = triples[(triples[:, 0] == 0) & (triples[:, 1] == 1)][:, 2]
    observed = np.array([(after == x).sum() for x in (0, 2, 3, 4)])
    expected = np.array([1.0 / 3.0, 2.0 * 1.0, 0.5 * 4.0, 1.5 * 4.0])
    assert stats.chisquare(observed, expected / expected.sum() * observed.sum()).pvalue > 1e-3
    # A hand-built directed CSR walks first-order, but node2vec needs every edge's reverse.
    one_way = ProductGraph.from_csr(np.array([0, 1, 2, 2], np.int64), np.array([1, 2], np.int32),
                                    np.array([1.0, 1.0], np.float32))
    assert sorted(random_walks(one_way, 1, 3, seed=0, progress=False).tolist()) == [[0, 1, 2], [1, 2, PAD]]
    with pytest.raises(ValueError, match="undirected"):
        random_walks(one_way, 1, 3, p=0.5, q=2.0, progress=False)


def test_node2vec_index_holds_masses_and_reverse_edges(ci_edges):
    edges, vocab = ci_edges
    g = ProductGraph.from_edges(edges, len(vocab))
    index = g.node2vec_index()
    rows = [g.alias[g.walk_indptr[r]:g.walk_indptr[r + 1]] for r in range(g.num_nodes)]
    weight = [dict(zip(row["node"].tolist(), row["w"].tolist(), strict=True)) for row in rows]
    rng = np.random.default_rng(0)
    for e in rng.choice(len(g.alias), 300, replace=False):
        t = int(np.searchsorted(g.walk_indptr, e, side="right") - 1)
        v = int(g.alias[e]["node"])
        assert index[e]["shared"] == pytest.approx(sum(w for x, w in weight[v].items() if x in weight[t]), rel=1e-5)
        assert index[e]["rest"] == pytest.approx(sum(w for x, w in weight[v].items() if x != t), rel=1e-5)
        back = index[e]["back"]
        assert g.alias[back]["node"] == t and g.walk_indptr[v] <= back < g.walk_indptr[v + 1]


def test_node2vec_shared_neighbours_in_a_dense_clique():
    # In a 12-clique most of v's mass is shared with t, so shared moves are drawn from the table and kept
    # when in N(t) (the path for dense rows); v=1 also has 3 far leaves (10, 11, 12 → ids 12..14).
    clique = [(a, b) for a in range(12) for b in range(a + 1, 12)]
    leaves = [(1, 12), (1, 13), (1, 14)]
    g = graph_of(clique + leaves, [1.0 + (a + b) % 3 for a, b in clique] + [2.0, 1.0, 3.0])
    p, q = 2.0, 3.0
    walks = random_walks(g, num_walks=3000, walk_length=10, p=p, q=q, seed=8, progress=False)
    triples = np.stack([walks[:, :-2].ravel(), walks[:, 1:-1].ravel(), walks[:, 2:].ravel()], axis=1)
    after = triples[(triples[:, 0] == 0) & (triples[:, 1] == 1)][:, 2]
    lo, hi = g.indptr[1], g.indptr[1 + 1]
    targets, w = g.indices[lo:hi], g.weights[lo:hi].astype(np.float64)
    bias = np.where(targets == 0, 1 / p, np.where(targets < 12, 1.0, 1 / q))
    observed = np.array([(after == x).sum() for x in targets])
    expected = w * bias / (w * bias).sum() * observed.sum()
    assert stats.chisquare(observed, expected).pvalue > 1e-3


def second_order_law(g: ProductGraph, t: int, v: int, p: float, q: float) -> tuple[np.ndarray, np.ndarray]:
    """node2vec's next step from v after t, from first principles: x ∈ N(v) with probability ∝ w_vx / p if
    x = t, w_vx if x ∈ N(t), w_vx / q otherwise."""
    lo, hi = g.indptr[v], g.indptr[v + 1]
    targets, w = g.indices[lo:hi], g.weights[lo:hi].astype(np.float64)
    near = np.isin(targets, g.indices[g.indptr[t]:g.indptr[t + 1]])
    bias = np.where(targets == t, 1 / p, np.where(near, 1.0, 1 / q))
    return targets, w * bias / (w * bias).sum()


@pytest.mark.parametrize(("p", "q"), [(0.5, 3.0), (2.0, 0.4)])
def test_node2vec_follows_its_law_for_every_pair_of_a_weighted_graph(p, q):
    """Every (t, v) with enough visits, on a graph whose rows take both kernel paths for the shared class:
    a dense, unequally weighted 9-clique (shared moves drawn from the table) and sparse, weighted chains
    and triangles hanging off it (shared moves found by walking the two rows)."""
    rng = np.random.default_rng(21)
    pairs = [(a, b) for a in range(9) for b in range(a + 1, 9)]
    pairs += [(0, 9), (9, 10), (10, 0), (10, 11), (11, 12), (12, 10), (1, 13), (13, 14), (14, 1), (2, 15), (15, 16)]
    pairs += [(4, 17), (17, 18), (18, 4), (17, 5), (3, 19), (19, 9)]
    weights = rng.choice([0.5, 1.0, 2.0, 4.0, 7.0], size=len(pairs)).tolist()
    g = graph_of(pairs, weights)
    walks = random_walks(g, num_walks=1500, walk_length=14, p=p, q=q, seed=13, progress=False)
    triples = np.stack([walks[:, :-2].ravel(), walks[:, 1:-1].ravel(), walks[:, 2:].ravel()], axis=1)
    triples = triples[(triples >= 0).all(axis=1)]
    counted = pd.DataFrame(triples, columns=["t", "v", "x"]).value_counts()
    checked = 0
    for (t, v), group in counted.groupby(level=["t", "v"]):
        if group.sum() < 300 or g.degree[v] < 2:
            continue
        targets, law = second_order_law(g, t, v, p, q)
        observed = np.array([group.get((t, v, x), 0) for x in targets])
        assert observed.sum() == group.sum(), (t, v)  # never a step to a non-neighbour
        assert stats.chisquare(observed, law * observed.sum()).pvalue > 1e-5, (t, v)
        checked += 1
    assert checked >= 60


def test_compile_kernels_leaves_every_kernel_the_walks_use_compiled():
    """The book times walks after this call: every numba kernel the walks and the graph build call directly must
    already hold a compiled signature (inlined helpers are compiled into their callers)."""
    from recsys_tutorial import walks

    walks.compile_kernels()
    kernels = {name: obj for name, obj in vars(walks).items() if isinstance(obj, numba.core.registry.CPUDispatcher)}
    top_level = {"_fill_csr", "_sort_rows", "_walk_space", "_build_alias", "_node2vec_index", "_walk_chunk"}
    assert top_level <= kernels.keys()
    assert all(kernels[name].signatures for name in top_level), {n: kernels[n].signatures for n in top_level}
