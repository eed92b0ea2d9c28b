"""Data: stream Amazon product metadata (2014 or 2018 release) into product and relation tables.

The 2014 files hold one Python-literal dict per line; the 2018 files hold JSON lines. Both are parsed
without ever executing input (no ``eval``): Python literals are rewritten to JSON by a small tokenizer,
and anything it cannot prove equivalent goes through :func:`ast.literal_eval`. Every record read is
either parsed or skipped with a reason and a line number, so nothing is lost silently.
"""

from __future__ import annotations

import ast
import gzip
import html
import json
import logging
import os
import re
import tempfile
import warnings
import zlib
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from recsys_tutorial.download import default_cache_dir, fetch_amazon
from recsys_tutorial.synthetic import GENERATOR_VERSION, make_synthetic_amazon

__all__ = [
    "RELATIONS",
    "DataFormatError",
    "ParseReport",
    "dataset_name",
    "describe_dataset",
    "fetch_amazon",
    "is_metadata_path",
    "load_dataset",
    "load_tables",
    "make_synthetic_amazon",
    "read_amazon_metadata",
    "save_tables",
]

logger = logging.getLogger(__name__)

#: Relation types, in the order of the categorical ``relation`` column. 2018 names map onto these.
RELATIONS = ("also_bought", "also_viewed", "bought_together", "buy_after_viewing")
_RELATION_CODE = {name: i for i, name in enumerate(RELATIONS)}
_RELATIONS_2018 = {"also_buy": "also_bought", "also_view": "also_viewed"}
_KEYS_2018 = {"also_buy", "also_view", "category", "main_cat", "rank"}
_KEYS_2014 = {"related", "categories", "salesRank", "imUrl"}
_FIRST_LINES_KEPT = 5
_DETECT_LINES = 50


class DataFormatError(ValueError):
    """A metadata file (or one of its lines) is not what the reader expects; names file, line and reason."""

    def __init__(self, path: str | os.PathLike, line: int | None, reason: str):
        self.path, self.line, self.reason = str(path), line, reason
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")


@dataclass
class ParseReport:
    """What happened to every record of one file: ``records_read == parsed + sum(skipped.values())``."""

    path: str
    format: str = "unknown"
    records_read: int = 0
    parsed: int = 0
    blank_lines: int = 0
    skipped: Counter = field(default_factory=Counter)
    first_lines: dict[str, list[int]] = field(default_factory=dict)
    duplicates: int = 0
    price_invalid: int = 0
    no_relations: int = 0
    relation_rows: int = 0
    truncated: bool = False
    slow_path: int = 0

    def skip(self, reason: str, line: int) -> None:
        self.skipped[reason] += 1
        kept = self.first_lines.setdefault(reason, [])
        if len(kept) < _FIRST_LINES_KEPT:
            kept.append(line)

    @property
    def n_skipped(self) -> int:
        return sum(self.skipped.values())

    @property
    def label(self) -> str:
        """What was read, for a page header: file name (no folders), format and counts."""
        return (f"{Path(self.path).name} ({self.format} format): {self.parsed:,} products parsed of "
                f"{self.records_read:,} records, {self.relation_rows:,} relation rows")

    def summary(self) -> str:
        lines = [
            f"{self.path} ({self.format} format): {self.records_read:,} records read, "
            f"{self.parsed:,} parsed, {self.n_skipped:,} skipped"
            + (" — FILE TRUNCATED, later records are missing" if self.truncated else "")
        ]
        for reason, count in sorted(self.skipped.items()):
            lines.append(f"  skipped {count:,} × {reason} (first at lines {self.first_lines[reason]})")
        lines.append(
            f"  {self.relation_rows:,} relation rows; {self.no_relations:,} products without relations; "
            f"{self.price_invalid:,} invalid prices set to missing; {self.blank_lines:,} blank lines"
        )
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row per counter, for display in the book."""
        rows = [
            ("records read", self.records_read),
            ("parsed", self.parsed),
            *((f"skipped: {r}", c) for r, c in sorted(self.skipped.items())),
            ("relation rows", self.relation_rows),
            ("products without relations", self.no_relations),
            ("invalid prices (set to missing)", self.price_invalid),
            ("blank lines", self.blank_lines),
            ("truncated", int(self.truncated)),
        ]
        return pd.DataFrame(rows, columns=["what", "count"])


# --------------------------------------------------------------------------------------------------
# Safe parsing of one line
# --------------------------------------------------------------------------------------------------

# A Python-literal line is a sequence of single-quoted strings, double-quoted strings and everything
# else. Strings without backslashes carry their text verbatim, so they convert to JSON strings directly.
_PY_TOKEN = re.compile(r"""'([^'\\\n]*)'|"([^"\\\n]*)"|([^'"]+)""")
# Outside strings a JSON-equivalent line holds only brackets, separators, digits and exponents.
_BARE_OK = re.compile(r"[\s{}\[\]:,0-9.eE+\-]*")


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a Python literal")


