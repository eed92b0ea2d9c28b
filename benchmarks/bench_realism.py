"""Realism: the synthetic data beside real Amazon metadata files — graph statistics and seen-AUC per method.

A synthetic graph that matches the real counts can still tell the wrong story: methods come out in the order
its *structure* (clustering, degree tail) dictates. This script puts the synthetic graph of a scale beside
every real metadata file given with ``--real`` (2014 or 2018 format; files without titles are read with the
title filter off) and prints, through the package's own functions and the book's settings:

- graph statistics (``describe.graph_statistics``): degrees, the top 1 %'s share of edge endpoints, average
  clustering overall and for degree ≥ 2, degree assortativity, weight mix, nodes without metadata;
- seen-AUC on the same split (a third of the edges held out, uniform negatives) of preferential attachment,
  Adamic-Adar, item-kNN (cosine of adjacency rows), implicit's ALS and BPR (item factors, cosine; with their
  training seconds), gensim skip-gram (1 and 5 epochs), PyTorch SGNS (1 and 5 epochs; walks 10 × 10, d = 128,
  window 5, 5 negatives, subsampling 1e-3, linear lr decay from 0.025), and MF / MF-bias on edges (the book's
  fixed recipe: SparseAdam, lr 0.02, cosine restarts per epoch, 5 epochs); and Part 2's "data or model?"
  pair: MF-bias trained with word2vec's SGD recipe on edges (as many tokens as one walk epoch) and on the walks.

Ends with a RESULT line of the synthetic figures. Usage:
``python benchmarks/bench_realism.py --scale default --real meta_Digital_Music.json.gz [--real …]``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SCALES, parse_args, result_line

DIM, WALKS, LENGTH = 128, 10, 10


def method_names(epochs_long: int) -> dict[str, str]:
    """Table label of each method key."""
    return {"pa": "preferential attachment", "aa": "Adamic-Adar", "gensim1": "gensim skip-gram, 1 epoch",
            "gensim_long": f"gensim skip-gram, {epochs_long} epochs", "sgns1": "PyTorch SGNS, 1 epoch",
            "sgns_long": f"PyTorch SGNS, {epochs_long} epochs", "mf": "MF, edges", "mfbias": "MF-bias, edges",
            "knn": "item-kNN (cosine of adjacency rows)", "als": "implicit ALS (64 factors, 15 iterations)",
            "bpr": "implicit BPR (128 factors, 100 iterations)",
            "mfbias_sgd": "MF-bias, edges (word2vec SGD)", "mfbias_seq": "MF-bias, sequences (word2vec SGD)"}


def load(source: str, scale: str, seed: int):
    """(name, products, relations, require_title) for the synthetic data of a scale or a real metadata file."""
    from recsys_tutorial.data import read_amazon_metadata
    from recsys_tutorial.synthetic import synthetic_tables

    if source == "synthetic":
        products, relations = synthetic_tables(SCALES[scale], seed=seed)
        return f"synthetic {scale}", products, relations, True
    products, relations, _ = read_amazon_metadata(source)
    require_title = bool(products["title"].notna().any())  # 2018 extracts rebuilt from CSVs carry no titles
    name = Path(source).name.removeprefix("meta_").split(".")[0] + ("" if require_title else " (no titles)")
    return name, products, relations, require_title


def seen_aucs(split, seed: int, epochs_long: int) -> dict[str, float]:
    """Seen-AUC of every method on one split."""
    import numpy as np
    import torch

    from recsys_tutorial import evaluate, implicit_mf, models, sampling, train, w2v, walks

    val, n = split.val, split.num_nodes
    src, dst = val["src"].to_numpy(), val["dst"].to_numpy()
    in_train = np.bincount(np.concatenate([split.train["src"], split.train["dst"]]), minlength=n) > 0
    auc = {}

    def seen(scores: np.ndarray, known: np.ndarray = in_train) -> float:
        return evaluate.auc_table(val, scores, known=known)["auc_seen"]

    heuristics = evaluate.heuristic_scores(split.train, n, src, dst)
    auc["pa"], auc["aa"] = seen(heuristics["preferential_attachment"]), seen(heuristics["adamic_adar"])
    auc["knn"] = seen(heuristics["item_knn"])
    # The libraries a practitioner tries first (implicit, one thread, untuned defaults): item factors, cosine.
    for key, fit in (("als", implicit_mf.train_als), ("bpr", implicit_mf.train_bpr)):
        result = fit(split.train, n, seed=seed)
        auc[key], auc[f"{key}_s"] = seen(evaluate.cosine_scores(result.vectors, src, dst)), result.seconds
    graph = walks.ProductGraph.from_edges(split.train, n, validation=val)
    corpus = walks.random_walks(graph, WALKS, LENGTH, seed=seed, progress=False)

    def seeded(cls):
        """A fresh model whose initial vectors depend on the seed only (torch seeds itself at random)."""
        torch.manual_seed(seed)
        return cls(n, DIM)

    def sgd(walk_matrix, model, epochs: int, **kwargs):
        blocks = sampling.WalkBlocks(walk_matrix, n, negatives=5, shared=32, seed=seed, **kwargs)
        return train.train(model, blocks, epochs=epochs, lr=0.025, schedule="linear", optimizer="sgd",
                           eval_every=10**9, device="cpu", seed=seed, progress=False, threads=1)

    for epochs, tag in ((1, "1"), (epochs_long, "_long")):
        trained = w2v.train_word2vec(corpus, n, sg=1, vector_size=DIM, epochs=epochs, seed=seed, workers=2)
        auc[f"gensim{tag}"] = seen(evaluate.cosine_scores(trained.vectors, src, dst), trained.in_vocab)
        run = sgd(corpus, seeded(models.SkipGram), epochs, walks_per_batch=256, window=5, subsample=1e-3)
        auc[f"sgns{tag}"] = seen(evaluate.cosine_scores(run.embeddings, src, dst))
        auc[f"sgns{tag}_s"] = run.seconds
    for key, cls in (("mf", models.MF), ("mfbias", models.MFBias)):
        batches = sampling.EdgeBatches(split.train, n, batch_size=256, seed=seed)
        run = train.train(seeded(cls), batches, epochs=5, lr=0.02, schedule="restarts", eval_every=10**9,
                          device="cpu", seed=seed, progress=False)
        with torch.no_grad():
            a, b = torch.as_tensor(src.astype(np.int64)), torch.as_tensor(dst.astype(np.int64))
            scores = torch.cat([run.model.score(a[i:i + 65536], b[i:i + 65536]) for i in range(0, len(a), 65536)])
        auc[key] = seen(scores.numpy())
    # Part 2's question, "the data or the model?": MF-bias with word2vec's recipe, on edges and on the walks.
    edge_walks = split.train[["src", "dst"]].to_numpy().astype(np.int32)
    edge_epochs = max(1, round(int((corpus >= 0).sum()) / edge_walks.size))  # as many tokens as one walk epoch
    for key, walk_matrix, epochs, kwargs in (
            ("mfbias_sgd", edge_walks, edge_epochs, {"window": 1, "subsample": 0.0, "walks_per_batch": 2048}),
            ("mfbias_seq", corpus, 1, {"window": 5, "subsample": 1e-3, "walks_per_batch": 256})):
        run = sgd(walk_matrix, seeded(models.MFBias), epochs, **kwargs)
        bias = run.model.bias.weight.detach().cpu().numpy().ravel()
        auc[key] = seen(evaluate.dot_scores(run.embeddings, src, dst, bias))
    return auc


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], lambda p: (
        p.add_argument("--real", action="append", default=[], metavar="FILE",
                       help="a real Amazon metadata file (2014 or 2018 format); repeat for several"),
        p.add_argument("--epochs-long", type=int, default=5, help="the longer skip-gram run (default 5)")))
    import pandas as pd

    from recsys_tutorial.describe import graph_statistics
    from recsys_tutorial.edges import build_edges
    from recsys_tutorial.split import train_val_split

    stats, aucs, seconds = {}, {}, {}
    for source in ["synthetic", *args.real]:
        start = time.perf_counter()
        name, products, relations, require_title = load(source, args.scale, args.seed)
        edges, vocab = build_edges(products, relations, require_title=require_title)
        split = train_val_split(edges, num_nodes=len(vocab), seed=args.seed)
        stats[name] = {**graph_statistics(edges, vocab, products),
                       "validation pairs seen": float(split.val["seen"].mean())}
        auc = seen_aucs(split, args.seed, args.epochs_long)
        if source == "synthetic":
            synthetic_auc = auc
        aucs[name] = {label: auc[key] for key, label in method_names(args.epochs_long).items()}
        seconds[name] = {label: auc[f"{key}_s"] for key, label in method_names(args.epochs_long).items()
                         if f"{key}_s" in auc}
        print(f"{name}: {len(vocab):,} nodes, {len(edges):,} edges, {time.perf_counter() - start:.0f} s", flush=True)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:,.3f}".format):
        print("\nGraph statistics\n" + pd.DataFrame(stats).to_string())
        table = pd.DataFrame(aucs)
        print("\nSeen-AUC (same split rules, the book's settings)\n" + table.to_string())
        print("\nTraining seconds (one thread)\n" + pd.DataFrame(seconds).to_string())
        print("\nOrder of methods, best first:")
        for name in table.columns:
            print(f"  {name}: " + " > ".join(table[name].sort_values(ascending=False).index))
    s = stats[next(iter(stats))]
    print(result_line(nodes=s["nodes"], mean_degree=s["mean degree"], median_degree=s["median degree"],
                      top1_share=s["top-1% endpoint share"], clustering_ge2=s["clustering, degree ≥ 2"],
                      **synthetic_auc))


if __name__ == "__main__":
    main()
