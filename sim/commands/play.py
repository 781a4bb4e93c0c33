"""geosim play FILE --teams A,B: a classroom wargame adjudicated by the model.

Teams play actors turn by turn; actors no team plays follow the model's policy. Orders are
typed at a prompt or read from files; the game is saved after every turn and ends with an
HTML after-action report (timeline, map per turn, strength and territory, and the "shadow
ensemble": how the model's own futures compare with the class's result).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import OrdersError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from sim.scenario.loader import LoadedScenario
    from sim.wargame.game import Game
    from sim.wargame.orders import Order

DESCRIPTION = """\
Play a scenario as a wargame: each team plays one actor, gives orders every turn, and the
engine adjudicates with the same model the analysts use, explaining every battle (force
ratio, factors, the dice roll, who won, who broke, what changed hands). Actors no team plays
follow the model's policy. The game is saved after every turn (--save); an HTML after-action
report is written at the end (--report).
"""

EPILOG = """\
HOW A TURN GOES: each team in turn reads its situation (its forces, the map, its goals and
the orders it can give, with the numbers to type), types orders one per line and 'done'; the
engine then plays the turn's days and prints what happened (press Enter for the next turn).
Start with, e.g. (teams on their own laptops: geosim serve):
  geosim play scenarios/iraq-2014.yaml --teams isis,iraq,kurds

ORDERS (one per line at the prompt; type 'done' to end your turn):
  attack REGION              Offensive on REGION from your forces in it and in the regions
                             next to it (60% of them commit). One battle a day while the
                             attack stays possible; list several attacks to go on to the next
                             target once one is taken. Only regions held by (or holding)
                             an actor you are at war with can be attacked.
  move FROM TO N             Move N personnel now along a road (FROM and TO must be linked)
                             to a region you or an ally hold.
  reserve REGION N           Put N personnel from your reserve into a region you or an
                             ally hold.
  strike REGION              All your air sorties this turn hit the enemy forces in REGION
                             (it must be near ground you or your allies hold).
  support ACTOR KIND AMOUNT  Help another actor (not an enemy or rival), within your means:
                               troops N          persons from your reserve, sent to the
                                                 receiver's most threatened region
                               money X           USD million from your funds, once
                               intelligence X    added share (e.g. 0.1), for this turn
                               air_strikes X     sorties/day of your own, for this turn
  stance ACTOR STANCE        Change your relation: alliance, cooperation, neutrality,
                             rivalry or war (war makes attacks on them possible).
  advisers ACTOR N           N of your personnel in regions ACTOR holds advise its forces
                             this turn: its readiness rises (up to +0.15).
  arms ACTOR X               Arms worth X USD million from your funds: its quality rises
                             for good (up to +0.10 a turn).
  start COMMITMENT           Begin one of your support commitments of the scenario now
                             (e.g. start us_air_strikes); stop COMMITMENT suspends one.
  ceasefire ACTOR            Offer a ceasefire to an enemy; a team answers next turn with
                             accept ACTOR or refuse ACTOR (war becomes neutrality).
  hold                       No offensive this turn (also what happens without an attack).
At the prompt also: help, can (what can I do this turn, with the limits), show, list, undo,
clear, done, quit. Regions and actors are typed
by their id (the map shows them); 2000 and 2,000 are both fine. If any order of a team is
impossible, none is applied and the team is asked again, with the reason:
  order 2 (move mosul -> erbil 500): not adjacent: no road from mosul to erbil (...)

Between your orders your staff follows the model's standing rules: rear forces and reserves
drift to threatened fronts, beaten or broken forces fall back.

ORDERS FILES (--orders DIR): DIR/turn-1/iran.yaml, DIR/turn-1/usa.yaml, DIR/turn-2/..., each
a YAML list in the same language:
  - attack: tikrit
  - move: {from: baghdad, to: samarra, personnel: 2000}
  - commit_reserve: {region: baqubah, personnel: 1000}
  - air_strike: {region: tikrit}
  - support: {to: iraq, kind: money, amount: 5}
  - stance: {actor: usa, stance: cooperation}
  - advisers: {to: iraq, personnel: 100}
  - arms: {to: iraq, amount: 20}
  - start: us_air_strikes
  - ceasefire: isis
  - hold
A missing or invalid file stops the game with exit status 2 before anything of that turn is
applied (the save stays at the previous turn).

REPORT: at the end (or with --report) an HTML after-action report: the timeline, the map at
each turn, strength and territory, and how each team did against --shadow-runs model runs
playing every actor from the start ("better than 78% of simulated futures", by goals met,
territory of its side and of its own actor); --shadow-from K adds the model taking over from
the state after turn K.

