"""The order language of the wargame: frozen pydantic models, and their two spellings.

A team's turn is a list of orders. Typed at the prompt, one per line::

    attack tikrit                    launch an offensive on a region next to your forces
    move baghdad samarra 2000        move personnel along a road between friendly regions
    reserve baqubah 1000             commit personnel from your reserve to a friendly region
    strike tikrit                    direct this turn's air sorties at a region
    support iraq money 5             send support (troops | money | intelligence | air_strikes)
    stance usa cooperation           change your relation with an actor
    advisers iraq 100                embed advisers with a partner's forces (readiness)
    arms iraq 20                     deliver arms worth USD million to a partner (quality)
    start us_air_strikes             begin one of your support commitments now
    stop iran_troops                 suspend one of your support commitments
    ceasefire isis                   offer a ceasefire to an actor you are at war with
    accept kurds | refuse kurds      answer a ceasefire offer made to you
    hold                             no offensive this turn

In an orders file (YAML), the same orders as a list of one-key mappings::

    - attack: tikrit
    - move: {from: baghdad, to: samarra, personnel: 2000}
    - commit_reserve: {region: baqubah, personnel: 1000}
    - air_strike: {region: tikrit}
    - support: {to: iraq, kind: money, amount: 5}
    - stance: {actor: usa, stance: cooperation}
    - advisers: {to: iraq, personnel: 100}
    - arms: {to: iraq, amount: 20}
    - start: us_air_strikes
    - stop: iran_troops
    - ceasefire: isis
    - accept: kurds
    - hold

This module only parses; whether an order is possible in the game's situation is checked by
:mod:`sim.wargame.game`.
"""

from __future__ import annotations

import reprlib
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.errors import OrdersError
from sim.scenario.schema import Stance, SupportKind

_QUOTE = reprlib.Repr(maxlevel=3, maxstring=60, maxother=60, maxlist=4, maxdict=4)
QUOTE_LIMIT = 120  # characters of a user's input a message repeats, at most


def quote(value: Any) -> str:
    """A short representation of `value` for a message: nested and repeated structures (YAML
    aliases can make a 400-byte file a billion-element tree) are cut, never expanded."""
    text = value if isinstance(value, str) else _QUOTE.repr(value)
    if isinstance(value, str):
        text = repr(text if len(text) <= QUOTE_LIMIT else text[:QUOTE_LIMIT] + "...")
    return text if len(text) <= QUOTE_LIMIT + 10 else text[:QUOTE_LIMIT] + "..."


