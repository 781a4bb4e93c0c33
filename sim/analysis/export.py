"""Every chart of a report as PNG and SVG files, for slides: plotly + kaleido driving the
system's Chromium (Debian's /usr/bin/chromium; kaleido finds it, or BROWSER_PATH names it).

Nothing is fetched: kaleido's page loads plotly.js from the installed plotly package, MathJax
is off, and the control map's topology is handed over the same way the report embeds it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim.errors import SimError

CHROMIUM = "/usr/bin/chromium"
FORMATS = ("png", "svg")


class ExportError(SimError):
    """Charts could not be exported (no Chromium, or kaleido failed)."""


def export_figures(figures: Mapping[str, Any], folder: str | Path, geo_script: str = "",
                   formats: tuple[str, ...] = FORMATS, scale: float = 2.0) -> list[Path]:
    """Write each figure as `<folder>/<name>.<format>`; returns the paths written.

    Args:
        figures: name -> plotly figure (names become file names).
        geo_script: JavaScript that sets window.PlotlyGeoAssets (sim.analysis.geography),
            for figures with geo layers.
        scale: PNG pixel density (2: sharp on slides).
    """
    import kaleido

    if "BROWSER_PATH" not in os.environ and Path(CHROMIUM).exists():
        os.environ["BROWSER_PATH"] = CHROMIUM
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # e.g. a file named like the folder, or no permission
        raise ExportError(f"{folder}: cannot write the charts there ({exc.strerror or exc})") \
            from None
    with tempfile.TemporaryDirectory() as tmp:
        others = []
        if geo_script:
            js = Path(tmp) / "geo-assets.js"
            js.write_text(geo_script, encoding="utf-8")
            others.append(js)
        jobs = [{"fig": fig, "path": folder / f"{name}.{fmt}",
                 "opts": {"format": fmt, "scale": scale if fmt == "png" else 1}}
                for name, fig in figures.items() for fmt in formats]
        try:
            page = kaleido.PageGenerator(mathjax=False, others=others)
            kaleido.write_fig_from_object_sync(jobs, kopts={"page_generator": page})
        except Exception as exc:  # kaleido raises several types when Chromium is missing
            raise ExportError(f"chart export failed ({type(exc).__name__}: {exc}); it needs "
                              f"Chromium ({CHROMIUM}, or set BROWSER_PATH)") from None
    return [j["path"] for j in jobs]