SAVE AND RESUME: the save file records the scenario (and its sha256), seed, teams and every
turn's orders; --resume replays them (the same seed gives the same dice) and checks that the
state matches the saved one. Ctrl-C loses at most the turn in progress.

FOG (--fog): a team sees enemy strength only where it or an ally has forces, next to them,
and one region further with intelligence >= 0.6, as a rounded range ("2,000-5,000"); without
--fog everyone sees everything (umpire view).

examples:
  geosim play scenarios/iraq-2014.yaml --teams isis,iraq,kurds --turn-days 7 --turns 6
  geosim play scenarios/iraq-2014.yaml --teams iran,usa --orders class/ --save class.json
  geosim play --resume class.json --report class.html --shadow-from 3
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "play", help="play a scenario as a turn-based wargame (teams give orders)",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", nargs="?", metavar="FILE",
                   help="scenario YAML file (optional with --resume)")
    p.add_argument("--teams", metavar="A,B",
                   help="actor ids played by teams, comma-separated (see geosim show FILE)")
    p.add_argument("--turn-days", type=int, default=7, metavar="D", help="days per turn "
                   "(default 7)")
    p.add_argument("--turns", type=int, metavar="N",
                   help="turns to play (default: the scenario's horizon / turn days)")
    p.add_argument("--seed", type=int, default=1, help="root random seed (default 1)")
    p.add_argument("--variant", help="apply this variant of the scenario")
    p.add_argument("--save", metavar="GAME.json",
                   help="save file, written after every turn (default <scenario id>-game.json,"
                   " or the --resume file)")
    p.add_argument("--resume", metavar="GAME.json", help="continue a saved game")
    p.add_argument("--orders", metavar="DIR",
                   help="read orders from DIR/turn-<n>/<team>.yaml instead of prompting")
    p.add_argument("--fog", action="store_true", help="fog of war (see FOG below)")
    p.add_argument("--report", metavar="PATH",
                   help="after-action report (HTML); default: the save file's name with .html")
    p.add_argument("--shadow-runs", type=int, default=500, metavar="N",
                   help="model runs in the report's shadow ensemble (default 500)")
    p.add_argument("--shadow-from", type=int, metavar="K",
                   help="the report also shows the model taking over from the state after "
                   "turn K (the same facts, other dice)")
    p.set_defaults(handler=run)


