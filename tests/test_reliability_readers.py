"""Reliability of the metadata readers against bad input (issue items 4–7), grouped by item.

Every reader case checks that records in = parsed + counted skips, so no input is lost silently.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import recsys_tutorial
from recsys_tutorial import data
from recsys_tutorial.data import DataFormatError, parse_python_literal, read_amazon_metadata
from recsys_tutorial.errors import DataWarning

BOM = b"\xef\xbb\xbf"


def write_lines(path: Path, lines: list[str | bytes], gz: bool = False, ending: bytes = b"\n",
                last_ending: bool = True, prefix: bytes = b"") -> Path:
    """Write ``lines`` (plain or gzip) with a chosen line ending, optionally none after the last line."""
    data = ending.join(line if isinstance(line, bytes) else line.encode() for line in lines)
    data = prefix + data + (ending if last_ending else b"")
    path.write_bytes(gzip.compress(data, compresslevel=1, mtime=0) if gz else data)
    return path


def rec2014(asin: str, **fields: object) -> str:
    """One 2014-format line (a Python literal dict)."""
    return repr({"asin": asin, "title": f"Product {asin}", **fields})


def rec2018(asin: str, **fields: object) -> str:
    """One 2018-format line (a JSON object with 2018 keys)."""
    return json.dumps({"asin": asin, "title": f"Product {asin}", "main_cat": "Electronics", **fields})


def assert_accounted(report) -> None:
    """Records in = parsed + counted skips."""
    assert report.records_read == report.parsed + report.n_skipped


def read_quietly(path: Path, **kwargs):
    """Read a file and also return the DataWarning messages it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        products, relations, report = read_amazon_metadata(path, **kwargs)
    messages = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    return products, relations, report, messages


# ------------------------------------------------------- item 4: relations under keys the format does not read


@pytest.mark.parametrize("gz", [False, True])
def test_forced_2014_on_a_2018_file_counts_dropped_relations_and_warns_kind_lost(tmp_path, gz):
    """Bad input: a 2018 file (also_buy / also_view) read with a forced format='2014'."""
    lines = [rec2018("B1", also_buy=["B2", "B3"], also_view=["B4"]), rec2018("B2", also_buy=["B1"]),
             rec2018("B3", also_buy=[])]
    path = write_lines(tmp_path / "m18.json", lines, gz=gz)
    products, relations, report, messages = read_quietly(path, format="2014")
    assert report.parsed == 3 and len(products) == 3 and relations.empty
    assert report.dropped_relations == {"unknown_relation_key": 4}
    assert report.dropped_relation_keys == {"also_buy": 3, "also_view": 1}
    assert report.first_lines["unknown_relation_key"] == [1, 2]
    [message] = [m for m in messages if "does not read" in m]
    assert "the whole also_bought relation kind is lost" in message
    assert "the whole also_viewed relation kind is lost" in message and "format='2018'" in message
    assert "unknown_relation_key" in report.summary()
    assert_accounted(report)


def test_2018_lines_mixed_into_a_2014_file_are_counted_per_key(tmp_path):
    """Bad input: 2018 JSON lines mixed into a 2014 file (detected as 2014 from its first line)."""
    lines = [rec2014("B1", related={"also_bought": ["B2", "B3"]}), rec2018("B2", also_buy=["B9"], also_view=["B8"]),
             rec2014("B3", related={"also_bought": ["B1"]}), rec2018("B4", also_buy=["B7", "B6"])]
    _, relations, report, messages = read_quietly(write_lines(tmp_path / "mixed.json", lines))
    assert report.format == "2014" and report.parsed == 4
    assert report.relation_rows == len(relations) == 3
    assert report.dropped_relations == {"unknown_relation_key": 4}
    assert report.dropped_relation_keys == {"also_buy": 3, "also_view": 1}
    assert report.first_lines["unknown_relation_key"] == [2, 4]
    [message] = [m for m in messages if "does not read" in m]
    assert "also_buy: 3 rows (3 kept)" in message and "whole also_bought" not in message
    assert "the whole also_viewed relation kind is lost" in message
    assert_accounted(report)


