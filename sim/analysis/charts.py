"""Charts: pure functions from result tables (and the scenario) to plotly figures. No I/O.

Every figure uses :data:`TEMPLATE` (white background, 16 px text, a colour-blind-safe
palette) so it reads on a projector and prints on paper. The map draws regions on plain
lon/lat axes, never a geo base map: plotly.js fetches geo outlines from a CDN at view time,
and the report must open offline.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.scenario.schema import Scenario, Stance

# Okabe & Ito (2008), "Color Universal Design": distinguishable under the common colour
# vision deficiencies, and dark enough on white for a projector (yellow is kept last).
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
             "#F0E442")
NONE_COLOR = "#BBBBBB"
"""Colour of 'no controller' and of neutral elements."""

TEMPLATE = go.layout.Template(
    layout=dict(
        font=dict(family="Helvetica, Arial, 'Liberation Sans', sans-serif", size=16,
                  color="#222222"),
        title=dict(font=dict(size=20), x=0, xanchor="left"),
        paper_bgcolor="white",
        plot_bgcolor="white",
        colorway=list(OKABE_ITO),
        xaxis=dict(gridcolor="#E5E5E5", linecolor="#444444", zerolinecolor="#999999",
                   ticks="outside", automargin=True),
        yaxis=dict(gridcolor="#E5E5E5", linecolor="#444444", zerolinecolor="#999999",
                   ticks="outside", automargin=True),
        legend=dict(bgcolor="rgba(255,255,255,0.8)"),
        hoverlabel=dict(font=dict(size=15)),
        margin=dict(l=40, r=30, t=70, b=50),
    )
)

STANCE_STYLE: dict[Stance, dict[str, object]] = {
    Stance.alliance: dict(color="#009E73", width=5, dash="solid"),
    Stance.cooperation: dict(color="#009E73", width=2.5, dash="dash"),
    Stance.neutrality: dict(color="#999999", width=2, dash="dot"),
    Stance.rivalry: dict(color="#E69F00", width=2.5, dash="dash"),
    Stance.war: dict(color="#D62728", width=4, dash="solid"),
}

SUPPORT_UNITS = {"troops": "", "air_strikes": " sorties/day", "intelligence": "",
                 "money": " M USD/day"}

_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
_MAX_SLIDER_STEPS = 60  # more steps add size to the page without showing anything new


def _figure(title: str, **layout: object) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(template=TEMPLATE, title=title, **layout)
    return fig


def actor_colors(scenario: Scenario) -> dict[str, str]:
    """Each actor's chart colour: its own when the scenario sets one, else the palette's."""
    out: dict[str, str] = {}
    for i, (aid, actor) in enumerate(scenario.actors.items()):
        given = "color" in actor.model_fields_set
        out[aid] = actor.color if given else OKABE_ITO[i % len(OKABE_ITO)]
    return out


_ABBREVIATION = re.compile(r"^[A-Z0-9][A-Z0-9&/-]{1,7}$")


def short_name(name: str, limit: int = 28) -> str:
    """A display name short enough for a legend or a map label.

    "Islamic State of Iraq and al-Sham (ISIS), with ..." gives "ISIS" (an abbreviation in
    brackets wins); "Iraqi government forces (army and police)" gives "Iraqi government
    forces"; anything still longer than `limit` is cut with an ellipsis.
    """
    m = re.search(r"\(([^)]*)\)", name)
    if m and _ABBREVIATION.match(m.group(1).strip()):
        return m.group(1).strip()
    base = re.sub(r"\s*\([^)]*\)?", "", name).split(",")[0].strip() or name
    return base if len(base) <= limit else base[: limit - 1].rstrip() + "…"


def _label(row: pd.Series) -> str:
    label = row.get("label")
    return str(label) if isinstance(label, str) and label else str(row["outcome"])


# --------------------------------------------------------------------------------------------
# Outcomes
# --------------------------------------------------------------------------------------------


def outcome_bars(summary: pd.DataFrame) -> go.Figure:
    """Probability of each binary outcome with its 95% Wilson interval (horizontal bars).

    Args:
        summary: the summary table (`sim.analysis.stats.summarise`); only rows with `binary` true.
    """
    rows = summary[summary["binary"].astype(bool)]
    labels = [_label(r) for _, r in rows.iterrows()]
    p, lo, hi = (rows[c].to_numpy(float) for c in ("p", "p_lo", "p_hi"))
    fig = _figure("Probability of each outcome (95% interval)", showlegend=False,
                  height=max(260, 90 + 56 * len(rows)))
    fig.add_bar(
        name="probability", orientation="h", y=labels, x=p,
        error_x=dict(type="data", symmetric=False, array=hi - p, arrayminus=p - lo,
                     color="#222222", thickness=2, width=8),
        marker_color=OKABE_ITO[0], customdata=np.column_stack([lo, hi, rows["n"]]),
        hovertemplate="%{y}: %{x:.1%} (95%: %{customdata[0]:.1%} to %{customdata[1]:.1%}, "
        "n=%{customdata[2]:.0f})<extra></extra>",
    )
    # The value is written just past the whisker, where no bar or error line can cover it.
    fig.add_scatter(name="values", x=hi, y=labels, mode="text", text=[f"{v:.0%}" for v in p],
                    textposition="middle right", textfont=dict(size=16), hoverinfo="skip",
                    showlegend=False, cliponaxis=False)
    fig.update_xaxes(range=[0, 1], tickformat=".0%", title="probability")
    fig.update_yaxes(autorange="reversed")
    return fig


def quantity_ranges(summary: pd.DataFrame) -> go.Figure:
    """Median of each quantity outcome with 5-95% whiskers; one row per quantity (own scale)."""
    rows = summary[~summary["binary"].astype(bool)].reset_index(drop=True)
    n = max(len(rows), 1)
    height = 130 + 130 * n
    # Each row gets ~70 px of gap for its tick labels and the next row's title.
    spacing = min(70 / (height - 120), 1 / n)
    fig = make_subplots(rows=n, cols=1, subplot_titles=[_label(r) for _, r in rows.iterrows()],
                        vertical_spacing=spacing)
    fig.update_layout(template=TEMPLATE, title="Quantities: median and 5-95% range",
                      height=height, showlegend=False)
    fig.update_yaxes(showticklabels=False, ticks="", showgrid=False)
    for i, r in rows.iterrows():
        q05, q50, q95 = float(r["q05"]), float(r["q50"]), float(r["q95"])
        fig.add_scatter(
            row=int(i) + 1, col=1, name=_label(r), x=[q50], y=[""], mode="markers",
            marker=dict(size=16, color=OKABE_ITO[0]),
            error_x=dict(type="data", symmetric=False, array=[q95 - q50],
                         arrayminus=[q50 - q05], thickness=3, width=10, color="#222222"),
            customdata=[[q05, q95, float(r["mean"])]],
            hovertemplate="median %{x:,.3~g} (5%: %{customdata[0]:,.3~g}, 95%: "
            "%{customdata[1]:,.3~g}, mean %{customdata[2]:,.3~g})<extra></extra>",
        )
    return fig


# --------------------------------------------------------------------------------------------
# Time series
# --------------------------------------------------------------------------------------------

_VALUE_AXES = {"strength": ("personnel", ",.0f"), "territory": ("share of strategic value", ".0%")}


def series_quantiles(series_df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Per day and column, the 5/25/50/75/95% quantiles over replications.

    Returns:
        A frame indexed by day with a column MultiIndex (column, quantile).
    """
    q = series_df.groupby("day")[list(columns)].quantile(list(_QUANTILES))
    return q.unstack(level=-1).sort_index()


