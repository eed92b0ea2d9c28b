"""build_edges: the original's weighting and filtering rules, against a plain-Python reference."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pandas as pd
import pytest

from recsys_tutorial.data import RELATIONS
from recsys_tutorial.edges import DEFAULT_WEIGHTS, build_edges


def tables(products: dict[str, str | None], rows: list[tuple[str, str, str]]):
    prod = pd.DataFrame({"asin": pd.array(list(products), dtype="string"),
                         "title": pd.array(list(products.values()), dtype="string")})
    asins = sorted({a for a, b, _ in rows} | {b for a, b, _ in rows} | set(products))
    dtype = pd.CategoricalDtype(pd.Index(asins, dtype="string"))
    rel = pd.DataFrame({"asin": pd.Categorical([a for a, _, _ in rows], dtype=dtype),
                        "related": pd.Categorical([b for _, b, _ in rows], dtype=dtype),
                        "relation": pd.Categorical([r for *_, r in rows], categories=list(RELATIONS))})
    return prod, rel


def as_dict(edges, vocab):
    return {(vocab[s], vocab[d]): round(float(w), 4) for s, d, w in edges.itertuples(index=False)}


def test_weights_sum_over_relation_types_and_both_directions():
    prod, rel = tables({"A": "a", "B": "b", "C": "c"}, [
        ("A", "B", "also_bought"), ("A", "C", "also_bought"), ("A", "B", "bought_together"),
        ("B", "A", "also_bought"), ("B", "C", "also_bought"), ("B", "D", "also_viewed"),
        ("C", "A", "also_bought"), ("C", "B", "also_bought"), ("C", "C", "also_bought"),
        ("C", "E", "buy_after_viewing"),
    ])
    edges, vocab = build_edges(prod, rel)
    assert list(vocab) == ["A", "B", "C", "D"]  # sorted; E only has an unweighted relation
    assert as_dict(edges, vocab) == {("A", "B"): 3.2, ("A", "C"): 2.0, ("B", "C"): 2.0, ("B", "D"): 0.5}
    assert (edges["src"] < edges["dst"]).all()
    report = edges.attrs["report"]
    assert report["self_pairs_dropped"] == 1 and report["rows_unweighted_relation"] == 1


def test_source_filters_can_be_switched_off():
    prod, rel = tables({"A": None, "B": "b", "C": "c"}, [
        ("A", "B", "also_bought"), ("A", "C", "also_bought"),  # no title
        ("B", "C", "also_bought"),                              # only one also_bought
        ("C", "A", "also_bought"), ("C", "B", "also_bought"),
    ])
    edges, vocab = build_edges(prod, rel)
    assert as_dict(edges, vocab) == {("A", "C"): 1.0, ("B", "C"): 1.0}
    report = edges.attrs["report"]
    assert report["sources_without_title"] == 1 and report["sources_with_few_also_bought"] == 1
    assert report["rows_from_filtered_sources"] == 3
    loose, vocab = build_edges(prod, rel, require_title=False, min_also_bought=0)
    assert as_dict(loose, vocab) == {("A", "B"): 1.0, ("A", "C"): 2.0, ("B", "C"): 2.0}
    kept, vocab = build_edges(prod, rel, require_title=False, min_also_bought=0, drop_self_pairs=False)
    assert len(kept) == 3


def test_matches_a_plain_python_reference_on_synthetic_data(ci_tables, ci_edges):
    products, relations, _ = ci_tables
    edges, vocab = ci_edges
    titled = set(products.loc[products["title"].notna(), "asin"])
    ab = Counter(a for a, r in zip(relations["asin"], relations["relation"], strict=True) if r == "also_bought")
    weight: dict[tuple[str, str], float] = defaultdict(float)
    for a, b, r in zip(relations["asin"], relations["related"], relations["relation"], strict=True):
        if a in titled and ab[a] >= 2 and a != b and r in DEFAULT_WEIGHTS:
            weight[tuple(sorted((a, b)))] += DEFAULT_WEIGHTS[r]
    got = as_dict(edges, vocab)
    assert got.keys() == weight.keys()
    assert all(np.isclose(got[k], v, atol=1e-4) for k, v in weight.items())
    assert vocab.is_monotonic_increasing and vocab.is_unique


def test_ids_do_not_depend_on_file_order(ci_tables):
    products, relations, _ = ci_tables
    shuffled = relations.sample(frac=1.0, random_state=0).reset_index(drop=True)
    a, va = build_edges(products, relations)
    b, vb = build_edges(products.sample(frac=1.0, random_state=1), shuffled)
    pd.testing.assert_frame_equal(a, b)
    assert va.equals(vb)


def test_unknown_weight_names_are_rejected(ci_tables):
    products, relations, _ = ci_tables
    with pytest.raises(ValueError, match="unknown relation"):
        build_edges(products, relations, weights={"bought_twice": 2.0})
