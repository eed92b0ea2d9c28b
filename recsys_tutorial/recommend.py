"""Recommend: trained item vectors as a product you can ship — saved, loaded, queried, and top-k for everyone.

An :class:`Embeddings` holds one float32 vector per product (ASIN), which products have a trained vector
(``known``), an optional per-product bias and titles, and ``meta`` (method, how pairs are scored, parameters,
data fingerprint, package version). Each method keeps the score it was trained and evaluated with:
``"cosine"`` (gensim word2vec, PyTorch skip-gram, node2vec, side information), ``"dot"`` (MF: its logit) and
``"dot+bias"`` (MF-bias: dot product plus both products' biases). Top-k search (:func:`top_k`) is exact: tiles
of scores (one matrix product per core) folded into running top-ks by a numba threshold kernel, each tile serving
both its rows and its columns when the queries are the candidates; ``index="hnsw"`` uses faiss' HNSW graph for
catalogues where exact search is too slow, and reports its recall against exact on a sample.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numba
import numpy as np
import pandas as pd
import torch

from recsys_tutorial import __version__

__all__ = ["SCORES", "Embeddings", "EmbeddingsError", "best_k", "recall_against", "recommend_all", "score_rows",
           "similar", "top_k"]

logger = logging.getLogger(__name__)

SCORES = ("cosine", "dot", "dot+bias")
_FILES = ("vectors.npy", "vocab.parquet", "meta.json")
#: Most scores :func:`top_k` holds at once, over all its threads (float32: 256 MB).
BLOCK_ELEMENTS = 1 << 26
#: Queries (and candidates) per score tile of :func:`top_k`: a 16 MB tile, large enough for an efficient matrix
#: product of 128-dimensional vectors, and few enough tiles that Python's share of the time stays negligible.
_TILE = 2048
#: Fewest rows of a matrix product (see :func:`_product`).
_MIN_ROWS = 16
#: Rows × columns per block whose column maxima :func:`_fold_tile` compares with the k-th best scores.
_GROUP, _SLICE = 16, 256


class EmbeddingsError(ValueError):
    """A saved embeddings folder is missing, truncated or inconsistent; the message names the file."""


@dataclass
class Embeddings:
    """Product vectors with their ASINs; ``known[i]`` is False for a product that got no vector."""

    vectors: np.ndarray
    vocab: pd.Index
    known: np.ndarray
    meta: dict = field(default_factory=dict)
    bias: np.ndarray | None = None
    titles: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.vectors = np.ascontiguousarray(self.vectors, dtype=np.float32)
        if self.vectors.ndim != 2:
            raise ValueError(f"vectors must be 2-D (products × dimensions), got shape {self.vectors.shape}")
        n = len(self.vectors)
        self.vocab = pd.Index(self.vocab, dtype=object, name="asin")
        self.known = np.asarray(self.known, dtype=bool)
        if len(self.vocab) != n or len(self.known) != n:
            raise ValueError(f"{n} vectors but {len(self.vocab)} ASINs and {len(self.known)} known flags")
        if self.vocab.has_duplicates:
            raise ValueError(f"duplicate ASINs, e.g. {self.vocab[self.vocab.duplicated()][:3].tolist()}")
        if not np.isfinite(self.vectors).all():
            raise ValueError("vectors contain NaN or infinite values")
        self.meta = {"score": "cosine", **self.meta, "package_version": self.meta.get("package_version", __version__)}
        if self.meta["score"] not in SCORES:
            raise ValueError(f"meta['score'] must be one of {SCORES}, got {self.meta['score']!r}")
        if (self.meta["score"] == "dot+bias") != (self.bias is not None):
            raise ValueError("a 'dot+bias' score needs a bias per product, and only it has one")
        if self.bias is not None:
            self.bias = np.array(self.bias, dtype=np.float32).reshape(n)  # own, writable copy
        if self.titles is not None:
            self.titles = np.asarray(self.titles, dtype=object).reshape(n)

    @classmethod
    def from_vectors(cls, vectors: np.ndarray, vocab: Sequence[str] | pd.Index, method: str, *,
                     known: np.ndarray | None = None, bias: np.ndarray | None = None,
                     titles: Sequence[str | None] | pd.Series | None = None, params: dict | None = None,
                     data_fingerprint: str | None = None, score: str | None = None) -> Embeddings:
        """Wrap a trainer's vectors; ``known`` defaults to rows with a non-zero vector, the score to cosine
        (``"dot+bias"`` when a bias is given, unless ``score`` says otherwise)."""
        vectors = np.asarray(vectors, dtype=np.float32)
        known = np.linalg.norm(vectors, axis=1) > 0 if known is None else known
        meta = {"method": method, "score": score or ("cosine" if bias is None else "dot+bias"),
                "params": params or {}, "data_fingerprint": data_fingerprint}
        titles = None if titles is None else np.asarray(titles, dtype=object)
        return cls(vectors, pd.Index(vocab), known, meta, bias, titles)

    @classmethod
    def from_result(cls, result: object, vocab: Sequence[str] | pd.Index, method: str, *,
                    known: np.ndarray | None = None, cold_start: tuple[np.ndarray, np.ndarray] | None = None,
                    titles: Sequence[str | None] | pd.Series | None = None, params: dict | None = None,
                    data_fingerprint: str | None = None) -> Embeddings:
        """What any trainer of the package returned, as Embeddings with that model's own score.

        ``result`` is a ``w2v.W2VResult`` (gensim: cosine, known = in the walks) or a ``train.TrainResult``
        (skip-gram, node2vec, side information: cosine; MF: dot; MF-bias: dot + bias). ``cold_start`` =
        ``(ids, vectors)`` fills products without a trained vector (side information's cold-start vectors);
        they then count as known and ``meta["cold_start"]`` records how many.
        """
        from recsys_tutorial.models import MF, MFBias

        model = getattr(result, "model", None)
        if hasattr(result, "in_vocab"):
            vectors, known = result.vectors, result.in_vocab if known is None else known
            score, bias = "cosine", None
        elif isinstance(model, MFBias):
            vectors, score = result.embeddings, "dot+bias"
            bias = model.bias.weight.detach().cpu().numpy()[:, 0]
        elif isinstance(model, MF):
            vectors, score, bias = result.embeddings, "dot", None
        elif model is not None:
            vectors, score, bias = result.embeddings, "cosine", None
        else:
            raise TypeError(f"cannot read embeddings from a {type(result).__name__}")
        vectors = np.array(vectors, dtype=np.float32)
        known = np.linalg.norm(vectors, axis=1) > 0 if known is None else np.array(known, dtype=bool)
        params = dict(params or {})
        if cold_start is not None:
            ids, cold = cold_start
            vectors[ids], known[ids] = cold, True
            params["cold_start"] = len(ids)
        return cls.from_vectors(vectors, vocab, method, known=known, bias=bias, titles=titles, params=params,
                                data_fingerprint=data_fingerprint, score=score)

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def __len__(self) -> int:
        return len(self.vectors)

    def ids(self, asins: Sequence[str] | str) -> np.ndarray:
        """Row ids of ``asins``; unknown ASINs raise one ``KeyError`` that lists them."""
        asins = [asins] if isinstance(asins, str) else list(asins)
        ids = self.vocab.get_indexer(asins)
        if (ids < 0).any():
            missing = [a for a, i in zip(asins, ids, strict=True) if i < 0]
            raise KeyError(f"{len(missing)} ASIN(s) not in these embeddings ({len(self):,} products), "
                           f"e.g. {missing[:5]}")
        return ids.astype(np.int64)

    # --- files --------------------------------------------------------------------------------------------

    def save(self, directory: str | os.PathLike) -> Path:
        """Write ``vectors.npy``, ``vocab.parquet`` and ``meta.json`` into ``directory``, atomically: a temp
        folder renamed into place, so a killed save never leaves a folder that loads."""
        target = Path(directory)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            np.save(tmp / "vectors.npy", self.vectors, allow_pickle=False)
            table = pd.DataFrame({"asin": self.vocab.astype(str), "known": self.known})
            if self.bias is not None:
                table["bias"] = self.bias
            if self.titles is not None:
                table["title"] = pd.array([None if pd.isna(t) else str(t) for t in self.titles], dtype="string")
            table.to_parquet(tmp / "vocab.parquet", index=False)
            meta = {**self.meta, "num_products": len(self), "dim": self.dim, "files": list(_FILES)}
            (tmp / "meta.json").write_text(json.dumps(meta, indent=1, default=str))
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return target

    @classmethod
    def load(cls, directory: str | os.PathLike) -> Embeddings:
        """Read a folder written by :meth:`save`; a missing, truncated or mismatched file is an
        :class:`EmbeddingsError` naming it. Never unpickles."""
        folder = Path(directory)
        for name in _FILES:
            if not (folder / name).is_file():
                raise EmbeddingsError(f"{folder}: {name} is missing (not a folder written by Embeddings.save?)")
        try:
            meta = json.loads((folder / "meta.json").read_text())
        except (OSError, ValueError) as exc:
            raise EmbeddingsError(f"{folder / 'meta.json'}: not readable JSON ({exc})") from exc
        try:
            vectors = np.load(folder / "vectors.npy", allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:
            raise EmbeddingsError(f"{folder / 'vectors.npy'}: unreadable or truncated ({exc})") from exc
        try:
            table = pd.read_parquet(folder / "vocab.parquet")
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise EmbeddingsError(f"{folder / 'vocab.parquet'}: unreadable or truncated ({exc})") from exc
        expected = (meta.get("num_products"), meta.get("dim"))
        if vectors.ndim != 2 or vectors.shape != expected or len(table) != expected[0]:
            raise EmbeddingsError(f"{folder}: meta.json says {expected[0]} × {expected[1]}, but vectors.npy is "
                                  f"{vectors.shape} and vocab.parquet has {len(table)} rows")
        for key in ("num_products", "dim", "files"):
            meta.pop(key, None)
        bias = table["bias"].to_numpy() if "bias" in table else None
        titles = (np.array([None if pd.isna(t) else t for t in table["title"]], dtype=object)
                  if "title" in table else None)
        try:
            return cls(vectors, pd.Index(table["asin"]), table["known"].to_numpy(), meta, bias, titles)
        except ValueError as exc:
            raise EmbeddingsError(f"{folder}: {exc}") from exc

    def to_word2vec_format(self, path: str | os.PathLike) -> Path:
        """The word2vec text format (``n d`` header, then ``ASIN v1 … vd``) of the known products, which
        gensim's ``KeyedVectors.load_word2vec_format`` and most vector tools read. Written atomically."""
        target = Path(path)
        rows = np.flatnonzero(self.known)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(f"{len(rows)} {self.dim}\n")
                for i in rows:
                    out.write(f"{self.vocab[i]} " + " ".join(repr(float(v)) for v in self.vectors[i]) + "\n")
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target


# --- top-k ----------------------------------------------------------------------------------------------------


def _scoring_matrices(emb: Embeddings) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Rows to multiply (unit vectors for cosine) and the per-candidate bias added to every score."""
    vectors = torch.from_numpy(emb.vectors)
    if emb.meta["score"] == "cosine":
        norms = vectors.norm(dim=1, keepdim=True)
        return torch.where(norms > 0, vectors / norms.clamp_min(1e-30), 0.0), None
    return vectors, None if emb.bias is None else torch.from_numpy(emb.bias)


def _padded(rows: torch.Tensor, size: int) -> torch.Tensor:
    """``rows`` with zero rows appended up to ``size`` (unchanged if it has that many)."""
    if len(rows) >= size:
        return rows
    return torch.cat([rows, rows.new_zeros((size - len(rows), *rows.shape[1:]))])


def _product(a: torch.Tensor, b: torch.Tensor, a_bias: torch.Tensor | None, b_bias: torch.Tensor | None,
             out: torch.Tensor | None = None) -> torch.Tensor:
    """Scores of rows ``a`` against rows ``b``: ``a @ b.T`` (+ both biases), the one formula every ranking uses.

    Both sides are padded to ≥ ``_MIN_ROWS`` rows: BLAS sums products of very few rows in another order, which
    can change a score's last bit; padded, a pair scores the same in every block and in either order.
    """
    m, n = len(a), len(b)
    a, b = _padded(a, _MIN_ROWS), _padded(b, _MIN_ROWS)
    out = out if out is not None and out.shape == (len(a), len(b)) else None
    scores = torch.mm(a, b.T, out=out)
    if a_bias is not None:
        scores += _padded(b_bias, len(b)) + _padded(a_bias, len(a))[:, None]
    return scores[:m, :n]


def _score_block(matrix: torch.Tensor, bias: torch.Tensor | None, q: torch.Tensor) -> torch.Tensor:
    """Scores of queries ``q`` against every product (float32), the one formula every ranking uses."""
    return _product(matrix[q], matrix, None if bias is None else bias[q], bias)


def score_rows(emb: Embeddings, queries: np.ndarray) -> np.ndarray:
    """Each query's score against every product as float64 rows; products without a vector score -inf.
    A ``scorer`` for ``evaluate.ranking_metrics`` that ranks exactly as :func:`top_k` does."""
    matrix, bias = _scoring_matrices(emb)
    rows = _score_block(matrix, bias, torch.as_tensor(np.asarray(queries, dtype=np.int64))).numpy()
    rows = rows.astype(np.float64)
    rows[:, ~emb.known] = -np.inf
    rows[~emb.known[np.asarray(queries)]] = -np.inf
    return rows


def best_k(scores: torch.Tensor | np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column ids and values of each row's k largest scores, best first; equal scores go to the lower id.

    ``torch.topk`` (multi-threaded, O(n) per row) with a margin, then an exact (-score, id) order; a row whose
    ties straddle the margin is sorted in full, so the result never depends on topk's order among ties.
    """
    scores = torch.as_tensor(scores)
    n = scores.shape[1]
    k = min(k, n)
    if k == 0 or len(scores) == 0:
        return np.empty((len(scores), k), np.int64), np.empty((len(scores), k), scores.numpy().dtype)
    margin = min(n, k + 8)
    values, ids = torch.topk(scores, margin, dim=1)
    values, ids = values.numpy(), ids.numpy()
    unsure = (values[:, k - 1] == values[:, -1]) & np.isfinite(values[:, k - 1]) & (margin < n)
    for r in np.flatnonzero(unsure):  # ties reach past the margin: rare for vectors, common for graph counts
        row = scores[r].numpy()
        tie = values[r, k - 1]
        above = np.flatnonzero(row > tie)  # fewer than k; then the lowest ids among the tied
        pick = np.concatenate([above, np.flatnonzero(row == tie)[:margin - len(above)]])
        if len(pick) < margin:  # NaN scores (topk ranks them first, comparisons skip them): sort in full
            pick = np.lexsort((np.arange(n), -row))[:margin]
        ids[r], values[r] = pick, row[pick]  # O(n) per row (a full sort of 434 K took ~50 ms); ordered below
    order = np.lexsort((ids, -values), axis=1)[:, :k]
    return np.take_along_axis(ids, order, 1), np.take_along_axis(values, order, 1)


@numba.njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _is_excluded(ex_ptr, ex_ids, q, c):
    """Whether candidate ``c`` is in query row ``q``'s sorted exclusion list (binary search)."""
    lo, hi = ex_ptr[q], ex_ptr[q + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        if ex_ids[mid] == c:
            return True
        if ex_ids[mid] < c:
            lo = mid + 1
        else:
            hi = mid
    return False


@numba.njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _offer(vals, ids, q, v, c, self_ids, ex_ptr, ex_ids):
    """Insert candidate ``c`` scoring ``v`` into query row ``q``'s top-k (best first, equal scores to the lower
    id) if it beats the k-th and is neither the query itself nor excluded."""
    k = vals.shape[1]
    worst = vals[q, k - 1]
    if not (v > worst or (v == worst and c < ids[q, k - 1])):
        return
    if c == self_ids[q] or _is_excluded(ex_ptr, ex_ids, q, c):
        return
    p = k - 1
    while p > 0 and (vals[q, p - 1] < v or (vals[q, p - 1] == v and ids[q, p - 1] > c)):
        vals[q, p] = vals[q, p - 1]
        ids[q, p] = ids[q, p - 1]
        p -= 1
    vals[q, p] = v
    ids[q, p] = c


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _fold_tile(tile, row_q0, col_c0, transposed_too, vals, ids, self_ids, ex_ptr, ex_ids):
    """Offer tile row i (query row ``row_q0 + i``) its columns (candidates ``col_c0 + j``) and, if
    ``transposed_too``, tile column j (query row ``col_c0 + j``) its rows (candidates ``row_q0 + i``).

    Threshold test first: per block of ``_GROUP`` rows × ``_SLICE`` columns, one vectorised pass takes each
    column's largest score and largest margin over its row's k-th best; only columns where one reaches the
    k-th best (rare once the top-k fill up) are read again, from the cache, and offered.
    """
    n_rows, n_cols = tile.shape
    k = vals.shape[1]
    row_kth = vals[row_q0:row_q0 + n_rows, k - 1].copy()
    col_kth = np.full(n_cols, np.inf, np.float32)  # +inf: no column query
    if transposed_too:
        col_kth[:] = vals[col_c0:col_c0 + n_cols, k - 1]
    top = np.empty(_SLICE, np.float32)
    lead = np.empty(_SLICE, np.float32)
    for g0 in range(0, n_rows, _GROUP):
        g1 = min(g0 + _GROUP, n_rows)
        for c0 in range(0, n_cols, _SLICE):
            width = min(_SLICE, n_cols - c0)
            top[:width] = -np.inf
            lead[:width] = -np.inf
            for r in range(g0, g1):
                row, kth = tile[r, c0:c0 + width], row_kth[r]
                for j in range(width):  # vectorised: no branches
                    top[j] = max(top[j], row[j])
                    lead[j] = max(lead[j], row[j] - kth)
            for j in range(width):
                c = c0 + j
                if lead[j] >= 0:
                    for r in range(g0, g1):
                        if tile[r, c] >= row_kth[r]:
                            _offer(vals, ids, row_q0 + r, tile[r, c], col_c0 + c, self_ids, ex_ptr, ex_ids)
                            row_kth[r] = vals[row_q0 + r, k - 1]
                if top[j] >= col_kth[c]:
                    for r in range(g0, g1):
                        if tile[r, c] >= col_kth[c]:
                            _offer(vals, ids, col_c0 + c, tile[r, c], row_q0 + r, self_ids, ex_ptr, ex_ids)
                            col_kth[c] = vals[col_c0 + c, k - 1]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _absorb(vals, ids, other_vals, other_ids, self_ids, ex_ptr, ex_ids):
    """Merge another top-k of the same query rows (over other candidates) into ``vals``/``ids``."""
    for q in range(len(vals)):
        for p in range(other_vals.shape[1]):
            if other_ids[q, p] >= 0:
                _offer(vals, ids, q, other_vals[q, p], other_ids[q, p], self_ids, ex_ptr, ex_ids)


@dataclass
class _Search:
    """Running top-k of each query row (``vals``/``ids``, best first; ids are candidate rows) and what it may not
    return: ``self_ids[q]`` (the query itself as a candidate, -1 if none) and the sorted ``ex_ids[ex_ptr[q]:…]``.
    """

    vals: np.ndarray
    ids: np.ndarray
    self_ids: np.ndarray
    ex_ptr: np.ndarray
    ex_ids: np.ndarray

    @classmethod
    def start(cls, k: int, self_ids: np.ndarray, excluded: tuple[np.ndarray, np.ndarray]) -> _Search:
        rows = len(self_ids)
        return cls(np.full((rows, k), -np.inf, np.float32), np.full((rows, k), -1, np.int64), self_ids, *excluded)

    def fresh(self) -> _Search:
        """An empty search over the same queries, for another thread to fill."""
        return _Search.start(self.vals.shape[1], self.self_ids, (self.ex_ptr, self.ex_ids))

    def fold(self, tile: torch.Tensor, row_q0: int, col_c0: int, transposed_too: bool) -> None:
        _fold_tile(tile.numpy(), row_q0, col_c0, transposed_too, self.vals, self.ids, self.self_ids, self.ex_ptr,
                   self.ex_ids)

    def absorb(self, other: _Search) -> None:
        _absorb(self.vals, self.ids, other.vals, other.ids, self.self_ids, self.ex_ptr, self.ex_ids)


def _exclusions(exclude: Sequence[np.ndarray] | None, rows: np.ndarray, compact: np.ndarray,
                n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR (``ptr``, sorted candidate rows) of the products that query i (search row ``rows[i]``) may not return;
    ``compact`` maps product ids to candidate rows (-1: no candidate, nothing to exclude)."""
    ptr = np.zeros(n_rows + 1, np.int64)
    if exclude is None or not len(rows):
        return ptr, np.empty(0, np.int64)
    lists = [np.asarray(ids, dtype=np.int64).ravel() for ids in exclude]
    excluded = compact[np.concatenate(lists)]
    owner = np.repeat(rows, [len(ids) for ids in lists])
    owner, excluded = owner[excluded >= 0], excluded[excluded >= 0]
    np.cumsum(np.bincount(owner, minlength=n_rows), out=ptr[1:])
    return ptr, excluded[np.lexsort((excluded, owner))]


#: One tile job: (first query row, first candidate row) → the tile's scores, computed into a reusable buffer.
_Scorer = Callable[[int, int, torch.Tensor], torch.Tensor]


def _thread_count() -> int:
    """Threads for :func:`top_k`: as many as torch may use."""
    return max(1, torch.get_num_threads())


def _fold_tiles(search: _Search, jobs: list[tuple[int, int]], scorer: _Scorer, shape: tuple[int, int],
                symmetric: bool) -> None:
    """Score and fold every tile job on ``_thread_count()`` threads, each a single-threaded matrix
    product and kernel into its own top-k (no locks, no barriers: a core busy elsewhere delays only its share);
    the top-ks are merged at the end. ``symmetric``: tile (i0, j0 > i0) also serves query rows j0…"""
    before, threads = torch.get_num_threads(), min(_thread_count(), len(jobs))
    searches = [search] + [search.fresh() for _ in range(threads - 1)]
    counter = itertools.count()

    def work(mine: _Search) -> None:
        torch.set_num_threads(1)
        buffer = torch.empty(max(shape[0], _MIN_ROWS), max(shape[1], _MIN_ROWS))
        while (job := next(counter)) < len(jobs):
            i0, j0 = jobs[job]
            mine.fold(scorer(i0, j0, buffer), i0, j0, symmetric and j0 != i0)

    try:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(work, searches))
    finally:
        torch.set_num_threads(before)
    for other in searches[1:]:
        search.absorb(other)


def _block_scorer(rows: torch.Tensor, row_bias: torch.Tensor | None, cols: torch.Tensor,
                  col_bias: torch.Tensor | None, shape: tuple[int, int]) -> _Scorer:
    """Scores of ``rows[i0:i0 + shape[0]]`` against ``cols[j0:j0 + shape[1]]``."""
    height, width = shape

    def scorer(i0: int, j0: int, buffer: torch.Tensor) -> torch.Tensor:
        here, there = slice(i0, i0 + height), slice(j0, j0 + width)
        return _product(rows[here], cols[there], _part(row_bias, here), _part(col_bias, there), buffer)

    return scorer


def _part(bias: torch.Tensor | None, index: np.ndarray | slice) -> torch.Tensor | None:
    """``bias[index]``, or None without a bias."""
    return None if bias is None else bias[index]


def _search_pairs(matrix: torch.Tensor, bias: torch.Tensor | None, search: _Search, size: int) -> None:
    """Top-k of every row of ``matrix`` among its other rows, each tile of scores computed once for both orders.

    The scores are symmetric, so tile (I, J), J ≥ I, also serves rows J through its transpose: half the matrix
    products of scoring each query against each candidate.
    """
    n = len(matrix)
    jobs = [(i0, j0) for i0 in range(0, n, size) for j0 in range(i0, n, size)]
    _fold_tiles(search, jobs, _block_scorer(matrix, bias, matrix, bias, (size, size)), (size, size), True)


def _search_rows(queries: torch.Tensor, q_bias: torch.Tensor | None, matrix: torch.Tensor,
                 bias: torch.Tensor | None, search: _Search, shape: tuple[int, int]) -> None:
    """Top-k of each query row among the rows of ``matrix``, in tiles of ``shape`` = (queries, candidates)."""
    jobs = [(i0, j0) for i0 in range(0, len(queries), shape[0]) for j0 in range(0, len(matrix), shape[1])]
    _fold_tiles(search, jobs, _block_scorer(queries, q_bias, matrix, bias, shape), shape, False)


def _is_all_pairs(queries: np.ndarray, candidates: np.ndarray) -> bool:
    """Whether the queries are exactly the candidates (in any order): then each score tile serves both."""
    return len(queries) == len(candidates) and np.array_equal(np.sort(queries), candidates)


def _tile_shape(n_queries: int, n_candidates: int, batch_size: int | None, square: bool) -> tuple[int, int]:
    """(queries, candidates) per score tile: ``batch_size`` (default ``_TILE``) queries, square tiles for the
    symmetric search, else wide enough for ``_TILE²`` scores; all threads' tiles within ``BLOCK_ELEMENTS``."""
    per_thread = BLOCK_ELEMENTS // _thread_count()
    height = max(1, min(batch_size or _TILE, n_queries, math.isqrt(per_thread) if square else per_thread))
    if square:
        return height, height
    width = batch_size or max(_TILE, _TILE * _TILE // max(height, _MIN_ROWS))
    return height, max(1, min(width, n_candidates, per_thread // max(height, _MIN_ROWS)))


def top_k(emb: Embeddings, queries: np.ndarray, k: int = 10, candidates: np.ndarray | None = None,
          exclude: Sequence[np.ndarray] | None = None, batch_size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, scores)`` of shape ``(len(queries), k)``: each query's k best products by the embeddings' score.

    Never returns the query itself, a product without a vector, a product where ``candidates`` is False, or
    the ids in ``exclude[i]`` for query i (e.g. its known co-purchases). Where fewer than k remain, ids are -1
    and scores -inf. Exact; ties go to the lower id. Works in tiles of ``batch_size`` (default ``_TILE``) queries
    × candidates; when the queries are the candidates, each tile serves both (half the work).
    """
    queries = np.asarray(queries, dtype=np.int64)
    n = len(emb)
    if k < 1:
        raise ValueError(f"k must be ≥ 1, got {k}")
    if len(queries) and (queries.min() < 0 or queries.max() >= n):
        raise ValueError(f"query ids must lie in [0, {n})")
    allowed = emb.known if candidates is None else emb.known & np.asarray(candidates, dtype=bool)
    pool = np.flatnonzero(allowed)
    out_ids = np.full((len(queries), k), -1, dtype=np.int64)
    out_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    if not len(queries) or not len(pool):
        return out_ids, out_scores
    rows, search = _search(emb, queries, min(k, len(pool)), pool, exclude, batch_size)
    out_ids[:, :search.ids.shape[1]] = np.where(search.ids[rows] >= 0, pool[search.ids[rows]], -1)
    out_scores[:, :search.vals.shape[1]] = search.vals[rows]
    return out_ids, out_scores


def _search(emb: Embeddings, queries: np.ndarray, k: int, pool: np.ndarray, exclude: Sequence[np.ndarray] | None,
            batch_size: int | None) -> tuple[np.ndarray, _Search]:
    """The finished search of :func:`top_k` over candidates ``pool`` and the search row of each query."""
    n = len(emb)
    compact = np.full(n, -1, np.int64)
    compact[pool] = np.arange(len(pool))
    full, full_bias = _scoring_matrices(emb)
    matrix, bias = (full, full_bias) if len(pool) == n else (full[pool], _part(full_bias, pool))
    if _is_all_pairs(queries, pool):
        rows = compact[queries]
        search = _Search.start(k, np.arange(len(pool)), _exclusions(exclude, rows, compact, len(pool)))
        size = _tile_shape(len(pool), len(pool), batch_size, square=True)[0]
        _search_pairs(matrix, bias, search, size)
    else:
        rows = np.arange(len(queries))
        search = _Search.start(k, compact[queries], _exclusions(exclude, rows, compact, len(queries)))
        shape = _tile_shape(len(queries), len(pool), batch_size, square=False)
        _search_rows(full[queries], _part(full_bias, queries), matrix, bias, search, shape)
    return rows, search


def _tidy(emb: Embeddings, queries: np.ndarray, ids: np.ndarray, scores: np.ndarray,
          titles: bool = True) -> pd.DataFrame:
    """Long table: one row per (query, rank) that found a product."""
    rows, ranks = np.nonzero(ids >= 0)
    frame = pd.DataFrame({
        "query": emb.vocab.to_numpy()[queries[rows]],
        "rank": (ranks + 1).astype(np.int32),
        "asin": emb.vocab.to_numpy()[ids[rows, ranks]],
        "score": scores[rows, ranks].astype(np.float32),
    })
    if titles and emb.titles is not None:
        frame["title"] = pd.array(emb.titles[ids[rows, ranks]], dtype="string")  # missing: <NA>
    return frame


def similar(emb: Embeddings, asins: Sequence[str] | str, k: int = 10) -> pd.DataFrame:
    """The k products most similar to each of ``asins``: columns query, rank, asin, score (and title where the
    embeddings carry titles). Unknown ASINs raise a ``KeyError`` listing them; queries without a vector are
    listed in ``frame.attrs["no_vector"]`` and logged, not silently dropped."""
    ids = emb.ids(asins)
    has = emb.known[ids]
    if not has.all():
        missing = emb.vocab[ids[~has]].tolist()
        logger.warning("%d of %d queries have no vector and get no recommendations: %s", len(missing), len(ids),
                       missing[:10])
    found_ids, scores = top_k(emb, ids[has], k)
    frame = _tidy(emb, ids[has], found_ids, scores)
    frame.attrs["no_vector"] = emb.vocab[ids[~has]].tolist()
    return frame


def recommend_all(emb: Embeddings, k: int = 10, batch_size: int | None = None, index: str = "exact",
                  recall_sample: int = 1000, seed: int = 0) -> pd.DataFrame:
    """The top-k for every product with a vector: columns query, rank, asin, score.

    ``index="exact"`` scores every pair in batches of bounded memory (:func:`top_k`); ``index="hnsw"`` builds
    faiss' HNSW graph (cosine scores only) and logs, and stores in ``frame.attrs["recall@k"]``, its recall@k
    against exact search on ``recall_sample`` seeded queries.
    """
    queries = np.flatnonzero(emb.known)
    if index == "exact":
        ids, scores = top_k(emb, queries, k, batch_size=batch_size)
        return _tidy(emb, queries, ids, scores, titles=False)
    if index != "hnsw":
        raise ValueError(f"index must be 'exact' or 'hnsw', got {index!r}")
    ids, scores = _hnsw_top_k(emb, queries, k)
    frame = _tidy(emb, queries, ids, scores, titles=False)
    sample = np.random.default_rng(seed).choice(len(queries), size=min(recall_sample, len(queries)), replace=False)
    exact, _ = top_k(emb, queries[sample], k)
    frame.attrs["recall@k"] = recall_against(ids[sample], exact)
    logger.info("HNSW recall@%d against exact search on %d queries: %.4f", k, len(sample), frame.attrs["recall@k"])
    return frame


def recall_against(approx: np.ndarray, exact: np.ndarray) -> float:
    """Share of the exact top-k ids (ignoring -1) that the approximate rows found."""
    hits = total = 0
    for a, e in zip(approx, exact, strict=True):
        e = e[e >= 0]
        hits += np.isin(e, a).sum()
        total += len(e)
    return float(hits / total) if total else float("nan")


def _hnsw_top_k(emb: Embeddings, queries: np.ndarray, k: int, m: int = 32, ef_construction: int = 200,
                ef_search: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Approximate top-k by inner product of unit vectors in a faiss HNSW index over the known products."""
    if emb.meta["score"] != "cosine":
        raise ValueError("index='hnsw' supports cosine embeddings; use index='exact' for 'dot+bias'")
    try:
        import faiss
    except ImportError as exc:
        raise ImportError("index='hnsw' needs faiss: pip install 'recsys-tutorial[ann]' (faiss-cpu)") from exc
    matrix = _scoring_matrices(emb)[0].numpy()
    rows = np.flatnonzero(emb.known)
    index = faiss.IndexHNSWFlat(emb.dim, m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_construction
    index.add(np.ascontiguousarray(matrix[rows]))
    index.hnsw.efSearch = max(ef_search, k + 1)
    scores, found = index.search(np.ascontiguousarray(matrix[queries]), k + 1)
    found = np.where(found >= 0, rows[found.clip(0)], -1)
    self_hit = found == queries[:, None]
    keep = np.argsort(self_hit, axis=1, kind="stable")[:, :k]  # drop the query itself, keep the order
    found, scores = np.take_along_axis(found, keep, 1), np.take_along_axis(scores, keep, 1)
    return found, np.where(found >= 0, scores, -np.inf).astype(np.float32)
