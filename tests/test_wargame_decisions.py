"""Decisions beyond the battlefield (sim/wargame/aid.py), umpire injects (injects.py) and the
'what can I do this turn' list (means.py), on the reference scenario."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sim.errors import OrdersError
from sim.model.compile import STANCE_CODES, WAR
from sim.model.vectorised import friendly_relation
from sim.scenario.loader import load
from sim.scenario.schema import Stance
from sim.wargame import aid, save
from sim.wargame.game import Game
from sim.wargame.injects import parse_inject_line
from sim.wargame.means import possible
from sim.wargame.orders import parse_line, parse_mapping, to_mapping
from sim.wargame.rules import sorties

REFERENCE = Path(__file__).resolve().parents[1] / "scenarios" / "iraq-2014.yaml"
NEUTRAL = STANCE_CODES[Stance.neutrality]


@pytest.fixture(scope="module")
def reference():
    return load(REFERENCE)


def game_of(reference, teams, turns=3) -> Game:
    return Game(reference.scenario, 1, list(teams), 7, turns)


def P(line):  # noqa: N802 - reads like the typed order
    return parse_line(line)


@pytest.mark.parametrize("line, mapping", [
    ("advisers iraq 100", {"advisers": {"to": "iraq", "personnel": 100.0}}),
    ("arms iraq 20", {"arms": {"to": "iraq", "amount": 20.0}}),
    ("start us_air_strikes", {"start": {"commitment": "us_air_strikes"}}),
    ("stop iran_troops", {"stop": {"commitment": "iran_troops"}}),
    ("ceasefire isis", {"ceasefire": {"actor": "isis"}}),
    ("accept kurds", {"accept": {"actor": "kurds"}}),
    ("refuse kurds", {"refuse": {"actor": "kurds"}}),
])
def test_new_orders_have_a_typed_and_a_file_form(line, mapping):
    assert to_mapping(parse_line(line)) == mapping
    assert parse_mapping(mapping) == parse_line(line)


def test_starting_an_air_commitment_early_gives_the_receiver_sorties(reference):
    early, late = game_of(reference, ["usa"]), game_of(reference, ["usa"])
    early.play_turn({"usa": [P("start us_air_strikes")]})
    late.play_turn({"usa": []})
    iraq = early.index["iraq"]
    committed = float(early.model.params[early.model.compiled.supports[
        aid.commitment_index(early.model, early.index["usa"], "us_air_strikes")].amount][0])
    assert committed > 0
    assert sorties(early.model, iraq) == pytest.approx(sorties(late.model, iraq) + committed)


def test_stopping_a_troop_commitment_stops_its_arrivals(reference):
    stopped, going = game_of(reference, ["iran"]), game_of(reference, ["iran"])
    stopped.play_turn({"iran": [P("stop iran_troops")]})
    going.play_turn({"iran": []})
    j = aid.commitment_index(stopped.model, stopped.index["iran"], "iran_troops")
    assert stopped.model.state.sent[0, j] == 0 < going.model.state.sent[0, j]


def test_advisers_raise_readiness_for_the_turn_only(reference):
    game = game_of(reference, ["usa"])
    m, usa, iraq = game.model, game.index["usa"], game.index["iraq"]
    here = aid.advisers_available(m, usa, iraq)
    assert here >= 100  # the embassy's personnel in Baghdad
    before = float(m.state.readiness[0, iraq])
    plan = game._apply("usa", [P("advisers iraq 100")])
    undo = aid.begin_turn(game, {"usa": plan})
    present = float(m.state.F[0, iraq].sum())
    expected = aid.ADVISER_GAIN * min(1.0, 100 * aid.TRAINEES_PER_ADVISER / present)
    assert m.state.readiness[0, iraq] == pytest.approx(before + expected)
    aid.end_turn(m, undo)
    assert m.state.readiness[0, iraq] == pytest.approx(before)
    with pytest.raises(OrdersError, match="not enough of your personnel in regions iraq holds"):
        game.check("usa", [P(f"advisers iraq {here + 1000:.0f}")])
    with pytest.raises(OrdersError, match="only to an ally or partner"):
        game.check("usa", [P("advisers isis 10")])


def test_arms_cost_funds_and_raise_quality_up_to_a_cap(reference):
    game = game_of(reference, ["usa"])
    m, usa, iraq = game.model, game.index["usa"], game.index["iraq"]
    funds, quality = float(m.state.funds[0, usa]), float(m.state.quality[0, iraq])
    game._apply("usa", [P("arms iraq 100")])
    strength = float(m.state.strength()[0, iraq])
    assert m.state.funds[0, usa] == pytest.approx(funds - 100)
    assert m.state.quality[0, iraq] == pytest.approx(
        quality + aid.ARMS_GAIN * min(1.0, 100 / (aid.COST_PER_FIGHTER * strength)))
    with pytest.raises(OrdersError, match="order 2 .*cannot absorb more arms this turn"):
        game.check("usa", [P("arms iraq 5000"), P("arms iraq 1")])


def test_a_ceasefire_offered_and_accepted_between_teams(reference):
    game = game_of(reference, ["isis", "kurds"])
    m, isis, kurds = game.model, game.index["isis"], game.index["kurds"]
    with pytest.raises(OrdersError, match="has offered you no ceasefire"):
        game.check("isis", [P("accept kurds")])
    first = game.play_turn({"isis": [], "kurds": [P("ceasefire isis")]})
    assert any("kurds offers isis a ceasefire" in line for line in first.lines)
    assert int(m.state.stance[0, kurds, isis]) == WAR
    assert {r["order"] for r in possible(game, "isis")} >= {"accept kurds"}
    game.play_turn({"isis": [P("accept kurds")], "kurds": []})
    assert int(m.state.stance[0, kurds, isis]) == int(m.state.stance[0, isis, kurds]) == NEUTRAL
    with pytest.raises(OrdersError, match="not at war with kurds"):
        game.check("isis", [P("ceasefire kurds")])


def test_an_actor_no_team_plays_answers_by_its_losses(reference):
    game = game_of(reference, ["kurds"])
    m, isis, kurds = game.model, game.index["isis"], game.index["kurds"]
    report = game.play_turn({"kurds": [P("ceasefire isis")]})
    assert aid.model_accepts(m, isis) is False
    assert any("isis refuses kurds's ceasefire offer" in line for line in report.lines)
    m.state.losses[0, isis] = m.state.strength0[0, isis] * m.params["cas_tol"][0, isis]
    game.play_turn({"kurds": [P("ceasefire isis")]})
    assert int(m.state.stance[0, kurds, isis]) == NEUTRAL


@pytest.mark.parametrize("team", ["isis", "iraq", "kurds", "pmf", "iran", "syria", "usa"])
def test_every_playable_actor_has_real_choices(reference, team):
    """Beyond stance and hold, each team has orders it can give now with the numbers."""
    game = game_of(reference, [team])
    rows = [r for r in possible(game, team) if r["ok"]]
    kinds = {str(r["order"]).split()[0] for r in rows} - {"stance", "hold"}
    assert len(kinds) >= 3, rows


def test_injects_change_the_state_and_replay_from_the_save(reference, tmp_path):
    game = game_of(reference, ["iran", "usa"])
    m = game.model
    iran, baghdad = game.index["iran"], m.compiled.region_ids.index("baghdad")
    before = float(m.state.F[0, iran, baghdad])
    game.inject(parse_inject_line("event iran_surge_samarra", "Iran surges anyway"))
    assert m.state.F[0, iran, baghdad] > before + 1000
    game.inject(parse_inject_line("stance usa iran cooperation"))
    game.inject(parse_inject_line("support kurds troops 2,000 erbil"))
    report = game.play_turn({"iran": [], "usa": []})
    assert any("EVENT iran_surge_samarra" in line for line in report.lines)
    game.inject(parse_inject_line("support iraq money 100"))
    game.play_turn({"iran": [P("hold")], "usa": []})
    path = save.save(tmp_path / "g.json", game, reference, fog=True)
    again, _, data = save.resume(path)
    assert again.reports[-1].state_hash == game.reports[-1].state_hash
    assert data.injects[0][0] == {"kind": "event", "event": "iran_surge_samarra",
                                  "note": "Iran surges anyway"}
    with pytest.raises(OrdersError, match="unknown event 'nope'"):
        game.inject(parse_inject_line("event nope"))
    assert np.isfinite(m.state.F).all()


RECOMMENDED = [("isis", "iraq"), ("isis", "iraq", "kurds"), ("isis", "iraq", "iran", "usa"),
               ("isis", "iraq", "kurds", "pmf", "iran", "usa")]


@pytest.mark.parametrize("teams", RECOMMENDED, ids=[",".join(t) for t in RECOMMENDED])
def test_the_guides_team_sets_keep_real_choices_for_every_team(reference, teams):
    """After two turns of holding, every team still has three kinds of orders open to it,
    and the guide recommends exactly these sets."""
    game = game_of(reference, teams, turns=3)
    for _ in range(2):
        game.play_turn({t: [] for t in teams})
    for team in teams:
        rows = [r for r in possible(game, team) if r["ok"]]
        kinds = {str(r["order"]).split()[0] for r in rows} - {"stance", "hold"}
        assert len(kinds) >= 3, (team, rows)
    guide = (Path(__file__).resolve().parents[1] / "docs" / "wargame.md").read_text()
    assert f"--teams {','.join(teams)}" in guide


# ------------------------------------------------------------------ support troops as an order


def test_support_troops_as_a_team_order_within_and_beyond_the_reserve(reference):
    """A team's `support X troops N` (not the umpire's inject): its reserve goes, as its own
    forces, into a region X holds; more than the reserve is refused naming the reserve."""
    game = game_of(reference, ["iran", "iraq"])
    m, iran, iraq = game.model, game.index["iran"], game.index["iraq"]
    reserve = float(m.state.reserve[0, iran])
    in_iraq = float(m.state.F[0, iran, m.state.control[0] == iraq].sum())
    game.check("iran", [P(f"support iraq troops {reserve:.0f}")])
    with pytest.raises(OrdersError, match=rf"not enough forces in reserve \(have "
                                          rf"{reserve:,.0f}, asked {reserve + 1:,.0f}\)"):
        game.check("iran", [P(f"support iraq troops {reserve + 1:.0f}")])
    with pytest.raises(OrdersError, match="order 2 .*not enough forces in reserve"):
        game.check("iran", [P("support iraq troops 1500"), P("support iraq troops 1500")])
    # At war with isis: no troops for an enemy, whatever the reserve.
    with pytest.raises(OrdersError, match="at war with or rivals of isis"):
        game.check("iran", [P("support isis troops 10")])
    game._apply("iran", [P("support iraq troops 1500")])  # what the turn applies
    assert float(m.state.reserve[0, iran]) == pytest.approx(reserve - 1500)
    assert float(m.state.F[0, iran, m.state.control[0] == iraq].sum()) == pytest.approx(
        in_iraq + 1500)


def test_support_troops_ordered_in_a_played_turn_reach_the_receiver(reference):
    """Played through a turn (not only checked): not dropped, and more of iran's forces stand
    in iraq's regions at the end than in the same turn without the order."""
    def iran_in_iraq(orders):
        step = reference.scenario.scenario.step_days  # one step: before the fronts move
        game = Game(reference.scenario, 1, ["iran", "iraq"], step, 1)
        report = game.play_turn({"iran": [P(x) for x in orders], "iraq": []})
        s, i = game.model.state, game.index
        return report, float(s.F[0, i["iran"], s.control[0] == i["iraq"]].sum())

    report, sent = iran_in_iraq(["support iraq troops 1000"])
    assert report.orders["iran"] == ["support iraq troops 1,000"] and report.dropped == []
    _, kept = iran_in_iraq([])
    assert sent > kept + 500


