"""Shared pieces of the harness: a prepared ward database, the real server in a subprocess on
loopback, synthetic households, push helpers, and the lost/duplicated accounting.

Network traffic goes to 127.0.0.1 only: every URL here is built from ``LOOPBACK``.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Iterable

import requests

from shared import wire

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"
SECRET = "harness-secret-" + "h" * 24
RASOAT = [sys.executable, "-c", "import sys; from server.cli import main; sys.exit(main())"]
# Demo collaborators (server/demo.py): id → their first group.
COLLABORATOR_GROUP = {1: "KP01", 2: "KP02", 3: "KP03", 4: "KP04", 5: "KP05"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# --- households --------------------------------------------------------------------------------

_HOUSEHOLD_CACHE: dict[tuple[str, int], list[dict[str, Any]]] = {}


def households(n: int, group: str = "KP01", seed: int = 1) -> list[dict[str, Any]]:
    """``n`` valid synthetic households of one group (deterministic per seed, fresh household ids)."""
    from shared.synthetic import generate_ward
    from shared.validation import errors, validate

    key = (group, seed)
    pool = _HOUSEHOLD_CACHE.get(key, [])
    batch = len(pool)
    today = dt.date.today()
    while len(pool) < n:
        for h in generate_ward(max(n - len(pool), 10) * 2, seed=seed * 7919 + batch, groups=(group,)):
            if not errors(validate(h, today=today)):
                pool.append(h)
        batch += 1
    _HOUSEHOLD_CACHE[key] = pool
    out = []
    for h in pool[:n]:
        h = json.loads(json.dumps(h))
        h["household_id"] = str(uuid.uuid4())      # fresh ids: repetitions never collide
        out.append(h)
    return out


def submission(doc: dict[str, Any], revision: int = 1, base: int | None = None,
               submission_id: str | None = None, device_time: str | None = None) -> dict[str, Any]:
    return {"submission_id": submission_id or str(uuid.uuid4()), "household_id": doc["household_id"],
            "revision": revision, "base_revision": base, "form_version": doc["form_version"],
            "collected_at": doc["collected_at"],
            "device_time": device_time or now_utc().astimezone(wire.VN_TZ).replace(microsecond=0).isoformat(),
            "answers": doc}


def push_payload(subs: list[dict[str, Any]]) -> bytes:
    return wire.gzip_bytes(wire.dumps({"protocol": wire.PROTOCOL_VERSION, "submissions": subs}))


PUSH_HEADERS = {"Content-Type": "application/json", "Content-Encoding": "gzip", "Accept-Encoding": "gzip"}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- the ward database -------------------------------------------------------------------------

_TEMPLATE: Path | None = None


def template_db() -> Path:
    """The demo ward (users, collaborators, groups, forms, standards; no households), built once."""
    global _TEMPLATE
    if _TEMPLATE is not None and _TEMPLATE.exists():
        return _TEMPLATE
    from server.db import open_database
    from server.demo import seed_demo
    from server.services.publish import publish_bundled

    path = Path(tempfile.mkdtemp(prefix="rasoat-harness-template-")) / "template.db"
    db = open_database(path)
    seed_demo(db, households=0, now=now_utc())
    publish_bundled(db, now_utc())
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    _TEMPLATE = path
    return path


class Ward:
    """A data directory holding a copy of the demo ward; devices and sessions made directly in the DB."""

    def __init__(self, data_dir: Path | str):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.db_path = self.data_dir / "rasoat.db"
        if not self.db_path.exists():
            shutil.copyfile(template_db(), self.db_path)
        self.devices: list[dict[str, Any]] = []

    def _db(self):
        from server.db import open_database
        return open_database(self.db_path)

    def enroll(self, count: int, name_prefix: str = "tab") -> list[dict[str, Any]]:
        """Enroll ``count`` devices, cycling over the five demo collaborators."""
        from server.services import enrollment
        db = self._db()
        try:
            out = []
            for i in range(count):
                cid = 1 + (len(self.devices) + i) % 5
                code = enrollment.create_code(db, cid, None, now_utc(), 1, f"http://{LOOPBACK}", with_qr=False)
                got = enrollment.enroll(db, code["code"], f"{name_prefix}{len(self.devices) + i}", now_utc())
                out.append({"token": got["token"], "device_id": got["device_id"], "collaborator_id": cid,
                            "group": COLLABORATOR_GROUP[cid]})
        finally:
            db.close()
        self.devices.extend(out)
        return out

    def partner(self, body: str = "fatherland_front", group: str | None = None) -> str:
        """A session of a partner account of ``body`` (issue 20), made directly in the database."""
        from server.programme import partners
        from server.programme.access import Scope
        username = f"p-{body}-{group or 'all'}".replace("_", "-").lower()
        db = self._db()
        try:
            if db.value("SELECT id FROM users WHERE username = ?", (username,)) is None:
                admin = db.value("SELECT id FROM users WHERE username = 'admin'")
                partners.create(db, Scope(admin, "admin", "admin", "admin"),
                                {"username": username, "full_name": f"Đơn vị {body}",
                                 "password": "partner-pass-" + body, "body_id": body, "group_code": group}, now_utc())
        finally:
            db.close()
        return self.session(username)

    def session(self, username: str, ttl_hours: int = 12) -> str:
        from server import auth as server_auth
        db = self._db()
        try:
            uid = db.value("SELECT id FROM users WHERE username = ?", (username,))
            with db.write() as conn:
                token, _ = server_auth.start_session(conn, uid, now_utc(), ttl_hours)
        finally:
            db.close()
        return token


# --- the real server in a subprocess -----------------------------------------------------------

class ServerProcess:
    """``rasoat serve`` on 127.0.0.1 (a free port, kept across restarts), on a ward's database."""

    def __init__(self, db_path: Path | str, port: int | None = None, workers: int = 1,
                 log: Path | str | None = None, env: dict[str, str] | None = None):
        self.db_path = Path(db_path)
        self.port = port or free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.workers = workers
        self.log = Path(log) if log else self.db_path.parent / "server.log"
        self.env = env or {}
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "ServerProcess":
        env = {**os.environ, "RASOAT_SECRET": SECRET, "PYTHONDONTWRITEBYTECODE": "1", **self.env}
        env.pop("RASOAT_DEMO", None)
        cmd = [*RASOAT, "serve", "--db", str(self.db_path), "--data-dir", str(self.db_path.parent),
               "--host", LOOPBACK, "--port", str(self.port), "--log-level", "warning",
               "--workers", str(self.workers)]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, "ab"), start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}: " + self.log.read_text()[-3000:])
            try:
                if requests.get(self.url + "/api/v1/health", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.kill()
        raise TimeoutError("server did not start: " + self.log.read_text()[-3000:])

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def kill(self) -> None:
        """SIGKILL the server (and its workers: it leads its own process group)."""
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def backup_cli(db_path: Path, dest: Path) -> dict[str, Any]:
    """``rasoat backup`` as an operator runs it (a separate process)."""
    out = subprocess.run([*RASOAT, "backup", "--db", str(db_path), str(dest)], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ, "RASOAT_SECRET": SECRET})
    return json.loads(out.stdout)


