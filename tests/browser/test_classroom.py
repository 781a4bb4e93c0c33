"""A class in real browsers: three teams and the umpire at once, three turns of the reference
scenario, with a page reload, a server restart resumed from the save, an inject and a veto.

Debian's headless Chromium through playwright (no browser download); the server is the real
`geosim serve`, started and stopped by PID on a free port. Each team's context checks that it
sees only what it may: its own orders and report, other actors' strength as '?', and a 403
for another team's page or the umpire's API even with its own secret. With
GEOSIM_SCREENSHOTS=DIR the test leaves the screenshots of the guide in DIR. Every request
to anywhere but 127.0.0.1 is blocked, as on a classroom network without internet.
"""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path

import pytest

from sim.scenario.loader import load
from tests.browser.server import start_server, stop

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "scenarios" / "iraq-2014.yaml"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
TEAMS = ("isis", "iraq", "kurds")
ORDERS = {  # turn -> team -> typed lines
    1: {"isis": ["attack ramadi", "reserve mosul 500"],
        "iraq": ["reserve samarra 3000", "support kurds money 20"],
        "kurds": ["reserve kirkuk 5000", "ceasefire isis"]},
    2: {"isis": ["reserve mosul 300"], "iraq": ["reserve baqubah 2000"],
        "kurds": ["arms iraq 50"]},
    3: {"isis": ["hold"], "iraq": ["hold"], "kurds": ["reserve erbil 1000"]},
}

# Every address but this server's: such a request is aborted and recorded (none is expected).
ELSEWHERE = re.compile(r"^(?!http://127\.0\.0\.1[:/])")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium not installed (run tests/ensure_chromium.sh as root)")


class Class:
    """The browser contexts of a class: one page per team, one for the umpire."""

    def __init__(self, browser, base: str, keys: dict[str, str]):
        self.base, self.keys, self.errors, self.blocked = base, keys, [], []
        self.pages = {}
        for who in (*TEAMS, "umpire"):
            phone = who == "kurds"  # one team plays on a phone-sized screen
            context = browser.new_context(viewport={"width": 390, "height": 844} if phone
                                          else {"width": 1280, "height": 900})
            context.route(ELSEWHERE, self.block)  # no internet in this classroom
            page = context.new_page()
            page.on("pageerror", lambda exc, who=who: self.errors.append(f"{who}: {exc}"))
            page.on("dialog", lambda d: d.accept("not this turn, see me"))
            self.pages[who] = page
        self.open_all()

    def block(self, route) -> None:
        self.blocked.append(route.request.url)
        route.abort("internetdisconnected")

    def url(self, who: str) -> str:
        path = "/umpire" if who == "umpire" else f"/team/{who}"
        return f"{self.base}{path}?key={self.keys[who]}"

    def open_all(self) -> None:
        for who, page in self.pages.items():
            page.goto(self.url(who))
        for page in self.pages.values():
            page.wait_for_selector("#live:text('live')")

    def type_orders(self, team: str, lines: list[str]) -> None:
        """Type the orders, wait for the checks of exactly these lines (not an earlier
        check still on the page), submit, and wait for the server's view to say so (or to
        move on to the next turn)."""
        page = self.pages[team]
        page.fill("#orders", "\n".join(lines))
        page.wait_for_function("lines => document.getElementById('checks').dataset.lines"
                               " === JSON.stringify(lines)", arg=lines)
        refused = page.eval_on_selector_all("#checks li.bad", "ls => ls.map(l => l.textContent)")
        assert refused == [], (team, refused)
        turn = page.eval_on_selector("#turn", "node => node.textContent")
        page.click("#submit")
        # The last team's orders resolve the turn, so its page may go straight to the next
        # turn (or "over") without ever showing "orders submitted".
        page.wait_for_function(
            """turn => document.querySelector('#submit-status .bad')
                || document.getElementById('state').textContent === 'orders submitted'
                || document.getElementById('turn').textContent !== turn""", arg=turn)
        status = page.inner_text("#submit-status")
        assert "Not submitted" not in status, (team, status)

    def wait_turn(self, turn: int) -> None:
        for who, page in self.pages.items():
            text = f"Turn {turn} of 3" if turn <= 3 else "Game over"
            page.wait_for_selector(f"#turn:has-text('{text}')", timeout=30_000), who


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def check_fog(room: Class, turn: int) -> None:
    """Each team reads its own orders and report only; the others' strength is '?'."""
    for team in TEAMS:
        page = room.pages[team]
        report = page.inner_text("#report")
        assert f"Turn {turn}:" in report
        assert f"{team} ordered:" in report
        for other in TEAMS:
            if other != team:
                assert f"{other} ordered:" not in report
        rows = page.eval_on_selector_all("#report tbody tr", "rs => rs.map(r => r.innerText)")
        for row in rows:
            actor = row.split("\t")[0]
            assert ("?" in row) == (actor != team), row


