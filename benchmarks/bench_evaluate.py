"""Evaluation: score every validation pair by cosine and by the four heuristics, with wall time and peak RSS.

On the synthetic graph of a scale (Electronics ≈ 420 K nodes, ≈ 2.6 M validation pairs): parse → edges →
split (untimed setup), then, in a fresh process, cosine scores of all validation pairs on random 128-d vectors
(the cost does not depend on what the vectors learnt) and preferential attachment, common neighbours,
Jaccard and Adamic-Adar from the train graph (adjacency build included; numba JIT warmed up first).
Drawing the degree-matched negatives and the AUCs are timed apart, for information.
Usage: ``python benchmarks/bench_evaluate.py --scale electronics``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import parse_args, result_line, run_stage, synthetic_file

DIM = 128


def prepare(path: str, out: str, seed: int) -> dict:
    """Parse, build edges and split; save the train edges and validation pairs."""
    from recsys_tutorial.data import read_amazon_metadata
    from recsys_tutorial.edges import build_edges
    from recsys_tutorial.split import train_val_split

    products, relations, _ = read_amazon_metadata(path)
    edges, vocab = build_edges(products, relations)
    split = train_val_split(edges, num_nodes=len(vocab), seed=seed)
    split.train.to_parquet(Path(out) / "train.parquet")
    split.val.to_parquet(Path(out) / "val.parquet")
    return {"nodes": len(vocab), "train_edges": len(split.train), "val_pairs": len(split.val)}


def score(out: str, nodes: int, seed: int) -> dict:
    """Cosine + the four heuristics for every validation pair (the timed part)."""
    import numpy as np
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    from recsys_tutorial.evaluate import cosine_scores, heuristic_scores

    train = pd.read_parquet(Path(out) / "train.parquet")
    val = pd.read_parquet(Path(out) / "val.parquet")
    src, dst = val["src"].to_numpy(), val["dst"].to_numpy()
    vectors = np.random.default_rng(seed).standard_normal((nodes, DIM), dtype=np.float32)
    heuristic_scores(train.iloc[:100], nodes, src[:100], dst[:100])  # JIT warm-up (cached on disk)
    start = time.perf_counter()
    cosine = cosine_scores(vectors, src, dst)
    cosine_s = time.perf_counter() - start
    start = time.perf_counter()
    heuristics = heuristic_scores(train, nodes, src, dst)
    heuristics_s = time.perf_counter() - start
    label = val["label"].to_numpy()
    aucs = {name: float(roc_auc_score(label, s)) for name, s in heuristics.items()}
    aucs["cosine (random vectors)"] = float(roc_auc_score(label, cosine))
    return {"cosine_s": cosine_s, "heuristics_s": heuristics_s, "pairs": len(val), "aucs": aucs}


def degree_negatives(out: str, nodes: int, seed: int) -> dict:
    """Degree-matched negatives for every validation positive (evaluation_pairs' extra draw)."""
    import pandas as pd

    from recsys_tutorial.evaluate import degree_matched_negatives

    train = pd.read_parquet(Path(out) / "train.parquet")
    val = pd.read_parquet(Path(out) / "val.parquet")
    pos = val[val["label"] == 1]
    start = time.perf_counter()
    a, _ = degree_matched_negatives(pos["src"].to_numpy(), pos["dst"].to_numpy(), train, nodes, seed=seed)
    return {"seconds": time.perf_counter() - start, "negatives": len(a)}


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], lambda p: p.add_argument(
        "--skip-negatives", action="store_true", help="do not time the degree-matched negative draw"))
    path = str(synthetic_file(args.scale, args.seed))
    with tempfile.TemporaryDirectory() as tmp:
        info, prep_s, _ = run_stage(prepare, path, tmp, args.seed)
        print(f"scale {args.scale}: {info['nodes']:,} nodes, {info['train_edges']:,} train edges, "
              f"{info['val_pairs']:,} validation pairs (setup {prep_s:.1f} s)", flush=True)
        result, stage_s, peak = run_stage(score, tmp, info["nodes"], args.seed)
        negatives = None if args.skip_negatives else run_stage(degree_negatives, tmp, info["nodes"], args.seed)
    seconds = result["cosine_s"] + result["heuristics_s"]
    print(f"{'step':<40}{'wall s':>10}")
    print(f"{f'cosine, {DIM}-d, all pairs':<40}{result['cosine_s']:>10.2f}")
    print(f"{'4 heuristics (adjacency included)':<40}{result['heuristics_s']:>10.2f}")
    print(f"{'scoring total':<40}{seconds:>10.2f}")
    print(f"peak RSS of the scoring process: {peak:.2f} GB (stage wall {stage_s:.1f} s with loading and AUCs)")
    print("AUC on the split's uniform negatives: " + ", ".join(f"{k} {v:.3f}" for k, v in result["aucs"].items()))
    values = {"seconds": seconds, "pairs": result["pairs"], "peak_rss_gb": peak, "cosine_s": result["cosine_s"],
              "heuristics_s": result["heuristics_s"]}
    if negatives is not None:
        neg, _, neg_gb = negatives
        print(f"degree-matched negatives: {neg['negatives']:,} in {neg['seconds']:.2f} s (peak RSS {neg_gb:.2f} GB)")
        values["degree_negatives_s"] = neg["seconds"]
    print(result_line(**values))


if __name__ == "__main__":
    main()