# --------------------------------------------------------- 'what can I do': shown = enforced

UP_TO = re.compile(r"(\w+) up to ([\d,]+(?:\.(\d+))?)")


def _held(game: Game, team: str) -> str | None:
    m, a = game.model, game.index[team]
    mine = np.flatnonzero(m.state.control[0] == a)
    return m.compiled.region_ids[int(mine[0])] if len(mine) else None


def _template(row: dict, word: str) -> str:
    """The order that uses the number `word` of a 'can' row, with {x} for the number."""
    order, limit = str(row["order"]), str(row["limit"])
    words = order.split()
    if words[0] == "move":
        return f"move {words[1]} {limit.split('one of: ')[1].split(',')[0]} {{x}}"
    if words[0] == "reserve":
        return "reserve {held} {x}"
    if words[0] == "advisers":
        return f"advisers {words[1]} {{x}}"
    if words[0] == "arms":
        return "arms {friend} {x}"
    return f"support {{partner}} {word} {{x}}"


def limit_cases(game: Game, team: str) -> list[tuple[str, str, float, int]]:
    """(row, order, the limit shown, its decimals) for every 'N up to X' that 'can' shows."""
    m, a = game.model, game.index[team]
    friend = next((m.compiled.actor_ids[b] for b in range(m.compiled.A) if b != a
                   and friendly_relation(m.state.stance[0, a, b])), None)
    cases = []
    for row in possible(game, team):
        limit = str(row["limit"])
        names = re.search(r"ACTOR one of: ([\w, ]+);", limit)
        partner = names.group(1).split(", ")[0] if names and "none" not in names[1] else None
        for word, shown, decimals in UP_TO.findall(limit):
            x = float(shown.replace(",", ""))
            needs = {"held": _held(game, team), "friend": friend, "partner": partner}
            template = _template(row, word)
            if x <= 0 or any(f"{{{k}}}" in template and not v for k, v in needs.items()):
                continue  # 'troops up to 0', or no partner to give to: nothing to order
            cases.append((str(row["order"]), template.format(**needs, x="{x}"), x,
                          len(decimals)))
    return cases


