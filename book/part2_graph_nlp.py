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
# # Part 2 — Graphs and NLP
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/recsys-tutorial/recsys-tutorial/blob/main/book/part2_graph_nlp.ipynb)
#
# Part 1 learned from product *pairs*. Part 2 treats the products as a graph: random walks over it
# become "sentences" of products, and word2vec learns product embeddings from them the way it learns
# word embeddings from text. This page starts from the same data and split as Part 1.

# %% tags=["remove-cell"]
# Colab only: install the package. Elsewhere it is already installed (make book / pip install -e .).
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q",
                           "recsys-tutorial @ git+https://github.com/recsys-tutorial/recsys-tutorial@main"])

# %% tags=["parameters"] nbmake={"mock": {"PROFILE": "ci", "N_PRODUCTS": 2000, "DEVICE": "cpu", "EMBED_DIM": 32}}
PROFILE = "default"      # which book/params/*.yaml rendered this page
DATASET = "synthetic"    # "synthetic" (embedded, no download), "Electronics" or "Books" (real 2014 data)
N_PRODUCTS = 50000       # graph size of the synthetic data (ignored for real data)
DATA_VERSION = 2014      # release of the real data: 2014 or 2018
VAL_FRAC = 0.33          # share of edges held out for validation, as in the original
NEGATIVES = "uniform"    # validation negatives: "uniform" (original) or "degree" (degree-matched)
SEED = 42
DEVICE = "auto"          # "auto" picks cuda > mps > cpu
NUM_WALKS = 10           # walks started from every product, as in the original
WALK_LENGTH = 10         # nodes per walk, the start included
P = 0.5                  # node2vec return parameter; 1 means no bias
Q = 2.0                  # node2vec in-out parameter; 1 means no bias
EMBED_DIM = 128          # embedding dimension
W2V_EPOCHS = 5           # gensim epochs (the original ran 5)

# %%
import logging

import numpy as np
import pandas as pd

import recsys_tutorial as rt
from recsys_tutorial import data, edges, evaluate, plots, results, split, w2v, walks

logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
pd.set_option("display.float_format", "{:,.3f}".format)
rng = rt.seed_everything(SEED)
device = rt.get_device(DEVICE)
print(f"recsys_tutorial {rt.__version__} · profile {PROFILE!r} · dataset {DATASET!r} · device {device}")

# %% [markdown]
# ## 1. The product graph
#
# The same three calls as in Part 1 give the weighted edges and the split. Walks must only ever see
# **training** edges — a walk that crosses a validation edge would leak the answer into the embeddings.

# %%
products, relations, report = data.load_dataset(DATASET, n_products=N_PRODUCTS, seed=SEED, version=DATA_VERSION)
edge_table, vocab = edges.build_edges(products, relations)
sp = split.train_val_split(edge_table, val_frac=VAL_FRAC, seed=SEED, negatives=NEGATIVES, num_nodes=len(vocab))
print(sp.summary())

# %% [markdown]
# Co-purchase graphs are **hub-heavy**: a few products (cables, batteries, memory cards) are bought with
# everything. On log–log axes the share of products with degree at least *k* falls roughly along a
# line — the signature of a heavy tail. Hubs matter twice later: random walks keep returning to them,
# and uniformly drawn negatives rarely contain them, which makes popularity alone a strong predictor.

# %%
plots.degree_distribution(sp.train, sp.num_nodes, title="Degree distribution of the training graph")

# %%
train_degree = np.bincount(np.concatenate([sp.train["src"], sp.train["dst"]]), minlength=sp.num_nodes)
pd.Series(train_degree).describe(percentiles=[0.5, 0.9, 0.99]).to_frame("training degree")

# %% [markdown]
# ## 2. Random walks
#
# A random walk starts at a product and repeatedly hops to a neighbour, picked in proportion to the
# edge weight: products bought together often are visited together often. Ten walks of ten products
# from every product — the original's setting — turn the graph into "sentences".
#
# The original built a Python dictionary of transition probabilities and called `random.choices` once
# per step. We keep the graph as one compressed sparse row (CSR) matrix with an alias table per
# product, so each step costs the same whatever the product's degree, and generate walks in parallel
# with numba. Each walk draws its random numbers from its own seeded stream, so the same seed gives the
# same walks on a laptop or a 64-core server.

