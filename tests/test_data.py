"""The metadata reader: both formats, every kind of bad input, and round trips."""

from __future__ import annotations

import gzip
import json
import math
import string

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recsys_tutorial.data import (
    DataFormatError,
    describe_dataset,
    load_tables,
    parse_python_literal,
    read_amazon_metadata,
    save_tables,
)
from recsys_tutorial.edges import build_edges

GOOD = {
    "asin": "B000000001",
    "title": "Zentek Compact Speaker",
    "price": 19.99,
    "related": {"also_bought": ["B000000002", "B000000003"], "also_viewed": ["B000000004"],
                "bought_together": ["B000000002"]},
    "salesRank": {"Electronics": 1234},
    "brand": "Zentek",
    "categories": [["Electronics", "Home Audio", "Speakers", "Compact Speakers"], ["Electronics", "Other"]],
}


def write_lines(path, lines, gz=False):
    data = b"".join((line if isinstance(line, bytes) else line.encode()) + b"\n" for line in lines)
    if gz:
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


def record(**changes):
    rec = dict(GOOD)
    rec.update(changes)
    return {k: v for k, v in rec.items() if v is not None}


def assert_accounted(report):
    assert report.records_read == report.parsed + sum(report.skipped.values())


# ---------------------------------------------------------------------------------------------- 2014


def test_reads_a_2014_record_with_every_field(tmp_path):
    path = write_lines(tmp_path / "m.json", [repr(GOOD)])
    products, relations, report = read_amazon_metadata(path)
    assert report.format == "2014" and report.parsed == 1
    row = products.iloc[0]
    assert row["asin"] == "B000000001" and row["title"] == "Zentek Compact Speaker"
    assert row["price"] == 19.99 and row["brand"] == "Zentek" and row["sales_rank"] == 1234
    assert [row[f"category_lvl_{i}"] for i in range(1, 5)] == ["Electronics", "Home Audio", "Speakers",
                                                               "Compact Speakers"]
    rel = relations.astype(str).values.tolist()
    assert rel == [["B000000001", "B000000002", "also_bought"], ["B000000001", "B000000003", "also_bought"],
                   ["B000000001", "B000000004", "also_viewed"], ["B000000001", "B000000002", "bought_together"]]
    assert list(relations["relation"].cat.categories) == ["also_bought", "also_viewed", "bought_together",
                                                          "buy_after_viewing"]


def test_gzip_and_plain_files_read_the_same(tmp_path):
    lines = [repr(record(asin=f"B00000000{i}")) for i in range(5)]
    a = read_amazon_metadata(write_lines(tmp_path / "a.json", lines))
    b = read_amazon_metadata(write_lines(tmp_path / "b.json.gz", lines, gz=True))
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])


def test_titles_with_quotes_and_escapes_parse_like_python_without_literal_eval(tmp_path):
    titles = ["Kid's Headphones", 'The "Pro" Cable', "Both ' and \" quotes", "Tab\tand back\\slash", "Café ünïcode"]
    lines = [repr(record(asin=f"B00000000{i}", title=t)) for i, t in enumerate(titles)]
    products, _, report = read_amazon_metadata(write_lines(tmp_path / "m.json", lines))
    assert products["title"].tolist() == titles
    assert report.parsed == 5 and report.slow_path == 0  # escapes are decoded by the fast path


ESCAPE_PIECES = [
    'a', 'é', '😀', '\\é', '\\\\é', '\\\\\\\\é', '"', ' ', '\\n', '\\t', "\\'", '\\"', '\\\\', '\\x41',
    '\\xe9', '\\u00e9', '\\U0001F600', '\\N{BULLET}', '\\101', '\\0', '\\7', '\\777', '\\[', '\\q',
    '\\N{NO SUCH NAME}', '\\U00110000', '\\x4', '\\u12'
]


@given(st.lists(st.sampled_from(ESCAPE_PIECES), max_size=12), st.text(max_size=20))
@settings(max_examples=300, deadline=None)
def test_string_escapes_decode_exactly_as_pythons_parser(pieces, text):
    """The fast path's escape decoding against ast.literal_eval, the reference, on single- and double-quoted
    strings: the same value, or an error from both."""
    import ast
    import warnings

    from recsys_tutorial.data import _literal

    body = "".join(pieces)
    for line in (f"{{'asin': 'B1', 'title': '{body}'}}", f'{{"asin": "B1", "t": "{body.replace(chr(34), "")}"}}',
                 repr({"asin": "B1", "title": text + body})):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                expected = ast.literal_eval(line)
            except (SyntaxError, ValueError):
                expected = None
        try:
            got = _literal(line)[0]
        except (SyntaxError, ValueError):
            got = None
        assert got == expected, line


