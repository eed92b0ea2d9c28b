"""Bad input to the graph entry points gets a clear error, a counted drop or a DataWarning, never a silent wrong result.

One section per entry point: the edge-list reader, build_edges, train_val_split, ProductGraph.from_edges,
random_walks and the node2vec-protocol command line. Each test's docstring names the bad input.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from recsys_tutorial import evaluate as ev
from recsys_tutorial.data import RELATIONS
from recsys_tutorial.edges import build_edges
from recsys_tutorial.split import train_val_split
from recsys_tutorial.walks import ProductGraph, random_walks

PACKAGE_ROOT = Path(ev.__file__).resolve().parents[1]  # the subprocesses import the same code as this process


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def assert_records_add_up(report: ev.EdgeListReport) -> None:
    """Every line read is kept as an edge or counted as a comment, self-loop or duplicate."""
    assert report.lines == report.comments + report.self_loops + report.duplicates + report.edges


# ------------------------------------------------------------------------------------------ edge-list reader


@pytest.mark.parametrize("lines", [["\ufeff0 1", "1 2", "2 0", "0 1"], ["\ufeff# header", "0 1", "1 1", "1 2"]],
                         ids=["bom-before-an-edge", "bom-before-a-comment"])
def test_reader_strips_a_utf8_bom(tmp_path, lines):
    """A UTF-8 BOM at the start of the file: no node named '\\ufeff0', and a commented first line stays a comment."""
    _, nodes, report = ev.read_edge_list(write_lines(tmp_path / "bom.txt", lines))
    assert list(nodes) == ["0", "1", "2"]
    assert report.comments == lines[0].count("#")
    assert_records_add_up(report)


@pytest.mark.parametrize(("content", "line"), [
    ("a b\nb c\nc \xe9t\xe9\n".encode("latin-1"), 3),   # Latin-1 accents
    ("a b\n\u201cb\u201d c\n".encode("cp1252"), 2),     # Windows smart quotes
    ("a b\nb c\n".encode("utf-16"), 1),                  # UTF-16 with its own BOM
], ids=["latin-1", "cp1252", "utf-16"])
def test_reader_names_file_and_line_of_non_utf8_text(tmp_path, content, line):
    """A file that is not UTF-8: a ValueError naming the file and the first undecodable line."""
    path = tmp_path / "legacy.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=rf"legacy\.txt, line {line}: not UTF-8"):
        ev.read_edge_list(path)


@pytest.mark.parametrize("weight", ["1e-50", "1e-40", "1e40", "3.5e38"])
def test_reader_rejects_weights_float32_cannot_hold(tmp_path, weight):
    """A weight that underflows (1e-50; 1e-40 is subnormal) or overflows (1e40) float32: an error naming the line."""
    path = write_lines(tmp_path / "w.txt", ["0 1 1", f"1 2 {weight}", "2 0 1"])
    with pytest.raises(ValueError, match=rf"line 2: weight '{weight}' is out of range: .*float32"):
        ev.read_edge_list(path)


def test_reader_rejects_a_node_whose_weights_sum_beyond_float32(tmp_path):
    """Two weights of 3e38 at one node: each fits float32, their sum (the walks' row total) does not."""
    path = write_lines(tmp_path / "w.txt", ["a b 3e38", "b c 3e38", "c a 1"])
    with pytest.raises(ValueError, match=r"node 'b' has weights summing to 6e\+38"):
        ev.read_edge_list(path)


# ------------------------------------------------------------------------------------------------ build_edges


def tables(titles: dict[str, str | None], rows: list[tuple[str, str, str]], extra_products: tuple[str, ...] = ()):
    """Products (asin, title) and relation rows as read_amazon_metadata returns them; ``extra_products`` have a
    title but appear in no relation (so they are not categories of the relation columns)."""
    asins = sorted({a for a, _, _ in rows} | {b for _, b, _ in rows} | set(titles))
    names = [*titles, *extra_products]
    products = pd.DataFrame({"asin": pd.array(names, dtype="string"),
                             "title": pd.array([*titles.values(), *(["t"] * len(extra_products))], dtype="string")})
    dtype = pd.CategoricalDtype(pd.Index(asins, dtype="string"))
    relations = pd.DataFrame({"asin": pd.Categorical([a for a, _, _ in rows], dtype=dtype),
                              "related": pd.Categorical([b for _, b, _ in rows], dtype=dtype),
                              "relation": pd.Categorical([r for *_, r in rows], categories=list(RELATIONS))})
    return products, relations


SQUARE = [("A", "B", "also_bought"), ("A", "C", "also_bought"), ("B", "C", "also_bought"),
          ("B", "D", "also_bought"), ("C", "D", "also_bought"), ("C", "A", "bought_together")]


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, -1.0])
def test_build_edges_rejects_non_finite_or_negative_relation_weights(value):
    """A NaN, infinite or negative relation weight: a ValueError naming the relation (NaN rows vanished uncounted)."""
    products, relations = tables({"A": "a", "B": "b", "C": "c"}, SQUARE)
    with pytest.raises(ValueError, match="relation weight also_bought="):
        build_edges(products, relations, weights={"also_bought": value, "bought_together": 1.2})


