"""Shadow ensembles from a saved turn: what the model does if it takes over the game there.

`takeover(game, k, runs)` replays the game's orders for its first k turns (one replication,
the game's own facts and dice), copies that state into `runs` replications and lets the model
play every actor to the game's last day. The replications differ only in their dice (each
has its own counter-based stream; replication 0's is the game's): the facts stay the
game's, so the spread is what chance alone does from that position.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.model.engine import GeoModel, territory

if TYPE_CHECKING:
    from sim.wargame.game import Game


def replay(game: Game, k: int) -> Game:
    """A new game in the state `game` was in after its first k turns."""
    from sim.wargame.game import Game

    again = Game(game.scenario, game.seed, list(game.teams), game.turn_days, game.turns)
    for orders in game.history[:k]:
        again.play_turn(orders)
    return again


def takeover(game: Game, k: int, runs: int) -> dict[str, pd.DataFrame]:
    """Series (rep, day, one column per actor or region) of `runs` model futures from turn k.

    Days up to the end of turn k are the game's own (the same in every replication); later
    days are recorded at each turn boundary up to the game's last day.
    """
    if not 1 <= k < len(game.reports):
        raise ValueError(f"turn {k} is not between 1 and {len(game.reports) - 1}")
    start = replay(game, k)
    end_day = game.reports[-1].day_to
    model = GeoModel(game.scenario, np.arange(runs), game.seed, days=end_day)
    model.start_from(start.model)
    rows = []
    while model.state.day < end_day:
        model.step()
        if model.state.day % game.turn_days == 0 or model.state.day >= end_day:
            rows.append(_row(model))
    return _frames(start, model, rows, runs)


def _row(m: GeoModel) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    s = m.state
    return int(s.day), s.strength().copy(), territory(m), s.control.copy()


def _frames(start: Game, m: GeoModel, rows: list, runs: int) -> dict[str, pd.DataFrame]:
    from sim.wargame.aar import game_series

    past = game_series(start)
    reps = np.arange(runs)
    out = {}
    ids = m.compiled
    for name, i, cols in (("strength", 1, ids.actor_ids), ("territory", 2, ids.actor_ids),
                          ("control", 3, ids.region_ids)):
        before = past[name].drop(columns="rep")
        before = before.loc[before.index.repeat(runs)].reset_index(drop=True)
        before.insert(0, "rep", np.tile(reps, len(past[name])))
        after = pd.DataFrame(np.concatenate([r[i] for r in rows]), columns=list(cols))
        after.insert(0, "day", np.repeat([r[0] for r in rows], runs))
        after.insert(0, "rep", np.tile(reps, len(rows)))
        out[name] = pd.concat([before, after], ignore_index=True)
    return out
