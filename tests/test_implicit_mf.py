"""implicit's ALS and BPR, item to item: deterministic, and oriented like every score in the book."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from recsys_tutorial import evaluate, implicit_mf


def two_communities(size: int = 12, bridges: int = 2) -> pd.DataFrame:
    """Two dense groups of products joined by a few bridges: pairs inside a group are the related ones."""
    pairs = [(a, b) for group in (range(size), range(size, 2 * size)) for a, b in itertools.combinations(group, 2)]
    pairs += [(i, size + i) for i in range(bridges)]
    return pd.DataFrame(pairs, columns=["src", "dst"]).assign(weight=np.float32(1.0))


def test_co_purchase_matrix_is_symmetric_with_the_edge_weights():
    train = pd.DataFrame({"src": [0, 1], "dst": [1, 2], "weight": np.float32([2.0, 0.5])})
    matrix = implicit_mf.co_purchase_matrix(train, 4).toarray()
    assert (matrix == matrix.T).all() and matrix[0, 1] == 2.0 and matrix[2, 1] == 0.5 and matrix[3].sum() == 0
    assert implicit_mf.co_purchase_matrix(train, 4, weighted=False).toarray()[0, 1] == 1.0


@pytest.mark.parametrize("train", [implicit_mf.train_als, implicit_mf.train_bpr])
def test_higher_scores_mean_more_related_and_a_seed_repeats(train):
    edges = two_communities()
    n = 26  # two isolated products at the end: no training edge, no vector
    kwargs = {"factors": 8, "iterations": 30 if train is implicit_mf.train_als else 200, "seed": 3}
    result = train(edges, n, **kwargs)
    assert result.vectors.shape == (n, 8) and result.vectors.dtype == np.float32
    assert not result.vectors[24:].any() and result.seconds > 0
    inside = [(a, b) for a, b in itertools.combinations(range(24), 2) if (a < 12) == (b < 12)]
    across = [(a, b) for a in range(12) for b in range(12, 24)]
    src, dst = np.array(inside + across).T
    scores = evaluate.cosine_scores(result.vectors, src, dst)
    labels = np.r_[np.ones(len(inside)), np.zeros(len(across))]
    assert roc_auc_score(labels, scores) > 0.9  # cosine of item factors: higher = same community
    np.testing.assert_array_equal(train(edges, n, **kwargs).vectors, result.vectors)


def test_als_gives_the_same_vectors_on_any_number_of_threads():
    """ALS solves each row on its own from the other side's fixed factors, so threads cannot change it: the
    book lets it use every core."""
    rng = np.random.default_rng(0)
    pairs = np.unique(np.sort(rng.integers(0, 400, size=(3000, 2)), axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    weights = rng.uniform(0.5, 3, len(pairs)).astype(np.float32)
    edges = pd.DataFrame(pairs, columns=["src", "dst"]).assign(weight=weights)
    one, two = (implicit_mf.train_als(edges, 400, factors=16, iterations=5, seed=1, threads=t) for t in (1, 2))
    np.testing.assert_array_equal(one.vectors, two.vectors)