@pytest.mark.parametrize("weights", [{"also_bought": 1e-50}, {"also_bought": 1e40},
                                     {"also_bought": 3e38, "bought_together": 3e38}],
                         ids=["underflow", "overflow", "sum-overflows"])
def test_build_edges_rejects_weights_float32_cannot_hold(weights):
    """Relation weights that become 0 or inf as float32 (1e-50, 1e40), or whose per-pair sum overflows it."""
    products, relations = tables({"A": "a", "B": "b", "C": "c"}, SQUARE)
    with pytest.raises(ValueError, match="float32"):
        build_edges(products, relations, weights=weights)


SPARSE = [r for r in SQUARE if r[:2] not in {("A", "C"), ("B", "D")}]  # one also_bought per source
MANY = [(f"S{i:02}", f"{x}{i:02}", "also_bought") for i in range(40) for x in "XY"]  # 40 sources, 2 rows each


@pytest.mark.parametrize(("titles", "rows", "kept", "switch"), [
    ({"A": None, "B": None, "C": None}, SQUARE, 0, "require_title=False"),
    ({f"S{i:02}": "s" if i == 0 else None for i in range(40)}, MANY, 2, "require_title=False"),
    ({"A": "a", "B": "b", "C": "c"}, SPARSE, 0, "min_also_bought=0"),
], ids=["no-titles", "one-title-in-40", "too-few-also-bought"])
def test_build_edges_warns_when_a_filter_removes_nearly_everything(titles, rows, kept, switch):
    """Sources without titles (2018 extracts) or with < 2 also_bought: (nearly) no edges, a DataWarning naming the
    switch that keeps them."""
    from recsys_tutorial.errors import DataWarning

    products, relations = tables(titles, rows)
    with pytest.warns(DataWarning, match=f"kept {kept} edges .*pass {switch}"):
        edges, _ = build_edges(products, relations)
    assert len(edges) == kept
    report = edges.attrs["report"]
    assert report["relation_rows"] == (report["rows_unweighted_relation"] + report["rows_from_filtered_sources"]
                                       + report["self_pairs_dropped"] + report["rows_used"])
    off = {"require_title=False": {"require_title": False}, "min_also_bought=0": {"min_also_bought": 0}}[switch]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        edges, _ = build_edges(products, relations, **off)  # the named switch keeps the rows, and no warning
    assert len(edges) > kept


