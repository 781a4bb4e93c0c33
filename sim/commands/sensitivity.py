"""geosim sensitivity FILE --runs N: which uncertain facts move each outcome
(sim.experiments.sensitivity).

Prints, per outcome, the facts ranked by their one-at-a-time swing (low -> high, common random
numbers) beside their global index (Sobol ST, |SRRC| or |Spearman rho|), then the PRIM boxes
(conditions under which each outcome becomes likely); writes tornado.csv, indices.csv,
prim.json and report.html into the sensitivity folder and prints its path.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from sim.commands.options import add_ensemble_flags, check_ensemble_flags, workers
from sim.errors import UsageError, check_at_least

TOP = 8  # facts printed per outcome (the CSV files hold all of them)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sensitivity", help="rank the uncertain facts by their effect on "
                              "each outcome (tornado, Sobol/rank indices, PRIM boxes)")
    p.add_argument("file", metavar="FILE", help="scenario YAML file")
    p.add_argument("--method", default="auto", choices=("auto", "sobol", "src", "spearman"),
                   help="global measure: sobol (needs runs >= 64 (D + 2) for auto), src "
                   "(standardised rank regression) or spearman; auto picks (default)")
    p.add_argument("--outcomes", metavar="A,B", help="outcome ids to analyse (default: all)")
    p.add_argument("--oat-reps", type=int, metavar="K",
                   help="replications per fact end in the one-at-a-time sweep (default "
                   "max(20, runs / (2D + 1)), at most 200; 0 skips the sweep)")
    p.add_argument("--threshold", action="append", default=[], metavar="ID=VALUE",
                   help="PRIM target for a quantity outcome: value above VALUE (default: "
                   "above its median); repeatable")
    add_ensemble_flags(p, runs_help="model evaluations of the global sample", runs_minimum=10,
                       variant_help="analyse this variant of the scenario",
                       out_help="folder (default results/<scenario>/sensitivity-<time>-<seed>)")
    p.set_defaults(handler=run)


def _thresholds(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not key.strip():
            raise UsageError(f"--threshold expects ID=VALUE (got {item!r})")
    return out


def _check_flags(args: argparse.Namespace) -> None:
    check_ensemble_flags(args)
    check_at_least("--oat-reps", args.oat_reps, 0)
    if not Path(args.file).is_file():
        raise UsageError(f"{args.file}: no such scenario file")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from sim.commands.summary import stdout_console
    from sim.experiments.sensitivity import run_sensitivity

    _check_flags(args)
    thresholds = _thresholds(args.threshold)
    outcomes = [o.strip() for o in args.outcomes.split(",")] if args.outcomes else None
    err = Console(stderr=True)
    res = run_sensitivity(args.file, args.runs, args.seed, args.variant, args.days,
                          method=args.method, outcomes=outcomes, workers=workers(args),
                          oat_reps=args.oat_reps, out=args.out, backend=args.backend,
                          thresholds=thresholds, on_stage=lambda s: err.print(s))
    out = stdout_console()
    out.print(f"global method: {describe_method(res)}")
    from sim.experiments.sensitivity_stats import noise_warnings

    warnings = noise_warnings(res.tornado, res.indices, list(res.outcomes))
    for oid in res.outcomes:
        out.print(ranking_table(res, oid))
        if oid in warnings:
            out.print(f"[bold yellow]{warnings[oid]}[/bold yellow]", highlight=False)
    out.print("[bold]PRIM scenario discovery[/bold] (over each outcome's 12 facts with the "
              "largest global index; the box on the peeling trajectory with coverage >= 50% "
              "and at most 3 facts that has the highest density)")
    for box in res.boxes:
        out.print(f"  {box.text()}", highlight=False)
    skipped = [o for o in res.outcomes if o not in {b.outcome for b in res.boxes}]
    if skipped:
        from sim.experiments.discovery import MIN_CASES

        out.print(f"  no box (fewer than {MIN_CASES} runs where it happens, or where it does "
                  f"not: a box would fit noise): {', '.join(skipped)}")
    save_tables(res)
    print(f"sensitivity: {res.folder}")
    print(f"report: {write_report(res, args.file)}")
    return 0


def describe_method(res: Any) -> str:
    ev = res.evaluations
    text = {"sobol": "Sobol first-order (S1) and total (ST) indices, Saltelli design via SALib",
            "src": "standardised rank regression coefficients |SRRC| on a Latin hypercube",
            "spearman": "Spearman rank correlations |rho| on a Latin hypercube"}[res.method]
    oat = f"; one-at-a-time sweep {ev['oat']:,} evaluations" if "oat" in ev else ""
    return f"{text} ({ev['global']:,} evaluations{oat})"


def _rows(res: Any, oid: str) -> list[dict[str, Any]]:
    """Facts of one outcome in one ranking: by |swing| when the sweep ran (facts whose swing
    interval excludes 0 first), else by global index; `rank` is the row's place in it."""
    t = res.tornado[res.tornado["outcome"] == oid].set_index("fact")
    g = res.indices[res.indices["outcome"] == oid].set_index("fact")
    if len(t):
        real = (t["swing_lo"] > 0) | (t["swing_hi"] < 0)
        order = t.assign(_real=real, _size=t["swing"].abs()).sort_values(
            ["_real", "_size"], ascending=[False, False], kind="stable").index[:TOP]
    else:
        order = g.sort_values("index", ascending=False, kind="stable").index[:TOP]
    return [{"fact": f, "t": t.loc[f] if f in t.index else None, "g": g.loc[f], "rank": i + 1}
            for i, f in enumerate(order)]


