"""The recsys-tutorial command line: stages, the stage cache, and files a user can ship."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys_tutorial import cli, pipeline
from recsys_tutorial.recommend import Embeddings

FAST = ["--epochs", "5", "--dim", "32", "--queries", "0"]


def run_cli(*argv: str) -> str:
    done = subprocess.run([sys.executable, "-m", "recsys_tutorial.cli", *argv], capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def stage_folders(stdout: str) -> dict[str, Path]:
    return {line.split()[0]: Path(line.split()[-1]) for line in stdout.splitlines() if line.split()[:1] and
            line.split()[0] in cli.STAGES}


def stage_lines(stdout: str) -> dict[str, str]:
    return {line.split()[0]: line.split()[1] for line in stdout.splitlines() if line.split()[:1] and
            line.split()[0] in cli.STAGES}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("runs")
    start = time.perf_counter()
    out = run_cli("run", "synthetic:2000", "--workdir", str(workdir), *FAST)
    return workdir, out, time.perf_counter() - start


def test_run_end_to_end_then_every_stage_is_reused(first_run):
    workdir, out, first_seconds = first_run
    assert stage_lines(out) == dict.fromkeys(cli.STAGES, "computed")
    folders = sorted(p.name.split("-")[0] for p in workdir.iterdir())
    assert folders == sorted(cli.STAGES)  # one folder per stage, no temporary folder left
    table = pd.read_parquet(next(workdir.glob("recommend-*")) / "recommendations.parquet")
    assert list(table.columns) == ["query", "rank", "asin", "score"]
    assert (table.groupby("query")["rank"].apply(list).map(lambda r: r == list(range(1, 11)))).all()
    manifest = json.loads((next(workdir.glob("train-*")) / "manifest.json").read_text())
    assert manifest["params"] == {"model": "sgns", "dim": 32, "epochs": 5, "seed": 42}
    assert manifest["seconds"] > 0 and manifest["peak_rss_mb"] > 0 and manifest["inputs"].keys() == {"prepare",
                                                                                                     "walk"}
    start = time.perf_counter()
    again = run_cli("run", "synthetic:2000", "--workdir", str(workdir), *FAST)
    print(f"first run {first_seconds:.1f} s, cached run {time.perf_counter() - start:.2f} s")  # measured, not asserted
    assert stage_lines(again) == dict.fromkeys(cli.STAGES, "reused")
    metrics = [line for line in again.splitlines() if line.startswith("  auc") or line.startswith("  recall")]
    assert metrics and all(line in out.splitlines() for line in metrics)  # the same numbers, from the cache


def test_changing_q_reruns_only_walk_and_later_stages(first_run):
    workdir, _, _ = first_run
    out = run_cli("run", "synthetic:2000", "--workdir", str(workdir), *FAST, "--q", "2")
    assert stage_lines(out) == {"prepare": "reused", "walk": "computed", "train": "computed",
                                "evaluate": "computed", "recommend": "computed"}
    out = run_cli("recommend", "synthetic:2000", "--workdir", str(workdir), "--epochs", "5", "--dim", "32",
                  "--force", "recommend")
    assert stage_lines(out) == {"prepare": "reused", "walk": "reused", "train": "reused", "recommend": "computed"}


def test_recommend_reproduces_evaluates_recall_at_10(first_run, tmp_path):
    workdir, _, _ = first_run
    out_file = tmp_path / "recs.csv"
    out = run_cli("run", "synthetic:2000", "--workdir", str(workdir), *FAST, "--exclude-train", "--out",
                  str(out_file))
    folders = stage_folders(out)
    metrics = json.loads((folders["evaluate"] / "metrics.json").read_text())
    prepared = folders["prepare"]
    vocab = pd.read_parquet(prepared / "vocab.parquet")["asin"]
    train, val = pd.read_parquet(prepared / "train.parquet"), pd.read_parquet(prepared / "val.parquet")
    pos = val[val["label"] == 1]
    held = pd.concat([pos[["src", "dst"]], pos[["dst", "src"]].set_axis(["src", "dst"], axis=1)])
    degree = np.bincount(train[["src", "dst"]].to_numpy().ravel(), minlength=len(vocab))
    held = held[degree[held["src"]] > 0]  # ranking queries: products in the training graph
    recs = pd.read_csv(out_file)
    assert "written to" in out
    top = recs[recs["rank"] <= 10].groupby("query")["asin"].apply(set)
    recalls = []
    for src, group in held.groupby("src"):
        wanted = set(vocab.iloc[group["dst"]])
        recalls.append(len(wanted & top.get(vocab.iloc[src], set())) / len(wanted))
    assert metrics["queries"] == len(recalls)
    assert np.mean(recalls) == pytest.approx(metrics["recall@10"], abs=1e-12)


def test_an_interrupted_stage_leaves_nothing_that_is_reused(tmp_path, monkeypatch):
    def killed(folder, *args, **kwargs):
        (folder / "walks.npy").write_bytes(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "walk", killed)
    with pytest.raises(KeyboardInterrupt):
        cli.main(["walk", "synthetic:2000", "--workdir", str(tmp_path)])
    assert sorted(p.name.split("-")[0] for p in tmp_path.iterdir()) == ["prepare"]  # no walk folder, no temp
    monkeypatch.undo()
    assert cli.main(["walk", "synthetic:2000", "--workdir", str(tmp_path)]) == 0
    walks = np.load(next(tmp_path.glob("walk-*")) / "walks.npy")
    assert walks.shape[1] == 10 and len(walks) % 10 == 0  # recomputed in full: 10 walks of 10 per product


@pytest.mark.parametrize("model", ["gensim-sg", "mf-bias", "side-info"])
def test_other_models_train_and_save_their_own_score(tmp_path, model, capsys):
    assert cli.main(["train", "synthetic:2000", "--workdir", str(tmp_path), "--model", model, "--dim", "16",
                     "--epochs", "1"]) == 0
    emb = Embeddings.load(next(tmp_path.glob("train-*")) / "embeddings")
    assert emb.meta["score"] == {"gensim-sg": "cosine", "mf-bias": "dot+bias", "side-info": "cosine"}[model]
    assert emb.meta["method"] == model and emb.dim == 16 and emb.known.any()
    if model == "side-info":
        assert emb.meta["params"].get("cold_start", 0) > 0  # products without training edges got a vector


def test_help_shows_every_default_and_usage_errors_exit_2(capsys):
    for command in (*cli.STAGES, "run"):
        with pytest.raises(SystemExit) as done:
            cli.main([command, "--help"])
        assert done.value.code == 0
        text = capsys.readouterr().out
        assert "--workdir" in text and "(default: runs)" in text
        assert "None" not in text
    for bad in (["--walks", "0"], ["--p", "nan"], ["--q", "-1"], ["--dim", "0"], ["--val-frac", "1"],
                ["--out", "x.txt"]):
        with pytest.raises(SystemExit) as done:
            cli.main(["run", "synthetic:2000", *bad])
        assert done.value.code == 2, bad
    assert cli.main(["prepare", "synthetic:abc"]) == 1
    assert "synthetic size must be an integer" in capsys.readouterr().err
