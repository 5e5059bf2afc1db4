"""`rasoat serve --workers N`: one listening socket per worker (SO_REUSEPORT), restarts, clean stop."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.live import _free_port

from .conftest import SECRET

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"),
                                reason="SO_REUSEPORT is Linux/BSD only; elsewhere uvicorn's own supervisor runs")


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def workers_of(pid: int) -> list[int]:
    """The worker processes (spawn also starts a resource tracker: it has no listening socket)."""
    return [c for c in children(pid) if "multiprocessing.resource_tracker" not in
            Path(f"/proc/{c}/cmdline").read_bytes().decode(errors="replace")]


def wait_health(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/api/v1/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not answer")


def start(db_path: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "RASOAT_SECRET": SECRET}
    return subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--db", str(db_path), "--port", str(port),
                             "--workers", "2", "--log-level", "warning"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_two_workers_serve_a_killed_one_is_replaced_and_sigterm_stops_all(db_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start(db_path, port)
    try:
        wait_health(url)
        deadline = time.monotonic() + 20
        while len(workers_of(proc.pid)) != 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        first = workers_of(proc.pid)
        assert len(first) == 2
        # Fresh connections, each hashed by the kernel to one of the two sockets: all answered.
        assert all(requests.get(url + "/api/v1/health", timeout=5).status_code == 200 for _ in range(20))
        os.kill(first[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = workers_of(proc.pid)
            if len(now) == 2 and first[0] not in now:
                break
            time.sleep(0.1)
        now = workers_of(proc.pid)
        assert len(now) == 2 and first[0] not in now and first[1] in now      # replaced, the other kept
        wait_health(url)
        assert all(requests.get(url + "/api/v1/health", timeout=5).status_code == 200 for _ in range(20))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        assert all(not Path(f"/proc/{p}").exists() or "zombie" in Path(f"/proc/{p}/status").read_text().lower()
                   for p in now)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


@pytest.mark.parametrize("reuseport", [False, True], ids=["another program", "another rasoat"])
def test_a_port_in_use_stops_the_server_with_a_message(db_path, reuseport):
    """Also when the other listener has SO_REUSEPORT (another rasoat on another data directory): the
    kernel would otherwise let both bind and split the tablets between two databases."""
    busy = socket.socket()
    if reuseport:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    proc = start(db_path, port)
    try:
        out, _ = proc.communicate(timeout=90)
        assert proc.returncode not in (0, None)
        assert "cannot listen on 127.0.0.1" in out and "Traceback" not in out
    finally:
        busy.close()
        if proc.poll() is None:
            proc.kill()


def test_a_worker_that_cannot_start_stops_the_supervisor(monkeypatch):
    from server import workers

    class Dead:
        exitcode = workers.STARTUP_FAILURE
        pid = 1

        def start(self):
            pass

        def is_alive(self):
            return False

        def join(self, timeout=None):
            pass

    sup = workers.Supervisor("127.0.0.1", 1, "warning", 2)
    monkeypatch.setattr(sup, "_start", lambda: Dead())
    assert sup.run() == 1