def _teams(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from sim.scenario.loader import load
    from sim.wargame import save
    from sim.wargame.game import Game

    console = Console(highlight=False)
    if args.resume:
        game, loaded, data = save.resume(args.resume, args.file, turns=args.turns)
        if args.teams and _teams(args.teams) != game.teams:
            raise UsageError(f"--teams {args.teams}: the saved game's teams are "
                             f"{','.join(game.teams)}")
        fog = data.fog or args.fog
        save_path = Path(args.save or args.resume)
        print(f"Resumed {args.resume}: {len(game.reports)} of {game.turns} turns replayed, "
              "state verified.")
    else:
        if not args.file:
            raise UsageError("geosim play: give a scenario FILE (or --resume GAME.json)")
        loaded = load(args.file, args.variant)
        sc = loaded.scenario
        turns = args.turns or max(1, sc.scenario.horizon_days // max(args.turn_days, 1))
        game = Game(sc, args.seed, _teams(args.teams), args.turn_days, turns)
        fog = args.fog
        save_path = Path(args.save or f"{sc.scenario.id}-game.json")
    k = args.shadow_from
    if k is not None and not 1 <= k < game.turns:
        raise UsageError(f"--shadow-from {k}: give a turn from 1 to {game.turns - 1}")
    save.save(save_path, game, loaded, fog)
    try:
        finished = _play(game, args, console, fog,
                         lambda: save.save(save_path, game, loaded, fog))
    except KeyboardInterrupt:
        print(f"\nInterrupted: the turn in progress is lost; the game is saved after turn "
              f"{len(game.reports)} in {save_path} (geosim play --resume {save_path})")
        raise
    if finished or args.report:
        _write_report(game, loaded, args, save_path, console)
    if not finished:
        print(f"Game saved after turn {len(game.reports)} in {save_path}; continue with: "
              f"geosim play --resume {save_path}")
    return 0


def _play(game: Game, args: argparse.Namespace, console: Console, fog: bool,
          saver: Any) -> bool:
    """Play the remaining turns; False when the players quit before the end."""
    from sim.wargame import views

    # With fog at a shared keyboard, each team reads its own report at its next prompt;
    # otherwise everyone reads the umpire's report once, right after the turn.
    private = fog and not args.orders
    last = bool(game.reports)  # a resumed game shows where it stands
    while not game.over:
        orders: dict[str, list[Order]] = {}
        for team in game.teams:
            if args.orders:
                orders[team] = _orders_from_file(game, team, Path(args.orders))
            else:
                got = _prompt(game, team, console, fog, last or private)
                if got is None:
                    return False
                orders[team] = got
        report = game.play_turn(orders)
        saver()
        last = False
        if not private:
            console.print(views.turn_report(game, report))
            if not args.orders and not game.over and not _wait("Press Enter for the next turn "):
                return False
    if private:  # the game is over: the fog lifts
        wipe(console)
        console.print("The game is over. The umpire's report of the last turn:")
        console.print(views.turn_report(game, game.reports[-1]))
    return True


# Home, erase the screen and (ESC[3J) the scroll-back: scrolling up must not show the last team.
WIPE = "\x1b[H\x1b[2J\x1b[3J"


def wipe(console: Console) -> None:
    """Clear the screen and the terminal's scroll-back (console.clear() keeps the latter)."""
    console.file.write(WIPE)
    console.file.flush()


def _wait(prompt: str) -> bool:
    """Wait for Enter; False when input has ended."""
    try:
        input(prompt)
    except EOFError:
        return False
    return True


def _orders_from_file(game: Game, team: str, folder: Path) -> list[Order]:
    import yaml

    from sim.wargame.orders import parse_list

    path = folder / f"turn-{game.turn}" / f"{team}.yaml"
    if not path.is_file():
        raise OrdersError(f"{path}: no orders file for team {team}, turn {game.turn} (nothing "
                          f"of turn {game.turn} was applied)")
    try:
        items = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise OrdersError(f"{path}: not valid YAML ({str(exc).splitlines()[0][:200]})") from None
    except RecursionError:
        raise OrdersError(f"{path}: nested too deeply to be an orders file") from None
    orders = parse_list(items, str(path))
    try:
        game.check(team, orders)
    except OrdersError as exc:
        raise OrdersError(f"{path}: {exc} (nothing of turn {game.turn} was applied)") from None
    return orders


def _prompt(game: Game, team: str, console: Console, fog: bool,
            last: bool) -> list[Order] | None:
    """Ask a team for its orders until it types done; None when it quits (or input ends)."""
    from rich.markup import escape

    from sim.wargame import views
    from sim.wargame.orders import parse_line

    def show() -> None:
        for part in views.situation(game, team, fog, last):
            console.print(part)
        console.print(f"[bold]{team}[/bold]: type orders one per line, 'help' for the list, "
                      "'done' when finished.")

    if fog and len(game.teams) > 1:  # a team must not read another's screen
        wipe(console)
        if not _wait(f"Hand the keyboard to team {team}, then press Enter "):
            return None
        wipe(console)
    show()
    orders: list[Order] = []
    while True:
        try:
            line = str(input(f"{team} order {len(orders) + 1}> ")).strip()
        except EOFError:
            console.print("\n(input ended)")
            return None
        word = line.lower()
        if not line:
            continue
        if word in ("done", "end", "ok"):
            return orders
        if word in ("quit", "exit"):
            return None
        if word in ("help", "?"):
            console.print(views.HELP, markup=False, soft_wrap=True)
        elif word in ("show", "map"):
            show()
        elif word in ("can", "options"):
            console.print(views.actions(game, team, fog))
        elif word == "list":
            console.print("\n".join(f"  {i}. {o.text()}" for i, o in enumerate(orders, 1))
                          or "  no orders yet (done now = hold)", soft_wrap=True, markup=False)
        elif word == "undo":
            if orders:
                console.print(f"  dropped: {orders.pop().text()}")
        elif word == "clear":
            orders.clear()
            console.print("  all orders dropped")
        else:
            try:
                order = parse_line(line)
                game.check(team, [*orders, order])
            except OrdersError as exc:
                console.print(f"  [red]not accepted:[/red] {escape(str(exc))}", soft_wrap=True)
                continue
            orders.append(order)
            console.print(f"  [green]ok:[/green] {escape(order.text())}", soft_wrap=True)


def _write_report(game: Game, loaded: LoadedScenario, args: argparse.Namespace,
                  save_path: Path, console: Console) -> None:
    from sim.wargame.aar import write_aar

    path = Path(args.report) if args.report else save_path.with_suffix(".html")
    if not game.reports:
        console.print("No turn played yet: no after-action report.")
        return
    k = args.shadow_from
    if k is not None and not 1 <= k < len(game.reports):
        raise UsageError(f"--shadow-from {k}: give a turn from 1 to {len(game.reports) - 1} "
                         f"(the game has {len(game.reports)} turns played)")
    print(f"Running the shadow ensemble ({args.shadow_runs} model runs)...", flush=True)
    write_aar(path, game, loaded, args.shadow_runs, k)
    print(f"After-action report: {path}")
