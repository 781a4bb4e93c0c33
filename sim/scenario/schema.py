"""The scenario format: frozen, typed, fully described pydantic models.

A scenario file is validated once, at the edge, into these objects; the engine never sees raw
YAML. Every numeric quantity is a :class:`Fact`: a value with its provenance (source id, date
reported, note, or ``assumption: true``) and an optional uncertainty range with a distribution.
Cross-references (unknown actor, region or source) are checked in :mod:`sim.scenario.refs`,
which knows
the whole scenario; this module checks each object on its own.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)


class Frozen(BaseModel):
    """Base of every scenario object: immutable, unknown fields rejected, fields documented."""

    # NaN and infinity are never meaningful here and slip past every range check.
    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, allow_inf_nan=False
    )


# --------------------------------------------------------------------------------------------
# Facts: numbers with provenance and uncertainty
# --------------------------------------------------------------------------------------------


class Dist(StrEnum):
    """How a ranged fact is sampled in a Monte Carlo replication (see docs/scenario-format.md)."""

    uniform = "uniform"
    triangular = "triangular"
    pert = "pert"
    normal = "normal"
    lognormal = "lognormal"


class Fact(Frozen):
    """A number with its provenance and, when sources disagree, its range."""

    value: float = Field(description="Best estimate; used as-is in a single run.")
    low: float | None = Field(None, description="Lower end of the plausible range.")
    high: float | None = Field(None, description="Upper end of the plausible range.")
    dist: Dist | None = Field(
        None,
        description="Distribution over [low, high] (default triangular with mode = value). "
        "For normal and lognormal, low and high are the 5th and 95th percentiles.",
    )
    source: str | None = Field(None, description="Id of the source in `sources` that reports it.")
    reported: dt.date | None = Field(None, description="Date the source reported the number.")
    note: str | None = Field(None, description="Why this value, how sources disagree, caveats.")
    assumption: bool = Field(False, description="True when the number is the analyst's judgement.")

    @model_validator(mode="before")
    @classmethod
    def _plain_number(cls, data: Any) -> Any:
        # A plain `2000` is shorthand for `{value: 2000}`; bool is not a number here.
        if isinstance(data, int | float) and not isinstance(data, bool):
            return {"value": data}
        return data

    @model_validator(mode="after")
    def _range_is_consistent(self) -> Fact:
        if (self.low is None) != (self.high is None):
            raise ValueError("give both low and high, or neither")
        if self.low is not None and self.high is not None:
            if self.low > self.high:
                raise ValueError(f"low ({self.low:g}) is above high ({self.high:g})")
            if not self.low <= self.value <= self.high:
                raise ValueError(
                    f"value {self.value:g} is outside its own range "
                    f"(allowed {self.low:g} <= value <= {self.high:g})"
                )
            if self.dist is Dist.lognormal and self.low <= 0:
                raise ValueError(f"lognormal needs low > 0 (got low {self.low:g})")
        elif self.dist is not None:
            raise ValueError(f"dist '{self.dist}' needs a range: give low and high")
        return self

    @property
    def uncertain(self) -> bool:
        return self.low is not None and self.high is not None and self.high > self.low


def _bounded(lo: float | None, hi: float | None, what: str) -> AfterValidator:
    """A validator that keeps a fact's value and range within [lo, hi]."""

    def check(fact: Fact) -> Fact:
        for name in ("value", "low", "high"):
            v = getattr(fact, name)
            if v is None:
                continue
            if lo is not None and v < lo:
                raise ValueError(f"{what} {name} must be >= {lo:g} (got {v:g})")
            if hi is not None and v > hi:
                raise ValueError(f"{what} {name} must be <= {hi:g} (got {v:g})")
        return fact

    return AfterValidator(check)