def test_build_edges_does_not_give_an_untitled_source_the_title_of_a_product_without_relations():
    """A products table listing a titled product that has no relation rows (code -1 marked the last ASIN titled)."""
    products, relations = tables({"A": "a", "B": None}, [("A", "B", "also_bought"), ("A", "B", "also_viewed"),
                                                         ("B", "A", "also_bought"), ("B", "A", "also_viewed")],
                                 extra_products=("Z",))
    edges, _ = build_edges(products, relations, min_also_bought=0)
    assert edges.attrs["report"]["sources_without_title"] == 1
    assert edges["weight"].tolist() == [1.5]  # A's rows only; untitled B's are filtered


# ------------------------------------------------------------------------------------------------ train_val_split


@pytest.mark.parametrize("column", ["src", "dst"])
@pytest.mark.parametrize("bad", [np.nan, -1, 1.5, 10], ids=["nan", "negative", "fractional", "num_nodes"])
def test_split_rejects_bad_ids_naming_column_and_row(bad, column):
    """NaN, negative, fractional or ≥ num_nodes ids: a ValueError naming the column and the first bad row, any seed."""
    edges = pd.DataFrame({"src": np.arange(9.0), "dst": np.arange(1.0, 10.0), "weight": 1.0})
    edges.loc[3, column] = bad
    edges.loc[5, column] = bad
    for seed in range(3):
        with pytest.raises(ValueError, match=rf"ids must lie in \[0, 10\) and be integers: edges\['{column}'\] row 3"):
            train_val_split(edges, seed=seed, num_nodes=10)


@pytest.mark.parametrize(("num_edges", "val_frac"), [(2, 0.33), (3, 0.33), (50, 0.01)])
def test_split_says_when_no_edge_is_held_out(num_edges, val_frac):
    """A graph of 2–3 edges, or a val_frac so small that no edge is held out: a sentence, not 'high <= 0'."""
    path = pd.DataFrame({"src": np.arange(num_edges), "dst": np.arange(1, num_edges + 1), "weight": 1.0})
    with pytest.raises(ValueError, match=f"holds out no edge of {num_edges}.*use a larger val_frac"):
        train_val_split(path, val_frac=val_frac)


# ------------------------------------------------------------------------------------------ ProductGraph.from_edges


@pytest.mark.parametrize("src", [
    [0.5, 1.0], ["0", "1"], [np.nan, 1.0], pd.array([pd.NA, 1], dtype="Int64"), [True, False],
], ids=["fractional", "strings", "nan", "nullable-NA", "booleans"])
def test_from_edges_says_ids_must_be_integers(src):
    """Float, string, missing or boolean ids: one sentence saying ids must be integers in [0, n)."""
    edges = pd.DataFrame({"src": src, "dst": [2, 2], "weight": [1.0, 1.0]})
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 3\) and be integers: edges\['src'\]"):
        ProductGraph.from_edges(edges, 3)


def test_from_edges_accepts_integral_float_ids():
    """Integral float ids (2.0, as a column that once held NaN becomes): the same graph as integer ids."""
    as_float = ProductGraph.from_edges(pd.DataFrame({"src": [0.0, 1.0], "dst": [1.0, 2.0], "weight": 1.0}), 3)
    as_int = ProductGraph.from_edges(pd.DataFrame({"src": [0, 1], "dst": [1, 2], "weight": 1.0}), 3)
    np.testing.assert_array_equal(as_float.indices, as_int.indices)
    np.testing.assert_array_equal(as_float.indptr, as_int.indptr)


@pytest.mark.parametrize(("weights", "message"), [
    ([1.0, 1e-50, 1.0], r"edge row 1 \(1, 2\) has weight 1e-50"),
    ([1.0, 1e-40, 1.0], r"edge row 1 \(1, 2\) has weight 1e-40"),
    ([1.0, 1e40, 1.0], r"edge row 1 \(1, 2\) has weight 1e\+40"),
    ([3e38, 3e38, 1.0], r"node 1 has weights summing to 6e\+38"),
], ids=["underflow", "subnormal", "overflow", "node-sum-overflows"])
def test_from_edges_rejects_weights_float32_cannot_hold(weights, message):
    """Weights that become 0 or inf as float32 (or whose row sum does): walks would bounce back and forth."""
    edges = pd.DataFrame({"src": [0, 1, 2], "dst": [1, 2, 3], "weight": weights})
    with pytest.raises(ValueError, match=message + ".*float32"):
        ProductGraph.from_edges(edges, 4)