def check_access(room: Class) -> None:
    """Team isis's secret opens neither iraq's page nor its API nor the umpire's."""
    page = room.pages["isis"]
    got = page.evaluate("""async ([base, key]) => {
        const h = {"X-Geosim-Key": key};
        const codes = [];
        for (const path of ["/api/team/iraq/view", "/api/team/iraq/report/1",
                            "/api/umpire/view", "/api/team/kurds/check"]) {
          const r = await fetch(base + path, {method: path.endsWith("check") ? "POST" : "GET",
                                headers: h, body: path.endsWith("check") ? "{}" : undefined});
          codes.push(r.status);
        }
        const post = await fetch(base + "/api/team/iraq/orders", {method: "POST", headers: h,
                                 body: JSON.stringify({lines: ["hold"]})});
        codes.push(post.status);
        return codes;
    }""", [room.base, room.keys["isis"]])
    assert got == [403, 403, 403, 403, 403]
    other = page.context.new_page()
    response = other.goto(f"{room.base}/team/iraq?key={room.keys['isis']}")
    assert response.status == 403 and "does not open" in other.inner_text("body")
    other.close()


def check_offline(room: Class) -> None:
    """The pages went live with the internet blocked; the block itself works (a CDN fetch
    from a page fails and is recorded), so nothing the pages need came from outside."""
    cdn = "https://cdn.jsdelivr.net/npm/plotly.js-dist-min/plotly.min.js"
    failed = room.pages["iraq"].evaluate("url => fetch(url).then(() => false, () => true)", cdn)
    assert failed and room.blocked == [cdn]
    room.blocked.clear()


def check_goals(room: Class) -> None:
    """Each team page lists that team's goals from the scenario (kind and target)."""
    actors = load(REFERENCE).scenario.actors
    for team in TEAMS:
        shown = room.pages[team].inner_text("#goals")
        for goal in actors[team].goals:
            assert f"{goal.kind.value} {goal.region or goal.actor}" in shown, (team, shown)


def turn_one(room: Class) -> None:
    umpire = room.pages["umpire"]
    umpire.wait_for_function("() => document.querySelectorAll('.badge.yes').length >= 3")
    page = room.pages["iraq"]  # a wrong order is refused with the terminal's message
    page.fill("#orders", "move baghdad mosul 100")
    page.wait_for_selector("#checks li.bad:has-text('not adjacent: no road from baghdad')")
    for team, lines in ORDERS[1].items():
        room.type_orders(team, lines)
    umpire.wait_for_selector("[data-veto='isis:1']")
    umpire.click("[data-veto='isis:1']")  # the dialog answers with the note
    room.pages["isis"].wait_for_selector(".veto:has-text('not this turn, see me')")
    umpire.fill("#inject", "support iraq money 100")
    umpire.fill("#inject-note", "Gulf donors")
    umpire.click("#inject-go")
    umpire.wait_for_selector("#log li:has-text('gave iraq money 100')")
    umpire.click("#start")  # everyone has submitted: the turn is adjudicated
    room.wait_turn(2)
    check_fog(room, 1)
    isis_report = room.pages["isis"].inner_text("#report")
    assert "reserve mosul 500" not in isis_report and "attack ramadi" in isis_report
    for team in TEAMS:
        assert "Gulf donors" not in room.pages[team].inner_text("body")


