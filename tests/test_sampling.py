"""Pairs from walks, subsampling, unigram^0.75 negatives, and the streams' seeding across workers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from recsys_tutorial.sampling import (
    EdgeBatches,
    PairBatches,
    WalkBlocks,
    keep_probability,
    token_counts,
    unigram_table,
    walk_pairs,
)


def test_a_ten_node_walk_gives_seventy_pairs_including_position_zero():
    walks = np.arange(10)[None, :]
    center, context = walk_pairs(walks, window=5)
    assert len(center) == 70  # the original's 65 skipped position 0 as a context (bug B8)
    assert (context == 0).sum() == 5
    assert (np.abs(center - context) <= 5).all() and (center != context).all()
    assert len(set(zip(center.tolist(), context.tolist(), strict=True))) == 70


def test_padding_and_self_pairs_never_pair():
    walks = np.array([[3, 4, 3, -1, -1]])
    center, context = walk_pairs(walks, window=2)
    assert -1 not in center and -1 not in context and (center != context).all()
    assert sorted(zip(center.tolist(), context.tolist(), strict=True)) == [(3, 4), (3, 4), (4, 3), (4, 3)]


def test_shrunk_windows_keep_the_expected_share_of_pairs():
    """word2vec draws the reach b uniformly from 1..window per center: count the expected pairs by hand."""
    length, window = 10, 5
    expected = sum(min(b, i) + min(b, length - 1 - i) for i in range(length) for b in range(1, window + 1)) / window
    full = sum(min(window, i) + min(window, length - 1 - i) for i in range(length))
    assert (expected, full) == (46, 70)  # 23/35 of the pairs survive
    walks = np.arange(20_000 * length).reshape(-1, length)  # distinct products: no self pairs
    assert len(walk_pairs(walks, window)[0]) == full * len(walks)
    shrunk = walk_pairs(walks, window, shrink=True, rng=np.random.default_rng(1))[0]
    assert len(shrunk) / (full * len(walks)) == pytest.approx(expected / full, abs=0.004)


def test_keep_probability_is_the_word2vec_formula():
    counts = np.array([0, 1, 10, 10_000])
    keep = keep_probability(counts, 1e-3)
    f = counts[3] / counts.sum()
    assert keep[3] == pytest.approx((np.sqrt(f / 1e-3) + 1) * 1e-3 / f)
    assert keep[:3].tolist() == [1.0, 1.0, 1.0]
    assert (keep_probability(counts, 0) == 1).all()


def test_negatives_follow_unigram_to_the_three_quarters():
    counts = np.array([1, 10, 100, 1000])
    batches = PairBatches(np.repeat(np.arange(4), counts)[None, :].repeat(2, 0)[:, :200], 4, batch_size=10**6,
                          negatives=20, subsample=0, seed=3)
    assert token_counts(batches.walks, 4).tolist() == [2, 20, 200, 178]  # two walks: 1 + 10 + 100 + 89 tokens
    negatives = np.concatenate([n.numpy().ravel() for _, _, n in batches])
    observed = np.bincount(negatives, minlength=4)
    weight = np.bincount(batches.walks.ravel(), minlength=4) ** 0.75  # from first principles, not unigram_table
    assert stats.chisquare(observed, weight / weight.sum() * len(negatives)).pvalue > 1e-3
    assert np.diff(unigram_table(np.array([1, 10, 100, 89])), prepend=0) == pytest.approx(
        np.array([1, 10, 100, 89]) ** 0.75 / (np.array([1, 10, 100, 89]) ** 0.75).sum())


def test_streams_repeat_with_a_seed_and_change_with_the_epoch():
    walks = np.random.default_rng(0).integers(0, 50, size=(300, 8))
    def run(epoch, seed=1):
        stream = PairBatches(walks, 50, batch_size=256, seed=seed, walks_per_chunk=64)
        stream.set_epoch(epoch)
        return [torch.cat([t.flatten() for t in batch]) for batch in stream]
    first, again, other = run(0), run(0), run(1)
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(len(a) == len(b) and torch.equal(a, b) for a, b in zip(first, other, strict=False))


def test_dataloader_workers_draw_different_negatives_and_cover_every_chunk():
    walks = np.random.default_rng(0).integers(0, 50, size=(400, 8))
    stream = PairBatches(walks, 50, batch_size=10**6, seed=5, walks_per_chunk=100, subsample=0)
    single = list(stream)
    loader = torch.utils.data.DataLoader(stream, batch_size=None, num_workers=2)
    multi = list(loader)
    assert sum(len(c) for c, _, _ in multi) == sum(len(c) for c, _, _ in single)  # every chunk exactly once
    negatives = [n for _, _, n in multi]
    assert not any(torch.equal(negatives[0][:50], n[:50]) for n in negatives[1:])  # no repeated stream


def test_edge_batches_label_positives_and_negatives():
    edges = pd.DataFrame({"src": [0, 1, 2], "dst": [1, 2, 3], "weight": [1.0, 2.2, 0.5]})
    a, b, label = next(iter(EdgeBatches(edges, 4, batch_size=8, negatives=4, seed=0)))
    assert len(a) == len(b) == len(label) == 3 + 12
    assert label[:3].tolist() == [1, 1, 1] and label[3:].sum() == 0
    pairs = {tuple(sorted(p)) for p in zip(a[:3].tolist(), b[:3].tolist(), strict=True)}
    assert pairs == {(0, 1), (1, 2), (2, 3)}
    _, _, weight = next(iter(EdgeBatches(edges, 4, batch_size=8, continuous=True, seed=0)))
    assert sorted(weight[:3].tolist()) == pytest.approx([0.5, 1.0, 2.2])


def test_mf_rows_from_walk_pairs():
    walks = np.arange(10)[None, :]
    a, _, label = next(iter(PairBatches(walks, 10, batch_size=1000, negatives=5, subsample=0, mf_rows=True)))
    assert len(a) == 70 * 6 and int(label.sum()) == 70


def test_walk_blocks_subsample_then_close_the_gaps_in_walk_order():
    walks = np.random.default_rng(0).integers(0, 40, size=(500, 10))
    walks[:, 0] = 0  # a hub: subsampling drops most of its tokens
    walks[::7, 8:] = -1  # short walks keep their padding at the end
    stream = WalkBlocks(walks, 40, walks_per_batch=64, window=5, subsample=1e-2, seed=2)
    blocks = list(stream)
    assert len(blocks) == len(stream) == 8
    keep = stream.keep
    kept_hub = 0
    for block, reach, negatives in blocks:
        assert block.shape == reach.shape and block.shape[1] == 10 and negatives.shape == (stream.shared,)
        assert ((reach >= 1) & (reach <= 5)).all()
        valid = (block >= 0).numpy()
        assert (np.sort(valid, axis=1)[:, ::-1] == valid).all()  # kept tokens first, padding after
        kept_hub += int((block == 0).sum())
    assert sum(int((b >= 0).sum()) for b, _, _ in blocks) < (walks >= 0).sum()
    assert abs(kept_hub - 500 * keep[0]) < 4 * np.sqrt(500 * keep[0]) + 1
    # each walk's kept tokens are a subsequence of the walk, order preserved
    order = np.random.default_rng([2, 0]).permutation(500)
    first = blocks[0][0].numpy()
    for row, w in zip(first, walks[order[:64]], strict=True):
        kept, it = row[row >= 0].tolist(), iter(w.tolist())
        assert all(any(x == y for y in it) for x in kept)


def test_walk_blocks_are_the_same_with_dataloader_workers():
    walks = np.random.default_rng(1).integers(0, 30, size=(300, 6))
    stream = WalkBlocks(walks, 30, walks_per_batch=50, seed=4)
    single = sorted(torch.cat([t.flatten() for t in b]).tolist() for b in stream)
    multi = sorted(torch.cat([t.flatten() for t in b]).tolist()
                   for b in torch.utils.data.DataLoader(stream, batch_size=None, num_workers=2))
    assert single == multi
