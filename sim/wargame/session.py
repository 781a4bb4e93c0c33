"""A classroom session: the game, each team's orders for the open turn, the clock, the umpire.

`Session` holds what `geosim serve` adds to a :class:`Game`: the teams' orders for the turn
being played (a draft until submitted; withdrawn orders become a draft again), the umpire's
vetoes, amendments, injects and log, the turn clock (a countdown that the umpire starts and
pauses), and who has joined. It does no networking (sim/wargame/server.py does) and saves
itself after every change through sim/wargame/save.py, with the open turn in the save's
`session` field, so a restarted server loses nobody's orders.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError

from sim.errors import OrdersError, UsageError
from sim.scenario.loader import LoadedScenario
from sim.wargame import injects, save
from sim.wargame.game import Game, TurnReport
from sim.wargame.orders import Order, parse_line, parse_list, quote, to_mapping

UMPIRE = "umpire"


class OpenTurn(BaseModel):
    """The save's `session` field: the turn being played when the file was written."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    orders: dict[str, list[Any]] = Field(default_factory=dict)
    submitted: dict[str, bool] = Field(default_factory=dict)
    vetoes: dict[str, list[dict[str, str]]] = Field(default_factory=dict)
    injects: list[dict[str, Any]] = Field(default_factory=list, max_length=1000)
    log: list[dict[str, Any]] = Field(default_factory=list, max_length=100_000)
    minutes: float = Field(10.0, ge=0, le=24 * 60)
    remaining: float | None = Field(None, ge=0)
    running: bool = False


def secret(key: bytes, who: str) -> str:
    """The join secret of a team (or the umpire): derived from the game's key, so the links
    stay the same after a restart and cannot be guessed from each other."""
    return hmac.new(key, f"geosim-join:{who}".encode(), hashlib.sha256).hexdigest()[:32]


@dataclass
class Clock:
    """A countdown per turn: `minutes` long (0: no deadline), paused until the umpire starts."""

    minutes: float
    running: bool = False
    remaining: float | None = None  # seconds left while paused; None: a full turn
    deadline: float = 0.0  # time.monotonic() of the deadline while running

    def left(self) -> float | None:
        if self.minutes <= 0:
            return None
        if self.running:
            return max(self.deadline - time.monotonic(), 0.0)
        return self.minutes * 60 if self.remaining is None else self.remaining

    def start(self) -> None:
        left = self.left()
        self.running = True
        self.deadline = time.monotonic() + (left if left is not None else 0.0)

    def pause(self) -> None:
        self.remaining, self.running = self.left(), False

    def new_turn(self) -> None:
        self.remaining = None
        if self.running:
            self.deadline = time.monotonic() + self.minutes * 60

    def expired(self) -> bool:
        left = self.left()
        return self.running and left is not None and left <= 0


