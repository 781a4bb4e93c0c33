"""Outcomes: what every replication measures, and what really happened.

Part of the scenario format (re-exported by :mod:`sim.scenario.schema`). An outcome may carry
`observed:` (what happened, with its source) and `observed_day:` (when); `geosim history`
compares the model with them for outcomes whose id starts with `observed`. The kinds
`fall_day`, `control_all` and `event_fired` and the casualty `category` are campaign
additions (CAMPAIGN_SPEC.md) that the engine measures once it implements them.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from sim.scenario.schema_facts import Count, Fact, Frozen, Id

OBSERVED_PREFIX = "observed"
"""Outcomes whose id starts with this are what happened in history (see `geosim history`)."""


class OutcomeKind(StrEnum):
    control = "control"
    territory = "territory"
    strength = "strength"
    casualties = "casualties"
    goal = "goal"
    fall_day = "fall_day"
    control_all = "control_all"
    event_fired = "event_fired"


class CasualtyCategory(StrEnum):
    """The categories sources report losses in."""

    killed = "killed"
    wounded = "wounded"
    captured = "captured"
    deserted = "deserted"
    all = "all"


_BINARY = (OutcomeKind.control, OutcomeKind.goal, OutcomeKind.control_all,
           OutcomeKind.event_fired)
_NEEDS_REGION_AND_BY = (OutcomeKind.control, OutcomeKind.fall_day)
_NEEDS_ACTOR = (OutcomeKind.territory, OutcomeKind.strength, OutcomeKind.casualties,
                OutcomeKind.goal)


class Outcome(Frozen):
    """A named measurement taken from every replication (declarative, never code).

    control: 1 when any actor in `by` controls `region` (at `day`, or at any time with `ever`);
    territory: `actor`'s share of total strategic value held; strength: `actor`'s personnel;
    casualties: `actor`'s cumulative losses (of `category`); goal: 1 when `actor`'s goal number
    `goal` is met; fall_day: the first day after day 0 on which an actor in `by` holds `region`
    having not held it the day before (+inf: never, a censored value); control_all: 1 when
    actors in `by` hold every one of `regions`; event_fired: 1 when `event` happened.
    """

    kind: OutcomeKind = Field(
        description="control | territory | strength | casualties | goal | fall_day | "
        "control_all | event_fired."
    )
    label: str = Field("", description="Human label, e.g. 'Baghdad falls'.")
    region: Id | None = Field(None, description="Region (control, fall_day).")
    regions: list[Id] = Field(default_factory=list, description="Regions (control_all).")
    by: list[Id] = Field(
        default_factory=list,
        description="Actors counted as controlling (control, fall_day, control_all).",
    )
    actor: Id | None = Field(None, description="Actor (territory, strength, casualties, goal).")
    goal: int | None = Field(None, ge=0, description="Index of the actor's goal (goal).")
    event: Id | None = Field(None, description="Event id (event_fired).")
    category: CasualtyCategory = Field(
        CasualtyCategory.all,
        description="casualties: killed | wounded | captured | deserted | all.",
    )
    day: int | None = Field(None, ge=0, description="Day measured (default: horizon).")
    ever: bool = Field(
        False, description="control, control_all: true if it held at any day up to `day`."
    )
    observed: Fact | None = Field(
        None, description="What really happened, with its source: 1 or 0 for a binary "
        "outcome, the value itself (e.g. the day) for the others."
    )
    observed_day: Count | None = Field(
        None, description="control, control_all: the real day of the change this outcome "
        "measures (days after day 0), with its source."
    )

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Outcome:
        if self.kind in _NEEDS_REGION_AND_BY and (self.region is None or not self.by):
            raise ValueError(f"a {self.kind} outcome needs region and by")
        if self.kind is OutcomeKind.control_all and (not self.regions or not self.by):
            raise ValueError("a control_all outcome needs regions and by")
        if self.kind is OutcomeKind.event_fired and self.event is None:
            raise ValueError("an event_fired outcome needs event")
        if self.kind in _NEEDS_ACTOR and self.actor is None:
            raise ValueError(f"a {self.kind} outcome needs actor")
        if self.kind is OutcomeKind.goal and self.goal is None:
            raise ValueError("a goal outcome needs goal (the index of the actor's goal)")
        self._only_where_meaningful()
        return self

    def _only_where_meaningful(self) -> None:
        """Fields a kind does not read are errors, not silently ignored."""
        if self.category is not CasualtyCategory.all and self.kind is not OutcomeKind.casualties:
            raise ValueError(f"category is only for casualties outcomes (got a {self.kind} "
                             "outcome)")
        if self.ever and self.kind not in (OutcomeKind.control, OutcomeKind.control_all):
            raise ValueError(f"ever is only for control and control_all outcomes (got a "
                             f"{self.kind} outcome)")
        if self.observed_day is not None and self.kind not in (OutcomeKind.control,
                                                               OutcomeKind.control_all):
            raise ValueError(f"observed_day is only for control and control_all outcomes "
                             f"(got a {self.kind} outcome; a fall_day outcome's observed is "
                             "the day)")
        if self.is_binary and self.observed is not None and self.observed.value not in (0, 1):
            raise ValueError(f"a binary outcome's observed value is 1 (it happened) or 0 "
                             f"(got {self.observed.value:g})")

    @property
    def is_binary(self) -> bool:
        return self.kind in _BINARY