Count = Annotated[Fact, _bounded(0, None, "a count")]
"""A non-negative quantity: personnel, people, sorties, money."""
Share = Annotated[Fact, _bounded(0, 1, "a share")]
"""A number in [0, 1]: readiness, morale, intelligence, probability."""
Positive = Annotated[Fact, _bounded(0, None, "a factor")]
"""A non-negative multiplier such as quality (1 = baseline)."""
Delta = Fact
"""A signed change (e.g. morale -0.2)."""

Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]


def _fact(value: float) -> Any:
    return Field(default_factory=lambda: Fact(value=value))


# --------------------------------------------------------------------------------------------
# Metadata and sources
# --------------------------------------------------------------------------------------------


class Meta(Frozen):
    """What the scenario is, as of when, and how long it runs."""

    id: Id = Field(description="Short identifier, used in result folder names.")
    title: str = Field(description="Title shown in reports.")
    description: str = Field("", description="What question the scenario explores.")
    as_of: dt.date = Field(description="Date of the situation described; day 0 of the run.")
    horizon_days: int = Field(gt=0, le=3650, description="Days simulated (unit: days).")
    step_days: int = Field(1, ge=1, le=30, description="Length of one model step (unit: days).")
    geography_source: str | None = Field(
        None, description="Source id for region coordinates and link distances."
    )


class Source(Frozen):
    """One entry of the bibliography."""

    outlet: str = Field(description="Publisher or outlet (e.g. Reuters).")
    title: str = Field("", description="Title of the article or document.")
    date: dt.date | None = Field(None, description="Publication date.")
    url: str = Field("", description="Where it can be read.")
    note: str = Field("", description="What it says that we use, and how reliable it is.")


# --------------------------------------------------------------------------------------------
# Actors
# --------------------------------------------------------------------------------------------


class ActorKind(StrEnum):
    state = "state"
    armed_group = "armed_group"
    organisation = "organisation"


class Forces(Frozen):
    """Military means. Garrisons are given per region; `reserve` is what is not yet placed."""

    reserve: Count = Field(
        default_factory=lambda: Fact(value=0),
        description="Personnel available but not in any region (unit: persons).",
    )
    readiness: Share = Field(
        default_factory=lambda: Fact(value=1),
        description="Share of paper strength actually present and willing to fight (0-1).",
    )
    quality: Positive = Field(
        default_factory=lambda: Fact(value=1),
        description="Combat effectiveness per person relative to a baseline of 1 "
        "(training, equipment, leadership).",
    )
    morale: Share = Field(
        default_factory=lambda: Fact(value=0.6), description="Will to fight, 0-1."
    )
    air_strikes: Count = Field(
        default_factory=lambda: Fact(value=0),
        description="Air-strike capacity (unit: sorties per day).",
    )
    intelligence: Share = Field(
        default_factory=lambda: Fact(value=0.3),
        description="Quality of intelligence, 0-1: surprise, targeting and what it sees.",
    )
    entry_regions: list[Id] = Field(
        default_factory=list,
        description="Regions where reserves and reinforcements enter (default: regions it "
        "holds a garrison in).",
    )


class Economy(Frozen):
    """Money and manpower flows."""

    funds: Count = Field(
        default_factory=lambda: Fact(value=0), description="Money at day 0 (unit: USD million)."
    )
    income_per_day: Count = Field(
        default_factory=lambda: Fact(value=0),
        description="Income (unit: USD million per day).",
    )
    upkeep_per_soldier_day: Count = Field(
        default_factory=lambda: Fact(value=0),
        description="Cost of keeping one person in the field one day (unit: USD).",
    )
    recruitment_per_day: Count = Field(
        default_factory=lambda: Fact(value=0),
        description="New personnel per day while funds last (unit: persons per day), "
        "including foreign fighters.",
    )


class GoalKind(StrEnum):
    hold = "hold"
    take = "take"
    protect = "protect"
    defeat = "defeat"
    limit_influence = "limit_influence"