# --- accounting -----------------------------------------------------------------------------------

def ro_connect(db_path: Path | str) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)


def integrity(db_path: Path | str) -> str:
    conn = sqlite3.connect(str(db_path), timeout=30)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def account(db_path: Path | str, held: dict[str, str], receipts: dict[str, dict[str, Any]] | None = None,
            households_expected: Iterable[str] | None = None) -> dict[str, Any]:
    """Lost / duplicated for the records a device held.

    ``held``: submission_id → household_id of every record the device had queued (or holds a receipt for).
    Lost: a held submission the server does not store. Duplicated: a submission_id stored more than once,
    a household_id with more than one household row, or a household holding more stored submissions than
    the device made for it (a retry stored under another id). A receipt whose receipt_id differs from the
    stored one is counted as ``receipt_mismatch``.
    """
    conn = ro_connect(db_path)
    try:
        ids = list(held)
        stored: dict[str, tuple[str, str, str]] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            q = ",".join("?" * len(chunk))
            for sid, rid, hid, status in conn.execute(
                    f"SELECT submission_id, receipt_id, household_id, status FROM submissions "
                    f"WHERE submission_id IN ({q})", chunk):
                stored[sid] = (rid, hid, status)
        lost = [s for s in ids if s not in stored]
        dup_sid = conn.execute("SELECT COUNT(*) FROM (SELECT submission_id FROM submissions GROUP BY submission_id "
                               "HAVING COUNT(*) > 1)").fetchone()[0]
        dup_hh = conn.execute("SELECT COUNT(*) FROM (SELECT household_id FROM households GROUP BY household_id "
                              "HAVING COUNT(*) > 1)").fetchone()[0]
        made: dict[str, int] = {}
        for sid, hid in held.items():
            made[hid] = made.get(hid, 0) + 1
        extra = 0
        hids = list(made)
        for i in range(0, len(hids), 500):
            chunk = hids[i:i + 500]
            q = ",".join("?" * len(chunk))
            for hid, n in conn.execute(f"SELECT household_id, COUNT(*) FROM submissions WHERE household_id IN ({q}) "
                                       f"GROUP BY household_id", chunk):
                extra += max(0, n - made[hid])
        missing_households = 0
        if households_expected is not None:
            hx = list(households_expected)
            for i in range(0, len(hx), 500):
                chunk = hx[i:i + 500]
                q = ",".join("?" * len(chunk))
                have = conn.execute(f"SELECT COUNT(*) FROM households WHERE household_id IN ({q})", chunk).fetchone()[0]
                missing_households += len(chunk) - have
        mismatch = 0
        for sid, rec in (receipts or {}).items():
            s = stored.get(sid)
            if s is not None and rec.get("receipt_id") != s[0]:
                mismatch += 1
    finally:
        conn.close()
    return {"held": len(held), "stored": len(stored), "lost": len(lost), "lost_ids": lost[:10],
            "duplicated": dup_sid + dup_hh + extra, "duplicate_submission_ids": dup_sid,
            "duplicate_households": dup_hh, "extra_submissions": extra, "missing_households": missing_households,
            "receipt_mismatch": mismatch}


