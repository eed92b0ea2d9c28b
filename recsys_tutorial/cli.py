"""The ``recsys-tutorial`` command line: the book's pipeline on your catalogue, stage by stage, with a cache.

``recsys-tutorial run SOURCE --model sgns`` runs prepare → walk → train → evaluate → recommend; each stage
command runs the stages it needs (reusing finished ones from ``--workdir``). SOURCE is ``synthetic:N``, a
category of the 2014/2018 Amazon release (``Electronics``), or the path of a metadata file in either format.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from recsys_tutorial import pipeline

STAGES = ("prepare", "walk", "train", "evaluate", "recommend")
#: Epochs per model when --epochs is not given: the book's default profile.
DEFAULT_EPOCHS = {"gensim-sg": 1, "gensim-cbow": 5, "sgns": 1, "node2vec": 1, "side-info": 1, "mf-seq": 1, "mf": 5,
                  "mf-bias": 5}


class _Defaults(argparse.ArgumentDefaultsHelpFormatter):
    """Show every real default; options whose default is "none given" say what happens in their help text."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default in (None, False) or isinstance(action, argparse._HelpAction):
            return action.help or ""
        return super()._get_help_string(action)


def _parser() -> argparse.ArgumentParser:
    fmt = _Defaults
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("source", help="synthetic:N, a category name (Electronics), or a metadata file path")
    common.add_argument("--workdir", type=Path, default=Path("runs"), help="folder of the stage run folders")
    common.add_argument("-v", "--verbose", action="store_true", help="log every step (default: warnings only)")
    common.add_argument("--force", action="append", default=[], choices=STAGES, metavar="STAGE",
                        help=f"recompute this stage even if cached (repeatable; one of {', '.join(STAGES)})")
    common.add_argument("--seed", type=int, default=42, help="seed of data, split, walks and training")
    common.add_argument("--version", type=int, default=2014, choices=(2014, 2018), help="release of a category")
    common.add_argument("--val-frac", type=float, default=0.33, help="share of edges held out for validation")
    common.add_argument("--negatives", default="uniform", choices=("uniform", "degree"),
                        help="validation negatives")
    common.add_argument("--keep-untitled", action="store_true",
                        help="keep relations of products without a title (2018 extracts often lack titles; "
                             "default: drop them, as the original)")
    walk = argparse.ArgumentParser(add_help=False)
    walk.add_argument("--walks", type=int, default=10, help="walks started from every product")
    walk.add_argument("--length", type=int, default=10, help="nodes per walk")
    walk.add_argument("--p", type=float, default=None, help="node2vec return parameter (node2vec: 0.5, else 1)")
    walk.add_argument("--q", type=float, default=None, help="node2vec in-out parameter (node2vec: 2, else 1)")
    scale = argparse.ArgumentParser(add_help=False)
    scale.add_argument("--cluster", default=None, metavar="ADDRESS",
                       help="Dask scheduler (tcp://host:8786) for parsing and walks; same results as one process")
    scale.add_argument("--workers", type=int, default=None,
                       help="run parsing and walks on a local Dask cluster of N worker processes")
    model = argparse.ArgumentParser(add_help=False)
    model.add_argument("--model", default="sgns", choices=pipeline.MODELS, help="embedding method")
    model.add_argument("--dim", type=int, default=128, help="embedding dimension")
    model.add_argument("--epochs", type=int, default=None,
                       help="training epochs (default per model: " + ", ".join(
                           f"{m} {e}" for m, e in DEFAULT_EPOCHS.items()) + ")")
    model.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"), help="torch device")
    evaluate = argparse.ArgumentParser(add_help=False)
    evaluate.add_argument("--queries", type=int, default=1000,
                          help="products sampled for recall/NDCG (0: every product with a held-out neighbour)")
    evaluate.add_argument("--ks", type=int, nargs="+", default=[10, 100], help="cut-offs of recall and NDCG")
    recommend = argparse.ArgumentParser(add_help=False)
    recommend.add_argument("--k", type=int, default=10, help="recommendations per product")
    recommend.add_argument("--out", type=Path, default=None,
                           help="also write them here (.parquet or .csv; default: only in the run folder)")
    recommend.add_argument("--exclude-train", action="store_true",
                           help="leave out known co-purchases (training edges), as evaluate's recall does "
                                "(default: keep them)")
    recommend.add_argument("--index", default="exact", choices=("exact", "hnsw"),
                           help="exact top-k, or faiss HNSW for millions of products (cosine models)")

    parser = argparse.ArgumentParser(prog="recsys-tutorial", description=__doc__.splitlines()[0],
                                     formatter_class=fmt)
    sub = parser.add_subparsers(dest="command", required=True)
    helps = {"prepare": "metadata → products, relations, edges and split (parquet)",
             "walk": "random walks on the training graph (first-order, or node2vec with --p/--q)",
             "train": "train one embedding model → embeddings/ (vectors.npy, vocab.parquet, meta.json)",
             "evaluate": "ROC-AUC and recall/NDCG@k of a model → metrics.json / metrics.csv",
             "recommend": "top-k for every product → recommendations.parquet",
             "run": "every stage: prepare, walk, train, evaluate, recommend"}
    parents = {"prepare": [common, scale], "walk": [common, walk, scale], "train": [common, walk, scale, model],
               "evaluate": [common, walk, scale, model, evaluate],
               "recommend": [common, walk, scale, model, recommend],
               "run": [common, walk, scale, model, evaluate, recommend]}
    for name, group in parents.items():
        sub.add_parser(name, parents=group, help=helps[name], description=helps[name], formatter_class=fmt)
    return parser