class Goal(Frozen):
    """A weighted objective. Regions for hold/take/protect; actors for defeat/limit_influence."""

    kind: GoalKind = Field(description="hold | take | protect | defeat | limit_influence.")
    region: Id | None = Field(None, description="Region for hold, take and protect.")
    actor: Id | None = Field(None, description="Actor for defeat and limit_influence.")
    asset: str | None = Field(None, description="Named asset protected (a shrine, a dam...).")
    weight: float = Field(1.0, ge=0, description="Relative importance, >= 0.")

    @model_validator(mode="after")
    def _target_matches_kind(self) -> Goal:
        needs_region = self.kind in (GoalKind.hold, GoalKind.take, GoalKind.protect)
        if needs_region and self.region is None:
            raise ValueError(f"a '{self.kind}' goal needs a region")
        if not needs_region and self.actor is None:
            raise ValueError(f"a '{self.kind}' goal needs an actor")
        return self


class Actor(Frozen):
    """A state, armed group or international organisation."""

    name: str = Field(description="Display name.")
    kind: ActorKind = Field(description="state | armed_group | organisation.")
    color: str = Field("#888888", description="Colour in charts (CSS colour).")
    description: str = Field("", description="Who they are.")
    forces: Forces = Field(default_factory=Forces, description="Military means.")
    economy: Economy = Field(default_factory=Economy, description="Money and manpower.")
    casualty_tolerance: Share = Field(
        default_factory=lambda: Fact(value=0.3),
        description="Share of its strength it accepts to lose before it stops attacking (0-1).",
    )
    rationality: Positive = Field(
        default_factory=lambda: Fact(value=4),
        description="Sharpness of its choices: 0 picks actions at random, large values pick "
        "the best-scoring action (logit choice).",
    )
    aggression: Share = Field(
        default_factory=lambda: Fact(value=0.5),
        description="Propensity to attack rather than hold, 0-1.",
    )
    playable: bool = Field(True, description="Whether a wargame team may play it.")
    goals: list[Goal] = Field(default_factory=list, description="Weighted objectives.")


# --------------------------------------------------------------------------------------------
# Regions and links
# --------------------------------------------------------------------------------------------


class Terrain(StrEnum):
    urban = "urban"
    open = "open"
    desert = "desert"
    rough = "rough"
    mountain = "mountain"
    marsh = "marsh"
    forest = "forest"


class Posture(StrEnum):
    """Defender posture, as in Dupuy's QJM and CDB90: hasty, prepared or fortified defence."""

    hasty = "hasty"
    prepared = "prepared"
    fortified = "fortified"


class Region(Frozen):
    """A place on the map that can be held: a city, a district or a border crossing."""

    name: str = Field(description="Display name.")
    lat: float = Field(ge=-90, le=90, description="Latitude (degrees).")
    lon: float = Field(ge=-180, le=180, description="Longitude (degrees).")
    country: str = Field("", description="Country it lies in (for display).")
    population: Count = Field(
        default_factory=lambda: Fact(value=0), description="Inhabitants (unit: persons)."
    )
    terrain: Terrain = Field(description="Dominant terrain of the fighting.")
    posture: Posture = Field(Posture.hasty, description="Defences its holder starts with.")
    value: Positive = Field(
        default_factory=lambda: Fact(value=1),
        description="Strategic value (1 = ordinary town); weights territory and goals.",
    )
    controller: Id | None = Field(None, description="Actor holding it at day 0 (none: contested).")
    garrisons: dict[Id, Count] = Field(
        default_factory=dict, description="Personnel of each actor in the region at day 0."
    )
    assets: list[str] = Field(default_factory=list, description="Named assets (a dam, a shrine).")


class Link(Frozen):
    """A road between two regions along which forces move."""

    between: tuple[Id, Id] = Field(description="The two regions it joins.")
    km: float = Field(gt=0, le=5000, description="Road distance (unit: km).")
    river: bool = Field(False, description="Whether an attack along it crosses a river.")

    @field_validator("between")
    @classmethod
    def _distinct(cls, v: tuple[str, str]) -> tuple[str, str]:
        if v[0] == v[1]:
            raise ValueError(f"a link joins two different regions (got {v[0]} twice)")
        return v


