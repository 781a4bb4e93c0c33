"""Conditions, relations with their support, and events with their effects.

Part of the scenario format (re-exported by :mod:`sim.scenario.schema`). Conditions are
declarative data, never code. The campaign additions (CAMPAIGN_SPEC.md): events and supports
carry `source` / `assumption` / `note` like facts, and three effects schedule a change of
posture: `aggression`, `withdraw` and `restrict`.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from sim.scenario.schema_facts import Count, Delta, Fact, Frozen, Id, Share

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
    assumption: bool = Field(
        False, description="True when the commitment is the analyst's judgement."
    )

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


class ActorValue(Frozen):
    actor: Id = Field(description="Actor affected.")
    value: Share = Field(description="New value, 0-1.")


class Withdraw(Frozen):
    actor: Id = Field(description="Actor whose forces leave.")
    regions: list[Id] = Field(min_length=1, description="Regions its forces leave.")


class Restrict(Frozen):
    actor: Id = Field(description="Actor restricted.")
    regions: list[Id] = Field(min_length=1, description="Regions concerned.")
    allow: bool = Field(
        False, description="false: the actor stays out of them from now on; true: lifts "
        "an earlier restriction."
    )


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
    aggression: ActorValue | None = Field(
        None, description="Set an actor's aggression (e.g. 0.1: it pulls back to defend)."
    )
    withdraw: Withdraw | None = Field(None, description="An actor's forces leave regions.")
    restrict: Restrict | None = Field(
        None, description="Keep an actor out of regions (or, allow: true, let it back in)."
    )

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
    assumption: bool = Field(False, description="True when the event is the analyst's judgement.")
    note: str = Field("", description="What the event rests on, caveats.")
    effects: list[Effect] = Field(min_length=1, description="What it does.")

    @model_validator(mode="after")
    def _has_timing(self) -> Event:
        if self.on_day is None and self.when is None:
            raise ValueError("an event needs on_day, when, or both")
        return self
