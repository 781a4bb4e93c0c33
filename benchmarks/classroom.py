"""How fast the next turn's report reaches a whole class in the browser (issue 12).

Starts `geosim serve` on the reference scenario with six teams, connects 30 team clients at
once (five per team, each on its own server-sent-event stream, as 30 students' laptops
would), and for each of three turns submits every team's orders and measures, from the
moment the last team's orders are sent, how long until every one of the 30 clients has
received the next turn's view with the new report. Prints each turn's figures and the load
average (the machine may be shared: say so when quoting the figure).

    .venv/bin/python benchmarks/classroom.py [--clients 30] [--turns 3]

Not a timed test: it measures and prints. Target: every client within 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "scenarios" / "iraq-2014.yaml"
TEAMS = ["isis", "iraq", "kurds", "pmf", "iran", "usa"]
ORDERS = {"isis": ["reserve mosul 200"], "iraq": ["reserve baghdad 1000"],
          "kurds": ["reserve erbil 1000"], "pmf": ["hold"], "iran": ["reserve baghdad 100"],
          "usa": ["support iraq intelligence 0.1"]}


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(folder: Path, turns: int) -> tuple[subprocess.Popen, dict[str, str], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "serve", str(REFERENCE), "--teams", ",".join(TEAMS),
         "--turns", str(turns + 1), "--minutes", "0", "--port", str(port),
         "--save", str(folder / "bench.json")],
        cwd=folder, stdout=subprocess.PIPE, text=True, env={**os.environ,
                                                             "PYTHONUNBUFFERED": "1"})
    keys = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        if "?key=" in line:
            who, url = line.split(None, 1)
            keys[who.rstrip(":").lower()] = url.strip().split("key=")[1]
        if line.startswith("Saved after every change"):
            break
    return proc, keys, f"http://127.0.0.1:{port}"


class Client:
    """One student's page: an event stream, the time each turn's view arrived."""

    def __init__(self, team: str):
        self.team, self.arrived, self.ready = team, {}, asyncio.Event()

    async def listen(self, http: httpx.AsyncClient, base: str, key: str) -> None:
        url = f"{base}/api/team/{self.team}/stream?key={key}"
        async with http.stream("GET", url, timeout=None) as events:
            async for line in events.aiter_lines():
                if line.startswith("data:"):
                    view = json.loads(line[5:])
                    self.arrived.setdefault(view["turn"], time.perf_counter())
                    # A turn's view carries the report of the turn before it.
                    assert view["turn"] == 1 or view["reports"][-1]["turn"] == view["turn"] - 1
                    self.ready.set()


async def turn(http: httpx.AsyncClient, base: str, keys: dict[str, str], clients: list[Client],
               k: int) -> list[float]:
    for team in TEAMS[:-1]:
        got = await http.post(f"{base}/api/team/{team}/orders", json={"lines": ORDERS[team]},
                              headers={"X-Geosim-Key": keys[team]})
        assert got.status_code == 200, got.text
    last = time.perf_counter()  # the last team's orders leave now
    got = await http.post(f"{base}/api/team/{TEAMS[-1]}/orders",
                          json={"lines": ORDERS[TEAMS[-1]]},
                          headers={"X-Geosim-Key": keys[TEAMS[-1]]})
    assert got.status_code == 200, got.text
    deadline = time.perf_counter() + 60
    while any(k + 1 not in c.arrived for c in clients) and time.perf_counter() < deadline:
        await asyncio.sleep(0.005)
    return [c.arrived[k + 1] - last for c in clients]


async def main_async(n_clients: int, turns: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        proc, keys, base = start(Path(folder), turns)
        try:
            limits = httpx.Limits(max_connections=n_clients + 10)
            async with httpx.AsyncClient(limits=limits, timeout=60) as http:
                for _ in range(100):
                    try:
                        await http.get(base + "/")
                        break
                    except httpx.HTTPError:
                        await asyncio.sleep(0.1)
                clients = [Client(TEAMS[i % len(TEAMS)]) for i in range(n_clients)]
                tasks = [asyncio.create_task(c.listen(http, base, keys[c.team]))
                         for c in clients]
                await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in clients)), 60)
                await http.post(f"{base}/api/umpire/clock", json={"run": True},
                                headers={"X-Geosim-Key": keys["umpire"]})
                print(f"{n_clients} clients connected ({len(TEAMS)} teams); load average "
                      f"{loadavg()}")
                worst = []
                for k in range(1, turns + 1):
                    lags = await turn(http, base, keys, clients, k)
                    worst.append(max(lags))
                    print(f"turn {k}: report at every client {max(lags):.3f} s after the last "
                          f"order (median client {statistics.median(lags):.3f} s, first "
                          f"{min(lags):.3f} s)")
                for task in tasks:
                    task.cancel()
        finally:
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
    print(f"worst over {turns} turns: {max(worst):.3f} s (target 2 s); load average now "
          f"{loadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--turns", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main_async(args.clients, args.turns))


if __name__ == "__main__":
    main()
