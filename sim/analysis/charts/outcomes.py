"""Outcome charts: probabilities with intervals, quantity ranges. Pure, no I/O."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.analysis.charts.style import OKABE_ITO, TEMPLATE, figure, label
from sim.analysis.formatting import pct


def _is_timing(summary: pd.DataFrame) -> pd.Series:
    col = summary["timing"] if "timing" in summary else pd.Series(False, index=summary.index)
    return col.fillna(False).astype(bool)


def probability_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """Rows read as a probability: binary outcomes, and timing outcomes (happened by the
    horizon)."""
    return summary[summary["binary"].astype(bool) | _is_timing(summary)]


def quantity_rows(summary: pd.DataFrame) -> pd.DataFrame:
    return summary[~summary["binary"].astype(bool) & ~_is_timing(summary)]


def outcome_bars(summary: pd.DataFrame) -> go.Figure:
    """Probability of each binary (or timing) outcome with its 95% Wilson interval.

    Args:
        summary: the summary table (`sim.analysis.stats.summarise`).
    """
    rows = probability_rows(summary)
    labels = [label(r) + (" (by the horizon)" if bool(r.get("timing")) else "")
              for _, r in rows.iterrows()]
    p, lo, hi = (rows[c].to_numpy(float) for c in ("p", "p_lo", "p_hi"))
    fig = figure("Probability of each outcome (95% interval)", showlegend=False,
                 height=max(260, 90 + 56 * len(rows)))
    fig.add_bar(
        name="probability", orientation="h", y=labels, x=p,
        error_x=dict(type="data", symmetric=False, array=hi - p, arrayminus=p - lo,
                     color="#222222", thickness=2, width=8),
        marker_color=OKABE_ITO[0],
        customdata=np.column_stack([[pct(v) for v in p], [pct(v) for v in lo],
                                    [pct(v) for v in hi], rows["n"]]),
        hovertemplate="%{y}: %{customdata[0]} (95%: %{customdata[1]} to %{customdata[2]}, "
        "n=%{customdata[3]:,})<extra></extra>",
    )
    # The value is written just past the whisker, where no bar or error line can cover it;
    # "<0.5%" rather than a "0%" that did happen in some runs.
    fig.add_scatter(name="values", x=hi, y=labels, mode="text", text=[pct(v, 0) for v in p],
                    textposition="middle right", textfont=dict(size=16), hoverinfo="skip",
                    showlegend=False, cliponaxis=False)
    fig.update_xaxes(range=[0, 1.08], tickformat=".0%", title="probability",
                     tickvals=[0, 0.25, 0.5, 0.75, 1])
    fig.update_yaxes(autorange="reversed")
    return fig


def quantity_ranges(summary: pd.DataFrame) -> go.Figure:
    """Median of each quantity outcome with 5-95% whiskers; one row per quantity (own scale)."""
    rows = quantity_rows(summary).reset_index(drop=True)
    n = max(len(rows), 1)
    height = 130 + 130 * n
    # Each row gets ~70 px of gap for its tick labels and the next row's title.
    spacing = min(70 / (height - 120), 1 / n)
    fig = make_subplots(rows=n, cols=1, subplot_titles=[label(r) for _, r in rows.iterrows()],
                        vertical_spacing=spacing)
    fig.update_layout(template=TEMPLATE, title="Quantities: median and 5-95% range",
                      height=height, showlegend=False)
    fig.update_yaxes(showticklabels=False, ticks="", showgrid=False)
    fig.update_xaxes(tickformat=",~r")
    for i, r in rows.iterrows():
        q05, q50, q95 = float(r["q05"]), float(r["q50"]), float(r["q95"])
        fig.add_scatter(
            row=int(i) + 1, col=1, name=label(r), x=[q50], y=[""], mode="markers",
            marker=dict(size=16, color=OKABE_ITO[0]),
            error_x=dict(type="data", symmetric=False, array=[q95 - q50],
                         arrayminus=[q50 - q05], thickness=3, width=10, color="#222222"),
            customdata=[[q05, q95, float(r["mean"])]],
            hovertemplate="median %{x:,.3~r} (5%: %{customdata[0]:,.3~r}, 95%: "
            "%{customdata[1]:,.3~r}, mean %{customdata[2]:,.3~r})<extra></extra>",
        )
    return fig
