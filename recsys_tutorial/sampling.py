"""Sampling: (center, context) pairs from walks, frequent-node subsampling, unigram^0.75 negatives,
and the edge batches MF trains on — all vectorised and streamed in bounded memory.

Streams are ``torch.utils.data.IterableDataset``s: each DataLoader worker takes every n-th chunk of
walks (or edges) and draws from its own generator seeded by (seed, epoch, worker), so several workers
never repeat each other's negatives (the original's shared cursor did, bug B10).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

__all__ = [
    "EdgeBatches",
    "PairBatches",
    "WalkBlocks",
    "keep_probability",
    "token_counts",
    "unigram_table",
    "walk_pairs",
]


def walk_pairs(
    walks: np.ndarray, window: int = 5, shrink: bool = False, rng: np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Every (center, context) pair within ``window`` positions, both directions, no self pairs.

    Padding (-1) never pairs. ``shrink=True`` draws word2vec's random window b ∈ [1, window] per
    center position. A 10-node walk with window 5 and distinct nodes gives 70 pairs (position 0 is a
    context too — the original skipped it, bug B8).
    """
    walks = np.asarray(walks)
    if window < 1:
        raise ValueError("window must be at least 1")
    if shrink:
        rng = rng or np.random.default_rng()
        reach = rng.integers(1, window + 1, size=walks.shape)
    centers, contexts = [], []
    for d in range(1, min(window, walks.shape[1] - 1) + 1):
        left, right = walks[:, :-d], walks[:, d:]
        forward = (left >= 0) & (right >= 0) & (left != right)
        backward = forward.copy()
        if shrink:
            forward &= reach[:, :-d] >= d   # left is the center, right its context
            backward &= reach[:, d:] >= d   # right is the center, left its context
        centers += [left[forward], right[backward]]
        contexts += [right[forward], left[backward]]
    if not centers:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(centers).astype(np.int64), np.concatenate(contexts).astype(np.int64)


def token_counts(walks: np.ndarray, num_nodes: int) -> np.ndarray:
    """How often each node appears in the walks (padding excluded)."""
    flat = np.asarray(walks).ravel()
    return np.bincount(flat[flat >= 0], minlength=num_nodes)


