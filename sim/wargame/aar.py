"""The after-action report: the game's timeline, its map turn by turn, each actor's strength
and territory, and the shadow ensemble.

The shadow ensemble is the model playing every actor from the game's starting point:
`simulate(scenario, reps 0..N-1, seed, days=played days)`. Replication 0 shares the game's
sampled facts; the others also vary the uncertain facts, so the ensemble spans both the dice
and what we do not know. Each team's result is placed in that distribution by the territory
share of its actor, of its side (its partners at the start), and by the weighted share of its
goals met ("better than 78% of simulated futures": the share of runs that scored lower,
counting ties as half).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sim.analysis import charts
from sim.analysis import formatting as fmt
from sim.analysis.report import Section, esc, figure_html, render_page, table_html
from sim.model.engine import simulate
from sim.model.outcomes import defeated, influence_limited, measure_outcomes
from sim.model.vectorised import friendly_relation, held_by_friend
from sim.scenario.schema import GoalKind, OutcomeKind

if TYPE_CHECKING:
    from sim.scenario.loader import LoadedScenario
    from sim.wargame.game import Game


def percentile(value: float, sample: np.ndarray) -> float:
    """Share of `sample` below `value`, ties counted as half (a mid-rank percentile)."""
    sample = np.asarray(sample, float)
    if sample.size == 0:
        return float("nan")
    below = (sample < value - 1e-9).sum()
    ties = (np.abs(sample - value) <= 1e-9).sum()
    return float((below + 0.5 * ties) / sample.size)


def verdict(value: float, sample: np.ndarray) -> str:
    """How a result compares with the model's futures, ties said as ties: '89%' against
    89/89/89% is "equal to 100% of simulated futures", not "better than 50%"."""
    sample = np.asarray(sample, float)
    below = float((sample < value - 1e-9).mean())
    ties = float((np.abs(sample - value) <= 1e-9).mean())
    if ties >= 1.0:
        return "equal to 100% of simulated futures"
    if ties > 0:
        return f"better than {below:.0%}, equal to {ties:.0%} of simulated futures"
    return f"better than {below:.0%} of simulated futures"


def game_series(game: Game) -> dict[str, pd.DataFrame]:
    """The game's own series at each turn boundary (rep 0), in the engine's table layout."""
    ids = list(game.model.compiled.actor_ids)
    idx = {a: i for i, a in enumerate(ids)}
    first = game.reports[0]
    rows_s = [(first.day_from, [first.strength[a][0] for a in ids],
               [first.territory[a][0] for a in ids])]
    rows_s += [(r.day_to, [r.strength[a][1] for a in ids], [r.territory[a][1] for a in ids])
               for r in game.reports]
    out = {}
    for name, k in (("strength", 1), ("territory", 2)):
        df = pd.DataFrame([row[k] for row in rows_s], columns=ids)
        df.insert(0, "day", [row[0] for row in rows_s])
        df.insert(0, "rep", 0)
        out[name] = df
    compiled = game.model.compiled
    c0 = {g: int(x) for g, x in zip(compiled.region_ids, compiled.control0, strict=True)}
    controls = [(first.day_from, c0)] + [
        (r.day_to, {g: idx[h] if h else -1 for g, h in r.control.items()}) for r in game.reports]
    ctl = pd.DataFrame([c for _, c in controls])
    ctl.insert(0, "day", [d for d, _ in controls])
    ctl.insert(0, "rep", 0)
    out["control"] = ctl
    return out


def shadow(game: Game, runs: int) -> Any:
    """The model's own futures from the game's start, as long as the game has run."""
    days = game.reports[-1].day_to
    return simulate(game.scenario, np.arange(runs), game.seed, days=days,
                    series_every=game.turn_days)


def side_of(game: Game, team: str) -> list[str]:
    """The team's actor and the actors it is allied or cooperating with at the start."""
    c = game.model.compiled
    a = c.actor_ids.index(team)
    return [b for j, b in enumerate(c.actor_ids) if j == a or friendly_relation(c.stance0[a, j])]


