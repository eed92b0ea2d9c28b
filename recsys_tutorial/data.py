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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

import numpy as np
import pandas as pd

from recsys_tutorial.download import default_cache_dir, fetch_amazon
from recsys_tutorial.errors import warn_data
from recsys_tutorial.synthetic import GENERATOR_VERSION, make_synthetic_amazon

__all__ = [
    "MAX_DEPTH",
    "MAX_LINE_BYTES",
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
    "published_counterpart",
    "read_amazon_metadata",
    "read_metadata_files",
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

#: Default ``max_line_bytes``: a longer line is skipped (``line_too_long``) without ever being held whole.
#: Generous: a real record is a few kilobytes. It bounds what one malformed line can cost in time and memory.
MAX_LINE_BYTES = 4 * 1024 * 1024
#: Lines whose brackets nest deeper than this are skipped (``too_deep``); real records nest at most 3 deep. It
#: keeps both parsers far from Python's recursion limit. Brackets inside strings count too: a cheap upper bound.
MAX_DEPTH = 100
#: The fast path turns a 2014 line into JSON (escapes included) in a few times its size; a line it cannot convert
#: (stray quotes, ``.5``, ``None``) goes to ``ast.literal_eval``, which costs ~80× the line in memory, so longer
#: such lines are skipped (``too_long_for_literal_parser``). On the real Digital Music extract no line needs it.
MAX_LITERAL_EVAL_BYTES = 16 * 1024
_UTF8_BOM = b"\xef\xbb\xbf"
_DRAIN_CHUNK = 1 << 20  # bytes read at a time while passing over an over-long line
_PARSE_ERRORS = (ValueError, SyntaxError, TypeError, MemoryError, RecursionError)


class DataFormatError(ValueError):
    """A metadata file (or one of its lines) is not what the reader expects; names file, line and reason."""

    def __init__(self, path: str | os.PathLike, line: int | None, reason: str):
        self.path, self.line, self.reason = str(path), line, reason
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")


@dataclass
class ParseReport:
    """What happened to every record of one file: ``records_read == parsed + sum(skipped.values())``.

    Relation lists a parsed record holds under keys this format does not read are counted in
    ``dropped_relations`` (rows per reason) and ``dropped_relation_keys`` (rows per key). ``first_lines``
    keeps the first line numbers of each skip reason and each relation-drop reason.
    """

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
    corrupt: bool = False
    stream_error: str = ""
    dropped_relations: Counter = field(default_factory=Counter)
    dropped_relation_keys: Counter = field(default_factory=Counter)
    slow_path: int = 0

    def _first_line(self, reason: str, line: int) -> None:
        kept = self.first_lines.setdefault(reason, [])
        if len(kept) < _FIRST_LINES_KEPT:
            kept.append(line)

    def skip(self, reason: str, line: int) -> None:
        self.skipped[reason] += 1
        self._first_line(reason, line)

    def drop_relations(self, reason: str, rows_by_key: dict[str, int], line: int) -> None:
        """Count the relation rows one parsed record loses, per key, for ``reason``."""
        self.dropped_relations[reason] += sum(rows_by_key.values())
        self.dropped_relation_keys.update(rows_by_key)
        self._first_line(reason, line)

    def stream_failed(self, exc: BaseException) -> None:
        """Note why the compressed stream stopped: it ends early (truncated) or it is corrupt."""
        self.truncated = isinstance(exc, EOFError)
        self.corrupt = not self.truncated
        self.stream_error = f"{type(exc).__name__}: {exc}"

    def stream_message(self) -> str:
        """What went wrong with the compressed stream, for a warning or an error ('' when nothing did)."""
        if self.truncated:
            return (f"compressed stream ends early after {self.records_read:,} records (truncated — "
                    f"{self.stream_error}); the rest of the file is missing")
        if self.corrupt:
            return (f"compressed stream is corrupt after {self.records_read:,} records (CRC/length mismatch or "
                    f"bad compressed data — {self.stream_error}); records read may hold damaged data and any "
                    "after the damage were not read")
        return ""

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
            + (" — FILE CORRUPT, records may be damaged or missing" if self.corrupt else "")
        ]
        for reason, count in sorted(self.skipped.items()):
            lines.append(f"  skipped {count:,} × {reason} (first at lines {self.first_lines[reason]})")
        for reason, rows in sorted(self.dropped_relations.items()):
            keys = ", ".join(f"{k} {n:,}" for k, n in sorted(self.dropped_relation_keys.items()))
            lines.append(f"  dropped {rows:,} relation rows × {reason} ({keys}; first at lines "
                         f"{self.first_lines[reason]})")
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
            *((f"relation rows dropped: {r}", c) for r, c in sorted(self.dropped_relations.items())),
            ("products without relations", self.no_relations),
            ("invalid prices (set to missing)", self.price_invalid),
            ("blank lines", self.blank_lines),
            ("truncated", int(self.truncated)),
            ("corrupt", int(self.corrupt)),
        ]
        return pd.DataFrame(rows, columns=["what", "count"])


