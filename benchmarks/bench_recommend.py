"""Top-k for every product: our exact ``recommend_all`` beside faiss' exact ``IndexFlatIP`` and two HNSW indexes.

Vectors: a seeded mixture of Gaussian clusters (one per ~200 products, unit-normalised, d = 128) — clustered
like trained item embeddings, so approximate indexes meet realistic neighbourhoods. Each method runs in a fresh
process; printed: wall time, ratio to ours, peak memory above the vectors (the peak is reset once they exist, so
generating them does not hide it), and each approximate index's recall@10 against exact on a seeded sample of
queries. faiss and hnswlib use every core, as we do; load averages before and after tell of other work sharing
the cores. faiss' bundled OpenBLAS is told the CPU core numpy's OpenBLAS detected (``OPENBLAS_CORETYPE``),
so it does not fall back to generic kernels on a CPU it does not know.
Usage: ``python benchmarks/bench_recommend.py --scale electronics``; ends with a RESULT line.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SCALES, parse_args, peak_rss_gb, result_line, run_stage

K, DIM, SAMPLE = 10, 128, 2000


def make_vectors(n: int, seed: int):
    import numpy as np

    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(max(1, n // 200), DIM)).astype(np.float32)
    vectors = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.normal(size=(n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def fresh_peak() -> float:
    """Resident memory now (GB), after resetting this process's peak to it (Linux ``clear_refs``), so the
    peak measured next is that of what follows, not of generating the vectors."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return peak_rss_gb()  # no reset: measure above the peak so far, as before
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024**2
    return peak_rss_gb()


def load_averages() -> str:
    """The 1-, 5- and 15-minute load averages, e.g. ``2.10/2.45/2.30``: other work sharing the cores."""
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def ours(n: int, seed: int):
    import numpy as np
    import pandas as pd

    from recsys_tutorial.recommend import Embeddings, recommend_all

    vectors = make_vectors(n, seed)
    base = fresh_peak()
    emb = Embeddings.from_vectors(vectors, pd.RangeIndex(n).astype(str), "bench")
    table = recommend_all(emb, k=K)
    ids = table["asin"].to_numpy().astype(np.int64).reshape(n, K)
    return ids, peak_rss_gb() - base


def openblas_for_faiss() -> None:
    """faiss' pip wheel bundles its own OpenBLAS (0.3.15), which may not recognise a recent CPU and then runs
    its slowest generic kernels (here "Prescott": 10 K queries × 420 K took 34 s, against 8.2 s with the
    SkylakeX kernels). Hand it the core numpy's newer OpenBLAS detected, through OpenBLAS' own
    ``OPENBLAS_CORETYPE`` (read when the library loads, so before importing faiss), unless the user set one."""
    import numpy  # noqa: F401  (loads numpy's OpenBLAS, whose detected architecture threadpoolctl reports)
    from threadpoolctl import threadpool_info

    found = [i["architecture"] for i in threadpool_info() if i["internal_api"] == "openblas" and i.get("architecture")]
    if found:
        os.environ.setdefault("OPENBLAS_CORETYPE", found[0])


def faiss_exact(n: int, seed: int):
    openblas_for_faiss()
    import faiss

    vectors = make_vectors(n, seed)
    base = fresh_peak()
    index = faiss.IndexFlatIP(DIM)
    index.add(vectors)
    _, ids = index.search(vectors, K + 1)
    return ids[:, 1:], peak_rss_gb() - base  # each query's first hit is itself


def faiss_hnsw(n: int, seed: int):
    import numpy as np
    import pandas as pd

    openblas_for_faiss()
    from recsys_tutorial.recommend import Embeddings, _hnsw_top_k

    vectors = make_vectors(n, seed)
    base = fresh_peak()
    emb = Embeddings.from_vectors(vectors, pd.RangeIndex(n).astype(str), "bench")
    ids, _ = _hnsw_top_k(emb, np.arange(n), K)
    return ids, peak_rss_gb() - base


def hnswlib_index(n: int, seed: int):
    import hnswlib
    import numpy as np

    vectors = make_vectors(n, seed)
    base = fresh_peak()
    index = hnswlib.Index(space="ip", dim=DIM)
    index.init_index(max_elements=n, M=32, ef_construction=200, random_seed=seed)
    index.add_items(vectors, np.arange(n))
    index.set_ef(128)
    ids, _ = index.knn_query(vectors, k=K + 1)
    keep = np.argsort(ids == np.arange(n)[:, None], axis=1, kind="stable")[:, :K]
    return np.take_along_axis(ids.astype(np.int64), keep, 1), peak_rss_gb() - base


def main() -> None:
    import numpy as np

    from recsys_tutorial.recommend import recall_against

    args = parse_args(__doc__.splitlines()[0])
    n = SCALES[args.scale]
    load_before = load_averages()
    print(f"{n:,} products × {DIM} dimensions, top-{K} for every product ({args.scale} scale); "
          f"{os.cpu_count()} cores, load averages (1/5/15 min) {load_before}")
    runs = {}
    for name, fn in [("ours, exact (recommend_all)", ours), ("faiss IndexFlatIP, exact", faiss_exact),
                     ("faiss HNSW (recommend_all index='hnsw')", faiss_hnsw), ("hnswlib HNSW", hnswlib_index)]:
        runs[name] = run_stage(fn, n, args.seed)
        print(f"  {name}: {runs[name][1]:.1f}s (load {load_averages()})", flush=True)  # long runs: progress
    (exact, _), ours_s, _ = runs["ours, exact (recommend_all)"]
    sample = np.random.default_rng(args.seed).choice(n, size=min(SAMPLE, n), replace=False)
    print(f"{'method':<42} {'wall':>9} {'vs ours':>8} {'peak above vectors':>19} {'recall@10':>10}")
    recalls = {}
    for name, ((ids, above_gb), seconds, _) in runs.items():
        recalls[name] = recall_against(ids[sample], exact[sample])
        print(f"{name:<42} {seconds:>8.1f}s {seconds / ours_s:>7.2f}× {above_gb:>17.2f} GB {recalls[name]:>10.4f}")
    print(f"load averages (1/5/15 min): {load_before} before, {load_averages()} after")
    print(result_line(scale=args.scale, ours_s=round(ours_s, 1),
                      faiss_flat_ratio=runs["faiss IndexFlatIP, exact"][1] / ours_s,
                      hnswlib_ratio=runs["hnswlib HNSW"][1] / ours_s,
                      ours_above_vectors_gb=runs["ours, exact (recommend_all)"][0][1],
                      faiss_flat_recall=recalls["faiss IndexFlatIP, exact"],
                      faiss_hnsw_recall=recalls["faiss HNSW (recommend_all index='hnsw')"],
                      hnswlib_recall=recalls["hnswlib HNSW"], load_1min=os.getloadavg()[0]))


if __name__ == "__main__":
    main()