def measures(game: Game, team: str, series: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per replication (rows by rep): the team's three scores at the series' last day.

    own: share of strategic value its actor holds; side: held by it and its partners at the
    start (allies, cooperation); goals: weighted share of its actor's goals met (a region goal
    is met when a side member holds it, a cut goal when one holds either end of the road;
    defeat X: X below half its day-0 strength;
    limit_influence X: X holds no more territory than on day 0).
    """
    def at(name: str, first: bool) -> pd.DataFrame:
        df = series[name]
        day = df["day"].min() if first else df["day"].max()
        return df[df["day"] == day].sort_values("rep").reset_index(drop=True)

    ter0, ter1, st0, st1, ctl = (at("territory", True), at("territory", False),
                                 at("strength", True), at("strength", False),
                                 at("control", False))
    c = game.model.compiled
    a = c.actor_ids.index(team)
    side = side_of(game, team)
    met, weights = np.zeros(len(ter1)), 0.0
    for goal in game.scenario.actors[team].goals:
        if goal.region is not None or goal.link is not None:
            # The model's rule (outcomes.goal_met: a cut goal is met when either end of the
            # road is held), with the stances of the start.
            ok = np.zeros(len(ter1), bool)
            for region in (goal.region,) if goal.region is not None else goal.link or ():
                holder = ctl[region].to_numpy()
                ok |= held_by_friend(a, holder, c.stance0[a][np.clip(holder, 0, None)])
        elif goal.kind is GoalKind.defeat:
            ok = defeated(st1[goal.actor], st0[goal.actor])
        else:
            ok = influence_limited(ter1[goal.actor], ter0[goal.actor])
        met += goal.weight * ok
        weights += goal.weight
    return pd.DataFrame({"rep": ter1["rep"], "own": ter1[team].to_numpy(float),
                         "side": ter1[side].sum(axis=1).to_numpy(float),
                         "goals": met / weights if weights else np.full(len(ter1), np.nan)})


MEASURES = {"goals": "goals met (weighted)", "side": "territory of your side",
            "own": "your own territory"}


def _standing(game: Game, series: dict[str, pd.DataFrame], gs: dict[str, pd.DataFrame]) -> str:
    rows = []
    for team in game.teams:
        ours = measures(game, team, gs).iloc[0]
        model = measures(game, team, series)
        for key, label in MEASURES.items():
            if np.isnan(ours[key]):
                continue
            said = verdict(float(ours[key]), model[key].to_numpy())
            q = np.quantile(model[key], [0.05, 0.5, 0.95])
            rows.append({"team": esc(team), "measure": esc(label), "yours": f"{ours[key]:.0%}",
                         "model futures (5% / median / 95%)":
                         f"{q[0]:.0%} / {q[1]:.0%} / {q[2]:.0%}",
                         "verdict": f"<b>{said}</b>"})
    sides = "".join(f"<li><b>{esc(t)}</b>'s side: {esc(', '.join(side_of(game, t)))}</li>"
                    for t in game.teams)
    return (table_html(rows, ["team", "measure", "yours", "model futures (5% / median / 95%)",
                              "verdict"])
            + f"<p>Sides (partners at the start: alliance or cooperation):</p><ul>{sides}</ul>"
            "<p>'Better than' is the share of the model's runs that scored lower; 'equal to' the"
            " share that scored the same.</p>")


def _histogram(game: Game, series: dict[str, pd.DataFrame], gs: dict[str, pd.DataFrame],
               team: str) -> go.Figure:
    model = measures(game, team, series)["side"].to_numpy()
    ours = float(measures(game, team, gs)["side"].iloc[0])
    name = charts.short_name(game.scenario.actors[team].name)
    fig = go.Figure()
    fig.update_layout(template=charts.TEMPLATE, height=380, showlegend=False,
                      title=f"{name}: territory of its side at day {game.reports[-1].day_to} "
                      f"in {len(model)} model futures, and the class's result")
    fig.add_histogram(x=model, nbinsx=30, marker_color=charts.actor_colors(game.scenario)[team],
                      name="model futures")
    fig.add_vline(x=ours, line=dict(color="#D62728", width=4, dash="dash"),
                  annotation_text="your result", annotation_position="top")
    fig.update_xaxes(title="share of strategic value held by the side", tickformat=".0%")
    fig.update_yaxes(title="runs")
    return fig


def _fan_with_game(game: Game, series: dict[str, pd.DataFrame], gs: dict[str, pd.DataFrame],
                   name: str) -> go.Figure:
    names = {a: x.name for a, x in game.scenario.actors.items()}
    colors = charts.actor_colors(game.scenario)
    fig = charts.fan_chart(series[name], name, names, colors)
    fig.update_layout(title=f"{name.capitalize()}: the model's futures (bands) and the game "
                      "(dashed line with markers)")
    for a in game.model.compiled.actor_ids:
        fig.add_scatter(x=gs[name]["day"], y=gs[name][a], mode="lines+markers",
                        line=dict(color=colors[a], dash="dash", width=3),
                        name=f"{charts.short_name(names[a])} (game)", meta=dict(actor=a,
                                                                               band="game"))
    return fig


def _timeline(game: Game) -> str:
    parts = []
    for r in game.reports:
        orders = "".join(f"<li><b>{esc(t)}</b>: {esc('; '.join(o) or 'hold')}</li>"
                         for t, o in r.orders.items())
        dropped = "".join(f'<p class="note">{esc(d)}</p>' for d in r.dropped)
        lines = "".join(f"<li>{esc(x)}</li>" for x in r.lines) or "<li>no fighting</li>"
        changes = "; ".join(f"{c['region']}: {c['from'] or 'no one'} &rarr; {c['to'] or 'no one'}"
                            for c in r.control_changes) or "none"
        parts.append(f"<h3>Turn {r.turn}: {esc(r.date_from)} to {esc(r.date_to)}</h3>"
                     f"<p>Orders:</p><ul>{orders}</ul>{dropped}<details open><summary>"
                     f"What happened ({len(r.lines)} lines)</summary><ul>{lines}</ul></details>"
                     f"<p><b>Map changes:</b> {changes}</p>")
    return "".join(parts)


def _outcomes(game: Game, res: Any) -> str:
    sc = game.scenario
    got = measure_outcomes(game.model)
    rows = []
    for oid, o in sc.outcomes.items():
        col = res.runs[f"out:{oid}"].to_numpy(float)
        v = float(got[oid][0])
        if o.is_binary:
            shown, model = ("yes" if v >= 0.5 else "no"), f"{col.mean():.0%} of runs: yes"
        elif o.kind is OutcomeKind.fall_day:  # +inf: not by the last day (censored)
            end = game.reports[-1].day_to
            # No interpolation between a day and +inf (it would give NaN).
            q = np.quantile(col, [0.05, 0.5, 0.95], method="inverted_cdf")
            shown = fmt.day(v, end)
            model = (f"median {fmt.day(q[1], end)} (5-95%: {fmt.day(q[0], end)} to "
                     f"{fmt.day(q[2], end)}); by day {end} in {np.isfinite(col).mean():.0%} "
                     "of runs")
        else:
            q = np.quantile(col, [0.05, 0.5, 0.95])
            shown = f"{v:,.3g}"
            model = f"median {q[1]:,.3g} (5-95%: {q[0]:,.3g} to {q[2]:,.3g})"
        rows.append({"outcome": esc(o.label or oid), "in the game": shown,
                     "in the model's futures": model})
    note = ("<p>Outcomes are measured at the game's last day "
            f"(day {game.reports[-1].day_to}), in the game and in every model run.</p>")
    return note + table_html(rows, ["outcome", "in the game", "in the model's futures"])


def takeover_section(game: Game, k: int, runs: int, gs: dict[str, pd.DataFrame]) -> Section:
    """The model takes over after turn k: the class's result among those futures."""
    from sim.wargame.shadow import takeover

    series = takeover(game, k, runs)
    day = game.reports[k - 1].day_to
    intro = (f"<p>{runs} runs of the model playing every actor from the game's exact state "
             f"after turn {k} (day {day}) to day {game.reports[-1].day_to}: the same facts as "
             "the game, only the dice differ. Did the class's later turns do better than the "
             "model would have from there?</p>")
    return Section("takeover", f"If the model had taken over after turn {k}",
                   intro + _standing(game, series, gs)
                   + figure_html(_fan_with_game(game, series, gs, "territory")))


