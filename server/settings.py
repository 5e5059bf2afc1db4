"""Server settings: one table of (name, default, help) read by the CLI, the docs and a test.

Values come from, in order: explicit overrides (CLI options, tests), the
environment (``RASOAT_<NAME>``), the defaults below. ``Settings.check()``
lists every problem at once; ``create_app`` calls it and refuses to start.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from shared import wire

DEMO_SECRET = "rasoat-demo-secret-do-not-use"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    type: type = str


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", "", "Data directory (database, secret). Default: $XDG_DATA_HOME/rasoat or ~/.local/share/rasoat."),
    Setting("db_path", "", "SQLite database file. Default: <data_dir>/rasoat.db."),
    Setting("host", "127.0.0.1", "Interface `rasoat serve` listens on (0.0.0.0 for the ward LAN)."),
    Setting("port", 8000, "TCP port of `rasoat serve`.", int),
    Setting("public_url", "", "URL tablets use to reach this server, put in enrollment QR codes. Default: http://<host>:<port>."),
    Setting("secret", "", "Secret for signing (console sessions, CSRF). Default: generated once into <data_dir>/secret.key. "
                          "The demo secret is refused outside demo mode.", str),
    Setting("demo", False, "Demo mode: allows the demo secret; `serve --demo` seeds a demo ward into an empty database.", bool),
    Setting("enrollment_code_ttl_hours", 72, "Hours an enrollment code stays valid.", int),
    Setting("session_ttl_hours", 12, "Hours a ward user's session token (POST /api/v1/login) stays valid.", int),
    Setting("max_push_submissions", wire.MAX_SUBMISSIONS_PER_PUSH, "Most submissions accepted in one push.", int),
    Setting("max_body_bytes", wire.MAX_BODY_BYTES, "Largest request body, after gzip decompression, in bytes.", int),
    Setting("pull_limit", 500, "Default number of changes per pull page (a device may ask up to 1000).", int),
    Setting("max_attachment_bytes", 10 * 1024 * 1024, "Largest attachment (photo) file, in bytes.", int),
    Setting("max_attachment_bytes_per_device_day", 500 * 1024 * 1024,
            "Attachment bytes one device may upload per day (the rest waits for the next day).", int),
    Setting("attachment_partial_max_age_days", 7,
            "Days an unfinished photo upload is kept without a new chunk before its partial bytes are removed "
            "(at server start and by `rasoat clean-uploads`).", int),
    Setting("busy_timeout_ms", 30000, "How long a write waits for the SQLite write lock held by another process.", int),
    Setting("db_max_mb", 0, "Largest size of the database file, in MB (0: no cap). Reaching it refuses writes "
                            "as a full disk does (HTTP 507 disk_full, nothing of the batch stored); raise it and "
                            "restart to go on.", int),
    Setting("log_level", "info", "uvicorn log level.", str),
    Setting("workers", 1, "Server processes (uvicorn workers). Validation is CPU-bound: use the number of cores.", int),
)
_BY_NAME = {s.name: s for s in SETTINGS}


class SettingsError(ValueError):
    """Settings that must not start a server; the message lists every problem."""


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "rasoat"


def _coerce(s: Setting, value: Any) -> Any:
    if s.type is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise SettingsError(f"{s.name}: expected true/false, got {value!r}")
    if s.type is int:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{s.name}: expected an integer, got {value!r}") from None
    return str(value)


@dataclass(frozen=True)
class Settings:
    data_dir: str = ""
    db_path: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""
    secret: str = ""
    demo: bool = False
    enrollment_code_ttl_hours: int = 72
    session_ttl_hours: int = 12
    max_push_submissions: int = wire.MAX_SUBMISSIONS_PER_PUSH
    max_body_bytes: int = wire.MAX_BODY_BYTES
    pull_limit: int = 500
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_attachment_bytes_per_device_day: int = 500 * 1024 * 1024
    attachment_partial_max_age_days: int = 7
    busy_timeout_ms: int = 30000
    db_max_mb: int = 0
    log_level: str = "info"
    workers: int = 1
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def load(cls, overrides: Mapping[str, Any] | None = None,
             environ: Mapping[str, str] | None = None) -> "Settings":
        """Defaults < environment (RASOAT_*) < overrides (None values are ignored)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for s in SETTINGS:
            raw = env.get(f"RASOAT_{s.name.upper()}")
            if raw is not None:
                values[s.name] = _coerce(s, raw)
        for k, v in (overrides or {}).items():
            if v is None:
                continue
            if k not in _BY_NAME:
                raise SettingsError(f"unknown setting {k!r}")
            values[k] = _coerce(_BY_NAME[k], v)
        return cls(**values)

    def resolved(self) -> "Settings":
        """Fill the derived defaults (data_dir, db_path, public_url, secret from secret.key)."""
        data_dir = self.data_dir or (str(Path(self.db_path).parent) if self.db_path else str(default_data_dir()))
        db_path = self.db_path or str(Path(data_dir) / "rasoat.db")
        public_url = self.public_url or f"http://{'127.0.0.1' if self.host in ('0.0.0.0', '') else self.host}:{self.port}"
        secret = self.secret or (DEMO_SECRET if self.demo else "")
        return replace(self, data_dir=data_dir, db_path=db_path, public_url=public_url.rstrip("/"), secret=secret)

    def problems(self) -> list[str]:
        out = []
        if not self.db_path:
            out.append("db_path is empty (call resolved() first)")
        if not self.secret:
            out.append("secret is empty: set RASOAT_SECRET or let `rasoat serve` create <data_dir>/secret.key")
        elif self.secret == DEMO_SECRET and not self.demo:
            out.append("the demo secret is refused outside demo mode")
        elif len(self.secret) < 16:
            out.append("secret must be at least 16 characters")
        if not 1 <= self.port <= 65535:
            out.append("port must be 1..65535")
        if not 1 <= self.max_push_submissions <= wire.MAX_SUBMISSIONS_PER_PUSH:
            out.append(f"max_push_submissions must be 1..{wire.MAX_SUBMISSIONS_PER_PUSH}")
        if not 1024 <= self.max_body_bytes <= wire.MAX_BODY_BYTES:
            out.append(f"max_body_bytes must be 1024..{wire.MAX_BODY_BYTES}")
        if not 1 <= self.pull_limit <= wire.MAX_PULL_LIMIT:
            out.append(f"pull_limit must be 1..{wire.MAX_PULL_LIMIT}")
        if self.max_attachment_bytes < 1024 or self.max_attachment_bytes_per_device_day < 1024:
            out.append("max_attachment_bytes and max_attachment_bytes_per_device_day must be at least 1024")
        for name in ("enrollment_code_ttl_hours", "session_ttl_hours", "attachment_partial_max_age_days"):
            if getattr(self, name) < 1:
                out.append(f"{name} must be at least 1")
        if not 1 <= self.workers <= 64:
            out.append("workers must be 1..64")
        if not self.public_url.startswith(("http://", "https://")):
            out.append("public_url must start with http:// or https://")
        return out

    def check(self) -> "Settings":
        problems = self.problems()
        if problems:
            raise SettingsError("invalid settings: " + "; ".join(problems))
        return self


def to_environment(settings: "Settings") -> dict[str, str]:
    """RASOAT_* variables reproducing ``settings`` (how worker processes receive them)."""
    out = {}
    for s in SETTINGS:
        v = getattr(settings, s.name)
        out[f"RASOAT_{s.name.upper()}"] = ("true" if v else "false") if s.type is bool else str(v)
    return out


def setting_names() -> list[str]:
    return [f.name for f in fields(Settings) if f.name != "extra"]


def ensure_secret_file(data_dir: str | Path, token: str) -> str:
    """Read <data_dir>/secret.key, creating it (mode 0600) with ``token`` when absent."""
    path = Path(data_dir) / "secret.key"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    return token
