"""`geosim serve`: access by secret, the team and umpire APIs, live updates, save and restart.

In-process tests use Starlette's TestClient over a Session of the five-town test front; the
restart test runs the real command as a subprocess on a free port and kills it by PID.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import time
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from sim.scenario.loader import load
from sim.wargame.game import Game
from sim.wargame.means import possible
from sim.wargame.server import create_app
from sim.wargame.session import open_session
from tests.browser.server import free_port, start_server, stop

# Starlette 1.10 suggests httpx2 for its TestClient; httpx 0.28 still works as documented.
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
ROOT = Path(__file__).resolve().parents[1]
FRONT = ROOT / "tests" / "engine" / "front.yaml"
TEAMS = ["gov", "rebels", "ally"]


@pytest.fixture
def served(tmp_path):
    loaded = load(FRONT)
    game = Game(loaded.scenario, 1, list(TEAMS), 7, 3)
    session = open_session(loaded, game, tmp_path / "class.json", minutes=0)
    with TestClient(create_app(session, shadow_runs=10)) as client:
        yield client, session


def as_(session, who):
    return {"X-Geosim-Key": session.secrets[who]}


# ----------------------------------------------------------------------------------- access

TEAM_ROUTES = [("GET", "/api/team/{t}/view", None), ("GET", "/api/team/{t}/report/1", None),
               ("POST", "/api/team/{t}/orders", {"lines": ["hold"]}),
               ("DELETE", "/api/team/{t}/orders", None),
               ("POST", "/api/team/{t}/check", {"lines": ["hold"]}),
               ("GET", "/api/team/{t}/stream", None), ("GET", "/team/{t}", None),
               ("GET", "/team/{t}/briefing", None)]
UMPIRE_ROUTES = [("GET", "/api/umpire/view", None), ("GET", "/umpire", None),
                 ("POST", "/api/umpire/advance", {}), ("GET", "/api/umpire/stream", None),
                 ("POST", "/api/umpire/inject", {"line": "support gov money 1"}),
                 ("POST", "/api/umpire/veto", {"team": "gov", "index": 0})]


def test_a_teams_secret_opens_nothing_of_another_team_nor_the_umpires(served):
    client, session = served
    client.post("/api/team/gov/orders", json={"lines": ["reserve capital 100"]},
                headers=as_(session, "gov"))
    client.get("/api/umpire/view", headers=as_(session, "umpire"))
    for me in TEAMS:
        for other in [t for t in TEAMS if t != me] + ["umpire"]:
            routes = UMPIRE_ROUTES if other == "umpire" else TEAM_ROUTES
            for method, path, body in routes:
                url = path.format(t=other)
                got = client.request(method, url, json=body, headers=as_(session, me))
                assert got.status_code == 403, (me, method, url, got.status_code)
                assert "reserve capital" not in got.text
    assert session.submitted["gov"] and session.orders["gov"][0].text() == "reserve capital 100"


def test_no_secret_a_wrong_secret_or_an_unknown_team(served):
    client, session = served
    assert client.get("/api/team/gov/view").status_code == 403
    assert client.get("/api/team/gov/view?key=" + "0" * 32).status_code == 403
    assert client.get("/api/team/nato/view", headers=as_(session, "gov")).status_code == 404
    assert client.get("/api/team/gov/view", headers=as_(session, "umpire")).status_code == 403
    assert client.get(f"/api/team/gov/view?key={session.secrets['gov']}").status_code == 200


def test_the_team_view_is_fogged_and_the_umpires_is_not(served):
    client, session = served
    client.post("/api/umpire/advance", headers=as_(session, "umpire"))
    team = client.get("/api/team/gov/view", headers=as_(session, "gov")).json()
    hills = next(r for r in team["map"]["regions"] if r["id"] == "hills")
    assert hills["enemy"] == "?" and "forces" not in hills
    report = team["reports"][0]
    assert report["strength"]["rebels"] is None and report["strength"]["gov"] is not None
    assert set(report["orders"]) == {"gov"}
    assert "log" not in team and "teams" not in team
    umpire = client.get("/api/umpire/view", headers=as_(session, "umpire")).json()
    hills = next(r for r in umpire["map"]["regions"] if r["id"] == "hills")
    assert hills["forces"]["rebels"] >= 1
    assert all(v is not None for v in umpire["reports"][0]["strength"].values())


# ------------------------------------------------------------------------------ the turn


def test_orders_are_checked_as_typed_with_the_terminals_messages(served):
    client, session = served
    got = client.post("/api/team/gov/check", headers=as_(session, "gov"), json={
        "lines": ["reserve capital 4000", "", "reserve capital 2000", "move capitl mid 1"]})
    checks = got.json()["checks"]
    assert checks[0] == {"line": "reserve capital 4000", "ok": True,
                         "order": "reserve capital 4,000"}
    assert checks[1]["ok"] is None
    assert checks[2]["error"] == "not enough forces in reserve (have 1,000, asked 2,000)"
    assert checks[3]["error"] == "unknown region 'capitl' (did you mean 'capital'?)"
    bad = client.post("/api/team/gov/orders", headers=as_(session, "gov"),
                      json={"lines": ["reserve capital 9000"]})
    assert bad.status_code == 400 and "not enough forces in reserve" in bad.json()["error"]
    assert not session.submitted["gov"]


def test_submit_withdraw_and_advance_when_everyone_has_submitted(served):
    client, session = served
    gov, rebels, ally = (as_(session, t) for t in TEAMS)
    client.post("/api/team/gov/orders", headers=gov, json={"lines": ["reserve capital 500"]})
    client.delete("/api/team/gov/orders", headers=gov)
    assert not session.submitted["gov"] and session.orders["gov"]  # a draft again
    client.post("/api/team/gov/orders", headers=gov, json={"lines": ["reserve capital 500"]})
    client.post("/api/team/rebels/orders", headers=rebels, json={"lines": ["attack mid"]})
    client.post("/api/umpire/clock", headers=as_(session, "umpire"), json={"run": True})
    assert session.game.turn == 1  # ally has not submitted
    client.post("/api/team/ally/orders", headers=ally, json={"lines": []})
    deadline = time.monotonic() + 10
    while session.game.turn == 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert session.game.turn == 2
    assert session.game.reports[0].orders["gov"] == ["reserve capital 500"]
    assert "all teams submitted" in session.log[-1]["text"]


def test_veto_amend_and_inject_reach_the_team_but_the_log_does_not(served):
    client, session = served
    gov, umpire = as_(session, "gov"), as_(session, "umpire")
    client.post("/api/team/gov/orders", headers=gov,
                json={"lines": ["reserve capital 500", "support ally money 5"]})
    client.post("/api/umpire/veto", headers=umpire,
                json={"team": "gov", "index": 1, "note": "no cash for allies today"})
    client.post("/api/umpire/amend", headers=umpire,
                json={"team": "gov", "index": 0, "line": "reserve capital 300", "note": ""})
    done = client.post("/api/umpire/inject", headers=umpire,
                       json={"line": "support rebels money 50", "note": "secret donor"})
    assert done.status_code == 200
    bad = client.post("/api/umpire/inject", headers=umpire, json={"line": "event nope"})
    assert bad.status_code == 400 and "unknown event 'nope'" in bad.json()["error"]
    view = client.get("/api/team/gov/view", headers=gov).json()
    assert view["orders"] == ["reserve capital 300"]
    assert view["vetoes"][0] == {"order": "support ally money 5",
                                 "note": "no cash for allies today"}
    for team in TEAMS:
        text = client.get(f"/api/team/{team}/view", headers=as_(session, team)).text
        assert "secret donor" not in text and "support rebels money" not in text
    log = client.get("/api/umpire/view", headers=umpire).json()["log"]
    assert any("secret donor" in x["text"] for x in log)


def test_the_deadline_adjudicates_with_what_was_submitted(tmp_path):
    loaded = load(FRONT)
    game = Game(loaded.scenario, 1, ["gov", "rebels"], 7, 2)
    session = open_session(loaded, game, tmp_path / "class.json", minutes=0.01)  # 0.6 s
    with TestClient(create_app(session, shadow_runs=10)) as client:
        client.post("/api/team/gov/orders", json={"lines": ["reserve capital 100"]},
                    headers=as_(session, "gov"))
        client.post("/api/umpire/clock", json={"run": False}, headers=as_(session, "umpire"))
        time.sleep(1.0)
        assert session.game.turn == 1  # paused: the deadline waits
        client.post("/api/umpire/clock", json={"run": True}, headers=as_(session, "umpire"))
        deadline = time.monotonic() + 10
        while session.game.turn == 1 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert session.game.reports[0].orders == {"gov": ["reserve capital 100"], "rebels": []}
    assert "(deadline)" in session.log[-1]["text"]


def test_submit_and_withdraw_are_refused_after_the_deadline(tmp_path):
    """Once the clock has run out, orders stand as they were: a late submit or withdraw is
    refused with a message saying why, until the turn is adjudicated. No ticker runs here (no
    lifespan), so the turn waits at its deadline as it may for a moment in the real server."""
    loaded = load(FRONT)
    game = Game(loaded.scenario, 1, ["gov", "rebels"], 7, 2)
    session = open_session(loaded, game, tmp_path / "class.json", minutes=0.005)  # 0.3 s
    client = TestClient(create_app(session, shadow_runs=10))
    gov, umpire = as_(session, "gov"), as_(session, "umpire")
    assert client.post("/api/team/gov/orders", headers=gov,
                       json={"lines": ["reserve capital 100"]}).status_code == 200
    client.post("/api/umpire/clock", headers=umpire, json={"run": True})
    time.sleep(0.5)
    assert session.clock.expired() and session.game.turn == 1
    late = [client.delete("/api/team/gov/orders", headers=gov),
            client.post("/api/team/rebels/orders", headers=as_(session, "rebels"),
                        json={"lines": ["hold"]})]
    for got in late:
        assert got.status_code == 400
        assert got.json()["error"].startswith("the time for turn 1 is up: orders can no "
                                              "longer be submitted or withdrawn")
    assert session.submitted == {"gov": True, "rebels": False}
    client.post("/api/umpire/advance", headers=umpire)
    assert session.game.reports[0].orders == {"gov": ["reserve capital 100"], "rebels": []}
    again = client.post("/api/team/rebels/orders", headers=as_(session, "rebels"),
                        json={"lines": ["hold"]})
    assert again.status_code == 200  # turn 2 has its own clock


def test_the_team_view_holds_the_teams_goals(served):
    client, session = served
    for team, expected in [
        ("gov", [{"kind": "hold", "weight": 3.0, "target": "capital", "met": True},
                 {"kind": "take", "weight": 1.0, "target": "north", "met": False}]),
        ("rebels", [{"kind": "take", "weight": 1.0, "target": "capital", "met": False},
                    {"kind": "hold", "weight": 2.0, "target": "north", "met": True},
                    {"kind": "take", "weight": 2.0, "target": "mid", "met": False},
                    {"kind": "take", "weight": 1.0, "target": "ford", "met": False},
                    {"kind": "defeat", "weight": 1.0, "target": "gov", "met": None}])]:
        view = client.get(f"/api/team/{team}/view", headers=as_(session, team)).json()
        assert view["goals"] == expected
    page = client.get("/team/gov", headers=as_(session, "gov")).text
    assert '<h2>Your goals</h2><div id="goals">' in page  # team.js fills it (browser test)
    script = client.get("/static/team.js").text
    assert 'fill("goals", goals(v))' in script


def test_the_team_pages_can_list_is_the_terminals_with_the_limits_enforced(served):
    """The web 'what can I do this turn' is means.possible (the terminal's `can`), and its
    'N up to X' is what /check accepts: X is, X + 1 is refused naming X."""
    client, session = served
    view = client.get("/api/team/gov/view", headers=as_(session, "gov")).json()
    assert view["options"] == possible(session.game, "gov", fog=True)
    reserve = next(o for o in view["options"] if o["order"] == "reserve REGION N")
    shown = re.match(r"N up to ([\d,]+);", reserve["limit"])[1]
    assert shown == "5,000"
    checks = client.post("/api/team/gov/check", headers=as_(session, "gov"), json={
        "lines": ["reserve capital 5000"]}).json()["checks"]
    assert checks[0]["ok"] is True
    checks = client.post("/api/team/gov/check", headers=as_(session, "gov"), json={
        "lines": ["reserve capital 5001"]}).json()["checks"]
    assert checks[0]["error"] == f"not enough forces in reserve (have {shown}, asked 5,001)"


def test_a_team_refuses_a_ceasefire_offer_end_to_end(served):
    """gov offers, rebels (a team) sees the offer and refuses: both read the refusal in their
    report, the war goes on, and the offer has lapsed."""
    client, session = served
    gov, rebels, umpire = as_(session, "gov"), as_(session, "rebels"), as_(session, "umpire")
    client.post("/api/team/gov/orders", headers=gov, json={"lines": ["ceasefire rebels"]})
    client.post("/api/umpire/advance", headers=umpire)
    view = client.get("/api/team/rebels/view", headers=rebels).json()
    assert any("gov offers rebels a ceasefire" in x for x in view["reports"][0]["lines"])
    answer = next(o for o in view["options"] if o["order"] == "accept gov")
    assert "or refuse gov" in answer["limit"]
    got = client.post("/api/team/rebels/orders", headers=rebels, json={"lines": ["refuse gov"]})
    assert got.json() == {"submitted": ["refuse gov"]}
    client.post("/api/umpire/advance", headers=umpire)
    refusal = "rebels refuses gov's ceasefire offer."
    for team, key in (("gov", gov), ("rebels", rebels)):
        view = client.get(f"/api/team/{team}/view", headers=key).json()
        assert any(refusal in x for x in view["reports"][1]["lines"]), team
        other = "rebels" if team == "gov" else "gov"
        assert view["header"]["stances"][other] == "war"
    assert not [o for o in view["options"] if o["order"] == "accept gov"]
    lapsed = client.post("/api/team/rebels/check", headers=rebels,
                         json={"lines": ["accept gov"]}).json()["checks"]
    assert lapsed[0]["error"] == "gov has offered you no ceasefire"
    assert session.game.reports[1].orders["rebels"] == ["refuse gov"]
    umpire_report = client.get("/api/umpire/view", headers=umpire).json()["reports"][1]
    assert any(refusal in x for x in umpire_report["lines"])


def test_the_briefing_opens_only_for_its_team(served):
    client, session = served
    page = client.get("/team/rebels/briefing", headers=as_(session, "rebels"))
    assert page.status_code == 200 and "Briefing for Rebels" in page.text
    assert "Orders open to you now" in page.text and "The map as you know it" in page.text
    assert client.get("/team/rebels/briefing", headers=as_(session, "gov")).status_code == 403


def test_the_stream_pushes_each_change_to_the_teams_page(served):
    client, session = served
    with client.stream("GET", "/api/team/gov/stream", headers=as_(session, "gov")) as events:
        lines = events.iter_lines()
        first = json.loads(next(x for x in lines if x.startswith("data:"))[5:])
        assert first["turn"] == 1 and first["header"]["team"] == "gov"
        client.post("/api/team/gov/orders", json={"lines": ["hold"]}, headers=as_(session, "gov"))
        pushed = json.loads(next(x for x in lines if x.startswith("data:"))[5:])
        assert pushed["submitted"] is True and pushed["version"] > first["version"]
    assert "gov" in session.joined


# ----------------------------------------------------------------------------- no internet


class Assets(HTMLParser):
    """Every address a page loads by itself: script src, stylesheet and icon href, img src."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe", "audio", "video", "source") and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])