def fan_chart(
    series_df: pd.DataFrame,
    value_name: str,
    actors: Sequence[str] | Mapping[str, str],
    colors: Mapping[str, str] | None = None,
) -> go.Figure:
    """Per actor: median line with 50% and 90% bands over days (filled polygons).

    Args:
        series_df: columns rep, day and one column per actor id.
        value_name: "strength", "territory" or any other name (used for the axis).
        actors: actor ids to draw, or a mapping id -> display name (shortened for the legend);
            actors at zero throughout are left out.
        colors: id -> CSS colour (palette when missing).
    """
    names = ({a: short_name(n) for a, n in actors.items()} if isinstance(actors, Mapping)
             else {a: a for a in actors})
    # An actor at zero in every run and day (e.g. no territory at all) would only add a flat
    # line and a legend entry; leave it out.
    ids = [a for a in names if a in series_df.columns and series_df[a].abs().max() > 0]
    colors = colors or {}
    axis_title, fmt = _VALUE_AXES.get(value_name, (value_name, ",.3~g"))
    fig = _figure(f"{value_name.capitalize()} over time: median, 50% and 90% of runs",
                  height=520, hovermode="x unified")
    if not ids:
        return fig
    q = series_quantiles(series_df, ids)
    days = q.index.to_numpy()
    for i, aid in enumerate(ids):
        color = colors.get(aid) or OKABE_ITO[i % len(OKABE_ITO)]
        for lo, hi, opacity, band in ((0.05, 0.95, 0.15, "90%"), (0.25, 0.75, 0.3, "50%")):
            fig.add_scatter(
                x=np.concatenate([days, days[::-1]]),
                y=np.concatenate([q[(aid, hi)].to_numpy(), q[(aid, lo)].to_numpy()[::-1]]),
                fill="toself", fillcolor=color, opacity=opacity, line=dict(width=0),
                mode="lines", hoverinfo="skip", legendgroup=aid, showlegend=False,
                name=f"{names[aid]} {band}", meta=dict(actor=aid, band=band),
            )
        fig.add_scatter(
            x=days, y=q[(aid, 0.5)].to_numpy(), mode="lines", line=dict(color=color, width=3),
            name=names[aid], legendgroup=aid, meta=dict(actor=aid, band="median"),
            customdata=np.column_stack([q[(aid, 0.05)], q[(aid, 0.95)]]),
            hovertemplate=f"%{{y:{fmt}}} (90%: %{{customdata[0]:{fmt}}} to "
            f"%{{customdata[1]:{fmt}}})",
        )
    fig.update_xaxes(title="day")
    fig.update_yaxes(title=axis_title, tickformat=fmt, rangemode="tozero")
    if value_name == "strength":  # forces differ by orders of magnitude: offer a log axis
        fig.update_layout(updatemenus=[dict(
            type="buttons", direction="right", x=1, xanchor="right", y=1.02, yanchor="bottom",
            showactive=True, buttons=[
                dict(label="linear", method="relayout", args=[{"yaxis.type": "linear"}]),
                dict(label="log", method="relayout", args=[{"yaxis.type": "log"}])])])
    return fig


