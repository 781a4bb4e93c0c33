"""How to run batches: backends with one method, `map_batches(fn, tasks)`.

`map_batches` yields `fn(task)` for every task as they complete, in any order:
`SerialBackend` (in process), `ProcessBackend` (local processes), `DaskBackend` (a
dask.distributed cluster, local or remote).

Losing the means to run is an error of its own (`BackendLost`), never a silent wait: a local
pool whose workers keep dying, a dask scheduler that went away (its futures are cancelled), a
batch that killed its dask workers, or a cluster left without any worker for
`DaskBackend.workerless_seconds`. The caller stops the run, saves what is done and says how to
resume it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable
from typing import Any, Protocol

from sim.errors import UsageError
from sim.experiments import forkserver


class BackendLost(Exception):  # noqa: N818 - a state, like TimeoutError's cousins
    """The backend can no longer run batches (workers or scheduler gone)."""


def _worker_init(lifeline: Any) -> None:
    """Set up a pool worker: leave Ctrl-C to the parent (which saves what is done and stops
    the pool), and exit when the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(lifeline,), daemon=True,
                     name="geosim-lifeline").start()


def _exit_with_parent(lifeline: Any) -> None:
    """Wait on the read end of a pipe whose only write end the parent holds; it reaches EOF
    when the parent exits or is killed (even with kill -9). A pool worker whose parent died
    would otherwise wait on its task queue for ever (the queue's pipe has a writer in every
    worker), holding its memory and the parent's stdout."""
    with contextlib.suppress(EOFError, OSError):
        while True:
            lifeline.recv_bytes()
    os._exit(0)