EXTERNAL = re.compile(r"(?:https?:)?//[\w.-]+")
SVG_NAMESPACE = "http://www.w3.org/2000/svg"  # an identifier in createElementNS, not a request


def test_the_pages_need_nothing_from_the_internet(served):
    """The team page, its briefing and the umpire console load only this server's files: no
    external address in the HTML or in the scripts and styles it loads, and each loads (200)."""
    client, session = served
    pages = [("/team/gov", "gov"), ("/team/gov/briefing", "gov"), ("/umpire", "umpire")]
    loaded = set()
    for path, who in pages:
        html = client.get(path, headers=as_(session, who))
        assert html.status_code == 200
        parser = Assets()
        parser.feed(html.text)
        assert [u for u in parser.urls if EXTERNAL.match(u)] == [], path
        assert EXTERNAL.findall(html.text.replace(SVG_NAMESPACE, "")) == [], path
        loaded.update(parser.urls)
    assert {"/static/app.css", "/static/common.js", "/static/team.js",
            "/static/umpire.js"} <= loaded
    for url in sorted(loaded):
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert EXTERNAL.findall(asset.text.replace(SVG_NAMESPACE, "")) == [], url
        assert "@import" not in asset.text, url


# --------------------------------------------------------------------------------- restart


def test_a_killed_server_resumes_from_its_save_with_nobodys_orders_lost(tmp_path):
    save = tmp_path / "class.json"
    proc, keys, base = start_server([str(FRONT), "--teams", "gov,rebels", "--turns", "2",
                                     "--minutes", "0", "--save", str(save)], tmp_path)
    try:
        got = httpx.post(f"{base}/api/team/gov/orders", json={"lines": ["reserve capital 700"]},
                         headers={"X-Geosim-Key": keys["gov"]})
        assert got.status_code == 200
        httpx.post(f"{base}/api/umpire/inject", json={"line": "support rebels money 9"},
                   headers={"X-Geosim-Key": keys["umpire"]})
    finally:
        stop(proc, signal.SIGKILL)  # no chance to save on the way out
    proc, again, base = start_server(["--resume", str(save), "--minutes", "0"], tmp_path)
    try:
        assert again == keys  # the same join links
        assert listening_on(int(base.rsplit(":", 1)[1])) in ({"127.0.0.1"}, None)
        view = httpx.get(f"{base}/api/team/gov/view", headers={"X-Geosim-Key": keys["gov"]})
        assert view.json()["orders"] == ["reserve capital 700"] and view.json()["submitted"]
        umpire = {"X-Geosim-Key": keys["umpire"]}
        log = httpx.get(f"{base}/api/umpire/view", headers=umpire).json()["log"]
        assert any("gave rebels money 9" in x["text"] for x in log)
        httpx.post(f"{base}/api/umpire/advance", headers=umpire)
        report = httpx.get(f"{base}/api/team/gov/report/1", headers={"X-Geosim-Key": keys["gov"]})
        assert report.json()["orders"] == {"gov": ["reserve capital 700"]}
    finally:
        stop(proc)
    data = json.loads(save.read_text())
    assert data["orders"][0]["gov"] == [{"commit_reserve": {"region": "capital",
                                                            "personnel": 700.0}}]
    assert data["injects"][0][0]["resource"] == "money"


