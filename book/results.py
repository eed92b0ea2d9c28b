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
# # Results
#
# Each chapter records what it measured while the book was built; this page collects
# those records, so every number below comes from the same run as the chapters. The
# original project published numbers for the 2014 Electronics and Books files. They
# stand beside ours only when this build read one of those files; on other data (the
# embedded synthetic set, another category, your own file) they appear at the end of the
# page as a labelled reference — the ordering of methods to expect, not numbers to
# match.

# %% tags=["parameters"] nbmake={"mock": {"PROFILE": "ci"}}
PROFILE = "default"      # which book/params/*.yaml rendered this page

# %%
import pandas as pd

from recsys_tutorial import plots, results

pd.set_option("display.float_format", "{:,.3f}".format)
collected = results.collect()
if collected.empty:
    raise RuntimeError("no results recorded: run Part 1 and Part 2 first (make book "
                       "runs them in order)")
published = collected.get("published_as", pd.Series(dtype=object)).dropna().unique()
datasets = ", ".join(collected["dataset"].dropna().astype(str).unique())
print(f"profile {PROFILE!r}, data: {datasets}; " + (
    f"the original's published {', '.join(published)} numbers stand beside ours."
    if len(published) else
    "not a file the original published numbers for: its numbers are a reference (last "
    "section), not a comparison."))

# %% [markdown]
# ## Every method at a glance
#
# One row per method, in decreasing order of seen-AUC. Each marker is one way of scoring
# it: ROC-AUC on all validation pairs (uniform negatives, the original's protocol), on
# pairs whose products were both seen in training, against **degree-matched** negatives
# — as popular as the positives, which takes away what popularity alone earns against
# uniform negatives — and recall@100, the share of held-out neighbours found among a
# product's 100 best-scored products. Where this run read the original's own file, a
# cross marks its published AUC.

# %%
plots.results_overview(collected, results.ORIGINAL_RESULTS,
                       title=f"Every method, profile {PROFILE}")

# %% [markdown]
# Read the order of the rows first, then how far each row's markers spread: the distance
# from a method's all-pairs marker to its degree-matched one is what popularity was
# worth to it.

# %%
def compare(a: float, b: float, tie: float = 0.005) -> str:
    """'level with' / '0.012 above' / '0.012 below': a against b."""
    if abs(a - b) < tie:
        return "level with"
    return f"{a - b:.3f} above" if a > b else f"{b - a:.3f} below"


table, dropped = results.summary(collected, results.ORIGINAL_RESULTS)
ranked = table.dropna(subset=["AUC seen"])
best, last = ranked.iloc[0], ranked.iloc[-1]
both = table.dropna(subset=["AUC all", "AUC seen"])
by_all, by_seen = both["AUC all"].to_numpy(), both["AUC seen"].to_numpy()
swapped = int(((by_all[:, None] - by_all[None, :])
               * (by_seen[:, None] - by_seen[None, :]) < 0).sum() // 2)
print(f"Best on seen pairs: {best['method']} ({best['AUC seen']:.3f}); last: "
      f"{last['method']} ({last['AUC seen']:.3f}). "
      + ("All pairs and seen pairs order the methods alike." if swapped == 0 else
         f"All pairs and seen pairs order {swapped} of the "
         f"{len(both) * (len(both) - 1) // 2} pairs of methods differently: there the "
         "protocol, not only the model, decides the ranking."))
if "AUC degree-matched" in table:
    move = (table["AUC degree-matched"] - table["AUC all"]).dropna().round(3) + 0.0
    print(f"Against degree-matched negatives, methods move by {move.min():+.3f} to "
          f"{move.max():+.3f} from their all-pairs AUC (median {move.median():+.3f})"
          + (": what they lose there was popularity, not relatedness."
             if move.min() < -0.01 else "."))

# %% [markdown]
# The same numbers as a table, sorted the same way (time is training plus scoring, where
# recorded):

# %%
if dropped:
    print("Not shown, the same for every method: " + ", ".join(dropped)
          + (" (unseen-AUC is 0.5 by construction: a pair with an unseen product gets "
             "the lowest score)." if "AUC unseen" in dropped else "."))
table

# %% [markdown]
# Read along a row for one method (`part` says which chapter trained it), or down the
# degree-matched column for the ranking that popularity cannot buy.

# %%
if "AUC degree-matched" in table:
    matched = table.dropna(subset=["AUC degree-matched"])
    top = matched.loc[matched["AUC degree-matched"].idxmax()]
    print(f"Against degree-matched negatives the best is {top['method']} "
          f"({top['AUC degree-matched']:.3f}); "
          + ("the same method leads on seen pairs." if top["method"] == best["method"]
             else f"on seen pairs it is {top['AUC seen']:.3f}, "
             f"{compare(top['AUC seen'], best['AUC seen'])} {best['method']}."))

# %% [markdown]
# ## Where the time goes
#
# Training and scoring time of each method in this run (the data pipeline's stages are
# recorded too).

# %%
timed = collected.dropna(subset=["runtime_s"]).sort_values("runtime_s", ascending=False)
timed = (timed[["chapter", "method", "runtime_s"]]
         .assign(minutes=timed["runtime_s"] / 60).reset_index(drop=True))
timed

# %%
share = timed["runtime_s"].iloc[:3].sum() / timed["runtime_s"].sum()
print(f"The three slowest steps ({'; '.join(timed['method'].iloc[:3])}) take "
      f"{share:.0%} of the recorded time.")

# %% [markdown]
# ## Reference: the original project (published, Amazon 2014 data)
#
# ROC-AUC on all validation pairs and on seen pairs, with runtimes in minutes, as the
# original README and notebooks report them — measured on the 2014 Electronics and Books
# files with its own code. Empty cells are methods that failed (node2vec ran out of 64
# GB) or were never evaluated (side information).

# %%
results.ORIGINAL_RESULTS

# %% [markdown]
# Read it for the ordering the original found — word2vec far above matrix factorization,
# more data (Books) helping word2vec and hurting MF-bias — and compare that ordering
# with this run's:

# %%
family = ranked["method"].str.contains("skip-gram|word2vec|Node2Vec", regex=True)
is_mf = ranked["method"].str.startswith("MF")
if family.any() and is_mf.any():
    walk, mf = ranked[family].iloc[0], ranked[is_mf].iloc[0]
    print(f"On seen pairs this run's best word2vec-family method, {walk['method']} "
          f"({walk['AUC seen']:.3f}), is {compare(walk['AUC seen'], mf['AUC seen'])} "
          f"its best matrix factorization, {mf['method']} ({mf['AUC seen']:.3f}).")
library = ranked[ranked["method"].str.endswith("(implicit)")]
if family.any() and len(library):
    walk, lib = ranked[family].iloc[0], library.iloc[0]
    print("The libraries a practitioner would try first reach seen-AUC "
          + " and ".join(f"{row['AUC seen']:.3f} ({row['method']})"
                         for _, row in library.iterrows())
          + f": the better, {lib['method']}, is "
          f"{compare(lib['AUC seen'], walk['AUC seen'])} {walk['method']}"
          + (f", and {compare(lib['AUC degree-matched'], walk['AUC degree-matched'])} "
             "it against degree-matched negatives."
             if "AUC degree-matched" in library else "."))

# %% [markdown]
# The tidy table behind this page is saved as `results.csv` in the results folder of the
# build, for anyone who wants to plot it differently.