# ---------------------------------------------------------------------------------------------- 2018


def test_reads_2018_json_lines_and_maps_relation_names(tmp_path):
    rec = {"asin": "B1", "title": "Cable &amp; Adapter", "also_buy": ["B2", "B3"], "also_view": ["B4"],
           "category": ["Electronics", "Computers &amp; Accessories", "Cables"], "brand": "",
           "price": "$1,009.99", "rank": "1,234 in Electronics (", "main_cat": "Electronics"}
    path = write_lines(tmp_path / "m18.json", [json.dumps(rec), json.dumps({**rec, "asin": "B9", "price": "NaN"})])
    products, relations, report = read_amazon_metadata(path)
    assert report.format == "2018"
    row = products.iloc[0]
    assert row["title"] == "Cable & Adapter" and row["category_lvl_2"] == "Computers & Accessories"
    assert pd.isna(row["brand"]) and row["price"] == 1009.99 and row["sales_rank"] == 1234
    assert pd.isna(row["category_lvl_4"])
    assert relations["relation"].astype(str).tolist()[:3] == ["also_bought", "also_bought", "also_viewed"]
    assert report.price_invalid == 1 and pd.isna(products.iloc[1]["price"])


def test_2018_duplicate_asins_are_dropped_and_counted(tmp_path):
    rec = {"asin": "B1", "title": "A", "also_buy": ["B2", "B3"], "category": ["Electronics"]}
    path = write_lines(tmp_path / "d.json", [json.dumps(rec), json.dumps({**rec, "title": "B"}), json.dumps(rec)])
    products, relations, report = read_amazon_metadata(path)
    assert len(products) == 1 and products.iloc[0]["title"] == "A"
    assert report.duplicates == 2 and report.skipped["duplicate_asin"] == 2
    assert report.first_lines["duplicate_asin"] == [2, 3]
    assert len(relations) == 2
    assert_accounted(report)


def test_explicit_format_overrides_detection(tmp_path):
    path = write_lines(tmp_path / "m.json", [repr(GOOD)])
    with pytest.raises(DataFormatError, match="line 1: unparsable"):
        read_amazon_metadata(path, format="2018", on_bad_lines="error")
    with pytest.raises(ValueError, match="format must be"):
        read_amazon_metadata(path, format="2016")


# ------------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"this is not a record", "unparsable"),
        (b"{'asin': __import__('os').system('touch PWNED')}", "unparsable"),
        (b"['B1', 'B2']", "not_a_record"),
        (repr(record(asin=None)).encode(), "missing_asin"),
        (repr(record(related=["B2"])).encode(), "bad_related"),
        (repr(record(related={"also_bought": "B2"})).encode(), "bad_related"),
        (b"{'asin': 'B\xff\xfe'}", "not_utf8"),
    ],
)
def test_bad_lines_are_skipped_with_reason_and_line_number(tmp_path, line, reason):
    good = [repr(record(asin=f"B00000000{i}")).encode() for i in range(3)]
    path = write_lines(tmp_path / "m.json", [good[0], good[1], line, good[2]])
    products, _, report = read_amazon_metadata(path)
    assert report.skipped == {reason: 1} and report.first_lines[reason] == [3]
    assert len(products) == 3
    assert_accounted(report)
    with pytest.raises(DataFormatError) as err:
        read_amazon_metadata(path, on_bad_lines="error")
    assert err.value.line == 3 and reason in str(err.value) and str(path) in str(err.value)


def test_a_call_inside_a_line_is_never_executed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_lines(tmp_path / "m.json", [repr(GOOD), "{'asin': __import__('os').system('touch PWNED')}"])
    read_amazon_metadata(path)
    assert not (tmp_path / "PWNED").exists()
    with pytest.raises(ValueError):
        parse_python_literal("__import__('os').system('touch PWNED')")
    assert not (tmp_path / "PWNED").exists()