def _check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Usage errors before any work."""
    positive = {"walks": getattr(args, "walks", 1), "length": getattr(args, "length", 2),
                "dim": getattr(args, "dim", 1), "k": getattr(args, "k", 1), "workers": args.workers}
    for name, value in positive.items():
        if value is not None and value < 1:
            parser.error(f"--{name} must be ≥ 1, got {value}")
    for name in ("p", "q"):
        value = getattr(args, name, None)
        if value is not None and not (0 < value < float("inf")):
            parser.error(f"--{name} must be a positive finite number, got {value}")
    if not 0 < args.val_frac < 1:
        parser.error(f"--val-frac must lie in (0, 1), got {args.val_frac}")
    if getattr(args, "epochs", None) is not None and args.epochs < 1:
        parser.error(f"--epochs must be ≥ 1, got {args.epochs}")
    if getattr(args, "out", None) is not None and args.out.suffix not in (".parquet", ".csv"):
        parser.error(f"--out must end in .parquet or .csv, got {args.out}")


def _say(stage: str, result: pipeline.StageResult) -> None:
    how = "reused" if result.reused else f"computed in {result.manifest['seconds']:.1f} s"
    print(f"{stage:<9} {how:<22} {result.folder}", flush=True)


def _write_out(table_path: Path, out: Path) -> None:
    """Copy the recommendations to ``out`` (parquet or CSV), atomically."""
    import pandas as pd

    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(fd)
    try:
        if out.suffix == ".csv":
            pd.read_parquet(table_path).to_csv(tmp, index=False)
        else:
            shutil.copyfile(table_path, tmp)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(args: argparse.Namespace) -> dict[str, pipeline.StageResult]:
    """Run the stages ``args.command`` needs, in order; return each stage's result."""
    from recsys_tutorial import get_device

    source = pipeline.parse_source(args.source)
    force = set(args.force)
    done: dict[str, pipeline.StageResult] = {}
    prep_params = {"source": pipeline.source_fingerprint(source), "version": args.version, "seed": args.seed,
                   "val_frac": args.val_frac, "negatives": args.negatives, "require_title": not args.keep_untitled}
    scale = {"cluster": args.cluster, "workers": args.workers}  # not in the fingerprints: same results
    done["prepare"] = pipeline.run_stage(
        args.workdir, "prepare", prep_params, {}, lambda f: pipeline.prepare(
            f, source, args.version, args.seed, args.val_frac, args.negatives, not args.keep_untitled, **scale),
        force="prepare" in force)
    _say("prepare", done["prepare"])
    if args.command == "prepare":
        return done
    model = getattr(args, "model", None)
    node2vec = model == "node2vec"
    p = args.p if args.p is not None else (0.5 if node2vec else 1.0)
    q = args.q if args.q is not None else (2.0 if node2vec else 1.0)
    if model is None or model in pipeline.WALK_MODELS:
        walk_params = {"walks": args.walks, "length": args.length, "p": p, "q": q, "seed": args.seed}
        done["walk"] = pipeline.run_stage(
            args.workdir, "walk", walk_params, {"prepare": done["prepare"]},
            lambda f: pipeline.walk(f, done["prepare"], args.walks, args.length, p, q, args.seed, **scale),
            force="walk" in force)
        _say("walk", done["walk"])
    if args.command == "walk":
        return done
    epochs = args.epochs or DEFAULT_EPOCHS[model]
    train_params = {"model": model, "dim": args.dim, "epochs": epochs, "seed": args.seed}
    inputs = {"prepare": done["prepare"], **({"walk": done["walk"]} if "walk" in done else {})}
    done["train"] = pipeline.run_stage(
        args.workdir, "train", train_params, inputs,
        lambda f: pipeline.train_model(f, model, done["prepare"], done.get("walk"), args.dim, epochs, args.seed,
                                       get_device(None if args.device == "auto" else args.device)),
        force="train" in force)
    _say("train", done["train"])
    upstream = {"prepare": done["prepare"], "train": done["train"]}
    if args.command in ("evaluate", "run"):
        ks = tuple(sorted(set(args.ks)))
        done["evaluate"] = pipeline.run_stage(
            args.workdir, "evaluate", {"seed": args.seed, "queries": args.queries, "ks": ks}, upstream,
            lambda f: pipeline.evaluate_model(f, done["prepare"], done["train"], args.seed, args.queries, ks),
            force="evaluate" in force)
        _say("evaluate", done["evaluate"])
        _print_metrics(done["evaluate"].manifest["metrics"], model)
    if args.command in ("recommend", "run"):
        done["recommend"] = pipeline.run_stage(
            args.workdir, "recommend", {"k": args.k, "exclude_train": args.exclude_train, "index": args.index},
            upstream, lambda f: pipeline.recommend_stage(f, done["prepare"], done["train"], args.k,
                                                         args.exclude_train, args.index),
            force="recommend" in force)
        _say("recommend", done["recommend"])
        table = done["recommend"].folder / "recommendations.parquet"
        print(f"recommendations: {table}")
        if args.out is not None:
            _write_out(table, args.out)
            print(f"written to {args.out}")
    return done


def _print_metrics(metrics: dict, model: str) -> None:
    shown = {k: v for k, v in metrics.items() if k.startswith(("auc", "recall", "ndcg"))}
    print(f"\n{model}:")
    for key, value in shown.items():
        print(f"  {key:<22} {value:.4f}")
    print()


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _check(args, parser)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    try:
        run(args)
    except (ValueError, FileNotFoundError, KeyError) as exc:
        print(f"recsys-tutorial: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
