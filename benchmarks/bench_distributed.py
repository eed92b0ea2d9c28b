"""The distributed path against the single-process one on this machine: prepare, walks and SGNS training.

What a user gives up by running on Dask + torchrun when one machine would do, stage by stage, with the same inputs
and outputs checked equal: wall time of each path (the single-process one as the package runs it — files parsed one
after another, numba walks on every core, SGNS on one thread), their ratio, per-worker throughput (work ÷ wall ÷
workers: what the cost model on the Scaling out page projects from), and peak memory of the single-process path's own
process, each Dask worker and each rank. The cluster is started before timing (its start-up is printed on
its own) and every stage runs once before it is timed, so numba's compiled kernels and imports are warm on both
paths. Preparation and walks call the two paths in turn, ``--repeats`` times each (the order swapped every round),
and report each path's median: a sub-second stage swings ±50 % between calls on a shared machine, and paths timed
minutes apart let that noise set their ratio. The single-process path runs in a process of its own, with no Dask
client, scheduler or event loop in it, as a user without a cluster runs it. Shipping the graph to the workers happens
once per graph and client (later walks reuse it) and is printed on its own, as the cluster's start-up. Training is
timed once per path, two ways: the loop alone, and the wall of the command a user runs — ``python -m
recsys_tutorial.distributed sgns`` against the same under ``torchrun``, both paying interpreter start-up and imports.
Usage: ``python benchmarks/bench_distributed.py [--scale default] [--workers 2] [--files 4] [--repeats 11]``;
ends with a RESULT line.
"""

from __future__ import annotations

import gzip
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import parse_args, peak_rss_gb, result_line, run_stage, synthetic_file

WALKS, LENGTH, P, Q, DIM = 10, 10, 0.5, 2.0, 128


def split_file(source: Path, parts: int, folder: Path) -> list[Path]:
    """``source``'s lines dealt round-robin into ``parts`` gzip files: one catalogue delivered as several files."""
    outs = [gzip.open(folder / f"meta_part{i}.json.gz", "wt", encoding="utf-8", compresslevel=1)
            for i in range(parts)]
    with gzip.open(source, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            outs[i % parts].write(line)
    for out in outs:
        out.close()
    return [folder / f"meta_part{i}.json.gz" for i in range(parts)]


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def interleaved(repeats: int, one, other) -> tuple[list[float], list[float]]:
    """Seconds of ``repeats`` calls of each of two timed stages (each returns its seconds), called in turn with the
    order swapped every round, so both paths see the same machine."""
    times: tuple[list[float], list[float]] = ([], [])
    for r in range(repeats):
        for k in ((0, 1) if r % 2 == 0 else (1, 0)):
            times[k].append((one, other)[k]())
    return times


class Isolated:
    """A stage of the single-process path in a fresh process of its own: ``setup(*args)`` there returns the stage
    as a function, called once at once (its result comes back: the reference output, and a warm-up) and then on
    each call of this object, which returns the seconds it took; :meth:`close` returns the process's peak GB."""

    def __init__(self, setup, *args):
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(child, setup, args), daemon=True)
        self._process.start()
        self.result = self._conn.recv()

    def __call__(self) -> float:
        self._conn.send("run")
        return self._conn.recv()

    def close(self) -> float:
        self._conn.send("stop")
        peak = self._conn.recv()
        self._process.join()
        return peak


def _serve(conn, setup, args) -> None:
    stage = setup(*args)
    conn.send(stage())
    while conn.recv() == "run":
        conn.send(timed(stage)[1])  # the result is dropped at once: peak memory stays one call's
    conn.send(peak_rss_gb())


def single_prepare(paths: list[Path]):
    """Read the files in order and build the edges: the package's single-process preparation."""
    from recsys_tutorial import data, edges

    def stage():
        products, relations = data.read_metadata_files(paths)
        table, vocab = edges.build_edges(products, relations)
        return len(products), table.reset_index(drop=True), vocab

    return stage


def single_walks(train_path: Path, num_nodes: int, seed: int):
    """node2vec walks on the training graph: the package's single-process walks (numba on every core)."""
    import pandas as pd

    from recsys_tutorial import walks

    graph = walks.ProductGraph.from_edges(pd.read_parquet(train_path), num_nodes)
    return lambda: walks.random_walks(graph, WALKS, LENGTH, p=P, q=Q, seed=seed, progress=False)