def test_truncated_gzip_keeps_what_was_read_and_says_so(tmp_path, caplog):
    lines = [repr(record(asin=f"B{i:09d}", title="x" * 200)) for i in range(2000)]
    full = gzip.compress(("\n".join(lines) + "\n").encode())
    path = tmp_path / "cut.json.gz"
    path.write_bytes(full[: len(full) // 2])
    products, _, report = read_amazon_metadata(path)
    assert report.truncated and 0 < report.records_read < 2000
    assert len(products) == report.parsed
    assert "ends early after" in caplog.text
    with pytest.raises(DataFormatError, match=r"ends early after [\d,]+ records"):
        read_amazon_metadata(path, on_bad_lines="error")


def test_empty_and_unknown_files_are_clear_errors(tmp_path):
    empty = write_lines(tmp_path / "empty.json", [])
    with pytest.raises(DataFormatError, match="empty"):
        read_amazon_metadata(empty)
    with pytest.raises(DataFormatError, match="empty"):
        read_amazon_metadata(empty, format="2014")
    unknown = write_lines(tmp_path / "unknown.txt", ["hello world", "asin,title", "1,2"])
    with pytest.raises(DataFormatError, match="unknown format"):
        read_amazon_metadata(unknown)
    only_bad = write_lines(tmp_path / "bad.json", ["{'title': 'no asin'}"])
    with pytest.raises(DataFormatError, match="no record could be parsed"):
        read_amazon_metadata(only_bad)
    with pytest.raises(FileNotFoundError):
        read_amazon_metadata(tmp_path / "missing.json")


def test_invalid_prices_become_missing_and_are_counted(tmp_path):
    lines = [repr(record(asin="B1", price=-5.0)), repr(record(asin="B2", price="cheap")),
             repr(record(asin="B3", price=7)), repr(record(asin="B4", price=None))]
    products, _, report = read_amazon_metadata(write_lines(tmp_path / "p.json", lines))
    assert products["price"].isna().tolist() == [True, True, False, True]
    assert report.price_invalid == 2 and report.parsed == 4


def test_products_without_relations_are_kept_and_counted(tmp_path):
    lines = [repr(record(asin="B1", related=None)), repr(record(asin="B2", related={})), repr(GOOD)]
    products, relations, report = read_amazon_metadata(write_lines(tmp_path / "n.json", lines))
    assert len(products) == 3 and report.no_relations == 2
    assert set(relations["asin"].astype(str)) == {"B000000001"}


def test_blank_lines_are_not_records(tmp_path):
    _products, _, report = read_amazon_metadata(write_lines(tmp_path / "b.json", ["", repr(GOOD), "   "]))
    assert report.records_read == 1 and report.blank_lines == 2


# ----------------------------------------------------------------------------------------- properties

asin_st = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=10, max_size=10)
text_st = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\n\r\x0b\x0c\x1c\x1d"
                                         "\x1e\x85\u2028\u2029"), min_size=1, max_size=40)
literal_st = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False) | text_st,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text_st, inner, max_size=4),
    max_leaves=12,
)


@given(literal_st)
@settings(max_examples=300, deadline=None)
def test_fast_literal_parser_equals_literal_eval(value):
    import ast

    text = repr(value)  # inf and -inf have no literal form: both parsers must refuse them

    def outcome(parse):
        try:
            result = parse(text)
        except (ValueError, SyntaxError):
            return "rejected"
        return type(result).__name__, repr(result)

    assert outcome(parse_python_literal) == outcome(ast.literal_eval)


