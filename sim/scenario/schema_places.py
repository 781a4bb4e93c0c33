"""Places: regions that can be held and the links (roads) between them.

Part of the scenario format (re-exported by :mod:`sim.scenario.schema`). `Region.depth_km` and
`Link.road` are campaign fields (CAMPAIGN_SPEC.md): validated here, read by the engine as it
implements movement and urban fighting.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator

from sim.scenario.schema_facts import Count, Fact, Frozen, Id, Positive


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


class Road(StrEnum):
    """The best road along a link: a main road, a minor road, or none (cross-country)."""

    main = "main"
    minor = "minor"
    none = "none"


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
    depth_km: Positive | None = Field(
        None, description="Distance an attacker must fight through to take it, e.g. the urban "
        "extent (unit: km; none: the engine's default for the terrain)."
    )


class Link(Frozen):
    """A road between two regions along which forces move."""

    between: tuple[Id, Id] = Field(description="The two regions it joins.")
    km: float = Field(gt=0, le=5000, description="Road distance (unit: km).")
    river: bool = Field(False, description="Whether an attack along it crosses a river.")
    road: Road = Field(Road.main, description="main | minor | none: the best road along it.")

    @field_validator("between")
    @classmethod
    def _distinct(cls, v: tuple[str, str]) -> tuple[str, str]:
        if v[0] == v[1]:
            raise ValueError(f"a link joins two different regions (got {v[0]} twice)")
        return v
