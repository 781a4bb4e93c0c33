"""The umpire's injects: fire an event, change a stance, add support from outside the game.

Typed in the umpire console, one per line::

    event iran_surge_samarra          fire one of the scenario's events now (its effects)
    stance usa iran cooperation       set the relation between two actors (both ways)
    support iraq money 100            funds (USD million) from outside the game
    support iraq air_strikes 5        own air capacity (sorties/day) for good
    support kurds intelligence 0.1    own intelligence (share, at most 1) for good
    support kurds troops 2000 erbil   personnel into a region (no region: the reserve)

An inject changes the game's state at once and is saved with the turn (with its note), so a
resumed game replays it before that turn's orders. Events and stance changes are public (they
appear in the turn report); support from outside is known to the umpire only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from sim.errors import OrdersError
from sim.model.compile import STANCE_CODES
from sim.model.events import apply_effect
from sim.scenario.schema import Stance, SupportKind
from sim.wargame.orders import quote
from sim.wargame.rules import _actor, _mix_in, _region, friendly_ground

if TYPE_CHECKING:
    from sim.wargame.game import Game


class _Inject(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    note: str = Field("", max_length=2000, description="The umpire's reason (umpire-only).")


class EventInject(_Inject):
    kind: Literal["event"] = "event"
    event: str = Field(max_length=200, description="Id of a scenario event.")


class StanceInject(_Inject):
    kind: Literal["stance"] = "stance"
    actor: str = Field(max_length=200)
    other: str = Field(max_length=200)
    stance: Stance


class SupportInject(_Inject):
    kind: Literal["support"] = "support"
    to: str = Field(max_length=200)
    resource: SupportKind
    amount: float = Field(gt=0, le=1e9)
    region: str | None = Field(None, max_length=200)


Inject = Annotated[EventInject | StanceInject | SupportInject, Field(discriminator="kind")]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Inject)

USAGE = ("event EVENT | stance ACTOR OTHER STANCE | support ACTOR money|air_strikes|"
         "intelligence|troops AMOUNT [REGION]")


def parse_inject(item: Any, where: str = "inject") -> Any:
    """An inject from its saved mapping; OrdersError naming `where` and the problem."""
    try:
        return _ADAPTER.validate_python(item)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise OrdersError(f"{where}: {loc}: {err['msg']}, got {quote(err.get('input'))}"
                          ) from None


def parse_inject_line(line: str, note: str = "") -> Any:
    """An inject typed in the console, e.g. ``support iraq money 100``."""
    words = line.split()
    shapes = {"event": ("event",), "stance": ("actor", "other", "stance"),
              "support": ("to", "resource", "amount", "region")}
    if not words or words[0].lower() not in shapes:
        raise OrdersError(f"{quote(line.strip())}: expected {USAGE}")
    kind, fields = words[0].lower(), shapes[words[0].lower()]
    args = words[1:]
    if not (len(fields) - (kind == "support") <= len(args) <= len(fields)):
        raise OrdersError(f"{quote(line.strip())}: expected {USAGE}")
    body: dict[str, Any] = {"kind": kind, "note": note}
    for name, value in zip(fields, args, strict=False):
        body[name] = value.replace(",", "") if name == "amount" else value.lower()
    return parse_inject(body, "inject")


def to_mapping(inject: Any) -> dict[str, Any]:
    return dict(inject.model_dump(mode="json"))


def text(inject: Any) -> str:
    if isinstance(inject, EventInject):
        return f"event {inject.event}"
    if isinstance(inject, StanceInject):
        return f"stance {inject.actor} {inject.other} {inject.stance.value}"
    return (f"support {inject.to} {inject.resource.value} {inject.amount:,.4g}"
            + (f" {inject.region}" if inject.region else ""))


def apply_inject(game: Game, inject: Any) -> str:
    """Apply `inject` to the game's state now; return what was done, for the umpire's log."""
    m = game.model
    if isinstance(inject, EventInject):
        ids = [ev.id for ev in m.compiled.events]
        if inject.event not in ids:
            raise OrdersError(f"unknown event {quote(inject.event)} (events: {', '.join(ids)})")
        e = ids.index(inject.event)
        ev = m.compiled.events[e]
        for eff in ev.effects:
            apply_effect(m, eff, np.array([0]))  # the engine's own rule for each effect
        m.state.event_done[0, e] = True
        m.log.event(ev)
        return f"fired event {ev.id}"
    if isinstance(inject, StanceInject):
        a, b = _actor(m, inject.actor), _actor(m, inject.other)
        if a == b:
            raise OrdersError("a stance is between two different actors")
        m.state.stance[:, a, b] = m.state.stance[:, b, a] = STANCE_CODES[inject.stance]
        m.stances_changed()
        names = m.compiled.actor_ids
        m.log.note(f"{names[a]} and {names[b]} are now at {inject.stance.value}.",
                   kind="diplomacy", actor=names[a], other=names[b])
        return f"set {names[a]}-{names[b]} to {inject.stance.value}"
    return _support(game, inject)


def _support(game: Game, inject: SupportInject) -> str:
    m = game.model
    s, b = m.state, _actor(m, inject.to)
    x, what = inject.amount, inject.resource
    if what is SupportKind.money:
        s.funds[0, b] += x
    elif what is SupportKind.air_strikes:
        s.air[0, b] += x
    elif what is SupportKind.intelligence:
        if x > 1:
            raise OrdersError("intelligence is a share: amount at most 1")
        s.intel[0, b] = min(1.0, float(s.intel[0, b]) + x)
    elif inject.region is None:
        s.reserve[0, b] += x
    else:
        g = _region(m, inject.region)
        if not friendly_ground(m, b)[g]:
            raise OrdersError(f"{m.compiled.region_ids[g]} is not held by "
                              f"{m.compiled.actor_ids[b]} or a friend: troops enter friendly "
                              "ground")
        _mix_in(m, b, g, x, float(s.morale0[0, b]))
    return f"gave {m.compiled.actor_ids[b]} {what.value} {x:,.4g}" + (
        f" in {inject.region}" if inject.region else "")