# --------------------------------------------------------------------------------------------------
# Safe parsing of one line
# --------------------------------------------------------------------------------------------------

# A Python-literal line is a sequence of single-quoted strings, double-quoted strings and everything
# else. String bodies are decoded as CPython decodes a str literal: non-ASCII characters become escapes, then
# the ``unicode_escape`` codec reads every escape (in C, a few times the body in memory).


def _string_end(line: str, start: int) -> int:
    """Index of the quote closing the string whose opening quote is at ``start`` (-1 if unterminated)."""
    quote, j = line[start], start + 1
    while True:
        k = line.find(quote, j)
        if k < 0:
            return -1
        slashes = k - 1
        while slashes > start and line[slashes] == "\\":
            slashes -= 1
        if (k - 1 - slashes) % 2 == 0:  # an even run of backslashes: the quote is not escaped
            return k
        j = k + 1


def _py_tokens(line: str) -> Iterator[tuple[str | None, str]]:
    """(None, bare text) and (quote, string body) pieces of a line; ValueError when a string never ends."""
    pos, n = 0, len(line)
    while pos < n:
        quotes = [i for i in (line.find("'", pos), line.find('"', pos)) if i >= 0]
        if not quotes:
            yield None, line[pos:]
            return
        start = min(quotes)
        if start > pos:
            yield None, line[pos:start]
        end = _string_end(line, start)
        if end < 0:
            raise ValueError("unterminated string")
        yield line[start], line[start + 1:end]
        pos = end + 1


# An escaping backslash (the last of an odd run) right before a non-ASCII character: CPython reads it as a plain
# backslash, so it becomes "\u005c" before the non-ASCII characters are themselves turned into escapes.
_BACKSLASH_BEFORE_NON_ASCII = re.compile(r"(?<!\\)((?:\\\\)*)\\(?=[^\x00-\x7f])")


def _json_string(body: str) -> str:
    """The JSON string literal of a Python string literal's body, its escapes decoded by Python's own rules."""
    if "\\" not in body:
        return '"' + body.replace('"', '\\"') + '"'
    body = _BACKSLASH_BEFORE_NON_ASCII.sub(lambda m: m.group(1) + "\\u005c", body)  # "\é" keeps its "\"
    with warnings.catch_warnings():  # "\[" is a deprecated escape: Python keeps the backslash, and so do we
        warnings.simplefilter("ignore", DeprecationWarning)
        text = body.encode("ascii", "backslashreplace").decode("unicode_escape")  # ValueError if malformed
    return json.dumps(text, ensure_ascii=False)


# Outside strings a JSON-equivalent line holds only brackets, separators, digits and exponents.
_BARE_OK = re.compile(r"[\s{}\[\]:,0-9.eE+\-]*")


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a Python literal")