@given(st.text(alphabet="{}[]:,'\"\\ -+.0123456789eEaTrueNon\t", max_size=40))
@settings(max_examples=500, deadline=None)
def test_fast_literal_parser_agrees_with_literal_eval_on_garbage(text):
    import ast
    import warnings

    def outcome(parse):
        try:
            with warnings.catch_warnings():  # the oracle warns on invalid escapes ("\ "), as our fallback would
                warnings.simplefilter("ignore")
                result = parse(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return "rejected"
        return type(result).__name__, repr(result)

    assert outcome(parse_python_literal) == outcome(ast.literal_eval)


@st.composite
def catalogue(draw):
    asins = draw(st.lists(asin_st, min_size=1, max_size=8, unique=True))
    records = []
    for asin in asins:
        rec = {"asin": asin, "title": draw(text_st).strip() or "t"}
        if draw(st.booleans()):
            rec["price"] = draw(st.floats(0, 1e4, allow_nan=False).map(lambda x: round(x, 2)))
        rec["related"] = {name: draw(st.lists(asin_st, max_size=5)) for name in
                          draw(st.sets(st.sampled_from(["also_bought", "also_viewed", "bought_together"])))}
        if draw(st.booleans()):
            rec["brand"] = draw(text_st).strip() or "b"
        rec["categories"] = [draw(st.lists(text_st.map(lambda s: s.strip() or "c"), min_size=1, max_size=5))]
        records.append(rec)
    return records


@given(catalogue(), st.sampled_from(["2014", "2018"]))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_records_written_are_read_back_equal(tmp_path, records, fmt):
    import html

    path = tmp_path / f"rt_{fmt}.json"
    if fmt == "2014":
        lines = [repr(r) for r in records]
    else:
        lines = [json.dumps({"asin": r["asin"], "title": r["title"], "price": f"${r['price']:.2f}" if "price" in r
                             else "", "also_buy": r["related"].get("also_bought", []),
                             "also_view": r["related"].get("also_viewed", []), "brand": r.get("brand", ""),
                             "category": r["categories"][0]}) for r in records]
    write_lines(path, lines)
    products, relations, report = read_amazon_metadata(path, format=fmt)
    assert report.parsed == len(records) and not report.skipped
    for rec, (_, row) in zip(records, products.iterrows(), strict=True):
        assert row["asin"] == rec["asin"]
        assert row["title"] == (html.unescape(rec["title"]).strip() or None)
        if "price" in rec:
            assert math.isclose(row["price"], rec["price"], abs_tol=0.006)
        levels = [html.unescape(c).strip() for c in rec["categories"][0]]
        levels = ([c for c in levels if c] + [None] * 4)[:4]
        assert [None if pd.isna(row[f"category_lvl_{i}"]) else row[f"category_lvl_{i}"] for i in range(1, 5)] == levels
    names = ["also_bought", "also_viewed", "bought_together"] if fmt == "2014" else ["also_bought", "also_viewed"]
    expected = [(r["asin"], other, name) for r in records for name in names if name in r["related"]
                for other in r["related"][name]]
    got = list(zip(relations["asin"].astype(str), relations["related"].astype(str),
                   relations["relation"].astype(str), strict=True))
    assert sorted(got) == sorted(expected)


# ------------------------------------------------------------------------------ tables and statistics


def test_tables_round_trip_through_parquet(tmp_path, ci_tables):
    products, relations, _ = ci_tables
    paths = save_tables(products, relations, tmp_path / "tables")
    assert all(p.exists() for p in paths.values())
    assert not list((tmp_path / "tables").glob(".*"))  # no temporary files left behind
    p2, r2 = load_tables(tmp_path / "tables")
    pd.testing.assert_frame_equal(products, p2, check_dtype=False)
    e1, v1 = build_edges(products, relations)
    e2, v2 = build_edges(p2, r2)
    pd.testing.assert_frame_equal(e1, e2)
    assert v1.equals(v2)


def test_synthetic_data_is_deterministic(tmp_path):
    from recsys_tutorial.data import make_synthetic_amazon

    a = make_synthetic_amazon(tmp_path / "a.json.gz", 500, seed=3)
    b = make_synthetic_amazon(tmp_path / "b.json.gz", 500, seed=3)
    c = make_synthetic_amazon(tmp_path / "c.json.gz", 500, seed=4)
    assert gzip.decompress(a.read_bytes()) == gzip.decompress(b.read_bytes())
    assert gzip.decompress(a.read_bytes()) != gzip.decompress(c.read_bytes())


def test_synthetic_ci_data_matches_the_electronics_statistics(ci_tables, ci_edges):
    products, relations, _ = ci_tables
    edges, vocab = ci_edges
    stats = describe_dataset(products, relations, edges, vocab).set_index("statistic")
    assert abs(stats.loc["graph nodes", "value"] - 2000) <= 0.25 * 2000
    checked = stats.dropna(subset=["electronics_2014"])
    assert len(checked) == 8
    for name, row in checked.iterrows():
        assert abs(row["value"] - row["electronics_2014"]) <= 0.25 * row["electronics_2014"], name
    assert stats.loc["max degree", "value"] > 8 * stats.loc["mean degree (2E/N)", "value"]  # heavy tail
    assert np.isclose(stats.loc["catalogued products with 4 category levels", "value"], 0.9, atol=0.05)


def test_synthetic_tables_equal_what_the_reader_gets_from_the_file(ci_metadata, ci_tables):
    from recsys_tutorial.synthetic import synthetic_tables

    products, relations, _ = ci_tables
    p2, r2 = synthetic_tables(2000, seed=7)
    by_asin = lambda f: f.sort_values("asin").reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(by_asin(products), by_asin(p2), check_dtype=False)
    e1, v1 = build_edges(products, relations)
    e2, v2 = build_edges(p2, r2)
    pd.testing.assert_frame_equal(e1, e2)
    assert v1.equals(v2)
