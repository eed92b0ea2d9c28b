"""word2vec with gensim on walks: every parameter explicit, vectors aligned with the graph vocabulary.

gensim's own defaults are traps here (CBOW, min_count 5, 100 dimensions): we pass every setting, and
``ORIGINAL`` reproduces what the original actually ran (CBOW, 5 epochs, 8 workers). Walks are written
to a text file and trained with ``corpus_file``, gensim's fast path past the queue-based plateau.
Exact reproducibility needs ``workers=1`` and a fixed ``PYTHONHASHSEED`` (gensim's own documentation).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["ORIGINAL", "W2VResult", "train_word2vec", "write_corpus"]

logger = logging.getLogger(__name__)

#: The original project's gensim settings (gensim 3.8 defaults it did not override): CBOW, 5 epochs.
ORIGINAL = {"sg": 0, "vector_size": 128, "window": 5, "negative": 5, "sample": 1e-3, "epochs": 5}


@dataclass
class W2VResult:
    """``vectors[i]`` is node i's vector; ``in_vocab[i]`` says whether node i was in the walks."""

    vectors: np.ndarray
    in_vocab: np.ndarray
    seconds: float
    tokens: int

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds


def write_corpus(walks: np.ndarray, path: str | os.PathLike) -> int:
    """Walks as gensim's LineSentence text (space-separated node ids, one walk per line); returns tokens."""
    walks = np.asarray(walks)
    tokens = 0
    with open(path, "w") as fh:
        for lo in range(0, len(walks), 65536):
            block = walks[lo:lo + 65536]
            lines = [" ".join(map(str, row[row >= 0].tolist())) for row in block]
            tokens += int((block >= 0).sum())
            fh.write("\n".join(lines))
            fh.write("\n")
    return tokens


@contextlib.contextmanager
def _temporary_folder() -> Iterator[Path]:
    """A temp folder that is removed however the block ends — also when SIGTERM (which the command line turns into
    SystemExit) arrives while it is being created: the signal waits until the folder is known."""
    mask = getattr(signal, "pthread_sigmask", None)
    path = None
    try:
        old = mask(signal.SIG_BLOCK, {signal.SIGTERM}) if mask else None
        try:
            path = tempfile.mkdtemp()
        finally:
            if mask:
                mask(signal.SIG_SETMASK, old)
        yield Path(path)
    finally:
        if path is not None:
            shutil.rmtree(path, ignore_errors=True)


def train_word2vec(walks: np.ndarray, num_nodes: int, sg: int = 1, vector_size: int = 128, window: int = 5,
                   negative: int = 5, sample: float = 1e-3, epochs: int = 1, workers: int = 2, seed: int = 0,
                   alpha: float = 0.025, min_alpha: float = 0.0001) -> W2VResult:
    """Train gensim Word2Vec on walks (min_count 1: every walked node gets a vector)."""
    from gensim.models import Word2Vec

    with _temporary_folder() as tmp:
        corpus = tmp / "walks.txt"
        tokens = write_corpus(walks, corpus)
        start = time.perf_counter()
        model = Word2Vec(corpus_file=str(corpus), sg=sg, vector_size=vector_size, window=window, negative=negative,
                         sample=sample, epochs=epochs, workers=workers, seed=seed, min_count=1, hs=0,
                         alpha=alpha, min_alpha=min_alpha)
        seconds = time.perf_counter() - start
    vectors = np.zeros((num_nodes, vector_size), dtype=np.float32)
    in_vocab = np.zeros(num_nodes, dtype=bool)
    keys = np.array([int(k) for k in model.wv.index_to_key], dtype=np.int64)
    vectors[keys] = model.wv.vectors
    in_vocab[keys] = True
    logger.info("word2vec (sg=%d) on %s tokens in %.1f s", sg, f"{tokens:,}", seconds)
    return W2VResult(vectors, in_vocab, seconds, tokens * epochs)
