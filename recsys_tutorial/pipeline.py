"""Pipeline: the book's stages as cached steps with files between them — prepare, walk, train, evaluate, recommend.

Each stage writes one run folder, ``<workdir>/<stage>-<fingerprint>``, named by a hash of its parameters, the
fingerprints of the stages it reads and the package version. A finished folder is reused (its manifest says
so); a stage is computed in a temporary folder renamed into place when complete, so an interrupted stage
leaves nothing that a later run could take for finished. ``manifest.json`` records parameters, inputs,
wall time and peak memory. Hand-written (≈ 60 lines) rather than joblib.Memory or DVC: joblib caches pickled
return values (we never unpickle, and users want parquet/npy files they can open), and DVC needs a git
repository and YAML stages of its own — too much ceremony for one command line.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from recsys_tutorial import __version__

if TYPE_CHECKING:
    import numpy as np

__all__ = ["MODELS", "StageResult", "load_prepared", "parse_source", "run_stage", "source_fingerprint"]

logger = logging.getLogger(__name__)

MODELS = ("gensim-sg", "gensim-cbow", "sgns", "node2vec", "side-info", "mf", "mf-bias", "mf-seq")
WALK_MODELS = {"gensim-sg", "gensim-cbow", "sgns", "node2vec", "side-info", "mf-seq"}
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class StageResult:
    """A finished stage: its folder, manifest and whether it was reused from the cache."""

    folder: Path
    manifest: dict
    reused: bool

    @property
    def fingerprint(self) -> str:
        return self.manifest["fingerprint"]


def _progress() -> bool:
    """Progress bars on long stages when a person watches (stderr is a terminal), never in logs or tests."""
    return sys.stderr.isatty()


def _fingerprint(stage: str, params: dict, inputs: dict[str, str]) -> str:
    blob = json.dumps({"stage": stage, "params": params, "inputs": inputs, "version": __version__},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _reset_peak_rss() -> None:
    """Restart the kernel's peak-RSS counter (Linux ``clear_refs``) so each stage reports its own peak."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_stage(workdir: Path, stage: str, params: dict, inputs: dict[str, StageResult],
              compute: Callable[[Path], dict | None], force: bool = False) -> StageResult:
    """Reuse ``<workdir>/<stage>-<fingerprint>`` if finished (and not ``force``), else compute it atomically.

    ``compute(folder)`` writes the stage's files into a temporary folder and may return extra manifest values.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    input_fps = {name: result.fingerprint for name, result in inputs.items()}
    fingerprint = _fingerprint(stage, params, input_fps)
    folder = workdir / f"{stage}-{fingerprint}"
    if (folder / MANIFEST).is_file() and not force:
        logger.info("%s: reused %s", stage, folder)
        return StageResult(folder, json.loads((folder / MANIFEST).read_text()), reused=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{stage}-{fingerprint}.tmp-", dir=workdir))
    try:
        _reset_peak_rss()
        start = time.perf_counter()
        extra = compute(tmp) or {}
        manifest = {"stage": stage, "fingerprint": fingerprint, "params": params, "inputs": input_fps,
                    "input_folders": {name: r.folder.name for name, r in inputs.items()},
                    "package_version": __version__, "seconds": round(time.perf_counter() - start, 3),
                    "peak_rss_mb": round(_peak_rss_mb()), "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "files": sorted(p.name for p in tmp.iterdir()), **extra}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, default=str))
        if folder.exists():  # --force: the old folder goes only once the new one is complete
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("%s: computed %s in %.1f s", stage, folder, manifest["seconds"])
    return StageResult(folder, manifest, reused=False)


# --- sources ------------------------------------------------------------------------------------------------


def parse_source(source: str) -> dict:
    """``synthetic:N`` (the embedded generator, N graph products), a 2014/2018 category name, or a file path."""
    if source.startswith("synthetic"):
        _, _, size = source.partition(":")
        try:
            n = int(size.replace("_", "")) if size else 50_000
        except ValueError:
            raise ValueError(f"synthetic size must be an integer, e.g. synthetic:2000; got {source!r}") from None
        if n < 100:
            raise ValueError(f"synthetic size must be at least 100 products, got {n}")
        return {"kind": "synthetic", "n_products": n}
    from recsys_tutorial.data import is_metadata_path  # pandas: imported only when needed (cache hits stay fast)

    folder = Path(source).expanduser()
    if folder.is_dir():
        files = sorted(str(f.resolve()) for f in folder.iterdir() if f.is_file() and is_metadata_path(f))
        if not files:
            raise FileNotFoundError(f"no metadata files (*.json, *.json.gz) in {folder}")
        return {"kind": "files", "paths": files}
    if is_metadata_path(source):
        path = Path(source).expanduser().resolve()
        if not path.is_file():
            raise FileNotFoundError(f"metadata file not found: {path}")
        return {"kind": "file", "path": str(path)}
    return {"kind": "category", "name": source}


def source_fingerprint(source: dict) -> dict:
    """What identifies the data: the generator version and size, or the file's size and SHA-256."""
    from recsys_tutorial.synthetic import GENERATOR_VERSION

    if source["kind"] == "synthetic":
        return {**source, "generator": GENERATOR_VERSION}
    if source["kind"] == "file":
        return {**source, "sha256": _sha256(source["path"])}
    if source["kind"] == "files":
        return {**source, "sha256": [_sha256(path) for path in source["paths"]]}
    return source


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


