"""The fork server of the local worker pool, started early.

Local workers fork from a server process that has already imported the engine (see
ensemble.ProcessBackend), so each worker starts in milliseconds. That import takes about a
second; starting the server first thing in a command lets it run on another core while the
command imports, loads and validates the scenario and plans the run. Standard library only,
so calling it costs nothing before the heavy imports.
"""

from __future__ import annotations

import multiprocessing as mp
from multiprocessing import forkserver

# What the fork server imports once for all workers.
PRELOAD = ["sim.experiments.ensemble", "sim.model.engine"]


def context() -> mp.context.ForkServerContext:
    """The forkserver context, with the engine preloaded."""
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def start_early() -> None:
    """Start the fork server now (it imports PRELOAD in the background); idempotent."""
    context()
    forkserver.ensure_running()