def test_forced_2018_on_a_json_2014_file_counts_the_related_dict(tmp_path):
    """Bad input: a 2014 file written as JSON (a ``related`` dict) read with a forced format='2018'."""
    lines = [json.dumps({"asin": "B1", "related": {"also_bought": ["B2"], "bought_together": ["B3", "B4"]}}),
             json.dumps({"asin": "B2", "related": {"also_bought": ["B1"]}})]
    _, relations, report, messages = read_quietly(write_lines(tmp_path / "m14.json", lines), format="2018")
    assert report.parsed == 2 and relations.empty
    assert report.dropped_relation_keys == {"related.also_bought": 2, "related.bought_together": 2}
    assert report.dropped_relations == {"unknown_relation_key": 4}
    [message] = [m for m in messages if "does not read" in m]
    assert "the whole bought_together relation kind is lost" in message and "format='2014'" in message
    assert_accounted(report)


def test_an_unknown_kind_inside_related_is_counted(tmp_path):
    """Bad input: a 2014 record whose ``related`` dict holds a kind the reader does not know."""
    lines = [rec2014("B1", related={"also_bought": ["B2"], "frequently_bought": ["B3", "B4", "B5"]})]
    _, relations, report, messages = read_quietly(write_lines(tmp_path / "kind.json", lines))
    assert len(relations) == 1 and report.dropped_relation_keys == {"related.frequently_bought": 3}
    assert any("the whole frequently_bought relation kind is lost" in m for m in messages)
    assert not any("format='2018'" in m for m in messages)  # not a format mix-up: no such hint
    assert_accounted(report)


# ------------------------------------------------------------------------------ item 5: a UTF-8 byte order mark


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("fmt", ["2014", "2018"])
@pytest.mark.parametrize("forced", [False, True], ids=["auto", "forced"])
def test_utf8_bom_is_stripped_and_the_first_record_kept(tmp_path, gz, fmt, forced):
    """Bad input: a UTF-8 BOM before the first record (gzip and plain, 2014 and 2018, detected or forced)."""
    make = rec2014 if fmt == "2014" else rec2018
    path = write_lines(tmp_path / "bom.json", [make(f"B{i}") for i in range(1, 4)], gz=gz, prefix=BOM)
    products, _, report, messages = read_quietly(path, format=fmt if forced else "auto")
    assert report.format == fmt and report.parsed == 3 and not report.skipped and not messages
    assert products["asin"].tolist() == ["B1", "B2", "B3"]
    assert_accounted(report)


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_a_bom_alone_on_the_first_line_is_a_blank_line(tmp_path, gz):
    """Bad input: a file that starts with a BOM and a line break before its records."""
    path = write_lines(tmp_path / "bom_blank.json", [b"", rec2018("B1"), rec2018("B2")], gz=gz, prefix=BOM)
    _, _, report, _ = read_quietly(path)
    assert report.records_read == 2 and report.parsed == 2 and report.blank_lines == 1
    assert_accounted(report)


# ------------------------------------------------------------------------------------- item 6: deep nesting

DEEP_LINES = {
    "open [": "[" * 1500,
    "balanced [ ]": "[" * 1500 + "]" * 1500,
    "JSON { nesting": '{"a": ' * 1500,
    "mixed [ and {": '[{"a": ' * 800,
}


@pytest.mark.parametrize("fmt", ["2014", "2018"])
@pytest.mark.parametrize("deep", list(DEEP_LINES.values()), ids=list(DEEP_LINES))
def test_a_deeply_nested_first_line_is_a_counted_skip_during_detection(tmp_path, deep, fmt):
    """Bad input: a first line nested 800–1500 deep ([ and {), before good 2014 or 2018 records."""
    make = rec2014 if fmt == "2014" else rec2018
    path = write_lines(tmp_path / "deep.json", [deep, make("B1"), make("B2")])
    _, _, report, messages = read_quietly(path)
    assert report.format == fmt and report.parsed == 2
    assert report.skipped == {"too_deep": 1} and report.first_lines["too_deep"] == [1]
    assert any("too_deep" in m for m in messages)
    assert_accounted(report)
    with pytest.raises(DataFormatError, match="line 1: too_deep") as err:
        read_amazon_metadata(path, on_bad_lines="error")
    assert err.value.line == 1


