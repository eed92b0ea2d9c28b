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
# # Appendix — The embedded data: how it is made, and how real it is
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/recsys-tutorial/recsys-tutorial/blob/main/book/data.ipynb)
#
# The book runs by default on synthetic product metadata, so that it needs no download.
# Matching the real file's *counts* — products, edges, the mix of relation types — is
# easy and not enough: which method wins depends on the graph's *structure*. This page
# tells how the data is generated and measures the structure of the graph this build
# used beside real co-purchase graphs.

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
        "recsys-tutorial @ git+https://github.com/recsys-tutorial/recsys-tutorial@main",
    ])

# %% tags=["parameters"] nbmake={"mock": {"PROFILE": "ci", "N_PRODUCTS": 2000}}
PROFILE = "default"      # which book/params/*.yaml rendered this page
DATASET = "synthetic"    # "synthetic" (embedded), a category ("Electronics", "Books",
#                          …) or the path of a metadata file
N_PRODUCTS = 50000       # graph size of the synthetic data (ignored for real data)
DATA_VERSION = 2014      # release of the real data: 2014 or 2018
SEED = 42

# %%
import dataclasses
import logging
import textwrap

import pandas as pd

from recsys_tutorial import data, describe, edges, plots, synthetic

logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
pd.set_option("display.float_format", "{:,.3f}".format)
print(f"profile {PROFILE!r} · dataset {data.dataset_name(DATASET)!r}")

# %% [markdown]
# ## How the lists arise
#
# On Amazon, a product's *customers who bought this also bought* list is its **top
# co-purchased** products. So rather than draw edges at random, the generator
# (`recsys_tutorial.synthetic`) simulates co-purchases and ranks them:
#
# 1. **A catalogue.** Products with a metadata line, and *foreign* products — items of
#    other categories that shoppers buy alongside, which appear in lists but have no
#    line, as most graph nodes of the real Electronics file do. Only about a third of
#    the catalogued products sell at all.
# 2. **Missions and themes.** Every product belongs to a small *shopping mission* (the
#    accessories of one camera); missions group into broad *themes* (photography) and
#    themes into *departments* (the second level of the category tree).
# 3. **Co-purchases.** A selling product is co-purchased a Poisson number of times, in
#    proportion to its heavy-tailed popularity. Each partner comes from the same mission
#    (weighted by popularity), from the same theme (weighted by its square root: broad,
#    sparse ties), from the same department (its best-sellers become hubs), rarely from
#    anywhere — or is a foreign product, usually of the same mission.
# 4. **Lists.** *Also bought* is the partners ranked by how often they were bought
#    together, at most 100: tight mission mates first. *Also viewed* comes from shorter
#    browsing sessions within a department; *bought together* is the head of *also
#    bought*.
# 5. **Side information** follows the mission, noisily: category leaf, brand (missing
#    for about half of the products), price.
#
# Each step is a knob of `synthetic.SyntheticConfig`; these are the values behind the
# embedded data:

# %%
print(f"generator version {synthetic.GENERATOR_VERSION}")
config = dataclasses.asdict(synthetic.SyntheticConfig())
knobs = pd.Series({name: f"{value:g}" for name, value in config.items()},
                  name="value").to_frame()
knobs.index.name = "SyntheticConfig"
knobs

# %% [markdown]
# Each row is one step of the story above; `SyntheticConfig` takes any of them as an
# argument, so you can see what a step does to the graph by changing it alone.
#
# ## The graph this build used
#
# The same three calls as in the chapters: read the metadata, turn the lists into
# weighted edges, and describe the result.

# %%
products, relations, report = data.load_dataset(
    DATASET, n_products=N_PRODUCTS, seed=SEED, version=DATA_VERSION)
edge_table, vocab = edges.build_edges(products, relations)
stats = describe.graph_statistics(edge_table, vocab, products)
print(report.label)
counts = ("nodes", "edges", "max degree")
pd.Series({name: f"{value:,.0f}" if name in counts else f"{value:.3f}"
           for name, value in stats.items()},
          name=data.dataset_name(DATASET)).to_frame()

# %% [markdown]
# The columns to read: the **median degree** (how many others list a typical product),
# the `top-1% endpoint share` (how much of the graph the best-sellers hold), and
# **clustering** — among the products bought with a given product, the share of pairs
# that are bought with each other. The figure below shows clustering by degree for this
# graph, beside real co-purchase graphs: SNAP's Amazon networks (published) and small
# real Amazon metadata extracts measured with the same code
# (`describe.REFERENCE_GRAPHS`; `benchmarks/bench_realism.py --real FILE` measures any
# file).

# %%
title = (f"Clustering by degree: {data.dataset_name(DATASET)} data beside real "
         "co-purchase graphs")