# ------------------------------------------------------------------------------------------------ random_walks


BAD_WALK_ARGUMENTS = [("p", np.nan), ("q", np.nan), ("p", np.inf), ("q", -np.inf), ("seed", -1), ("seed", 1.5),
                      ("chunk_size", 0), ("num_walks", 2.0), ("walk_length", 3.0)]


@pytest.mark.parametrize(("name", "value"), BAD_WALK_ARGUMENTS, ids=[f"{n}={v}" for n, v in BAD_WALK_ARGUMENTS])
def test_random_walks_rejects_bad_arguments_clearly(name, value):
    """p or q NaN/inf, a negative or float seed, chunk_size 0, a float num_walks or walk_length: a clear ValueError."""
    graph = ProductGraph.from_edges(pd.DataFrame({"src": [0, 1], "dst": [1, 2], "weight": 1.0}), 3)
    message = "p and q must be positive and finite" if name in "pq" else f"{name} must be an integer, at least"
    with pytest.raises(ValueError, match=message):
        random_walks(graph, **{"num_walks": 1, "walk_length": 3, "progress": False, name: value})


# ------------------------------------------------------------------------------------------ node2vec-protocol CLI

SMALL = ["--dim", "4", "--walks", "2", "--length", "6", "--window", "2"]


@pytest.fixture()
def karate_file(tmp_path) -> Path:
    return write_lines(tmp_path / "karate.txt", [f"{u} {v}" for u, v in nx.karate_club_graph().edges()])


def refusing(function):
    """A stand-in for ``function`` (same name and docstring) that fails the test if the command calls it."""

    @functools.wraps(function)
    def refuse(*args, **kwargs):
        raise AssertionError(f"the command called {function.__name__} before rejecting its input")

    return refuse


@pytest.fixture()
def no_work(monkeypatch):
    """Fail the test if the command starts the protocol (usage errors come before any work)."""
    monkeypatch.setattr(ev, "node2vec_protocol", refusing(ev.node2vec_protocol))


@pytest.mark.parametrize("option", [["--window", "0"], ["--p", "-1"], ["--p", "nan"], ["--q", "inf"], ["--dim", "0"],
                                    ["--walks", "0"], ["--length", "1"], ["--seed", "-1"], ["--workers", "0"]],
                         ids=lambda o: " ".join(o))
def test_cli_rejects_bad_options_before_any_work(karate_file, no_work, monkeypatch, capsys, option):
    """--window 0 (SIGFPE in gensim), --p -1, --p nan, --q inf, --dim 0, --walks 0, --length 1, --seed -1,
    --workers 0: a usage error (exit 2) naming the option, before the file is even read."""
    monkeypatch.setattr(ev, "read_edge_list", refusing(ev.read_edge_list))
    with pytest.raises(SystemExit) as exit_info:
        ev.main(["node2vec-protocol", str(karate_file), *option])
    assert exit_info.value.code == 2
    assert f"argument {option[0]}: must be" in capsys.readouterr().err