# --------------------------------------------------------------------------------------------
# Control map
# --------------------------------------------------------------------------------------------


def control_probabilities(control_df: pd.DataFrame, regions: Sequence[str],
                          n_actors: int) -> np.ndarray:
    """Share of replications in which each actor controls each region, per recorded day.

    Returns:
        An array of shape (n_days, n_regions, n_actors), days ascending. What is missing to 1
        in a (day, region) row is the share of runs where nobody controls the region.
    """
    values = control_df[list(regions)].to_numpy()
    day = control_df["day"].to_numpy()
    per_actor = [pd.DataFrame(values == a).groupby(day).mean().sort_index().to_numpy(float)
                 for a in range(n_actors)]
    return np.stack(per_actor, axis=-1)


def _map_state(p: np.ndarray, region_names: list[str], actor_names: list[str],
               colors: list[str]) -> dict[str, list]:
    """Marker colours, sizes, opacities and hover texts for one day's (regions, actors) p."""
    top = p.argmax(axis=1)
    top_p = p.max(axis=1)
    none_p = 1.0 - p.sum(axis=1)
    color = [colors[t] if tp >= n else NONE_COLOR for t, tp, n in zip(top, top_p, none_p,
                                                                       strict=True)]
    shown = np.maximum(top_p, none_p)
    hover = []
    for r, name in enumerate(region_names):
        order = np.argsort(-p[r], kind="stable")
        lines = [f"{actor_names[a]}: {p[r, a]:.0%}" for a in order if p[r, a] > 0]
        lines.append(f"no controller: {max(none_p[r], 0.0):.0%}")
        hover.append(f"<b>{name}</b><br>" + "<br>".join(lines))
    return dict(color=color, size=list(12 + 16 * shown), opacity=list(0.35 + 0.65 * shown),
                hover=hover, customdata=p.round(4).tolist())