def single_train(walk_path: Path, num_nodes: int, seed: int):
    import numpy as np

    from recsys_tutorial import distributed

    walk_matrix = np.load(walk_path)
    vectors, stats = distributed.train_sgns(walk_matrix, num_nodes, dim=DIM, seed=seed)
    return vectors, stats.seconds


def worker_peak_gb() -> float:
    """A Dask worker's peak resident memory (runs on the worker: no import of this folder's helpers)."""
    for line in open("/proc/self/status").read().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024**2
    return float("nan")


def sgns_command(workdir: Path, num_nodes: int, ranks: int, sync_every: int, seed: int):
    """The training command a user runs: ``python -m recsys_tutorial.distributed sgns`` for one process, under
    ``torchrun --nproc_per_node ranks`` for more. Returns (vectors, sync stats, wall seconds incl. start-up)."""
    out = workdir / f"vectors_{ranks}_{sync_every}.npy"
    launcher = ([sys.executable] if ranks == 1 else
                [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(ranks)])
    command = [*launcher, "-m", "recsys_tutorial.distributed", "sgns", "--walks", str(workdir / "walks.npy"),
               "--num-nodes", str(num_nodes), "--out", str(out), "--dim", str(DIM), "--sync-every", str(sync_every),
               "--seed", str(seed)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(launcher[1:]) or 'python'} failed:\n{done.stderr[-3000:]}")
    import numpy as np

    return np.load(out), json.loads(out.with_suffix(".json").read_text()), wall


