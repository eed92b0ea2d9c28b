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
# # Results
#
# Each chapter records what it measured while the book was built; this page collects those records, so
# every number below comes from the same run as the chapters. The original project's published numbers
# stand beside ours: theirs are on the real Amazon data, ours on the data this build used (see the profile
# line below), so compare the *shape* of the two columns — which methods win, by how much — more than
# single values.

# %% tags=["parameters"] nbmake={"mock": {"PROFILE": "ci"}}
PROFILE = "default"      # which book/params/*.yaml rendered this page

# %%
import pandas as pd

from recsys_tutorial import plots, results

pd.set_option("display.float_format", "{:,.3f}".format)
collected = results.collect()
print(f"profile {PROFILE!r}: {len(collected)} result records from {results.results_dir()}")
if collected.empty:
    raise RuntimeError("no results recorded: run Part 1 and Part 2 first (make book runs them in order)")

# %% [markdown]
# ## Every method, one table
#
# ROC-AUC on all validation pairs (uniform negatives, the original's protocol), on pairs whose products
# were both seen in training, on pairs with an unseen product, and against **degree-matched** negatives —
# negatives as popular as the positives, which take away the free win popularity gets from uniform
# negatives. Ranking columns are recall and NDCG of held-out neighbours among all products, where a
# chapter measured them. The shaded columns are the original's published numbers for the same method.

# %%
plots.results_table(collected, results.ORIGINAL_RESULTS, title=f"All methods, profile {PROFILE}")

# %% [markdown]
# ## Where the time goes
#
# Training and scoring time of each method in this run (the data pipeline's stages are recorded too).

# %%
timed = collected.dropna(subset=["runtime_s"]).sort_values("runtime_s", ascending=False)
timed[["chapter", "method", "runtime_s"]].assign(minutes=timed["runtime_s"] / 60).reset_index(drop=True)

# %% [markdown]
# ## The original project (published, Amazon 2014 data)
#
# ROC-AUC on all validation pairs and on seen pairs, with runtimes in minutes, as the original README and
# notebooks report them. Empty cells are methods that failed (node2vec ran out of 64 GB) or were never
# evaluated (side information).

# %%
results.ORIGINAL_RESULTS

# %% [markdown]
# The tidy table behind this page is saved as `results.csv` in the results folder of the build, for anyone
# who wants to plot it differently.
