"""The page every report shares: layout, tables, figures, and the atomic write.

One self-contained HTML document: plotly.js embedded once (no network at view time), the map
topology embedded when a map needs it, tables that collapse and filter when long, a layout
without horizontal scrolling from 1,280 px windows down (narrower screens stack), and print
rules for paper. The wargame's after-action report uses the same `render_page`.
"""

from __future__ import annotations

import contextlib
import contextvars
import html
import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True,
                 "toImageButtonOptions": {"format": "png", "scale": 2}}
COLLAPSE_ROWS = 12  # tables longer than this start collapsed, with a filter box

CSS = """
:root { --ink: #1a1a1a; --muted: #555; --rule: #d0d0d0; --head: #f0f0f0; --accent: #0072B2; }
* { box-sizing: border-box; }
html, body { overflow-x: hidden; }
body { margin: 0 auto; max-width: 1240px; padding: 20px 28px 64px; color: var(--ink);
  background: #fff; font: 17px/1.5 Helvetica, Arial, "Liberation Sans", sans-serif; }
h1 { font-size: 2em; margin: 0.2em 0 0.1em; line-height: 1.2; }
h2 { font-size: 1.5em; margin: 1.6em 0 0.5em; padding-bottom: 0.2em;
  border-bottom: 3px solid var(--accent); }
h3 { font-size: 1.15em; margin: 1.2em 0 0.4em; }
.subtitle { color: var(--muted); font-size: 1.05em; margin: 0 0 1em; }
nav ol { columns: 2; font-size: 0.95em; }
a { color: var(--accent); overflow-wrap: anywhere; }
.table-wrap { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 0.6em 0 1.2em; font-size: 0.85em;
  table-layout: auto; }
th, td { border-bottom: 1px solid var(--rule); padding: 5px 8px; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
th { background: var(--head); font-weight: 700; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafafa; }
code { font-size: 0.9em; overflow-wrap: anywhere; word-break: break-word; }
.note { border-left: 5px solid #E69F00; background: #fff8e6; padding: 10px 14px; margin: 1em 0; }
.noise { color: var(--muted); }
.tag { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 0.85em;
  border: 1px solid var(--rule); }
.tag.assumption { border-color: #E69F00; }
.tag.unsourced { border-color: #D55E00; color: #D55E00; }
.figure { margin: 0.5em 0 1.5em; max-width: 100%; page-break-inside: avoid; break-inside: avoid; }
.figure .js-plotly-plot, .figure .plot-container { max-width: 100%; }
details > summary { cursor: pointer; color: var(--accent); margin: 0.5em 0; }
input.filter { font: inherit; padding: 4px 8px; width: min(420px, 100%); margin: 0.3em 0; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  nav, input.filter { display: none; }
  section { break-before: page; page-break-before: always; }
  section:first-of-type { break-before: auto; page-break-before: auto; }
  h2 { border-bottom-color: #000; }
  tr, .figure { break-inside: avoid; page-break-inside: avoid; }
  a { color: #000; text-decoration: none; }
  .bib a[href]::after { content: " <" attr(href) ">"; font-size: 0.85em; }
  .modebar-container { display: none !important; }
  details > *:not(summary) { display: block; }
}
"""

# Filters the rows of a collapsed table as the reader types (no library needed).
FILTER_JS = """
document.addEventListener('input', function (e) {
  if (!e.target.matches('input.filter')) return;
  var q = e.target.value.toLowerCase();
  var rows = document.querySelectorAll('#' + e.target.dataset.table + ' tbody tr');
  rows.forEach(function (r) {
    r.style.display = r.textContent.toLowerCase().includes(q) ? '' : 'none';
  });
});
"""

_ids = itertools.count()
_figures: contextvars.ContextVar[dict[str, go.Figure] | None] = contextvars.ContextVar(
    "figures", default=None)


@contextlib.contextmanager
def collecting_figures() -> Iterator[dict[str, go.Figure]]:
    """Within the block, every named figure given to `figure_html` is also kept (name ->
    figure), so a report can export exactly the charts it shows."""
    kept: dict[str, go.Figure] = {}
    token = _figures.set(kept)
    try:
        yield kept
    finally:
        _figures.reset(token)


