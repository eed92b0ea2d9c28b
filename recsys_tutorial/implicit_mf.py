"""The factorizations a practitioner tries first: ALS and BPR from the ``implicit`` library, item to item.

There are no users in a product graph, so each product's training co-purchases play a user's basket: the
product × product matrix (symmetric, edge weights) is factorized and the **item** factors are the products'
vectors, scored by cosine like every other embedding in the book (the user factors of the same product are a
second view of it; item factors are what a product is when it is recommended). A seed gives the same
vectors: ALS at any thread count (its rows are solved independently), BPR on one thread (its parallel SGD
is lock-free, so threads would race). ``implicit`` (ALS: Hu, Koren & Volinsky 2008; BPR: Rendle et al. 2009) is a
dependency made for this.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from threadpoolctl import threadpool_limits

__all__ = ["FactorizationResult", "co_purchase_matrix", "train_als", "train_bpr"]


@dataclass
class FactorizationResult:
    """``vectors[i]`` is product i's item factor vector (zero for a product without training edges)."""

    vectors: np.ndarray
    seconds: float
    params: dict = field(default_factory=dict)


def co_purchase_matrix(train: pd.DataFrame, num_nodes: int, weighted: bool = True) -> sparse.csr_matrix:
    """The symmetric product × product matrix of training edges (their weights, or 1), float32 CSR."""
    src, dst = train["src"].to_numpy(np.int64), train["dst"].to_numpy(np.int64)
    values = train["weight"].to_numpy(np.float32) if weighted and "weight" in train else np.ones(len(src), np.float32)
    rows, cols = np.concatenate([src, dst]), np.concatenate([dst, src])
    matrix = sparse.csr_matrix((np.concatenate([values, values]), (rows, cols)), shape=(num_nodes, num_nodes))
    matrix.sum_duplicates()
    return matrix


def _item_vectors(model: object, num_nodes: int, drop_bias: bool) -> np.ndarray:
    """Item factors as float32 numpy (BPR keeps its item bias in the last column: not part of the vector)."""
    factors = model.item_factors
    factors = factors.to_numpy() if hasattr(factors, "to_numpy") else np.asarray(factors)
    factors = factors[:, :-1] if drop_bias else factors
    return np.ascontiguousarray(factors[:num_nodes], dtype=np.float32)


def _fit(model: object, matrix: sparse.csr_matrix, known: np.ndarray, drop_bias: bool) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    model.fit(matrix, show_progress=False)
    vectors = _item_vectors(model, matrix.shape[0], drop_bias)
    vectors[~known] = 0.0  # products without training edges have no evidence: no vector, like every method
    return vectors, time.perf_counter() - start


def _quiet_import(module: str) -> object:
    """Import an ``implicit`` module without tqdm.auto's "IProgress not found" warning in notebooks."""
    import importlib
    import warnings

    from tqdm import TqdmWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TqdmWarning)
        return importlib.import_module(module)


def train_als(train: pd.DataFrame, num_nodes: int, factors: int = 64, regularization: float = 0.01,
              iterations: int = 15, alpha: float = 1.0, seed: int = 0, threads: int = 0) -> FactorizationResult:
    """implicit's AlternatingLeastSquares on the co-purchase matrix (confidence 1 + alpha · weight).

    ``threads`` (0: every core) does not change the vectors: each half-step solves every row on its own
    from the other side's fixed factors.
    """
    AlternatingLeastSquares = _quiet_import("implicit.als").AlternatingLeastSquares

    matrix = co_purchase_matrix(train, num_nodes)
    known = np.diff(matrix.indptr) > 0
    with threadpool_limits(limits=1, user_api="blas"):  # implicit's own threads; BLAS threads would fight them
        model = AlternatingLeastSquares(factors=factors, regularization=regularization, alpha=alpha,
                                        iterations=iterations, random_state=seed, num_threads=threads)
        vectors, seconds = _fit(model, matrix, known, drop_bias=False)
    return FactorizationResult(vectors, seconds, {"factors": factors, "regularization": regularization,
                                                  "iterations": iterations, "alpha": alpha, "seed": seed})


def train_bpr(train: pd.DataFrame, num_nodes: int, factors: int = 128, learning_rate: float = 0.01,
              regularization: float = 0.01, iterations: int = 100, seed: int = 0) -> FactorizationResult:
    """implicit's BayesianPersonalizedRanking on the co-purchase matrix (a co-purchase outranks a random
    product for the same basket)."""
    BayesianPersonalizedRanking = _quiet_import("implicit.bpr").BayesianPersonalizedRanking

    matrix = co_purchase_matrix(train, num_nodes, weighted=False)
    known = np.diff(matrix.indptr) > 0
    with threadpool_limits(limits=1, user_api="blas"):
        model = BayesianPersonalizedRanking(factors=factors, learning_rate=learning_rate,
                                            regularization=regularization, iterations=iterations, random_state=seed,
                                            num_threads=1)
        vectors, seconds = _fit(model, matrix, known, drop_bias=True)
    return FactorizationResult(vectors, seconds, {"factors": factors, "learning_rate": learning_rate,
                                                  "regularization": regularization, "iterations": iterations,
                                                  "seed": seed})