@pytest.mark.parametrize("team", ["isis", "iraq", "kurds", "usa", "iran"])
def test_the_limits_can_shows_are_the_limits_enforced(reference, team):
    """Each 'N up to X' of the 'what can I do this turn' list (the terminal's `can`, the team
    page's list): ordering X as shown is accepted, one unit of its last digit more is refused
    with the same X in the message. After a turn, so funds and reserves are not round."""
    game = game_of(reference, ["isis", "iraq", "kurds", "usa", "iran"])
    game.play_turn({t: [] for t in game.teams})
    cases = limit_cases(game, team)
    assert len(cases) >= 2, cases
    for row, order, x, decimals in cases:
        shown = f"{x:,.{decimals}f}"
        try:
            game.check(team, [P(order.format(x=f"{x:.{decimals}f}"))])
        except OrdersError as exc:
            pytest.fail(f"{row}: {order.format(x=shown)} refused although 'can' shows up to "
                        f"{shown}: {exc}")
        more = order.format(x=f"{x + 10.0 ** -decimals:.{decimals}f}")
        with pytest.raises(OrdersError) as info:
            game.check(team, [P(more)])
        assert f"have {shown}" in str(info.value), (row, more, str(info.value))


@pytest.mark.parametrize("team", ["isis", "iraq", "kurds", "iran"])
def test_the_actors_can_names_for_support_are_those_accepted(reference, team):
    """The support row's 'ACTOR one of: ...' is exactly who `support ACTOR money 1` goes to."""
    game = game_of(reference, [team])
    row = next(r for r in possible(game, team) if str(r["order"]).startswith("support "))
    shown = re.search(r"ACTOR one of: ([\w, ()]+);", str(row["limit"]))[1]
    accepted = []
    for other in game.model.compiled.actor_ids:
        try:
            game.check(team, [P(f"support {other} money 1")])
            accepted.append(other)
        except OrdersError:
            pass
    assert shown == (", ".join(accepted) or "none (change a stance first)")
