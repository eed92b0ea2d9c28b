"""Plots: plotly figures for the book. Each function takes package outputs and returns a Figure.

Figures use the ``plotly_white`` template so they read well inside the book's light and dark themes.
No renderer is set here: the book build sets ``PLOTLY_RENDERER`` and Colab/Jupyter use their own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

__all__ = ["degree_distribution", "edge_weight_distribution", "learning_curves"]

TEMPLATE = "plotly_white"


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


def learning_curves(curves: dict[str, pd.DataFrame], title: str = "Learning curves") -> go.Figure:
    """Validation-sample AUC against batches, one line per model, with a dotted line at each epoch end."""
    fig = go.Figure()
    for name, curve in curves.items():
        fig.add_trace(go.Scatter(x=curve["batch"], y=curve["auc"], mode="lines+markers", name=name,
                                 hovertemplate="batch %{x:,}: AUC %{y:.3f}<extra>" + name + "</extra>"))
    first = next(iter(curves.values()), None)
    if first is not None and "epoch_end" in first:
        for batch in first.loc[first["epoch_end"], "batch"]:
            fig.add_vline(x=float(batch), line_dash="dot", line_color="grey", opacity=0.5)
    fig.update_layout(template=TEMPLATE, title=title, xaxis={"title": "batches"},
                      yaxis={"title": "ROC-AUC on the validation sample"}, height=420)
    return fig