@pytest.mark.parametrize("opener", ["[", '{"a": '])
@pytest.mark.parametrize("fmt", ["2014", "2018"])
def test_nesting_at_the_cap_parses_and_one_deeper_is_skipped(tmp_path, opener, fmt):
    """Bad input: a record nested MAX_DEPTH + 1 deep (via [ or {) beside one nested exactly MAX_DEPTH deep."""
    closer = "]" if opener == "[" else "}"

    def nested(asin: str, depth: int) -> str:  # the record's own braces are one level
        value = opener * (depth - 1) + "1" + closer * (depth - 1)
        return ('{"asin": "%s", "main_cat": "x", "deep": %s}' if fmt == "2018" else "{'asin': '%s', 'deep': %s}") % (
            asin, value)

    path = write_lines(tmp_path / "cap.json", [nested("B1", data.MAX_DEPTH), nested("B2", data.MAX_DEPTH + 1)])
    products, _, report, _ = read_quietly(path, format=fmt)
    assert products["asin"].tolist() == ["B1"]
    assert report.skipped == {"too_deep": 1} and report.first_lines["too_deep"] == [2]
    assert_accounted(report)


@pytest.mark.parametrize("deep", ["[" * 1500, "{'a': " * 1500, "{'a': [" * 800 + "1" + "]}" * 800],
                         ids=["open [", "Python { nesting", "closed [ and {"])
def test_parse_python_literal_refuses_deep_nesting_with_value_error(deep):
    """Bad input: a Python literal nested far deeper than any record, given straight to the line parser."""
    with pytest.raises(ValueError, match="nest more than"):
        parse_python_literal(deep)


# ------------------------------------------------------------------------------------ item 7: long lines

CAP = 200


