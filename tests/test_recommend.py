"""recommend: Embeddings files, word2vec interop, and top-k against brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from recsys_tutorial import models, recommend, train
from recsys_tutorial.recommend import Embeddings, EmbeddingsError
from recsys_tutorial.w2v import W2VResult


def make(n: int = 60, d: int = 8, score: str = "cosine", seed: int = 0, unknown: int = 5) -> Embeddings:
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, d)).astype(np.float32)
    known = np.ones(n, bool)
    known[rng.choice(n, unknown, replace=False)] = False
    vectors[~known] = 0
    bias = rng.normal(size=n).astype(np.float32) if score == "dot+bias" else None
    titles = np.array([f"title {i}" if i % 3 else None for i in range(n)], dtype=object)
    return Embeddings.from_vectors(vectors, [f"B{i:05d}" for i in range(n)], "test", known=known, bias=bias,
                                   titles=titles, score=score, params={"dim": d}, data_fingerprint="abc")


def brute_force(emb: Embeddings, query: int, k: int, exclude=()) -> list[int]:
    """Scores from first principles, sorted by (-score, id), without self, unknown and excluded products."""
    v = emb.vectors.astype(np.float64)
    if emb.meta["score"] == "cosine":
        norms = np.linalg.norm(v, axis=1)
        v = np.divide(v, norms[:, None], out=np.zeros_like(v), where=norms[:, None] > 0)
    scores = v @ v[query]
    if emb.bias is not None:
        scores = scores + emb.bias + emb.bias[query]
    allowed = [i for i in range(len(emb)) if emb.known[i] and i != query and i not in set(exclude)]
    return sorted(allowed, key=lambda i: (-scores[i], i))[:k]


@pytest.mark.parametrize("score", ["cosine", "dot", "dot+bias"])
def test_top_k_equals_brute_force(score):
    emb = make(score=score)
    queries = np.flatnonzero(emb.known)[:20]
    exclude = [np.array([(q + 1) % len(emb), (q + 2) % len(emb)]) for q in queries]
    ids, scores = recommend.top_k(emb, queries, k=7, exclude=exclude, batch_size=3)
    for q, row, ex in zip(queries, ids, exclude, strict=True):
        assert row.tolist() == brute_force(emb, q, 7, ex)
    assert (np.diff(scores, axis=1) <= 1e-6).all()  # best first


def test_top_k_breaks_ties_by_lower_id_and_pads_with_minus_one():
    vectors = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 0]], dtype=np.float32)  # 0,1,2 identical
    emb = Embeddings.from_vectors(vectors, list("abcde"), "tie")
    ids, scores = recommend.top_k(emb, np.array([2, 0]), k=5)
    assert ids[0].tolist() == [0, 1, 3, -1, -1] and ids[1].tolist() == [1, 2, 3, -1, -1]
    assert np.isneginf(scores[:, 3:]).all()


def test_save_load_round_trip_is_bit_identical(tmp_path):
    emb = make(score="dot+bias")
    emb.save(tmp_path / "emb")
    back = Embeddings.load(tmp_path / "emb")
    assert back.vectors.tobytes() == emb.vectors.tobytes() and back.vectors.dtype == np.float32
    assert back.vocab.equals(emb.vocab) and (back.known == emb.known).all()
    assert back.bias.tobytes() == emb.bias.tobytes()
    assert [t if t is None else str(t) for t in back.titles] == list(emb.titles)
    assert back.meta == emb.meta and back.meta["package_version"]
    assert sorted(p.name for p in (tmp_path / "emb").iterdir()) == ["meta.json", "vectors.npy", "vocab.parquet"]
    assert [p.name for p in tmp_path.iterdir()] == ["emb"]  # no temp folder left


def test_load_refuses_truncated_missing_or_mismatched_folders(tmp_path):
    make().save(tmp_path / "emb")
    vectors = tmp_path / "emb" / "vectors.npy"
    data = vectors.read_bytes()
    vectors.write_bytes(data[: len(data) // 2])
    with pytest.raises(EmbeddingsError, match=r"vectors\.npy"):
        Embeddings.load(tmp_path / "emb")
    np.save(vectors, np.zeros((3, 8), np.float32))
    with pytest.raises(EmbeddingsError, match=r"meta\.json says 60 × 8"):
        Embeddings.load(tmp_path / "emb")
    (tmp_path / "emb" / "meta.json").unlink()
    with pytest.raises(EmbeddingsError, match=r"meta\.json is missing"):
        Embeddings.load(tmp_path / "emb")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    make().save(tmp_path / "p")
    (tmp_path / "obj.npy").replace(tmp_path / "p" / "vectors.npy")
    with pytest.raises(EmbeddingsError, match=r"vectors\.npy"):  # an object array is never unpickled
        Embeddings.load(tmp_path / "p")


def test_word2vec_format_loads_in_gensim_with_the_same_neighbours(tmp_path):
    from gensim.models import KeyedVectors

    emb = make(n=80, d=16, unknown=6)
    emb.to_word2vec_format(tmp_path / "vectors.txt")
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "vectors.txt"), binary=False)
    assert len(kv) == emb.known.sum() and kv.vector_size == 16
    known = emb.vocab[emb.known]
    np.testing.assert_array_equal(kv[known[0]], emb.vectors[emb.ids(known[0])[0]])  # repr() round-trips float32
    table = recommend.similar(emb, list(known[:10]), k=5)
    for asin, rows in table.groupby("query", sort=False):
        assert [a for a, _ in kv.most_similar(asin, topn=5)] == rows["asin"].tolist()


def test_similar_names_unknown_asins_and_reports_queries_without_vectors(caplog):
    emb = make()
    with pytest.raises(KeyError, match=r"2 ASIN\(s\) not in these embeddings.*NOPE"):
        recommend.similar(emb, ["B00001", "NOPE", "NOPE2"])
    no_vector = emb.vocab[~emb.known][0]
    table = recommend.similar(emb, ["B00001", no_vector], k=3)
    assert table.attrs["no_vector"] == [no_vector] and no_vector in caplog.text
    assert list(table.columns) == ["query", "rank", "asin", "score", "title"]
    assert table["query"].unique().tolist() == ["B00001"] and table["rank"].tolist() == [1, 2, 3]
    ids = emb.ids(table["asin"])
    assert table["title"].fillna("-").tolist() == [t or "-" for t in emb.titles[ids]]


def test_recommend_all_exact_covers_every_known_product():
    emb = make(n=50)
    table = recommend.recommend_all(emb, k=4, batch_size=7)
    assert list(table.columns) == ["query", "rank", "asin", "score"]
    assert set(table["query"]) == set(emb.vocab[emb.known]) and (table.groupby("query").size() == 4).all()
    first = emb.ids(["B00000"])[0] if emb.known[0] else np.flatnonzero(emb.known)[0]
    got = table[table["query"] == emb.vocab[first]]["asin"].tolist()
    assert got == list(emb.vocab[brute_force(emb, first, 4)])


def test_recommend_all_hnsw_reports_its_recall_against_exact():
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(20, 16))
    vectors = (centres[rng.integers(0, 20, 3000)] + 0.3 * rng.normal(size=(3000, 16))).astype(np.float32)
    emb = Embeddings.from_vectors(vectors, [f"p{i}" for i in range(3000)], "clusters")
    table = recommend.recommend_all(emb, k=10, index="hnsw", recall_sample=200)
    assert 0.9 <= table.attrs["recall@k"] <= 1.0
    assert (table["query"] != table["asin"]).all() and (table.groupby("query").size() == 10).all()
    with pytest.raises(ValueError, match="cosine"):
        recommend.recommend_all(make(score="dot+bias"), index="hnsw")


def test_from_result_keeps_each_models_own_score():
    vocab = [f"n{i}" for i in range(6)]
    w2v = W2VResult(np.eye(6, 4, dtype=np.float32), np.array([1, 1, 1, 1, 0, 0], bool), 1.0, 10)
    emb = Embeddings.from_result(w2v, vocab, "gensim skip-gram")
    assert emb.meta["score"] == "cosine" and emb.known.tolist() == [True] * 4 + [False] * 2
    torch.manual_seed(0)
    for cls, score in ((models.MF, "dot"), (models.MFBias, "dot+bias"), (models.SkipGram, "cosine")):
        model = cls(6, 4)
        result = train.TrainResult(model.embeddings(), model, pd.DataFrame(), 0.0, "cpu")
        emb = Embeddings.from_result(result, vocab, cls.__name__)
        assert emb.meta["score"] == score and (emb.bias is not None) == (score == "dot+bias")
        if cls is models.MFBias:
            a, b = torch.tensor([0]), torch.tensor([3])
            expected = model.logits(a, b).item() - model.global_bias.item()
            ids, scores = recommend.top_k(emb, np.array([0]), k=5)
            assert scores[0][ids[0].tolist().index(3)] == pytest.approx(expected, abs=1e-5)
    cold = Embeddings.from_result(w2v, vocab, "side info", cold_start=(np.array([4]), np.ones((1, 4))))
    assert cold.known.tolist() == [True] * 5 + [False] and cold.meta["params"]["cold_start"] == 1


def test_best_k_orders_ties_by_id_even_past_topks_margin():
    scores = np.zeros((3, 40))
    scores[0, 25] = 1.0  # one winner, then 39 tied zeros: the tie reaches far past the margin
    scores[1] = -np.inf
    scores[1, [30, 5]] = 2.0
    scores[2] = np.arange(40)[::-1]
    ids, values = recommend.best_k(scores, 4)
    assert ids[0].tolist() == [25, 0, 1, 2] and values[0].tolist() == [1, 0, 0, 0]
    assert ids[1].tolist()[:2] == [5, 30] and np.isneginf(values[1, 2:]).all()
    assert ids[2].tolist() == [0, 1, 2, 3]
    nan_first = np.array([[np.nan] + [1.0] * 9 + [0.0]])  # topk ranks NaN first; comparisons skip it
    assert recommend.best_k(nan_first, 2)[0].tolist() == [[1, 2]]


@given(st.integers(1, 12), st.integers(1, 300), st.integers(1, 30), st.integers(1, 6), st.floats(0, 0.5),
       st.integers(0, 2**16))
@settings(max_examples=60, deadline=None)
def test_best_k_is_the_first_k_of_a_full_sort_by_score_then_id(rows, n, k, levels, masked, seed):
    """Law: best_k's ids are exactly a stable sort by (-score, id), cut at k — for scores from a few levels (ties
    everywhere, as graph counts give) with a share of -inf (products that cannot be recommended)."""
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, levels, (rows, n)).astype(np.float64)
    scores[rng.random((rows, n)) < masked] = -np.inf
    ids, values = recommend.best_k(scores, k)
    full = np.lexsort((np.broadcast_to(np.arange(n), scores.shape), -scores), axis=1)[:, :min(k, n)]
    finite = np.isfinite(values)  # the order among -inf scores is not promised
    np.testing.assert_array_equal(np.where(finite, ids, -1), np.where(finite, full, -1))
    np.testing.assert_array_equal(values, np.take_along_axis(scores, full, 1))


def lattice(n: int, d: int, score: str, seed: int) -> Embeddings:
    """Small-integer vectors (cosine: four ±1 entries, unit length ±0.5 each) and quarter biases: every score is
    exact in float32 whatever the order of summation, and many tie."""
    rng = np.random.default_rng(seed)
    if score == "cosine":
        vectors = np.zeros((n, d), np.float32)
        for row in vectors:
            row[rng.choice(d, 4, replace=False)] = rng.choice([-1.0, 1.0], 4)
    else:
        vectors = rng.integers(-2, 3, (n, d)).astype(np.float32)
    known = rng.random(n) > 0.15
    vectors[~known] = 0
    bias = rng.integers(-4, 5, n).astype(np.float32) / 4 if score == "dot+bias" else None
    return Embeddings.from_vectors(vectors, [f"p{i}" for i in range(n)], "lattice", known=known, bias=bias,
                                   score=score)


def exact_top_k(emb: Embeddings, queries: np.ndarray, k: int, candidates=None, exclude=None):
    """(ids, scores) from first principles in float64: allowed products sorted by (-score, id), -1/-inf padded."""
    v = emb.vectors.astype(np.float64)
    if emb.meta["score"] == "cosine":
        norms = np.linalg.norm(v, axis=1, keepdims=True)
        v = np.divide(v, norms, out=np.zeros_like(v), where=norms > 0)
    scores = v[queries] @ v.T
    if emb.bias is not None:
        scores += emb.bias[None, :] + emb.bias[queries, None]
    allowed = emb.known & (True if candidates is None else candidates)
    ids, values = np.full((len(queries), k), -1), np.full((len(queries), k), -np.inf)
    for i, q in enumerate(queries):
        ok = allowed.copy()
        ok[q] = False
        if exclude is not None:
            ok[exclude[i]] = False
        pool = np.flatnonzero(ok)
        best = pool[np.lexsort((pool, -scores[i, pool]))][:k]
        ids[i, :len(best)], values[i, :len(best)] = best, scores[i, best]
    return ids, values


@pytest.mark.parametrize("n", [1, 2, 9, 33, 130, 300])
@pytest.mark.parametrize("score", ["cosine", "dot", "dot+bias"])
def test_top_k_equals_exact_search_with_ties_masks_and_odd_tiles(n, score):
    rng = np.random.default_rng(n)
    emb = lattice(n, 6, score, seed=n)
    known = np.flatnonzero(emb.known)
    cases = [  # (queries, candidates): the known products, shuffled (one tile serves both orders), samples
        (known, None), (rng.permutation(known), None),  # with repeats and unknown queries, candidate masks
        (rng.integers(0, n, 2 * n), None), (rng.integers(0, n, 7), rng.random(n) > 0.4),
        (known, rng.random(n) > 0.3)]
    for case, (queries, candidates) in enumerate(cases):
        exclude = [rng.integers(0, n, rng.integers(0, 4)) for _ in queries] if case % 2 else None
        for k, batch_size in [(1, None), (4, 5), (10, 16), (n + 3, 64)]:
            ids, scores = recommend.top_k(emb, queries, k, candidates=candidates, exclude=exclude,
                                          batch_size=batch_size)
            want_ids, want_scores = exact_top_k(emb, queries, k, candidates, exclude)
            np.testing.assert_array_equal(ids, want_ids, err_msg=f"case {case}, k={k}, batch {batch_size}")
            np.testing.assert_array_equal(scores, want_scores.astype(np.float32))


def score_rows_without_self(emb: Embeddings, queries: np.ndarray) -> np.ndarray:
    """``score_rows`` with each query's own score at -inf, as ``evaluate.ranking_metrics`` ranks them."""
    rows = recommend.score_rows(emb, queries)
    rows[np.arange(len(queries)), queries] = -np.inf
    return rows