_STRICT_JSON = json.JSONDecoder(parse_constant=_reject_constant)


def _python_literal_to_json(line: str) -> str | None:
    """Rewrite a Python-literal line as equivalent JSON text, or None when equivalence isn't certain."""
    if '"' not in line and "\\" not in line:  # the common case: one replace, one check
        if not _BARE_OK.fullmatch("".join(line.split("'")[::2])):  # even pieces lie outside the strings
            return None
        return line.replace("'", '"')
    parts: list[str] = []
    pos = 0
    for m in _PY_TOKEN.finditer(line):
        if m.start() != pos:  # a backslash escape or stray quote: let literal_eval decide
            return None
        pos = m.end()
        single, double, bare = m.groups()
        if bare is not None:
            if not _BARE_OK.fullmatch(bare):
                return None
            parts.append(bare)
        elif single is not None:
            parts.append('"' + single.replace('"', '\\"') + '"')
        else:
            parts.append('"' + double + '"')
    return "".join(parts) if pos == len(line) else None


def parse_python_literal(line: str) -> object:
    """Parse one 2014-format line without executing it. Raises ValueError/SyntaxError when invalid."""
    text = _python_literal_to_json(line)
    if text is not None:
        try:
            return _STRICT_JSON.decode(text)
        except ValueError:
            pass  # e.g. ".5" or a trailing comma: valid Python, not JSON
    with warnings.catch_warnings():  # invalid escapes like "\[" warn but still parse, as in the original
        warnings.simplefilter("ignore")
        return ast.literal_eval(line)


def _parse_json(line: str) -> object:
    return json.loads(line)  # NaN/Infinity are accepted here and then counted as invalid prices


# --------------------------------------------------------------------------------------------------
# Field normalisation
# --------------------------------------------------------------------------------------------------

_PRICE_2018 = re.compile(r"^\$\s?([0-9][0-9,]*(?:\.[0-9]+)?)$")
_RANK_2018 = re.compile(r"^\s*([0-9][0-9,]*)\s+in\s+(.+?)\s*(?:\(.*)?$")


def _clean_text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = html.unescape(value).strip()
    return value or None


def _price(value: object) -> tuple[float | None, bool]:
    """Return (price, invalid) — invalid when a price is present but NaN, negative or unparsable."""
    if value is None or value == "":
        return None, False
    if isinstance(value, bool):
        return None, True
    if isinstance(value, (int, float)):
        price = float(value)
    elif isinstance(value, str):
        m = _PRICE_2018.match(value.strip())
        if not m:
            return None, True
        price = float(m.group(1).replace(",", ""))
    else:
        return None, True
    if not np.isfinite(price) or price < 0:
        return None, True
    return price, False


def _category_levels(path: object) -> list[str | None]:
    levels = [_clean_text(c) for c in path] if isinstance(path, list) else []
    levels = [c for c in levels if c]
    return (levels + [None] * 4)[:4]


