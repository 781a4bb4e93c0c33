"""The classroom server: a Starlette app over a Session, with server-sent events.

Each team's join link carries its secret (``/team/iran?key=...``); every team route checks
that the secret is that team's (403 otherwise, 404 for a team not in the game), so no request
with team A's secret reads team B's view, orders, log or report or submits for B. The umpire's
routes take the umpire's secret only. Live updates are server-sent events (``/stream``): after
every change each connected page gets its own view pushed, computed once per team. A ticker
adjudicates the turn at the deadline, or as soon as every team has submitted while the clock
runs. Pages, scripts and styles are files of this package (sim/wargame/web/): no CDN.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from sim.errors import SimError
from sim.wargame import webview
from sim.wargame.session import UMPIRE, Session

WEB = Path(__file__).with_name("web")
KEEPALIVE_S = 15.0
TICK_S = 0.2


class Denied(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Hub:
    """The open event streams, and one view per team (and the umpire's) per change."""

    def __init__(self, session: Session):
        self.session = session
        self.queues: list[tuple[str, asyncio.Queue[str]]] = []

    def view(self, who: str) -> dict[str, Any]:
        if who == UMPIRE:
            return webview.umpire_view(self.session)
        return webview.team_view(self.session, who)

    def publish(self) -> None:
        cache: dict[str, str] = {}
        for who, queue in self.queues:
            if who not in cache:
                cache[who] = json.dumps(self.view(who), separators=(",", ":"))
            if queue.full():  # a slow page only needs the latest view
                queue.get_nowait()
            queue.put_nowait(cache[who])

    async def stream(self, who: str, request: Request) -> AsyncIterator[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=2)
        self.session.joined[who] = asyncio.get_running_loop().time()
        if who != UMPIRE:
            self.publish()  # the umpire's lobby shows who has joined
        self.queues.append((who, queue))
        try:
            yield f"event: view\ndata: {json.dumps(self.view(who), separators=(',', ':'))}\n\n"
            while not await request.is_disconnected():
                try:
                    data = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                yield f"event: view\ndata: {data}\n\n"
        finally:
            self.queues.remove((who, queue))


def _key(request: Request) -> str | None:
    return request.headers.get("x-geosim-key") or request.query_params.get("key")


def _allow(request: Request, team: str) -> None:
    """Raise Denied unless the request's secret is `team`'s (or the umpire's, for UMPIRE)."""
    session: Session = request.app.state.session
    if team != UMPIRE and team not in session.game.teams:
        raise Denied(404, f"no team '{team[:40]}' in this game")
    who = session.who(_key(request))
    if who != team:
        raise Denied(403, "this link's secret does not open this page" if who is None
                     else f"the secret of {who} does not open {team}'s page")


def _guard(handler: Any, role: str) -> Any:
    """Wrap a handler: check access, turn SimErrors into a 400 with the message."""
    async def endpoint(request: Request) -> Response:
        team = UMPIRE if role == UMPIRE else request.path_params["team"]
        try:
            _allow(request, team)
            return await handler(request, team)
        except Denied as exc:
            if request.url.path.startswith("/api/"):
                return JSONResponse({"error": str(exc)}, status_code=exc.status)
            return HTMLResponse(f"<h1>{exc.status}</h1><p>{exc}</p>", status_code=exc.status)
        except (SimError, ValueError) as exc:  # bad orders, bad numbers in a form
            return JSONResponse({"error": str(exc)[:2000]}, status_code=400)
    return endpoint


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > 100_000:
        raise SimError("request too large")
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise SimError("the request body is not JSON") from None
    if not isinstance(data, dict):
        raise SimError("the request body is a JSON object")
    return data


def _lines(data: dict[str, Any]) -> list[str]:
    lines = data.get("lines", [])
    if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
        raise SimError("lines: a list of orders, one string each")
    return lines


def _changed(request: Request) -> None:
    request.app.state.hub.publish()


# ------------------------------------------------------------------------------ team routes


async def team_page(request: Request, team: str) -> Response:
    return FileResponse(WEB / "team.html")


async def team_view(request: Request, team: str) -> Response:
    return JSONResponse(webview.team_view(request.app.state.session, team))


async def team_check(request: Request, team: str) -> Response:
    lines = _lines(await _body(request))
    return JSONResponse({"checks": request.app.state.session.check_lines(team, lines)})


async def team_submit(request: Request, team: str) -> Response:
    orders = request.app.state.session.submit(team, _lines(await _body(request)))
    _changed(request)
    advance_if_due(request.app)  # the last team's orders: no wait for the ticker
    return JSONResponse({"submitted": [o.text() for o in orders]})


async def team_withdraw(request: Request, team: str) -> Response:
    request.app.state.session.withdraw(team)
    _changed(request)
    return JSONResponse({"submitted": False})


async def team_report(request: Request, team: str) -> Response:
    game = request.app.state.session.game
    turn = request.path_params["turn"]
    if not 1 <= turn <= len(game.reports):
        return JSONResponse({"error": f"no report of turn {turn} yet"}, status_code=404)
    return JSONResponse(webview.report_for(game, game.reports[turn - 1], team))


async def team_briefing(request: Request, team: str) -> Response:
    from sim.wargame.briefing import briefing_html

    return HTMLResponse(briefing_html(request.app.state.session, team))


async def stream(request: Request, team: str) -> Response:
    from starlette.responses import StreamingResponse

    return StreamingResponse(request.app.state.hub.stream(team, request),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


# ---------------------------------------------------------------------------- umpire routes


async def umpire_page(request: Request, team: str) -> Response:
    return FileResponse(WEB / "umpire.html")


async def umpire_view(request: Request, team: str) -> Response:
    return JSONResponse(webview.umpire_view(request.app.state.session))


async def umpire_act(request: Request, team: str) -> Response:
    """One umpire action: clock, advance, veto, amend, inject, save."""
    session: Session = request.app.state.session
    data = await _body(request)
    action = request.path_params["action"]
    note = str(data.get("note", ""))
    if action == "clock":
        if data.get("minutes") is not None:
            session.clock.minutes = max(0.0, min(float(data["minutes"]), 24 * 60.0))
        session.clock.start() if data.get("run", True) else session.clock.pause()
        session.note("clock " + ("started" if session.clock.running else "paused"))
        session.changed()
        advance_if_due(request.app)
    elif action == "advance":
        session.advance("the umpire advanced")
        _after_turn(request)
    elif action in ("veto", "amend"):
        team_of, index = str(data.get("team", "")), int(data.get("index", -1))
        if team_of not in session.game.teams:
            raise SimError(f"no team '{team_of[:40]}'")
        if action == "veto":
            session.veto(team_of, index, note)
        else:
            session.amend(team_of, index, str(data.get("line", "")), note)
    elif action == "inject":
        session.inject(str(data.get("line", "")), note)
    elif action == "save":
        session.changed()
    else:
        return JSONResponse({"error": f"no action '{action[:40]}'"}, status_code=404)
    _changed(request)
    return JSONResponse({"ok": True, "version": session.version})


async def umpire_aar(request: Request, team: str) -> Response:
    path = request.app.state.session.aar_path
    if path is None:
        return JSONResponse({"error": "the after-action report is written when the game "
                             "ends"}, status_code=404)
    return FileResponse(path, media_type="text/html")


def _after_turn(request_or_app: Any) -> None:
    app = getattr(request_or_app, "app", request_or_app)
    if app.state.session.game.over and app.state.aar_task is None:
        app.state.aar_task = asyncio.get_running_loop().create_task(_write_aar(app))


async def _write_aar(app: Starlette) -> None:
    from sim.wargame.aar import write_aar

    session: Session = app.state.session
    path = session.save_path.with_suffix(".html")
    await asyncio.to_thread(write_aar, path, session.game, session.loaded,
                            app.state.shadow_runs)
    session.aar_path = path
    session.note(f"after-action report written: {path}")
    app.state.hub.publish()


def advance_if_due(app: Starlette) -> None:
    """Adjudicate at the deadline, or when every team has submitted while the clock runs."""
    session: Session = app.state.session
    why = session.due()
    if why:
        session.advance(why)
        _after_turn(app)
        app.state.hub.publish()


async def ticker(app: Starlette) -> None:
    while True:
        await asyncio.sleep(TICK_S)
        advance_if_due(app)


def create_app(session: Session, shadow_runs: int = 200) -> Starlette:
    def team(path: str, handler: Any, methods: tuple[str, ...] = ("GET",)) -> Route:
        return Route(path, _guard(handler, "team"), methods=list(methods))

    def umpire(path: str, handler: Any, methods: tuple[str, ...] = ("GET",)) -> Route:
        return Route(path, _guard(handler, UMPIRE), methods=list(methods))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(ticker(app))
        _after_turn(app)
        yield
        task.cancel()

    routes = [
        Route("/", lambda r: HTMLResponse("<p>geosim classroom: open your join link.</p>")),
        Route("/favicon.ico", lambda r: Response(status_code=204)),
        team("/team/{team}", team_page), team("/team/{team}/briefing", team_briefing),
        team("/api/team/{team}/view", team_view), team("/api/team/{team}/stream", stream),
        team("/api/team/{team}/check", team_check, ("POST",)),
        team("/api/team/{team}/orders", team_submit, ("POST",)),
        team("/api/team/{team}/orders", team_withdraw, ("DELETE",)),
        team("/api/team/{team}/report/{turn:int}", team_report),
        umpire("/umpire", umpire_page), umpire("/api/umpire/view", umpire_view),
        umpire("/api/umpire/stream", lambda r, t: stream(r, UMPIRE)),
        umpire("/api/umpire/aar", umpire_aar),
        umpire("/api/umpire/{action}", umpire_act, ("POST",)),
        Mount("/static", StaticFiles(directory=WEB), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.session = session
    app.state.hub = Hub(session)
    app.state.shadow_runs = shadow_runs
    app.state.aar_task = None
    return app
