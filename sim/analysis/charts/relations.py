"""The relations chart: actors on a circle, stances as lines, support as arrows. No I/O."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from sim.analysis.charts.style import actor_colors, figure, short_name
from sim.scenario.schema import Stance

STANCE_STYLE: dict[Stance, dict[str, object]] = {
    Stance.alliance: dict(color="#009E73", width=5, dash="solid"),
    Stance.cooperation: dict(color="#009E73", width=2.5, dash="dash"),
    Stance.neutrality: dict(color="#999999", width=2, dash="dot"),
    Stance.rivalry: dict(color="#E69F00", width=2.5, dash="dash"),
    Stance.war: dict(color="#D62728", width=4, dash="solid"),
}

SUPPORT_UNITS = {"troops": "", "air_strikes": " sorties/day", "intelligence": "",
                 "money": " M USD/day"}

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


def relations_network(scenario: Any) -> go.Figure:
    """Actors on a circle, one line per relation styled by stance, support as labelled arrows.

    All commitments from one actor to another share one unlabelled arrow; what each actor
    receives is listed in a box beside it (giver, then kind and amount), because labels on the
    arrows pile up where the chords cross. Hover a node for the actor's full name.
    """
    pos = circle_layout(list(scenario.actors))
    colors = actor_colors(scenario)
    fig = figure("Relations between actors and support commitments",
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


