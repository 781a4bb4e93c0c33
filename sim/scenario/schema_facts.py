"""Facts and the scenario's header: the building blocks every other part of the format uses.

A :class:`Fact` is a number with its provenance (source id, date reported, note, or
``assumption: true``) and an optional uncertainty range with a distribution; `Count`, `Share`,
`Positive` and `Delta` are facts with bounds. `Frozen` is the base of every scenario object.
Part of the scenario format (re-exported by :mod:`sim.scenario.schema`).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator


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