# --------------------------------------------------------------------------------------------
# Conditions (declarative, never eval) for support and events
# --------------------------------------------------------------------------------------------


class EnemyWithin(Frozen):
    region: Id = Field(description="Region watched.")
    links: int = Field(1, ge=0, le=10, description="Within this many links of the region.")
    of: Id = Field(description="Actor whose enemies (stance war) are watched for.")


class ActorRegion(Frozen):
    actor: Id = Field(description="Actor.")
    region: Id = Field(description="Region.")


class StrengthBelow(Frozen):
    actor: Id = Field(description="Actor.")
    share: float = Field(ge=0, le=1, description="Share of its day-0 strength.")


class Condition(Frozen):
    """Exactly one of the keys below. Combine with all / any / not."""

    enemy_within: EnemyWithin | None = Field(
        None, description="An enemy of `of` has forces within `links` links of `region`."
    )
    controls: ActorRegion | None = Field(None, description="`actor` controls `region`.")
    lost: ActorRegion | None = Field(
        None, description="`actor` controlled `region` at day 0 and no longer does."
    )
    strength_below: StrengthBelow | None = Field(
        None, description="`actor`'s strength is below `share` of its day-0 strength."
    )
    day_at_least: int | None = Field(None, ge=0, description="The day is at least this.")
    all: list[Condition] | None = Field(None, description="Every condition holds.")
    any: list[Condition] | None = Field(None, description="At least one condition holds.")
    not_: Condition | None = Field(None, alias="not", description="The condition does not hold.")

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        set_keys = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(set_keys) != 1:
            allowed = "enemy_within, controls, lost, strength_below, day_at_least, all, any, not"
            raise ValueError(f"give exactly one condition (got {len(set_keys)}; allowed {allowed})")
        return self


# --------------------------------------------------------------------------------------------
# Relations and support
# --------------------------------------------------------------------------------------------


class Stance(StrEnum):
    alliance = "alliance"
    cooperation = "cooperation"
    neutrality = "neutrality"
    rivalry = "rivalry"
    war = "war"


class SupportKind(StrEnum):
    troops = "troops"
    air_strikes = "air_strikes"
    intelligence = "intelligence"
    money = "money"


class Support(Frozen):
    """A commitment from one actor to another. Units depend on `kind`:
    troops: persons in all; air_strikes: sorties per day; intelligence: added share (0-1);
    money: USD million per day."""

    from_: Id = Field(alias="from", description="Actor giving.")
    to: Id = Field(description="Actor receiving.")
    kind: SupportKind = Field(description="troops | air_strikes | intelligence | money.")
    amount: Count = Field(description="How much (unit depends on kind, see above).")
    start_day: int = Field(0, ge=0, description="First day it flows.")
    end_day: int | None = Field(None, ge=0, description="Last day it flows (default: horizon).")
    ramp_days: int = Field(
        1, ge=1, description="Troops arrive evenly over this many days (unit: days)."
    )
    region: Id | None = Field(
        None, description="Where troops arrive / where strikes are flown (default: the "
        "receiver's most threatened region)."
    )
    condition: Condition | None = Field(None, description="Flows only while this holds.")
    source: str | None = Field(None, description="Source id for the commitment.")
    note: str = Field("", description="Context.")

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> Support:
        if self.end_day is not None and self.end_day < self.start_day:
            raise ValueError(f"end_day ({self.end_day}) is before start_day ({self.start_day})")
        return self


class Relation(Frozen):
    """The stance between two actors and the support between them."""

    between: tuple[Id, Id] = Field(description="The two actors.")
    stance: Stance = Field(description="alliance | cooperation | neutrality | rivalry | war.")
    source: str | None = Field(None, description="Source id for the stance.")
    note: str = Field("", description="Context.")
    support: dict[Id, Support] = Field(default_factory=dict, description="Commitments by id.")