def control_map(control_df: pd.DataFrame, scenario: Scenario, day: int | None = None) -> go.Figure:
    """Regions at (lon, lat) coloured by their most likely controller, with a day slider.

    Marker colour is the most likely controller (grey when 'nobody' is likelier), size and
    opacity grow with that probability, and the hover lists every actor's probability
    (`customdata` holds them in scenario actor order). Links are drawn as grey lines.

    Args:
        control_df: columns rep, day and one int8 column per region id (index into scenario
            actor order, -1 for none).
        scenario: gives region positions and names, links, actor names and colours.
        day: the day shown first (nearest recorded day); default the last recorded day.
    """
    region_ids = [r for r in scenario.regions if r in control_df.columns]
    regions = [scenario.regions[r] for r in region_ids]
    actor_ids = list(scenario.actors)
    names = [scenario.actors[a].name for a in actor_ids]
    palette = actor_colors(scenario)
    colors = [palette[a] for a in actor_ids]
    probs = control_probabilities(control_df, region_ids, len(actor_ids))
    days = np.sort(control_df["day"].unique())
    start = len(days) - 1 if day is None else int(np.abs(days - day).argmin())

    mean_lat = float(np.mean([r.lat for r in regions])) if regions else 0.0
    fig = _figure("Who controls each region (share of runs)", height=760, showlegend=True,
                  legend=dict(title="controller", x=1.02, y=1, xanchor="left"))
    fig.add_scatter(x=_link_xy(scenario, "lon"), y=_link_xy(scenario, "lat"), mode="lines",
                    line=dict(color="#AAAAAA", width=1.5), hoverinfo="skip", name="roads",
                    showlegend=False)
    # Legend keys for the actors that hold some region on some day (a short legend leaves
    # the map its width on paper), then 'nobody'.
    held = set(np.unique(control_df[region_ids].to_numpy()).tolist())
    keys = [(short_name(n), c) for i, (n, c) in enumerate(zip(names, colors, strict=True))
            if i in held]
    for name, color in [*keys, ("nobody", NONE_COLOR)]:
        fig.add_scatter(x=[None], y=[None], mode="markers", name=name,  # legend keys only
                        marker=dict(size=14, color=color))
    state = _map_state(probs[start], [r.name for r in regions], names, colors)
    fig.add_scatter(
        x=[r.lon for r in regions], y=[r.lat for r in regions], mode="markers+text",
        name="regions", showlegend=False, text=[short_name(r.name, 20) for r in regions],
        textposition=_label_positions([r.lon for r in regions], [r.lat for r in regions]),
        textfont=dict(size=14), hovertext=state["hover"],
        hoverinfo="text", customdata=state["customdata"], ids=region_ids,
        marker=dict(color=state["color"], size=state["size"], opacity=state["opacity"],
                    line=dict(color="#333333", width=1)),
    )
    fig.update_layout(sliders=[_day_slider(probs, days, start, regions, names, colors,
                                           trace=len(fig.data) - 1)])
    fig.update_xaxes(title="longitude", showgrid=False, zeroline=False)
    # Equal ground distance per pixel on both axes: a degree of longitude is cos(lat) shorter.
    fig.update_yaxes(title="latitude", showgrid=False, zeroline=False, scaleanchor="x",
                     scaleratio=1 / max(math.cos(math.radians(mean_lat)), 0.1))
    return fig


