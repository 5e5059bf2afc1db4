"""The real ward server (``rasoat serve --demo``) in a subprocess on loopback, for end-to-end tests.

It can be stopped and started again on the same port and database, the way a
ward PC goes off and on. Office actions go through the office API.
"""
from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
RASOAT = [sys.executable, "-c", "import sys; from server.cli import main; sys.exit(main())"]
OFFICER = ("officer", "officer-demo-2025")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RealServer:
    def __init__(self, data_dir: Path, households: int = 20):
        self.data_dir = Path(data_dir)
        self.households = households
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self._officer_token: str | None = None

    def _cli(self, *args: str) -> str:
        return subprocess.run([*RASOAT, *args, "--data-dir", str(self.data_dir)], cwd=ROOT, check=True,
                              capture_output=True, text=True, timeout=60).stdout

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [*RASOAT, "serve", "--demo", "--data-dir", str(self.data_dir), "--port", str(self.port),
             "--demo-households", str(self.households), "--log-level", "warning"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(self.data_dir / "server.log", "ab"))
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if requests.get(self.url + "/api/v1/health", timeout=1).status_code < 500:
                    return
            except requests.RequestException:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError((self.data_dir / "server.log").read_text())
            time.sleep(0.2)
        raise TimeoutError("server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def enroll_code(self, collaborator_id: int = 1) -> str:
        return json.loads(self._cli("enroll-code", str(collaborator_id), "--public-url", self.url))["code"]

    def enroll_qr(self, path: Path, collaborator_id: int = 1) -> dict[str, Any]:
        """A one-time code with its QR PNG written to ``path`` by the server (``rasoat enroll-code --qr``)."""
        return json.loads(self._cli("enroll-code", str(collaborator_id), "--public-url", self.url, "--qr", str(path)))

    def _officer(self) -> dict[str, str]:
        if self._officer_token is None:
            r = requests.post(self.url + "/api/v1/login", json={"username": OFFICER[0], "password": OFFICER[1]},
                              timeout=10)
            r.raise_for_status()
            self._officer_token = r.json()["token"]
        return {"Authorization": f"Bearer {self._officer_token}"}

    def return_household(self, hid: str, reason: str) -> dict[str, Any]:
        r = requests.post(f"{self.url}/api/v1/households/{hid}/return", json={"reason": reason},
                          headers=self._officer(), timeout=10)
        r.raise_for_status()
        return r.json()

    def rows(self, sql: str, *args: Any) -> list[tuple]:
        conn = sqlite3.connect(f"file:{self.data_dir / 'rasoat.db'}?mode=ro", uri=True)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()