class Backend(Protocol):
    """Runs `fn` over tasks and yields the results as they complete (in any order)."""

    name: str
    workers: int

    def __enter__(self) -> Backend: ...
    def __exit__(self, *exc: object) -> None: ...
    def map_batches(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Generator[Any]: ...


class SerialBackend:
    """In process, one batch after another (the engine is vectorised over a batch's reps)."""

    name = "serial"
    workers = 1

    def __enter__(self) -> SerialBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def map_batches(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Generator[Any]:
        for t in tasks:
            yield fn(t)


class WorkersLostError(BackendLost):
    """Worker processes keep dying without finishing any batch."""


class ProcessBackend:
    """Local worker processes (concurrent.futures with the forkserver start method).

    forkserver (not fork) because the parent may hold threads (rich's progress bar, dask);
    we pass a context instead of changing the global start method. At most 2 x workers
    batches are in flight, so a long run holds a bounded number of results in memory.
    """

    name = "local"
    shares_files = True  # workers write their batch's parts into the results folder

    def __init__(self, workers: int, start_method: str = "forkserver", max_restarts: int = 3):
        self.workers = workers
        self.start_method = start_method
        self.max_restarts = max_restarts
        self.restarts = 0  # pools replaced after a worker died (for tests and the manifest)
        self._lifeline: Any = None  # write end of the current pool's lifeline pipe

    def __enter__(self) -> ProcessBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def _pool(self) -> Any:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        # forkserver: the engine is imported once in the fork server
        # (sim/experiments/forkserver.py);
        # workers fork from it ready to run.
        ctx = forkserver.context() if self.start_method == "forkserver" else mp.get_context(
            self.start_method)
        # The lifeline's write end stays in this process only (workers get the read end).
        lifeline, self._lifeline = ctx.Pipe(duplex=False)
        return ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_worker_init,
                                   initargs=(lifeline,))

    def map_batches(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Generator[Any]:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        todo = deque(tasks)
        failures_in_a_row = 0
        while todo:
            pool, clean = self._pool(), False
            inflight: dict[Any, Any] = {}
            try:
                while todo or inflight:
                    broken = False
                    while todo and len(inflight) < 2 * self.workers and not broken:
                        try:
                            inflight[pool.submit(fn, todo[0])] = todo[0]
                            todo.popleft()
                        except BrokenProcessPool:
                            broken = True
                    done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                    for fut in done:
                        task = inflight.pop(fut)
                        if isinstance(fut.exception(), BrokenProcessPool):
                            todo.appendleft(task)
                            broken = True
                        else:
                            failures_in_a_row = 0
                            yield fut.result()
                    if broken:
                        todo.extendleft(inflight.values())
                        inflight.clear()
                        break
                clean = not todo
            finally:
                _stop_pool(pool, clean)
            if todo:
                self.restarts += 1
                failures_in_a_row += 1
                if failures_in_a_row > self.max_restarts:
                    raise WorkersLostError(f"worker processes died {failures_in_a_row} times in "
                                           "a row without finishing a batch")


def _stop_pool(pool: Any, clean: bool) -> None:
    if clean:
        pool.shutdown(wait=True)
        return
    # Interrupted or broken: do not wait for running batches; their reps run again on resume.
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        with contextlib.suppress(Exception):
            p.terminate()
    # Wait (briefly) until they are gone, so none is still writing into the results folder
    # when the caller removes the temporary files of writes they cut short.
    for p in procs:
        with contextlib.suppress(Exception):
            p.join(timeout=10)


class DaskBackend:
    """A dask.distributed cluster: an existing one (`scheduler="tcp://HOST:PORT"`) or, without
    a scheduler, a LocalCluster of `workers` single-threaded processes (no dashboard, worker
    profiler off: its sampling thread costs time and memory on every task).

    While batches are pending it checks the cluster every `poll_seconds`: a cluster with no
    worker for `workerless_seconds` (all workers dead: dask would wait for new ones for ever)
    or a lost scheduler raises BackendLost. Dask itself re-runs the tasks of a worker that
    died, and gives up on a task that killed three workers (KilledWorker, also BackendLost).
    """

    name = "dask"
    poll_seconds = 2.0
    workerless_seconds = 60.0

    def __init__(self, workers: int = 1, scheduler: str | None = None):
        self.workers = workers
        self.scheduler = scheduler
        self._client: Any = None
        self._cluster: Any = None
        self._config: Any = None
        self._quiet: Any = None

    def __enter__(self) -> DaskBackend:
        import dask
        from distributed import Client, LocalCluster

        self._config = dask.config.set({"distributed.worker.profile.enabled": False,
                                        "distributed.admin.tick.limit": "60s"})
        self._config.__enter__()
        # distributed logs every failed reconnection attempt as a multi-line ERROR; our
        # BackendLost says it in one line.
        self._quiet = _quiet_logger("distributed")
        try:
            if self.scheduler:
                self._client = Client(self.scheduler, timeout="20s")
                self.workers = max(1, sum(self._client.nthreads().values()))
            else:
                self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                             processes=True, dashboard_address=None,
                                             silence_logs=40)
                self._client = Client(self._cluster)
        except (OSError, TimeoutError) as exc:
            self.__exit__()
            raise UsageError(f"cannot reach dask scheduler {self.scheduler}: {exc}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):  # closing a client whose scheduler is gone
            if self._client is not None:
                self._client.close(timeout=5)
        if self._cluster is not None:
            self._cluster.close()
        if self._config is not None:
            self._config.__exit__(None, None, None)
        if self._quiet is not None:
            self._quiet()
        self._client = self._cluster = self._config = self._quiet = None

    def map_batches(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Generator[Any]:
        from distributed import wait

        todo = deque(tasks)
        window = 2 * max(self.workers, 1)
        inflight: list[Any] = []
        workerless_since: float | None = None
        try:
            while todo or inflight:
                while todo and len(inflight) < window:
                    inflight.append(self._client.submit(fn, todo.popleft(), pure=False))
                try:
                    done, _ = wait(inflight, timeout=self.poll_seconds,
                                   return_when="FIRST_COMPLETED")
                except TimeoutError:
                    workerless_since = self._check_cluster(workerless_since)
                    continue
                except _lost_errors() as exc:
                    raise BackendLost(self._lost(exc)) from None
                for fut in done:
                    inflight.remove(fut)
                    yield self._result(fut)
                    fut.release()
        finally:
            for fut in inflight:
                with contextlib.suppress(Exception):
                    fut.cancel()

    def _result(self, fut: Any) -> Any:
        """The batch's output. Polled like `wait`: a finished future whose result lived on a
        worker that died goes back to pending, and with no worker left `result()` would wait
        for ever (seen when every worker left right after a batch finished)."""
        from distributed.scheduler import KilledWorker

        workerless_since: float | None = None
        try:
            while True:
                try:
                    return fut.result(timeout=self.poll_seconds)
                except TimeoutError:
                    if fut.status == "error":
                        raise  # the task's own TimeoutError
                    workerless_since = self._check_cluster(workerless_since)
        except KilledWorker as exc:
            raise BackendLost(f"a batch killed {exc.args[1] if len(exc.args) > 1 else 'its'} "
                              "dask workers (out of memory?); dask gave up on it") from None
        except _lost_errors() as exc:
            if fut.status == "error":
                raise  # the task's own exception: a bug, shown as such
            raise BackendLost(self._lost(exc)) from None

    def _check_cluster(self, workerless_since: float | None) -> float | None:
        """Raise BackendLost when the scheduler is gone or no worker has been seen for too
        long; return when the cluster became workerless (None while it has workers)."""
        if self._client.status not in ("running", "connecting"):
            raise BackendLost(self._lost(None))
        try:
            workers = len(self._client.scheduler_info()["workers"])
        except _lost_errors() as exc:
            raise BackendLost(self._lost(exc)) from None
        if workers:
            return None
        now = time.monotonic()
        if workerless_since is None:
            return now
        if now - workerless_since > self.workerless_seconds:
            raise BackendLost(f"the dask cluster at {self._where()} has had no workers for "
                              f"{self.workerless_seconds:.0f} s (all workers dead?)")
        return workerless_since

    def _where(self) -> str:
        return self.scheduler or "the local cluster"

    def _lost(self, exc: BaseException | None) -> str:
        why = f" ({type(exc).__name__})" if exc is not None else ""
        return f"lost the connection to the dask scheduler at {self._where()}{why}"


def _lost_errors() -> tuple[type[BaseException], ...]:
    """What dask raises when the scheduler goes away: cancelled futures, closed comms."""
    from concurrent.futures import CancelledError

    return (CancelledError, OSError)


def _quiet_logger(name: str) -> Callable[[], None]:
    """Silence a logger and its children below CRITICAL; return the function that restores
    them. The children too: dask's configuration gives `distributed.client` a level of its
    own, so silencing `distributed` alone left the client's 40-line reconnection traceback
    on stderr when the scheduler went away."""
    names = [name, *(n for n in logging.root.manager.loggerDict if n.startswith(name + "."))]
    loggers = [logging.getLogger(n) for n in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)

    def restore() -> None:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)

    return restore


def make_backend(name: str, workers: int, scheduler: str | None = None) -> Backend:
    """The backend for the CLI's --backend/--workers/--scheduler."""
    if scheduler:
        return DaskBackend(workers, scheduler)
    if name == "serial" or (name == "local" and workers == 1):
        return SerialBackend()
    if name == "local":
        return ProcessBackend(workers)
    if name == "dask":
        return DaskBackend(workers)
    raise UsageError(f"--backend must be one of local, dask, serial (got {name})")