_STRICT_JSON = json.JSONDecoder(parse_constant=_reject_constant)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _nesting_depth(line: str) -> int:
    """Deepest nesting of [ and { in a line, counting those inside strings too (linear time). Parentheses
    need no count: Python's parser refuses more than 200 nested levels itself, and JSON has none."""
    return max(accumulate(map(_BRACKET_STEP.__getitem__, _NOT_BRACKET.sub("", line))), default=0)


class _TooLongForLiteralError(ValueError):
    """A line needs ``ast.literal_eval`` but is longer than :data:`MAX_LITERAL_EVAL_BYTES`."""


class _TooDeepError(ValueError):
    """A line nests deeper than :data:`MAX_DEPTH`; refused before parsing, so no parser nears the recursion limit."""


def _check_depth(line: str, limit: int = MAX_DEPTH) -> None:
    """Raise :class:`_TooDeepError` when brackets nest more than ``limit`` deep; counting clears most lines."""
    if line.count("[") + line.count("{") > limit and _nesting_depth(line) > limit:
        raise _TooDeepError(f"brackets nest more than {limit} deep")


def _python_literal_to_json(line: str) -> str | None:
    """Rewrite a Python-literal line as equivalent JSON text, or None when equivalence isn't certain."""
    if '"' not in line and "\\" not in line:  # the common case: one replace, one check
        if not _BARE_OK.fullmatch("".join(line.split("'")[::2])):  # even pieces lie outside the strings
            return None
        return line.replace("'", '"')
    parts: list[str] = []
    try:
        for quote, text in _py_tokens(line):
            if quote is None:
                if not _BARE_OK.fullmatch(text):
                    return None
                parts.append(text)
            else:
                parts.append(_json_string(text))
    except ValueError:  # an unterminated string, or an escape Python's parser refuses too
        return None
    return "".join(parts)


def parse_python_literal(line: str) -> object:
    """Parse one 2014-format line without executing it. Raises ValueError/SyntaxError when invalid, and
    ValueError when brackets nest more than :data:`MAX_DEPTH` deep (never RecursionError)."""
    return _literal(line)[0]


def _literal(line: str) -> tuple[object, bool]:
    """A 2014 line's value, and whether it needed ``ast.literal_eval`` (the slow path, counted in reports)."""
    _check_depth(line)
    text = _python_literal_to_json(line)
    if text is not None:
        try:
            return _STRICT_JSON.decode(text), False
        except ValueError:
            pass  # e.g. ".5" or a trailing comma: valid Python, not JSON
    if len(line) > MAX_LITERAL_EVAL_BYTES:
        raise _TooLongForLiteralError(f"{len(line):,} characters need the slow literal parser "
                                      f"(limit {MAX_LITERAL_EVAL_BYTES:,})")
    with warnings.catch_warnings():  # invalid escapes like "\[" warn but still parse, as in the original
        warnings.simplefilter("ignore")
        return ast.literal_eval(line), True


def _parse_json(line: str) -> object:
    """Parse one 2018-format line; ValueError when invalid or nested more than :data:`MAX_DEPTH` deep."""
    _check_depth(line)
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


def _line_ending(raw: bytes) -> int:
    """How many bytes of ``raw`` are its line ending (0, 1 or 2)."""
    return raw.endswith(b"\n") + raw.endswith(b"\r\n")


def _pass_over_rest(readline: Callable[[int], bytes], head: bytes) -> int:
    """Read past the rest of an over-long line that began with ``head``, in bounded chunks; return the
    line's length without its ending."""
    size, tail = len(head), head[-2:]
    while chunk := readline(_DRAIN_CHUNK):
        size += len(chunk)
        tail = chunk[-2:] if len(chunk) > 1 else tail[-1:] + chunk  # a "\r\n" may straddle two chunks
        if chunk.endswith(b"\n"):
            break
    return size - _line_ending(tail)