def main() -> None:
    import numpy as np
    import pandas as pd

    from recsys_tutorial import distributed, evaluate, split, walks

    def extra(parser):
        parser.add_argument("--workers", type=int, default=2, help="Dask workers and torchrun ranks (default 2)")
        parser.add_argument("--files", type=int, default=4, help="metadata files the catalogue comes in (default 4)")
        parser.add_argument("--sync-every", type=int, default=8, help="SGNS steps between row all-reduces")
        parser.add_argument("--repeats", type=int, default=11,
                            help="prepare and walks: the median of this many warm calls of each path (default 11)")

    args = parse_args(__doc__.splitlines()[0], extra)
    if args.repeats < 1:
        sys.exit(f"--repeats must be at least 1, got {args.repeats}")
    workdir = Path(tempfile.mkdtemp(prefix="bench-distributed-"))
    paths = split_file(synthetic_file(args.scale, args.seed), args.files, workdir)
    print(f"{args.scale} scale, {args.files} metadata files, {args.workers} workers/ranks, {os.cpu_count()} cores, "
          f"load averages {'/'.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    rows = []

    # Preparation: parse the files and build the weighted edges.
    single = Isolated(single_prepare, paths)
    n_products, expected, vocab = single.result
    started = time.perf_counter()
    client = distributed.start_local(workers=args.workers)
    start_up = time.perf_counter() - started
    _, got_edges, got_vocab = distributed.prepare(paths, client=client)  # also warms the workers' parser
    assert got_vocab.equals(vocab) and got_edges.equals(expected), "distributed prepare differs"
    spread = {"prepare": interleaved(args.repeats, single,
                                     lambda: timed(distributed.prepare, paths, client)[1])}
    rows.append(("prepare", "products", n_products, *map(statistics.median, spread["prepare"]), single.close()))

    # Walks: node2vec (p, q) walks on the training graph, 10 per product.
    sp = split.train_val_split(expected, seed=args.seed)
    sp.train.to_parquet(workdir / "train.parquet")
    single = Isolated(single_walks, workdir / "train.parquet", sp.num_nodes, args.seed)
    local_walks = single.result
    graph = walks.ProductGraph.from_edges(sp.train, sp.num_nodes)
    graph.node2vec_index()  # built once per graph on both paths
    ship_s = timed(distributed._shipped, client, graph, True)[1]  # once per graph and client, then reused
    shipped_mb = (graph.stats()["memory (MB)"]  # the graph with its index, the ranks and the active nodes
                  + 4 * (graph.num_nodes + len(walks.active_nodes(graph))) / 2**20)
    cluster_walks = distributed.random_walks(graph, WALKS, LENGTH, P, Q, args.seed, client)  # also warms workers
    assert np.array_equal(local_walks, cluster_walks), "distributed walks differ"
    del cluster_walks
    spread["walks"] = interleaved(args.repeats, single,
                                  lambda: timed(distributed.random_walks, graph, WALKS, LENGTH, P, Q, args.seed,
                                                client)[1])
    steps = int((local_walks >= 0).sum())
    rows.append(("walks", "walk steps", steps, *map(statistics.median, spread["walks"]), single.close()))
    sharing = distributed._slots_per_machine(client.nthreads())
    kernel_threads = [client.submit(distributed._core_share, sharing, workers=[address], pure=False).result()
                      for address in sharing]
    worker_peaks = client.run(worker_peak_gb)
    distributed.shutdown(client)

    # Training: one skip-gram epoch, one process against torchrun ranks (touched rows all-reduced).
    np.save(workdir / "walks.npy", local_walks)
    (reference, train_s), _, train_peak = run_stage(single_train, workdir / "walks.npy", sp.num_nodes, args.seed)
    _, _, command_wall = sgns_command(workdir, sp.num_nodes, 1, args.sync_every, args.seed)
    ranked, stats, torchrun_wall = sgns_command(workdir, sp.num_nodes, args.workers, args.sync_every, args.seed)
    tokens = int((local_walks >= 0).sum())
    rows.append(("training (loop)", "walk tokens", tokens, train_s, stats["seconds"], train_peak))
    rows.append(("training (command wall)", "walk tokens", tokens, command_wall, torchrun_wall, train_peak))

    known = np.bincount(np.concatenate([sp.train["src"], sp.train["dst"]]), minlength=sp.num_nodes) > 0
    src, dst = sp.val["src"].to_numpy(), sp.val["dst"].to_numpy()
    auc = {name: evaluate.auc_table(sp.val, evaluate.cosine_scores(v, src, dst), known=known)["auc_seen"]
           for name, v in (("one", reference), ("ranks", ranked))}

    table = pd.DataFrame(rows, columns=["stage", "unit", "work", "one process s", "distributed s", "peak one GB"])
    table["distributed ÷ one"] = table["distributed s"] / table["one process s"]
    table["per worker /s"] = table["work"] / table["distributed s"] / args.workers
    table["one process /s"] = table["work"] / table["one process s"]
    with pd.option_context("display.width", 200, "display.float_format", "{:,.3g}".format):
        print(table.set_index("stage").to_string())
    for stage, (one, other) in spread.items():
        print(f"{stage}: {len(one)} calls of each path in turn, one process {min(one):.2f}–{max(one):.2f} s, "
              f"distributed {min(other):.2f}–{max(other):.2f} s (the table shows medians)")
    print(f"walk tasks run numba on {', '.join(map(str, kernel_threads))} thread(s) on the {len(sharing)} workers "
          f"(their machine's cores split between them); one process on {os.cpu_count()}")
    print(f"LocalCluster start-up: {start_up:.1f} s; graph shipped to every worker once: {shipped_mb:,.1f} MB in "
          f"{ship_s:.2f} s (neither is in the stage times); peak per Dask worker: "
          + ", ".join(f"{gb:.2f} GB" for gb in worker_peaks.values()) + f"; peak of rank 0: {stats['peak_gb']:.2f} GB")
    print(f"SGNS seen-AUC: one process {auc['one']:.4f}, {args.workers} ranks {auc['ranks']:.4f}; "
          f"exchanged per rank {stats['bytes_synced'] / 2**20:,.0f} MB in {stats['syncs']:,} syncs "
          f"(DDP dense: {stats['bytes_dense'] / 2**20:,.0f} MB)")
    print(f"load averages after: {'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
    ratio = dict(zip(table["stage"], table["distributed ÷ one"], strict=True))
    print(result_line(scale=args.scale, workers=args.workers, prepare_ratio=ratio["prepare"],
                      walks_ratio=ratio["walks"], train_loop_ratio=ratio["training (loop)"],
                      train_wall_ratio=ratio["training (command wall)"], auc_one=auc["one"],
                      auc_ranks=auc["ranks"], cluster_start_s=start_up))


if __name__ == "__main__":
    main()