def turn_two_with_reload_and_restart(room: Class, proc, save: Path, tmp_path: Path,
                                     shots: Path | None):
    room.type_orders("isis", ORDERS[2]["isis"])
    if shots:  # mid-turn: one team has submitted, another is typing
        room.pages["iraq"].fill("#orders", "reserve baqubah 2000\nattack tikrit\nstrike tikrit")
        room.pages["iraq"].wait_for_selector("#checks li.bad")
        shoot(room, shots)
    room.pages["isis"].reload()  # a reload keeps the submitted orders
    room.pages["isis"].wait_for_selector("#state:text('orders submitted')")
    assert room.pages["isis"].input_value("#orders") == ORDERS[2]["isis"][0]
    stop(proc, signal.SIGKILL)  # the server dies mid-turn
    for page in room.pages.values():  # every page notices before the new server is up
        page.wait_for_selector("#live:text('reconnecting...')", timeout=30_000)
    port = int(room.base.rsplit(":", 1)[1])
    proc, keys, _ = start_server(["--resume", str(save), "--minutes", "12",
                                  "--shadow-runs", "20"], tmp_path, port=port)
    assert keys == room.keys
    for page in room.pages.values():  # the pages reconnect by themselves
        page.wait_for_selector("#live:text('live')", timeout=30_000)
    room.pages["isis"].wait_for_selector("#state:text('orders submitted')")
    room.pages["umpire"].wait_for_selector("#log li:has-text('the server restarted')")
    room.type_orders("iraq", ORDERS[2]["iraq"])
    room.type_orders("kurds", ORDERS[2]["kurds"])
    room.pages["umpire"].click("#start")  # a restart pauses the clock
    room.wait_turn(3)
    check_fog(room, 2)
    return proc


def finish(room: Class) -> None:
    for team, lines in ORDERS[3].items():
        room.type_orders(team, lines)
    room.wait_turn(4)
    umpire = room.pages["umpire"]
    umpire.wait_for_selector("#aar:not([hidden])", timeout=120_000)
    umpire.fill("#replay", "1")
    umpire.dispatch_event("#replay", "input")
    assert "Turn 1:" in umpire.inner_text("#report")
    for team in TEAMS:  # the umpire's report of turn 1 holds every team's orders
        assert f"{team} ordered:" in umpire.inner_text("#report")
    aar = umpire.context.new_page()
    aar.goto(umpire.get_attribute("#aar", "href").replace("/api", room.base + "/api", 1)
             if umpire.get_attribute("#aar", "href").startswith("/") else "")
    text = aar.inner_text("body")
    assert "of simulated futures" in text and "Turn 3:" in text
    traces = aar.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')]"
                          ".flatMap(p => p.data.map(t => t.name || ''))")
    assert any(t.endswith("(game)") for t in traces)  # the class's path over the fans
    aar.close()
    kurds = room.pages["kurds"]  # the phone-sized page does not scroll sideways
    assert kurds.evaluate("() => document.documentElement.scrollWidth <= innerWidth + 1")


def shoot(room: Class, shots: Path) -> None:
    shots.mkdir(parents=True, exist_ok=True)
    umpire = room.pages["umpire"]
    umpire.screenshot(path=str(shots / "umpire-console.png"), full_page=True)
    iraq = room.pages["iraq"]
    iraq.screenshot(path=str(shots / "team-page.png"), full_page=True)
    phone = room.pages["kurds"]
    phone.evaluate("() => window.scrollTo(0, 0)")
    phone.screenshot(path=str(shots / "team-page-phone.png"))


def test_a_class_of_three_teams_plays_three_turns_in_the_browser(browser, tmp_path):
    save = tmp_path / "class.json"
    proc, keys, base = start_server([str(REFERENCE), "--teams", ",".join(TEAMS), "--turns",
                                     "3", "--minutes", "12", "--shadow-runs", "20",
                                     "--save", str(save)], tmp_path)
    try:
        room = Class(browser, base, keys)
        check_offline(room)
        check_access(room)
        check_goals(room)
        turn_one(room)
        shots = os.environ.get("GEOSIM_SCREENSHOTS")
        proc = turn_two_with_reload_and_restart(room, proc, save, tmp_path,
                                                Path(shots) if shots else None)
        finish(room)
        assert room.errors == [] and room.blocked == []
    finally:
        stop(proc)
    data = json.loads(save.read_text())
    assert data["turns_played"] == 3 and data["orders"][0]["isis"] == [
        {"attack": {"region": "ramadi"}}]  # the vetoed order is not in the save
    assert data["injects"][0][0]["note"] == "Gulf donors"
    assert re.fullmatch(r"[0-9a-f]{64}", data["signature"])