def keep_probability(counts: np.ndarray, threshold: float = 1e-3) -> np.ndarray:
    """word2vec's subsampling: keep a token of frequency f with probability (√(f/t) + 1) · t/f, capped at 1.

    The original computed this (naming it a discard probability) and applied it to contexts; at
    threshold 1e-3 only hubs are ever dropped. ``threshold=0`` keeps everything.
    """
    if threshold <= 0:
        return np.ones(len(counts))
    freq = counts / max(counts.sum(), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = (np.sqrt(freq / threshold) + 1) * threshold / freq
    return np.where(counts > 0, np.minimum(keep, 1.0), 1.0)


def unigram_table(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """Cumulative distribution of count^power, for drawing negatives with ``searchsorted``."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    if weights.sum() <= 0:
        raise ValueError("no node has a positive count: nothing to draw negatives from")
    cdf = np.cumsum(weights)
    return cdf / cdf[-1]


def _draw(cdf: np.ndarray, rng: np.random.Generator, size) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), len(cdf) - 1)


class _Stream(IterableDataset):
    """Chunked, worker-sharded, seeded iteration; subclasses turn a chunk into batches."""

    def __init__(self, n_items: int, chunk_size: int, seed: int):
        super().__init__()
        self.n_items, self.chunk_size, self.seed, self.epoch = n_items, chunk_size, seed, 0

    def set_epoch(self, epoch: int) -> None:
        """A new epoch reshuffles and redraws (call before iterating)."""
        self.epoch = epoch

    def _chunks(self):
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        rng = np.random.default_rng([self.seed, self.epoch, worker])
        order = np.random.default_rng([self.seed, self.epoch]).permutation(max(1, -(-self.n_items // self.chunk_size)))
        for c in order[worker::workers]:
            lo = int(c) * self.chunk_size
            yield np.arange(lo, min(lo + self.chunk_size, self.n_items)), rng


class PairBatches(_Stream):
    """Skip-gram batches from walks: ``(center, context, negatives)`` LongTensors.

    ``negatives`` is ``(batch, k)`` per-pair draws, or ``(k,)`` shared by the whole batch when
    ``shared_negatives`` — shared draws turn the negative scores into one matrix product.
    Contexts are subsampled with :func:`keep_probability` (the original applied it to contexts only).
    ``mf_rows=True`` yields MF rows instead, ``(a, b, label)``: each pair once with label 1 and its
    k negatives with label 0 — the original's "MF on sequences" collate.
    """

    def __init__(self, walks: np.ndarray, num_nodes: int, batch_size: int = 4096, window: int = 5,
                 negatives: int = 5, shared_negatives: bool = False, subsample: float = 1e-3,
                 shrink_window: bool = False, seed: int = 0, walks_per_chunk: int = 8192, mf_rows: bool = False):
        super().__init__(len(walks), walks_per_chunk, seed)
        self.walks, self.batch_size, self.window, self.k = walks, batch_size, window, negatives
        self.shared, self.shrink, self.mf_rows = shared_negatives, shrink_window, mf_rows
        counts = token_counts(walks, num_nodes)
        self.keep = keep_probability(counts, subsample)
        self.cdf = unigram_table(counts)

    def __len__(self) -> int:
        """Expected batches per epoch (subsampling makes the exact count random): for LR schedules."""
        walks = np.asarray(self.walks)
        expected = 0.0
        for d in range(1, min(self.window, walks.shape[1] - 1) + 1):
            left, right = walks[:, :-d], walks[:, d:]
            valid = (left >= 0) & (right >= 0) & (left != right)
            share = (self.window - d + 1) / self.window if self.shrink else 1.0
            keep = self.keep[np.maximum(left, 0)] + self.keep[np.maximum(right, 0)]
            expected += share * float((keep * valid).sum())
        chunks = -(-len(walks) // self.chunk_size)
        return max(1, round(expected / self.batch_size + chunks / 2))

    def __iter__(self):
        for rows, rng in self._chunks():
            center, context = walk_pairs(self.walks[rows], self.window, self.shrink, rng)
            kept = rng.random(len(context)) < self.keep[context]
            center, context = center[kept], context[kept]
            order = rng.permutation(len(center))
            center, context = center[order], context[order]
            for lo in range(0, len(center), self.batch_size):
                c, o = center[lo:lo + self.batch_size], context[lo:lo + self.batch_size]
                if self.mf_rows:
                    negative = _draw(self.cdf, rng, len(c) * self.k)
                    label = np.concatenate([np.ones(len(c), np.float32), np.zeros(len(negative), np.float32)])
                    yield (torch.from_numpy(np.concatenate([c, np.repeat(c, self.k)])),
                           torch.from_numpy(np.concatenate([o, negative])), torch.from_numpy(label))
                    continue
                shape = (self.k,) if self.shared else (len(c), self.k)
                yield torch.from_numpy(c), torch.from_numpy(o), torch.from_numpy(_draw(self.cdf, rng, shape))


class WalkBlocks(_Stream):
    """Skip-gram batches as whole walks, for the fast SGD step: ``(block, reach, negatives)`` LongTensors.

    ``block`` (walks × length) holds each walk after word2vec's subsampling, kept tokens moved to the front
    and -1 after them, so windows reach past dropped tokens as in word2vec. ``reach`` is each position's
    shrunk window b ∈ [1, window]; ``negatives`` are ``shared`` unigram^0.75 draws for the whole block,
    standing in for word2vec's ``negatives`` (k) private draws per pair (the step weights them k/shared). Every
    pair within a walk is then one entry of a small per-walk score matrix, so the step is a few matmuls.
    """

    def __init__(self, walks: np.ndarray, num_nodes: int, walks_per_batch: int = 256, window: int = 5,
                 negatives: int = 5, shared: int = 32, subsample: float = 1e-3, seed: int = 0):
        super().__init__(len(walks), walks_per_batch, seed)
        self.walks, self.window, self.k, self.shared = np.asarray(walks), window, negatives, shared
        counts = token_counts(self.walks, num_nodes)
        self.keep = keep_probability(counts, subsample)
        self.cdf = unigram_table(counts)

    def __len__(self) -> int:
        return -(-self.n_items // self.chunk_size)

    def __iter__(self):
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        order = np.random.default_rng([self.seed, self.epoch]).permutation(self.n_items)
        for b in range(worker, len(self), workers):
            rng = np.random.default_rng([self.seed, self.epoch, b])  # per block: same draws for any worker count
            block = self.walks[order[b * self.chunk_size:(b + 1) * self.chunk_size]].astype(np.int64)
            kept = (block >= 0) & (rng.random(block.shape) < self.keep[np.maximum(block, 0)])
            front = np.argsort(~kept, axis=1, kind="stable")  # kept tokens first, in walk order
            block = np.where(np.take_along_axis(kept, front, 1), np.take_along_axis(block, front, 1), -1)
            reach = rng.integers(1, self.window + 1, size=block.shape)
            yield torch.from_numpy(block), torch.from_numpy(reach), torch.from_numpy(_draw(self.cdf, rng, self.shared))


class EdgeBatches(_Stream):
    """MF batches from training edges: each edge is a positive, plus ``negatives`` (a, n) pairs per edge.

    Yields ``(a, b, label)``: label 1/0 (binary) or the edge weight/0 (``continuous=True``). Negatives
    are drawn ∝ degree^0.75, as the original's table did; which endpoint gets them alternates randomly
    (the original always gave them to the alphabetically smaller ASIN).
    """

    def __init__(self, edges, num_nodes: int, batch_size: int = 1024, negatives: int = 5,
                 continuous: bool = False, seed: int = 0):
        super().__init__(len(edges), batch_size, seed)
        self.src = edges["src"].to_numpy().astype(np.int64)
        self.dst = edges["dst"].to_numpy().astype(np.int64)
        self.weight = edges["weight"].to_numpy().astype(np.float32)
        self.k, self.continuous = negatives, continuous
        degree = np.bincount(np.concatenate([self.src, self.dst]), minlength=num_nodes)
        self.cdf = unigram_table(degree)

    def __len__(self) -> int:
        return -(-len(self.src) // self.chunk_size)

    def __iter__(self):
        for rows, rng in self._chunks():
            a, b = self.src[rows], self.dst[rows]
            flip = rng.random(len(rows)) < 0.5
            a, b = np.where(flip, b, a), np.where(flip, a, b)
            anchor = np.repeat(a, self.k)
            negative = _draw(self.cdf, rng, len(anchor))
            pos_label = self.weight[rows] if self.continuous else np.ones(len(rows), np.float32)
            yield (torch.from_numpy(np.concatenate([a, anchor])), torch.from_numpy(np.concatenate([b, negative])),
                   torch.from_numpy(np.concatenate([pos_label, np.zeros(len(anchor), np.float32)])))
