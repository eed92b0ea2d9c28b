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
# every number below comes from the same run as the chapters. The original project published numbers for
# the 2014 Electronics and Books files. They stand beside ours only when this build read one of those
# files; on other data (the embedded synthetic set, another category, your own file) they appear at the
# end of the page as a labelled reference — the ordering of methods to expect, not numbers to match.

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
published = collected.get("published_as", pd.Series(dtype=object)).dropna().unique()
datasets = ", ".join(collected["dataset"].dropna().astype(str).unique())
print(f"data: {datasets}; " + (f"the original's published {', '.join(published)} numbers stand beside ours."
                               if len(published) else "not a file the original published numbers for: "
                               "its numbers are a reference (last section), not a comparison."))

# %% [markdown]
# ## Every method, one table
#
# ROC-AUC on all validation pairs (uniform negatives, the original's protocol), on pairs whose products
# were both seen in training, on pairs with an unseen product, and against **degree-matched** negatives —
# negatives as popular as the positives, which take away the free win popularity gets from uniform
# negatives. Ranking columns are recall and NDCG of held-out neighbours among all products, where a
# chapter measured them. On the original's own files, shaded columns hold its published numbers for the
# same method.

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
# ## Reference: the original project (published, Amazon 2014 data)
#
# ROC-AUC on all validation pairs and on seen pairs, with runtimes in minutes, as the original README and
# notebooks report them — measured on the 2014 Electronics and Books files with its own code. Empty cells are methods that failed (node2vec ran out of 64 GB) or were never
# evaluated (side information).

# %%
results.ORIGINAL_RESULTS

# %% [markdown]
# The tidy table behind this page is saved as `results.csv` in the results folder of the build, for anyone
# who wants to plot it differently.