def _label_positions(lon: Sequence[float], lat: Sequence[float]) -> list[str]:
    """Above each marker, unless a neighbour sits just above it: then below, or to the side."""
    x, y = np.asarray(lon, float), np.asarray(lat, float)
    span = max(float(np.ptp(x)) if x.size else 0.0, float(np.ptp(y)) if y.size else 0.0, 1e-9)
    near_x, near_y = 0.12 * span, 0.07 * span  # a label's footprint, relative to the map
    out = []
    for i in range(x.size):
        close = np.abs(x - x[i]) < near_x
        above = bool(np.any(close & (y > y[i]) & (y - y[i] < near_y)))
        below = bool(np.any(close & (y < y[i]) & (y[i] - y < near_y)))
        out.append("top center" if not above else "bottom center" if not below
                   else "middle right")
    return out


def _link_xy(scenario: Scenario, coord: str) -> list[float | None]:
    out: list[float | None] = []
    for link in scenario.links:
        a, b = (scenario.regions[r] for r in link.between)
        out += [getattr(a, coord), getattr(b, coord), None]
    return out


def _day_slider(probs: np.ndarray, days: np.ndarray, start: int, regions: list, names: list[str],
                colors: list[str], trace: int) -> dict:
    # Every k-th recorded day with a round k (days 0, 5, 10... rather than 0, 9, 18, 27, 37),
    # plus the last day and the day shown first.
    need = math.ceil(len(days) / _MAX_SLIDER_STEPS)
    stride = next(k for k in (1, 2, 5, 7, 10, 14, 15, 30, 60, 90, 180, 365, len(days))
                  if k >= need)
    idx = np.unique([*range(0, len(days), stride), len(days) - 1, start])
    steps = []
    for i in idx:
        s = _map_state(probs[i], [r.name for r in regions], names, colors)
        steps.append(dict(
            method="restyle", label=str(int(days[i])),
            args=[{"marker.color": [s["color"]], "marker.size": [s["size"]],
                   "marker.opacity": [s["opacity"]], "hovertext": [s["hover"]],
                   "customdata": [s["customdata"]]}, [trace]],
        ))
    return dict(active=int(np.searchsorted(idx, start)), steps=steps,
                currentvalue=dict(prefix="day "), pad=dict(t=90))


# --------------------------------------------------------------------------------------------
# Relations
# --------------------------------------------------------------------------------------------


