"""Every figure returns the traces it promises, built from the package's own numbers."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from sklearn.metrics import precision_recall_curve, roc_auc_score

from recsys_tutorial import plots
from recsys_tutorial.results import ORIGINAL_RESULTS


def curve(lrs: list[float], batches_per_epoch: int = 2) -> pd.DataFrame:
    """A learning curve as train.train logs it: two rows per epoch, the second one the epoch end."""
    n = len(lrs)
    return pd.DataFrame({"epoch": np.arange(n) // batches_per_epoch, "batch": np.arange(1, n + 1) * 10,
                         "loss": np.linspace(1, 0.5, n), "auc": np.linspace(0.6, 0.9, n), "lr": lrs,
                         "epoch_end": np.arange(1, n + 1) % batches_per_epoch == 0})


@pytest.fixture(scope="module")
def scored():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 20_000)
    return labels, labels * 0.6 + rng.random(20_000)


# --- graph figures -------------------------------------------------------------------------------------------


def test_graph_figures():
    edges = pd.DataFrame({"src": [0, 0, 0, 1], "dst": [1, 2, 3, 2], "weight": [1.0, 2.0, 2.0, 0.5]})
    fig = plots.degree_distribution(edges, num_nodes=5)
    assert list(fig.data[0].x) == [1, 2, 3] and fig.layout.xaxis.type == "log"
    fig = plots.edge_weight_distribution(edges)
    assert list(fig.data[0].x) == ["0.5", "1", "2"] and list(fig.data[0].y) == [1, 1, 2]


# --- learning curves and schedules ---------------------------------------------------------------------------


def test_learning_curves_old_call_without_lr():
    fig = plots.learning_curves({"MF": curve([0.01] * 4).drop(columns="lr"), "MF-bias": curve([0.01] * 4)})
    assert [t.name for t in fig.data] == ["MF", "MF-bias"]  # constant lr: no restart
    assert [s.x0 for s in fig.layout.shapes] == [20.0, 40.0]  # dotted epoch ends, as before
    assert "yaxis2" not in fig.layout.to_plotly_json()


def test_learning_curves_mark_restarts_and_lr():
    restarts = curve([0.01, 0.001, 0.01, 0.001, 0.01, 0.001])
    faithful = curve([0.01, 0.001, 0.0, 0.0, 0.0, 0.0])
    assert list(plots.lr_restarts(restarts)) == [20.0, 40.0]
    assert len(plots.lr_restarts(faithful)) == 0
    assert len(plots.lr_restarts(curve([0.01, 0.005, 0.0001, 0.0002, 0.0004, 0.0008]))) == 0  # drift, no restart
    assert len(plots.lr_restarts(curve([np.nan] * 4))) == 0
    fig = plots.learning_curves({"restarts": restarts, "faithful": faithful}, show_lr=True)
    assert [t.name for t in fig.data] == ["restarts", "restarts: LR restart", "restarts: learning rate", "faithful",
                                          "faithful: learning rate"]
    lines = fig.data[1]
    assert list(lines.x[::3]) == [20.0, 40.0] and lines.line.dash == "dash"
    assert lines.line.color == fig.data[0].line.color and lines.legendgroup == "restarts"
    assert min(lines.y[0:2]) == pytest.approx(0.6) and max(lines.y[0:2]) == pytest.approx(0.9)
    assert fig.data[2].yaxis == "y2" and list(fig.data[2].y) == list(restarts["lr"])
    assert fig.layout.yaxis2.overlaying == "y"
    hidden = plots.learning_curves({"restarts": restarts}, restarts=False)
    assert [t.name for t in hidden.data] == ["restarts"]


def test_lr_schedule_values_equal_schedule_lr():
    from recsys_tutorial.train import schedule_lr

    names = ["restarts", "cosine", "linear", "constant"]
    fig = plots.lr_schedule(names, lr=0.05, batches_per_epoch=7, epochs=3, min_lr=0.001)
    assert [t.name for t in fig.data] == [plots.SCHEDULE_LABELS[n] for n in names]
    for name, trace in zip(names, fig.data, strict=True):
        expected = [schedule_lr(name, 0.05, b, 7, e, 3, 0.001) for e in range(3) for b in range(7)]
        assert list(trace.x) == list(range(1, 22))
        assert list(trace.y) == expected
    assert [s.x0 for s in fig.layout.shapes] == [7, 14]


@pytest.mark.parametrize("schedule", ["faithful", "restarts", "cosine"])
def test_lr_by_batch_is_what_training_uses(schedule):
    from recsys_tutorial.models import MF
    from recsys_tutorial.sampling import EdgeBatches
    from recsys_tutorial.train import train

    rng = np.random.default_rng(1)
    edges = pd.DataFrame({"src": rng.integers(0, 10, 40), "dst": rng.integers(10, 20, 40),
                          "weight": np.ones(40, np.float32)})
    batches = EdgeBatches(edges, 20, batch_size=8, seed=0)
    fitted = train(MF(20, 4), batches, epochs=3, lr=0.02, schedule=schedule, eval_every=1, device="cpu",
                   progress=False)
    logged = fitted.curve.loc[~fitted.curve["epoch_end"], "lr"].to_numpy()
    expected = plots.lr_by_batch(schedule, 0.02, len(batches), 3)
    np.testing.assert_allclose(logged, expected, rtol=1e-12, atol=0)
    np.testing.assert_allclose(fitted.epoch_start_lr, expected[::len(batches)], rtol=1e-12)


def test_lr_schedule_faithful_is_stuck_at_zero_and_long_schedules_keep_their_peaks():
    fig = plots.lr_schedule(["faithful", "restarts"], lr=0.01, batches_per_epoch=500, epochs=4, max_points=300)
    faithful, restarts = fig.data
    assert len(faithful.x) <= 300 + 6 and list(faithful.x) == list(restarts.x)
    x = np.asarray(restarts.x)
    assert {1, 501, 1001, 1501, 500, 1000, 1500, 2000} <= set(x.tolist())  # epoch starts and ends kept
    np.testing.assert_allclose(np.asarray(restarts.y)[np.isin(x, [1, 501, 1001, 1501])], 0.01)
    y = np.asarray(faithful.y)
    np.testing.assert_allclose(y[x <= 500], np.asarray(restarts.y)[x <= 500], rtol=1e-9, atol=1e-15)
    assert (y[x > 500] == 0).all()  # bug B1: from epoch 2 the original's rate stays at 0
    assert len(plots.lr_restarts(pd.DataFrame({"batch": x, "lr": y}))) == 0
    with pytest.raises(ValueError, match="schedule"):
        plots.lr_by_batch("warmup", 0.01, 10, 2)


# --- evaluation figures --------------------------------------------------------------------------------------


def test_precision_recall_threshold(scored):
    labels, scores = scored
    small = plots.precision_recall_threshold(labels[:300], scores[:300], "MF")
    precision, recall, thresholds = precision_recall_curve(labels[:300], scores[:300])
    assert [t.name for t in small.data] == ["precision", "recall"]
    assert small.layout.xaxis.autorange == "reversed"
    np.testing.assert_allclose(small.data[0].x, thresholds, rtol=1e-6)  # float32 in the page
    np.testing.assert_allclose(small.data[0].y, precision[:-1], rtol=1e-6)
    np.testing.assert_allclose(small.data[1].y, recall[:-1], rtol=1e-6)
    assert small.layout.title.text == f"MF – AUC-ROC: {roc_auc_score(labels[:300], scores[:300]):.4f}"
    big = plots.precision_recall_threshold(labels, scores, "MF", max_points=500)
    assert len(big.data[0].x) == 500
    np.testing.assert_allclose([big.data[0].x[0], big.data[0].x[-1]], [scores.min(), scores.max()], rtol=1e-6)


def test_roc_curves(scored):
    labels, scores = scored
    noise = np.random.default_rng(2).random(len(labels))
    fig = plots.roc_curves({"skip-gram": (labels, scores), "random": (labels, noise)}, max_points=300)
    assert [type(t) for t in fig.data] == [go.Scatter] * 3
    assert fig.data[-1].name == "random (AUC 0.500)" and list(fig.data[-1].x) == [0, 1]
    for trace, s in zip(fig.data[:2], (scores, noise), strict=True):
        shown = float(re.search(r"\(AUC ([0-9.]+)\)", trace.name).group(1))
        assert shown == round(roc_auc_score(labels, s), 3)
        assert len(trace.x) <= 300 and (trace.x[0], trace.y[0], trace.x[-1], trace.y[-1]) == (0, 0, 1, 1)


def results_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "chapter": ["part1", "part1", "part2"],
        "method": ["data pipeline", "MF, edges, binary", "gensim skip-gram"],
        "dataset": ["synthetic", "synthetic", "synthetic"],
        "auc_all": [np.nan, 0.81234, 0.95],
        "auc_seen": [np.nan, 0.9, np.nan],
        "runtime_s": [np.nan, 42.0, 150.0],
    })


def test_results_table():
    fig = plots.results_table(results_frame().assign(published_as="Electronics"), ORIGINAL_RESULTS)
    table = fig.data[0]
    assert isinstance(table, go.Table)
    header = [re.sub("</?b>", "", h).replace("<br>", " ") for h in table.header.values]
    assert header == ["method", "AUC all", "AUC seen", "AUC unseen", "AUC degree- matched", "runtime",
                      "original AUC all", "original AUC seen", "original runtime"]
    assert fig.layout.title.text == "Results (synthetic data; original: published Electronics numbers)"
    cells = dict(zip(header, table.cells.values, strict=True))
    assert list(cells["method"]) == ["MF, edges, binary", "gensim skip-gram"]  # no-metric rows left out
    assert list(cells["AUC all"]) == ["0.812", "0.950"]
    assert list(cells["AUC seen"]) == ["0.900", "—"] and list(cells["AUC degree- matched"]) == ["—", "—"]
    assert list(cells["runtime"]) == ["42.0 s", "2.5 min"]
    assert list(cells["original AUC all"]) == ["0.808", "—"] and list(cells["original runtime"]) == ["43.1 min", "—"]
    assert list(table.cells.align) == ["left"] + ["right"] * 8

    mixed = results_frame().assign(dataset=["synthetic", "synthetic", None], **{"ndcg@10": [np.nan, np.nan, 0.41]})
    ours_only = plots.results_table(mixed)
    header = [re.sub("</?b>", "", h) for h in ours_only.data[0].header.values]
    assert header[:2] == ["method", "dataset"] and header[-2:] == ["ndcg@10", "runtime"]
    assert list(ours_only.data[0].cells.values[1]) == ["synthetic", "—"]
    assert list(ours_only.data[0].cells.values[-2]) == ["—", "0.410"]
    assert ours_only.layout.title.text == "Results"
    assert len(plots.results_table(pd.DataFrame()).data[0].cells.values[0]) == 0
    unpublished = plots.results_table(results_frame(), ORIGINAL_RESULTS)  # synthetic: no comparison columns
    assert not any("original" in h for h in unpublished.data[0].header.values)
    assert unpublished.layout.title.text == "Results (synthetic data)"


# --- embeddings ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vectors():
    v = np.random.default_rng(3).normal(size=(300, 8)).astype(np.float32)
    v[5] = 0.0  # a product without an embedding
    return v


def brute_force(vectors, queries, k, candidates):
    v = vectors.astype(np.float64)
    norms = np.linalg.norm(v, axis=1)
    unit = v / np.where(norms > 0, norms, 1.0)[:, None]
    out = []
    for q in queries:
        sims = unit @ unit[q]
        allowed = candidates & (norms > 0)
        allowed[q] = False
        order = [i for i in np.argsort(-sims, kind="stable") if allowed[i]]
        out.append((order[:k], sims[order[:k]]))
    return out


def test_nearest_neighbours_match_brute_force(vectors):
    candidates = np.ones(len(vectors), bool)
    candidates[::4] = False
    queries = [0, 7, 299]
    ids, scores = plots.nearest_neighbours(vectors, queries, k=6, candidates=candidates)
    for (want_ids, want_scores), got_ids, got_scores in zip(brute_force(vectors, queries, 6, candidates), ids, scores,
                                                             strict=True):
        assert list(got_ids) == list(want_ids)
        np.testing.assert_allclose(got_scores, want_scores, rtol=1e-6)  # float32 scores
    assert 5 not in ids and not np.isin(ids, np.flatnonzero(~candidates)).any()
    few = np.zeros(len(vectors), bool)
    few[[1, 2]] = True
    ids, scores = plots.nearest_neighbours(vectors, [0], k=4, candidates=few)
    assert set(ids[0, :2]) == {1, 2} and scores[0, 0] >= scores[0, 1] and list(ids[0, 2:]) == [-1, -1]
    assert np.isneginf(scores[0, 2:]).all()
    with pytest.raises(ValueError, match="no embedding"):
        plots.nearest_neighbours(vectors, [5])


def test_similar_products(vectors):
    titles = pd.Series([f"product {i}" for i in range(len(vectors))], dtype=object)
    titles[11] = None
    fig = plots.similar_products([0, 7], vectors, titles, k=3)
    table = fig.data[0]
    assert isinstance(table, go.Table)
    product, rank, neighbour, cosine = table.cells.values
    ids, scores = plots.nearest_neighbours(vectors, [0, 7], k=3)
    assert list(product) == ["product 0 [0]", "", "", "product 7 [7]", "", ""]
    assert list(rank) == ["1", "2", "3"] * 2
    expected = [f"product {i} [{i}]" if i != 11 else "(no title) [11]" for i in ids.ravel()]
    assert list(neighbour) == expected
    assert list(cosine) == [f"{s:.3f}" for s in scores.ravel()]
    as_array = plots.similar_products([0, 7], vectors, titles.to_numpy(), k=3)
    assert as_array.data[0].cells.values == table.cells.values
    long = plots.similar_products([0, 7], vectors, ["<b>" + "long title " * 20] * len(vectors), k=3)
    assert long.layout.height > fig.layout.height  # wrapped rows get room instead of a scrollbar
    assert long.data[0].cells.values[0][0].startswith("&lt;b&gt;long title")  # plain text, not markup
    assert len(long.data[0].cells.values[0][0]) < 100  # titles are shortened


def test_product_attribute():
    products = pd.DataFrame({"asin": ["B", "A", "C"], "title": ["bee", "ay", None]})
    vocab = pd.Index(["A", "B", "C", "D"], dtype="string")
    titles = plots.product_attribute(products, vocab, "title", fill="(no metadata)")
    assert list(titles) == ["ay", "bee", "(no metadata)", "(no metadata)"] and list(titles.index) == [0, 1, 2, 3]


def test_embedding_map_pca(vectors):
    labels = np.array([f"cat {i % 5}" for i in range(len(vectors))], dtype=object)
    labels[::10] = None
    titles = [f"product {i}" for i in range(len(vectors))]
    candidates = np.arange(len(vectors)) >= 20
    fig = plots.embedding_map(vectors, labels, sample=150, seed=4, top=3, hover=titles, candidates=candidates)
    assert all(type(t) is go.Scatter for t in fig.data)  # SVG, not WebGL
    assert [t.name for t in fig.data][-1] == "other" and len(fig.data) == 4
    ids = np.concatenate([t.customdata for t in fig.data])
    assert len(ids) == 150 and len(set(ids.tolist())) == 150 and ids.min() >= 20 and 5 not in ids
    for trace in fig.data:
        assert all(text == f"product {i}" for text, i in zip(trace.text, trace.customdata, strict=True))
        if trace.name != "other":
            assert all(labels[i] == trace.name for i in trace.customdata)
    again = plots.embedding_map(vectors, pd.Series(labels), sample=150, seed=4, top=3, hover=titles,
                                candidates=candidates)
    assert again.data[0].x.tolist() == fig.data[0].x.tolist()  # seeded
    with pytest.raises(ValueError, match="method"):
        plots.embedding_map(vectors, labels, method="umap")


def test_embedding_map_tsne(vectors):
    fig = plots.embedding_map(vectors, [f"cat {i % 2}" for i in range(len(vectors))], sample=40, method="tsne")
    assert sum(len(t.x) for t in fig.data) == 40 and fig.layout.xaxis.title.text == "t-SNE 1"


def test_results_overview_sorts_by_seen_auc_and_shows_the_original_only_on_its_file():
    frame = pd.DataFrame({
        "chapter": ["part1", "part1", "part2", "part2"],
        "method": ["data pipeline", "MF, edges, binary", "PyTorch skip-gram", "popularity"],
        "auc_all": [np.nan, 0.81, 0.95, 0.9], "auc_seen": [np.nan, 0.7, 0.96, 0.5],
        "auc_degree_matched": [np.nan, 0.6, 0.8, 0.5], "recall@100": [np.nan, np.nan, 0.3, 0.1],
    })
    fig = plots.results_overview(frame, ORIGINAL_RESULTS)
    assert [t.name for t in fig.data] == list(plots.OVERVIEW_METRICS.values())  # no original: synthetic rows
    assert list(fig.data[1].y) == ["popularity", "MF, edges, binary", "PyTorch skip-gram"]  # best on top
    assert list(fig.data[1].x) == [0.5, 0.7, 0.96]
    published = plots.results_overview(frame.assign(published_as="Electronics"), ORIGINAL_RESULTS)
    original = published.data[-1]
    assert original.name.startswith("original") and list(original.y) == list(fig.data[1].y)
    assert list(np.nan_to_num(np.asarray(original.x, dtype=float))) == [0, 0.8083, 0.9554]
