# ---
# jupyter:
#   jupytext:
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
# # Part 1 — From product metadata to a product graph
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/recsys-tutorial/recsys-tutorial/blob/main/book/part1_matrix_factorization.ipynb)
#
# Amazon's product pages say *customers who bought this also bought…*. Those lists are a free,
# public record of which products go together. In this part we turn them into a weighted product graph
# and a fair train/validation split — the ground every model in this book stands on.
#
# Every number on this page comes from the run that rendered it. The `parameters` cell below says which
# data and sizes that run used; change it (or pick another profile) and run the notebook yourself.

# %% tags=["remove-cell"]
# Colab only: install the package. Elsewhere it is already installed (make book / pip install -e .).
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q",
                           "recsys-tutorial @ git+https://github.com/recsys-tutorial/recsys-tutorial@main"])

# %% tags=["parameters"] nbmake={"mock": {"PROFILE": "ci", "N_PRODUCTS": 2000, "DEVICE": "cpu", "EMBED_DIM": 32, "MF_EPOCHS": 8}}
PROFILE = "default"      # which book/params/*.yaml rendered this page
DATASET = "synthetic"    # "synthetic" (embedded, no download), "Electronics" or "Books" (real 2014 data)
N_PRODUCTS = 50000       # graph size of the synthetic data (ignored for real data)
DATA_VERSION = 2014      # release of the real data: 2014 or 2018
VAL_FRAC = 0.33          # share of edges held out for validation, as in the original
NEGATIVES = "uniform"    # validation negatives: "uniform" (original) or "degree" (degree-matched)
SEED = 42
DEVICE = "auto"          # "auto" picks cuda > mps > cpu
EMBED_DIM = 128          # embedding dimension
MF_EPOCHS = 5            # matrix factorization epochs, as the original

# %%
import logging

import pandas as pd
import torch

import recsys_tutorial as rt
from recsys_tutorial import data, edges, evaluate, models, plots, results, sampling, split, train

logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
pd.set_option("display.float_format", "{:,.3f}".format)
rng = rt.seed_everything(SEED)
device = rt.get_device(DEVICE)
print(f"recsys_tutorial {rt.__version__} · profile {PROFILE!r} · dataset {DATASET!r} · device {device}")

# %% [markdown]
# ## 1. The data
#
# The original project used the 2014 release of McAuley's Amazon product data: one line per product,
# each a Python dictionary *literal* (single quotes, not JSON). The original parsed it with `eval`,
# which runs whatever a line contains. We never evaluate input: lines are rewritten to JSON by a small
# tokenizer, and anything it can't prove equivalent goes through `ast.literal_eval`, which accepts
# literals only.
#
# With `DATASET = "synthetic"` the book uses its **embedded dataset**: synthetic metadata written in
# the same 2014 format, generated to match the real Electronics file's statistics (degrees, relation
# mix, missing metadata). Products belong to latent *shopping missions*; co-purchases mostly stay inside
# a mission, so there is structure for embeddings to find. With `"Electronics"` the same call downloads
# the real file (about 500 K lines) and parses it.

# %%
with results.timed() as t_parse:
    products, relations, report = data.load_dataset(DATASET, n_products=N_PRODUCTS, seed=SEED,
                                                    version=DATA_VERSION)
report.to_frame()

# %% [markdown]
# The parse report accounts for every line: each one is parsed or skipped with a reason and its line
# number, never dropped silently. A product looks like this:

# %%
products.head()

# %% [markdown]
# Relations are one row per (product, related product, relation type):

# %%
relations["relation"].value_counts().to_frame("rows")

# %% [markdown]
# ## 2. Relationships → weighted edges
#
# Following the original, each relation type gets a weight — *bought together* 1.2, *also bought* 1.0,
# *also viewed* 0.5 — and a pair's weight is the sum over relation types and both directions, which makes
# the graph undirected. Only products with a title and at least two *also bought* entries contribute
# relations (the original's filter). We also drop self-pairs, which the original kept, and give every
# product an integer id from the **sorted** ASINs, so ids never depend on hash order.

