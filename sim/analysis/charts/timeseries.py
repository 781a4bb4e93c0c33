"""Charts over time: fans of the series and survival curves of timing. Pure, no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sim.analysis.charts.style import OKABE_ITO, figure, short_name

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
_VALUE_AXES = {"strength": ("personnel", ",.0f"), "territory": ("share of strategic value", ".0%")}


def series_quantiles(series_df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Per day and column, the 5/25/50/75/95% quantiles over replications.

    Returns:
        A frame indexed by day with a column MultiIndex (column, quantile).
    """
    q = series_df.groupby("day")[list(columns)].quantile(list(QUANTILES))
    return q.unstack(level=-1).sort_index()


def fan_chart(
    series_df: pd.DataFrame,
    value_name: str,
    actors: Sequence[str] | Mapping[str, str],
    colors: Mapping[str, str] | None = None,
) -> go.Figure:
    """Per actor: median line with 50% and 90% bands over days, from a series table
    (columns rep, day, one per actor id). See `fan_from_quantiles`."""
    ids = [a for a in actors if a in series_df.columns and series_df[a].abs().max() > 0]
    q = series_quantiles(series_df, ids) if ids else pd.DataFrame()
    return fan_from_quantiles(q, value_name, actors, colors)


def fan_from_quantiles(
    q: pd.DataFrame,
    value_name: str,
    actors: Sequence[str] | Mapping[str, str],
    colors: Mapping[str, str] | None = None,
    title: str | None = None,
) -> go.Figure:
    """Per actor: median line with 50% and 90% bands (filled polygons) over days.

    Args:
        q: quantiles by day (index) and (column, quantile) columns, as `series_quantiles`
            or `sim.analysis.collect` gives them.
        value_name: "strength", "territory" or any other name (used for the axis).
        actors: actor ids to draw, or a mapping id -> display name (shortened for the legend);
            actors at zero throughout are left out.
        colors: id -> CSS colour (palette when missing).
        title: figure title (default: from value_name).
    """
    names = ({a: short_name(n) for a, n in actors.items()} if isinstance(actors, Mapping)
             else {a: a for a in actors})
    present = set(q.columns.get_level_values(0)) if len(q.columns) else set()
    # An actor at zero in every run and day (e.g. no territory at all) would only add a flat
    # line and a legend entry; leave it out.
    ids = [a for a in names if a in present and float(q[(a, 0.95)].abs().max()) > 0]
    colors = colors or {}
    axis_title, fmt = _VALUE_AXES.get(value_name, (value_name, ",.3~r"))
    fig = figure(title or f"{value_name.capitalize()} over time: median, 50% and 90% of runs",
                 height=520, hovermode="x unified")
    if not ids:
        return fig
    days = q.index.to_numpy()
    for i, aid in enumerate(ids):
        color = colors.get(aid) or OKABE_ITO[i % len(OKABE_ITO)]
        _fan(fig, days, q, aid, names[aid], color, fmt)
    fig.update_xaxes(title="day")
    fig.update_yaxes(title=axis_title, tickformat=fmt, rangemode="tozero")
    if value_name == "strength":  # forces differ by orders of magnitude: offer a log axis
        fig.update_layout(updatemenus=[dict(
            type="buttons", direction="right", x=1, xanchor="right", y=1.02, yanchor="bottom",
            showactive=True, buttons=[
                dict(label="linear", method="relayout", args=[{"yaxis.type": "linear"}]),
                dict(label="log", method="relayout", args=[{"yaxis.type": "log"}])])])
    return fig


def _fan(fig: go.Figure, days: np.ndarray, q: pd.DataFrame, aid: str, name: str, color: str,
         fmt: str) -> None:
    for lo, hi, opacity, band in ((0.05, 0.95, 0.15, "90%"), (0.25, 0.75, 0.3, "50%")):
        fig.add_scatter(
            x=np.concatenate([days, days[::-1]]),
            y=np.concatenate([q[(aid, hi)].to_numpy(), q[(aid, lo)].to_numpy()[::-1]]),
            fill="toself", fillcolor=color, opacity=opacity, line=dict(width=0),
            mode="lines", hoverinfo="skip", legendgroup=aid, showlegend=False,
            name=f"{name} {band}", meta=dict(actor=aid, band=band),
        )
    fig.add_scatter(
        x=days, y=q[(aid, 0.5)].to_numpy(), mode="lines", line=dict(color=color, width=3),
        name=name, legendgroup=aid, meta=dict(actor=aid, band="median"),
        customdata=np.column_stack([q[(aid, 0.05)], q[(aid, 0.95)]]),
        hovertemplate=f"%{{y:{fmt}}} (90%: %{{customdata[0]:{fmt}}} to "
        f"%{{customdata[1]:{fmt}}})",
    )


def survival_chart(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], title: str,
                   y_title: str = "share of runs in which it has not happened") -> go.Figure:
    """Step curves S(day): the share of runs in which the event has not happened by each day.

    Runs in which it never happens within the horizon are censored there: the curve ends
    at the horizon at the share of those runs (it does not drop to 0).

    Args:
        curves: name -> (days, survival share at each day), days ascending.
    """
    fig = figure(title, height=max(420, 200 + 22 * len(curves)), hovermode="closest",
                 legend=dict(title="", x=1.02, xanchor="left", y=1))
    for i, (name, (days, share)) in enumerate(curves.items()):
        fig.add_scatter(x=days, y=share, mode="lines", line=dict(shape="hv", width=2.5,
                        color=OKABE_ITO[i % len(OKABE_ITO)],
                        dash=("solid", "dash", "dot", "dashdot")[(i // 8) % 4]),
                        name=name, meta=dict(curve=name),
                        hovertemplate=f"{name}: %{{y:.1%}} on day %{{x}}<extra></extra>")
    fig.update_xaxes(title="day")
    fig.update_yaxes(title=y_title, tickformat=".0%", range=[0, 1.02])
    return fig
