"""Scale-out on existing engines: Dask for preparation and walks, torch.distributed for SGNS training.

Nothing here schedules, ships or retries by itself: Dask does (its scheduler reruns the tasks of a worker that
dies), and ``torchrun`` starts and wires the training processes. What this module adds is the split of each
stage into tasks whose results do not depend on how many workers ran them:

- :func:`prepare` parses many metadata files in parallel and builds the edge table with ``dask.dataframe``;
  the tables equal :func:`recsys_tutorial.data.read_metadata_files` + :func:`recsys_tutorial.edges.build_edges`.
- :func:`random_walks` scatters the CSR graph to the workers once and runs one task per block of start
  nodes; a walk's random stream is keyed by (seed, round, start node), so the walks are bit-identical to
  :func:`recsys_tutorial.walks.random_walks` for any number of workers.
- ``python -m recsys_tutorial.distributed sgns …`` under ``torchrun`` trains skip-gram on shards of the walk
  corpus; every ``sync_every`` steps the ranks all-reduce only the rows they touched (their updates summed),
  not the whole tables as DDP would (:func:`train_sgns`).

With no ``client`` a :class:`~dask.distributed.LocalCluster` of worker processes is started and closed.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import logging
import os
import resource
import time
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numba
import numpy as np
import pandas as pd

from recsys_tutorial import walks as walks_module
from recsys_tutorial.edges import DEFAULT_WEIGHTS, row_weights

__all__ = ["SyncStats", "cluster", "prepare", "random_walks", "shutdown", "start_local", "submit_walks",
           "train_sgns"]

#: At most this many walks per Dask task: large enough that scheduling (~1 ms a task) is noise, small enough
#: that a lost worker's rerun is short (:func:`task_rows` evens them out over the cluster).
WALKS_PER_TASK = 1 << 17

#: id(graph) → (client id, second order, the futures of its scattered walk arrays); an entry leaves with its graph.
_SHIPPED: dict[int, tuple[str, bool, tuple]] = {}
#: ids of the graphs whose finalizer (drop the entry when the graph goes) is registered.
_WATCHED: set[int] = set()


def start_local(workers: int = 2, threads_per_worker: int = 1) -> object:
    """A ``Client`` of a new ``LocalCluster`` of ``workers`` processes (:func:`shutdown` stops both); its
    dashboard (``client.dashboard_link``) takes a free port."""
    from dask.distributed import Client, LocalCluster

    # Start-up and shutdown chatter stays out of notebooks; the P2P shuffle's plugin logs each shuffle as a
    # WARNING. Errors still show.
    logging.getLogger("distributed").setLevel(logging.WARNING)
    logging.getLogger("distributed.shuffle._scheduler_plugin").setLevel(logging.ERROR)
    return Client(LocalCluster(n_workers=workers, threads_per_worker=threads_per_worker, processes=True,
                               dashboard_address=":0", silence_logs=logging.WARNING))


@contextlib.contextmanager
def cluster(address: str | None = None, workers: int = 2, threads_per_worker: int = 1) -> Iterator[object]:
    """A Dask ``Client``: connected to ``address`` (a running scheduler, e.g. ``tcp://host:8786``) or to a new
    LocalCluster of ``workers`` processes (:func:`start_local`), closed on exit."""
    from dask.distributed import Client

    if address:
        logging.getLogger("distributed.shuffle._scheduler_plugin").setLevel(logging.ERROR)
        with Client(address) as client:
            yield client
        return
    client = start_local(workers, threads_per_worker)
    try:
        yield client
    finally:
        shutdown(client)


def shutdown(client: object) -> None:
    """Stop a cluster started by :func:`start_local` and close its client, first letting go of the graphs
    :func:`random_walks` shipped to it (a worker removed while holding them logs lost data as an error)."""
    for key in [key for key, (owner, _, _) in _SHIPPED.items() if owner == client.id]:
        del _SHIPPED[key]
    client.shutdown()
    client.close()


@contextlib.contextmanager
def _client_or_local(client: object | None, workers: int) -> Iterator[object]:
    if client is not None:
        yield client
        return
    with cluster(workers=workers) as local:
        yield local


# --- Preparation ------------------------------------------------------------------------------------------


def _read_for_dask(path: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One metadata file → (products, relations); the relations stay on the worker that parsed them."""
    from recsys_tutorial.data import read_amazon_metadata

    products, relations, _ = read_amazon_metadata(path)
    return products, relations


def _products(parsed: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    return parsed[0]


def _also_bought_counts(parsed: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    """Per source ASIN of one file: its also_bought rows (0 for a source without any: every source is listed)."""
    relations = parsed[1]
    bought = relations["relation"].eq("also_bought").to_numpy(np.int64)
    counts = np.bincount(relations["asin"].cat.codes.to_numpy(), bought, len(relations["asin"].cat.categories))
    listed = np.unique(relations["asin"].cat.codes.to_numpy())
    return pd.DataFrame({"asin": relations["asin"].cat.categories[listed].astype("string"),
                         "n": counts[listed].astype(np.int64)})


def _asins(parsed: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    """Every ASIN one file's relations name, as a source or as a related product."""
    relations = parsed[1]
    named = relations["asin"].cat.categories.union(relations["related"].cat.categories)
    return pd.DataFrame({"asin": pd.Series(named, dtype="string")})


def _weighted_pairs(parsed: tuple[pd.DataFrame, pd.DataFrame], shared: tuple[pd.Index, np.ndarray],
                    weights: dict[str, float]) -> pd.DataFrame:
    """One file's kept relation rows → pair keys ``lo · n + hi`` (positions in the sorted ASIN universe) with
    their weights summed within the file. Integer keys, not strings: sorting and summing ints is what makes
    this pass as cheap as :func:`recsys_tutorial.edges.build_edges`."""
    universe, ok = shared
    relations = parsed[1]
    a, b = (universe.get_indexer(relations[c].cat.categories)[relations[c].cat.codes.to_numpy()]
            for c in ("asin", "related"))
    if (a < 0).any() or (b < 0).any():
        raise RuntimeError("an ASIN of this file is missing from the universe of pass 1: a bug, please report it")
    weight = row_weights(relations, weights)
    keep = ok[a] & (weight > 0) & (a != b)
    a, b = a[keep], b[keep]
    uniq, inverse = np.unique(np.minimum(a, b) * len(universe) + np.maximum(a, b), return_inverse=True)
    return pd.DataFrame({"key": uniq, "weight": np.bincount(inverse, weight[keep], len(uniq))})


def _marks(universe: pd.Index, members: pd.Index | pd.Series) -> np.ndarray:
    """A boolean mask over ``universe``: which of its ASINs are among ``members`` (``Index.isin`` on Arrow
    strings took 0.4 s for 90 K ASINs; hashing the members into the universe takes 0.03 s)."""
    found = universe.get_indexer(pd.Index(members, dtype="string").unique())
    mask = np.zeros(len(universe), bool)
    mask[found[found >= 0]] = True
    return mask


def prepare(paths: Sequence[str | os.PathLike], client: object | None = None, workers: int = 2,
            weights: dict[str, float] | None = None, require_title: bool = True,
            min_also_bought: int = 2) -> tuple[pd.DataFrame, pd.DataFrame, pd.Index]:
    """Parse ``paths`` in parallel and build the weighted edges with dask.dataframe → (products, edges, vocab).

    The same tables as reading the files in order (:func:`recsys_tutorial.data.read_metadata_files`) and
    calling :func:`recsys_tutorial.edges.build_edges` with the same filters: sources need a title (unless
    ``require_title`` is False) and at least ``min_also_bought`` also-bought rows, counted over all files.
    Relation rows never leave the worker that parsed them: pass 1 reduces each file's also-bought counts and
    ASINs into the source filter and a sorted ASIN universe; pass 2 turns each file's kept rows into summed
    integer pair keys, reduced over files. No shuffle (merges on the relations cost 8× the single-process
    edge build at the default scale). A pair's weight is summed per file, then over files: with weights that
    are not exact in binary, the float64 sum may differ from the single-process row-order sum in its last bit.
    """
    import dask.dataframe as dd

    from recsys_tutorial.data import RELATIONS
    from recsys_tutorial.edges import _check_relation_weights, weight_problem

    if not paths:
        raise ValueError("prepare needs at least one metadata file")
    weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
    unknown = set(weights) - set(RELATIONS)
    if unknown:
        raise ValueError(f"weights name unknown relation types: {sorted(unknown)}")
    _check_relation_weights(weights)
    with _client_or_local(client, workers) as dask_client:
        parsed = dask_client.map(_read_for_dask, [str(p) for p in paths], pure=False)
        frames = {fn: dd.from_delayed(dask_client.map(fn, parsed), verify_meta=False)
                  for fn in (_products, _also_bought_counts, _asins)}
        products, counts, named = dask_client.compute(
            [frames[_products], frames[_also_bought_counts].groupby("asin")["n"].sum(split_out=1),
             frames[_asins]["asin"].drop_duplicates(split_out=1)], sync=True)
        products = products.drop_duplicates("asin", keep="first").reset_index(drop=True)
        universe = pd.Index(named.unique(), dtype="string").sort_values()  # code-point order, as build_edges
        ok = _marks(universe, counts.index[counts.to_numpy() >= min_also_bought])
        if require_title:
            ok &= _marks(universe, products["asin"][products["title"].notna()])
        shared = dask_client.scatter((universe, ok), broadcast=True, hash=False)
        pairs = dd.from_delayed(dask_client.map(_weighted_pairs, parsed, shared=shared, weights=weights),
                                verify_meta=False)
        summed = dask_client.compute(pairs.groupby("key")["weight"].sum(split_out=1), sync=True).sort_index()
    n = max(len(universe), 1)
    lo, hi = summed.index.to_numpy() // n, summed.index.to_numpy() % n
    used = np.unique(np.concatenate([lo, hi]))  # positions in the sorted universe: ids keep its order
    vocab = pd.Index(universe[used], name="asin", dtype="string")
    edges = pd.DataFrame({"src": np.searchsorted(used, lo).astype(np.int32),
                          "dst": np.searchsorted(used, hi).astype(np.int32),
                          "weight": summed.to_numpy().astype(np.float32)})
    problem = weight_problem(edges["src"].to_numpy(), edges["dst"].to_numpy(), summed.to_numpy(), len(vocab))
    if problem:
        raise ValueError(f"summed relation weights do not fit float32 ({problem})")
    return products, edges, vocab


# --- Walks --------------------------------------------------------------------------------------------------


def _walk_task(shared: tuple, pieces: list[tuple[int, int, int]], walk_length: int, p: float, q: float,
               seed: int, sharing: dict[str, int]) -> np.ndarray:
    """The walks of consecutive rows of the walk matrix: ``pieces`` are (round, lo, hi) — positions lo:hi of
    that round's start order, which the worker draws itself (the client ships three integers, not the starts).
    The kernel gets this worker's share of its machine's cores (``sharing``: worker → task slots on its
    machine)."""
    graph, index, rank, active = shared
    before = numba.get_num_threads()  # a setting of the calling thread: the worker's next tasks get it back
    numba.set_num_threads(_core_share(sharing))
    try:
        return np.concatenate([
            walks_module.walk_block(graph, walks_module.round_order(active, seed, round_)[lo:hi], round_,
                                    walk_length, p, q, seed, index, rank)
            for round_, lo, hi in pieces])
    finally:
        numba.set_num_threads(before)


def _core_share(sharing: dict[str, int]) -> int:
    """numba threads for one task here: the machine's cores split between the task slots on it. Two worker
    processes on two cores, each running the kernel on two threads, walked ~13 % slower than on one each."""
    from distributed import get_worker

    try:
        address = get_worker().address
    except ValueError:  # not on a worker (the task function called directly)
        return numba.get_num_threads()
    return max(1, numba.config.NUMBA_NUM_THREADS // sharing.get(address, 1))


def _slots_per_machine(nthreads: dict[str, int]) -> dict[str, int]:
    """Worker address → the worker threads of every worker on its machine (tasks that may run at once there)."""
    from distributed.comm import get_address_host

    def host(address: str) -> str:
        try:
            return get_address_host(address)
        except ValueError:
            return address

    hosts = {address: host(address) for address in nthreads}
    per_host = collections.Counter()
    for address, threads in nthreads.items():
        per_host[hosts[address]] += threads
    return {address: per_host[hosts[address]] for address in nthreads}


def _shipped(client: object, graph: walks_module.ProductGraph, second_order: bool) -> tuple:
    """The graph's walk arrays on every worker: scattered by the first walks on this client, reused by the next
    ones (the book walks one graph twice), re-sent if the cluster lost them. The graph must not change after."""
    held = _SHIPPED.get(id(graph))
    if (held is not None and held[0] == client.id and held[1] >= second_order
            and all(part.status == "finished" for part in held[2])):
        return held[2]
    index = graph.node2vec_index() if second_order else np.zeros(1, walks_module.SECOND_ORDER)
    future = client.scatter((graph, index, walks_module.walk_ranks(graph), walks_module.active_nodes(graph)),
                            broadcast=True, hash=False)
    if id(graph) not in _WATCHED:
        _WATCHED.add(id(graph))
        weakref.finalize(graph, _forget, id(graph))
    _SHIPPED[id(graph)] = (client.id, second_order, future)
    return future


def _forget(graph_id: int) -> None:
    _SHIPPED.pop(graph_id, None)
    _WATCHED.discard(graph_id)


def task_rows(total: int, walks_per_task: int, slots: int) -> np.ndarray:
    """Row bounds of the walk tasks: as few as keep each at most ``walks_per_task`` rows, rounded up to a
    multiple of the cluster's ``slots`` (worker threads), and equal to a row — so every slot gets the same work.
    (Tasks of exactly ``walks_per_task`` rows, 3 full and a small fourth, had one of 2 workers walk 262 K rows
    and the other 169 K.)"""
    slots = max(slots, 1)  # a cluster still starting reports no threads
    needed = -(-total // walks_per_task)  # ceil; 0 when there are no walks
    tasks = -(-needed // slots) * slots  # up to a multiple of the slots
    return np.arange(tasks + 1, dtype=np.int64) * total // max(tasks, 1)


def submit_walks(client: object, graph: walks_module.ProductGraph, num_walks: int, walk_length: int,
                 p: float = 1.0, q: float = 1.0, seed: int = 0,
                 walks_per_task: int = WALKS_PER_TASK) -> list[object]:
    """Scatter the graph (with node2vec's index) to every worker once per client and submit the walks as tasks
    of consecutive rows of the walk matrix (:func:`task_rows`; a task may span rounds: on a small graph a round
    is too little work for a task); returns the futures in row order, each giving its block of walks.
    :func:`random_walks` collects them."""
    return [future for _, future in _walk_tasks(client, graph, num_walks, walk_length, p, q, seed, walks_per_task)]


def _walk_tasks(client: object, graph: walks_module.ProductGraph, num_walks: int, walk_length: int, p: float,
                q: float, seed: int, walks_per_task: int) -> list[tuple[int, object]]:
    """(first row, future) of each walk task, in row order."""
    walks_module._check_walk_arguments(num_walks=num_walks, walk_length=walk_length, chunk_size=walks_per_task,
                                       seed=seed, p=p, q=q)
    shared = _shipped(client, graph, second_order=not (p == 1.0 and q == 1.0))
    per_round = len(walks_module.active_nodes(graph))
    nthreads = client.nthreads()
    bounds = task_rows(num_walks * per_round, walks_per_task, sum(nthreads.values()))
    sharing = _slots_per_machine(nthreads)
    firsts, ends = bounds[:-1].tolist(), bounds[1:].tolist()
    pieces = [[(r, max(first - r * per_round, 0), min(end - r * per_round, per_round))
               for r in range(first // per_round, -(-end // per_round))]
              for first, end in zip(firsts, ends, strict=True)]
    # Task i prefers the i-th worker thread (round robin): left to choose, once a preparation had run on the
    # cluster the scheduler put all four tasks of a default-scale call on one of two workers (9 of 11 calls in
    # one run). The preference is loose: a lost worker's tasks still run elsewhere.
    slots = [address for address, threads in nthreads.items() for _ in range(threads)]
    return [(first, client.submit(_walk_task, shared, task, walk_length, p, q, seed, sharing, pure=False,
                                  workers=[slots[i % len(slots)]] if slots else None, allow_other_workers=True))
            for i, (first, task) in enumerate(zip(firsts, pieces, strict=True))]


def random_walks(graph: walks_module.ProductGraph, num_walks: int, walk_length: int, p: float = 1.0,
                 q: float = 1.0, seed: int = 0, client: object | None = None, workers: int = 2,
                 walks_per_task: int = WALKS_PER_TASK) -> np.ndarray:
    """:func:`recsys_tutorial.walks.random_walks` on a Dask cluster: the same array, bit for bit.

    With ``client=None`` a LocalCluster of ``workers`` processes runs them and is closed afterwards.
    """
    from dask.distributed import as_completed

    walks_module._check_walk_arguments(num_walks=num_walks, walk_length=walk_length, chunk_size=walks_per_task,
                                       seed=seed, p=p, q=q)
    out = np.empty((num_walks * len(walks_module.active_nodes(graph)), walk_length), dtype=np.int32)
    with _client_or_local(client, workers) as dask_client:
        tasks = _walk_tasks(dask_client, graph, num_walks, walk_length, p, q, seed, walks_per_task)
        first_row = {future.key: first for first, future in tasks}
        # Blocks are copied in as they finish: the transfer of early blocks overlaps the walks of later ones.
        for future, block in as_completed([future for _, future in tasks], with_results=True):
            out[first_row[future.key]:][:len(block)] = block
    return out


# --- Training with torch.distributed ---------------------------------------------------------------------


@dataclass
class SyncStats:
    """What one rank's training shipped (syncs, rows all-reduced, bytes sent, the dense equivalent) and its peak
    memory."""

    world_size: int
    steps: int
    syncs: int
    rows_synced: int
    bytes_synced: int
    bytes_dense: int
    seconds: float
    peak_gb: float = 0.0  # this rank's peak resident memory


def _sync(tables: list, bases: list, touched, world: int, dist) -> tuple[int, int]:
    """Sum every rank's updates of the rows any rank touched since the last sync, into every rank's tables."""
    import torch

    # The union of the touched rows, from each rank's row ids (bytes ∝ rows touched, not the catalogue).
    mine = torch.nonzero(touched).squeeze(1)
    sizes = [torch.zeros(1, dtype=torch.int64) for _ in range(world)]
    dist.all_gather(sizes, torch.tensor([len(mine)]))
    longest = int(max(sizes))
    padded = torch.full((longest,), -1, dtype=torch.int64)
    padded[:len(mine)] = mine
    gathered = [torch.empty(longest, dtype=torch.int64) for _ in range(world)]
    dist.all_gather(gathered, padded)
    rows = torch.unique(torch.cat(gathered))
    rows = rows[rows >= 0]
    sent = (longest + 1) * 8  # what this rank contributes to each collective, as for the dense count
    index = rows.numpy()
    for table, base in zip(tables, bases, strict=True):
        delta = torch.empty((len(rows), table.shape[1]), dtype=table.dtype)
        _changes(table.numpy(), base.numpy(), index, delta.numpy())
        dist.all_reduce(delta)
        _apply_changes(table.numpy(), base.numpy(), index, delta.numpy())
        sent += delta.numel() * delta.element_size()
    touched.zero_()
    return len(rows), sent


@numba.njit(cache=True, error_model="numpy")
def _changes(table, base, rows, out):
    """out[i] = table[rows[i]] − base[rows[i]]: this rank's change to each row since the last sync (one pass;
    torch's gathers took three, which at Electronics scale was most of a sync)."""
    dim = table.shape[1]
    for i in range(len(rows)):
        r = rows[i]
        for j in range(dim):
            out[i, j] = table[r, j] - base[r, j]


@numba.njit(cache=True, error_model="numpy")
def _apply_changes(table, base, rows, summed):
    """table[rows[i]] = base[rows[i]] = base[rows[i]] + summed[i]: every rank's changes, on every rank."""
    dim = table.shape[1]
    for i in range(len(rows)):
        r = rows[i]
        for j in range(dim):
            value = base[r, j] + summed[i, j]
            table[r, j] = value
            base[r, j] = value


def train_sgns(walks: np.ndarray, num_nodes: int, dim: int = 128, epochs: int = 1, lr: float = 0.025,
               window: int = 5, negatives: int = 5, walks_per_batch: int = 256, subsample: float = 1e-3,
               sync_every: int = 8, seed: int = 0) -> tuple[np.ndarray, SyncStats]:
    """Skip-gram with word2vec's SGD step on this rank's shard of ``walks`` (rows rank, rank + world, …).

    Every rank starts from the same seeded tables; every ``sync_every`` steps the rows any rank touched are
    all-reduced: each rank's change since the last sync is summed into all ranks' copies (a rank-local step
    already moves a row by the mean of its occurrences, so the sum is what one process would do over the same
    batches). DDP would all-reduce both whole tables every step; the stats say what that would have shipped.
    Without an initialised process group this is one process, one shard. Returns (center vectors, stats).
    """
    import torch
    import torch.distributed as dist

    from recsys_tutorial import models, sampling, train

    world = dist.get_world_size() if dist.is_initialized() else 1
    rank = dist.get_rank() if dist.is_initialized() else 0
    torch.manual_seed(seed)  # the same initial tables on every rank
    model = models.SkipGram(num_nodes, dim)
    blocks = sampling.WalkBlocks(np.asarray(walks)[rank::world], num_nodes, walks_per_batch=walks_per_batch,
                                 window=window, negatives=negatives, shared=32, subsample=subsample,
                                 seed=seed + rank)
    steps = len(blocks)
    if world > 1:  # every rank runs the same number of steps, so the collectives pair up
        count = torch.tensor([steps])
        dist.all_reduce(count, op=dist.ReduceOp.MAX)
        steps = int(count)
    tables = [model.center.weight.data, model.context.weight.data]
    bases = [t.clone() for t in tables] if world > 1 else []
    touched = torch.zeros(num_nodes, dtype=torch.bool)
    syncs = rows_synced = sent = step = 0
    torch.set_num_threads(1)
    start = time.perf_counter()
    with torch.no_grad():
        for epoch in range(epochs):
            blocks.set_epoch(epoch)
            stream = iter(blocks)
            for b in range(steps):
                batch = next(stream, None)
                if batch is not None:
                    block, reach, shared = batch
                    rate = train.schedule_lr("linear", lr, b, steps, epoch, epochs)
                    model.sgd_step(block, reach, shared, lr=rate, k=blocks.k)
                    touched[block[block >= 0]] = True
                    touched[shared] = True
                step += 1
                if world > 1 and (step % sync_every == 0 or b == steps - 1):
                    synced, nbytes = _sync(tables, bases, touched, world, dist)
                    syncs, rows_synced, sent = syncs + 1, rows_synced + synced, sent + nbytes
    seconds = time.perf_counter() - start
    dense = step * sum(t.numel() * t.element_size() for t in tables) if world > 1 else 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux
    return model.embeddings(), SyncStats(world, step, syncs, rows_synced, sent, dense, seconds, peak)


def _atomic_save(array: np.ndarray, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        np.save(fh, array)
    os.replace(tmp, target)


def main(argv: Sequence[str] | None = None) -> int:
    """``torchrun --nproc_per_node N -m recsys_tutorial.distributed sgns --walks W.npy --num-nodes n --out V.npy``.

    Rank 0 writes the vectors (atomically) and a JSON of the sync statistics beside them. Gloo on CPU; NCCL is
    torchrun's choice on GPUs, but this step keeps its tables on the CPU.
    """
    parser = argparse.ArgumentParser(prog="python -m recsys_tutorial.distributed",
                                     description="Skip-gram on shards of a walk corpus under torchrun.")
    sub = parser.add_subparsers(dest="command", required=True)
    sgns = sub.add_parser("sgns", help="train skip-gram (run under torchrun)")
    sgns.add_argument("--walks", type=Path, required=True, help="walks as .npy (int32, -1 = padding)")
    sgns.add_argument("--num-nodes", type=int, required=True)
    sgns.add_argument("--out", type=Path, required=True, help="center vectors (.npy), written by rank 0")
    sgns.add_argument("--dim", type=int, default=128)
    sgns.add_argument("--epochs", type=int, default=1)
    sgns.add_argument("--lr", type=float, default=0.025)
    sgns.add_argument("--walks-per-batch", type=int, default=256,
                      help="walks per SGD step (default 256); a small graph needs smaller steps to learn in one epoch")
    sgns.add_argument("--sync-every", type=int, default=8, help="steps between row all-reduces (default 8)")
    sgns.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import torch.distributed as dist

    launched = "WORLD_SIZE" in os.environ
    if launched:
        dist.init_process_group("gloo")
    try:
        walk_matrix = np.load(args.walks, mmap_mode="r", allow_pickle=False)
        vectors, stats = train_sgns(walk_matrix, args.num_nodes, dim=args.dim, epochs=args.epochs, lr=args.lr,
                                    walks_per_batch=args.walks_per_batch, sync_every=args.sync_every,
                                    seed=args.seed)
        if not launched or dist.get_rank() == 0:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            _atomic_save(vectors, args.out)
            args.out.with_suffix(".json").write_text(json.dumps(asdict(stats), indent=1))
    finally:
        if launched:
            dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
