"""Several server processes on one port (``rasoat serve --workers N``).

Each worker binds its own listening socket with ``SO_REUSEPORT``, so the kernel spreads new
connections evenly over the workers. With one shared socket (uvicorn's own ``--workers``) the
first process to wake accepts every connection waiting: in a burst of 200 tablets one worker
took 85 % of the pushes and the other core sat idle (docs/performance.md, "Sync ingest").

The supervisor restarts a worker that dies (its socket closes with it, so its connections go to
the others meanwhile) and stops every worker on SIGINT / SIGTERM. A worker that cannot start (the
app does not load, the port is taken: uvicorn's exit code 3), or workers dying more than
``MAX_RESTARTS`` times in ``RESTART_WINDOW`` seconds, stop the whole server instead of restarting
forever. Where ``SO_REUSEPORT`` does not exist, uvicorn's own supervisor is used.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from typing import Any

log = logging.getLogger("rasoat.workers")

STARTUP_FAILURE = 3      # uvicorn's exit code when a worker cannot start
MAX_RESTARTS = 5
RESTART_WINDOW = 60.0    # seconds


def reuseport_available(port: int) -> bool:
    return hasattr(socket, "SO_REUSEPORT") and port != 0


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def ensure_port_free(host: str, port: int) -> None:
    """Raise OSError (EADDRINUSE) if anything listens on the port, another rasoat included.

    Sockets with SO_REUSEPORT of the same user may all bind one port: without this check a second
    server (another data directory) would silently share the tablets' connections with the first."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # a port in TIME_WAIT is free
        probe.bind((host, port))


def _worker(host: str, port: int, log_level: str) -> None:
    """One worker process: its own socket, the app built from the environment (server/asgi.py)."""
    import uvicorn

    signal.signal(signal.SIGINT, signal.SIG_IGN)     # Ctrl-C reaches the whole group: the supervisor stops us
    try:
        sock = _listen(host, port)
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", host, port, exc)
        raise SystemExit(STARTUP_FAILURE) from None
    config = uvicorn.Config("server.asgi:app_from_environment", factory=True, log_level=log_level)
    uvicorn.Server(config).run(sockets=[sock])


class Supervisor:
    def __init__(self, host: str, port: int, log_level: str, workers: int):
        self.args = (host, port, log_level)
        self.count = workers
        self.ctx = multiprocessing.get_context("spawn")
        self.procs: list[Any] = []
        self.stop = threading.Event()
        self.failed = False

    def _start(self) -> Any:
        p = self.ctx.Process(target=_worker, args=self.args, name="rasoat-worker")
        p.start()
        return p

    def run(self) -> int:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stop.set())
        self.procs = [self._start() for _ in range(self.count)]
        restarts: list[float] = []
        while not self.stop.wait(0.5):
            for i, p in enumerate(self.procs):
                if p.is_alive() or self.stop.is_set():
                    continue
                now = time.monotonic()
                restarts = [t for t in restarts if now - t < RESTART_WINDOW] + [now]
                if p.exitcode == STARTUP_FAILURE or len(restarts) > MAX_RESTARTS:
                    log.error("worker %s exited with code %s (%s): stopping the server", p.pid, p.exitcode,
                              "could not start" if p.exitcode == STARTUP_FAILURE else "restarting too often")
                    self.failed = True
                    self.stop.set()
                    break
                log.warning("worker %s died (exit code %s): starting another", p.pid, p.exitcode)
                self.procs[i] = self._start()
        for p in self.procs:
            if p.is_alive():
                p.terminate()
        for p in self.procs:
            p.join(30)
            if p.is_alive():
                p.kill()
                p.join(5)
        return 1 if self.failed else 0


def serve(host: str, port: int, log_level: str, workers: int) -> int:
    """Run ``workers`` processes; the settings reach them through the environment (set by the caller).
    Raises OSError when the port is already in use."""
    ensure_port_free(host, port)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    return Supervisor(host, port, log_level, workers).run()