class _Order(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Attack(_Order):
    """Launch an offensive on `region` from your forces in it and next to it."""

    kind: Literal["attack"] = "attack"
    region: str = Field(max_length=100, description="Region attacked.")

    def text(self) -> str:
        return f"attack {self.region}"


class Move(_Order):
    """Move `personnel` along a road from one region to a neighbouring one."""

    kind: Literal["move"] = "move"
    from_: str = Field(max_length=100, alias="from", description="Region the forces leave.")
    to: str = Field(max_length=100, description="Neighbouring region held by you or an ally.")
    personnel: float = Field(gt=0, description="How many (persons).")

    def text(self) -> str:
        return f"move {self.from_} -> {self.to} {self.personnel:,.0f}"


class CommitReserve(_Order):
    """Place `personnel` from the reserve in `region` (held by you or an ally)."""

    kind: Literal["commit_reserve"] = "commit_reserve"
    region: str = Field(max_length=100, description="Region the reserve enters.")
    personnel: float = Field(gt=0, description="How many (persons).")

    def text(self) -> str:
        return f"reserve {self.region} {self.personnel:,.0f}"


class AirStrike(_Order):
    """Send this turn's sorties against the enemy forces in `region`."""

    kind: Literal["air_strike"] = "air_strike"
    region: str = Field(max_length=100, description="Region struck.")

    def text(self) -> str:
        return f"strike {self.region}"


class SupportOrder(_Order):
    """Send support to another actor, within your means (see the units in `--help`)."""

    kind: Literal["support"] = "support"
    to: str = Field(max_length=100, description="Actor receiving.")
    what: SupportKind = Field(alias="kind_of", description="troops | money | intelligence | "
                              "air_strikes.")
    amount: float = Field(gt=0, description="Persons, USD million, added share, or sorties/day.")

    def text(self) -> str:
        return f"support {self.to} {self.what.value} {self.amount:,.4g}"


class StanceOrder(_Order):
    """Change your relation with `actor` (both ways)."""

    kind: Literal["stance"] = "stance"
    actor: str = Field(max_length=100, description="The other actor.")
    stance: Stance = Field(description="alliance | cooperation | neutrality | rivalry | war.")

    def text(self) -> str:
        return f"stance {self.actor} {self.stance.value}"


class Advisers(_Order):
    """Embed `personnel` of yours with `to`'s forces for this turn (raises their readiness)."""

    kind: Literal["advisers"] = "advisers"
    to: str = Field(max_length=100, description="Actor advised (an ally or partner).")
    personnel: float = Field(gt=0, description="Advisers (persons of yours near its forces).")

    def text(self) -> str:
        return f"advisers {self.to} {self.personnel:,.0f}"


class Arms(_Order):
    """Deliver arms worth `amount` USD million from your funds to `to` (raises its quality)."""

    kind: Literal["arms"] = "arms"
    to: str = Field(max_length=100, description="Actor receiving the arms.")
    amount: float = Field(gt=0, description="USD million.")

    def text(self) -> str:
        return f"arms {self.to} {self.amount:,.4g}"


class StartCommitment(_Order):
    """Begin one of your support commitments of the scenario now (whatever its start day)."""

    kind: Literal["start"] = "start"
    commitment: str = Field(max_length=100, description="Id of a support commitment you give.")

    def text(self) -> str:
        return f"start {self.commitment}"


class StopCommitment(_Order):
    """Suspend one of your support commitments from now on (start it again later)."""

    kind: Literal["stop"] = "stop"
    commitment: str = Field(max_length=100, description="Id of a support commitment you give.")

    def text(self) -> str:
        return f"stop {self.commitment}"


class Ceasefire(_Order):
    """Offer a ceasefire to `actor`: war turns to neutrality when it accepts."""

    kind: Literal["ceasefire"] = "ceasefire"
    actor: str = Field(max_length=100, description="An actor you are at war with.")

    def text(self) -> str:
        return f"ceasefire {self.actor}"


class Accept(_Order):
    """Accept the ceasefire `actor` offered you."""

    kind: Literal["accept"] = "accept"
    actor: str = Field(max_length=100, description="The actor whose offer you accept.")

    def text(self) -> str:
        return f"accept {self.actor}"


class Refuse(_Order):
    """Refuse the ceasefire `actor` offered you."""

    kind: Literal["refuse"] = "refuse"
    actor: str = Field(max_length=100, description="The actor whose offer you refuse.")

    def text(self) -> str:
        return f"refuse {self.actor}"


class Hold(_Order):
    """No offensive this turn (moves, reserves, strikes and support still happen)."""

    kind: Literal["hold"] = "hold"

    def text(self) -> str:
        return "hold"


Order = Annotated[Attack | Move | CommitReserve | AirStrike | SupportOrder | StanceOrder
                  | Advisers | Arms | StartCommitment | StopCommitment | Ceasefire | Accept
                  | Refuse | Hold, Field(discriminator="kind")]


class _OrderList(BaseModel):
    orders: list[Order]


# Spellings accepted as the key of an order mapping (and as the first word of a typed line).
ALIASES = {
    "attack": "attack", "move": "move", "commit_reserve": "commit_reserve",
    "reserve": "commit_reserve", "air_strike": "air_strike", "strike": "air_strike",
    "support": "support", "stance": "stance", "hold": "hold", "advisers": "advisers",
    "arms": "arms", "start": "start", "stop": "stop", "ceasefire": "ceasefire",
    "accept": "accept", "refuse": "refuse",
}
WORDS = ("attack", "move", "reserve", "strike", "support", "stance", "advisers", "arms",
         "start", "stop", "ceasefire", "accept", "refuse", "hold")
KEYS = ("attack", "move", "commit_reserve", "air_strike", "support", "stance", "advisers", "arms",
        "start", "stop", "ceasefire", "accept", "refuse", "hold")

# Positional fields of a typed line, per order kind.
_LINE_FIELDS = {
    "attack": ("region",),
    "move": ("from", "to", "personnel"),
    "commit_reserve": ("region", "personnel"),
    "air_strike": ("region",),
    "support": ("to", "kind", "amount"),
    "stance": ("actor", "stance"),
    "advisers": ("to", "personnel"),
    "arms": ("to", "amount"),
    "start": ("commitment",),
    "stop": ("commitment",),
    "ceasefire": ("actor",),
    "accept": ("actor",),
    "refuse": ("actor",),
    "hold": (),
}

LINE_USAGE = {
    "attack": "attack REGION", "move": "move FROM TO PERSONNEL",
    "commit_reserve": "reserve REGION PERSONNEL", "air_strike": "strike REGION",
    "support": "support ACTOR troops|money|intelligence|air_strikes AMOUNT",
    "stance": "stance ACTOR alliance|cooperation|neutrality|rivalry|war", "hold": "hold",
    "advisers": "advisers ACTOR PERSONNEL", "arms": "arms ACTOR USD_MILLION",
    "start": "start COMMITMENT", "stop": "stop COMMITMENT", "ceasefire": "ceasefire ACTOR",
    "accept": "accept ACTOR", "refuse": "refuse ACTOR",
}


def _number(text: str) -> float | str:
    """'2,000' and '2000' are numbers; anything else stays text (pydantic then says why)."""
    try:
        return float(text.replace(",", "").replace("_", ""))
    except ValueError:
        return text


def parse_line(line: str) -> Order:
    """Parse one typed order, e.g. ``move baghdad samarra 2000``.

    Raises:
        OrdersError: naming the usage of the order when the line does not fit it.
    """
    words = line.replace("->", " ").split()
    if not words:
        raise OrdersError("empty order")
    kind = ALIASES.get(words[0].lower())
    if kind is None:
        raise OrdersError(f"unknown order {quote(words[0])} (orders: {', '.join(WORDS)}; type "
                          "'help')")
    fields = _LINE_FIELDS[kind]
    args = words[1:]
    if len(args) != len(fields):
        raise OrdersError(f"{quote(line.strip())}: expected '{LINE_USAGE[kind]}'")
    body: dict[str, Any] = {}
    for name, value in zip(fields, args, strict=True):
        numeric = name in ("personnel", "amount")
        body[name] = _number(value) if numeric else value.lower()
    return parse_mapping({kind: body} if fields else kind)


def parse_mapping(item: Any, where: str = "") -> Order:
    """Parse one order written as a YAML item: ``{attack: tikrit}``, ``hold``, ``{move: {...}}``.

    Raises:
        OrdersError: with `where` (e.g. 'order 2') and what is wrong.
    """
    prefix = f"{where}: " if where else ""
    if isinstance(item, str) and ALIASES.get(item.strip().lower()) == "hold":
        return Hold()
    if not isinstance(item, dict) or len(item) != 1:
        raise OrdersError(f"{prefix}an order is one key ({', '.join(KEYS)}), got {quote(item)}")
    key, body = next(iter(item.items()))
    kind = ALIASES.get(str(key).lower())
    if kind is None:
        raise OrdersError(f"{prefix}unknown order {quote(key)} (orders: {', '.join(KEYS)})")
    if kind == "hold":
        return Hold()
    if not isinstance(body, dict):
        fields = _LINE_FIELDS[kind]
        if len(fields) != 1:
            raise OrdersError(f"{prefix}{key} needs a mapping {{{', '.join(fields)}}}")
        body = {fields[0]: body}
    body = dict(body)
    if kind == "support" and "kind" in body:
        body["kind_of"] = body.pop("kind")
    try:
        return _OrderList.model_validate({"orders": [{"kind": kind, **body}]}).orders[0]
    except ValidationError as exc:
        raise OrdersError(prefix + _explain(kind, exc)) from None


def _explain(kind: str, exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        loc = [str(x) for x in err["loc"] if not isinstance(x, int) and x not in ("orders",)]
        loc = [x for x in loc if x != kind]
        field = {"kind_of": "kind", "from_": "from"}.get(loc[-1], loc[-1]) if loc else kind
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "not a field of this order"
        problems.append(f"{field}: {msg}")
    return f"{kind}: " + "; ".join(problems) + f" (usage: {LINE_USAGE[kind]})"


def parse_list(items: Any, source: str = "") -> list[Order]:
    """Parse an orders file's content (a YAML list); messages name `source` and the order."""
    prefix = f"{source}: " if source else ""
    if items is None:
        return []
    if not isinstance(items, list):
        raise OrdersError(f"{prefix}an orders file is a YAML list of orders, e.g. "
                          "'- attack: tikrit'")
    return [parse_mapping(item, f"{prefix}order {i}") for i, item in enumerate(items, 1)]


def to_mapping(order: Order) -> Any:
    """The YAML/JSON form of an order (what save files and orders files hold)."""
    if isinstance(order, Hold):
        return "hold"
    body = order.model_dump(by_alias=True, exclude={"kind"}, mode="json")
    if "kind_of" in body:
        body["kind"] = body.pop("kind_of")
    return {order.kind: body}