def ranking_table(res: Any, oid: str) -> Any:
    from rich.table import Table

    binary = bool(res.outcomes[oid]["binary"])
    t = Table(title=f"{oid}: {res.outcomes[oid]['label']}", title_justify="left")
    oat = len(res.tornado) > 0
    heads = ("fact", "fact low -> high", "outcome at low -> high", "swing [95%]")
    for col in heads if oat else heads[:1]:
        t.add_column(col, justify="left" if col == "fact" else "right")
    t.add_column(str(res.indices["method"].iloc[0]) if len(res.indices) else "index",
                 justify="right")
    if res.method == "sobol":
        t.add_column("S1", justify="right")
    else:
        t.add_column("sign", justify="right")
    t.add_column("rank", justify="right")
    for r in _rows(res, oid):
        tr, g = r["t"], r["g"]
        cells = [r["fact"]]
        if not oat:
            pass
        elif tr is None:
            cells += ["", "", ""]
        else:
            cells += [f"{_n(tr['low_value'])} -> {_n(tr['high_value'])}",
                      f"{_v(tr['out_low'], binary)} -> {_v(tr['out_high'], binary)}",
                      f"{_d(tr['swing'], binary)} [{_d(tr['swing_lo'], binary)}, "
                      f"{_d(tr['swing_hi'], binary)}]"]
        cells.append(f"{g['index']:.3f} ± {g['index_conf']:.3f}")
        cells.append(f"{g['s1']:.3f}" if res.method == "sobol" else
                     ("+" if g["signed"] > 0 else "-" if g["signed"] < 0 else "0"))
        cells.append(str(r["rank"]))
        t.add_row(*cells)
    return t


def save_tables(res: Any) -> None:
    """tornado.csv, indices.csv and prim.json beside the runs."""
    folder = Path(res.folder)
    folder.mkdir(parents=True, exist_ok=True)
    res.tornado.to_csv(folder / "tornado.csv", index=False)
    res.indices.to_csv(folder / "indices.csv", index=False)
    boxes = [{"outcome": b.outcome, "target": b.target, "density": b.density,
              "base_rate": b.base_rate, "coverage": b.coverage, "n": b.n,
              "limits": [{"fact": f, "lower": lo, "upper": hi} for f, lo, hi in b.limits],
              "text": b.text()} for b in res.boxes]
    meta = {"method": res.method, "evaluations": res.evaluations, "notes": res.notes,
            "boxes": boxes}
    (folder / "prim.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def write_report(res: Any, scenario_file: str) -> Path:
    """report.html: method, tornado and ranking charts (sim.analysis.charts), tables, PRIM boxes."""
    from sim.analysis import charts
    from sim.analysis.report import Section, esc, figure_html, render_page, table_html

    # Outcomes no fact moves (e.g. never happen in the sample) would only draw empty panels.
    moved_t = res.tornado.groupby("outcome")["swing"].apply(lambda s: s.abs().max() > 0)
    moved_g = res.indices.groupby("outcome")["index"].apply(lambda s: s.max() > 0)
    still = sorted(set(res.outcomes) - {o for o, m in moved_g.items() if m}
                   - {o for o, m in moved_t.items() if m})
    notes = [*res.notes] + ([f"Not drawn (no fact moved them): {', '.join(still)}"] if still
                            else [])
    sections = [Section("method", "What was computed",
                        f'<p class="note">{esc(describe_method(res))}.</p>'
                        + "".join(f'<p class="note">{esc(n)}</p>' for n in notes))]
    tornado = res.tornado[~res.tornado["outcome"].isin(still)]
    if len(tornado):
        sections.append(Section("tornado", "One-at-a-time sweep (tornado)",
                                '<p class="note">Each fact fixed at its low, then its high, '
                                "all others sampled; same replications (common random "
                                "numbers). The vertical line is the ensemble with nothing "
                                "fixed.</p>" + figure_html(charts.tornado(tornado, top=10))))
    ranked = res.indices[~res.indices["outcome"].isin(still)]
    if len(ranked):
        sections.append(Section("ranking", "Global ranking", figure_html(
            charts.sensitivity_ranking(ranked, top=10))))
    rows = [{"outcome": esc(b.outcome), "box": esc(b.text())} for b in res.boxes]
    sections.append(Section("prim", "Scenario discovery (PRIM)",
                            table_html(rows, ["outcome", "box"])))
    html = render_page(f"Sensitivity: {Path(scenario_file).name}", sections)
    path = Path(res.folder) / "report.html"
    tmp = path.with_name(".report.html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)  # a reader never sees half a report
    return path


def _n(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _v(x: float, binary: bool) -> str:
    if not math.isfinite(x):
        return "-"
    return f"{x:.1%}" if binary else _n(x)


def _d(x: float, binary: bool) -> str:
    if not math.isfinite(x):
        return "-"
    return f"{x * 100:+.1f} pp" if binary else (f"{x:+,.0f}" if abs(x) >= 100 else f"{x:+.3g}")