# --- stage bodies ----------------------------------------------------------------------------------------------


def prepare(folder: Path, source: dict, version: int, seed: int, val_frac: float, negatives: str,
            require_title: bool, cluster: str | None = None, workers: int | None = None) -> dict:
    """Metadata → products, relations, weighted edges, vocabulary and the train/validation split, as parquet.

    A folder of files is parsed in parallel on Dask when ``cluster`` or ``workers`` is given (same tables).
    """
    import pandas as pd

    from recsys_tutorial import data, edges, split

    if source["kind"] == "files" and (cluster or workers):
        from recsys_tutorial import distributed

        with distributed.cluster(cluster, workers=workers or 2) as client:
            products, edge_table, vocab = distributed.prepare(source["paths"], client=client,
                                                              require_title=require_title)
        relations, label = None, f"{len(source['paths'])} metadata files, {len(products):,} products (Dask)"
    else:
        if source["kind"] == "files":
            products, relations = data.read_metadata_files(source["paths"])
            label = f"{len(source['paths'])} metadata files, {len(products):,} products"
        else:
            name = source.get("path") or source.get("name") or "synthetic"
            products, relations, report = data.load_dataset(name, n_products=source.get("n_products", 50_000),
                                                            seed=seed, version=version)
            label = report.label
        edge_table, vocab = edges.build_edges(products, relations, require_title=require_title)
    sp = split.train_val_split(edge_table, val_frac=val_frac, seed=seed, negatives=negatives, num_nodes=len(vocab))
    if relations is not None:
        data.save_tables(products, relations, folder)
    else:  # built on the cluster: the relations never came to this process
        products.to_parquet(folder / "products.parquet", index=False)
    edge_table.to_parquet(folder / "edges.parquet", index=False)
    titles = products.drop_duplicates("asin").set_index("asin")["title"].reindex(vocab)
    pd.DataFrame({"asin": vocab.astype(str), "title": titles.to_numpy()}).to_parquet(folder / "vocab.parquet",
                                                                                     index=False)
    for part in ("train", "val", "val_sample"):
        getattr(sp, part).to_parquet(folder / f"{part}.parquet", index=False)
    return {"data": label, "graph_nodes": len(vocab), "graph_edges": len(edge_table),
            "split": sp.summary(), "num_nodes": sp.num_nodes, "negatives": sp.negatives, "split_seed": sp.seed}


