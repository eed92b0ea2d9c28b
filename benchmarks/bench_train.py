"""PyTorch SGNS against gensim skip-gram on the same walks: tokens/s and seen-AUC side by side.

Both train one epoch, d = 128, window 5 (shrunk at random), 5 negatives per pair, subsampling 1e-3, linear
lr decay from 0.025 (gensim: 2 workers, ``corpus_file`` input; PyTorch: the hand-written SGD step on blocks of
256 walks with 32 shared negatives, one intra-op thread — two are slower for these small ops), on
first-order walks (10 × 10 per node) over the synthetic training graph of the scale.
Tokens/s = walk tokens processed per second of training.
The two optimise the same objective differently: our shared negatives push the context table by one step's
worth per batch where word2vec pushes k rows per pair, and at one epoch ours scores the higher seen-AUC
(gensim needs about five epochs to reach ours at one, measured on ``default``).
GPU: the same script runs with ``--device cuda`` on a machine that has one.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SCALES, parse_args, result_line


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], lambda p: (
        p.add_argument("--device", default="cpu"), p.add_argument("--walks-per-batch", type=int, default=256),
        p.add_argument("--shared", type=int, default=32)))
    import numpy as np

    from recsys_tutorial.edges import build_edges
    from recsys_tutorial.evaluate import auc_table, cosine_scores
    from recsys_tutorial.models import SkipGram
    from recsys_tutorial.sampling import WalkBlocks
    from recsys_tutorial.split import train_val_split
    from recsys_tutorial.synthetic import synthetic_tables
    from recsys_tutorial.train import train
    from recsys_tutorial.w2v import train_word2vec
    from recsys_tutorial.walks import ProductGraph, random_walks

    products, relations = synthetic_tables(SCALES[args.scale], seed=args.seed)
    edges, vocab = build_edges(products, relations)
    split = train_val_split(edges, num_nodes=len(vocab))
    graph = ProductGraph.from_edges(split.train, split.num_nodes, validation=split.val)
    walks = random_walks(graph, 10, 10, seed=args.seed, progress=False)
    tokens = int((walks >= 0).sum())
    val, src, dst = split.val, split.val["src"].to_numpy(), split.val["dst"].to_numpy()
    print(f"scale {args.scale}: {split.num_nodes:,} nodes, {len(walks):,} walks, {tokens:,} tokens", flush=True)

    gensim = train_word2vec(walks, split.num_nodes, sg=1, vector_size=128, window=5, negative=5, sample=1e-3,
                            epochs=1, workers=2, seed=args.seed)
    gensim_auc = auc_table(val, cosine_scores(gensim.vectors, src, dst), known=gensim.in_vocab)["auc_seen"]
    gensim_tps = tokens / gensim.seconds

    # word2vec's recipe in PyTorch: whole walks per batch, so each walk's pairs are one small matmul; the 5
    # negatives per pair are ``--shared`` rows drawn once per batch (each weighted 5/shared).
    import torch

    torch.manual_seed(args.seed)  # torch seeds itself at random: fix the initial vectors
    start = time.perf_counter()  # like gensim's time, ours includes counting tokens for subsampling/negatives
    batches = WalkBlocks(walks, split.num_nodes, walks_per_batch=args.walks_per_batch, window=5, negatives=5,
                         shared=args.shared, subsample=1e-3, seed=args.seed)
    result = train(SkipGram(split.num_nodes, 128), batches, epochs=1, lr=0.025, schedule="linear", optimizer="sgd",
                   eval_every=10**9, device=args.device, progress=False, threads=1)
    sgns_s = time.perf_counter() - start
    known = np.zeros(split.num_nodes, bool)
    known[np.unique(walks[walks >= 0])] = True
    sgns_auc = auc_table(val, cosine_scores(result.embeddings, src, dst), known=known)["auc_seen"]
    sgns_tps = tokens / sgns_s

    print(f"{'method':<36}{'tokens/s':>12}{'seconds':>10}{'seen AUC':>10}")
    print(f"{'gensim skip-gram (corpus_file)':<36}{gensim_tps:>12,.0f}{gensim.seconds:>10.1f}{gensim_auc:>10.4f}")
    print(f"{f'PyTorch SGNS ({result.device})':<36}{sgns_tps:>12,.0f}{sgns_s:>10.1f}{sgns_auc:>10.4f}")
    print(result_line(ratio=sgns_tps / gensim_tps, sgns_auc=sgns_auc, gensim_auc=gensim_auc,
                      sgns_tokens_per_s=sgns_tps, gensim_tokens_per_s=gensim_tps))


if __name__ == "__main__":
    main()