plots.clustering_by_degree(edge_table, len(vocab), describe.REFERENCE_GRAPHS,
                           title=title)

# %%
real = describe.REFERENCE_GRAPHS
ge2 = real["clustering, degree ≥ 2"].dropna()
published = real.loc[real["source"] == "published", "average clustering"]
mine = stats["clustering, degree ≥ 2"]
verdict = ("inside" if ge2.min() <= mine <= ge2.max() else
           "below" if mine < ge2.min() else "above")
print(textwrap.fill(
    f"Clustering among products of degree ≥ 2 is {mine:.2f} here, {verdict} the range "
    f"of the real extracts ({ge2.min():.2f}–{ge2.max():.2f}); SNAP's published "
    f"averages over all products are {published.min():.2f}–{published.max():.2f}. "
    f"The median product has degree {stats['median degree']:g}, and the top 1 % of "
    "products hold "
    f"{stats['top-1% endpoint share']:.0%} of all edge endpoints.", 88))

# %% [markdown]
# Clustering matters for everything that follows. Where two products bought with a third
# are often bought with each other, a random walk that leaves a product comes back to
# its neighbourhood, and the products that co-occur in walks are the ones that belong
# together — the signal word2vec learns. Where lists are drawn loosely from large
# groups, the graph has the right counts but little of that structure, and methods that
# only look one step away (matrix factorization on edges, popularity) can come out ahead
# of methods that read walks. Real co-purchase graphs are of the first kind.
#
# ## The counts, beside the real Electronics file
#
# The generator also keeps the Electronics-wide numbers the original reported (Part 1
# shows the same table): relation mix, metadata coverage, lines per graph node.

# %%
data.describe_dataset(products, relations, edge_table, vocab)

# %% [markdown]
# Statistics without an Electronics value are ones the original never reported; the page
# above compares them with other real graphs instead.

# %% [markdown]
# ## What real graphs say about the methods
#
# The real extracts cannot ship with the book, but `benchmarks/bench_realism.py` trained
# every method on them with this book's settings and split rules, and the scores are
# kept as reference values in `describe.REFERENCE_AUC` (seen-AUC, uniform negatives).
# They are the yardstick the embedded data was calibrated against: on it, the methods
# should come out in the order the large real extract shows.

# %%
reference = describe.REFERENCE_AUC
reference

# %% [markdown]
# Read each column down: which method sits on top for that graph, and how far popularity
# (preferential attachment) is from it. The next table condenses the columns into the
# graph's size and the two gaps that matter:

# %%
graphs = describe.REFERENCE_GRAPHS.set_index("graph")
skip_gram = reference.loc[["gensim skip-gram, 1 epoch", "PyTorch SGNS, 1 epoch"]].max()
popularity = reference.loc["preferential attachment"]
summary = pd.DataFrame({
    "nodes": graphs.loc[reference.columns, "nodes"].map("{:,}".format),
    "validation pairs seen": graphs.loc[reference.columns, "validation pairs seen"]
    .map("{:.0%}".format),
    "best method": reference.idxmax(),
    "skip-gram − popularity": (skip_gram - popularity).map("{:+.3f}".format),
    "SGNS 1 epoch − 5 epochs": (reference.loc["PyTorch SGNS, 1 epoch"]
                                - reference.loc["PyTorch SGNS, 5 epochs"])
    .map("{:+.3f}".format),
})
summary

# %%
losing = [graph for graph in reference.columns if skip_gram[graph] < popularity[graph]]
winning = [graph for graph in reference.columns if graph not in losing]
if losing and winning:
    smaller = graphs.loc[losing, "nodes"].max() < graphs.loc[winning, "nodes"].min()
    sentence = (f"Skip-gram beats popularity on {'; '.join(winning)}, and loses on "
                f"{'; '.join(losing)}"
                + (": every graph it loses on is smaller than every graph it wins on "
                   f"({graphs.loc[losing, 'nodes'].max():,} nodes or fewer)."
                   if smaller else "."))
else:
    verb = "beats" if winning else "loses to"
    sentence = f"Skip-gram {verb} popularity on every extract."
print(textwrap.fill(sentence, 88))

# %% [markdown]
# Read the sentence above with the graph sizes beside it. Where skip-gram loses to
# popularity, compare that graph's size with the others: a product that appears in only
# a handful of short walks cannot get a good vector, and a single epoch over so few
# tokens barely moves the vectors at all. The embedded data is calibrated to the order
# of the larger graphs; Part 2 shows whether this run's data follows it. Embeddings need
# data; before trusting them on your own catalogue, compare them with popularity on a
# held-out split, as this book does.