def _sales_rank_2014(value: object) -> tuple[int | None, str | None]:
    if isinstance(value, dict) and value:
        category, rank = next(iter(value.items()))
        if isinstance(rank, int) and not isinstance(rank, bool):
            return rank, _clean_text(category)
    return None, None


def _sales_rank_2018(value: object) -> tuple[int | None, str | None]:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str):
        m = _RANK_2018.match(value)
        if m:
            return int(m.group(1).replace(",", "")), _clean_text(m.group(2))
    return None, None


# --------------------------------------------------------------------------------------------------
# Streaming over a file
# --------------------------------------------------------------------------------------------------


def _open_binary(path: Path):
    with open(path, "rb") as fh:
        magic = fh.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def _iter_lines(path: Path, report: ParseReport) -> Iterator[tuple[int, bytes]]:
    """Yield (line number, raw bytes) and note a truncated or corrupt gzip stream in the report."""
    with _open_binary(path) as fh:
        try:
            yield from enumerate(fh, start=1)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            report.truncated = True
            report.truncated_reason = f"{type(exc).__name__}: {exc}"  # type: ignore[attr-defined]


def _detect_format(path: Path) -> str:
    """Look at the first records: JSON with 2018 keys is '2018'; a Python literal dict is '2014'."""
    report = ParseReport(str(path))
    seen_json = 0
    checked = 0
    for _number, raw in _iter_lines(path, report):
        line = raw.decode("utf-8", errors="replace").strip()
        if not line:
            continue
        checked += 1
        try:
            record = _parse_json(line)
            if isinstance(record, dict):
                if _KEYS_2018 & record.keys():
                    return "2018"
                if _KEYS_2014 & record.keys():
                    return "2014"
                seen_json += 1
        except ValueError:
            try:
                record = parse_python_literal(line)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                record = None
            if isinstance(record, dict):
                return "2014"
        if checked >= _DETECT_LINES:
            break
    if seen_json:
        return "2018"
    if checked == 0:
        raise DataFormatError(path, None, "file is empty: no records")
    raise DataFormatError(
        path, None,
        f"unknown format: none of the first {checked} records is a 2014 Python-literal dict "
        "or a 2018 JSON object; pass format='2014' or '2018' if you know better",
    )