# --------------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------------


class Reinforce(Frozen):
    actor: Id = Field(description="Actor receiving the troops.")
    region: Id = Field(description="Where they arrive.")
    personnel: Count = Field(description="How many (unit: persons).")


class ActorDelta(Frozen):
    actor: Id = Field(description="Actor affected.")
    delta: Delta = Field(description="Signed change.")


class SetStance(Frozen):
    between: tuple[Id, Id] = Field(description="The two actors.")
    stance: Stance = Field(description="New stance.")


class AirStrike(Frozen):
    actor: Id = Field(description="Actor striking.")
    region: Id = Field(description="Region struck.")
    target: Id = Field(description="Actor whose forces are struck.")
    sorties: Count = Field(description="Sorties flown (unit: sorties).")


class Handover(Frozen):
    region: Id = Field(description="Region handed over.")
    actor: Id = Field(description="New controller.")


class Effect(Frozen):
    """Exactly one of the keys below."""

    reinforce: Reinforce | None = Field(None, description="Troops arrive in a region.")
    morale: ActorDelta | None = Field(None, description="Change an actor's morale.")
    readiness: ActorDelta | None = Field(None, description="Change an actor's readiness.")
    funds: ActorDelta | None = Field(None, description="Change an actor's funds (USD million).")
    air_capacity: ActorDelta | None = Field(
        None, description="Change an actor's air-strike capacity (sorties per day)."
    )
    set_stance: SetStance | None = Field(None, description="Change a relation's stance.")
    air_strike: AirStrike | None = Field(None, description="A one-off air strike.")
    handover: Handover | None = Field(None, description="A region changes hands without a fight.")

    @model_validator(mode="after")
    def _exactly_one(self) -> Effect:
        set_keys = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(set_keys) != 1:
            allowed = ", ".join(type(self).model_fields)
            raise ValueError(f"give exactly one effect (got {len(set_keys)}; allowed {allowed})")
        return self


class Event(Frozen):
    """Something that happens on a day, or when a condition holds, with a probability."""

    description: str = Field("", description="What happens.")
    on_day: int | None = Field(None, ge=0, description="Scheduled day.")
    when: Condition | None = Field(None, description="Trigger condition, checked every step.")
    probability: Share = Field(
        default_factory=lambda: Fact(value=1),
        description="Chance it happens when due (per replication, once).",
    )
    source: str | None = Field(None, description="Source id.")
    effects: list[Effect] = Field(min_length=1, description="What it does.")

    @model_validator(mode="after")
    def _has_timing(self) -> Event:
        if self.on_day is None and self.when is None:
            raise ValueError("an event needs on_day, when, or both")
        return self


# --------------------------------------------------------------------------------------------
# Outcomes
# --------------------------------------------------------------------------------------------


class OutcomeKind(StrEnum):
    control = "control"
    territory = "territory"
    strength = "strength"
    casualties = "casualties"
    goal = "goal"


class Outcome(Frozen):
    """A named measurement taken from every replication (declarative, never code).

    control: 1 when any actor in `by` controls `region` (at `day`, or at any time with `ever`);
    territory: `actor`'s share of total strategic value held; strength: `actor`'s personnel;
    casualties: `actor`'s cumulative losses; goal: 1 when `actor`'s goal number `goal` is met.
    """

    kind: OutcomeKind = Field(description="control | territory | strength | casualties | goal.")
    label: str = Field("", description="Human label, e.g. 'Baghdad falls'.")
    region: Id | None = Field(None, description="Region (control).")
    by: list[Id] = Field(default_factory=list, description="Actors counted as controlling.")
    actor: Id | None = Field(None, description="Actor (territory, strength, casualties, goal).")
    goal: int | None = Field(None, ge=0, description="Index of the actor's goal (goal).")
    day: int | None = Field(None, ge=0, description="Day measured (default: horizon).")
    ever: bool = Field(False, description="control: true if it held at any day up to `day`.")

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Outcome:
        if self.kind is OutcomeKind.control:
            if self.region is None or not self.by:
                raise ValueError("a control outcome needs region and by")
        elif self.actor is None:
            raise ValueError(f"a {self.kind} outcome needs actor")
        if self.kind is OutcomeKind.goal and self.goal is None:
            raise ValueError("a goal outcome needs goal (the index of the actor's goal)")
        return self

    @property
    def is_binary(self) -> bool:
        return self.kind in (OutcomeKind.control, OutcomeKind.goal)


