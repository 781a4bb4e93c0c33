"""The variant comparison page: what each variant is and changes, the outcome per variant,
paired differences to the baseline, and fans over time per variant. Writes one file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis import charts, collect
from sim.analysis.formatting import num, pct, pp, signed
from sim.analysis.page import Section, esc, figure_html, render_page, table_html, write_atomic


def write_comparison_report(path: str | Path, summaries: Mapping[str, pd.DataFrame],
                            diffs: pd.DataFrame, title: str,
                            manifests: Mapping[str, Mapping[str, Any]] | None = None,
                            notes: Sequence[str] = (),
                            folders: Mapping[str, Path] | None = None) -> Path:
    """Write a variant comparison page to `path` and return it.

    Args:
        summaries: variant -> summary table; the first entry is the baseline.
        diffs: columns outcome, variant, diff, lo, hi (and optionally a, b, method, label),
            one row per outcome and non-baseline variant.
        title: page title.
        manifests: variant -> manifest, shown as a table of what was run.
        notes: sentences shown at the top (e.g. how the intervals were computed).
        folders: variant -> its results folder: adds each variant's title and changes (from
            its stored scenario) and fans over time per variant.
    """
    probs, delta = charts.variant_comparison(summaries, diffs)
    intro = "".join(f'<p class="note">{esc(n)}</p>' for n in notes)
    baseline = next(iter(summaries), "")
    arms = _arms(folders or {}, manifests or {})
    sections = [Section("variants", "What each variant is", _variants_table(arms, summaries))]
    sections.append(Section("compare", f"Variants against {baseline}", intro
                            + figure_html(probs, "variants") + figure_html(delta, "differences")
                            + _diff_table(summaries, diffs)))
    if arms:
        sections += _fans(arms)
    sections += [Section(f"v-{i}", f"Variant: {v}", _summary(s))
                 for i, (v, s) in enumerate(summaries.items())]
    if manifests:
        keys = ("seed", "runs_completed", "runs_failed", "days", "scenario_sha256", "version")
        mrows = [{"variant": esc(v), **{k: esc(m.get(k)) for k in keys}}
                 for v, m in manifests.items()]
        sections.append(Section("manifests", "How these were run",
                                table_html(mrows, ["variant", *keys])))
    return write_atomic(path, render_page(title, sections))


def _summary(s: pd.DataFrame) -> str:
    from sim.analysis.report import summary_table

    return summary_table(s)


def _arms(folders: Mapping[str, Path], manifests: Mapping[str, Mapping[str, Any]]) -> dict:
    from sim.analysis.report import stored_scenario

    out = {}
    for name, folder in folders.items():
        scenario, _ = stored_scenario(Path(folder))
        variant = (manifests.get(name) or {}).get("variant")
        v = scenario.variants.get(variant) if scenario and variant else None
        out[name] = dict(scenario=scenario, variant=v, agg=collect.collect(folder, scenario))
    return out


def _variants_table(arms: Mapping[str, Any], summaries: Mapping[str, Any]) -> str:
    from sim.analysis.scenario_sections import compact

    rows = []
    for name in summaries:
        v = (arms.get(name) or {}).get("variant")
        rows.append({"variant": f"<code>{esc(name)}</code>",
                     "title": esc(v.title if v else "the scenario as written"),
                     "what it changes": esc("; ".join(f"{k} = {compact(x)}"
                                                      for k, x in v.set.items()) if v else "—"),
                     "why ask": esc(v.description if v else "")})
    return table_html(rows, ["variant", "title", "what it changes", "why ask"], collapse=0)


def _diff_table(summaries: Mapping[str, pd.DataFrame], diffs: pd.DataFrame) -> str:
    binary = {str(o) for s in summaries.values() for o, b in zip(s["outcome"], s["binary"],
                                                                 strict=True) if bool(b)}
    rows = []
    for _, r in diffs.iterrows():
        # Probabilities read as percentages, their differences as percentage points.
        val, dif = (pct, pp) if str(r["outcome"]) in binary else (num, signed)
        rows.append({"outcome": esc(r.get("label") or r["outcome"]), "variant": esc(r["variant"]),
                     "baseline": val(r["a"]) if "a" in r else "",
                     "variant value": val(r["b"]) if "b" in r else "",
                     "difference": dif(r["diff"]),
                     "95% interval": f"{dif(r['lo'])} to {dif(r['hi'])}",
                     "method": esc(r.get("method", ""))})
    return table_html(rows, ["outcome", "variant", "baseline", "variant value", "difference",
                             "95% interval", "method"],
                      numeric=["baseline", "variant value", "difference"], what="differences")


def _fans(arms: Mapping[str, Any]) -> list[Section]:
    """Per actor, its strength over time in every variant (median and 50% band)."""
    quantiles = {n: collect.series_quantiles(a["agg"], "strength") for n, a in arms.items()
                 if a["agg"] is not None and "strength" in a["agg"].series}
    first = next(iter(arms.values()))["scenario"]
    if not quantiles or first is None:
        return []
    figs = []
    for aid, actor in first.actors.items():
        q = next(iter(quantiles.values()))
        if (aid, 0.95) not in q or float(q[(aid, 0.95)].max()) <= 0:
            continue
        figs.append(figure_html(charts.variant_fans(
            quantiles, aid, f"{charts.short_name(actor.name)}: strength by variant "
            "(median, 50% of runs)", "personnel"), f"fan-{aid}"))
    return [Section("over-time", "Over time, by variant", "".join(figs))]
