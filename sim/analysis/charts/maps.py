"""The control map: who holds each region, day by day, on real coastlines and borders.

Drawn with plotly's geo layers (no mapbox, no tiles): land, coastlines and country borders
from the topology of sim.analysis.geography, which the report embeds in the page, so the
map opens offline. Each region is a marker (its colour the most likely controller, size
and opacity that probability, the hover every actor's share of runs) and, when the
geography has them, a shape (its Voronoi cell on land) filled the same way; a slider moves
through the recorded days. Pure, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sim.analysis.charts.style import NONE_COLOR, actor_colors, figure, short_name
from sim.analysis.formatting import pct

MAX_SLIDER_STEPS = 60  # more steps add size to the page without showing anything new
LAND, WATER, BORDER, COAST = "#F2EFE9", "#DCE8F2", "#8A8A8A", "#5F6B75"


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


def probabilities_from_counts(counts: np.ndarray) -> np.ndarray:
    """(days, regions, 1 + actors) run counts (index 0: nobody) -> (days, regions, actors)."""
    total = counts.sum(axis=2, keepdims=True)
    return counts[:, :, 1:] / np.maximum(total, 1)


def control_map(control_df: pd.DataFrame, scenario: Any, day: int | None = None,
                geography: Any = None) -> go.Figure:
    """The control map from a control series table (columns rep, day, one int8 column per
    region id: index into the scenario's actor order, -1 for none). See `control_map_of`."""
    region_ids = [r for r in scenario.regions if r in control_df.columns]
    probs = control_probabilities(control_df, region_ids, len(scenario.actors))
    days = np.sort(control_df["day"].unique())
    return control_map_of(days, probs, region_ids, scenario, day=day, geography=geography)


def control_map_of(days: np.ndarray, probs: np.ndarray, region_ids: Sequence[str],
                   scenario: Any, colors: Mapping[str, str] | None = None,
                   day: int | None = None, geography: Any = None) -> go.Figure:
    """Regions coloured by their most likely controller on a geo map, with a day slider.

    Args:
        days: recorded days, ascending; probs: (days, regions, actors) shares of runs.
        region_ids: the regions of probs' second axis.
        scenario: gives positions, names, links and actors.
        colors: actor id -> colour (default: the safe palette).
        day: the day shown first (nearest recorded day); default the last recorded day.
        geography: a sim.analysis.geography.Geography (coastlines, borders, region shapes);
            without one the geo layers stay off and only markers and roads are drawn.
    """
    regions = [scenario.regions[r] for r in region_ids]
    actor_ids = list(scenario.actors)
    names = [scenario.actors[a].name for a in actor_ids]
    palette = dict(colors or actor_colors(scenario))
    ctx = _Context(names, [palette[a] for a in actor_ids], [r.name for r in regions])
    start = len(days) - 1 if day is None else int(np.abs(days - day).argmin())
    fig = figure("Who controls each region (share of runs)", height=720, showlegend=True,
                 legend=dict(title="controller", x=1.0, y=1, xanchor="left"),
                 margin=dict(l=10, r=10, t=70, b=10))
    shapes = _add_shapes(fig, geography, region_ids, probs[start], ctx)
    fig.add_scattergeo(lon=_link(scenario, "lon"), lat=_link(scenario, "lat"), mode="lines",
                       line=dict(color="#777777", width=1.2), hoverinfo="skip", name="roads",
                       showlegend=False)
    held = {int(a) for a in np.nonzero(probs.max(axis=(0, 1)) > 0)[0]}
    for name, color in [*[(short_name(n), c) for i, (n, c) in
                          enumerate(zip(ctx.names, ctx.colors, strict=True)) if i in held],
                        ("nobody", NONE_COLOR)]:
        fig.add_scattergeo(lon=[None], lat=[None], mode="markers", name=name,  # legend keys
                           marker=dict(size=14, color=color))
    state = _state(probs[start], ctx)
    lon, lat = [r.lon for r in regions], [r.lat for r in regions]
    fig.add_scattergeo(
        lon=lon, lat=lat, mode="markers+text", name="regions", showlegend=False,
        text=[short_name(r.name, 20) for r in regions], textposition=_label_positions(lon, lat),
        textfont=dict(size=13), hovertext=state["hover"], hoverinfo="text",
        customdata=state["customdata"], ids=list(region_ids),
        marker=dict(color=state["color"], size=state["size"], opacity=state["opacity"],
                    line=dict(color="#333333", width=1)))
    fig.update_layout(geo=_geo_layout(geography, lon, lat), sliders=[_day_slider(
        probs, days, start, ctx, markers=len(fig.data) - 1, shapes=shapes)])
    return fig


class _Context:
    def __init__(self, names: list[str], colors: list[str], region_names: list[str]):
        self.names, self.colors, self.region_names = names, colors, region_names


def _geo_layout(geography: Any, lon: list[float], lat: list[float]) -> dict[str, Any]:
    if geography is not None:
        lon_range, lat_range = list(geography.lon_range), list(geography.lat_range)
    else:
        pad = max(np.ptp(lon) if lon else 1.0, np.ptp(lat) if lat else 1.0) * 0.2 + 0.5
        lon_range = [min(lon) - pad, max(lon) + pad] if lon else [-180, 180]
        lat_range = [min(lat) - pad, max(lat) + pad] if lat else [-60, 80]
    layers = geography is not None
    return dict(scope="world", resolution=50, projection=dict(type="mercator"),
                lonaxis=dict(range=lon_range), lataxis=dict(range=lat_range),
                showland=layers, landcolor=LAND, showcountries=layers, countrycolor=BORDER,
                countrywidth=1.2, showcoastlines=layers, coastlinecolor=COAST,
                coastlinewidth=1.2, showocean=False, showlakes=False, showrivers=False,
                showframe=True, framecolor="#999999", bgcolor=WATER if layers else "white")


def _add_shapes(fig: go.Figure, geography: Any, region_ids: Sequence[str], p: np.ndarray,
                ctx: _Context) -> int | None:
    """The region shapes as a choropleth (trace index), or None without shapes."""
    if geography is None or not geography.regions.get("features"):
        return None
    n = len(ctx.colors)
    scale = []  # z = controller index + 1 (0: nobody): one flat colour per integer
    for i, color in enumerate([NONE_COLOR, *ctx.colors]):
        scale += [[i / (n + 1), color], [(i + 1) / (n + 1), color]]
    z, opacity = _shape_state(p)
    fig.add_choropleth(geojson=geography.regions, locations=list(region_ids),
                       featureidkey="id", z=z, zmin=0, zmax=n + 1, colorscale=scale,
                       showscale=False, marker=dict(opacity=opacity,
                                                    line=dict(color="#FFFFFF", width=1)),
                       hoverinfo="skip", name="region shapes", showlegend=False)
    return len(fig.data) - 1


def _shape_state(p: np.ndarray) -> tuple[list[float], list[float]]:
    top, none_p = p.argmax(axis=1), 1.0 - p.sum(axis=1)
    top_p = p.max(axis=1)
    z = [float(t + 1.5) if tp >= q else 0.5 for t, tp, q in zip(top, top_p, none_p,
                                                                 strict=True)]
    return z, list(np.round(0.1 + 0.3 * np.maximum(top_p, none_p), 3))  # labels stay legible


def _state(p: np.ndarray, ctx: _Context) -> dict[str, list]:
    """Marker colours, sizes, opacities and hover texts for one day's (regions, actors) p."""
    top = p.argmax(axis=1)
    top_p = p.max(axis=1)
    none_p = 1.0 - p.sum(axis=1)
    color = [ctx.colors[t] if tp >= n else NONE_COLOR for t, tp, n in zip(top, top_p, none_p,
                                                                           strict=True)]
    shown = np.maximum(top_p, none_p)
    hover = []
    for r, name in enumerate(ctx.region_names):
        order = np.argsort(-p[r], kind="stable")
        lines = [f"{ctx.names[a]}: {pct(p[r, a], 0)}" for a in order if p[r, a] > 0]
        lines.append(f"no controller: {pct(max(none_p[r], 0.0), 0)}")
        hover.append(f"<b>{name}</b><br>" + "<br>".join(lines))
    return dict(color=color, size=list(10 + 14 * shown), opacity=list(0.45 + 0.55 * shown),
                hover=hover, customdata=p.round(4).tolist())


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


def _link(scenario: Any, coord: str) -> list[float | None]:
    out: list[float | None] = []
    for link in scenario.links:
        a, b = (scenario.regions[r] for r in link.between)
        out += [getattr(a, coord), getattr(b, coord), None]
    return out


def _day_slider(probs: np.ndarray, days: np.ndarray, start: int, ctx: _Context, markers: int,
                shapes: int | None) -> dict:
    # Every k-th recorded day with a round k (days 0, 5, 10... rather than 0, 9, 18, 27, 37),
    # plus the last day and the day shown first.
    need = math.ceil(len(days) / MAX_SLIDER_STEPS)
    stride = next(k for k in (1, 2, 5, 7, 10, 14, 15, 30, 60, 90, 180, 365, len(days))
                  if k >= need)
    idx = np.unique([*range(0, len(days), stride), len(days) - 1, start])
    steps = []
    for i in idx:
        s = _state(probs[i], ctx)
        update: dict[str, list] = {"marker.color": [s["color"]], "marker.size": [s["size"]],
                                   "marker.opacity": [s["opacity"]], "hovertext": [s["hover"]],
                                   "customdata": [s["customdata"]]}
        traces = [markers]
        if shapes is not None:  # one restyle for both traces: a value list per trace
            z, opacity = _shape_state(probs[i])
            update = {k: [None, *v] for k, v in update.items()}
            update["z"] = [z, None]
            update["marker.opacity"][0] = opacity
            traces = [shapes, markers]
        steps.append(dict(method="restyle", label=str(int(days[i])), args=[update, traces]))
    return dict(active=int(np.searchsorted(idx, start)), steps=steps,
                currentvalue=dict(prefix="day "), pad=dict(t=20))
