"""Edges: relation rows → one weighted, undirected product graph with integer ids.

The original rules: bought_together weighs 1.2, also_bought 1.0, also_viewed 0.5; a pair's weight is
the sum over relation types and both directions; only source products with a title and at least two
also_bought entries contribute. Unlike the original we drop self-pairs and report every count.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from recsys_tutorial.errors import warn_data

__all__ = ["DEFAULT_WEIGHTS", "WEIGHT_RANGE", "EdgeReport", "build_edges", "weight_problem"]

logger = logging.getLogger(__name__)

DEFAULT_WEIGHTS = {"bought_together": 1.2, "also_bought": 1.0, "also_viewed": 0.5}
#: Edge weights are stored as float32: below its smallest normal number they round to 0 (or lose precision),
#: above its largest to inf, and either breaks the walks' alias tables. Out-of-range weights are rejected.
WEIGHT_RANGE = (float(np.finfo(np.float32).tiny), float(np.finfo(np.float32).max))
WEIGHT_RULE = (f"weights must be positive float32 numbers in [{WEIGHT_RANGE[0]:.3g}, {WEIGHT_RANGE[1]:.3g}]; "
               "walks depend only on weight ratios, so multiply or divide every weight by one constant")
#: A source filter that leaves less than this share of the weighted rows gets a DataWarning naming its switch.
_NEARLY_ALL = 0.95


@dataclass
class EdgeReport:
    """Counts of what each rule removed; also stored in ``edges.attrs['report']``. Every row is accounted for:
    ``relation_rows = rows_unweighted_relation + rows_from_filtered_sources + self_pairs_dropped + rows_used``."""

    relation_rows: int
    rows_unweighted_relation: int
    sources: int
    sources_without_title: int
    sources_with_few_also_bought: int
    rows_from_filtered_sources: int
    self_pairs_dropped: int
    rows_used: int
    nodes: int
    edges: int

    def summary(self) -> str:
        return (
            f"{self.relation_rows:,} relation rows → {self.edges:,} undirected edges on {self.nodes:,} products; "
            f"dropped {self.rows_from_filtered_sources:,} rows of {self.sources_without_title:,} untitled and "
            f"{self.sources_with_few_also_bought:,} sparse sources, {self.self_pairs_dropped:,} self-pairs, "
            f"{self.rows_unweighted_relation:,} rows of unweighted relation types"
        )


def weight_problem(src: np.ndarray, dst: np.ndarray, weights: np.ndarray, num_nodes: int,
                   labels: np.ndarray | pd.Index | None = None) -> str | None:
    """Why these edge weights cannot be stored as float32 and walked (first bad edge or node), or None.

    Each weight must lie in ``WEIGHT_RANGE``, and so must each node's total (the walks' row sums). O(E).
    ``labels[i]`` names node i in the message (default: its id).
    """
    w = np.asarray(weights, np.float64)
    bad = ~((w >= WEIGHT_RANGE[0]) & (w <= WEIGHT_RANGE[1]))
    if bad.any():
        i = int(np.argmax(bad))
        return f"edge row {i} ({src[i]}, {dst[i]}) has weight {w[i]:.3g}: {WEIGHT_RULE}"
    strength = np.bincount(src, w, num_nodes) + np.bincount(dst, w, num_nodes)
    if len(strength) and strength.max() > WEIGHT_RANGE[1]:
        v = int(np.argmax(strength))
        name = v if labels is None else repr(labels[v])
        return f"node {name} has weights summing to {strength[v]:.3g}, beyond float32: {WEIGHT_RULE}"
    return None


def _check_relation_weights(weights: dict[str, float]) -> None:
    """Each relation weight is 0 (relation off) or a float32-safe positive number; NaN, inf, < 0 are errors."""
    for name, value in weights.items():
        if value != 0 and not WEIGHT_RANGE[0] <= value <= WEIGHT_RANGE[1]:
            raise ValueError(f"relation weight {name}={value!r}: use 0 to switch a relation off, else {WEIGHT_RULE}")


def row_weights(relations: pd.DataFrame, weights: dict[str, float]) -> np.ndarray:
    """Each relation row's weight (float64; 0 for a relation type ``weights`` does not name)."""
    names = relations["relation"].cat.categories
    return np.array([weights.get(name, 0.0) for name in names], np.float64)[relations["relation"].cat.codes.to_numpy()]


