"""Charts of analyses: variants against a baseline, sensitivity (tornado, ranking) and the
drivers of an outcome. Pure, no I/O."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.analysis.charts.style import OKABE_ITO, TEMPLATE, figure, label
from sim.analysis.formatting import num, pct


def variant_comparison(summaries: Mapping[str, pd.DataFrame],
                       diffs: pd.DataFrame) -> tuple[go.Figure, go.Figure]:
    """Binary outcomes per variant (grouped bars with intervals) and differences to baseline.

    Only binary outcomes are drawn: their differences share one scale (percentage points),
    whereas quantities (head counts, shares) do not; the report tabulates those.

    Args:
        summaries: variant name -> summary table; the first is the baseline.
        diffs: columns outcome, variant, diff, lo, hi (difference to the baseline, 95%);
            rows of non-binary outcomes are skipped.

    Returns:
        (probabilities figure, differences figure).
    """
    labels: dict[str, str] = {}
    binary: set[str] = set()
    for s in summaries.values():
        for _, r in s.iterrows():
            labels.setdefault(str(r["outcome"]), label(r))
            if bool(r["binary"]):
                binary.add(str(r["outcome"]))
    n_out = len(binary)
    probs = figure("Probability of each outcome by variant (95% interval)", barmode="group",
                    height=max(320, 120 + 30 * n_out * len(summaries)))
    for i, (variant, s) in enumerate(summaries.items()):
        rows = s[s["binary"].astype(bool)]
        p = rows["p"].to_numpy(float)
        probs.add_bar(name=variant, orientation="h", y=[labels[o] for o in rows["outcome"]],
                      x=p, marker_color=OKABE_ITO[i % len(OKABE_ITO)],
                      error_x=dict(type="data", symmetric=False, array=rows["p_hi"] - p,
                                   arrayminus=p - rows["p_lo"], color="#222222"))
    probs.update_xaxes(range=[0, 1], tickformat=".0%", title="probability")
    probs.update_yaxes(autorange="reversed")
    d_bin = diffs[diffs["outcome"].astype(str).isin(binary)]
    n_var = max(d_bin["variant"].nunique(), 1)
    diff = figure("Change in probability against the baseline (95% interval)",
                   barmode="group", height=max(320, 120 + 30 * n_out * n_var))
    for i, (variant, d) in enumerate(d_bin.groupby("variant", sort=False)):
        v = d["diff"].to_numpy(float)
        diff.add_bar(name=str(variant), orientation="h", y=[labels[o] for o in d["outcome"]],
                     x=v, marker_color=OKABE_ITO[(i + 1) % len(OKABE_ITO)],
                     error_x=dict(type="data", symmetric=False, array=d["hi"] - v,
                                  arrayminus=v - d["lo"], color="#222222"))
    diff.update_xaxes(title="difference to baseline (percentage points)", tickformat="+.0%",
                      zeroline=True, zerolinewidth=2, zerolinecolor="#222222")
    diff.update_yaxes(autorange="reversed")
    return probs, diff


def tornado(oat_df: pd.DataFrame, top: int = 12) -> go.Figure:
    """One-at-a-time effects: per outcome, each fact's low/high effect, largest swing on top.

    Args:
        oat_df: columns outcome, fact, label, low_value, high_value, out_low, out_high,
            baseline (the outcome with every fact at its best estimate).
        top: keep the `top` facts with the largest swing per outcome.
    """
    outcomes = list(dict.fromkeys(oat_df["outcome"]))
    n = max(len(outcomes), 1)
    fig = make_subplots(rows=n, cols=1, subplot_titles=[str(o) for o in outcomes],
                        vertical_spacing=min(0.3 / n, 0.08))
    fig.update_layout(template=TEMPLATE, title="One-at-a-time sensitivity (largest swing on top)",
                      barmode="overlay", height=120 + n * (60 + 34 * min(top, len(oat_df))))
    for i, o in enumerate(outcomes):
        d = oat_df[oat_df["outcome"] == o].copy()
        d["swing"] = (d["out_high"] - d["out_low"]).abs()
        d = d.sort_values("swing", ascending=False, kind="stable").head(top)
        base = float(d["baseline"].iloc[0])
        ys = [str(lab or f) for lab, f in zip(d["label"], d["fact"], strict=True)]
        # The high bar is narrower: when both ends move the outcome the same way, the
        # shorter bar stays visible instead of hiding behind the longer one.
        for end, val, color, name, width in (
                ("out_low", "low_value", OKABE_ITO[0], "fact at low", 0.8),
                ("out_high", "high_value", OKABE_ITO[1], "fact at high", 0.45)):
            fig.add_bar(row=i + 1, col=1, orientation="h", y=ys, x=d[end] - base, base=base,
                        name=name, marker_color=color, legendgroup=name, showlegend=i == 0,
                        width=width,
                        customdata=np.column_stack([d[val], d[end]]),
                        hovertemplate="%{y}: fact %{customdata[0]:,.4~g} -> outcome "
                        "%{customdata[1]:,.4~g}<extra></extra>")
        fig.update_yaxes(row=i + 1, col=1, autorange="reversed")
        fig.add_vline(x=base, row=i + 1, col=1, line=dict(color="#222222", width=1.5))
    return fig


def sensitivity_ranking(indices_df: pd.DataFrame, top: int = 15) -> go.Figure:
    """Per outcome, facts ranked by their sensitivity index with its confidence half-width.

    Args:
        indices_df: columns outcome, fact, index, index_conf, method (e.g. "sobol ST").
        top: keep the `top` facts with the largest index per outcome.
    """
    outcomes = list(dict.fromkeys(indices_df["outcome"]))
    n = max(len(outcomes), 1)
    methods = ", ".join(sorted(set(map(str, indices_df["method"])))) or "?"
    fig = make_subplots(rows=n, cols=1, subplot_titles=[str(o) for o in outcomes],
                        vertical_spacing=min(0.3 / n, 0.08))
    fig.update_layout(template=TEMPLATE, title=f"Which facts matter most ({methods})",
                      showlegend=False, height=120 + n * (60 + 30 * min(top, len(indices_df))))
    for i, o in enumerate(outcomes):
        d = indices_df[indices_df["outcome"] == o].sort_values("index", ascending=False,
                                                               kind="stable").head(top)
        fig.add_bar(row=i + 1, col=1, orientation="h", y=d["fact"].astype(str), x=d["index"],
                    marker_color=OKABE_ITO[0], name=str(o),
                    error_x=dict(type="data", array=d["index_conf"], color="#222222"))
        fig.update_yaxes(row=i + 1, col=1, autorange="reversed")
    return fig


def drivers_chart(drivers: pd.DataFrame, title: str, binary: bool) -> go.Figure:
    """One outcome's drivers: the outcome where each fact is in the lowest fifth of its range
    (or the event did not fire) and in the highest fifth (or it fired), joined by a line;
    a hollow marker where the difference is indistinguishable from noise.

    Args:
        drivers: rows of sim.analysis.drivers.drivers for one outcome (columns name, low,
            high, diff, lo, hi, noise, kind), largest effect first.
    """
    d = drivers.reset_index(drop=True)
    fmt = pct if binary else num
    fig = figure(title, height=max(260, 110 + 38 * len(d)), showlegend=True,
                 legend=dict(orientation="h", x=0, y=-0.12, yanchor="top"),
                 margin=dict(l=20, r=30, t=70, b=80))
    ys = [str(n) for n in d["name"]]
    for _, r in d.iterrows():
        fig.add_scatter(x=[r["low"], r["high"]], y=[str(r["name"])] * 2, mode="lines",
                        line=dict(color="#BBBBBB", width=6), hoverinfo="skip",
                        showlegend=False)
    noise = d["noise"].astype(bool).to_numpy()
    for end, color, name in (("low", OKABE_ITO[0], "fact low / event not fired"),
                             ("high", OKABE_ITO[1], "fact high / event fired")):
        fig.add_scatter(
            x=d[end], y=ys, mode="markers", name=name, meta=dict(end=end),
            marker=dict(size=14, color=[("white" if z else color) for z in noise],
                        line=dict(color=color, width=2.5)),
            customdata=np.column_stack([[fmt(v) for v in d[end]], d["range_text"]]),
            hovertemplate="%{y}: %{customdata[0]} (%{customdata[1]})<extra></extra>")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title="probability" if binary else "outcome (mean)",
                     tickformat=".1~%" if binary else ",~r")
    return fig


def variant_fans(quantiles: Mapping[str, pd.DataFrame], column: str, title: str,
                 axis_title: str, fmt: str = ",.0f") -> go.Figure:
    """One series column (e.g. an actor's strength) over time in each variant: median line
    and 50% band per variant (the first is the baseline)."""
    fig = figure(title, height=460, hovermode="x unified")
    for i, (variant, q) in enumerate(quantiles.items()):
        if (column, 0.5) not in q:
            continue
        color = OKABE_ITO[i % len(OKABE_ITO)]
        days = q.index.to_numpy()
        fig.add_scatter(x=np.concatenate([days, days[::-1]]),
                        y=np.concatenate([q[(column, 0.75)].to_numpy(),
                                          q[(column, 0.25)].to_numpy()[::-1]]),
                        fill="toself", fillcolor=color, opacity=0.2, line=dict(width=0),
                        hoverinfo="skip", showlegend=False, legendgroup=variant,
                        name=f"{variant} 50%")
        fig.add_scatter(x=days, y=q[(column, 0.5)].to_numpy(), mode="lines", name=variant,
                        legendgroup=variant, line=dict(color=color, width=3),
                        hovertemplate=f"%{{y:{fmt}}}")
    fig.update_xaxes(title="day")
    fig.update_yaxes(title=axis_title, tickformat=fmt, rangemode="tozero")
    return fig
