"""The original-method walker: walks follow edges, steps ∝ weight, same seed → same walks, timing keys."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from recsys_tutorial.baselines import OriginalWalker, time_original_walks

# A star with unequal weights, a triangle on it and a pendant node: rows of 1–5 neighbours.
EDGES = pd.DataFrame({"src": [0, 0, 0, 0, 1, 3], "dst": [1, 2, 3, 4, 2, 5], "weight": [1.0, 2.0, 3.0, 4.0, 1.2, 0.5]})


def test_transition_lists_are_normalised_weights():
    walker = OriginalWalker.from_edges(EDGES)
    neighbours, probabilities = walker.transitions[0]
    assert dict(zip(neighbours, probabilities, strict=True)) == pytest.approx({1: 0.1, 2: 0.2, 3: 0.3, 4: 0.4})
    assert walker.transitions[5] == ([3], [1.0])
    assert sorted(walker.nodes) == [0, 1, 2, 3, 4, 5]


def test_walks_follow_edges_with_frequencies_proportional_to_weight():
    walker = OriginalWalker.from_edges(EDGES)
    walks = walker.walks(num_walks=300, walk_length=10, seed=1)
    assert walks.shape == (6 * 300, 10)
    assert (walks[:, 0] == np.repeat(walker.nodes, 300)).all()  # grouped by start node, the start included
    a, b = walks[:, :-1].ravel(), walks[:, 1:].ravel()
    edges = set(zip(EDGES["src"], EDGES["dst"], strict=True))
    assert all((x, y) in edges or (y, x) in edges for x, y in zip(a.tolist(), b.tolist(), strict=True))
    for v in range(6):
        neighbours, probabilities = walker.transitions[v]
        if len(neighbours) < 2:
            continue
        observed = np.array([np.sum((a == v) & (b == x)) for x in neighbours])
        expected = np.array(probabilities) * observed.sum()
        assert stats.chisquare(observed, expected).pvalue > 1e-3, v


def test_same_seed_same_walks_and_bad_starts_are_refused():
    walker = OriginalWalker.from_edges(EDGES)
    np.testing.assert_array_equal(walker.walks(2, 5, [0, 3], seed=7), walker.walks(2, 5, [0, 3], seed=7))
    assert not np.array_equal(walker.walks(20, 5, [0], seed=7), walker.walks(20, 5, [0], seed=8))
    with pytest.raises(ValueError, match="without edges"):
        walker.walks(1, 3, [9])
    with pytest.raises(ValueError, match="at least 1"):
        walker.walks(0, 3)


def test_timing_extrapolates_from_a_sample_of_start_nodes():
    timing = time_original_walks(EDGES, num_walks=3, walk_length=4, sample_nodes=2, seed=0)
    assert timing["sampled_nodes"] == 2 and timing["nodes"] == 6 and timing["steps"] == 2 * 3 * 3
    assert timing["extrapolated_walk_s"] == pytest.approx(6 * 3 * 3 / timing["steps_per_s"])
    assert timing["prep_s"] >= 0 and timing["walk_s"] > 0


def test_original_node2vec_bytes_counts_one_float64_per_neighbour_of_every_directed_edge():
    """A star with 3 leaves: edges hub→leaf carry a leaf's 1 neighbour, leaf→hub the hub's 3: 3·1 + 3·3 = 12."""
    from recsys_tutorial.baselines import NUMPY_ARRAY_HEADER, original_node2vec_bytes

    degree = np.array([3, 1, 1, 1])
    assert original_node2vec_bytes(degree) == 12 * 8 + 6 * NUMPY_ARRAY_HEADER
    assert original_node2vec_bytes(degree, workers=10) == 10 * original_node2vec_bytes(degree)