def load_prepared(result: StageResult):
    """``(products, vocab, titles, split)`` from a prepare folder."""
    import pandas as pd

    from recsys_tutorial.split import Split

    folder = result.folder
    vocab_table = pd.read_parquet(folder / "vocab.parquet")
    sp = Split(*(pd.read_parquet(folder / f"{part}.parquet") for part in ("train", "val", "val_sample")),
               num_nodes=result.manifest["num_nodes"], negatives=result.manifest["negatives"],
               seed=result.manifest["split_seed"])
    products = pd.read_parquet(folder / "products.parquet")
    return products, pd.Index(vocab_table["asin"]), vocab_table["title"].to_numpy(dtype=object), sp


def walk(folder: Path, prepared: StageResult, num_walks: int, length: int, p: float, q: float, seed: int,
         cluster: str | None = None, workers: int | None = None) -> dict:
    """Random walks on the training graph (first-order, or node2vec with p/q) → ``walks.npy``; on Dask when
    ``cluster`` or ``workers`` is given (the same walks, bit for bit)."""
    import numpy as np

    from recsys_tutorial import walks

    _, _, _, sp = load_prepared(prepared)
    graph = walks.ProductGraph.from_edges(sp.train, sp.num_nodes)
    if cluster or workers:
        from recsys_tutorial import distributed

        with distributed.cluster(cluster, workers=workers or 2) as client:
            matrix = distributed.random_walks(graph, num_walks, length, p=p, q=q, seed=seed, client=client)
    else:
        matrix = walks.random_walks(graph, num_walks, length, p=p, q=q, seed=seed, progress=_progress())
    np.save(folder / "walks.npy", matrix, allow_pickle=False)
    return {"walks": len(matrix), "tokens": int((matrix >= 0).sum())}


def train_model(folder: Path, model: str, prepared: StageResult, walked: StageResult | None, dim: int,
                epochs: int, seed: int, device: str) -> dict:
    """One of :data:`MODELS` with the book's recipe → an ``embeddings/`` folder (``recommend.Embeddings``)."""
    import numpy as np
    import torch

    from recsys_tutorial import features, models, sampling, train, w2v
    from recsys_tutorial.recommend import Embeddings

    products, vocab, titles, sp = load_prepared(prepared)
    n = sp.num_nodes
    known = np.zeros(n, bool)
    known[sp.train[["src", "dst"]].to_numpy().ravel()] = True
    walk_matrix = np.load(walked.folder / "walks.npy", allow_pickle=False) if walked else None
    torch.manual_seed(seed)

    def sgd_on(net: torch.nn.Module) -> train.TrainResult:
        blocks = sampling.WalkBlocks(walk_matrix, n, walks_per_batch=256, window=5, negatives=5, shared=32,
                                     subsample=1e-3, seed=seed)
        return train.train(net, blocks, epochs=epochs, lr=0.025, schedule="linear", optimizer="sgd", threads=1,
                           device=device, seed=seed, progress=_progress())

    cold = None
    if model in ("gensim-sg", "gensim-cbow"):
        result = w2v.train_word2vec(walk_matrix, n, sg=int(model == "gensim-sg"), vector_size=dim, epochs=epochs,
                                    workers=1, seed=seed)
    elif model in ("sgns", "node2vec"):
        result = sgd_on(models.SkipGram(n, dim))
    elif model == "side-info":
        info, side = features.side_information(products, vocab)
        result = sgd_on(models.SideInfoSkipGram(n, side, info.field_sizes, dim, mode="eges"))
        ids = np.flatnonzero(~known & (side > 0).any(axis=1))
        cold = (ids, result.model.cold_start(side[ids])) if len(ids) else None
    elif model == "mf-seq":
        result = sgd_on(models.MFBias(n, dim))
    else:
        batches = sampling.EdgeBatches(sp.train, n, batch_size=256, seed=seed)
        net = (models.MFBias if model == "mf-bias" else models.MF)(n, dim)
        result = train.train(net, batches, epochs=epochs, lr=0.02, schedule="restarts", device=device, seed=seed,
                             progress=_progress())
    emb = Embeddings.from_result(result, vocab, model, known=known.copy(), cold_start=cold, titles=titles,
                                 params={"dim": dim, "epochs": epochs, "seed": seed},
                                 data_fingerprint=prepared.fingerprint)
    emb.save(folder / "embeddings")
    return {"model": model, "score": emb.meta["score"], "trained_seconds": round(result.seconds, 3),
            "products_with_vector": int(emb.known.sum())}