def build_edges(
    products: pd.DataFrame,
    relations: pd.DataFrame,
    weights: dict[str, float] | None = None,
    require_title: bool = True,
    min_also_bought: int = 2,
    drop_self_pairs: bool = True,
) -> tuple[pd.DataFrame, pd.Index]:
    """Return ``(edges, vocab)``: edges ``src < dst`` (int32 ids), summed ``weight`` (float32).

    ``vocab`` is the sorted Index of ASINs; an id is a position in it, so ids never depend on hash or
    file order. Set ``require_title=False`` / ``min_also_bought=0`` to switch the source filters off.
    """
    weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
    unknown = set(weights) - set(relations["relation"].cat.categories)
    if unknown:
        raise ValueError(f"weights name unknown relation types: {sorted(unknown)}")
    _check_relation_weights(weights)
    asin_codes = _codes(relations["asin"])
    related_codes = _codes(relations["related"])
    categories = relations["asin"].cat.categories
    if not relations["related"].cat.categories.equals(categories):  # e.g. tables built by hand
        related_categories = relations["related"].cat.categories
        categories = categories.append(related_categories.difference(categories))
        related_codes = categories.get_indexer(related_categories)[related_codes]
    rel_names = relations["relation"].cat.categories
    row_weight = row_weights(relations, weights)

    # Source filters, evaluated per product code.
    n_codes = len(categories)
    product_codes = categories.get_indexer(products["asin"].astype(str))  # -1: a product without relations
    titled = np.zeros(n_codes, bool)
    titled[product_codes[products["title"].notna().to_numpy() & (product_codes >= 0)]] = True
    ab_code = list(rel_names).index("also_bought") if "also_bought" in rel_names else -1
    ab_rows = relations["relation"].cat.codes.to_numpy() == ab_code
    n_also_bought = np.bincount(asin_codes[ab_rows], minlength=n_codes)
    is_source = np.zeros(n_codes, bool)
    is_source[np.unique(asin_codes)] = True
    ok = is_source.copy()
    no_title = is_source & ~titled
    few = is_source & (n_also_bought < min_also_bought)
    if require_title:
        ok &= titled
    ok &= n_also_bought >= min_also_bought

    keep = ok[asin_codes] & (row_weight > 0)
    self_pair = asin_codes == related_codes
    n_self = int((keep & self_pair).sum())
    if drop_self_pairs:
        keep &= ~self_pair
    a, b, w = asin_codes[keep], related_codes[keep], row_weight[keep]

    # Deterministic vocabulary: sorted ASINs of every product that ends up in an edge.
    used = np.unique(np.concatenate([a, b]))
    used_asins = np.asarray(categories[used], dtype=object)
    order = np.argsort(used_asins, kind="stable")
    vocab = pd.Index(used_asins[order], name="asin", dtype="string")
    rank = np.empty(n_codes, np.int64)
    rank[used[order]] = np.arange(len(used))
    ra, rb = rank[a], rank[b]
    lo, hi = np.minimum(ra, rb), np.maximum(ra, rb)
    key = lo * len(vocab) + hi
    uniq, inverse = np.unique(key, return_inverse=True)
    summed = np.bincount(inverse, weights=w, minlength=len(uniq))
    problem = weight_problem(uniq // max(len(vocab), 1), uniq % max(len(vocab), 1), summed, len(vocab))
    if problem:
        raise ValueError(f"summed relation weights do not fit float32 ({problem})")
    edges = pd.DataFrame(
        {
            "src": (uniq // max(len(vocab), 1)).astype(np.int32),
            "dst": (uniq % max(len(vocab), 1)).astype(np.int32),
            "weight": summed.astype(np.float32),
        }
    )
    report = EdgeReport(
        relation_rows=len(relations),
        rows_unweighted_relation=int((row_weight <= 0).sum()),
        sources=int(is_source.sum()),
        sources_without_title=int(no_title.sum()) if require_title else 0,
        sources_with_few_also_bought=int((few & (titled | (not require_title))).sum()),
        rows_from_filtered_sources=int((~ok[asin_codes] & (row_weight > 0)).sum()),
        self_pairs_dropped=n_self if drop_self_pairs else 0,
        rows_used=int(keep.sum()),
        nodes=len(vocab),
        edges=len(edges),
    )
    edges.attrs["report"] = asdict(report)
    logger.info("%s", report.summary())
    untitled, sparse = no_title & require_title, few & ~(no_title & require_title)  # per source: who dropped it
    rows_untitled, rows_sparse = ((dropped[asin_codes] & (row_weight > 0)).sum() for dropped in (untitled, sparse))
    causes = [
        f"require_title=True removed {rows_untitled:,} rows of {untitled.sum():,} sources without a title (real "
        "2018 extracts often lack them; pass require_title=False to keep them)" if rows_untitled else "",
        f"min_also_bought={min_also_bought} removed {rows_sparse:,} rows of {sparse.sum():,} sources with fewer "
        "also_bought entries (pass min_also_bought=0 to keep them)" if rows_sparse else "",
    ]
    _warn_if_filtered_out(report, [cause for cause in causes if cause])
    return edges, vocab


def _warn_if_filtered_out(report: EdgeReport, causes: list[str]) -> None:
    """DataWarning when the source filters leave (nearly) nothing or no edge is left, naming the switches."""
    weighted = report.relation_rows - report.rows_unweighted_relation
    if report.edges and report.rows_from_filtered_sources < _NEARLY_ALL * weighted:
        return
    why = "; ".join(causes) or report.summary()
    warn_data(f"build_edges kept {report.edges:,} edges from {weighted:,} weighted relation rows: {why}", logger,
              stacklevel=4)


def _codes(column: pd.Series) -> np.ndarray:
    if not isinstance(column.dtype, pd.CategoricalDtype):
        raise TypeError(f"relations.{column.name} must be categorical, as read_amazon_metadata returns it")
    codes = column.cat.codes.to_numpy().astype(np.int64)
    if (codes < 0).any():
        raise ValueError(f"relations.{column.name} has {(codes < 0).sum()} missing ASINs")
    return codes