@pytest.mark.parametrize("score", ["cosine", "dot+bias"])
def test_top_k_ranks_exactly_by_score_rows_in_any_tiling(score):
    emb = make(n=700, d=32, score=score, seed=4, unknown=30)  # scores with rounding: BLAS must be consistent
    queries = np.flatnonzero(emb.known)
    rows = score_rows_without_self(emb, queries)
    want_ids, want_scores = recommend.best_k(rows, 10)
    for batch_size in (None, 64, 100):
        ids, scores = recommend.top_k(emb, queries, 10, batch_size=batch_size)
        np.testing.assert_array_equal(ids, want_ids)
        np.testing.assert_array_equal(scores, want_scores.astype(np.float32))
        some = queries[::37]
        ids, scores = recommend.top_k(emb, some, 10, batch_size=batch_size)  # queries ≠ candidates: one order
        np.testing.assert_array_equal(ids, want_ids[::37])


def test_top_k_merges_threads_exactly_and_restores_torch_threads(monkeypatch):
    emb = lattice(257, 5, "dot", seed=7)
    queries = np.flatnonzero(emb.known)
    before = torch.get_num_threads()
    want = recommend.top_k(emb, queries, 6, batch_size=16)
    assert torch.get_num_threads() == before
    monkeypatch.setattr(recommend, "_thread_count", lambda: 3)  # three private top-ks, merged
    got = recommend.top_k(emb, queries, 6, batch_size=16)
    assert torch.get_num_threads() == before
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(want[0], exact_top_k(emb, queries, 6)[0])
