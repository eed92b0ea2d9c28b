# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,nbmake,-all
#     notebook_metadata_filter: kernelspec,jupytext,-all
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Scaling out
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/recsys-tutorial/recsys-tutorial/blob/main/book/scaling.ipynb)
#
# Everything so far ran in one process on a laptop. A shop with tens of millions of
# products, or the whole Amazon 2018 release as one graph (about 15 million products),
# outgrows that: parsing, walks and training must spread over machines. This page does
# it with engines that exist — **Dask** for parsing and walks, **torch.distributed**
# (launched by `torchrun`) for training — on a cluster of two worker processes on this
# machine, checks that the results do not change, and projects the measured speeds to 15
# million products.

# %% tags=["remove-cell"]
# Colab only: install the package at the version of this notebook (the rendered book
# pins the commit it was built from). Colab's own torch satisfies the package's range
# (torch>=2.1), so pip keeps it. Elsewhere the package is already installed (make book
# / pip install -e .).
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.check_call([
        sys.executable, "-m", "pip", "install", "-q",
        "--upgrade-strategy", "only-if-needed",
        "recsys-tutorial[distributed] @ "
        "git+https://github.com/recsys-tutorial/recsys-tutorial@main",
    ])

# %% tags=["parameters"] nbmake={"mock": {"PROFILE": "ci", "N_PRODUCTS": 2000, "EMBED_DIM": 32, "SG_EPOCHS": 5}}
PROFILE = "default"      # which book/params/*.yaml rendered this page
DATASET = "synthetic"    # "synthetic" (embedded), a category ("Electronics", "Books",
#                          …) or the path of a metadata file
N_PRODUCTS = 50000       # graph size of the synthetic data (ignored for real data)
DATA_VERSION = 2014      # release of the real data: 2014 or 2018
VAL_FRAC = 0.33          # share of edges held out for validation, as in the original
SEED = 42
NUM_WALKS = 10           # walks started from every product, as in the original
WALK_LENGTH = 10         # nodes per walk, the start included
EMBED_DIM = 128          # embedding dimension
SG_EPOCHS = 1            # skip-gram epochs

# %%
import json
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from recsys_tutorial import data, distributed, edges, evaluate, plots, split, walks

logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
pd.set_option("display.float_format", "{:,.3f}".format)
products, relations, report = data.load_dataset(DATASET, n_products=N_PRODUCTS,
                                                seed=SEED, version=DATA_VERSION)
edge_table, vocab = edges.build_edges(products, relations)
sp = split.train_val_split(edge_table, val_frac=VAL_FRAC, seed=SEED)
walks.compile_kernels()  # numba compiles once, outside every timing below
graph = walks.ProductGraph.from_edges(sp.train, sp.num_nodes, validation=sp.val)
print(f"profile {PROFILE!r} · {report.label} · {sp.num_nodes:,} graph products, "
      f"{len(sp.train):,} training edges")

# %% [markdown]
# ## A cluster
#
# `distributed.start_local` starts a Dask `LocalCluster` of worker processes and a
# client; pointed at a running scheduler instead
# (`distributed.cluster("tcp://host:8786")`, or `--cluster` on the command line), the
# same code runs on many machines. While it runs, the dashboard shows each task as it
# happens:

# %%
client = distributed.start_local(workers=2)
workers = len(client.scheduler_info()["workers"])
print(f"{workers} worker processes, dashboard at {client.dashboard_link}")

# %% [markdown]
# ## Walks: the same walks, wherever they run
#
# The graph is sent to every worker once (`client.scatter`); each task then walks from a
# block of start nodes. Every walk draws its random numbers from a stream keyed by the
# seed, the round and its start node — not from a generator shared with the walks before
# it — so the walks cannot depend on how the blocks were split among workers, or on a
# worker that died and had its task rerun (the test suite kills one mid-walk to check).

# %%
start = time.perf_counter()
local_walks = walks.random_walks(graph, NUM_WALKS, WALK_LENGTH, seed=SEED,
                                 progress=False)
one_process_s = time.perf_counter() - start
seconds, identical = {}, {}
for call in ("first call", "again"):  # the first ships the graph, the next reuse it
    start = time.perf_counter()
    cluster_walks = distributed.random_walks(graph, NUM_WALKS, WALK_LENGTH, seed=SEED,
                                             client=client)
    seconds[call] = time.perf_counter() - start
    identical[call] = np.array_equal(local_walks, cluster_walks)