class _Tables:
    """Column buffers for products and relation rows; ASINs interned to integer codes as they stream."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}  # insertion-ordered: code i is the i-th ASIN first seen
        self.product_code: set[int] = set()
        self.cols: dict[str, list] = {
            k: [] for k in ("asin", "title", "price", "brand", "category_lvl_1", "category_lvl_2",
                            "category_lvl_3", "category_lvl_4", "sales_rank", "sales_rank_category")
        }
        # Relation rows as runs: run k has run_len[k] rows from product code run_src[k] of type run_rel[k].
        self.dst = array("i")
        self.run_src, self.run_len, self.run_rel = array("i"), array("i"), array("b")

    def code(self, asin: str) -> int:
        return self.codes.setdefault(asin, len(self.codes))

    def add_relations(self, code: int, rel: int, items: list[str]) -> None:
        codes = self.codes
        setdefault = codes.setdefault
        self.dst.extend([setdefault(a, len(codes)) for a in items])
        self.run_src.append(code)
        self.run_len.append(len(items))
        self.run_rel.append(rel)

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        cols = self.cols
        products = pd.DataFrame(
            {
                "asin": pd.array(cols["asin"], dtype="string"),
                "title": pd.array(cols["title"], dtype="string"),
                "price": np.array([np.nan if p is None else p for p in cols["price"]], dtype="float64"),
                "brand": pd.array(cols["brand"], dtype="string"),
                **{f"category_lvl_{i}": pd.array(cols[f"category_lvl_{i}"], dtype="string") for i in range(1, 5)},
                "sales_rank": pd.array(cols["sales_rank"], dtype="Int64"),
                "sales_rank_category": pd.array(cols["sales_rank_category"], dtype="string"),
            }
        )
        asin_type = pd.CategoricalDtype(pd.Index(list(self.codes), dtype="string"))
        run_len = np.frombuffer(self.run_len, dtype=np.int32)
        src = np.repeat(np.frombuffer(self.run_src, dtype=np.int32), run_len)
        rel = np.repeat(np.frombuffer(self.run_rel, dtype=np.int8), run_len)
        relations = pd.DataFrame(
            {
                "asin": pd.Categorical.from_codes(src, dtype=asin_type),
                "related": pd.Categorical.from_codes(np.frombuffer(self.dst, dtype=np.int32), dtype=asin_type),
                "relation": pd.Categorical.from_codes(rel, categories=list(RELATIONS)),
            }
        )
        return products, relations


def _related_lists(record: dict, fmt: str) -> dict[str, list] | None:
    """The relation lists of a record keyed by 2014 names; None when the field has the wrong type."""
    if fmt == "2014":
        related = record.get("related")
        if related is None:
            return {}
        if not isinstance(related, dict):
            return None
        lists = {name: related.get(name) for name in RELATIONS if name in related}
    else:
        lists = {ours: record.get(theirs) for theirs, ours in _RELATIONS_2018.items() if theirs in record}
    for name, items in lists.items():
        if items is None:
            lists[name] = []
        elif not isinstance(items, list) or (items and not set(map(type, items)) <= {str}):
            return None
    return lists


def read_amazon_metadata(
    path: str | os.PathLike,
    format: str = "auto",
    on_bad_lines: str = "skip",
) -> tuple[pd.DataFrame, pd.DataFrame, ParseReport]:
    """Stream an Amazon metadata file (``.gz`` or plain) into ``(products, relations, report)``.

    ``products``: one row per unique ASIN (first occurrence wins) with title, price, brand, category
    levels 1–4 from the first category path, and sales rank. ``relations``: one row per
    (asin, related, relation) listed by a product. ``on_bad_lines="error"`` raises
    :class:`DataFormatError` at the first bad record; ``"skip"`` counts it in the report.
    """
    path = Path(path)
    if on_bad_lines not in ("skip", "error"):
        raise ValueError(f"on_bad_lines must be 'skip' or 'error', got {on_bad_lines!r}")
    if not path.is_file():
        raise FileNotFoundError(f"metadata file not found: {path}")
    if format == "auto":
        format = _detect_format(path)
    elif format not in ("2014", "2018"):
        raise ValueError(f"format must be 'auto', '2014' or '2018', got {format!r}")
    parse = parse_python_literal if format == "2014" else _parse_json

    report = ParseReport(str(path), format=format)
    tables = _Tables()
    cols = tables.cols

    def bad(reason: str, number: int, detail: str = "") -> None:
        if on_bad_lines == "error":
            raise DataFormatError(path, number, reason + (f" ({detail})" if detail else ""))
        report.skip(reason, number)

    for number, raw in _iter_lines(path, report):
        try:
            line = raw.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            report.records_read += 1
            bad("not_utf8", number, str(exc))
            continue
        if not line:
            report.blank_lines += 1
            continue
        report.records_read += 1
        try:
            record = parse(line)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
            bad("unparsable", number, f"not a {'Python literal' if format == '2014' else 'JSON object'}: "
                f"{type(exc).__name__}")
            continue
        if not isinstance(record, dict):
            bad("not_a_record", number, f"a {type(record).__name__}, not a dict")
            continue
        asin = record.get("asin")
        if not isinstance(asin, str) or not asin.strip():
            bad("missing_asin", number)
            continue
        asin = asin.strip()
        lists = _related_lists(record, format)
        if lists is None:
            bad("bad_related", number, "relation lists must be lists of ASIN strings")
            continue
        code = tables.code(asin)
        if code in tables.product_code:
            report.duplicates += 1
            bad("duplicate_asin", number, f"{asin} was already read")
            continue
        tables.product_code.add(code)

        price, invalid = _price(record.get("price"))
        report.price_invalid += invalid
        if format == "2014":
            categories = record.get("categories")
            first_path = categories[0] if isinstance(categories, list) and categories else None
            rank, rank_category = _sales_rank_2014(record.get("salesRank"))
        else:
            first_path = record.get("category")
            rank, rank_category = _sales_rank_2018(record.get("rank"))
        levels = _category_levels(first_path)

        cols["asin"].append(asin)
        cols["title"].append(_clean_text(record.get("title")))
        cols["price"].append(price)
        cols["brand"].append(_clean_text(record.get("brand")))
        for i, level in enumerate(levels, start=1):
            cols[f"category_lvl_{i}"].append(level)
        cols["sales_rank"].append(rank)
        cols["sales_rank_category"].append(rank_category)

        n_rel = 0
        for name, items in lists.items():
            if items:
                tables.add_relations(code, _RELATION_CODE[name], items)
                n_rel += len(items)
        report.no_relations += n_rel == 0
        report.relation_rows += n_rel
        report.parsed += 1

    if report.truncated:
        msg = (f"compressed stream ends early after {report.records_read:,} records "
               f"({getattr(report, 'truncated_reason', 'truncated')}); the rest of the file is missing")
        if on_bad_lines == "error":
            raise DataFormatError(path, report.records_read + report.blank_lines + 1, msg)
        logger.warning("%s: %s", path, msg)
    if report.records_read == 0:
        raise DataFormatError(path, None, "file is empty: no records")
    if report.parsed == 0:
        raise DataFormatError(path, None, "no record could be parsed:\n" + report.summary())
    if report.n_skipped:
        logger.warning("%s", report.summary())
    else:
        logger.info("%s", report.summary())
    products, relations = tables.frames()
    return products, relations, report


# --------------------------------------------------------------------------------------------------
# Saving and describing
# --------------------------------------------------------------------------------------------------


def _atomic_parquet(frame: pd.DataFrame, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_tables(products: pd.DataFrame, relations: pd.DataFrame, directory: str | os.PathLike) -> dict[str, Path]:
    """Write ``products.parquet`` and ``relations.parquet`` atomically (a crash never leaves half a file)."""
    directory = Path(directory)
    paths = {"products": directory / "products.parquet", "relations": directory / "relations.parquet"}
    _atomic_parquet(products, paths["products"])
    _atomic_parquet(relations, paths["relations"])
    return paths


def load_tables(directory: str | os.PathLike) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the tables written by :func:`save_tables`."""
    directory = Path(directory)
    return pd.read_parquet(directory / "products.parquet"), pd.read_parquet(directory / "relations.parquet")