# --------------------------------------------------------------------------------------------
# Variants and the scenario
# --------------------------------------------------------------------------------------------


class Variant(Frozen):
    """A named what-if: overrides of any fact, event or relation, by dotted path."""

    title: str = Field(description="Short title.")
    description: str = Field("", description="What changes and why it is worth asking.")
    set: dict[str, Any] = Field(
        description="Dotted path -> new value, e.g. `actors.iran.forces.reserve: 20000` or "
        "`events.syrian-strikes.probability: 0`. Paths are checked like the rest of the file."
    )


class Scenario(Frozen):
    """A whole scenario file after `extends:` and any variant have been applied."""

    scenario: Meta = Field(description="What the scenario is.")
    sources: dict[Id, Source] = Field(default_factory=dict, description="Bibliography by id.")
    actors: dict[Id, Actor] = Field(min_length=1, description="Actors by id.")
    regions: dict[Id, Region] = Field(min_length=1, description="Regions by id.")
    links: list[Link] = Field(default_factory=list, description="Roads between regions.")
    relations: dict[Id, Relation] = Field(
        default_factory=dict, description="Relations by id (unlisted pairs are neutral)."
    )
    events: dict[Id, Event] = Field(default_factory=dict, description="Events by id.")
    outcomes: dict[Id, Outcome] = Field(default_factory=dict, description="Outcomes by id.")
    variants: dict[Id, Variant] = Field(default_factory=dict, description="What-ifs by id.")


TOP_LEVEL_ONLY_IN_FILES = ("extends",)
"""Keys a file may carry that are resolved by the loader and are not part of `Scenario`."""

_EXTENDS = {
    "type": "string",
    "description": "Path (relative to this file) of the scenario this file changes. Mappings "
    "merge key by key onto it; lists and plain values replace.",
}


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of scenario files, for editors and other tools.

    It is `Scenario.model_json_schema()` with two changes that the loader makes true:
    a fact may be written as a plain number, and a file with `extends:` may give any part of
    a scenario (it is deep-merged onto its base), so nothing is required in it.
    """
    schema = Scenario.model_json_schema(by_alias=True)
    defs: dict[str, Any] = schema.pop("$defs")
    defs["Fact"] = {"anyOf": [{"type": "number"}, defs["Fact"]],
                    "description": defs["Fact"].get("description", "")}
    full = {**schema, "properties": {**schema["properties"]}}
    partial = _without_required({**schema, "properties": {**schema["properties"],
                                                          "extends": _EXTENDS}})
    partial["required"] = ["extends"]
    for name, body in list(defs.items()):
        defs[f"Partial{name}"] = _without_required(body)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "geosim scenario",
        "description": "A geosim scenario file (see docs/scenario-format.md).",
        "$defs": {**defs, "Scenario": full, "PartialScenario": partial},
        "if": {"required": ["extends"]},
        "then": {"$ref": "#/$defs/PartialScenario"},
        "else": {"$ref": "#/$defs/Scenario"},
    }


def _without_required(node: Any) -> Any:
    """A copy of a schema with no `required` lists and $refs pointing at Partial definitions."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "required":
                continue
            if k == "$ref" and isinstance(v, str):
                v = v.replace("#/$defs/", "#/$defs/Partial")
            out[k] = _without_required(v)
        return out
    if isinstance(node, list):
        return [_without_required(v) for v in node]
    return node
