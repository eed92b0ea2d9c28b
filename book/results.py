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
# are shown beside them for reference.

# %% tags=["parameters"] nbmake={"mock": {"PROFILE": "ci"}}
PROFILE = "default"      # which book/params/*.yaml rendered this page

# %%
import pandas as pd

from recsys_tutorial import results

pd.set_option("display.float_format", "{:,.3f}".format)
collected = results.collect()
print(f"profile {PROFILE!r}: {len(collected)} result records from {results.results_dir()}")

# %% [markdown]
# ## This run

# %%
if collected.empty:
    print("No results recorded yet: run Part 1 and Part 2 first (make book runs them in order).")
else:
    display(collected.set_index(["chapter", "name"]).T)  # noqa: F821 - IPython's display

# %% [markdown]
# ## The original project (published, Amazon 2014 data)
#
# ROC-AUC on all validation pairs and on pairs whose products were both seen in training, with
# runtimes in minutes, as the original README and notebooks report them. Empty cells are methods that
# failed (Node2Vec ran out of 64 GB) or were never evaluated (side information).

# %%
results.ORIGINAL_RESULTS