def _train_neighbours(sp, n: int) -> list[np.ndarray]:
    """Each product's training neighbours (known co-purchases), the products a held-out test must not count."""
    import numpy as np

    from recsys_tutorial.evaluate import adjacency

    adj = adjacency(sp.train, n)
    return np.split(adj.indices.astype(np.int64), adj.indptr[1:-1])


def evaluate_model(folder: Path, prepared: StageResult, trained: StageResult, seed: int, queries: int,
                   ks: tuple[int, ...]) -> dict:
    """ROC-AUC (all / seen / unseen / degree-matched) and recall/NDCG@k → ``metrics.json`` and ``metrics.csv``."""
    import numpy as np
    import pandas as pd

    from recsys_tutorial import evaluate
    from recsys_tutorial.recommend import Embeddings, score_rows

    _, _, _, sp = load_prepared(prepared)
    emb = Embeddings.load(trained.folder / "embeddings")
    pairs = evaluate.evaluation_pairs(sp, seed=seed)
    src, dst = pairs["src"].to_numpy(), pairs["dst"].to_numpy()
    if emb.meta["score"] == "cosine":
        scores = evaluate.cosine_scores(emb.vectors, src, dst)
    else:
        scores = evaluate.dot_scores(emb.vectors, src, dst, emb.bias)
    report = evaluate.method_report(emb.meta["method"], scores, pairs, known=emb.known).iloc[0].to_dict()
    ranking = evaluate.ranking_metrics(lambda q: score_rows(emb, q), sp, ks=ks,
                                       num_queries=queries or sp.num_nodes, seed=seed)
    metrics = {**{k: v for k, v in report.items() if k != "method"}, **ranking}
    metrics = {k: (float(v) if isinstance(v, (int, float, np.floating, np.integer)) else v) for k, v in metrics.items()}
    frame = pd.DataFrame([{"method": emb.meta["method"], **metrics}])
    frame.to_csv(folder / "metrics.csv", index=False)
    (folder / "metrics.json").write_text(json.dumps({"method": emb.meta["method"], **metrics}, indent=1))
    return {"metrics": metrics}


def recommend_stage(folder: Path, prepared: StageResult, trained: StageResult, k: int, exclude_train: bool,
                    index: str) -> dict:
    """Top-k for every product with a vector → ``recommendations.parquet`` (query, rank, asin, score)."""
    import numpy as np
    import pandas as pd

    from recsys_tutorial.recommend import Embeddings, recommend_all, top_k

    emb = Embeddings.load(trained.folder / "embeddings")
    if exclude_train:
        _, _, _, sp = load_prepared(prepared)
        queries = np.flatnonzero(emb.known)
        neighbours = _train_neighbours(sp, len(emb))
        ids, scores = top_k(emb, queries, k, exclude=[neighbours[i] for i in queries])
        rows, ranks = np.nonzero(ids >= 0)
        table = pd.DataFrame({"query": emb.vocab.to_numpy()[queries[rows]], "rank": (ranks + 1).astype(np.int32),
                              "asin": emb.vocab.to_numpy()[ids[rows, ranks]], "score": scores[rows, ranks]})
        recall = None
    else:
        table = recommend_all(emb, k=k, index=index)
        recall = table.attrs.get("recall@k")
    table.to_parquet(folder / "recommendations.parquet", index=False)
    return {"queries": int(table["query"].nunique()), "rows": len(table),
            **({"ann_recall_at_k": recall} if recall is not None else {})}