def build_sections(game: Game, loaded: LoadedScenario, runs: int,
                   takeover_turn: int | None = None) -> list[Section]:
    res = shadow(game, runs)
    gs = game_series(game)
    standing = _standing(game, res.series, gs)
    sc = game.scenario
    intro = (f"<p>Scenario <code>{esc(loaded.path)}</code> (sha256 {esc(loaded.sha256[:12])}"
             f"{', variant ' + esc(loaded.variant) if loaded.variant else ''}), seed "
             f"{game.seed}, {len(game.reports)} turns of {game.turn_days} days, teams: "
             f"{esc(', '.join(game.teams))}; every other actor played by the model.</p>"
             f"<p>The <b>shadow ensemble</b> is {runs} runs of the model playing every actor "
             "from the same starting point for as many days (uncertain facts sampled anew in "
             "each run, so it spans the dice and what we do not know). Each team's result is "
             "placed in it by three scores at the last day: the weighted share of its goals "
             "met, the strategic value held by its side, and by its own actor.</p>")
    hist = "".join(figure_html(_histogram(game, res.series, gs, t)) for t in game.teams)
    extra = ([takeover_section(game, takeover_turn, runs, gs)]
             if takeover_turn is not None else [])
    return [
        Section("result", "Your result against the model's futures", intro + standing + hist),
        *extra,
        Section("timeline", "Timeline", _timeline(game)),
        Section("map", "The map at each turn",
                "<p>Move the slider to see who held what at the end of each turn (day 0: the "
                "start).</p>" + figure_html(charts.control_map(gs["control"], sc).update_layout(
                    title="Who held each region at the end of each turn"))),
        Section("strength", "Strength and territory over time",
                figure_html(_fan_with_game(game, res.series, gs, "territory"))
                + figure_html(_fan_with_game(game, res.series, gs, "strength"))),
        Section("outcomes", "The scenario's outcomes: game and model", _outcomes(game, res)),
    ]


def write_aar(path: str | Path, game: Game, loaded: LoadedScenario, runs: int = 500,
              takeover_turn: int | None = None) -> Path:
    """Write the after-action report (one self-contained HTML file) and return its path.

    With `takeover_turn` k, it also holds the shadow ensemble from the state after turn k.
    """
    path = Path(path)
    sections = build_sections(game, loaded, runs, takeover_turn)
    sub = (f"{esc(game.scenario.scenario.title)}: {esc(game.date(0))} to "
           f"{esc(game.date(game.reports[-1].day_to))}")
    text = render_page(f"After-action report: {game.scenario.scenario.id}", sections, sub)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
