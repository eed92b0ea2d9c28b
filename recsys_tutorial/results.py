"""Results: every chapter records its metrics and timings here; the results page collects them.

Records are small JSON files in one folder (``$RECSYS_TUTORIAL_RESULTS``, set by the book build), so
the results page renders numbers from the run that built the book and nothing is retyped. :func:`collect`
turns them into one tidy table (one row per recorded method) and saves it as ``results.csv`` beside them;
:func:`with_original` puts the original project's published numbers beside ours.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

__all__ = [
    "AUC_COLUMNS",
    "METHOD_ALIASES",
    "ORIGINAL_RESULTS",
    "RESULTS_CSV",
    "collect",
    "method_key",
    "ranking_columns",
    "record",
    "results_dir",
    "summary",
    "tidy",
    "timed",
    "with_original",
]

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
        ("Books", "MF-bias, edges, continuous", 0.3822, None, 1352.86),
        ("Books", "gensim word2vec (CBOW)", 0.9701, 0.9892, 16.24),
        ("Books", "PyTorch skip-gram", 0.9775, None, 122.66),
        ("Books", "MF-bias, sequences", 0.7196, None, 1393.08),
    ],
    columns=["dataset", "method", "auc_all", "auc_seen", "runtime_min"],
)

#: Our method names whose counterpart in ORIGINAL_RESULTS is spelled differently. A record can also
#: name its counterpart itself with ``original_method=...``.
METHOD_ALIASES = {"gensim CBOW (the original's)": "gensim word2vec (CBOW)"}

#: ROC-AUC columns of the tidy table, always present (NaN where a chapter did not measure one).
AUC_COLUMNS = ["auc_all", "auc_seen", "auc_unseen", "auc_degree_matched"]
_LEADING = ["chapter", "method", "dataset", "profile"]
RESULTS_CSV = "results.csv"


def results_dir() -> Path:
    """``$RECSYS_TUTORIAL_RESULTS`` if set (the book build sets it), else a folder in the data cache."""
    env = os.environ.get("RECSYS_TUTORIAL_RESULTS")
    if env:
        return Path(env)
    from recsys_tutorial.download import default_cache_dir

    return default_cache_dir() / "results"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


def _atomic_write(target: Path, write: Callable[[IO[str]], object]) -> None:
    """Write through a temporary file in the same folder, then rename: readers never see half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            write(fh)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _json_value(value: object) -> object:
    """numpy scalars → Python numbers; NaN, None and pd.NA → null (valid JSON, read back as missing)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def record(chapter: str, name: str, directory: str | os.PathLike | None = None, **values: object) -> Path:
    """Store one result (metrics, runtimes, sizes) as JSON; the same (chapter, name) overwrites atomically.

    Usual keys: ``dataset``, ``profile``, ``auc_all``/``auc_seen``/``auc_unseen``/``auc_degree_matched``,
    ``recall@k``/``ndcg@k``, ``runtime_s``; any other key becomes an extra column of :func:`collect`.
    """
    folder = Path(directory) if directory is not None else results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{_slug(chapter)}__{_slug(name)}.json"
    payload = {"chapter": chapter, "name": name, **{key: _json_value(v) for key, v in values.items()}}
    _atomic_write(target, lambda fh: json.dump(payload, fh, default=float, indent=1))
    return target


def ranking_columns(columns: Iterable[object]) -> list[str]:
    """The ``recall@k`` and ``ndcg@k`` columns among ``columns``: recall first, then by k."""
    found = [str(c) for c in columns if re.fullmatch(r"(recall|ndcg)@\d+", str(c))]
    return sorted(found, key=lambda c: (c.startswith("ndcg"), int(c.split("@")[1])))


def _only_value(values: pd.Series) -> object:
    present = values.dropna().unique()
    return present[0] if len(present) == 1 else np.nan


def tidy(rows: list[dict]) -> pd.DataFrame:
    """Records → one row per method with the standard columns first, then any extra columns.

    Order: chapter, method, dataset, profile, the AUC columns, recall/NDCG columns, ``runtime_s``, extras (in
    the order first recorded), and ``name`` (same as ``method``; kept for pages written before ``method``).
    A record without ``dataset`` takes its chapter's dataset when the chapter recorded exactly one;
    ``runtime_min`` is converted to ``runtime_s``.
    """
    frame = pd.DataFrame(rows)
    if "name" in frame:
        frame["method"] = frame["name"]
    if "runtime_min" in frame:
        minutes = pd.to_numeric(frame.pop("runtime_min"), errors="coerce")
        frame["runtime_s"] = frame.get("runtime_s", pd.Series(np.nan, index=frame.index)).fillna(minutes * 60)
    for column in _LEADING + AUC_COLUMNS + ["runtime_s"]:
        if column not in frame:
            frame[column] = np.nan
    frame["name"] = frame["method"]
    if len(frame):
        frame["dataset"] = frame["dataset"].fillna(frame.groupby("chapter")["dataset"].transform(_only_value))
        frame = frame.sort_values(["chapter", "method"], kind="stable").reset_index(drop=True)
    ranking = ranking_columns(frame.columns)
    first = _LEADING + AUC_COLUMNS + ranking + ["runtime_s"]
    extras = [c for c in frame if c not in first and c != "name"]
    return frame[first + extras + ["name"]]


def collect(directory: str | os.PathLike | None = None, write_csv: bool = True) -> pd.DataFrame:
    """All records as one tidy table (see :func:`tidy`), in chapter and method order.

    With ``write_csv`` (and at least one record) the table is also saved, atomically, as ``results.csv``
    in the same folder.
    """
    folder = Path(directory) if directory is not None else results_dir()
    rows = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []
    table = tidy(rows)
    if write_csv and rows:
        _atomic_write(folder / RESULTS_CSV, lambda fh: table.to_csv(fh, index=False))
    return table


def method_key(name: str) -> str:
    """The join key of a method name: aliases resolved, case and punctuation ignored."""
    return _slug(METHOD_ALIASES.get(name, name))


def with_original(results: pd.DataFrame, original: pd.DataFrame | None = None,
                  dataset: str | None = None) -> pd.DataFrame:
    """Our results with the original's published numbers beside them, joined by :func:`method_key`.

    Adds ``original_dataset``, ``original_auc_all``, ``original_auc_seen`` and ``original_runtime_s``.
    A row is joined only where it ran on the data the original published numbers for: its ``published_as``
    value (recorded by the chapters from :func:`recsys_tutorial.data.published_counterpart`), or ``dataset``
    when given. Other rows (synthetic data, another category, the 2018 release) get no original numbers:
    for them the original is a reference, not a comparison. A record's ``original_method`` overrides its
    own name for the join.
    """
    original = ORIGINAL_RESULTS if original is None else original
    ours = results.copy()
    names = ours["method"] if "method" in ours else ours["name"]
    if "original_method" in ours:
        names = ours["original_method"].where(ours["original_method"].notna(), names)
    if dataset is not None:
        target = pd.Series(dataset, index=ours.index, dtype=object)
    elif "published_as" in ours:
        target = ours["published_as"].astype(object)
    else:
        target = pd.Series(None, index=ours.index, dtype=object)
    theirs = pd.DataFrame({
        "_dataset": original["dataset"],
        "_key": original["method"].map(method_key),
        "original_dataset": original["dataset"],
        "original_auc_all": original["auc_all"].astype(float),
        "original_auc_seen": original["auc_seen"].astype(float),
        "original_runtime_s": original["runtime_min"].astype(float) * 60,
    })
    ours["_dataset"], ours["_key"] = target.to_numpy(), names.astype(str).map(method_key).to_numpy()
    for column in theirs.columns.drop(["_dataset", "_key"]):
        ours = ours.drop(columns=column, errors="ignore")
    joined = ours.merge(theirs, on=["_dataset", "_key"], how="left", validate="many_to_one")
    return joined.drop(columns=["_dataset", "_key"])


#: Reader-facing names of the summary's columns (short, so the table fits the text column).
SUMMARY_NAMES = {"method": "method", "chapter": "part", "auc_all": "AUC all", "auc_seen": "AUC seen",
                 "auc_unseen": "AUC unseen", "auc_degree_matched": "AUC degree-matched",
                 "original_auc_all": "original AUC all", "runtime_s": "time (s)"}


def summary(results: pd.DataFrame, original: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Methods sorted by seen-AUC with short column names, and the columns left out because they say nothing.

    Rows without a metric (pipeline records), empty columns and columns with one value for every method (e.g.
    unseen-AUC, 0.5 by construction) are dropped; the names of the latter come back so the page can say so once.
    """
    frame = with_original(results, original) if original is not None else results.copy()
    metrics = [c for c in [*AUC_COLUMNS, *ranking_columns(frame.columns)] if c in frame]
    frame = frame[frame[metrics].notna().any(axis=1)]
    keep = ["method", "chapter", *metrics, "original_auc_all", "runtime_s"]
    frame = frame.reindex(columns=keep)
    empty = [c for c in keep[2:] if frame[c].isna().all()]
    same = [c for c in keep[2:] if c not in empty and frame[c].nunique(dropna=True) == 1 and len(frame) > 1]
    frame = frame.drop(columns=empty + same).sort_values(["auc_seen", "auc_all"], ascending=False,
                                                         na_position="last")
    frame = frame.rename(columns=SUMMARY_NAMES).reset_index(drop=True)
    frame.index = frame.index + 1
    return frame, [SUMMARY_NAMES.get(c, c) for c in same]


@contextmanager
def timed() -> Iterator[dict[str, float]]:
    """``with timed() as t: ...`` then ``t["seconds"]`` holds the wall time of the block."""
    out: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield out
    finally:
        out["seconds"] = time.perf_counter() - start
