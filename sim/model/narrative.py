"""A dated story of one replication: who attacked where with what ratio and factors, who won,
who broke, who arrived, what changed hands. Only used when the model runs one replication."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from sim.model.phases.arrays import REC_FIELDS

if TYPE_CHECKING:
    from sim.model.engine import GeoModel

_POSTURES = ("hasty", "prepared", "fortified")


class BattleResult(NamedTuple):
    """One battle's result as the narrative tells it (arrays of one element)."""

    p_win: np.ndarray
    attacker_wins: np.ndarray
    att_loss: np.ndarray
    def_loss: np.ndarray


class Narrator:
    def __init__(self, model: GeoModel):
        self.m = model
        self.lines: list[str] = []
        self.as_of = model.spec.scenario.as_of
        self._exhausted = np.zeros(model.compiled.A, bool)  # past its tolerance, as last told

    def _date(self) -> str:
        d = self.m.state.day
        return f"{self.as_of + dt.timedelta(days=d):%d %b %Y} (day {d:3d})"

    def _say(self, text: str) -> None:
        self.lines.append(f"{self._date()}  {text}")

    def _actor(self, a: int) -> str:
        return short_name(self.m.spec.actors[self.m.compiled.actor_ids[a]].name)

    def _region(self, g: int) -> str:
        return self.m.spec.regions[self.m.compiled.region_ids[g]].name

    def arrival(self, sup: Any, arrive: np.ndarray, dest: np.ndarray) -> None:
        j = self.m.compiled.supports.index(sup)
        if arrive[0] >= 1 and self.m.state.sent[0, j] <= arrive[0]:
            self._say(f"{self._actor(sup.giver)} troops start arriving in "
                      f"{self._region(int(dest[0]))} ({arrive[0]:,.0f} today) in support of "
                      f"{self._actor(sup.receiver)}.")

    def event(self, ev: Any) -> None:
        self._say(f"EVENT {ev.id}: {(ev.description or 'fires').rstrip('.')}.")

    def battle(self, a: int, h: int, res: Any, att: float, dfn: float, def_by: np.ndarray,
               power_ratio: float, factors: dict[str, Any], advance: bool) -> None:
        defenders = ", ".join(f"{self._actor(b)} {x:,.0f}" for b, x in enumerate(def_by) if x >= 1)
        verdict = ("attacker wins and takes the region" if advance else
                   self._day_won(h) if res.attacker_wins[0] else "defence holds")
        terrain = self.m.spec.regions[self.m.compiled.region_ids[h]].terrain.value
        detail = (f"posture {_POSTURES[int(factors['posture'])]}, terrain {terrain}, "
                  f"air {factors['air']:+.2f}, surprise {factors['surprise']:+.2f}"
                  + (", river crossing" if factors["river"] else ""))
        if dfn < 1.0:  # an empty enemy region: a ratio of men or power would be meaningless
            taken = "and takes it" if advance else "but does not take it this day"
            self._say(f"{self._actor(a)} moves into {self._region(h)} with {att:,.0f} against "
                      f"no defenders {taken}.")
            return
        self._say(f"{self._actor(a)} attacks {self._region(h)} with {att:,.0f} against "
                  f"{defenders or 'no defenders'} (men {att / max(dfn, 1.0):.1f}:1, combat "
                  f"power {power_ratio:.2f}:1; {detail}); P(win) {res.p_win[0]:.2f}, roll "
                  f"{factors['roll']:.2f} -> {verdict}; losses {res.att_loss[0]:,.0f} attacker"
                  f" / {res.def_loss[0]:,.0f} defender.")

    def _day_won(self, h: int) -> str:
        """A won day that did not take the region: either the attacker is not yet through
        the region's depth (progress, docs/model.md "Engagement pace") or it is through but
        too weak after its losses to take it (formulas.advances)."""
        progress = float(self.m.state.progress[0, h])
        if progress < 1.0:
            return f"attacker wins the day and gains ground ({progress:.0%} of the region's depth)"
        return "attacker wins the day but is too weak to take the region"

    def battles(self, fields: np.ndarray, defenders: np.ndarray) -> None:
        """Replication 0's battles, in actor order, from phases.battles' records."""
        f = {name: i for i, name in enumerate(REC_FIELDS)}
        for a in range(fields.shape[0]):
            x = fields[a]
            if not x[f["fought"]]:
                continue
            h = int(x[f["region"]])
            res = BattleResult(p_win=x[[f["p_win"]]], attacker_wins=x[[f["won"]]] > 0,
                               att_loss=x[[f["att_loss"]]], def_loss=x[[f["def_loss"]]])
            factors = {"posture": int(x[f["posture"]]), "air": float(x[f["air"]]),
                       "surprise": float(x[f["surprise"]]), "river": bool(x[f["river"]]),
                       "roll": float(x[f["roll"]])}
            self.battle(a, h, res, float(x[f["att_pers"]]), float(x[f["def_pers"]]),
                        defenders[a], float(x[f["power_ratio"]]), factors,
                        bool(x[f["advance"]]))
            old = int(x[f["old_holder"]])
            if old != -2:
                self.control(np.array([0]), np.array([h]), np.array([old]), a)

    def directed_strikes(self, sorties: np.ndarray, disabled: np.ndarray) -> None:
        """Replication 0's strikes at given regions: sorties, disabled (A, G)."""
        for a, g in zip(*np.nonzero(sorties > 0), strict=True):
            self._say(f"{self._actor(int(a))} strikes {self._region(int(g))}: "
                      f"{sorties[a, g]:,.0f} sorties disable {disabled[a, g]:,.0f}.")

    def rout(self, actors: np.ndarray, regions: np.ndarray, deserters: np.ndarray) -> None:
        for a, g, d in zip(actors, regions, deserters, strict=True):
            self._say(f"The {self._actor(int(a))} units in {self._region(int(g))} break: "
                      f"{d:,.0f} desert or are captured, the rest fall back.")

    def exhaustion(self, felt: np.ndarray, tolerance: np.ndarray) -> None:
        """Replication 0's actors that passed their casualty tolerance since last told, or came
        back under it as losses were made good (felt, tolerance: (A,) shares)."""
        now = felt >= tolerance
        for a in np.nonzero(now != self._exhausted)[0]:
            name, lost, tol = self._actor(int(a)), felt[a], tolerance[a]
            if now[a]:
                self._say(f"{name}: losses not yet made good reach {lost:.0%} of its day-0 "
                          f"strength, past its casualty tolerance ({tol:.0%}): it launches no "
                          "new offensives and gives up threatened ground it took.")
            else:
                self._say(f"{name} has made good enough of its losses ({lost:.0%} still felt, "
                          f"tolerance {tol:.0%}) to launch offensives again.")
        self._exhausted = now

    def control(self, rows: np.ndarray, g: np.ndarray, old: np.ndarray, a: int) -> None:
        for gi, oi in zip(g, old, strict=True):
            was = self._actor(int(oi)) if oi >= 0 else "no one"
            self._say(f"{self._region(int(gi))} passes from {was} to {self._actor(a)}.")


def final_state(model: GeoModel, control: dict[str, str | None], strength: dict[str, float],
                outcomes: dict[str, float]) -> list[str]:
    sc = model.spec
    end = sc.scenario.as_of + dt.timedelta(days=model.state.day)
    name = {aid: short_name(a.name) for aid, a in sc.actors.items()}
    lines = ["", f"Situation on {end:%d %b %Y} (day {model.state.day}):", "  Control:"]
    for gid, holder in control.items():
        lines.append(f"    {sc.regions[gid].name:<36} {name[holder] if holder else '-'}")
    lines.append("  Strength (personnel, incl. reserves):")
    for aid, x in strength.items():
        lines.append(f"    {name[aid]:<36} {x:>10,.0f}")
    lines.append("  Outcomes:")
    for oid, v in outcomes.items():
        o = sc.outcomes[oid]
        shown = ("yes" if v >= 0.5 else "no") if o.is_binary else f"{v:,.2f}"
        lines.append(f"    {o.label or oid:<60} {shown}")
    return lines


def short_name(name: str) -> str:
    """Short form of an actor's name: up to the first parenthesis or comma."""
    return name.split(" (")[0].split(",")[0]