@dataclass(frozen=True)
class Section:
    """One section of a page: an anchor id, a heading and ready-made HTML."""

    id: str
    title: str
    html: str


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def figure_html(fig: go.Figure, name: str = "") -> str:
    """A figure as a div + script (plotly.js is embedded once by `render_page`); `name`
    (e.g. "outcomes") becomes its data-chart attribute and its export file name."""
    kept = _figures.get()
    if kept is not None and name:
        kept[name] = fig
    body = fig.to_html(full_html=False, include_plotlyjs=False, config=PLOTLY_CONFIG,
                       default_width="100%")
    return f'<div class="figure" data-chart="{esc(name)}">{body}</div>'


def table_html(rows: Sequence[Mapping[str, str]], columns: Sequence[str],
               numeric: Sequence[str] = (), cls: str = "", collapse: int = COLLAPSE_ROWS,
               what: str = "rows") -> str:
    """An HTML table; cell values are already-escaped HTML, numeric columns align right.

    A table with more than `collapse` rows starts closed (`<details>`) under a line saying
    how many `what` it holds, with a filter box; 0 never collapses.
    """
    head = "".join(f'<th class="num">{esc(c)}</th>' if c in numeric else f"<th>{esc(c)}</th>"
                   for c in columns)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{r.get(c, "")}</td>' if c in numeric
                         else f"<td>{r.get(c, '')}</td>" for c in columns) + "</tr>"
        for r in rows)
    tid = f"t{next(_ids)}"
    table = (f'<div class="table-wrap"><table id="{tid}" class="{cls}"><thead><tr>{head}</tr>'
             f"</thead><tbody>{body}</tbody></table></div>")
    if not collapse or len(rows) <= collapse:
        return table
    return (f"<details><summary>{len(rows):,} {esc(what)} (show, filter)</summary>"
            f'<input class="filter" type="search" placeholder="filter rows…" '
            f'data-table="{tid}" aria-label="filter the table">{table}</details>')


def render_page(title: str, sections: Sequence[Section | tuple[str, str]],
                subtitle: str = "", head: str = "", contents: bool = True) -> str:
    """A whole HTML page: title, table of contents, sections; plotly.js embedded when needed.

    Args:
        title: page title (plain text; escaped here).
        sections: `Section`s, or (heading, html) pairs given ids s0, s1, ...; their html is
            used as is, so escape user text with `esc` and make figures with `figure_html`.
        subtitle: a line of HTML under the title.
        head: extra trusted HTML for the head (e.g. the map topology's script, print CSS).
        contents: list the sections at the top.

    Returns:
        One self-contained HTML document that opens offline.
    """
    secs = [s if isinstance(s, Section) else Section(f"s{i}", s[0], s[1])
            for i, s in enumerate(sections)]
    script = ""
    if any("Plotly.newPlot" in s.html for s in secs):
        from plotly.offline import get_plotlyjs

        script = f'<script type="text/javascript">{get_plotlyjs()}</script>'
    toc = "".join(f'<li><a href="#{esc(s.id)}">{esc(s.title)}</a></li>' for s in secs)
    nav = f"<nav><h3>Contents</h3><ol>{toc}</ol></nav>" if contents else ""
    body = "".join(f'<section id="{esc(s.id)}"><h2>{esc(s.title)}</h2>{s.html}</section>'
                   for s in secs)
    sub = f'<p class="subtitle">{subtitle}</p>' if subtitle else ""
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style>{head}{script}"
            f"<script>{FILTER_JS}</script></head><body>"
            f"<header><h1>{esc(title)}</h1>{sub}</header>{nav}{body}</body></html>")


def write_atomic(path: str | Path, text: str) -> Path:
    """Write text so a reader never sees half a file. The results folder's writer does it: a
    full disk is one ResultsWriteError line naming the file, and no temporary file is left
    behind (the issue found a 2.9 MB `.report.html.tmp` on a full disk)."""
    from sim.experiments.results import write_text_atomic

    return write_text_atomic(Path(path), text)
