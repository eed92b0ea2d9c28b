"""Chapters' records become one tidy table and CSV; the original's numbers join by method."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from recsys_tutorial import results


def fill(folder):
    results.record("part1", "data pipeline", directory=folder, profile="ci", dataset="synthetic", products=2000)
    results.record("part1", "MF-bias, edges, binary", directory=folder, profile="ci", auc_all=np.float32(0.75),
                   auc_seen=0.8, auc_unseen=float("nan"), runtime_s=np.float64(12.5), device="cpu")
    results.record("part1", "MF, edges, binary", directory=folder, profile="ci", auc_all=0.7, auc_seen=pd.NA,
                   runtime_s=10.0, **{"ndcg@10": 0.1, "recall@10": 0.2, "recall@5": 0.1})
    results.record("part2", "gensim CBOW (the original's)", directory=folder, profile="ci", auc_all=0.9,
                   auc_seen=0.95, auc_degree_matched=0.7, runtime_min=0.5)


def test_collect_round_trips_records_into_a_tidy_table(tmp_path):
    fill(tmp_path)
    table = results.collect(tmp_path)
    assert list(table.columns) == ["chapter", "method", "dataset", "profile", "auc_all", "auc_seen", "auc_unseen",
                                   "auc_degree_matched", "recall@5", "recall@10", "ndcg@10", "runtime_s", "products",
                                   "device",
                                   "name"]
    assert list(table["method"]) == ["MF, edges, binary", "MF-bias, edges, binary", "data pipeline",
                                     "gensim CBOW (the original's)"]
    assert list(table["name"]) == list(table["method"])  # the results page written before `method` still works
    row = table.set_index("method").loc["MF-bias, edges, binary"]
    assert row["auc_all"] == pytest.approx(0.75) and row["runtime_s"] == 12.5 and row["device"] == "cpu"
    assert np.isnan(row["auc_unseen"]) and np.isnan(row["auc_degree_matched"])
    assert np.isnan(table.set_index("method").loc["MF, edges, binary", "auc_seen"])  # pd.NA stored as null
    assert table.set_index("method").loc["gensim CBOW (the original's)", "runtime_s"] == 30.0
    # part1's methods take the dataset its pipeline recorded; part2 recorded none.
    assert list(table["dataset"].iloc[:3]) == ["synthetic"] * 3 and pd.isna(table["dataset"].iloc[3])
    assert table.set_index(["chapter", "name"]).T.shape == (len(table.columns) - 2, 4)
    for path in tmp_path.glob("*.json"):  # valid JSON: null, never NaN
        assert "NaN" not in path.read_text() and json.loads(path.read_text())["chapter"]


def test_collect_writes_the_csv_atomically(tmp_path, monkeypatch):
    fill(tmp_path)
    table = results.collect(tmp_path)
    csv = tmp_path / results.RESULTS_CSV
    pd.testing.assert_frame_equal(pd.read_csv(csv), table, check_dtype=False)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    before = csv.read_bytes()

    def broken(self, fh, **kwargs):
        fh.write("chapter,method\npart")
        raise OSError("disk full")

    results.record("part2", "gensim skip-gram", directory=tmp_path, auc_all=0.97)
    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(OSError, match="disk full"):
        results.collect(tmp_path)
    assert csv.read_bytes() == before  # the old table is intact, not half a new one
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left
    monkeypatch.undo()
    assert len(pd.read_csv(csv)) == 4 and len(results.collect(tmp_path)) == 5
    assert len(results.collect(tmp_path, write_csv=False)) == 5


def test_collect_without_records(tmp_path):
    empty = results.collect(tmp_path / "nothing")
    assert empty.empty and {"chapter", "method", "auc_all", "runtime_s"} <= set(empty.columns)
    assert not (tmp_path / "nothing").exists()
    assert results.collect(tmp_path).empty and not (tmp_path / results.RESULTS_CSV).exists()


def test_record_overwrites_and_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("RECSYS_TUTORIAL_RESULTS", str(tmp_path / "run"))
    assert results.results_dir() == tmp_path / "run"
    results.record("part1", "MF", auc_all=0.5)
    results.record("part1", "MF", auc_all=0.6)
    table = results.collect()
    assert len(table) == 1 and table["auc_all"].iloc[0] == 0.6
    assert (tmp_path / "run" / results.RESULTS_CSV).exists()


def test_with_original_joins_by_method_key_only_on_the_published_file(tmp_path):
    fill(tmp_path)
    results.record("part2", "my skip-gram", directory=tmp_path, auc_all=0.96, original_method="PyTorch skip-gram",
                   published_as="Electronics")
    results.record("part3", "MF-bias, edges, binary", directory=tmp_path, dataset="Books", auc_all=0.6,
                   published_as="Books")
    results.record("part3", "MF-bias, edges, continuous", directory=tmp_path, dataset="Electronics", auc_all=0.6)
    table = results.collect(tmp_path)
    joined = results.with_original(table)
    assert list(joined["method"]) == list(table["method"])  # same rows, same order
    by = joined.set_index(["chapter", "method"])
    assert by.loc[("part2", "my skip-gram"), "original_auc_all"] == 0.9554  # record's own original_method
    assert by.loc[("part3", "MF-bias, edges, binary"), "original_dataset"] == "Books"
    assert by.loc[("part3", "MF-bias, edges, binary"), "original_auc_all"] == 0.4996
    # synthetic rows, and a row named "Electronics" that is not the published 2014 file: a reference, no join
    assert by.loc[("part1", "MF-bias, edges, binary"), "original_auc_all"] != by.loc[
        ("part1", "MF-bias, edges, binary"), "original_auc_all"]  # NaN
    assert pd.isna(by.loc[("part3", "MF-bias, edges, continuous"), "original_auc_all"])
    assert joined.loc[joined["chapter"] == "part1", "original_dataset"].isna().all()
    forced = results.with_original(table, dataset="Electronics").set_index(["chapter", "method"])
    assert forced.loc[("part1", "MF-bias, edges, binary"), "original_auc_all"] == 0.7951
    assert forced.loc[("part1", "MF-bias, edges, binary"), "original_runtime_s"] == pytest.approx(44.9 * 60)
    assert forced.loc[("part2", "gensim CBOW (the original's)"), "original_auc_seen"] == 0.9735  # alias
    assert pd.isna(forced.loc[("part1", "data pipeline"), "original_auc_all"])
    legacy = results.with_original(table.drop(columns=["method", "dataset", "published_as"]), dataset="Electronics")
    assert list(legacy["original_auc_all"].fillna(0)) == [0.8083, 0.7951, 0, 0.9082, 0.9554, 0.7951, 0.8319]


def test_published_counterpart_is_the_2014_file_only(tmp_path):
    from recsys_tutorial.data import ParseReport, published_counterpart

    assert published_counterpart(ParseReport(str(tmp_path / "2014" / "meta_Electronics.json.gz"), "2014")) == (
        "Electronics")
    assert published_counterpart(ParseReport("/mine/meta_Books.json.gz", "2014")) == "Books"
    assert published_counterpart(ParseReport("/cache/2018/meta_Electronics.json.gz", "2018")) is None
    assert published_counterpart(ParseReport("/x/meta_Electronics_standin.json.gz", "2014")) is None
    assert published_counterpart(ParseReport("/x/meta_synthetic_n2000_s42_g2.json.gz", "2014")) is None


def test_original_results_have_unique_keys():
    keys = results.ORIGINAL_RESULTS.assign(key=results.ORIGINAL_RESULTS["method"].map(results.method_key))
    assert not keys.duplicated(["dataset", "key"]).any()
    assert results.method_key("MF, edges, binary") == results.method_key("mf edges binary")


def test_timed():
    with results.timed() as t:
        sum(range(1000))
    assert t["seconds"] >= 0


def test_summary_sorts_and_drops_columns_that_say_nothing():
    frame = pd.DataFrame({"chapter": ["part1", "part2", "part2", "part1"],
                          "method": ["MF", "SGNS", "popularity", "data pipeline"],
                          "auc_all": [0.8, 0.95, 0.9, np.nan], "auc_seen": [0.7, 0.96, 0.5, np.nan],
                          "auc_unseen": [0.5, 0.5, 0.5, np.nan], "auc_degree_matched": [np.nan] * 4,
                          "recall@10": [np.nan, 0.2, 0.05, np.nan], "runtime_s": [10.0, 20.0, np.nan, 3.0]})
    table, dropped = results.summary(frame)
    assert list(table["method"]) == ["SGNS", "MF", "popularity"] and list(table.index) == [1, 2, 3]
    assert dropped == ["AUC unseen"]  # one value for all; empty columns go without a word
    assert list(table.columns) == ["method", "part", "AUC all", "AUC seen", "recall@10", "time (s)"]
