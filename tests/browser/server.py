"""Start and stop a real `geosim serve` for tests: a free port, by PID, links read from stdout."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(args: list[str], cwd: Path, port: int | None = None,
                 ) -> tuple[subprocess.Popen, dict[str, str], str]:
    """Run `geosim serve ARGS --port PORT`; return the process, each one's secret, the base."""
    port = port or free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "serve", *args, "--port",
                             str(port)], cwd=cwd, stdout=subprocess.PIPE, text=True,
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    links: dict[str, str] = {}
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "server ended"
        if "?key=" in line:
            who, url = line.split(None, 1)
            links[who.rstrip(":").lower()] = url.strip().split("key=")[1]
        if line.startswith("Saved after every change"):
            break
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(base + "/", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    return proc, links, base


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """End the server by its PID (never by name) and wait for it."""
    if proc.poll() is None:
        os.kill(proc.pid, sig)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)