def _iter_lines(
    path: Path, report: ParseReport, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, bytes | None, int]]:
    """Yield (line number, raw bytes, length without ending); raw is None for a line over ``max_line_bytes``,
    which is never held whole. Strips a UTF-8 BOM from line 1; notes a bad gzip stream in the report."""
    limit = max_line_bytes + 2  # room for "\r\n"
    with _open_binary(path) as fh:
        readline = fh.readline
        number = 0
        try:
            while raw := readline(limit):
                number += 1
                cut = len(raw) == limit and not raw.endswith(b"\n")
                if number == 1 and raw.startswith(_UTF8_BOM):
                    raw = raw[len(_UTF8_BOM):]
                if cut:
                    yield number, None, _pass_over_rest(readline, raw)
                    continue
                size = len(raw) - _line_ending(raw)
                yield number, (raw if size <= max_line_bytes else None), size
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            report.stream_failed(exc)


def _line_format(line: str) -> str | None:
    """What one line says about the format: '2018', '2014', 'json' (an object without telling keys) or None
    (not a record, or nested too deep to parse safely)."""
    try:
        record = _parse_json(line)
    except _PARSE_ERRORS:
        try:
            record = parse_python_literal(line)
        except _PARSE_ERRORS:
            return None
        return "2014" if isinstance(record, dict) else None
    if not isinstance(record, dict):
        return None
    if _KEYS_2018 & record.keys():
        return "2018"
    return "2014" if _KEYS_2014 & record.keys() else "json"


def _detect_format(path: Path, max_line_bytes: int = MAX_LINE_BYTES) -> str:
    """Look at the first records: JSON with 2018 keys is '2018'; a Python literal dict is '2014'. A bad,
    over-long or too-deep line is passed over here; the reader counts it as a skip."""
    report = ParseReport(str(path))
    seen_json = 0
    checked = 0
    for _number, raw, _size in _iter_lines(path, report, max_line_bytes):
        line = None if raw is None else raw.decode("utf-8", errors="replace").strip()
        if line == "":
            continue
        checked += 1
        kind = None if line is None else _line_format(line)
        if kind in ("2014", "2018"):
            return kind
        seen_json += kind == "json"
        if checked >= _DETECT_LINES:
            break
    if seen_json:
        return "2018"
    if checked == 0 and (report.truncated or report.corrupt):  # gzip magic then junk is not an empty file
        raise DataFormatError(path, None, report.stream_message())
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

    def rows_per_relation(self) -> dict[str, int]:
        """Relation rows kept so far, per relation type."""
        rows = np.bincount(np.frombuffer(self.run_rel, dtype=np.int8),
                           weights=np.frombuffer(self.run_len, dtype=np.int32), minlength=len(RELATIONS))
        return {name: int(n) for name, n in zip(RELATIONS, rows, strict=True)}

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


def _foreign_relations(record: dict, fmt: str) -> dict[str, int]:
    """Relation lists ``fmt`` does not read, as {key: rows}: 2018 keys in a 2014 record, unknown kinds inside
    ``related``, or a 2014 ``related`` dict in a 2018 record. Empty lists lose nothing and are left out."""
    related = record.get("related")
    if fmt == "2014":
        if ("also_buy" not in record and "also_view" not in record
                and (not isinstance(related, dict) or related.keys() <= _RELATION_CODE.keys())):
            return {}  # the common case, checked first: the reader calls this once per record
        found = {key: record[key] for key in _RELATIONS_2018.keys() & record.keys()}
        if isinstance(related, dict) and not related.keys() <= _RELATION_CODE.keys():
            found.update((f"related.{k}", v) for k, v in related.items() if k not in _RELATION_CODE)
    elif related is None:
        return {}
    else:
        found = {f"related.{k}": v for k, v in related.items()} if isinstance(related, dict) else {"related": related}
    rows = {key: len(v) if isinstance(v, list) else int(v is not None) for key, v in found.items()}
    return {key: n for key, n in rows.items() if n}