#: Statistics of the real 2014 Electronics data (original-work.md §2.4–2.5) that the synthetic data imitates.
ELECTRONICS_REFERENCE = {
    "mean degree (2E/N)": 19.1,
    "also_bought share of relation rows": 0.938,
    "also_viewed share of relation rows": 0.047,
    "bought_together share of relation rows": 0.015,
    "graph nodes without metadata": 256_726 / 418_749,
    "catalogued products with no brand": 0.514,
    "catalogued products with 4 category levels": 0.899,
    "metadata lines per graph node": 498_196 / 418_749,
}


def describe_dataset(
    products: pd.DataFrame, relations: pd.DataFrame, edges: pd.DataFrame | None = None,
    vocab: pd.Index | None = None,
) -> pd.DataFrame:
    """The statistics the synthetic data is built to match, beside the real Electronics values.

    Graph statistics need ``edges`` and ``vocab`` from :func:`recsys_tutorial.edges.build_edges`;
    without them they are computed from the relation rows with the default edge rules.
    """
    if edges is None or vocab is None:
        from recsys_tutorial.edges import build_edges

        edges, vocab = build_edges(products, relations)
    n_nodes, n_edges = len(vocab), len(edges)
    degree = np.bincount(np.concatenate([edges["src"].to_numpy(), edges["dst"].to_numpy()]), minlength=n_nodes)
    mix = relations["relation"].value_counts(normalize=True)
    catalogued = pd.Index(products["asin"].astype(str))
    in_catalogue = vocab.isin(catalogued)
    has_levels = products[[f"category_lvl_{i}" for i in range(1, 5)]].notna()
    top = np.sort(degree)[::-1][: max(1, n_nodes // 100)]
    rows = {
        "catalogued products (metadata lines parsed)": len(products),
        "graph nodes": n_nodes,
        "graph edges (deduplicated, undirected)": n_edges,
        "mean degree (2E/N)": 2 * n_edges / max(n_nodes, 1),
        "median degree": float(np.median(degree)) if n_nodes else 0.0,
        "max degree": int(degree.max()) if n_nodes else 0,
        "share of edge endpoints on the top 1% of nodes": top.sum() / max(degree.sum(), 1),
        "also_bought share of relation rows": float(mix.get("also_bought", 0.0)),
        "also_viewed share of relation rows": float(mix.get("also_viewed", 0.0)),
        "bought_together share of relation rows": float(mix.get("bought_together", 0.0)),
        "graph nodes without metadata": 1 - in_catalogue.mean() if n_nodes else 0.0,
        "catalogued products with no brand": float(products["brand"].isna().mean()),
        "catalogued products with 4 category levels": float(has_levels.all(axis=1).mean()),
        "catalogued products with a price": float(products["price"].notna().mean()),
        "catalogued products with a sales rank": float(products["sales_rank"].notna().mean()),
        "metadata lines per graph node": len(products) / max(n_nodes, 1),
    }
    frame = pd.DataFrame({"statistic": list(rows), "value": list(rows.values())})
    frame["electronics_2014"] = frame["statistic"].map(ELECTRONICS_REFERENCE)
    return frame


def is_metadata_path(dataset: str | os.PathLike) -> bool:
    """Whether ``load_dataset`` reads ``dataset`` as a file path (a path object, a folder separator, a file
    suffix, or an existing file) rather than a category name."""
    if isinstance(dataset, os.PathLike):
        return True
    return ("/" in dataset or os.sep in dataset or dataset.endswith((".gz", ".json", ".jsonl"))
            or Path(dataset).is_file())


def dataset_name(dataset: str | os.PathLike) -> str:
    """A short name for pages and result records: the file name of a path (no folders), else the name itself."""
    return Path(dataset).name if is_metadata_path(dataset) else str(dataset)


def load_dataset(
    dataset: str | os.PathLike = "synthetic",
    n_products: int = 50_000,
    seed: int = 0,
    version: int = 2014,
    cache_dir: str | os.PathLike | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, ParseReport]:
    """The notebooks' entry point: the embedded synthetic data, a real category, or your own metadata file.

    ``dataset`` is ``"synthetic"`` (generated once per size and seed, cached), the name of a category of the
    2014 or 2018 release (``version``; case-insensitive, downloaded once and cached), or the path of a
    metadata file in either format (detected from its lines).
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if not is_metadata_path(dataset) and str(dataset).lower() == "synthetic":
        path = cache / "synthetic" / f"meta_synthetic_n{n_products}_s{seed}_g{GENERATOR_VERSION}.json.gz"
        if not path.exists():
            logger.info("generating synthetic metadata for %s products at %s", f"{n_products:,}", path)
            make_synthetic_amazon(path, n_products=n_products, seed=seed)
        return read_amazon_metadata(path, format="2014")
    if is_metadata_path(dataset):
        path = Path(dataset).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"metadata file not found: {path} (DATASET is read as a path because it "
                                    "looks like one; use 'synthetic' or a category name otherwise)")
        return read_amazon_metadata(path)
    return read_amazon_metadata(fetch_amazon(str(dataset), version=version, cache_dir=cache))
