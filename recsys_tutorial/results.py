"""Results: every chapter records its metrics and timings here; the results page collects them.

Records are small JSON files in one folder (``$RECSYS_TUTORIAL_RESULTS``, set by the book build), so
the results page renders numbers from the run that built the book and nothing is retyped.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

__all__ = ["ORIGINAL_RESULTS", "collect", "record", "results_dir", "timed"]

#: The original project's published ROC-AUC and runtimes (README tables and final notebooks;
#: shared/docs/original-work.md §6). Kept as data so the results page can show them beside ours.
ORIGINAL_RESULTS = pd.DataFrame(
    [
        ("Electronics", "MF, edges, binary", 0.8083, None, 43.1),
        ("Electronics", "MF-bias, edges, binary", 0.7951, None, 44.9),
        ("Electronics", "MF, edges, continuous", 0.9335, None, 44.27),
        ("Electronics", "MF-bias, edges, continuous", 0.8319, None, 43.7),
        ("Electronics", "Node2Vec", None, None, None),
        ("Electronics", "gensim word2vec (CBOW)", 0.9082, 0.9735, 2.58),
        ("Electronics", "PyTorch skip-gram", 0.9554, 0.9855, 23.63),
        ("Electronics", "PyTorch skip-gram + side info", None, None, 107.66),
        ("Electronics", "MF, sequences", 0.9127, None, 68.5),
        ("Electronics", "MF-bias, sequences", 0.9320, None, 70.39),
        ("Books", "MF-bias, edges, binary", 0.4996, None, 1353.12),
        ("Books", "gensim word2vec (CBOW)", 0.9701, 0.9892, 16.24),
        ("Books", "PyTorch skip-gram", 0.9775, None, 122.66),
        ("Books", "MF-bias, sequences", 0.7196, None, 1393.08),
    ],
    columns=["dataset", "method", "auc_all", "auc_seen", "runtime_min"],
)


def results_dir() -> Path:
    """``$RECSYS_TUTORIAL_RESULTS`` if set (the book build sets it), else a folder in the data cache."""
    env = os.environ.get("RECSYS_TUTORIAL_RESULTS")
    if env:
        return Path(env)
    from recsys_tutorial.download import default_cache_dir

    return default_cache_dir() / "results"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


def record(chapter: str, name: str, directory: str | os.PathLike | None = None, **values: object) -> Path:
    """Store one result (metrics, runtimes, sizes) as JSON; the same (chapter, name) overwrites atomically."""
    folder = Path(directory) if directory is not None else results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{_slug(chapter)}__{_slug(name)}.json"
    payload = {"chapter": chapter, "name": name, **values}
    fd, tmp = tempfile.mkstemp(prefix=".rec.", dir=folder)
    with os.fdopen(fd, "w") as fh:
        json.dump(payload, fh, default=float, indent=1)
    os.replace(tmp, target)
    return target


def collect(directory: str | os.PathLike | None = None) -> pd.DataFrame:
    """All records as one tidy table (one row per record), in chapter and name order."""
    folder = Path(directory) if directory is not None else results_dir()
    rows = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []
    frame = pd.DataFrame(rows)
    return frame if frame.empty else frame.sort_values(["chapter", "name"], kind="stable").reset_index(drop=True)


@contextmanager
def timed() -> Iterator[dict[str, float]]:
    """``with timed() as t: ...`` then ``t["seconds"]`` holds the wall time of the block."""
    out: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield out
    finally:
        out["seconds"] = time.perf_counter() - start