def _relation_kind(key: str) -> str:
    """The relation type a dropped key would have given: ``also_buy`` → ``also_bought``, ``related.x`` → ``x``."""
    name = key.removeprefix("related.")
    return _RELATIONS_2018.get(name, name)


def _dropped_relations_message(report: ParseReport, kept: dict[str, int]) -> str:
    """Say which relation lists were dropped, which relation types were lost entirely, and the likely fix."""
    parts = []
    for key, rows in sorted(report.dropped_relation_keys.items()):
        kind = _relation_kind(key)
        lost = f" — the whole {kind} relation kind is lost" if not kept.get(kind) else f" ({kept[kind]:,} kept)"
        parts.append(f"{key}: {rows:,} rows{lost}")
    reasons = ", ".join(f"{r}, first at lines {report.first_lines[r]}" for r in sorted(report.dropped_relations))
    other = "2018" if report.format == "2014" else "2014"
    foreign = report.format == "2018" or not _RELATIONS_2018.keys().isdisjoint(report.dropped_relation_keys)
    hint = f"; lines of the {other} format read as {report.format}? pass format='{other}' or 'auto'" if foreign else ""
    return (f"{report.path}: relation lists the {report.format} format does not read were dropped ({reasons}): "
            + "; ".join(parts) + hint)


def read_amazon_metadata(
    path: str | os.PathLike,
    format: str = "auto",
    on_bad_lines: str = "skip",
    max_line_bytes: int = MAX_LINE_BYTES,
) -> tuple[pd.DataFrame, pd.DataFrame, ParseReport]:
    """Stream an Amazon metadata file (``.gz`` or plain) into ``(products, relations, report)``.

    ``products``: one row per unique ASIN (first occurrence wins) with title, price, brand, category
    levels 1–4 from the first category path, and sales rank. ``relations``: one row per
    (asin, related, relation) listed by a product. ``on_bad_lines="error"`` raises
    :class:`DataFormatError` at the first bad record; ``"skip"`` counts it in the report.
    ``max_line_bytes`` (default 4 MiB, :data:`MAX_LINE_BYTES`) bounds the work one line may cost: a longer
    line (bytes, without its ending) is passed over in chunks, never parsed, and skipped as ``line_too_long``;
    a line nested more than :data:`MAX_DEPTH` deep is skipped as ``too_deep``. A UTF-8 BOM is ignored.
    Relation lists under keys the format does not read (2018 keys read as 2014, or the reverse) are counted
    in ``report.dropped_relations``; dropped relations, skipped records and a truncated or corrupt stream
    each raise a :class:`~recsys_tutorial.errors.DataWarning`.
    """
    path = Path(path)
    if on_bad_lines not in ("skip", "error"):
        raise ValueError(f"on_bad_lines must be 'skip' or 'error', got {on_bad_lines!r}")
    if isinstance(max_line_bytes, bool) or not isinstance(max_line_bytes, int) or max_line_bytes < 1:
        raise ValueError(f"max_line_bytes must be a positive integer, got {max_line_bytes!r}")
    if not path.is_file():
        raise FileNotFoundError(f"metadata file not found: {path}")
    if format == "auto":
        format = _detect_format(path, max_line_bytes)
    elif format not in ("2014", "2018"):
        raise ValueError(f"format must be 'auto', '2014' or '2018', got {format!r}")
    parse = _literal if format == "2014" else (lambda text: (_parse_json(text), False))

    report = ParseReport(str(path), format=format)
    tables = _Tables()
    cols = tables.cols

    def bad(reason: str, number: int, detail: str = "") -> None:
        if on_bad_lines == "error":
            raise DataFormatError(path, number, reason + (f" ({detail})" if detail else ""))
        report.skip(reason, number)

    for number, raw, size in _iter_lines(path, report, max_line_bytes):
        if raw is None:
            report.records_read += 1
            bad("line_too_long", number, f"{size:,} bytes, more than max_line_bytes={max_line_bytes:,}")
            continue
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
            record, slow = parse(line)
            report.slow_path += slow
        except (_TooDeepError, RecursionError) as exc:
            bad("too_deep", number, str(exc) or type(exc).__name__)
            continue
        except _TooLongForLiteralError as exc:
            bad("too_long_for_literal_parser", number, str(exc))
            continue
        except _PARSE_ERRORS as exc:
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
        foreign = _foreign_relations(record, format)
        if foreign:
            report.drop_relations("unknown_relation_key", foreign, number)

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

    if report.truncated or report.corrupt:
        msg = report.stream_message()
        if on_bad_lines == "error":
            raise DataFormatError(path, report.records_read + report.blank_lines + 1, msg)
        warn_data(f"{path}: {msg}", logger)
    if report.records_read == 0 and not (report.truncated or report.corrupt):
        raise DataFormatError(path, None, "file is empty: no records")
    if report.records_read == 0:
        raise DataFormatError(path, None, report.stream_message())
    if report.parsed == 0:
        raise DataFormatError(path, None, "no record could be parsed:\n" + report.summary())
    if report.dropped_relations:
        warn_data(_dropped_relations_message(report, tables.rows_per_relation()), logger)
    if report.n_skipped:
        warn_data(f"{report.n_skipped:,} of {report.records_read:,} records skipped — " + report.summary(), logger)
    else:
        logger.info("%s", report.summary())
    products, relations = tables.frames()
    return products, relations, report