@dataclass
class Session:
    """The game of a class, as `geosim serve` plays it (see the module docstring)."""

    game: Game
    loaded: LoadedScenario
    save_path: Path
    minutes: float = 10.0
    clock: Clock = field(init=False)
    orders: dict[str, list[Order]] = field(init=False)
    submitted: dict[str, bool] = field(init=False)
    vetoes: dict[str, list[dict[str, str]]] = field(init=False)
    log: list[dict[str, Any]] = field(default_factory=list, init=False)
    joined: dict[str, float] = field(default_factory=dict, init=False)
    version: int = field(default=0, init=False)
    aar_path: Path | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.clock = Clock(self.minutes)
        self.orders = {t: [] for t in self.game.teams}
        self.submitted = dict.fromkeys(self.game.teams, False)
        self.vetoes = {t: [] for t in self.game.teams}
        key = save.game_key(self.save_path)
        assert key is not None  # game_key creates it when missing
        self.secrets = {who: secret(key, who) for who in [*self.game.teams, UMPIRE]}

    # --------------------------------------------------------------------------- access

    def who(self, presented: str | None) -> str | None:
        """The team (or UMPIRE) whose secret this is, or None."""
        if not presented:
            return None
        for name, value in self.secrets.items():
            if hmac.compare_digest(value.encode(), presented.encode()[:64]):
                return name
        return None

    def note(self, text: str, **data: Any) -> None:
        """A line of the umpire's log (the teams never see it)."""
        self.log.append({"time": time.strftime("%H:%M:%S"), "turn": self.game.turn,
                         "text": text, **data})

    def changed(self) -> None:
        self.version += 1
        save.save(self.save_path, self.game, self.loaded, fog=True, session=self.open_turn())

    # --------------------------------------------------------------------------- orders

    def _open(self) -> None:
        if self.game.over:
            raise UsageError("the game is over: no more orders")

    def _in_time(self) -> None:
        """Orders stand as they were at the deadline: the ticker may adjudicate a moment
        later, and a late submit or withdraw must not slip into the turn in between."""
        self._open()
        if self.clock.expired():
            raise UsageError(f"the time for turn {self.game.turn} is up: orders can no longer "
                             "be submitted or withdrawn (the turn is adjudicated with the "
                             "orders submitted by the deadline)")

    def check_lines(self, team: str, lines: list[str]) -> list[dict[str, Any]]:
        """Check each line as typed, against the situation after the lines before it."""
        accepted: list[Order] = []
        out: list[dict[str, Any]] = []
        for line in lines[:200]:
            if not line.strip():
                out.append({"line": line, "ok": None})
                continue
            try:
                order = parse_line(line)
                self.game.check(team, [*accepted, order])
            except OrdersError as exc:
                # The same message as the terminal's, without its "order N (...): " prefix.
                why = re.sub(r"^order \d+ \(.*?\): ", "", str(exc))
                out.append({"line": line[:200], "ok": False, "error": why})
                continue
            accepted.append(order)
            out.append({"line": line[:200], "ok": True, "order": order.text()})
        return out

    def submit(self, team: str, lines: list[str]) -> list[Order]:
        """All of the team's orders for the turn, checked together (all or nothing)."""
        self._in_time()
        if len(lines) > 200:
            raise OrdersError("at most 200 orders a turn")
        orders = [parse_line(x) for x in lines if x.strip()]
        self.game.check(team, orders)
        self.orders[team], self.submitted[team] = orders, True
        self.note(f"{team} submitted {len(orders)} orders", team=team)
        self.changed()
        return orders

    def withdraw(self, team: str) -> None:
        self._in_time()
        self.submitted[team] = False
        self.note(f"{team} withdrew its orders", team=team)
        self.changed()

    def veto(self, team: str, index: int, note: str) -> None:
        self._open()
        if not 0 <= index < len(self.orders[team]):
            raise OrdersError(f"{team} has no order {index + 1}")
        order = self.orders[team].pop(index)
        self.vetoes[team].append({"order": order.text(), "note": note[:500]})
        self.note(f"vetoed {team}'s order {index + 1} ({order.text()}): {note}", team=team)
        self.changed()

    def amend(self, team: str, index: int, line: str, note: str) -> None:
        self._open()
        if not 0 <= index < len(self.orders[team]):
            raise OrdersError(f"{team} has no order {index + 1}")
        new = list(self.orders[team])
        old, new[index] = new[index], parse_line(line)
        self.game.check(team, new)
        self.orders[team] = new
        self.vetoes[team].append({"order": old.text(), "note": f"amended to {new[index].text()}"
                                  + (f": {note[:500]}" if note else "")})
        self.note(f"amended {team}'s order {index + 1}: {old.text()} -> {new[index].text()}: "
                  f"{note}", team=team)
        self.changed()

    def inject(self, line: str, note: str) -> str:
        self._open()
        done = self.game.inject(injects.parse_inject_line(line, note[:2000]))
        self.note(f"inject: {done}" + (f" ({note})" if note else ""))
        self.changed()
        return done

    # ----------------------------------------------------------------------------- turns

    def all_submitted(self) -> bool:
        return all(self.submitted.values())

    def advance(self, why: str) -> TurnReport:
        """Adjudicate the turn with the submitted orders (a team that did not submit holds)."""
        self._open()
        orders = {t: (self.orders[t] if self.submitted[t] else []) for t in self.game.teams}
        report = self.game.play_turn(orders)
        self.note(f"turn {report.turn} adjudicated ({why})")
        self.orders = {t: [] for t in self.game.teams}
        self.submitted = dict.fromkeys(self.game.teams, False)
        self.vetoes = {t: [] for t in self.game.teams}
        self.clock.new_turn()
        if self.game.over:
            self.clock.running = False
        self.changed()
        return report

    def due(self) -> str | None:
        """Why the turn should be adjudicated now (deadline, everyone submitted), or None."""
        if self.game.over or not self.clock.running:
            return None
        if self.clock.expired():
            return "deadline"
        if self.all_submitted():
            return "all teams submitted"
        return None

    # ------------------------------------------------------------------------ save/resume

    def open_turn(self) -> dict[str, Any]:
        return OpenTurn(
            orders={t: [to_mapping(o) for o in self.orders[t]] for t in self.game.teams},
            submitted=self.submitted, vetoes=self.vetoes, injects=self.game.pending_injects,
            log=self.log, minutes=self.clock.minutes, remaining=self.clock.left(),
            running=self.clock.running).model_dump(mode="json")

    def restore(self, saved: dict[str, Any] | None) -> None:
        """Take up the open turn of a save (its injects are applied again)."""
        if not saved:
            return
        try:
            turn = OpenTurn.model_validate(saved)
        except PydanticError as exc:
            err = exc.errors()[0]
            raise save.SaveError(f"{self.save_path}: session."
                                 f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}, got "
                                 f"{quote(err.get('input'))}") from None
        for item in turn.injects:
            self.game.inject(injects.parse_inject(item, "session.injects"))
        for team in self.game.teams:
            self.orders[team] = parse_list(turn.orders.get(team, []), f"session: {team}")
            self.submitted[team] = bool(turn.submitted.get(team, False))
            self.vetoes[team] = list(turn.vetoes.get(team, []))
        self.log = list(turn.log)
        self.clock = Clock(self.minutes, remaining=turn.remaining)
        self.note("the server restarted; the game resumed from its save")


def open_session(loaded: LoadedScenario, game: Game, save_path: Path, minutes: float,
                 saved: dict[str, Any] | None = None) -> Session:
    """A session for `game`, taking up the open turn of `saved` (a save's session field)."""
    session = Session(game, loaded, save.check_target(save_path), minutes)
    session.restore(saved)
    session.changed()
    return session
