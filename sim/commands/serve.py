"""geosim serve FILE --teams A,B,C: the classroom wargame in the browser.

Starts a local web server: one page per team (its situation under fog, a map, its goals, an
order form checked as typed, its turn reports, a printable briefing) and an umpire console
(lobby, turn clock, veto and amend, injects, the unfogged map with a replay of past turns,
the umpire's log, save, and the after-action report at the end). Prints the umpire's link and
one join link per team, each with its own secret.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.errors import UsageError

DESCRIPTION = __doc__.split("\n\n", 1)[1]

EPILOG = """\
examples:
  geosim serve scenarios/iraq-2014.yaml --teams isis,iraq,kurds --turns 4 --minutes 12
  geosim serve --resume iraq-2014-class.json       # after a restart: nobody's orders lost
  geosim serve scenarios/iraq-2014.yaml --teams isis,iraq,usa --host 0.0.0.0 --port 8080

The server listens on 127.0.0.1 (this computer only) unless --host says otherwise; for a
class on a local network give --host 0.0.0.0 and hand out the links with this computer's
address. The game is saved after every change (--save); the secrets of the links are derived
from the game's key beside the save (GAME.json.key), so they stay valid after a restart.
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve", help="play a scenario as a wargame in the browser (teams on their laptops)",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", nargs="?", metavar="FILE",
                   help="scenario YAML file (optional with --resume)")
    p.add_argument("--teams", metavar="A,B,C", help="actor ids played by teams")
    p.add_argument("--turn-days", type=int, default=7, metavar="D", help="days per turn "
                   "(default 7)")
    p.add_argument("--turns", type=int, metavar="N", help="turns to play (default: the "
                   "scenario's horizon / turn days)")
    p.add_argument("--seed", type=int, default=1, help="root random seed (default 1)")
    p.add_argument("--variant", help="apply this variant of the scenario")
    p.add_argument("--minutes", type=float, default=10.0, metavar="M",
                   help="minutes per turn on the clock (default 10; 0: no deadline)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this computer only)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--save", metavar="GAME.json", help="save file, written after every change "
                   "(default <scenario id>-class.json, or the --resume file)")
    p.add_argument("--resume", metavar="GAME.json", help="resume a saved game")
    p.add_argument("--shadow-runs", type=int, default=200, metavar="N",
                   help="model runs in the after-action report's shadow ensemble (default 200)")
    p.set_defaults(handler=run)


def _session(args: argparse.Namespace):  # noqa: ANN202 - a Session, imported lazily
    from sim.scenario.loader import load
    from sim.wargame import save
    from sim.wargame.game import Game
    from sim.wargame.session import open_session

    teams = [t.strip() for t in (args.teams or "").split(",") if t.strip()]
    if args.resume:
        game, loaded, data = save.resume(args.resume, args.file, turns=args.turns)
        if teams and teams != game.teams:
            raise UsageError(f"--teams {args.teams}: the saved game's teams are "
                             f"{','.join(game.teams)}")
        path = Path(args.save or args.resume)
        return open_session(loaded, game, path, args.minutes, data.session)
    if not args.file:
        raise UsageError("geosim serve: give a scenario FILE (or --resume GAME.json)")
    loaded = load(args.file, args.variant)
    sc = loaded.scenario
    turns = args.turns or max(1, sc.scenario.horizon_days // max(args.turn_days, 1))
    game = Game(sc, args.seed, teams, args.turn_days, turns)
    path = Path(args.save or f"{sc.scenario.id}-class.json")
    return open_session(loaded, game, path, args.minutes)


def _check_free(host: str, port: int) -> None:
    """One line, before anything is printed, when the address cannot be listened on."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(infos[0][4])
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise UsageError(f"--host {host} --port {port}: cannot listen there ({why}); give "
                         "another --port") from None


def run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port}: give a port from 1 to 65535")
    if args.minutes < 0:
        raise UsageError(f"--minutes {args.minutes}: must be 0 (no deadline) or more")
    _check_free(args.host, args.port)
    session = _session(args)
    import uvicorn

    from sim.wargame.server import create_app

    app = create_app(session, args.shadow_runs)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    base = f"http://{shown}:{args.port}"
    print(f"geosim classroom: {session.game.scenario.scenario.title}")
    print(f"Umpire:  {base}/umpire?key={session.secrets['umpire']}")
    for team in session.game.teams:
        print(f"{team + ':':8} {base}/team/{team}?key={session.secrets[team]}")
    print(f"Saved after every change in {session.save_path}; stop with Ctrl-C.", flush=True)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning",
                            timeout_graceful_shutdown=2, lifespan="on")
    uvicorn.Server(config).run()
    return 0