# --------------------------------------------------------------------------------------------------
# Saving and describing
# --------------------------------------------------------------------------------------------------


def read_metadata_files(paths: list[str | os.PathLike]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Several metadata files read in order → one (products, relations): a product listed in more than one
    file keeps its first record, relations are concatenated with their categories merged."""
    parts = [read_amazon_metadata(p)[:2] for p in paths]
    products = pd.concat([p for p, _ in parts], ignore_index=True).drop_duplicates("asin", keep="first")
    asins = pd.CategoricalDtype(pd.Index(sorted(set().union(*(r["asin"].cat.categories for _, r in parts))),
                                         dtype="string"))
    relations = pd.concat([r.astype({"asin": asins, "related": asins}) for _, r in parts], ignore_index=True)
    return products.reset_index(drop=True), relations


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


#: The 2014 files the original project published results for, by file name (a download or your own copy).
PUBLISHED_FILES = {"meta_Electronics.json.gz": "Electronics", "meta_Books.json.gz": "Books"}


def published_counterpart(report: ParseReport) -> str | None:
    """``"Electronics"`` or ``"Books"`` when ``report`` read the 2014 file the original published numbers for,
    else None: only then are the original's numbers a comparison rather than a reference."""
    if report.format != "2014":
        return None
    return PUBLISHED_FILES.get(Path(report.path).name)


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
    from recsys_tutorial.download import check_cached, record_verified  # here: this edit keeps to load_dataset

    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if not is_metadata_path(dataset) and str(dataset).lower() == "synthetic":
        path = cache / "synthetic" / f"meta_synthetic_n{n_products}_s{seed}_g{GENERATOR_VERSION}.json.gz"
        # A truncated or corrupt cached file is moved aside with one DataWarning and generated again.
        if not check_cached(path, then="generating it again"):
            logger.info("generating synthetic metadata for %s products at %s", f"{n_products:,}", path)
            make_synthetic_amazon(path, n_products=n_products, seed=seed)
            record_verified(path, source=f"make_synthetic_amazon(n_products={n_products}, seed={seed})")
        return read_amazon_metadata(path, format="2014")
    if is_metadata_path(dataset):
        path = Path(dataset).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"metadata file not found: {path} (DATASET is read as a path because it "
                                    "looks like one; use 'synthetic' or a category name otherwise)")
        return read_amazon_metadata(path)
    return read_amazon_metadata(fetch_amazon(str(dataset), version=version, cache_dir=cache))
