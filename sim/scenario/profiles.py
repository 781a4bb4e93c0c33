"""Shared assumption profiles: one set of default facts per kind of force.

An actor that names `profile: ID` gets, for every profile field it leaves out, the fact of
`profiles/ID.yaml` (see docs/scenario-format.md, "Profiles"). Resolution works on located raw
data, before validation, so the facts a profile fills are validated like the rest of the
scenario and any problem in them is reported at its line in the profile file.

Every fact in a profile must be `assumption: true` with a `note`: a profile is the analyst's
judgement about a kind of force, the same for every scenario, never a source.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
from pathlib import Path
from typing import Any

from sim.errors import Problem, ScenarioError
from sim.scenario.schema import Cohesion
from sim.scenario.yamlpos import Located, PathT, Pos, dotted, load_with_positions, shown

PROJECT_PROFILES = Path(__file__).resolve().parents[2] / "scenarios" / "profiles"
"""The project's shared profiles (scenarios/profiles/), searched last."""

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

Field = tuple[str, ...]
# The fields a profile may give, as paths inside an actor.
FIELDS: tuple[Field, ...] = (
    ("forces", "readiness"),
    ("forces", "quality"),
    ("forces", "morale"),
    *(("forces", "cohesion", name) for name in Cohesion.model_fields),
    ("forces", "speed_km_day"),
    ("forces", "supply_days"),
    ("aggression",),
    ("rationality",),
    ("casualty_tolerance",),
)
_HEADER_FIELDS = ("title", "description")


def _sections() -> dict[Field, tuple[str, ...]]:
    """Each section of a profile file (the top, forces, cohesion) and the keys it allows."""
    allowed: dict[Field, tuple[str, ...]] = {(): ("profile",)}
    for field in FIELDS:
        for n in range(len(field)):
            keys = allowed.setdefault(field[:n], ())
            if field[n] not in keys:
                allowed[field[:n]] = (*keys, field[n])
    return allowed


SECTIONS = _sections()


def search_dirs(scenario_file: Path) -> list[Path]:
    """Where `profile: ID` is looked for, in order: beside the file, its parent, the project."""
    here = Path(os.path.normpath(scenario_file.parent))
    dirs = [here / "profiles", Path(os.path.normpath(here.parent / "profiles")), PROJECT_PROFILES]
    unique: list[Path] = []
    for d in dirs:
        if all(d.resolve() != u.resolve() for u in unique):
            unique.append(d)
    return unique


def resolve_profiles(located: Located, scenario_file: Path, digest: str) -> tuple[Located, str]:
    """Fill each actor's missing profile fields from its profile file.

    Returns the new located data (the input is not changed) and the scenario digest extended
    with every profile file read. Problems (an unknown profile, a malformed profile file) are
    added to the located problems, for the loader to report with the rest.
    """
    actors = located.data.get("actors") if isinstance(located.data, dict) else None
    if not isinstance(actors, dict):
        return located, digest
    data = copy.deepcopy(located.data)
    positions = dict(located.positions)
    problems = list(located.problems)
    cache: dict[str, Located | None] = {}
    digests = [digest]
    for aid, actor in data["actors"].items():
        name = actor.get("profile") if isinstance(actor, dict) else None
        if not isinstance(name, str) or not _ID.match(name):
            continue  # no profile, or an invalid id the schema check reports
        if name not in cache:
            cache[name] = _read(name, scenario_file, located, ("actors", aid, "profile"),
                                problems, digests)
        profile = cache[name]
        if profile is not None:
            _fill(actor, ("actors", aid), name, profile, positions)
    if len(digests) > 1:
        digest = hashlib.sha256("".join(digests).encode()).hexdigest()
    return Located(data, positions, problems), digest


def _read(name: str, scenario_file: Path, located: Located, where: PathT,
          problems: list[Problem], digests: list[str]) -> Located | None:
    """The profile's located data, or None (with the reason added to `problems`)."""
    dirs = search_dirs(scenario_file)
    for d in dirs:
        path = d / f"{name}.yaml"
        if path.is_file():
            try:
                profile = load_with_positions(path)
            except ScenarioError as exc:
                problems.extend(exc.problems)
                return None
            digests.append(hashlib.sha256(path.read_bytes()).hexdigest())
            own = check_profile(profile)
            problems.extend(profile.problems + own)
            return None if own else profile
    found = sorted({p.stem for d in dirs if d.is_dir() for p in d.glob("*.yaml")})
    pos = located.pos(where)
    looked = ", ".join(str(d) for d in dirs)
    problems.append(Problem(pos.file, pos.line, pos.col, dotted(where),
                            f"unknown profile '{shown(name)}' (looked in {looked}; allowed: "
                            f"{', '.join(found) or 'none found'})"))
    return None


def check_profile(profile: Located) -> list[Problem]:
    """Structure problems of a profile file: unknown keys, facts that are not assumptions."""
    data = profile.data
    out: list[Problem] = []

    def at(path: PathT, message: str) -> None:
        pos: Pos = profile.pos(path)
        out.append(Problem(pos.file, pos.line, pos.col, dotted(path), message))

    if not isinstance(data, dict):
        at((), "a profile is a mapping: profile, forces, aggression, rationality, "
                "casualty_tolerance")
        return out
    header = data.get("profile")
    if not isinstance(header, dict) or not isinstance(header.get("title"), str):
        at(("profile",), "missing required field (a header {title, description})")
    else:
        _unknown_keys(header, ("profile",), _HEADER_FIELDS, at)
    _check_node(data, (), at)
    return out


def _check_node(node: dict[str, Any], path: Field, at: Any) -> None:
    _unknown_keys(node, path, SECTIONS[path], at)
    for key, value in node.items():
        here = (*path, str(key))
        if key not in SECTIONS[path] or here == ("profile",):
            continue
        if here in SECTIONS:  # a section (forces, cohesion)
            if isinstance(value, dict):
                _check_node(value, here, at)
            else:
                at(here, f"expected a mapping (got {_kind(value)})")
        elif not isinstance(value, dict) or value.get("assumption") is not True or not (
                isinstance(value.get("note"), str) and value["note"].strip()):
            at(here, "a profile fact needs assumption: true and a note saying what it rests "
                     f"on (got {_kind(value)})")


def _unknown_keys(node: dict[str, Any], path: Field, allowed: tuple[str, ...], at: Any) -> None:
    for key in node:
        if key not in allowed:
            at((*path, key), f"unknown field '{shown(key)}' (allowed: {', '.join(allowed)})")


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping without them"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _fill(actor: dict[str, Any], actor_path: PathT, name: str, profile: Located,
          positions: dict[PathT, Pos]) -> None:
    """Put the profile's facts where the actor has none; the actor's own values win."""
    for field in FIELDS:
        value = _get(profile.data, field)
        if value is None:
            continue
        node = actor
        for key in field[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                break  # the actor's own malformed section: the schema reports it
            node = child
        else:
            if field[-1] in node:
                continue
            fact = dict(value)
            fact["note"] = f"profile {name}: {fact['note']}"
            node[field[-1]] = fact
            for path, pos in profile.positions.items():
                if path[: len(field)] == field:
                    positions[(*actor_path, *path)] = pos


def _get(data: Any, path: Field) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data
