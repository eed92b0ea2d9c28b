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

# %% tags=["parameters"] nbmake={"mock": {"PROFILE": "ci", "N_PRODUCTS": 2000, "DEVICE": "cpu"}}
PROFILE = "default"      # which book/params/*.yaml rendered this page
DATASET = "synthetic"    # "synthetic" (embedded, no download), "Electronics" or "Books" (real 2014 data)
N_PRODUCTS = 50000       # graph size of the synthetic data (ignored for real data)
DATA_VERSION = 2014      # release of the real data: 2014 or 2018
VAL_FRAC = 0.33          # share of edges held out for validation, as in the original
NEGATIVES = "uniform"    # validation negatives: "uniform" (original) or "degree" (degree-matched)
SEED = 42
DEVICE = "auto"          # "auto" picks cuda > mps > cpu

# %%
import logging

import numpy as np
import pandas as pd

import recsys_tutorial as rt
from recsys_tutorial import data, edges, plots, split

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
