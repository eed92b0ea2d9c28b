"""The benchmark scripts run end to end at the ci scale and end with a parsable RESULT line.

Timings are printed, never asserted; this only keeps the scripts from rotting. bench_walks is left to
``make bench``: it builds PecanPy's own venv (numpy < 2) on first use.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

EXPECTED = {
    "bench_data.py": {"total_s", "speedup_vs_original", "peak_rss_gb"},
    "bench_distributed.py": {"prepare_ratio", "walks_ratio", "train_loop_ratio", "auc_one", "auc_ranks"},
    "bench_train.py": {"ratio", "sgns_auc", "gensim_auc"},
    "bench_evaluate.py": {"seconds", "pairs", "peak_rss_gb"},
    "bench_recommend.py": {"ours_s", "faiss_flat_recall", "faiss_hnsw_recall", "hnswlib_recall"},
    "bench_realism.py": {"clustering_ge2", "median_degree", "sgns1", "gensim1", "mfbias", "pa"},
    "bench_side_info.py": {"seconds", "cold_start", "own_id_weight"},
}


def result_values(stdout: str) -> dict[str, str]:
    lines = [line for line in stdout.splitlines() if line.startswith("RESULT ")]
    assert len(lines) == 1, f"expected one RESULT line, got {lines}"
    assert lines == stdout.strip().splitlines()[-1:], "RESULT must be the last line"
    return dict(part.split("=", 1) for part in lines[0].split()[1:])


#: Extra arguments: bench_side_info trains only the book's variant here (all eight take 25 s); bench_distributed
#: times prepare and walks twice each, not five times.
ARGS = {"bench_side_info.py": ["--only", "EGES, own weight from d/(d+2) (the book's)"],
        "bench_distributed.py": ["--repeats", "2"]}


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_benchmark_runs_at_ci_scale(root, script):
    done = subprocess.run([sys.executable, str(root / "benchmarks" / script), "--scale", "ci", *ARGS.get(script, [])],
                          cwd=root,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    values = result_values(done.stdout)
    assert EXPECTED[script] <= set(values), values
    for key in EXPECTED[script]:
        assert float(values[key]) >= 0, (key, values[key])
    if script == "bench_recommend.py":  # two exact searches agree (ties aside: random vectors have none)
        assert float(values["faiss_flat_recall"]) == 1.0