# %%
with results.timed() as t_edges:
    edge_table, vocab = edges.build_edges(products, relations)
pd.Series(edge_table.attrs["report"]).to_frame("count")

# %%
plots.edge_weight_distribution(edge_table)

# %% [markdown]
# Most pairs carry a single *also bought* (1.0); pairs listed from both sides add up to 2.0, and a
# *bought together* on top gives 2.2 or 3.2.
#
# How close is this dataset to the real Electronics graph? `describe_dataset` computes the statistics
# the synthetic generator was built to match, beside the real file's values where the original
# reported them:

# %%
data.describe_dataset(products, relations, edge_table, vocab)

# %% [markdown]
# ## 3. The split
#
# A third of the edges become validation positives; as many negative pairs are drawn uniformly among
# validation products, never a true edge (train or validation) and never twice. A pair is **seen** when
# both products have at least one training edge — models can only know products they trained on, so we
# report seen pairs separately. The original also computed learning curves on a 100 K "val sample" that
# it never shipped; ours is a seeded part of the split.

# %%
with results.timed() as t_split:
    sp = split.train_val_split(edge_table, val_frac=VAL_FRAC, seed=SEED, negatives=NEGATIVES,
                               num_nodes=len(vocab))
print(sp.summary())
sp.val.groupby("label")["seen"].agg(["size", "mean"]).rename(columns={"size": "pairs", "mean": "share seen"})

# %% [markdown]
# Positives are mostly seen, negatives less so: popular products dominate edges (and so the
# training graph), while uniform negatives often pair a product that only appears in validation.
# Scoring unseen pairs low is therefore *rewarded* — one reason we report seen-only results, and
# degree-matched negatives, beside the original's protocol.

# %%
results.record("part1", "data pipeline", profile=PROFILE, dataset=DATASET, products=len(products),
               graph_nodes=len(vocab), graph_edges=len(edge_table), train_edges=len(sp.train),
               val_pairs=len(sp.val), parse_s=t_parse["seconds"], edges_s=t_edges["seconds"],
               split_s=t_split["seconds"])

# %% [markdown]
# ## 4. Matrix factorization on edges
#
# The baseline: give every product a vector and score a pair by the dot product of their vectors
# (plus a bias per product in MF-bias, which soaks up popularity). Each training edge is a positive;
# five products drawn in proportion to degree^0.75 are its negatives. The original trained this with
# PyTorch's default N(0, 1) initialisation, a sigmoid followed by `BCELoss`, and an L2 penalty over the
# *whole* table at every step; here it runs with the fixed recipe (small initialisation, logits with
# `BCEWithLogitsLoss`, L2 only on the rows in the batch, sparse updates). The learning rate anneals within
# each epoch and restarts at the next, as the original intended.

# %%
edge_curves, mf_rows = {}, {}
src, dst = sp.val["src"].to_numpy(), sp.val["dst"].to_numpy()
for name, model in {"MF": models.MF(sp.num_nodes, EMBED_DIM), "MF-bias": models.MFBias(sp.num_nodes, EMBED_DIM)}.items():
    fitted = train.train(model, sampling.EdgeBatches(sp.train, sp.num_nodes, batch_size=256, seed=SEED),
                         epochs=MF_EPOCHS, lr=0.05, val_pairs=sp.val_sample, eval_every=500, device=device,
                         seed=SEED, progress=False)
    scores = model.score(*(torch.as_tensor(x.astype("int64"), device=fitted.device) for x in (src, dst)))
    aucs = evaluate.auc_table(sp.val, scores.cpu().numpy())
    edge_curves[name] = fitted.curve
    mf_rows[name] = {**aucs, "minutes": fitted.seconds / 60}
    results.record("part1", f"{name}, edges, binary", profile=PROFILE, runtime_s=fitted.seconds, **aucs)
plots.learning_curves(edge_curves, title="MF on edges: AUC on the validation sample (dotted: epoch ends)")

# %%
pd.DataFrame(mf_rows).T[["auc_all", "auc_seen", "seen_share", "minutes"]]
