"""The look every chart shares: template, palette, short names. No I/O."""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go

from sim.analysis.colors import NONE_COLOR, OKABE_ITO, actor_colors

__all__ = ["NONE_COLOR", "OKABE_ITO", "TEMPLATE", "actor_colors", "figure", "label",
           "short_name"]

TEMPLATE = go.layout.Template(
    layout=dict(
        font=dict(family="Helvetica, Arial, 'Liberation Sans', sans-serif", size=16,
                  color="#222222"),
        title=dict(font=dict(size=20), x=0, xanchor="left"),
        paper_bgcolor="white",
        plot_bgcolor="white",
        colorway=list(OKABE_ITO),
        separators=".,",  # decimal point, thousands comma: 20,100 rather than 20.1k
        xaxis=dict(gridcolor="#E5E5E5", linecolor="#444444", zerolinecolor="#999999",
                   ticks="outside", automargin=True, exponentformat="none",
                   separatethousands=True),
        yaxis=dict(gridcolor="#E5E5E5", linecolor="#444444", zerolinecolor="#999999",
                   ticks="outside", automargin=True, exponentformat="none",
                   separatethousands=True),
        legend=dict(bgcolor="rgba(255,255,255,0.8)"),
        hoverlabel=dict(font=dict(size=15)),
        margin=dict(l=40, r=30, t=70, b=50),
    )
)


def figure(title: str, **layout: object) -> go.Figure:
    """An empty figure with the shared template and a title."""
    fig = go.Figure()
    fig.update_layout(template=TEMPLATE, title=title, **layout)
    return fig


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


def label(row: pd.Series) -> str:
    """An outcome's label (its id when it has none)."""
    text = row.get("label")
    return str(text) if isinstance(text, str) and text else str(row["outcome"])
