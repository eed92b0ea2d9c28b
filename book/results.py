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
if collected.empty:
    raise RuntimeError("no results recorded: run Part 1 and Part 2 first (make book runs them in order)")
published = collected.get("published_as", pd.Series(dtype=object)).dropna().unique()
datasets = ", ".join(collected["dataset"].dropna().astype(str).unique())
print(f"profile {PROFILE!r}, data: {datasets}; " + (
    f"the original's published {', '.join(published)} numbers stand beside ours." if len(published) else
    "not a file the original published numbers for: its numbers are a reference (last section), not a comparison."))

# %% [markdown]
# ## Every method at a glance
#
# One row per method, best seen-AUC on top. Each marker is one way of scoring it: ROC-AUC on all validation
# pairs (uniform negatives, the original's protocol), on pairs whose products were both seen in training,
# against **degree-matched** negatives — as popular as the positives, which takes away the free win
# popularity gets from uniform negatives — and recall@100, the share of held-out neighbours found among a
# product's 100 best-scored products. Where this run read the original's own file, a cross marks its
# published AUC.

# %%
plots.results_overview(collected, results.ORIGINAL_RESULTS, title=f"Every method, profile {PROFILE}")

# %%
table, dropped = results.summary(collected, results.ORIGINAL_RESULTS)
ranked = table.dropna(subset=["AUC seen"])
best, last = ranked.iloc[0], ranked.iloc[-1]
gap = (table["AUC all"] - table["AUC seen"]).abs().max()
print(f"Best on seen pairs: {best['method']} ({best['AUC seen']:.3f}); last: {last['method']} "
      f"({last['AUC seen']:.3f}). The largest gap between a method's all-pairs and seen-pairs AUC is {gap:.3f}: "
      + ("large enough that the protocol, not only the model, decides some rankings."
         if gap > 0.05 else "small, so on this data the two protocols rank methods alike."))
if "AUC degree-matched" in table:
    fall = (table["AUC all"] - table["AUC degree-matched"]).dropna()
    print(f"Against degree-matched negatives, methods move by {-fall.max():+.3f} to {-fall.min():+.3f} from their "
          f"all-pairs AUC (median {-fall.median():+.3f}): what they lose there was popularity, not relatedness.")

# %% [markdown]
# The same numbers as a table, sorted the same way (time is training plus scoring, where recorded):

# %%
if dropped:
    print("Not shown, the same for every method: " + ", ".join(dropped)
          + (" (unseen-AUC is 0.5 by construction: a pair with an unseen product gets the lowest score)."
             if "AUC unseen" in dropped else "."))
table

# %% [markdown]
# ## Where the time goes
#
# Training and scoring time of each method in this run (the data pipeline's stages are recorded too).

# %%
timed = collected.dropna(subset=["runtime_s"]).sort_values("runtime_s", ascending=False)
timed = timed[["chapter", "method", "runtime_s"]].assign(minutes=timed["runtime_s"] / 60).reset_index(drop=True)
share = timed["runtime_s"].iloc[:3].sum() / timed["runtime_s"].sum()
print(f"The three slowest steps ({', '.join(timed['method'].iloc[:3])}) take {share:.0%} of the recorded time.")
timed

# %% [markdown]
# ## Reference: the original project (published, Amazon 2014 data)
#
# ROC-AUC on all validation pairs and on seen pairs, with runtimes in minutes, as the original README and
# notebooks report them — measured on the 2014 Electronics and Books files with its own code. Empty cells
# are methods that failed (node2vec ran out of 64 GB) or were never evaluated (side information).

# %%
results.ORIGINAL_RESULTS

# %% [markdown]
# Read it for the ordering the original found — word2vec far above matrix factorization, more data (Books)
# helping word2vec and hurting MF-bias — and compare that ordering with the figure at the top of this page.

# %% [markdown]
# The tidy table behind this page is saved as `results.csv` in the results folder of the build, for anyone
# who wants to plot it differently.
