"""Side information: does it help, where, and which form? Plain skip-gram, GES and EGES on the same walks.

For the synthetic data of a scale and every real metadata file given with ``--real`` (2014 or 2018 format),
one split (a third of the edges held out, uniform negatives), one walk corpus (10 × 10 first-order), and the
book's recipe (whole-walk SGD, lr 0.025 decaying linearly, window 5, 5 negatives, d = 128). Each variant of
``models.SideInfoSkipGram`` is trained on the same walks and scored by cosine:

- seen-AUC on every seen pair, on seen pairs with a long-tail product (≤ 2 training edges) at an end, on those
  whose long-tail end has side information (the only ones it can reach), and on seen pairs with side
  information at an end;
- cold-start AUC on the unseen pairs whose products all have a vector (trained or built from their fields):
  from the model's field vectors, and training-free from the centroids of trained products sharing a field
  (``features.centroid_cold_start``, for every variant, plain skip-gram included);
- EGES's mean softmax weight on the product's own id, over the products that have side information.

Usage: ``python benchmarks/bench_side_info.py --scale default --real meta_Digital_Music.json.gz``. Ends with one
RESULT line: the book's variant against plain skip-gram on each dataset (real files prefixed by their name).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SCALES, parse_args, result_line

DIM, WALKS, LENGTH, LONG_TAIL = 128, 10, 10, 2

#: The book's scheme: EGES starting at the evidence weight d / (d + 2), logits stepped at 10² × the rate.
BOOK = "EGES, own weight from d/(d+2) (the book's)"


def variants(degree) -> dict[str, dict | None]:
    """label → SideInfoSkipGram keyword arguments (None: plain skip-gram), given the training degrees."""
    import numpy as np

    def evidence(c: float):
        return np.where(degree > 0, degree / (degree + c), 1.0)

    return {
        "skip-gram": None,
        "GES (equal weights)": {"mode": "mean"},
        "EGES (equal start, logits at 10^4 x lr)": {"mode": "eges"},
        "GES, own weight 0.8": {"mode": "mean", "id_weight": 0.8},
        "GES, own weight d/(d+2)": {"mode": "mean", "id_weight": evidence(2.0)},
        "GES, own weight d/(d+10)": {"mode": "mean", "id_weight": evidence(10.0)},
        "residual: own + 0.5 x mean of fields": {"mode": "residual", "field_scale": 0.5},
        BOOK: {"mode": "eges", "id_weight": evidence(2.0), "attention_lr_scale": 1e2},
    }


def load(source: str, scale: str, seed: int):
    """(name, products, relations, require_title) for the synthetic data of a scale or a real metadata file."""
    from recsys_tutorial.data import read_amazon_metadata
    from recsys_tutorial.synthetic import synthetic_tables

    if source == "synthetic":
        products, relations = synthetic_tables(SCALES[scale], seed=seed)
        return f"synthetic {scale}", products, relations, True
    products, relations, _ = read_amazon_metadata(source)
    require_title = bool(products["title"].notna().any())
    return Path(source).name.removeprefix("meta_").split(".")[0], products, relations, require_title


def evaluate_variants(products, relations, require_title: bool, seed: int, epochs: int,
                      only: list[str] | None = None) -> list[dict]:
    """One row per variant: the metrics of the module docstring, and training seconds."""
    import numpy as np
    import torch

    from recsys_tutorial import edges, evaluate, features, models, sampling, split, train, walks

    table, vocab = edges.build_edges(products, relations, require_title=require_title)
    sp = split.train_val_split(table, val_frac=0.33, seed=seed)
    n, val = sp.num_nodes, sp.val
    src, dst = val["src"].to_numpy(), val["dst"].to_numpy()
    degree = np.bincount(np.concatenate([sp.train["src"], sp.train["dst"]]), minlength=n)
    in_train = degree > 0
    info, side = features.side_information(products, vocab)
    has_side = (side > 0).any(axis=1)
    seen = in_train[src] & in_train[dst]
    tail_src, tail_dst = (degree[src] <= LONG_TAIL) & in_train[src], (degree[dst] <= LONG_TAIL) & in_train[dst]
    tail = seen & (tail_src | tail_dst)
    tail_side = seen & ((tail_src & has_side[src]) | (tail_dst & has_side[dst]))  # where fields can reach
    with_side = seen & (has_side[src] | has_side[dst])
    cold = ~in_train & has_side
    with_vector = in_train | cold
    scorable = ~seen & with_vector[src] & with_vector[dst]
    graph = walks.ProductGraph.from_edges(sp.train, n, validation=val)
    corpus = walks.random_walks(graph, WALKS, LENGTH, seed=seed, progress=False)
    def cold_auc(trained: np.ndarray, cold_vectors: np.ndarray) -> float:
        """AUC on the scorable unseen pairs: the trained vectors, the cold products given ``cold_vectors``."""
        vectors = trained.copy()
        vectors[cold] = cold_vectors
        cold_scores = evaluate.cosine_scores(vectors, src[scorable], dst[scorable])
        return evaluate.auc_table(val[scorable], cold_scores, known=with_vector)["auc_all"]

    rows = []
    for label, kwargs in variants(degree).items():
        if only and label != "skip-gram" and label not in only:
            continue
        torch.manual_seed(seed)  # torch seeds itself at random at start-up: fix the initial vectors
        model = (models.SkipGram(n, DIM) if kwargs is None
                 else models.SideInfoSkipGram(n, side, info.field_sizes, DIM, **kwargs))
        blocks = sampling.WalkBlocks(corpus, n, walks_per_batch=256, window=5, negatives=5, shared=32,
                                     subsample=1e-3, seed=seed)
        run = train.train(model, blocks, epochs=epochs, lr=0.025, schedule="linear", optimizer="sgd",
                          eval_every=10**9, device="cpu", seed=seed, progress=False, threads=1)
        scores = evaluate.cosine_scores(run.embeddings, src, dst)
        row = {"variant": label, "seen": evaluate.auc_table(val, scores, known=in_train)["auc_seen"],
               "long tail": evaluate.auc_table(val[tail], scores[tail], known=in_train)["auc_all"],
               "long tail with side info": evaluate.auc_table(val[tail_side], scores[tail_side],
                                                              known=in_train)["auc_all"],
               "with side info": evaluate.auc_table(val[with_side], scores[with_side],
                                                    known=in_train)["auc_all"],
               "seconds": run.seconds}
        if kwargs is not None and scorable.any():
            row["cold start"] = cold_auc(run.embeddings, model.cold_start(side[cold]))
        if scorable.any():  # training-free: field centroids of the trained vectors, for any variant
            row["cold, centroids"] = cold_auc(run.embeddings, features.centroid_cold_start(
                run.embeddings, in_train, side, np.flatnonzero(cold)))
        if kwargs is not None and kwargs.get("mode") == "eges":
            row["own-id weight"] = float(model.id_weights(np.flatnonzero(has_side & in_train)).mean())
        rows.append(row)
        print(f"  {label:<40} seen {row['seen']:.3f}  long tail {row['long tail']:.3f} "
              f"(with side info {row['long tail with side info']:.3f})  "
              f"with side info {row['with side info']:.3f}  cold {row.get('cold start', float('nan')):.3f} "
              f"(centroids {row.get('cold, centroids', float('nan')):.3f})  "
              f"own-id {row.get('own-id weight', float('nan')):.3f}  {run.seconds:.0f} s", flush=True)
    print(f"  {int(seen.sum()):,} seen pairs, {int(tail.sum()):,} with a long-tail product "
          f"({int(tail_side.sum()):,} of them with side information on a long-tail end), "
          f"{int(with_side.sum()):,} with side information at an end; {int(scorable.sum()):,} unseen pairs "
          f"cold start can score; {has_side.mean():.0%} of graph products have a field", flush=True)
    return rows


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], lambda p: (
        p.add_argument("--real", action="append", default=[], metavar="FILE",
                       help="a real metadata file (repeatable)"),
        p.add_argument("--epochs", type=int, default=1, help="skip-gram epochs (default 1, the book's)"),
        p.add_argument("--no-synthetic", action="store_true", help="only the --real files"),
        p.add_argument("--only", action="append", default=None, metavar="LABEL",
                       help="train only these variants (repeatable; skip-gram always runs)")))
    import pandas as pd

    sources = ([] if args.no_synthetic else ["synthetic"]) + args.real
    start, result = time.perf_counter(), {}
    for source in sources:
        name, products, relations, require_title = load(source, args.scale, args.seed)
        print(f"{name}:", flush=True)
        rows = evaluate_variants(products, relations, require_title, args.seed, args.epochs, args.only)
        frame = pd.DataFrame(rows).set_index("variant")
        print(frame.to_string(float_format="{:.3f}".format), flush=True)
        plain, book = frame.loc["skip-gram"], frame.loc[BOOK]
        prefix = "" if source == "synthetic" else name.lower().replace(" ", "_") + "_"
        result.update({f"{prefix}seen_gain": book["seen"] - plain["seen"],
                       f"{prefix}long_tail_gain": book["long tail"] - plain["long tail"],
                       f"{prefix}cold_start": book.get("cold start", float("nan")),
                       f"{prefix}own_id_weight": book["own-id weight"]})
    print(result_line(seconds=time.perf_counter() - start, **result), flush=True)


if __name__ == "__main__":
    main()
