"""Save a game after every turn; resume it by replaying the saved orders from the start.

The save file (JSON, written to a temporary name and renamed, so a crash never leaves half a
file) holds what rebuilds the game exactly: the scenario path and sha256, variant, seed,
teams, turn length and count, fog, and the orders of every turn played, with the state hash
after each turn. All randomness is counter-based on (seed, replication, day, purpose), so
replaying the orders gives the same state; `resume` checks the hashes to prove it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sim.errors import UsageError
from sim.scenario.loader import LoadedScenario, load
from sim.wargame.game import Game
from sim.wargame.orders import parse_list, to_mapping

FORMAT = 1


class SaveError(UsageError):
    """A save file cannot be read, belongs to another scenario, or does not replay."""


def game_dict(game: Game, loaded: LoadedScenario, fog: bool) -> dict[str, Any]:
    """The save file's content for `game` as it stands."""
    return {
        "format": FORMAT,
        "scenario": str(Path(loaded.path).resolve()),
        "scenario_sha256": loaded.sha256,
        "variant": loaded.variant,
        "seed": game.seed,
        "teams": game.teams,
        "turn_days": game.turn_days,
        "turns": game.turns,
        "fog": fog,
        "turns_played": len(game.reports),
        "orders": [{t: [to_mapping(o) for o in turn[t]] for t in game.teams}
                   for turn in game.history],
        "state_hashes": [r.state_hash for r in game.reports],
        "state_hash": game.reports[-1].state_hash if game.reports else None,
    }


def save(path: str | Path, game: Game, loaded: LoadedScenario, fog: bool) -> Path:
    """Write the save file atomically."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(game_dict(game, loaded, fog), indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def read(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SaveError(f"{path}: no such save file") from None
    except (OSError, ValueError) as exc:
        raise SaveError(f"{path}: not a readable save file ({exc})") from None
    missing = [k for k in ("scenario", "seed", "teams", "turn_days", "turns", "orders")
               if k not in data]
    if missing:
        raise SaveError(f"{path}: not a geosim save file (missing {', '.join(missing)})")
    return data


def resume(path: str | Path, scenario_path: str | Path | None = None,
           upto: int | None = None, turns: int | None = None,
           ) -> tuple[Game, LoadedScenario, dict[str, Any]]:
    """Rebuild a saved game by replaying its orders (the first `upto` turns, default all).

    `scenario_path` overrides the saved path (a moved file; its sha256 must still match);
    `turns` changes the number of turns of the game (to extend or shorten it).

    Raises:
        SaveError: when the scenario file changed since the save, or a replayed state hash
            differs from the saved one (the engine changed: the game cannot be continued).
    """
    data = read(path)
    spath = Path(scenario_path or data["scenario"])
    if not spath.is_file():
        raise SaveError(f"{path}: the game's scenario {spath} is not there; give its new "
                        f"place: geosim play FILE --resume {path}")
    loaded = load(spath, data.get("variant"))
    if data.get("scenario_sha256") and loaded.sha256 != data["scenario_sha256"]:
        raise SaveError(f"{path}: the scenario {spath} changed since the game was saved "
                        f"(sha256 {loaded.sha256[:12]}, saved {data['scenario_sha256'][:12]})")
    game = Game(loaded.scenario, int(data["seed"]), list(data["teams"]),
                int(data["turn_days"]), max(int(turns or data["turns"]), len(data["orders"])))
    hashes = data.get("state_hashes") or []
    played: list[dict[str, Any]] = data["orders"][:upto] if upto is not None else data["orders"]
    for k, turn in enumerate(played):
        orders = {t: parse_list(turn.get(t, []), f"{path}: turn {k + 1}: {t}")
                  for t in game.teams}
        report = game.play_turn(orders)
        if k < len(hashes) and report.state_hash != hashes[k]:
            raise SaveError(f"{path}: replaying turn {k + 1} gives a different state than the "
                            "saved game (the engine or its constants changed since)")
    return game, loaded, data