# %%
graph = walks.ProductGraph.from_edges(sp.train, sp.num_nodes, validation=sp.val)
walks.random_walks(graph, 1, 3, p=P, q=Q, seed=SEED, progress=False)  # compiles the numba kernel (cached on disk)
with results.timed() as t_first:
    first_order = walks.random_walks(graph, NUM_WALKS, WALK_LENGTH, seed=SEED, progress=False)
with results.timed() as t_n2v:
    n2v = walks.random_walks(graph, NUM_WALKS, WALK_LENGTH, p=P, q=Q, seed=SEED, progress=False)
steps = first_order.shape[0] * (WALK_LENGTH - 1)
pd.DataFrame({
    "walks": [len(first_order), len(n2v)],
    "seconds": [t_first["seconds"], t_n2v["seconds"]],
    "steps per second": [round(steps / t_first["seconds"]), round(steps / t_n2v["seconds"])],
}, index=["first-order (DeepWalk, weighted)", f"node2vec p={P:g}, q={Q:g}"])

# %% [markdown]
# Passing the validation pairs to `ProductGraph.from_edges` makes it check that no held-out edge is in
# the graph, so no walk can leak a validation answer. Here are the first walks, as product titles
# where the product has metadata:

# %%
titles = products.set_index("asin")["title"].reindex(vocab.astype(str)).fillna("(no metadata)").to_numpy()
pd.DataFrame(titles[first_order[:3]].T, columns=[f"walk {i + 1}" for i in range(3)])

# %% [markdown]
# **node2vec** biases each step by where the walk came from: with return parameter *p* = 0.5 the walk
# is twice as likely to step back, and with in-out parameter *q* = 2 it is half as likely to wander to
# products unrelated to the previous one — it stays inside a shopping mission. The original's node2vec
# package precomputed a table for every edge pair and ran out of 64 GB; ours samples by rejection and
# needs only the graph itself.

# %%
def step_kinds(w: np.ndarray) -> pd.Series:
    """Share of steps that go back, stay near the previous product, or move away."""
    t, x = w[:, :-2].ravel(), w[:, 2:].ravel()
    back = x == t
    near = graph.has_edge(t, x) & ~back
    return pd.Series({"back to the previous product": back.mean(), "to a neighbour of it": near.mean(),
                      "further away": 1 - back.mean() - near.mean()})


pd.DataFrame({"first-order": step_kinds(first_order), f"node2vec p={P:g}, q={Q:g}": step_kinds(n2v)})

# %% [markdown]
# ## 3. word2vec on walks
#
# word2vec learns a vector per product such that products appearing near each other in walks get
# similar vectors. The original ran gensim with its defaults — which means **CBOW**, not skip-gram
# (the `sg` flag defaults to 0). We set every parameter and train both.
#
# We score a validation pair by the cosine of its two vectors and report ROC-AUC on all pairs and on
# pairs whose products both appear in the training graph ("seen"). Pairs with an unseen product get the
# lowest score, the same rule for every method in this book.

# %%
src, dst = sp.val["src"].to_numpy(), sp.val["dst"].to_numpy()
rows = {}
for name, kwargs in {"gensim skip-gram": {"sg": 1}, "gensim CBOW (the original's)": {"sg": 0}}.items():
    trained = w2v.train_word2vec(first_order, sp.num_nodes, vector_size=EMBED_DIM, epochs=W2V_EPOCHS, seed=SEED,
                                 **kwargs)
    aucs = evaluate.auc_table(sp.val, evaluate.cosine_scores(trained.vectors, src, dst), known=trained.in_vocab)
    rows[name] = {**aucs, "seconds": trained.seconds, "tokens/s": trained.tokens_per_second}
    results.record("part2", name, profile=PROFILE, runtime_s=trained.seconds, **aucs)
pd.DataFrame(rows).T[["auc_all", "auc_seen", "seconds", "tokens/s"]]
