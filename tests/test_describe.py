"""Graph statistics against networkx, and the embedded data's structure against real co-purchase graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recsys_tutorial import plots
from recsys_tutorial.describe import REFERENCE_AUC, REFERENCE_GRAPHS, graph_statistics, local_clustering
from recsys_tutorial.edges import build_edges
from recsys_tutorial.synthetic import synthetic_tables


def edge_frame(graph: nx.Graph, weight: float = 1.0) -> pd.DataFrame:
    pairs = np.sort(np.array(graph.edges(), dtype=np.int64).reshape(-1, 2), axis=1)
    return pd.DataFrame({"src": pairs[:, 0].astype(np.int32), "dst": pairs[:, 1].astype(np.int32),
                         "weight": np.full(len(pairs), weight, np.float32)})


@settings(max_examples=25, deadline=None)
@given(n=st.integers(3, 60), p=st.floats(0.02, 0.6), seed=st.integers(0, 10**6))
def test_local_clustering_equals_networkx(n, p, seed):
    graph = nx.gnp_random_graph(n, p, seed=seed)
    expected = nx.clustering(graph)
    got = local_clustering(edge_frame(graph), n)
    np.testing.assert_allclose(got, [expected[i] for i in range(n)], atol=1e-12)


def test_graph_statistics_on_a_known_graph():
    graph = nx.powerlaw_cluster_graph(400, 3, 0.6, seed=2)
    edges = edge_frame(graph)
    edges.loc[:9, "weight"] = 2.0
    edges.loc[10:14, "weight"] = 0.5
    degree = np.array([d for _, d in sorted(graph.degree())])
    stats = graph_statistics(edges, pd.Index([f"P{i:04d}" for i in range(400)]),
                             products=pd.DataFrame({"asin": [f"P{i:04d}" for i in range(100)]}))
    assert stats["nodes"] == 400 and stats["edges"] == graph.number_of_edges()
    assert stats["mean degree"] == pytest.approx(degree.mean())
    assert stats["median degree"] == np.median(degree) and stats["max degree"] == degree.max()
    assert stats["top-1% endpoint share"] == pytest.approx(np.sort(degree)[::-1][:4].sum() / degree.sum())
    assert stats["average clustering"] == pytest.approx(nx.average_clustering(graph))
    ge2 = [c for node, c in nx.clustering(graph).items() if graph.degree(node) >= 2]
    assert stats["clustering, degree ≥ 2"] == pytest.approx(np.mean(ge2))
    assert stats["degree assortativity"] == pytest.approx(nx.degree_assortativity_coefficient(graph))
    assert stats["edges of weight 2"] == pytest.approx(10 / len(edges))
    assert stats["edges of weight 0.5"] == pytest.approx(5 / len(edges))
    assert stats["nodes without metadata"] == pytest.approx(0.75)


@pytest.fixture(scope="module")
def default_graph():
    """The ``default`` profile's data (50 K products, the book's seed), as tables and statistics."""
    products, relations = synthetic_tables(50_000, seed=42)
    edges, vocab = build_edges(products, relations)
    return products, relations, graph_statistics(edges, vocab, products)


def test_default_data_is_structured_like_real_co_purchase_graphs(default_graph):
    *_, stats = default_graph
    assert 0.30 <= stats["clustering, degree ≥ 2"] <= 0.45  # real extracts 0.31–0.46; SNAP Amazon 0.40–0.42
    assert stats["median degree"] <= 3  # real: 1–2
    assert stats["top-1% endpoint share"] >= 0.12  # real: 0.13–0.29
    assert 14.3 <= stats["mean degree"] <= 23.9  # Electronics 19.1 ± 25 %
    assert 0.55 <= stats["nodes without metadata"] <= 0.67  # Electronics 0.61


def test_lists_stop_at_100_and_bought_together_is_their_head(default_graph):
    _, relations, _ = default_graph
    by_source = relations.groupby(["asin", "relation"], observed=True).size().unstack(fill_value=0)
    assert by_source.to_numpy().max() <= 100  # Amazon's lists stop at 100
    assert (by_source["also_bought"] >= 100).any()  # best-sellers fill theirs
    # bought_together is the head (first one or two items) of also_bought
    rows = relations.assign(asin=relations["asin"].astype(str), related=relations["related"].astype(str))
    bought = rows[rows["relation"] == "also_bought"]
    bought = bought.assign(position=bought.groupby("asin").cumcount())
    together = rows[rows["relation"] == "bought_together"].merge(bought, on=["asin", "related"], how="left")
    assert len(together) > 0 and together["position"].notna().all()
    assert together["position"].max() <= 1


def test_reference_graphs_hold_published_and_measured_values():
    assert set(REFERENCE_GRAPHS["source"]) == {"published", "measured"}
    measured = REFERENCE_GRAPHS.loc[REFERENCE_GRAPHS["source"] == "measured", "graph"]
    assert list(REFERENCE_AUC.columns) == list(measured)  # every measured graph has its method scores
    assert ((REFERENCE_AUC > 0) & (REFERENCE_AUC < 1)).all().all()
    published = REFERENCE_GRAPHS.set_index("graph")["average clustering"]
    assert published["SNAP Amazon0302 (co-purchases, 2003)"] == pytest.approx(0.4198)


def test_clustering_by_degree_figure():
    graph = nx.powerlaw_cluster_graph(300, 3, 0.5, seed=4)
    fig = plots.clustering_by_degree(edge_frame(graph), 300, REFERENCE_GRAPHS)
    curve = fig.data[0]
    assert curve.name == "this graph, by degree" and len(curve.x) >= 3
    assert all(0 <= y <= 1 for y in curve.y)
    assert len(fig.data) == 1 + len(REFERENCE_GRAPHS)  # one line per reference graph
    assert fig.layout.xaxis.type == "log"
