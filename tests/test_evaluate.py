"""Evaluation: heuristics against networkx, AUCs against sklearn, ranking against brute force, node2vec protocol."""

from __future__ import annotations

import subprocess
import sys

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from recsys_tutorial import evaluate as ev
from recsys_tutorial.split import Split, _degree_bucket, train_val_split


def frame(graph: nx.Graph) -> pd.DataFrame:
    e = np.array(list(graph.edges()), dtype=np.int64).reshape(-1, 2)
    return pd.DataFrame({"src": e[:, 0].astype(np.int32), "dst": e[:, 1].astype(np.int32),
                         "weight": np.ones(len(e), np.float32)})


def keyset(a, b, n) -> set[int]:
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    return set((np.minimum(a, b) * n + np.maximum(a, b)).tolist())


@pytest.fixture(scope="module")
def ba_split() -> Split:
    """A hub-heavy graph (Barabási–Albert) split like the book's: 1/3 of the edges held out."""
    return train_val_split(frame(nx.barabasi_albert_graph(400, 3, seed=1)), seed=3, num_nodes=400)


# ------------------------------------------------------------------------------------------------ heuristics


def check_heuristics(graph: nx.Graph, pairs: list[tuple[int, int]]) -> None:
    n = graph.number_of_nodes()
    edges = frame(graph)
    src, dst = np.array([p[0] for p in pairs], np.int64), np.array([p[1] for p in pairs], np.int64)
    scores = ev.heuristic_scores(edges, n, src, dst)
    expected = {
        "preferential_attachment": [s for _, _, s in nx.preferential_attachment(graph, pairs)],
        "common_neighbours": [len(list(nx.common_neighbors(graph, u, v))) for u, v in pairs],
        "jaccard": [s for _, _, s in nx.jaccard_coefficient(graph, pairs)],
        "adamic_adar": [s for _, _, s in nx.adamic_adar_index(graph, pairs)],
        "item_knn": brute_force_cosine(graph, pairs),
    }
    adj = ev.adjacency(edges, n)
    single = {"preferential_attachment": ev.preferential_attachment, "common_neighbours": ev.common_neighbours,
              "jaccard": ev.jaccard, "adamic_adar": ev.adamic_adar, "item_knn": ev.item_knn}
    for name in ev.HEURISTICS:
        np.testing.assert_allclose(scores[name], expected[name], rtol=1e-12, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(single[name](adj, src, dst), expected[name], rtol=1e-12, atol=1e-12)


def brute_force_cosine(graph: nx.Graph, pairs: list[tuple[int, int]]) -> list[float]:
    """Item-kNN from first principles: the cosine of two dense 0/1 adjacency rows (0 for an empty row)."""
    dense = nx.to_numpy_array(graph, nodelist=range(graph.number_of_nodes()), weight=None)
    out = []
    for u, v in pairs:
        norm = np.linalg.norm(dense[u]) * np.linalg.norm(dense[v])
        out.append(float(dense[u] @ dense[v] / norm) if norm else 0.0)
    return out


@given(st.integers(2, 30), st.floats(0.0, 0.6), st.integers(0, 2**16))
@settings(max_examples=40, deadline=None)
def test_heuristics_match_networkx_on_random_graphs(n, p, seed):
    graph = nx.gnp_random_graph(n, p, seed=seed)
    check_heuristics(graph, [(u, v) for u in range(n) for v in range(n) if u != v])


def test_heuristics_match_networkx_with_hubs():
    """Hubs take the binary-search path of the intersection kernel (short row × long row)."""
    graph = nx.barabasi_albert_graph(300, 2, seed=0)
    rng = np.random.default_rng(0)
    pairs = [(int(u), int(v)) for u, v in rng.integers(0, 300, (3000, 2)) if u != v]
    pairs += [(0, v) for v in range(1, 300)] + [(v, 1) for v in range(2, 300)]
    check_heuristics(graph, pairs)


def test_heuristics_ignore_weights_and_accept_an_adjacency():
    edges = pd.DataFrame({"src": [0, 0, 1], "dst": [1, 2, 2], "weight": [5.0, 0.1, 1.0]})
    adj = ev.adjacency(edges, 4)
    a = ev.heuristic_scores(edges, 4, np.array([0, 3]), np.array([1, 0]))
    b = ev.heuristic_scores(adj, None, np.array([0, 3]), np.array([1, 0]))
    for name in ev.HEURISTICS:
        np.testing.assert_array_equal(a[name], b[name])
    assert a["common_neighbours"].tolist() == [1.0, 0.0]
    assert a["preferential_attachment"].tolist() == [4.0, 0.0]
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        ev.heuristic_scores(adj, None, np.array([4]), np.array([0]))


def test_heuristic_scorer_rows_equal_pair_scores(ba_split):
    n = ba_split.num_nodes
    queries = np.array([0, 5, 17, 399])
    src, dst = np.repeat(queries, n), np.tile(np.arange(n), len(queries))
    pairs = ev.heuristic_scores(ba_split.train, n, src, dst)
    for name in ev.HEURISTICS:
        rows = ev.heuristic_scorer(ba_split.train, n, name)(queries)
        np.testing.assert_allclose(rows.ravel(), pairs[name], rtol=1e-12, atol=1e-12, err_msg=name)


# ------------------------------------------------------------------------------- negatives and AUC reports


def check_degree_matched(split: Split, seed: int) -> float:
    """Negatives are non-edges, unique, seeded; returns the share whose degree buckets match their positive's."""
    n = split.num_nodes
    pos = split.val[split.val["label"] == 1]
    a, b = ev.degree_matched_negatives(pos["src"].to_numpy(), pos["dst"].to_numpy(), split.train, n, seed=seed)
    degree = np.bincount(np.concatenate([split.train["src"], split.train["dst"]]), minlength=n)
    bucket = _degree_bucket(degree)
    negatives = keyset(a, b, n)
    assert len(negatives) == len(pos) and (a != b).all()
    assert not negatives & keyset(split.train["src"], split.train["dst"], n)
    assert not negatives & keyset(pos["src"], pos["dst"], n)
    again = ev.degree_matched_negatives(pos["src"].to_numpy(), pos["dst"].to_numpy(), split.train, n, seed=seed)
    assert (again[0] == a).all() and (again[1] == b).all()
    return float(((bucket[a] == bucket[pos["src"].to_numpy()]) & (bucket[b] == bucket[pos["dst"].to_numpy()])).mean())


def test_degree_matched_negatives_match_buckets_and_are_not_edges():
    split = train_val_split(frame(nx.gnp_random_graph(500, 0.03, seed=5)), seed=0, num_nodes=500)
    assert check_degree_matched(split, seed=4) == 1.0


def test_degree_matched_negatives_fall_back_for_lone_hubs(ba_split, caplog):
    """A hub alone in its bucket cannot pair with itself forever: those few negatives are drawn uniformly."""
    assert check_degree_matched(ba_split, seed=4) > 0.95
    assert "fell back to uniform draws" in caplog.text


@pytest.mark.parametrize("negatives", ["uniform", "degree"])
def test_evaluation_pairs(negatives):
    edges = frame(nx.barabasi_albert_graph(300, 3, seed=2))
    split = train_val_split(edges, seed=0, negatives=negatives, num_nodes=300)
    pairs = ev.evaluation_pairs(split, seed=1)
    pos = split.val[split.val["label"] == 1]
    counts = pairs["kind"].value_counts()
    assert counts["positive"] == counts["uniform"] == counts["degree"] == len(pos)
    assert (pairs["label"] == (pairs["kind"] == "positive")).all()
    own = pairs[pairs["kind"] == negatives][["src", "dst"]].to_numpy()
    np.testing.assert_array_equal(own, split.val[split.val["label"] == 0][["src", "dst"]].to_numpy())
    true = keyset(edges["src"], edges["dst"], 300)
    for kind in ("uniform", "degree"):
        rows = pairs[pairs["kind"] == kind]
        assert not keyset(rows["src"], rows["dst"], 300) & true
    degree = np.bincount(np.concatenate([split.train["src"], split.train["dst"]]), minlength=300)
    assert (pairs["seen"] == ((degree[pairs["src"]] > 0) & (degree[pairs["dst"]] > 0))).all()
    pd.testing.assert_frame_equal(pairs, ev.evaluation_pairs(split, seed=1))


def test_method_report_equals_sklearn(ba_split):
    pairs = ev.evaluation_pairs(ba_split, seed=0)
    rng = np.random.default_rng(0)
    scores = rng.random(len(pairs)) + 0.3 * pairs["label"].to_numpy()
    pairs.loc[pairs.index[:5], "seen"] = False  # a few unseen pairs, to exercise the lowest-score policy
    report = ev.method_report("random", scores, pairs)
    assert report.shape[0] == 1 and report["method"].iloc[0] == "random"

    def reference(mask):
        sub, s = pairs[mask], scores[mask].copy()
        seen = sub["seen"].to_numpy()
        s[~seen] = s[seen].min() - 1
        return roc_auc_score(sub["label"], s), roc_auc_score(sub["label"][seen], s[seen])

    all_u, seen_u = reference((pairs["kind"] != "degree").to_numpy())
    all_d, seen_d = reference((pairs["kind"] != "uniform").to_numpy())
    row = report.iloc[0]
    assert row["auc_all"] == pytest.approx(all_u) and row["auc_seen"] == pytest.approx(seen_u)
    assert row["auc_degree_matched"] == pytest.approx(all_d)
    assert row["auc_degree_matched_seen"] == pytest.approx(seen_d)

    by_function = ev.method_report("fn", lambda a, b: scores, pairs)
    assert by_function["auc_all"].iloc[0] == row["auc_all"]
    plain = ev.method_report("val only", rng.random(len(ba_split.val)), ba_split.val)
    assert np.isnan(plain["auc_degree_matched"].iloc[0]) and not np.isnan(plain["auc_all"].iloc[0])
    with pytest.raises(ValueError, match="scores for"):
        ev.method_report("short", scores[:-1], pairs)


def test_heuristic_reports_show_the_degree_bias(ba_split):
    """On a hub-heavy graph popularity beats chance on uniform negatives, and degree matching takes that away."""
    report = ev.heuristic_reports(ba_split, ev.evaluation_pairs(ba_split, seed=0)).set_index("method")
    assert list(report.index) == list(ev.HEURISTICS)
    pa = report.loc["preferential_attachment"]
    assert pa["auc_all"] > 0.6
    assert pa["auc_degree_matched"] < pa["auc_all"] - 0.1


# ----------------------------------------------------------------------------------------------- ranking


def test_ranking_metrics_known_answer():
    train = pd.DataFrame({"src": [0, 1, 3], "dst": [1, 3, 5]})
    val = pd.DataFrame({"src": [0, 4, 1], "dst": [2, 0, 2], "label": [1, 1, 0], "seen": [False, False, True]})
    split = Split(train=train, val=val, val_sample=val, num_nodes=6, negatives="uniform", seed=0)
    angle = np.radians([0, 0.5, 10, 5, 90, 30])
    vectors = np.column_stack([np.cos(angle), np.sin(angle)])
    # Query 0 (the only one in the train graph with held-out neighbours {2, 4}); 1 is its train neighbour and
    # is excluded, so the ranking is 3, 2, 5, 4.
    got = ev.ranking_metrics(vectors, split, ks=(1, 2, 4, 10))
    g = 1 / np.log2(np.arange(2, 6))
    assert got["queries"] == 1
    assert got["recall@1"] == 0 and got["ndcg@1"] == 0
    assert got["recall@2"] == 0.5 and got["ndcg@2"] == pytest.approx(g[1] / (g[0] + g[1]))
    assert got["recall@4"] == 1 and got["ndcg@4"] == pytest.approx((g[1] + g[3]) / (g[0] + g[1]))
    assert got["recall@10"] == 1 and got["ndcg@10"] == got["ndcg@4"]


def brute_force_ranking(vectors, split, k):
    n = split.num_nodes
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(split.train[["src", "dst"]].to_numpy().tolist())
    held = nx.Graph()
    held.add_edges_from(split.val[split.val["label"] == 1][["src", "dst"]].to_numpy().tolist())
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    recall, ndcg = [], []
    for u in sorted(held.nodes):
        if graph.degree(u) == 0:
            continue
        relevant = set(held[u])
        row = unit @ unit[u]
        cos = {v: row[v] for v in range(n) if v != u and not graph.has_edge(u, v)}
        top = sorted(cos, key=cos.get, reverse=True)[:k]
        gains = [1 / np.log2(i + 2) for i, v in enumerate(top) if v in relevant]
        recall.append(len(gains) / len(relevant))
        ndcg.append(sum(gains) / sum(1 / np.log2(i + 2) for i in range(min(k, len(relevant)))))
    return np.mean(recall), np.mean(ndcg), len(recall)


def test_ranking_metrics_equal_brute_force(ba_split):
    vectors = np.random.default_rng(1).normal(size=(ba_split.num_nodes, 8))
    got = ev.ranking_metrics(vectors, ba_split, ks=(5, 20), num_queries=10**6, rows_per_chunk=7)
    for k in (5, 20):
        recall, ndcg, queries = brute_force_ranking(vectors, ba_split, k)
        assert got["queries"] == queries
        assert got[f"recall@{k}"] == pytest.approx(recall) and got[f"ndcg@{k}"] == pytest.approx(ndcg)


def test_ranking_metrics_of_heuristics_and_unknown_vectors(ba_split):
    n = ba_split.num_nodes
    popularity = ev.ranking_metrics(ev.heuristic_scorer(ba_split.train, n, "preferential_attachment"), ba_split,
                                    ks=(10,), num_queries=100)
    adamic = ev.ranking_metrics(ev.heuristic_scorer(ba_split.train, n, "adamic_adar"), ba_split, ks=(10,),
                                num_queries=100)
    assert popularity["queries"] == adamic["queries"] == 100
    assert 0 < popularity["recall@10"] <= 1 and 0 <= adamic["ndcg@10"] <= 1
    nothing = ev.ranking_metrics(ev.cosine_scorer(np.ones((n, 4)), known=np.zeros(n, bool)), ba_split, ks=(10,))
    assert nothing["recall@10"] == 0 and nothing["ndcg@10"] == 0


# --------------------------------------------------------------------------------------- node2vec protocol


def check_connected_removal(graph: nx.Graph, seed: int) -> np.ndarray:
    edges = frame(graph)
    removed = ev.connected_removal(edges, graph.number_of_nodes(), 0.5, seed)
    residual = nx.Graph()
    residual.add_nodes_from(graph.nodes)
    residual.add_edges_from(edges[~removed][["src", "dst"]].to_numpy().tolist())
    for component in nx.connected_components(graph):
        assert nx.is_connected(residual.subgraph(component))
    forest = graph.number_of_nodes() - nx.number_connected_components(graph)
    assert removed.sum() == min(round(0.5 * len(edges)), len(edges) - forest)
    return removed


@given(st.integers(2, 40), st.floats(0.02, 0.5), st.integers(0, 2**16))
@settings(max_examples=40, deadline=None)
def test_connected_removal_keeps_components_connected(n, p, seed):
    graph = nx.gnp_random_graph(n, p, seed=seed)
    if graph.number_of_edges():
        check_connected_removal(graph, seed)


def test_connected_removal_fractions():
    assert check_connected_removal(nx.karate_club_graph(), 0).mean() == 0.5
    assert check_connected_removal(nx.balanced_tree(2, 4), 0).sum() == 0  # a tree: nothing is removable
    assert check_connected_removal(nx.cycle_graph(10), 0).sum() == 1  # a cycle: one edge
    first = ev.connected_removal(frame(nx.karate_club_graph()), seed=3)
    assert (first == ev.connected_removal(frame(nx.karate_club_graph()), seed=3)).all()


def test_edge_features():
    vectors = np.array([[1.0, 2.0], [3.0, -1.0]])
    a, b = np.array([0]), np.array([1])
    assert ev.edge_features(vectors, a, b, "average").tolist() == [[2.0, 0.5]]
    assert ev.edge_features(vectors, a, b, "hadamard").tolist() == [[3.0, -2.0]]
    assert ev.edge_features(vectors, a, b, "weighted_l1").tolist() == [[2.0, 3.0]]
    assert ev.edge_features(vectors, a, b, "weighted_l2").tolist() == [[4.0, 9.0]]
    with pytest.raises(ValueError, match="operator"):
        ev.edge_features(vectors, a, b, "concat")


def test_node2vec_protocol_embeds_the_connected_residual():
    graph = nx.connected_caveman_graph(8, 6)  # 8 dense caves in a ring: links are easy to predict
    edges = frame(graph)
    seen = {}

    def embed(residual: pd.DataFrame, num_nodes: int) -> np.ndarray:
        seen["residual"] = residual
        adj = ev.adjacency(residual, num_nodes).toarray()
        return adj + np.eye(num_nodes)  # a node's neighbourhood as its vector

    result = ev.node2vec_protocol(edges, embed, seed=1)
    residual = seen["residual"]
    assert len(residual) == len(edges) - round(len(edges) / 2) and result.removed_fraction == 0.5
    assert nx.is_connected(nx.from_edgelist(residual[["src", "dst"]].to_numpy().tolist()))
    assert not keyset(residual["src"], residual["dst"], 48) - keyset(edges["src"], edges["dst"], 48)
    assert result.train_pairs == 2 * len(residual) and result.test_pairs == 2 * (len(edges) - len(residual))
    assert set(result.operator_auc) == set(ev.OPERATORS) and set(result.heuristic_auc) == set(ev.HEURISTICS)
    assert result.operator_auc["hadamard"] > 0.8 and result.heuristic_auc["adamic_adar"] > 0.8
    table = result.table()
    assert len(table) == len(ev.OPERATORS) + len(ev.HEURISTICS) and table["auc"].between(0, 1).all()
    again = ev.node2vec_protocol(edges, embed, seed=1)
    assert again.operator_auc == result.operator_auc


def test_node2vec_protocol_refuses_bad_input():
    with pytest.raises(ValueError, match="self-pairs"):
        ev.node2vec_protocol(pd.DataFrame({"src": [0, 1], "dst": [0, 2]}), lambda e, n: np.zeros((n, 2)))
    with pytest.raises(ValueError, match="duplicate"):
        ev.node2vec_protocol(pd.DataFrame({"src": [0, 1], "dst": [1, 0]}), lambda e, n: np.zeros((n, 2)))
    with pytest.raises(ValueError, match="too dense"):
        ev.node2vec_protocol(frame(nx.complete_graph(6)), lambda e, n: np.zeros((n, 2)))


# ------------------------------------------------------------------------------------------ command line

SMALL = ["--dim", "16", "--walks", "4", "--length", "20", "--window", "5"]


@pytest.fixture()
def karate_file(tmp_path):
    """The karate club as a SNAP-style file: comments, string ids, weights, a self-loop, a reversed repeat."""
    lines = ["# Directed graph (each unordered pair of nodes is saved once): karate.txt", "# FromNodeId\tToNodeId"]
    lines += [f"n{u}\tn{v}\t{1 + (u + v) % 3}" for u, v in nx.karate_club_graph().edges()]
    lines += ["n3 n3", "n1 n0 2.5", "", "n5     n6"]
    path = tmp_path / "karate.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_read_edge_list(karate_file):
    edges, nodes, report = ev.read_edge_list(karate_file)
    assert (report.self_loops, report.duplicates, report.comments) == (1, 2, 3)
    assert report.nodes == len(nodes) == 34 and report.edges == len(edges) == 78
    assert nodes[0] == "n0" and nodes[1] == "n1"  # numbered in order of first appearance
    assert (edges["src"] < edges["dst"]).all()
    assert edges["weight"].iloc[0] == 2.0  # the first weight of a repeated pair wins (n0 n1 1+1)
    graph = nx.relabel_nodes(nx.karate_club_graph(), {i: f"n{i}" for i in range(34)})
    assert keyset(edges["src"], edges["dst"], 34) == keyset(
        nodes.get_indexer([u for u, _ in graph.edges()]), nodes.get_indexer([v for _, v in graph.edges()]), 34)


@pytest.mark.parametrize(("line", "message"), [("a b c d", "got 4 columns"), ("a", "got 1 columns"),
                                               ("a b heavy", "not a number"), ("a b -1", "positive")])
def test_read_edge_list_names_the_bad_line(tmp_path, line, message):
    path = tmp_path / "bad.txt"
    path.write_text(f"# comment\n1 2\n{line}\n2 3\n")
    with pytest.raises(ValueError, match=f"line 3: .*{message}"):
        ev.read_edge_list(path)


def test_cli_prints_one_auc_per_operator_and_heuristic(karate_file, capsys):
    assert ev.main(["node2vec-protocol", str(karate_file), "--p", "0.5", "--q", "2", *SMALL]) == 0
    out = capsys.readouterr().out
    assert "dropped 1 self-loops and 2 duplicates" in out and "removed 50.0% of the edges" in out
    for name in ev.OPERATORS:
        [line] = [row for row in out.splitlines() if row.startswith("walks+SGNS (p=0.5, q=2)") and name in row]
        assert 0 <= float(line.split()[-1]) <= 1
    for name in ev.HEURISTICS:
        [line] = [row for row in out.splitlines() if row.startswith(f"heuristic {name}")]
        assert 0 <= float(line.split()[-1]) <= 1


def test_cli_reports_a_bad_line(tmp_path, capsys):
    path = tmp_path / "bad.txt"
    path.write_text("# comment\n1 2\n1 2 3 4\n")
    with pytest.raises(SystemExit) as exit_info:
        ev.main(["node2vec-protocol", str(path)])
    assert exit_info.value.code == 2
    assert "line 3" in capsys.readouterr().err


def test_cli_runs_as_a_module(karate_file):
    run = subprocess.run([sys.executable, "-m", "recsys_tutorial.evaluate", "node2vec-protocol", str(karate_file),
                          "--seed", "1", *SMALL], capture_output=True, text=True, timeout=120, check=True)
    assert sum(row.startswith("walks+SGNS") for row in run.stdout.splitlines()) == len(ev.OPERATORS)


def test_dot_scores_and_dot_scorer_are_mf_logits(ba_split):
    rng = np.random.default_rng(0)
    n = ba_split.num_nodes
    vectors, bias = rng.normal(size=(n, 8)).astype(np.float32), rng.normal(size=n)
    a, b = rng.integers(4, n, 50), rng.integers(4, n, 50)  # node 3 is the unknown one below
    expected = (vectors[a].astype(np.float64) * vectors[b]).sum(1) + bias[a] + bias[b]
    np.testing.assert_allclose(ev.dot_scores(vectors, a, b, bias, batch_size=7), expected, rtol=1e-5)
    known = np.ones(n, bool)
    known[3] = False
    rows = ev.dot_scorer(vectors, bias, known=known)(np.array([a[0], 3]))
    np.testing.assert_allclose(rows[0, b[0]], expected[0], rtol=1e-5)
    assert np.isneginf(rows[:, 3]).all() and np.isneginf(rows[1]).all()
    assert np.isfinite(ev.ranking_metrics(ev.dot_scorer(vectors), ba_split, num_queries=20)["recall@10"])


def test_cosine_scores_equal_a_brute_force_cosine():
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((50, 8)).astype(np.float32) * rng.uniform(0.1, 10, (50, 1)).astype(np.float32)
    vectors[7] = 0  # a product without a vector scores 0 with everything
    a, b = rng.integers(0, 50, 1000), rng.integers(0, 50, 1000)
    expected = [0.0 if 7 in (i, j) else float(vectors[i] @ vectors[j] / np.linalg.norm(vectors[i])
                                              / np.linalg.norm(vectors[j])) for i, j in zip(a, b, strict=True)]
    np.testing.assert_allclose(ev.cosine_scores(vectors, a, b, batch_size=64), expected, atol=1e-6)


@pytest.fixture
def scored_pairs():
    """200 labelled pairs over 40 products; products 30–39 are unknown to the model."""
    rng = np.random.default_rng(9)
    src, dst = rng.integers(0, 40, 200), rng.integers(0, 40, 200)
    label = rng.integers(0, 2, 200)
    known = np.arange(40) < 30
    val = pd.DataFrame({"src": src, "dst": dst, "label": label, "seen": known[src] & known[dst]})
    return val, label + rng.normal(0, 0.8, 200), known


def test_auc_table_policies_against_sklearn(scored_pairs):
    val, scores, _ = scored_pairs
    seen, label = val["seen"].to_numpy(), val["label"].to_numpy()
    assert 0 < seen.sum() < len(seen)
    keep = ev.auc_table(val, scores, unseen="keep")
    assert keep["auc_seen"] == pytest.approx(roc_auc_score(label[seen], scores[seen]))
    assert keep["auc_unseen"] == pytest.approx(roc_auc_score(label[~seen], scores[~seen]))
    assert keep["auc_all"] == pytest.approx(roc_auc_score(label, scores))
    assert keep["seen_share"] == pytest.approx(seen.mean())
    lowest = ev.auc_table(val, scores)
    floor = np.where(seen, scores, scores[seen].min() - 1)
    assert lowest["auc_all"] == pytest.approx(roc_auc_score(label, floor))
    assert lowest["auc_unseen"] == 0.5 and lowest["auc_seen"] == keep["auc_seen"]
    median = ev.auc_table(val, scores, unseen="median")
    assert median["auc_all"] == pytest.approx(roc_auc_score(label, np.where(seen, scores, np.median(scores[seen]))))


def test_auc_table_known_overrides_the_split_seen_column(scored_pairs):
    val, scores, known = scored_pairs
    fewer = known & (np.arange(40) >= 5)  # the model lacks vectors for 0–4 as well
    mine = fewer[val["src"]] & fewer[val["dst"]]
    table = ev.auc_table(val, scores, known=fewer, unseen="keep")
    assert table["seen_share"] == pytest.approx(mine.mean())
    label = val["label"].to_numpy()
    assert table["auc_seen"] == pytest.approx(roc_auc_score(label[mine], scores[mine]))
    assert table["auc_unseen"] == pytest.approx(roc_auc_score(label[~mine], scores[~mine]))