@pytest.mark.parametrize(("lines", "message"), [
    (["a b", "b c", "b d", "d e"], "no edge can be held out"),           # a tree
    (["a b", "c d", "e f"], "no edge can be held out"),                  # a forest of single edges
    (["a b", "b c", "c a"], "too dense"),                                # a triangle
    (["a b", "b c", "c a", "a d", "b d", "c d"], "too dense"),           # K4
], ids=["tree", "forest", "triangle", "K4"])
def test_cli_refuses_graphs_the_protocol_cannot_split(tmp_path, no_work, capsys, lines, message):
    """A tree or forest (nothing removable while staying connected), a triangle or K4 (no negatives): exit 2."""
    path = write_lines(tmp_path / "g.txt", lines)
    with pytest.raises(SystemExit) as exit_info:
        ev.main(["node2vec-protocol", str(path), *SMALL])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(("graph", "held_out", "edges"), [
    (nx.cycle_graph(6), 1, 6),
    (nx.disjoint_union(nx.cycle_graph(4), nx.cycle_graph(5)), 2, 9),
], ids=["cycle", "two-cycles"])
def test_cli_warns_when_less_than_half_is_held_out(tmp_path, capsys, graph, held_out, edges):
    """Cycles, where a spanning forest leaves fewer than half the edges removable: the result, and beside it a
    warning saying how many were held out and why."""
    path = write_lines(tmp_path / "g.txt", [f"n{u} n{v}" for u, v in graph.edges()])
    assert ev.main(["node2vec-protocol", str(path), *SMALL]) == 0
    out = capsys.readouterr().out
    assert f"warning: held out {held_out} of {edges} edges" in out and "spanning forest" in out
    assert sum(row.startswith("walks+SGNS") for row in out.splitlines()) == len(ev.OPERATORS)


def test_cli_names_file_and_line_of_non_utf8_text(tmp_path, capsys):
    """A Latin-1 edge list: a usage error naming the file and the line, not a bare codec message."""
    path = tmp_path / "latin.txt"
    path.write_bytes("a b\nb c\nc d\xe9\n".encode("latin-1"))
    with pytest.raises(SystemExit) as exit_info:
        ev.main(["node2vec-protocol", str(path)])
    assert exit_info.value.code == 2
    assert "latin.txt, line 3: not UTF-8" in capsys.readouterr().err


def test_cli_help_shows_every_default(capsys):
    """--help: each option shows its default."""
    with pytest.raises(SystemExit) as exit_info:
        ev.main(["node2vec-protocol", "--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    defaults = {"--p P": "1.0", "--q Q": "1.0", "--seed SEED": "0", "--dim DIM": "128", "--walks WALKS": "10",
                "--length LENGTH": "80", "--window WINDOW": "10", "--workers WORKERS": "1"}
    options = text.split("options:")[1]
    for option, default in defaults.items():
        entry = options.split(f" {option} ")[1].split(" --")[0]
        assert f"(default: {default})" in entry, option


def run_cli(args: list[str], tmp: Path) -> subprocess.Popen:
    """The command line of the package under test, in a fresh interpreter whose temp folders go to ``tmp``."""
    tmp.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(PACKAGE_ROOT)}
    return subprocess.Popen([sys.executable, "-m", "recsys_tutorial.evaluate", "node2vec-protocol", *args], env=env,
                            cwd=tmp.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_cli_window_zero_exits_2_and_leaves_no_temp_folder(karate_file, tmp_path):
    """--window 0: today SIGFPE kills the interpreter inside gensim and leaves its temp folder behind."""
    proc = run_cli([str(karate_file), "--window", "0", "--dim", "4", "--walks", "2"], tmp_path / "tmp")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, err[-2000:]
    assert "argument --window: must be at least 1" in err
    assert not list((tmp_path / "tmp").iterdir())


def test_cli_sigterm_during_training_removes_the_temp_folder(tmp_path):
    """SIGTERM while word2vec trains (its corpus sits in a temp folder): exit 143 and the folder is gone."""
    graph = nx.gnm_random_graph(1500, 8000, seed=1)
    path = write_lines(tmp_path / "g.txt", [f"{u} {v}" for u, v in graph.edges()])
    tmp = tmp_path / "tmp"
    proc = run_cli([str(path), "--dim", "16", "--walks", "10", "--length", "40"], tmp)
    deadline = time.monotonic() + 300
    while not any(tmp.iterdir()) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the run ended before its temp folder was seen"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err[-2000:]
    assert not list(tmp.iterdir())
