"""Plots: plotly figures for the book. Each function takes package outputs and returns a Figure.

Figures use the ``plotly_white`` template so they read well inside the book's light and dark themes.
No renderer is set here: the book build sets ``PLOTLY_RENDERER`` and Colab/Jupyter use their own.
Long curves are thinned to at most ``max_points`` points so the book's HTML stays small; numbers shown in
legends and titles (AUC) are always computed on the full data.

Node attributes (titles, categories) are passed aligned with node ids: an array whose position i is
node i, or a Series indexed by node id; :func:`product_attribute` builds one from the products table.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from sklearn.metrics import precision_recall_curve, roc_auc_score, roc_curve

from recsys_tutorial.results import AUC_COLUMNS, ranking_columns, with_original

__all__ = [
    "SCHEDULE_LABELS",
    "clustering_by_degree",
    "degree_distribution",
    "edge_weight_distribution",
    "embedding_map",
    "learning_curves",
    "lr_by_batch",
    "lr_restarts",
    "lr_schedule",
    "nearest_neighbours",
    "precision_recall_threshold",
    "product_attribute",
    "results_overview",
    "results_table",
    "roc_curves",
    "similar_products",
]

TEMPLATE = "plotly_white"
COLORS = qualitative.Plotly
OTHER_COLOR = "#B0B0B0"
MISSING = "—"

#: Legend names of the training schedules (train.SCHEDULES).
SCHEDULE_LABELS = {
    "restarts": "restarts: cosine within each epoch",
    "cosine": "cosine over all epochs, no restarts",
    "linear": "linear decay (word2vec)",
    "constant": "constant",
    "faithful": "faithful: the original's code (bug B1)",
}


def _color(i: int) -> str:
    return COLORS[i % len(COLORS)]


def _thin(n: int, max_points: int, keep: Sequence[int] = ()) -> np.ndarray:
    """Indices of at most ~``max_points`` evenly spaced points out of n (first, last and ``keep`` always in)."""
    if n <= max_points:
        return np.arange(n)
    even = np.linspace(0, n - 1, max_points).round().astype(np.int64)
    extra = np.asarray(keep, dtype=np.int64)
    return np.unique(np.concatenate([even, extra[(extra >= 0) & (extra < n)]]))


def _f32(values: np.ndarray) -> np.ndarray:
    """Plot coordinates as float32: half the bytes in the page, far more precision than a screen shows."""
    return np.asarray(values, dtype=np.float32)


def _lookup(values: pd.Series | Sequence | np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Values of nodes ``ids``: by label from an integer-indexed Series, by position otherwise."""
    if isinstance(values, pd.Series) and pd.api.types.is_integer_dtype(values.index):
        return values.reindex(ids).to_numpy(dtype=object)
    return np.asarray(values, dtype=object)[ids]


def _text(value: object, missing: str, limit: int = 80) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return missing
    text = str(value).replace("<", "&lt;").replace(">", "&gt;")  # plotly reads <...> as markup
    return text if len(text) <= limit else text[:limit - 1] + "…"


def product_attribute(products: pd.DataFrame, vocab: pd.Index, column: str, fill: str | None = None) -> pd.Series:
    """``products[column]`` for every node id (a Series indexed 0..len(vocab)-1); ``fill`` replaces missing."""
    values = products.drop_duplicates("asin").set_index("asin")[column].reindex(pd.Index(vocab.astype(str)))
    out = pd.Series(values.to_numpy(dtype=object), index=pd.RangeIndex(len(vocab)), name=column)
    return out if fill is None else out.where(out.notna(), fill)


