"""Actors: who fights, with what means, how cohesive, and for what goals.

Part of the scenario format (re-exported by :mod:`sim.scenario.schema`). The campaign fields
(`profile`, `bases`, `restricted_regions`, `forces.personnel_basis`, `forces.cohesion`,
`forces.speed_km_day`, `forces.supply_days`, the `cut` goal) are validated here and documented
in docs/scenario-format.md; the engine reads them as it implements them (CAMPAIGN_SPEC.md).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator, model_validator

from sim.scenario.schema_facts import Count, Fact, Frozen, Id, Positive, Share


class ActorKind(StrEnum):
    state = "state"
    armed_group = "armed_group"
    organisation = "organisation"


class PersonnelBasis(StrEnum):
    """How the file counts an actor's garrisons and reserve."""

    paper = "paper"
    effective = "effective"


class Cohesion(Frozen):
    """Reported will-to-fight signals (RAND: Connable et al., *Will to Fight*, 2018).

    Each is a sourced fact or left out; left out, the actor's profile gives it, else the
    engine's default (docs/model.md).
    """

    effective_share: Share | None = Field(
        None, description="Effective strength over paper strength, 0-1 (ghost soldiers, "
        "absentees)."
    )
    pay: Share | None = Field(
        None, description="0 unpaid for months .. 1 paid regularly."
    )
    desertion_per_day: Share | None = Field(
        None, description="Share of personnel deserting per day in quiet times (unit: 1/day)."
    )
    training: Share | None = Field(None, description="0 untrained .. 1 elite.")
    leadership: Share | None = Field(None, description="0 absent or corrupt .. 1 excellent.")
    commitment: Share | None = Field(
        None, description="Motivation: 0 none .. 1 fanatical or defending home."
    )


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
    personnel_basis: PersonnelBasis = Field(
        PersonnelBasis.effective,
        description="paper | effective: whether this file's garrisons and reserve are paper "
        "strength (the engine then applies cohesion.effective_share) or effective strength.",
    )
    cohesion: Cohesion = Field(
        default_factory=Cohesion, description="Reported will-to-fight signals."
    )
    speed_km_day: Positive | None = Field(
        None, description="Movement along links by road in open ground (unit: km per day; "
        "none: the profile's, else the engine's default)."
    )
    supply_days: Count | None = Field(
        None, description="Days a cut-off force lasts on its stocks (unit: days; none: the "
        "profile's, else the engine's default)."
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
    cut = "cut"


_REGION_GOALS = (GoalKind.hold, GoalKind.take, GoalKind.protect)


class Goal(Frozen):
    """A weighted objective. Regions for hold/take/protect; actors for defeat/limit_influence;
    a link for cut (met when an end of the link is held by the goal's owner or a friend)."""

    kind: GoalKind = Field(description="hold | take | protect | defeat | limit_influence | cut.")
    region: Id | None = Field(None, description="Region for hold, take and protect.")
    actor: Id | None = Field(
        None, description="Actor for defeat and limit_influence; for cut, whose road it is "
        "(optional)."
    )
    link: tuple[Id, Id] | None = Field(
        None, description="cut: the two regions of the link (road) to cut."
    )
    asset: str | None = Field(None, description="Named asset protected (a shrine, a dam...).")
    weight: float = Field(1.0, ge=0, description="Relative importance, >= 0.")

    @model_validator(mode="after")
    def _target_matches_kind(self) -> Goal:
        if self.kind is GoalKind.cut:
            if self.link is None:
                raise ValueError("a 'cut' goal needs a link (the two regions it joins)")
            return self
        if self.link is not None:
            raise ValueError(f"link is only for 'cut' goals (got a '{self.kind}' goal)")
        if self.kind in _REGION_GOALS and self.region is None:
            raise ValueError(f"a '{self.kind}' goal needs a region")
        if self.kind not in _REGION_GOALS and self.actor is None:
            raise ValueError(f"a '{self.kind}' goal needs an actor")
        return self


class Restriction(Frozen):
    """Regions an actor never enters or attacks (a political limit), with its provenance."""

    regions: list[Id] = Field(min_length=1, description="Regions it stays out of.")
    source: str | None = Field(None, description="Source id that reports the restriction.")
    assumption: bool = Field(False, description="True when it is the analyst's judgement.")
    note: str = Field("", description="What the restriction rests on.")

    @model_validator(mode="after")
    def _has_provenance(self) -> Restriction:
        if self.source is None and not self.assumption:
            raise ValueError("a restriction needs source or assumption: true (with a note)")
        return self


class Actor(Frozen):
    """A state, armed group or international organisation."""

    name: str = Field(description="Display name.")
    kind: ActorKind = Field(description="state | armed_group | organisation.")
    color: str = Field("#888888", description="Colour in charts (CSS colour).")
    description: str = Field("", description="Who they are.")
    profile: Id | None = Field(
        None, description="Id of the shared assumption profile (scenarios/profiles/<id>.yaml) "
        "whose facts fill the fields this actor leaves out."
    )
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
    bases: list[Id] = Field(
        default_factory=list,
        description="Regions its supply comes from (default: entry_regions, else the regions "
        "it holds or garrisons on day 0).",
    )
    restricted_regions: Restriction | None = Field(
        None, description="Regions the actor never enters or attacks."
    )

    @field_validator("bases")
    @classmethod
    def _bases_once(cls, v: list[str]) -> list[str]:
        twice = sorted({b for b in v if v.count(b) > 1})
        if twice:
            raise ValueError(f"each base once (got {', '.join(twice)} more than once)")
        return v