def listening_on(port: int) -> set[str] | None:
    """The IPv4/IPv6 addresses listening on `port`, from the kernel's socket tables (Linux;
    None where there are none to read)."""
    tables = [p for p in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")) if p.is_file()]
    if not tables:
        return None
    found = set()
    for table in tables:
        for line in table.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hexport = local.rsplit(":", 1)
            if state == "0A" and int(hexport, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                family = socket.AF_INET if len(raw) == 4 else socket.AF_INET6
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                found.add(socket.inet_ntop(family, words))
    return found


@pytest.mark.parametrize("extra, host", [([], "127.0.0.1"), (["--host", "0.0.0.0"], "0.0.0.0")])
def test_serve_listens_on_127_0_0_1_unless_host_is_given(tmp_path, monkeypatch, capsys,
                                                         extra, host):
    """The address handed to uvicorn (the real server's socket is checked in the restart
    test); the printed links name this computer either way."""
    import uvicorn

    from sim.cli import main

    used = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self: used.append(self.config.host))
    port = str(free_port())
    assert main(["serve", str(FRONT), "--teams", "gov", "--port", port, *extra,
                 "--save", str(tmp_path / "c.json")]) == 0
    assert used == [host]
    assert f"Umpire:  http://127.0.0.1:{port}/umpire?key=" in capsys.readouterr().out


def test_serve_refuses_a_busy_port_in_one_line(tmp_path, capsys):
    from sim.cli import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["serve", str(FRONT), "--teams", "gov", "--port", str(port),
                     "--save", str(tmp_path / "c.json")])
    err = capsys.readouterr().err
    assert code == 2 and "cannot listen there" in err and err.count("\n") == 1


def test_every_option_of_serve_is_in_the_teachers_guide():
    import argparse

    from sim.commands import serve as cmd

    parser = argparse.ArgumentParser()
    cmd.add_parser(parser.add_subparsers())
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    options = [o for a in sub.choices["serve"]._actions for o in a.option_strings
               if o.startswith("--") and o != "--help"]
    guide = (ROOT / "docs" / "wargame.md").read_text(encoding="utf-8")
    assert len(options) >= 11
    assert [o for o in options if f"`{o}" not in guide] == []
    for shot in ("img/team-page.png", "img/umpire-console.png", "img/team-page-phone.png"):
        assert f"]({shot})" in guide and (ROOT / "docs" / shot).is_file()
