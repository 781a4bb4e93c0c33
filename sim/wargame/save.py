"""Save a game after every turn; resume it by replaying the saved orders from the start.

The save file (JSON, written to a temporary name and renamed, so a crash never leaves half a
file) holds what rebuilds the game exactly: the scenario path and sha256, variant, seed,
teams, turn length and count, fog, the orders and umpire injects of every turn played, with
the state hash after each turn. All randomness is counter-based on (seed, replication, day,
purpose), so replaying the orders gives the same state; `resume` checks the hashes to prove it.

A save is read like a scenario: validated at the edge into a frozen pydantic model
(:class:`SaveFile`), so a hand-edited file gets one line naming the field, never a traceback.
Every save is signed (HMAC-SHA256) with a per-game key kept beside it in ``GAME.json.key``
(readable by its owner only): a team that edits the save, say to rewrite another team's
orders and their state hashes, is refused on resume. A save without a signature (written
before signing existed) is accepted only with a state hash for every turn played.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr
from pydantic import ValidationError as PydanticError

from sim.errors import OrdersError, UsageError
from sim.scenario.loader import LoadedScenario, load
from sim.wargame.game import Game
from sim.wargame.orders import parse_list, quote, to_mapping

FORMAT = 2
MAX_BYTES = 20_000_000  # a six-turn class save is ~10 kB; far beyond this is not a save

Hash = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
TeamOrders = dict[Annotated[str, Field(max_length=100)],
                  Annotated[list[Any], Field(max_length=500)]]


class SaveError(UsageError):
    """A save file cannot be read, belongs to another scenario, or does not replay."""


class SaveFile(BaseModel):
    """What a save file holds (format 2; format 1 files, without injects, read the same)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: StrictInt = Field(ge=1, le=FORMAT, description="Save format version.")
    scenario: StrictStr = Field(min_length=1, max_length=4096, description="Scenario path.")
    scenario_sha256: Hash | None = Field(None, description="sha256 of the scenario file.")
    variant: StrictStr | None = Field(None, max_length=200, description="Variant applied.")
    seed: StrictInt = Field(ge=0, le=2**63 - 1, description="Root seed.")
    teams: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=50, description="Actor ids played by teams, in order.")
    turn_days: StrictInt = Field(ge=1, le=3650, description="Days per turn.")
    turns: StrictInt = Field(ge=1, le=1000, description="Turns in the game.")
    fog: StrictBool = Field(False, description="Fog of war.")
    turns_played: StrictInt = Field(0, ge=0, le=1000, description="Turns adjudicated.")
    orders: list[TeamOrders] = Field(max_length=1000, description="Each turn's final orders.")
    injects: list[list[dict[str, Any]]] = Field(
        default_factory=list, max_length=1000, description="Each turn's umpire injects.")
    state_hashes: list[Hash] = Field(default_factory=list, max_length=1000,
                                     description="State hash after each turn.")
    state_hash: Hash | None = Field(None, description="State hash after the last turn.")
    session: dict[str, Any] | None = Field(
        None, description="The classroom server's open turn (sim/wargame/session.py).")
    signature: Hash | None = Field(None, description="HMAC-SHA256 with the game's key.")


def key_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".key")