def line_of(n_bytes: int, asin: str) -> str:
    """A valid 2014 record exactly ``n_bytes`` long (the title pads it)."""
    text = rec2014(asin, title="")
    return rec2014(asin, title="x" * (n_bytes - len(text)))


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("ending", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
@pytest.mark.parametrize("last_ending", [True, False], ids=["ended", "unended"])
def test_lines_just_under_at_and_over_max_line_bytes(tmp_path, gz, ending, last_ending):
    """Bad input: lines of CAP + 1 and 3 MB bytes between lines of CAP - 1 and CAP bytes (last line unended too)."""
    lines = [line_of(CAP, "B1"), line_of(CAP + 1, "B2"), line_of(CAP - 1, "B3"), line_of(3_000_000, "B4"),
             line_of(CAP, "B5")]
    path = write_lines(tmp_path / "long.json", lines, gz=gz, ending=ending, last_ending=last_ending)
    products, _, report, messages = read_quietly(path, format="2014", max_line_bytes=CAP)
    assert products["asin"].tolist() == ["B1", "B3", "B5"]
    assert report.skipped == {"line_too_long": 2} and report.first_lines["line_too_long"] == [2, 4]
    assert any("line_too_long" in m for m in messages)
    assert_accounted(report)
    with pytest.raises(DataFormatError, match=f"line 2: line_too_long \\({CAP + 1} bytes") as err:
        read_amazon_metadata(path, on_bad_lines="error", max_line_bytes=CAP)
    assert err.value.line == 2


@pytest.mark.parametrize("bom", [b"", BOM], ids=["no BOM", "BOM"])
def test_an_over_long_first_line_is_passed_over_by_detection_and_counted(tmp_path, bom):
    """Bad input: an over-long first line (with and without a BOM) before 2018 records, format detected."""
    path = write_lines(tmp_path / "first.json", [line_of(CAP + 50, "B0"), rec2018("B1"), rec2018("B2")], prefix=bom)
    products, _, report, _ = read_quietly(path, max_line_bytes=CAP)
    assert report.format == "2018" and products["asin"].tolist() == ["B1", "B2"]
    assert report.skipped == {"line_too_long": 1} and report.first_lines["line_too_long"] == [1]
    assert_accounted(report)


@pytest.mark.parametrize("value", [0, -1, 2.5, True])
def test_max_line_bytes_must_be_a_positive_integer(tmp_path, value):
    """Bad input: a max_line_bytes that is not a positive integer."""
    path = write_lines(tmp_path / "m.json", [rec2014("B1")])
    with pytest.raises(ValueError, match="max_line_bytes must be a positive integer"):
        read_amazon_metadata(path, max_line_bytes=value)


# Run in a fresh interpreter: reads one file and prints the report's counts, the seconds the read took and the
# peak of memory allocated during it. Old code must fail fast rather than exhaust the machine, so where
# /proc is available the address space is capped (a guard, not the measure) a little above 10x the line.
_MEASURE_ONE_READ = r"""
import json, os, resource, sys, time, tracemalloc
from recsys_tutorial.data import read_amazon_metadata

path, warm_up, guard = sys.argv[1], sys.argv[2], int(sys.argv[3])
read_amazon_metadata(warm_up)
if os.path.exists("/proc/self/status"):
    vm = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmSize:"))
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    resource.setrlimit(resource.RLIMIT_AS, (vm + guard if hard < 0 else min(vm + guard, hard), hard))
tracemalloc.start()
start = time.perf_counter()
try:
    _, _, report = read_amazon_metadata(path)
    out = {"skipped": dict(report.skipped), "first_lines": report.first_lines, "parsed": report.parsed,
           "records_read": report.records_read}
except MemoryError:
    out = {"error": "MemoryError"}
out["seconds"] = time.perf_counter() - start
out["peak"] = tracemalloc.get_traced_memory()[1]
print(json.dumps(out))
"""

LONG_BYTES = 24 * 1024 * 1024


def long_line(fmt: str) -> bytes:
    """A malformed record of about LONG_BYTES: a huge also-bought list that never closes properly."""
    if fmt == "2014":
        head, item, tail = b"{'asin': 'B0LONG', 'related': {'also_bought': [", b"'B000000001', ", b"'oops\\'"
    else:
        head, item, tail = b'{"asin": "B0LONG", "main_cat": "x", "also_buy": [', b'"B000000001", ', b"]}"
    return head + item * ((LONG_BYTES - len(head) - len(tail)) // len(item)) + tail


@pytest.mark.parametrize(("fmt", "gz"), [("2014", False), ("2018", True)], ids=["2014-plain", "2018-gzip"])
def test_a_line_over_max_line_bytes_is_rejected_fast_and_never_held_whole(tmp_path, fmt, gz):
    """Bad input: one malformed 24 MB line between two good records (read with the default max_line_bytes)."""
    make = rec2014 if fmt == "2014" else rec2018
    line = long_line(fmt)
    path = write_lines(tmp_path / "huge.json", [make("B1"), line, make("B2")], gz=gz)
    warm_up = write_lines(tmp_path / "warm.json", [make("B9")])
    env = {**os.environ, "PYTHONPATH": str(Path(recsys_tutorial.__file__).parents[1])}
    done = subprocess.run([sys.executable, "-c", _MEASURE_ONE_READ, str(path), str(warm_up), str(12 * len(line))],
                          capture_output=True, text=True, timeout=120, env=env, check=True)
    result = json.loads(done.stdout.splitlines()[-1])
    assert result.get("skipped") == {"line_too_long": 1} and result["first_lines"]["line_too_long"] == [2]
    assert result["records_read"] == result["parsed"] + 1 == 3
    assert result["peak"] <= 10 * len(line)
    assert result["peak"] < len(line)  # passed over in chunks: the line was never in memory whole
    assert result["seconds"] < 2.0


# --------------------------------------------------------- the warning convention for a damaged gzip stream


def gzip_records(n: int) -> bytes:
    """A gzip file of n small 2014 records."""
    return gzip.compress(("\n".join(rec2014(f"B{i:09d}") for i in range(n)) + "\n").encode(), mtime=0)


def test_a_truncated_gzip_is_a_data_warning_that_says_it_ends_early(tmp_path):
    """Bad input: a gzip file cut in half."""
    full = gzip_records(3000)
    path = tmp_path / "cut.json.gz"
    path.write_bytes(full[: len(full) // 2])
    with pytest.warns(DataWarning, match=r"ends early after [\d,]+ records \(truncated") as caught:
        _, _, report = read_amazon_metadata(path)
    assert report.truncated and not report.corrupt
    assert any("the rest of the file is missing" in str(w.message) for w in caught)
    assert_accounted(report)


BAD_DEFLATE = bytes([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF, 0x07])  # a gzip member whose block type is invalid


@pytest.mark.parametrize(
    ("damage", "detail"),
    [
        (lambda b: b[:-8] + bytes([b[-8] ^ 0xFF]) + b[-7:], "CRC check failed"),
        (lambda b: b[:-1] + bytes([b[-1] ^ 0x01]), "Incorrect length"),
        (lambda b: b + BAD_DEFLATE, "invalid block type"),
    ],
    ids=["CRC mismatch", "length mismatch", "bad compressed data"],
)
def test_a_corrupt_gzip_is_called_corrupt_not_missing(tmp_path, damage, detail):
    """Bad input: a gzip file with a wrong CRC, a wrong length, or an invalid compressed block after a good one."""
    path = tmp_path / "corrupt.json.gz"
    path.write_bytes(damage(gzip_records(500)))
    _, _, report, messages = read_quietly(path)
    [message] = [m for m in messages if "compressed stream" in m]
    assert report.corrupt and not report.truncated
    assert "corrupt" in message and detail in message and "missing" not in message
    assert report.parsed == 500
    assert_accounted(report)
    with pytest.raises(DataFormatError, match="compressed stream is corrupt"):
        read_amazon_metadata(path, on_bad_lines="error")


@pytest.mark.parametrize("forced", [None, "2014"])
def test_gzip_magic_followed_by_junk_is_corrupt_not_empty(tmp_path, forced):
    """Bad input: the two gzip magic bytes and then garbage — a corrupt file, not an empty one."""
    path = tmp_path / "junk.json.gz"
    path.write_bytes(b"\x1f\x8b" + bytes(range(256)) * 4)
    with pytest.raises(data.DataFormatError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        data.read_amazon_metadata(path, format=forced) if forced else data.read_amazon_metadata(path)
    assert "empty" not in str(info.value) and "corrupt" in str(info.value)


def test_a_long_line_that_needs_literal_eval_is_a_counted_skip_not_80x_its_size(tmp_path):
    """Bad input: a 2014 line over MAX_LITERAL_EVAL_BYTES that only ast.literal_eval reads (a bare None)."""
    slow = "{'asin': 'B1', 'price': None, 'title': '" + "x" * (data.MAX_LITERAL_EVAL_BYTES + 10) + "'}"
    fast = "{'asin': 'B2', 'title': 'it\\'s " + "y" * (data.MAX_LITERAL_EVAL_BYTES + 10) + "', 'categories': [['A']]}"
    small = "{'asin': 'B3', 'price': None, 'title': 'short', 'categories': [['A']]}"
    path = tmp_path / "meta.json"
    path.write_text("\n".join([small, slow, fast]) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        products, _, report = read_amazon_metadata(path)
    assert sorted(products["asin"]) == ["B2", "B3"]  # a long line with escapes still takes the fast path
    assert report.skipped == {"too_long_for_literal_parser": 1} and report.first_lines[
        "too_long_for_literal_parser"] == [2]
    assert report.slow_path == 1  # only the short line with None needed literal_eval
    assert report.records_read == report.parsed + report.n_skipped


@pytest.mark.parametrize("malformed", [False, True])
def test_a_long_line_with_escapes_costs_at_most_10x_its_size(malformed):
    """Bad input: a 3.5 MB 2014 line full of escapes (and the same line cut short): read in at most 10× its size."""
    import tracemalloc

    from recsys_tutorial.data import _literal

    line = "{'asin': 'B1', 'title': '" + "it\\'s \\u00e9\\n " * 250_000 + "', 'categories': [['A']]}"
    line = line[:-1] if malformed else line
    tracemalloc.start()
    try:
        record = _literal(line)[0]
    except ValueError:
        record = None
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert (record is None) == malformed
    assert peak <= 10 * len(line.encode()), f"peak {peak / 2**20:.1f} MB for a {len(line) / 2**20:.1f} MB line"
