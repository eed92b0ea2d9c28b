"""train_val_split: the split's invariants as properties, and degree-matched negatives."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from recsys_tutorial.split import _degree_bucket, train_val_split


@st.composite
def graphs(draw):
    n = draw(st.integers(8, 60))
    pairs = draw(st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] < p[1]),
                         min_size=6, max_size=min(150, n * (n - 1) // 2 // 3)))
    src, dst = zip(*sorted(pairs), strict=True)
    return pd.DataFrame({"src": np.array(src, np.int32), "dst": np.array(dst, np.int32),
                         "weight": np.ones(len(src), np.float32)}), n


def keys(a, b, n):
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    return set((np.minimum(a, b) * n + np.maximum(a, b)).tolist())


@given(graphs(), st.integers(0, 2**31), st.sampled_from(["uniform", "degree"]))
@settings(max_examples=80, deadline=None)
def test_split_invariants(graph, seed, negatives):
    edges, n = graph
    sp = train_val_split(edges, seed=seed, negatives=negatives, num_nodes=n, sample_size=20)
    pos = sp.val[sp.val["label"] == 1]
    neg = sp.val[sp.val["label"] == 0]
    n_val = int(0.33 * len(edges))
    assert len(pos) == len(neg) == n_val  # exactly 50/50
    true = keys(edges["src"], edges["dst"], n)
    assert keys(sp.train["src"], sp.train["dst"], n) | keys(pos["src"], pos["dst"], n) == true
    assert not keys(sp.train["src"], sp.train["dst"], n) & keys(pos["src"], pos["dst"], n)
    neg_keys = keys(neg["src"], neg["dst"], n)
    assert not neg_keys & true  # no true edge among negatives
    assert len(neg_keys) == len(neg) and (neg["src"] != neg["dst"]).all()  # deduplicated, no self-pairs
    degree = np.bincount(np.concatenate([sp.train["src"], sp.train["dst"]]), minlength=n)
    expected_seen = (degree[sp.val["src"]] > 0) & (degree[sp.val["dst"]] > 0)
    assert (sp.val["seen"].to_numpy() == expected_seen).all()
    assert len(sp.val_sample) == min(20, len(sp.val))
    again = train_val_split(edges, seed=seed, negatives=negatives, num_nodes=n, sample_size=20)
    pd.testing.assert_frame_equal(sp.val, again.val)
    pd.testing.assert_frame_equal(sp.train, again.train)
    pd.testing.assert_frame_equal(sp.val_sample, again.val_sample)


def test_uniform_negatives_come_from_validation_products(ci_edges):
    edges, vocab = ci_edges
    sp = train_val_split(edges, num_nodes=len(vocab))
    pos = sp.val[sp.val["label"] == 1]
    products = set(pos["src"]) | set(pos["dst"])
    neg = sp.val[sp.val["label"] == 0]
    assert set(neg["src"]) | set(neg["dst"]) <= products
    assert train_val_split(edges, seed=1, num_nodes=len(vocab)).val.ne(sp.val).any().any()


def test_degree_negatives_match_the_positives_degree_distribution(ci_edges):
    edges, vocab = ci_edges
    sp = train_val_split(edges, negatives="degree", num_nodes=len(vocab))
    degree = np.bincount(np.concatenate([sp.train["src"], sp.train["dst"]]), minlength=sp.num_nodes)
    pos = sp.val[sp.val["label"] == 1]
    neg = sp.val[sp.val["label"] == 0]
    # Every negative copies a positive's endpoint buckets, so the bucket-pair histograms are equal.
    def hist(frame):
        a, b = _degree_bucket(degree[frame["src"]]), _degree_bucket(degree[frame["dst"]])
        return sorted(zip(np.minimum(a, b).tolist(), np.maximum(a, b).tolist(), strict=True))
    assert hist(pos) == hist(neg)
    uniform = train_val_split(edges, negatives="uniform", num_nodes=len(vocab))
    uneg = uniform.val[uniform.val["label"] == 0]
    log_pa = lambda f: np.log1p(degree[f["src"]] * degree[f["dst"]]).mean()  # noqa: E731
    assert abs(log_pa(neg) - log_pa(pos)) < 0.15 * log_pa(pos)
    assert log_pa(uneg) < 0.8 * log_pa(pos)  # uniform negatives are much less popular than positives


def test_bad_arguments_are_clear_errors(ci_edges):
    import pytest

    edges, _vocab = ci_edges
    with pytest.raises(ValueError, match="val_frac"):
        train_val_split(edges, val_frac=1.5)
    with pytest.raises(ValueError, match="negatives"):
        train_val_split(edges, negatives="popular")
    dup = pd.concat([edges.head(3), edges.head(1)], ignore_index=True)
    with pytest.raises(ValueError, match="duplicate"):
        train_val_split(dup)
    loop = pd.DataFrame({"src": [0, 1], "dst": [0, 2], "weight": [1.0, 1.0]})
    with pytest.raises(ValueError, match="self-pairs"):
        train_val_split(loop)