cluster_s = seconds["again"]
steps = local_walks.shape[0] * (WALK_LENGTH - 1)
timings = {"one process": one_process_s,
           **{f"Dask, {workers} workers, {call}": s for call, s in seconds.items()}}
pd.DataFrame({"seconds": timings,
              "steps per second": {k: steps / s for k, s in timings.items()}})

# %%
differ = [call for call, same in identical.items() if not same]
print(f"{len(cluster_walks):,} walks on the cluster, "
      + ("both times bit for bit the walks of one process" if not differ else
         f"NOT the walks of one process ({' and '.join(differ)}) — a bug")
      + f". The first call took {seconds['first call']:.2f} s, the second "
      f"{cluster_s:.2f} s, against {one_process_s:.2f} s in one process"
      + (f": after start-up, overhead was {1 - one_process_s / cluster_s:.0%} of "
         "the cluster's time." if cluster_s > one_process_s else
         ": after start-up the cluster cost nothing extra."))

# %% [markdown]
# A first call on a new cluster also pays for the workers' start: each imports the
# package, loads numba's compiled walk kernels and receives the graph. After that, what
# the cluster adds — a millisecond or so per task, and the walks sent back — is fixed
# per task and per byte, so its share falls as the walks grow; the cost model below
# keeps the two apart.
#
# ## Training: skip-gram on shards, touched rows all-reduced
#
# `torchrun` starts one training process per rank and wires them together (the gloo
# backend on CPUs). Each rank trains the skip-gram of Part 2 on every other walk. Plain
# distributed data parallel (DDP) would all-reduce the gradients of both embedding
# tables — every row — after every step; a step touches only a few thousand rows. So
# every few steps the ranks exchange the ids of the rows they touched and sum their
# changes to just those rows. The reference is the same code in one process:

# %%
workdir = Path(tempfile.mkdtemp(prefix="scaling-"))
np.save(workdir / "walks.npy", local_walks)
src, dst = sp.val["src"].to_numpy(), sp.val["dst"].to_numpy()
known = np.bincount(np.concatenate([sp.train["src"], sp.train["dst"]]),
                    minlength=sp.num_nodes) > 0
reference, reference_stats = distributed.train_sgns(local_walks, sp.num_nodes,
                                                    dim=EMBED_DIM, epochs=SG_EPOCHS,
                                                    seed=SEED)
command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           "--nproc_per_node", "2",
           "-m", "recsys_tutorial.distributed", "sgns",
           "--walks", str(workdir / "walks.npy"),
           "--num-nodes", str(sp.num_nodes), "--out", str(workdir / "vectors.npy"),
           "--dim", str(EMBED_DIM), "--epochs", str(SG_EPOCHS), "--seed", str(SEED),
           "--sync-every", "8"]
done = subprocess.run(command, capture_output=True, text=True, check=False)
if done.returncode != 0:
    raise RuntimeError(f"torchrun failed:\n{done.stderr[-3000:]}")
ranked = np.load(workdir / "vectors.npy")
ranked_stats = json.loads((workdir / "vectors.json").read_text())
training = pd.DataFrame({
    "seen-AUC": [evaluate.auc_table(sp.val, evaluate.cosine_scores(v, src, dst),
                                    known=known)["auc_seen"]
                 for v in (reference, ranked)],
    "seconds": [reference_stats.seconds, ranked_stats["seconds"]],
    "MB exchanged per rank": [0.0, ranked_stats["bytes_synced"] / 2**20],
    "MB as DDP would": [0.0, ranked_stats["bytes_dense"] / 2**20]},
    index=["one process", "torchrun, 2 ranks"])
training

# %%
gap = training["seen-AUC"].iloc[1] - training["seen-AUC"].iloc[0]
saving = ranked_stats["bytes_dense"] / max(ranked_stats["bytes_synced"], 1)
distributed.shutdown(client)  # the cluster's work on this page is done
print(f"Two ranks reach seen-AUC {training['seen-AUC'].iloc[1]:.3f}, {gap:+.3f} "
      f"against one process, exchanging {saving:,.0f}× fewer bytes than DDP's dense "
      f"all-reduce would ({ranked_stats['syncs']:,} exchanges, "
      f"{ranked_stats['rows_synced']:,} rows in all).")

