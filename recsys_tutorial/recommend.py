"""Recommend: trained item vectors as a product you can ship — saved, loaded, queried, and top-k for everyone.

An :class:`Embeddings` holds one float32 vector per product (ASIN), which products have a trained vector
(``known``), an optional per-product bias and titles, and ``meta`` (method, how pairs are scored, parameters,
data fingerprint, package version). Each method keeps the score it was trained and evaluated with:
``"cosine"`` (gensim word2vec, PyTorch skip-gram, node2vec, side information), ``"dot"`` (MF: its logit) and
``"dot+bias"`` (MF-bias: dot product plus both products' biases). Top-k search (:func:`top_k`) is exact, in
query batches of bounded memory, on PyTorch's multi-threaded matrix product; ``index="hnsw"`` uses faiss' HNSW
graph for catalogues where exact search is too slow, and reports its recall against exact on a sample.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from recsys_tutorial import __version__

__all__ = ["SCORES", "Embeddings", "EmbeddingsError", "best_k", "recall_against", "recommend_all", "score_rows",
           "similar", "top_k"]

logger = logging.getLogger(__name__)

SCORES = ("cosine", "dot", "dot+bias")
_FILES = ("vectors.npy", "vocab.parquet", "meta.json")
#: Scores held per query batch in :func:`top_k` (float32): bounds its memory to ~256 MB above the vectors.
BLOCK_ELEMENTS = 1 << 26


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


def _score_block(matrix: torch.Tensor, bias: torch.Tensor | None, q: torch.Tensor) -> torch.Tensor:
    """Scores of queries ``q`` against every product (float32), the one formula every ranking uses."""
    scores = matrix[q] @ matrix.T
    if bias is not None:
        scores += bias + bias[q, None]
    return scores


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
    for r in np.flatnonzero(unsure):  # rare: ties reach past the margin
        row = scores[r].numpy()
        full = np.lexsort((np.arange(n), -row))[:margin]
        ids[r], values[r] = full, row[full]
    order = np.lexsort((ids, -values), axis=1)[:, :k]
    return np.take_along_axis(ids, order, 1), np.take_along_axis(values, order, 1)


def top_k(emb: Embeddings, queries: np.ndarray, k: int = 10, candidates: np.ndarray | None = None,
          exclude: Sequence[np.ndarray] | None = None, batch_size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, scores)`` of shape ``(len(queries), k)``: each query's k best products by the embeddings' score.

    Never returns the query itself, a product without a vector, a product where ``candidates`` is False, or
    the ids in ``exclude[i]`` for query i (e.g. its known co-purchases). Where fewer than k remain, ids are -1
    and scores -inf. Exact; ties go to the lower id. Query batches hold ≤ ``BLOCK_ELEMENTS`` scores at once.
    """
    queries = np.asarray(queries, dtype=np.int64)
    n = len(emb)
    if k < 1:
        raise ValueError(f"k must be ≥ 1, got {k}")
    if len(queries) and (queries.min() < 0 or queries.max() >= n):
        raise ValueError(f"query ids must lie in [0, {n})")
    matrix, bias = _scoring_matrices(emb)
    allowed = emb.known if candidates is None else emb.known & np.asarray(candidates, dtype=bool)
    blocked = torch.from_numpy(~allowed)
    batch = batch_size or max(1, BLOCK_ELEMENTS // max(n, 1))
    kk = min(k, n)
    out_ids = np.full((len(queries), k), -1, dtype=np.int64)
    out_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    for lo in range(0, len(queries), batch):
        q = torch.from_numpy(queries[lo:lo + batch])
        scores = _score_block(matrix, bias, q)
        scores[:, blocked] = -torch.inf
        scores[torch.arange(len(q)), q] = -torch.inf
        if exclude is not None:
            for r, ids in enumerate(exclude[lo:lo + batch]):
                scores[r, torch.as_tensor(np.asarray(ids, dtype=np.int64))] = -torch.inf
        ids, values = best_k(scores, kk)
        found = np.isfinite(values)
        out_ids[lo:lo + len(q), :kk] = np.where(found, ids, -1)
        out_scores[lo:lo + len(q), :kk] = values
    return out_ids, out_scores


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