def game_key(path: str | Path, create: bool = True) -> bytes | None:
    """The per-game key beside the save (made, readable by its owner only, when missing)."""
    kp = key_path(path)
    try:
        return bytes.fromhex(kp.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        if not create:
            return None
    except (OSError, ValueError) as exc:
        raise SaveError(f"{kp}: not a readable game key ({quote(exc)})") from None
    key = secrets.token_bytes(32)
    fd = os.open(kp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key.hex() + "\n")
    return key


def _signature(content: dict[str, Any], key: bytes) -> str:
    body = {k: v for k, v in content.items() if k != "signature"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def game_dict(game: Game, loaded: LoadedScenario, fog: bool,
              session: dict[str, Any] | None = None) -> dict[str, Any]:
    """The save file's content for `game` as it stands (unsigned)."""
    out = {
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
        "injects": [list(x) for x in game.inject_history],
        "state_hashes": [r.state_hash for r in game.reports],
        "state_hash": game.reports[-1].state_hash if game.reports else None,
    }
    if session is not None:
        out["session"] = session
    return out


def check_target(path: str | Path) -> Path:
    """Raise SaveError unless `path` can be a save file (not a folder, its folder exists)."""
    path = Path(path)
    if path.is_dir():
        raise SaveError(f"--save {path}: is a folder; give a file name, e.g. {path / 'game.json'}")
    if not path.parent.is_dir():
        raise SaveError(f"--save {path}: the folder {path.parent} does not exist")
    return path


def save(path: str | Path, game: Game, loaded: LoadedScenario, fog: bool,
         session: dict[str, Any] | None = None) -> Path:
    """Write the signed save file atomically; nothing is left behind when it fails."""
    path = check_target(path)
    content = game_dict(game, loaded, fog, session)
    content["signature"] = _signature(content, game_key(path) or b"")
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(json.dumps(content, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise SaveError(f"{path}: cannot write the save file ({exc.strerror or exc}); the "
                        "previous save is unchanged") from None
    return path


def _load_json(path: Path) -> Any:
    try:
        if path.is_dir():
            raise SaveError(f"{path}: is a folder, not a save file")
        if not path.exists():
            raise SaveError(f"{path}: no such save file")
        if not path.is_file():
            raise SaveError(f"{path}: not a regular file")
        if path.stat().st_size > MAX_BYTES:
            raise SaveError(f"{path}: {path.stat().st_size:,} bytes is too large for a save "
                            f"file (at most {MAX_BYTES:,})")
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise SaveError(f"{path}: not a readable save file ({quote(exc)})") from None


def read(path: str | Path) -> SaveFile:
    """Read and validate a save file (its signature too, when it has one)."""
    path = Path(path)
    raw = _load_json(path)
    if not isinstance(raw, dict):
        raise SaveError(f"{path}: not a geosim save file (a JSON object expected, got "
                        f"{type(raw).__name__})")
    try:
        data = SaveFile.model_validate(raw)
    except PydanticError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "(top)"
        more = f" (and {len(exc.errors()) - 1} more problems)" if len(exc.errors()) > 1 else ""
        raise SaveError(f"{path}: {where}: {err['msg']}, got {quote(err.get('input'))}{more}"
                        ) from None
    _verify(path, raw, data)
    return data


def _verify(path: Path, raw: dict[str, Any], data: SaveFile) -> None:
    key = game_key(path, create=False)
    if data.signature is None:
        if key is not None:
            raise SaveError(f"{path}: the save has no signature although its game key "
                            f"{key_path(path)} exists: the file was edited; refused")
        if len(data.state_hashes) < len(data.orders):
            raise SaveError(f"{path}: unsigned save without a state hash for every turn "
                            f"({len(data.state_hashes)} hashes, {len(data.orders)} turns): "
                            "it cannot be verified; refused")
        return
    if key is None:
        raise SaveError(f"{path}: the game key {key_path(path)} is missing, so the save's "
                        "signature cannot be checked; copy the key beside the save")
    if not hmac.compare_digest(_signature(raw, key), data.signature):
        raise SaveError(f"{path}: the signature does not match: the file was edited after "
                        "the game saved it; refused")


def resume(path: str | Path, scenario_path: str | Path | None = None,
           upto: int | None = None, turns: int | None = None,
           ) -> tuple[Game, LoadedScenario, SaveFile]:
    """Rebuild a saved game by replaying its orders (the first `upto` turns, default all).

    `scenario_path` overrides the saved path (a moved file; its sha256 must still match);
    `turns` changes the number of turns of the game (to extend or shorten it).

    Raises:
        SaveError: when the file is invalid or edited, the scenario changed since the save,
            or a replayed state hash differs from the saved one.
    """
    data = read(path)
    spath = Path(scenario_path or data.scenario)
    if not spath.is_file():
        raise SaveError(f"{path}: the game's scenario {spath} is not there; give its new "
                        f"place: geosim play FILE --resume {path}")
    loaded = load(spath, data.variant)
    if data.scenario_sha256 and loaded.sha256 != data.scenario_sha256:
        raise SaveError(f"{path}: the scenario {spath} changed since the game was saved "
                        f"(sha256 {loaded.sha256[:12]}, saved {data.scenario_sha256[:12]})")
    try:
        game = Game(loaded.scenario, data.seed, list(data.teams), data.turn_days,
                    max(turns or data.turns, len(data.orders)))
        _replay(path, game, data, upto)
    except (OrdersError, UsageError) as exc:
        if isinstance(exc, SaveError):
            raise
        raise SaveError(f"{path}: {exc}") from None
    return game, loaded, data


def _replay(path: str | Path, game: Game, data: SaveFile, upto: int | None) -> None:
    from sim.wargame.injects import parse_inject

    played = data.orders[:upto] if upto is not None else data.orders
    for k, turn in enumerate(played):
        unknown = sorted(set(turn) - set(game.teams))
        if unknown:
            raise SaveError(f"{path}: orders.{k}: {quote(unknown[0])} is not a team of this game")
        for item in data.injects[k] if k < len(data.injects) else []:
            game.inject(parse_inject(item, f"injects.{k}"))
        orders = {t: parse_list(turn.get(t, []), f"turn {k + 1}: {t}") for t in game.teams}
        report = game.play_turn(orders)
        if k < len(data.state_hashes) and report.state_hash != data.state_hashes[k]:
            raise SaveError(f"{path}: replaying turn {k + 1} gives a different state than the "
                            "saved game (the engine or its constants changed since)")