def circle_layout(ids: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Nodes evenly on the unit circle, the first at the top, clockwise (deterministic)."""
    n = max(len(ids), 1)
    return {a: (math.sin(2 * math.pi * i / n), math.cos(2 * math.pi * i / n))
            for i, a in enumerate(ids)}


def _amount(kind: str, value: float) -> str:
    if kind == "intelligence":
        return f"+{value:.0%}"
    number = f"{value:,.0f}" if abs(value) >= 10 else f"{value:.2g}"
    return f"{number}{SUPPORT_UNITS.get(kind, '')}"


def relations_network(scenario: Scenario) -> go.Figure:
    """Actors on a circle, one line per relation styled by stance, support as labelled arrows.

    All commitments from one actor to another share one unlabelled arrow; what each actor
    receives is listed in a box beside it (giver, then kind and amount), because labels on the
    arrows pile up where the chords cross. Hover a node for the actor's full name.
    """
    pos = circle_layout(list(scenario.actors))
    colors = actor_colors(scenario)
    fig = _figure("Relations between actors and support commitments",
                  legend=dict(title="stance", orientation="h", x=0.5, xanchor="center", y=0,
                              yanchor="top"))
    shown: set[Stance] = set()
    flows: dict[tuple[str, str], list[str]] = {}
    for rid, rel in scenario.relations.items():
        (x0, y0), (x1, y1) = pos[rel.between[0]], pos[rel.between[1]]
        fig.add_scatter(x=[x0, x1], y=[y0, y1], mode="lines", name=rel.stance.value,
                        line=STANCE_STYLE[rel.stance], legendgroup=rel.stance.value,
                        showlegend=rel.stance not in shown, meta=dict(relation=rid),
                        hoverinfo="skip")
        shown.add(rel.stance)
        for sup in rel.support.values():
            flows.setdefault((sup.from_, sup.to), []).append(
                f"{sup.kind.value.replace('_', ' ')} {_amount(sup.kind.value, sup.amount.value)}")
    names = {a: short_name(x.name) for a, x in scenario.actors.items()}
    inbox: dict[str, list[str]] = {}
    for (giver, receiver), kinds in flows.items():
        fig.add_annotation(**_support_arrow(pos[giver], pos[receiver]), text="",
                           name=f"support:{giver}->{receiver}")
        # One commitment per line keeps the boxes narrow enough to stay inside the figure.
        inbox.setdefault(receiver, []).append(
            f"<i>from {names[giver]}</i>" + "".join(f"<br>  {k}" for k in kinds))
    for receiver, lines in inbox.items():
        fig.add_annotation(**_inbox_at(*pos[receiver]), xref="x", yref="y", showarrow=False,
                           align="left", font=dict(size=13), bgcolor="rgba(255,255,255,0.9)",
                           bordercolor="#999999", borderpad=3, name=f"inbox:{receiver}",
                           text="<br>".join(lines))
    ids = list(scenario.actors)
    fig.add_scatter(
        x=[pos[a][0] for a in ids], y=[pos[a][1] for a in ids], mode="markers+text",
        name="actors", showlegend=False, text=[names[a] for a in ids],
        textposition=[_outward(*pos[a]) for a in ids], textfont=dict(size=16),
        marker=dict(size=34, color=[colors[a] for a in ids], line=dict(color="#222", width=1.5)),
        hovertext=[f"{scenario.actors[a].name} ({scenario.actors[a].kind.value})" for a in ids],
        hoverinfo="text",
    )
    ys = [p[1] for p in pos.values()]
    fig.update_xaxes(visible=False, range=[-1.8, 1.8])
    fig.update_yaxes(visible=False, range=[min(ys) - 0.4, max(ys) + 0.4], scaleanchor="x",
                     scaleratio=1)
    fig.update_layout(height=int(220 + 260 * (max(ys) - min(ys))))
    return fig


def _outward(x: float, y: float) -> str:
    """Text position pointing away from the circle's centre."""
    if abs(x) > 0.3:
        return "middle right" if x > 0 else "middle left"
    return "top center" if y >= 0 else "bottom center"


def _support_arrow(a: tuple[float, float], b: tuple[float, float]) -> dict:
    """The arrow from giver a to receiver b: shortened off both nodes and shifted to the left
    of its direction, so the two directions between a pair never overlap."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy) or 1.0
    off = 0.05
    nx, ny = -dy / length * off, dx / length * off
    return dict(x=a[0] + 0.85 * dx + nx, y=a[1] + 0.85 * dy + ny, ax=a[0] + 0.15 * dx + nx,
                ay=a[1] + 0.15 * dy + ny, xref="x", yref="y", axref="x", ayref="y",
                showarrow=True, arrowhead=3, arrowsize=1.3, arrowwidth=2, arrowcolor="#444444")


def _inbox_at(x: float, y: float) -> dict:
    """Where the list of what an actor receives goes: next to its name, away from the centre."""
    if abs(x) > 0.3:  # beside the name, growing away from the equator (towards free space)
        up = y > 0.3
        return dict(x=x + (0.08 if x > 0 else -0.08), y=y + (0.09 if up else -0.09),
                    xanchor="left" if x > 0 else "right", yanchor="bottom" if up else "top")
    return dict(x=x + 0.1, y=y, xanchor="left", yanchor="middle")


# --------------------------------------------------------------------------------------------
# Variants and sensitivity
# --------------------------------------------------------------------------------------------


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
            labels.setdefault(str(r["outcome"]), _label(r))
            if bool(r["binary"]):
                binary.add(str(r["outcome"]))
    n_out = len(binary)
    probs = _figure("Probability of each outcome by variant (95% interval)", barmode="group",
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
    diff = _figure("Change in probability against the baseline (95% interval)",
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