# %% [markdown]
# Read the AUC gap first: summing the ranks' changes to the touched rows is what one
# process does over the same batches, up to the order of the updates, so the gap should
# stay small; then the bytes, which decide whether the network or the cores set the
# pace.
#
# ## What 15 million products would cost
#
# A worker is a machine like the one that rendered this page, and each stage runs on it
# at the speed measured here (parsing and skip-gram on one core, the walks on all of
# them); its work grows with the catalogue. The projection below takes 15 million
# products with this graph's edges and walks per product, one skip-gram epoch, and a
# network of `NETWORK_GBPS` gigabits per second between machines — an assumption to
# change, not a measurement. Memory per worker counts the arrays each worker must hold:
# the whole graph for walks, both embedding tables and their last-exchanged copies for
# training.

# %%
NETWORK_GBPS = 10  # assumed bandwidth between machines
TARGET = 15_000_000  # products
start = time.perf_counter()
parsed = data.read_amazon_metadata(report.path)[2]  # one worker parsing one file
parse_s = time.perf_counter() - start
scale = TARGET / sp.num_nodes  # every count below grows with the catalogue
graph_bytes = scale * graph.stats()["memory (MB)"] * 2**20
walk_bytes = scale * local_walks.nbytes
exchange = ranked_stats["bytes_synced"] / ranked_stats["steps"]  # per rank and step
total_steps = scale * 2 * ranked_stats["steps"]  # one skip-gram epoch, all ranks
rows = []
for machines in (1, 8, 32, 128):
    remote = machines > 1  # one machine ships nothing over the network
    walk_shipped = remote * (machines * graph_bytes + walk_bytes)
    sgns_shipped = remote * total_steps * exchange
    shipped = walk_shipped + sgns_shipped
    rows.append({
        "workers": machines,
        "parse (min)": scale * parse_s / machines / 60,
        "walks (min)": (scale * one_process_s / machines
                        + walk_shipped * 8 / (NETWORK_GBPS * 1e9)) / 60,
        "skip-gram epoch (min)": (scale * reference_stats.seconds / machines
                                  + sgns_shipped / machines * 8
                                  / (NETWORK_GBPS * 1e9)) / 60,
        "GB shipped": shipped / 1e9,
        "walk worker memory (GB)": graph_bytes / 1e9,
        "training rank memory (GB)": 4 * TARGET * EMBED_DIM * 4 / 1e9,
    })
projection = pd.DataFrame(rows).set_index("workers")
stages = ["parse (min)", "walks (min)", "skip-gram epoch (min)"]
plots.scaling_projection(projection, stages,
                         title=f"15 M products, measured speeds of profile {PROFILE}")

# %% [markdown]
# A stage that parallelises perfectly falls along a straight line; where a line
# flattens or turns up, shipping the graph to more machines or exchanging rows costs
# more than the extra cores save. The table holds the same numbers with the bytes and
# memory:

# %%
walk_steps = scale * len(local_walks) * (WALK_LENGTH - 1)
print(f"15 M products: {walk_steps / 1e9:.2f} billion walk steps; parsing measured at "
      f"{parsed.records_read / parse_s:,.0f} lines/s per worker.")
projection

# %%
best = projection.iloc[-1]
rank_gb = best["training rank memory (GB)"]
print(f"On {projection.index[-1]} workers the walks would take "
      f"{best['walks (min)']:.1f} min and a skip-gram epoch "
      f"{best['skip-gram epoch (min)']:.1f} min; each training rank holds "
      f"{rank_gb:.0f} GB of tables (two tables and their last-exchanged copies)"
      + (". More than a 16 GB machine holds: at this size memory, not time, is the "
         "wall, and the tables themselves must be split over ranks — a parameter "
         "server or sharded embeddings (TorchRec), which this book does not build."
         if rank_gb > 16 else ", which one machine holds."))

# %% [markdown]
# Each cell of the table is a measured speed of this page multiplied out, so it moves
# with the profile and machine that rendered it; the assumed network bandwidth is the
# one number typed in. The README's "Scaling out" section says how to point the command
# line at an existing Dask scheduler (`--cluster`) and how to start `torchrun` on
# several machines.