class Sampler:
    """Samples a process tree's CPU and memory (psutil if installed, else /proc) every ``interval`` s."""

    def __init__(self, pid: int, interval: float = 0.5):
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, float, float]] = []     # (t, cpu %, rss MiB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _procs(self):
        import psutil
        root = psutil.Process(self.pid)
        return [root, *root.children(recursive=True)]

    def _run(self) -> None:
        try:
            import psutil  # noqa: F401
        except ImportError:
            return self._run_proc()
        known: dict[int, Any] = {}
        while not self._stop.wait(self.interval):
            try:
                procs = self._procs()
            except Exception:
                continue
            cpu = rss = 0.0
            for p in procs:
                try:
                    if p.pid not in known:
                        known[p.pid] = p
                        p.cpu_percent(None)
                        continue
                    cpu += known[p.pid].cpu_percent(None)
                    rss += p.memory_info().rss / 2 ** 20
                except Exception:
                    pass
            self.samples.append((time.monotonic(), cpu, rss))

    def _run_proc(self) -> None:       # fallback without psutil: /proc/PID/stat and status
        tick = os.sysconf("SC_CLK_TCK")
        last = None
        while not self._stop.wait(self.interval):
            try:
                fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
                cpu_t = (int(fields[11]) + int(fields[12])) / tick
                rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20
            except OSError:
                continue
            now = time.monotonic()
            if last is not None:
                self.samples.append((now, 100 * (cpu_t - last[1]) / (now - last[0]), rss))
            last = (now, cpu_t)

    def __enter__(self) -> "Sampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(5)

    def summary(self) -> dict[str, float]:
        if not self.samples:
            return {"cpu_mean_pct": 0.0, "cpu_max_pct": 0.0, "rss_max_mib": 0.0}
        cpus = [s[1] for s in self.samples]
        return {"cpu_mean_pct": round(sum(cpus) / len(cpus), 1), "cpu_max_pct": round(max(cpus), 1),
                "rss_max_mib": round(max(s[2] for s in self.samples), 1)}


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    v = sorted(values)
    k = min(len(v) - 1, max(0, int(round(p / 100 * (len(v) - 1)))))
    return v[k]


def is_envelope(body: Any) -> bool:
    err = body.get("error") if isinstance(body, dict) else None
    return isinstance(err, dict) and all(isinstance(err.get(k), str) for k in ("code", "message", "message_vi")) \
        and isinstance(err.get("details"), list)