def degree_distribution(edges: pd.DataFrame, num_nodes: int, title: str | None = None) -> go.Figure:
    """Complementary CDF of node degree on log–log axes: a straight-ish line means a heavy tail."""
    degree = np.bincount(np.concatenate([edges["src"].to_numpy(), edges["dst"].to_numpy()]), minlength=num_nodes)
    values, counts = np.unique(degree[degree > 0], return_counts=True)
    ccdf = counts[::-1].cumsum()[::-1] / counts.sum()
    fig = go.Figure(go.Scatter(x=values, y=ccdf, mode="markers+lines", name="P(degree ≥ k)",
                               hovertemplate="degree ≥ %{x}: %{y:.2%} of products<extra></extra>"))
    fig.update_layout(
        template=TEMPLATE,
        title=title or f"Degree distribution ({num_nodes:,} products, mean degree {2 * len(edges) / num_nodes:.1f})",
        xaxis={"type": "log", "title": "degree k"},
        yaxis={"type": "log", "title": "share of products with degree ≥ k"},
        height=420,
    )
    return fig


def clustering_by_degree(edges: pd.DataFrame, num_nodes: int, references: pd.DataFrame | None = None,
                         title: str | None = None) -> go.Figure:
    """Average local clustering of products by degree (log bins), with real graphs' values as reference lines.

    ``references`` (``describe.REFERENCE_GRAPHS``) has a ``graph`` column and ``clustering, degree ≥ 2`` (a
    dotted line) or, where only that was published, ``average clustering`` over all products (dashed).
    """
    from recsys_tutorial.describe import local_clustering

    degree = np.bincount(np.concatenate([edges["src"].to_numpy(), edges["dst"].to_numpy()]), minlength=num_nodes)
    clustering = local_clustering(edges, num_nodes)
    edges_of_bins = np.unique(np.round(np.logspace(np.log10(2), np.log10(max(degree.max(), 2) + 1), 16)))
    bin_of = np.digitize(degree, edges_of_bins) - 1
    rows = []
    for b in range(len(edges_of_bins) - 1):
        members = (bin_of == b) & (degree >= 2)
        if members.any():
            lo, hi = int(edges_of_bins[b]), int(edges_of_bins[b + 1]) - 1
            rows.append((np.sqrt(lo * max(hi, lo)), clustering[members].mean(), members.sum(),
                         f"{lo}" if hi <= lo else f"{lo}–{hi}"))
    x, y, n, label = zip(*rows, strict=True) if rows else ((), (), (), ())
    fig = go.Figure(go.Scatter(
        x=list(x), y=list(y), mode="markers+lines", name="this graph, by degree",
        customdata=list(zip(label, n, strict=True)),
        hovertemplate="degree %{customdata[0]}: clustering %{y:.2f} (%{customdata[1]:,} products)<extra></extra>"))
    mean_ge2 = clustering[degree >= 2].mean() if (degree >= 2).any() else float("nan")
    fig.add_hline(y=mean_ge2, line={"color": _color(0), "dash": "solid", "width": 1},
                  annotation_text=f"this graph, degree ≥ 2: {mean_ge2:.2f}", annotation_position="top left")
    for i, row in enumerate([] if references is None else references.to_dict("records")):
        column = "clustering, degree ≥ 2" if pd.notna(row.get("clustering, degree ≥ 2")) else "average clustering"
        value, dash = row.get(column), "dot" if column == "clustering, degree ≥ 2" else "dash"
        if value is not None and pd.notna(value):
            fig.add_trace(go.Scatter(
                x=[x[0], x[-1]] if x else [2, 3], y=[value, value], mode="lines",
                line={"color": _color(i + 1), "dash": dash, "width": 1.5}, name=f"{row['graph']}: {column} {value:.2f}",
                hovertemplate=f"{row['graph']}<br>{column}: {value:.3f}<extra></extra>"))
    fig.update_layout(
        template=TEMPLATE, height=460,
        title=title or "Clustering: how often two products bought with a third are bought with each other",
        xaxis={"type": "log", "title": "degree (products of degree ≥ 2, log bins)"},
        yaxis={"title": "average local clustering", "range": [0, 1]},
        legend={"orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "left", "x": 0},
    )
    return fig


def edge_weight_distribution(edges: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Bar chart of summed edge weights: each bar is a combination of relation types and directions."""
    weights = np.round(edges["weight"].to_numpy().astype(np.float64), 2)
    values, counts = np.unique(weights, return_counts=True)
    fig = go.Figure(go.Bar(x=[f"{v:g}" for v in values], y=counts,
                           hovertemplate="weight %{x}: %{y:,} edges<extra></extra>"))
    fig.update_layout(
        template=TEMPLATE,
        title=title or "Edge weights after summing relation types and both directions",
        xaxis={"title": "edge weight", "type": "category"},
        yaxis={"title": "edges", "type": "log"},
        height=380,
    )
    return fig


# --- Training: learning curves and learning-rate schedules ---------------------------------------------------


def lr_restarts(curve: pd.DataFrame) -> np.ndarray:
    """Batches after which the learning rate jumps back up (a restart), from a curve's ``lr`` column.

    A jump is a rise by more than a tenth of the curve's peak rate between two logged rows (a slow drift up is
    not a restart). It is placed at the earlier row, which is the epoch end when the curve comes from
    ``train.train`` (it always logs epoch ends). Empty when there is no ``lr`` column.
    """
    if "lr" not in curve or len(curve) < 2:
        return np.empty(0, dtype=np.float64)
    lr = curve["lr"].to_numpy(dtype=np.float64)
    peak = np.max(lr, where=np.isfinite(lr), initial=0.0)
    jump = np.diff(lr) > 0.1 * peak  # NaN compares False: no restart
    return curve["batch"].to_numpy(dtype=np.float64)[:-1][jump]


def scaling_projection(projection: pd.DataFrame, columns: Sequence[str],
                       title: str = "Projected time per stage") -> go.Figure:
    """Minutes of each stage (``columns`` of ``projection``, indexed by the number of workers) on log-log axes:
    a stage that scales perfectly falls as a straight line of slope −1; shipped bytes bend it up."""
    fig = go.Figure()
    for i, column in enumerate(columns):
        fig.add_trace(go.Scatter(x=projection.index, y=projection[column], mode="lines+markers", name=column,
                                 line={"color": _color(i)},
                                 hovertemplate="%{x} workers: %{y:.2f} min<extra>" + column + "</extra>"))
    fig.update_layout(title=title, template="plotly_white", height=420,
                      xaxis={"title": "workers", "type": "log"}, yaxis={"title": "minutes", "type": "log"},
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})
    return fig


def learning_curves(curves: dict[str, pd.DataFrame], title: str = "Learning curves", show_lr: bool = False,
                    restarts: bool = True) -> go.Figure:
    """Validation-sample AUC against batches, one line per model, with a dotted line at each epoch end.

    Where a curve has an ``lr`` column (``TrainResult.curve`` does), a dashed line in the model's colour marks
    each learning-rate restart (``restarts=False`` hides them); ``show_lr=True`` also draws each model's
    learning rate on a second y axis. Clicking a model in the legend hides its restarts and rate too.
    """
    fig = go.Figure()
    auc = np.concatenate([c["auc"].to_numpy(dtype=np.float64) for c in curves.values()] or [np.empty(0)])
    finite = auc[np.isfinite(auc)]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    for i, (name, curve) in enumerate(curves.items()):
        color = _color(i)
        fig.add_trace(go.Scatter(x=curve["batch"], y=curve["auc"], mode="lines+markers", name=name, legendgroup=name,
                                 line={"color": color},
                                 hovertemplate="batch %{x:,}: AUC %{y:.3f}<extra>" + name + "</extra>"))
        at = lr_restarts(curve) if restarts else np.empty(0)
        if len(at):
            fig.add_trace(go.Scatter(
                x=np.repeat(at, 3), y=np.tile([low, high, np.nan], len(at)), mode="lines", legendgroup=name,
                name=f"{name}: LR restart", line={"color": color, "dash": "dash", "width": 1},
                hovertemplate="LR restart after batch %{x:,}<extra>" + name + "</extra>"))
        if show_lr and "lr" in curve:
            fig.add_trace(go.Scatter(x=curve["batch"], y=curve["lr"], yaxis="y2", mode="lines", legendgroup=name,
                                     name=f"{name}: learning rate", line={"color": color, "dash": "dot"},
                                     hovertemplate="batch %{x:,}: lr %{y:.3g}<extra>" + name + "</extra>"))
    first = next(iter(curves.values()), None)
    if first is not None and "epoch_end" in first:
        for batch in first.loc[first["epoch_end"].astype(bool), "batch"]:
            fig.add_vline(x=float(batch), line_dash="dot", line_color="grey", opacity=0.5)
    fig.update_layout(template=TEMPLATE, title=title, xaxis={"title": "batches"},
                      yaxis={"title": "ROC-AUC on the validation sample"}, height=420)
    if show_lr:
        fig.update_layout(yaxis2={"title": "learning rate", "overlaying": "y", "side": "right", "rangemode": "tozero",
                                  "showgrid": False},  # legend below: the right axis title needs the margin
                          legend={"orientation": "h", "x": 0, "y": -0.2, "yanchor": "top"}, height=480)
    return fig


def _faithful_lr(lr: float, batches_per_epoch: int, epochs: int) -> np.ndarray:
    """What ``train.train(schedule="faithful")`` does: a new CosineAnnealingLR each epoch, stepped per batch."""
    import torch  # lazy: the other figures do not need torch

    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    out = np.empty(epochs * batches_per_epoch, dtype=np.float64)
    with warnings.catch_warnings():  # no optimizer.step() here: only the rate is wanted
        warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler\.step\(\)`")
        for epoch in range(epochs):
            scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=batches_per_epoch)
            for b in range(batches_per_epoch):
                out[epoch * batches_per_epoch + b] = optimizer.param_groups[0]["lr"]
                scheduler.step()
    return out


def lr_by_batch(schedule: str, lr: float, batches_per_epoch: int, epochs: int, min_lr: float = 0.0) -> np.ndarray:
    """Learning rate of every batch (``epochs × batches_per_epoch`` values) as ``train.train`` sets it.

    Uses ``train.schedule_lr``; ``"faithful"`` runs PyTorch's own scheduler the way the original's code did
    (about 10 µs per batch after a one-off start-up; ``min_lr`` does not apply to it, as in training).
    """
    from recsys_tutorial.train import SCHEDULES, schedule_lr  # lazy: importing train imports torch

    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
    if schedule == "faithful":
        return _faithful_lr(lr, batches_per_epoch, epochs)
    return np.array([schedule_lr(schedule, lr, b, batches_per_epoch, epoch, epochs, min_lr)
                     for epoch in range(epochs) for b in range(batches_per_epoch)], dtype=np.float64)


def lr_schedule(schedule: str | Sequence[str], lr: float, batches_per_epoch: int, epochs: int,
                min_lr: float = 0.0, title: str | None = None, max_points: int = 2000) -> go.Figure:
    """Learning rate against batch number, one line per schedule, dotted lines at epoch ends.

    Values come from :func:`lr_by_batch`, i.e. exactly what training uses. Pass ``["faithful", "restarts"]``
    to show the original's schedule stuck at 0 from epoch 2 (bug B1) beside the restarts it meant.
    """
    schedules = [schedule] if isinstance(schedule, str) else list(schedule)
    n = epochs * batches_per_epoch
    boundaries = [e * batches_per_epoch + d for e in range(1, epochs) for d in (-1, 0)]
    keep = _thin(n, max_points, boundaries)
    fig = go.Figure()
    for i, name in enumerate(schedules):
        values = lr_by_batch(name, lr, batches_per_epoch, epochs, min_lr)
        fig.add_trace(go.Scatter(x=keep + 1, y=values[keep], mode="lines", name=SCHEDULE_LABELS.get(name, name),
                                 line={"color": _color(i), "width": 2, "dash": "solid" if i == 0 else "dash"},
                                 hovertemplate="batch %{x:,}: lr %{y:.3g}<extra>" + name + "</extra>"))
    for epoch in range(1, epochs):
        fig.add_vline(x=epoch * batches_per_epoch, line_dash="dot", line_color="grey", opacity=0.5)
    fig.update_layout(template=TEMPLATE, title=title or f"Learning rate over {epochs} epochs",
                      xaxis={"title": f"batches (over {epochs} epochs)"},
                      yaxis={"title": "learning rate", "rangemode": "tozero"}, height=380)
    return fig


# --- Evaluation: thresholds, ROC, results ---------------------------------------------------------------------


def precision_recall_threshold(labels: np.ndarray, scores: np.ndarray, name: str, title: str | None = None,
                               max_points: int = 2000) -> go.Figure:
    """Precision and recall against the score threshold, x axis inverted (high thresholds left), as the original.

    Read left to right: lowering the threshold recommends more pairs, recall rises and precision falls. A
    vertical "cliff" means many pairs share one score (e.g. unseen products all scored alike).
    """
    precision, recall, thresholds = precision_recall_curve(labels, scores)
    keep = _thin(len(thresholds), max_points)
    auc = roc_auc_score(labels, scores)
    fig = go.Figure()
    for metric, values, color in (("precision", precision, "#d62728"), ("recall", recall, "#1f77b4")):
        fig.add_trace(go.Scatter(x=_f32(thresholds[keep]), y=_f32(values[:-1][keep]), mode="lines", name=metric,
                                 line={"color": color},
                                 hovertemplate="threshold %{x:.3f}: " + metric + " %{y:.3f}<extra></extra>"))
    fig.update_layout(template=TEMPLATE, title=title or f"{name} – AUC-ROC: {auc:.4f}",
                      xaxis={"title": "threshold", "autorange": "reversed"},
                      yaxis={"title": "precision / recall", "range": [0, 1.02]}, height=380,
                      legend={"x": 0.99, "y": 0.02, "xanchor": "right", "yanchor": "bottom"})
    return fig


def roc_curves(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], title: str = "ROC curves",
               max_points: int = 2000) -> go.Figure:
    """ROC curve of each ``{name: (labels, scores)}`` with its AUC in the legend, and the random diagonal."""
    fig = go.Figure()
    for i, (name, (labels, scores)) in enumerate(curves.items()):
        fpr, tpr, _ = roc_curve(labels, scores)
        keep = _thin(len(fpr), max_points)
        auc = roc_auc_score(labels, scores)
        fig.add_trace(go.Scatter(x=_f32(fpr[keep]), y=_f32(tpr[keep]), mode="lines", name=f"{name} (AUC {auc:.3f})",
                                 line={"color": _color(i)},
                                 hovertemplate="FPR %{x:.3f}, TPR %{y:.3f}<extra>" + name + "</extra>"))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="random (AUC 0.500)",
                             line={"color": "grey", "dash": "dash"}, hoverinfo="skip"))
    fig.update_layout(template=TEMPLATE, title=title, height=480, width=560,
                      xaxis={"title": "false positive rate", "range": [0, 1], "constrain": "domain"},
                      yaxis={"title": "true positive rate", "range": [0, 1], "scaleanchor": "x"},
                      legend={"x": 0.98, "y": 0.02, "xanchor": "right", "yanchor": "bottom"})
    return fig


def _format_auc(value: object) -> str:
    return MISSING if pd.isna(value) else f"{float(value):.3f}"


def _format_seconds(value: object) -> str:
    if pd.isna(value):
        return MISSING
    seconds = float(value)
    return f"{seconds:.1f} s" if seconds < 60 else f"{seconds / 60:,.1f} min"


def _table(columns: dict[str, tuple[list[str], float, str]], fill: list, title: str) -> go.Figure:
    """A go.Table from ``{header: (cells, relative width, "left"/"right")}``, tall enough for every row.

    Plotly tables scroll rather than grow, so the height is estimated from how many lines each row's longest
    text wraps to on a ~750 px book page (about 7 px per character, less the cell padding).
    """
    cells, widths, align = (list(part) for part in zip(*columns.values(), strict=True))
    fig = go.Figure(go.Table(
        columnwidth=widths,
        header={"values": [f"<b>{h}</b>" for h in columns], "align": align, "fill_color": "#eef0f4", "height": 40},
        cells={"values": cells, "align": align, "fill_color": fill, "height": 26},
    ))
    chars = [max(4, int(750 * w / sum(widths) / 7) - 2) for w in widths]
    lines = [max(-(-len(column[r]) // c) for column, c in zip(cells, chars, strict=True)) for r in range(len(cells[0]))]
    fig.update_layout(template=TEMPLATE, title=title, height=150 + sum(20 * max(n, 1) + 8 for n in lines),
                      margin={"l": 10, "r": 10, "b": 10})
    return fig


def results_table(results: pd.DataFrame, original: pd.DataFrame | None = None, title: str = "Results") -> go.Figure:
    """Table of every recorded method: ROC-AUC (all / seen / unseen / degree-matched), ranking metrics if
    recorded, runtime, and with ``original`` (e.g. ``results.ORIGINAL_RESULTS``) the original's published
    numbers beside ours where the data is the file they were published for (see ``results.with_original``;
    otherwise no original columns are shown). Rows without any metric (data-pipeline records) are
    left out; missing values read "—". A dataset shared by every row goes in the title instead of a column.
    """
    frame = with_original(results, original) if original is not None else results.copy()
    frame = frame.reindex(columns=list(dict.fromkeys([*frame.columns, "method", "dataset", *AUC_COLUMNS,
                                                      "runtime_s"])))
    if frame["method"].isna().all() and "name" in frame:
        frame["method"] = frame["name"]
    ranking = ranking_columns(frame.columns)
    frame = frame[frame[AUC_COLUMNS + ranking].notna().any(axis=1)]
    notes = []
    columns = {"method": ([_text(v, MISSING) for v in frame["method"]], 2.4, "left")}
    datasets = frame["dataset"].dropna().unique()
    if len(datasets) == 1 and frame["dataset"].notna().all():
        notes.append(f"{datasets[0]} data")
    else:
        columns["dataset"] = ([_text(v, MISSING) for v in frame["dataset"]], 1.2, "left")
    headers = ["AUC<br>all", "AUC<br>seen", "AUC<br>unseen", "AUC<br>degree-<br>matched", *ranking]
    for header, column in zip(headers, AUC_COLUMNS + ranking, strict=True):
        columns[header] = ([_format_auc(v) for v in frame[column]], 1, "right")
    columns["runtime"] = ([_format_seconds(v) for v in frame["runtime_s"]], 1.2, "right")
    fill = ["white"] * len(columns)
    if original is not None and frame["original_dataset"].notna().any():
        columns["original<br>AUC all"] = ([_format_auc(v) for v in frame["original_auc_all"]], 1, "right")
        columns["original<br>AUC seen"] = ([_format_auc(v) for v in frame["original_auc_seen"]], 1, "right")
        columns["original<br>runtime"] = ([_format_seconds(v) for v in frame["original_runtime_s"]], 1.2, "right")
        fill += ["#f6f6f6"] * 3
        published = frame["original_dataset"].dropna().unique()
        if len(published):
            notes.append(f"original: published {', '.join(published)} numbers")
    return _table(columns, fill, f"{title} ({'; '.join(notes)})" if notes else title)


#: Metrics of the results overview, in the order their markers are drawn.
OVERVIEW_METRICS = {"auc_all": "AUC, all pairs", "auc_seen": "AUC, seen pairs",
                    "auc_degree_matched": "AUC, degree-matched negatives", "recall@100": "recall@100"}


def results_overview(results: pd.DataFrame, original: pd.DataFrame | None = None,
                     title: str = "Every method at a glance") -> go.Figure:
    """One row per method, sorted by seen-AUC (best on top), one marker per metric; with ``original`` the
    original's published AUC (all pairs) as a cross wherever this run read the file it was published for."""
    frame = with_original(results, original) if original is not None else results.copy()
    metrics = [m for m in OVERVIEW_METRICS if m in frame and frame[m].notna().any()]
    frame = frame[frame[metrics].notna().any(axis=1)] if metrics else frame.iloc[:0]
    frame = frame.sort_values(["auc_seen", "auc_all"], ascending=True, na_position="first")
    labels = frame["method"].astype(str)
    if labels.duplicated().any() and "chapter" in frame:
        labels = labels + " (" + frame["chapter"].astype(str) + ")"
    fig = go.Figure()
    for i, metric in enumerate(metrics):
        fig.add_trace(go.Scatter(x=frame[metric], y=labels, mode="markers", name=OVERVIEW_METRICS[metric],
                                 marker={"size": 10, "color": _color(i)},
                                 hovertemplate="%{y}: %{x:.3f}<extra>" + OVERVIEW_METRICS[metric] + "</extra>"))
    if "original_auc_all" in frame and frame["original_auc_all"].notna().any():
        fig.add_trace(go.Scatter(x=frame["original_auc_all"], y=labels, mode="markers",
                                 name="original, AUC all pairs (published)",
                                 marker={"size": 11, "symbol": "x-thin", "line": {"width": 2}, "color": "black"}))
    fig.update_layout(title=title, height=140 + 26 * len(frame), margin={"l": 10, "r": 10, "t": 80, "b": 40},
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
                      xaxis={"title": "score (higher is better)", "range": [0, 1.02]}, template="plotly_white")
    fig.update_yaxes(automargin=True)
    return fig


# --- Embeddings: neighbours and maps --------------------------------------------------------------------------


def nearest_neighbours(vectors: np.ndarray, query_ids: Sequence[int] | np.ndarray, k: int = 5,
                       candidates: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, scores)``, both ``(len(query_ids), k)``: each query's k most cosine-similar products, best first.

    The query itself, products with a zero vector and (if given) products where ``candidates`` is False are
    never returned; where fewer than k remain, ids are -1 and scores -inf. The package's one exact top-k,
    :func:`recsys_tutorial.recommend.top_k`, does the work in batches of bounded memory.
    """
    from recsys_tutorial.recommend import Embeddings, top_k

    query_ids = np.asarray(query_ids, dtype=np.int64)
    norms = np.linalg.norm(vectors[query_ids], axis=1)
    if (norms == 0).any():
        raise ValueError(f"queries {query_ids[norms == 0].tolist()} have no embedding (zero vector)")
    emb = Embeddings.from_vectors(vectors, pd.RangeIndex(len(vectors)), "plot")
    return top_k(emb, query_ids, k, candidates=candidates)


def similar_products(query_ids: Sequence[int] | np.ndarray, vectors: np.ndarray,
                     titles: pd.Series | Sequence[str] | np.ndarray, k: int = 5, candidates: np.ndarray | None = None,
                     title: str | None = None) -> go.Figure:
    """Table of each query product's title and its k nearest products by cosine, with titles and scores.

    ``titles`` is aligned with node ids (see the module docstring); ``candidates`` restricts the neighbours,
    e.g. to products with a trained vector. Neighbours come from :func:`nearest_neighbours`.
    """
    query_ids = np.asarray(query_ids, dtype=np.int64)
    ids, scores = nearest_neighbours(vectors, query_ids, k, candidates)
    query_titles = _lookup(titles, query_ids)
    product, rank, neighbour, cosine, fill = [], [], [], [], []
    for q, (row_ids, row_scores) in enumerate(zip(ids, scores, strict=True)):
        found = row_ids >= 0
        names = _lookup(titles, row_ids[found]) if found.any() else []
        for r, (name, score) in enumerate(zip(names, row_scores[found], strict=True)):
            product.append(f"{_text(query_titles[q], '(no title)')} [{query_ids[q]}]" if r == 0 else "")
            rank.append(str(r + 1))
            neighbour.append(f"{_text(name, '(no title)')} [{row_ids[found][r]}]")
            cosine.append(f"{score:.3f}")
            fill.append("white" if q % 2 == 0 else "#f6f6f6")
    columns = {"product [id]": (product, 6, "left"), "rank": (rank, 0.6, "right"),
               "most similar products [id]": (neighbour, 6, "left"), "cosine": (cosine, 1, "right")}
    return _table(columns, [fill] * 4, title or f"Nearest products by cosine similarity (top {k})")


def embedding_map(vectors: np.ndarray, labels: pd.Series | Sequence | np.ndarray, sample: int = 3000, seed: int = 0,
                  method: str = "pca", top: int = 8, hover: pd.Series | Sequence | np.ndarray | None = None,
                  candidates: np.ndarray | None = None, title: str | None = None) -> go.Figure:
    """2-D map of a seeded sample of products, coloured by ``labels`` (the ``top`` most frequent, rest "other").

    Vectors are L2-normalised first (similarity is cosine), then projected with PCA (``method="pca"``, fast)
    or t-SNE (``"tsne"``, slower, better at local clusters). Products with a zero vector, or where
    ``candidates`` is False, are not sampled. ``hover`` (e.g. titles) is shown on mouse-over. Uses
    ``go.Scatter`` (SVG), not WebGL, so it renders in any browser, headless ones included.
    """
    if method not in ("pca", "tsne"):
        raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")
    norms = np.linalg.norm(vectors, axis=1)
    pool = np.flatnonzero((norms > 0) & (True if candidates is None else np.asarray(candidates, dtype=bool)))
    rng = np.random.default_rng(seed)
    ids = np.sort(rng.choice(pool, size=min(sample, len(pool)), replace=False))
    points = vectors[ids].astype(np.float64) / norms[ids, None]
    if method == "pca":
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, random_state=seed)
        xy = pca.fit_transform(points)
        share = pca.explained_variance_ratio_
        axes = [f"PC {i + 1} ({share[i]:.0%} of variance)" for i in range(2)]
    else:
        from sklearn.manifold import TSNE

        xy = TSNE(n_components=2, init="pca", random_state=seed, perplexity=min(30.0, (len(ids) - 1) / 3)
                  ).fit_transform(points)
        axes = ["t-SNE 1", "t-SNE 2"]
    category = pd.Series([_text(v, "other") for v in _lookup(labels, ids)])
    ranked = [c for c in category.value_counts().index if c != "other"][:top]
    category = category.where(category.isin(ranked), "other")
    text = np.array([_text(v, "(no title)") for v in _lookup(hover, ids)] if hover is not None
                    else [f"product {i}" for i in ids], dtype=object)
    fig = go.Figure()
    for i, name in enumerate([*ranked, "other"]):
        mask = (category == name).to_numpy()
        if not mask.any():
            continue
        fig.add_trace(go.Scatter(x=_f32(xy[mask, 0]), y=_f32(xy[mask, 1]), mode="markers", name=name, text=text[mask],
                                 customdata=ids[mask], marker={"size": 5, "opacity": 0.7,
                                                               "color": OTHER_COLOR if name == "other" else _color(i)},
                                 hovertemplate="%{text}<br>id %{customdata}<extra>" + name + "</extra>"))
    projection = "PCA" if method == "pca" else "t-SNE"
    fig.update_layout(template=TEMPLATE, height=560,
                      title=title or f"{len(ids):,} products, {projection} of the embeddings",
                      xaxis={"title": axes[0], "zeroline": False}, yaxis={"title": axes[1], "zeroline": False})
    return fig
