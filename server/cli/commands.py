"""Server subcommands of ``rasoat``: serve, seed-demo, backup, clean-uploads, enroll-code, create-user.

Added to the parser by server/cli/__init__.py (``register(sub)``). Settings follow server/settings.py:
options override RASOAT_* environment variables, which override the defaults.
"""
from __future__ import annotations

import argparse
import getpass
import logging
import os
import secrets
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from .base import EXIT_FAIL, EXIT_OK, CliError, print_json

log = logging.getLogger("rasoat.cli")


def settings_of(args: argparse.Namespace, **extra: Any):
    from ..settings import Settings, SettingsError

    overrides = {k: getattr(args, k, None)
                 for k in ("db_path", "data_dir", "host", "port", "public_url", "log_level", "workers")}
    if getattr(args, "demo", False):
        overrides["demo"] = True
    overrides.update(extra)
    try:
        return Settings.load(overrides).resolved()
    except SettingsError as exc:
        raise CliError(str(exc)) from None


def open_db(settings):
    from ..db import open_database

    return open_database(settings.db_path, settings.busy_timeout_ms)


def _clean_uploads(settings, days: int) -> dict[str, Any]:
    """Remove photo uploads abandoned for more than ``days`` days (server/services/attachments.py)."""
    import datetime as dt

    from ..clock import system_clock
    from ..services.attachments import clean_partial, root_dir

    db = open_db(settings)
    try:
        result = clean_partial(db, root_dir(settings.data_dir), dt.timedelta(days=days), system_clock())
    finally:
        db.close()
    return {"older_than_days": days, **result}


def _print_demo_users(result: dict[str, Any]) -> None:
    for f in result.get("failed", ()):        # demo work that could not be added (the rest was)
        print(f"  ! {f['vi']}\n    {f['en']}", file=sys.stderr)
    print("Tài khoản demo / demo accounts:", file=sys.stderr)
    for u in result.get("users", ()):
        print(f"  {u['role']:8} {u['username']:10} mật khẩu/password: {u['password']}", file=sys.stderr)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ..app import create_app
    from ..demo import is_seeded, seed_demo
    from ..settings import SettingsError, ensure_secret_file, to_environment

    settings = settings_of(args)
    if not settings.secret and not settings.demo:
        # First start: create the secret once, readable by this user only.
        secret = ensure_secret_file(settings.data_dir, secrets.token_urlsafe(32))
        settings = replace(settings, secret=secret)
    try:
        settings.check()
    except SettingsError as exc:
        raise CliError(str(exc)) from None
    if settings.demo:
        db = open_db(settings)
        try:
            if not is_seeded(db):
                print(f"Tạo dữ liệu demo / seeding demo data into {settings.db_path} ...", file=sys.stderr)
                _print_demo_users(seed_demo(db, households=args.demo_households, seed=1))
            else:
                from ..demo import DEMO_USERS
                from ..programme.demo import PARTNER_PASSWORD, PARTNER_USERS
                _print_demo_users({"users": [{"role": r, "username": u, "password": p} for u, _, r, p in DEMO_USERS]
                                   + [{"role": "partner", "username": u, "password": PARTNER_PASSWORD}
                                      for u, *_ in PARTNER_USERS]})
        finally:
            db.close()
    try:
        cleaned = _clean_uploads(settings, settings.attachment_partial_max_age_days)
    except Exception as exc:    # housekeeping must never keep the server from starting
        log.warning("cleaning abandoned photo uploads failed: %s", exc, exc_info=True)
        cleaned = {"uploads": 0, "orphan_files": 0}
    if cleaned["uploads"] or cleaned["orphan_files"]:
        print(f"Đã xoá {cleaned['uploads']} lượt gửi ảnh dở dang / removed {cleaned['uploads']} abandoned photo "
              f"uploads, {cleaned['orphan_files']} orphan partial files ({cleaned['bytes']} bytes) older than "
              f"{cleaned['older_than_days']} days", file=sys.stderr)
    print(f"rasoat: {settings.public_url}  (API docs {settings.public_url}/docs, database {settings.db_path}, "
          f"{settings.workers} worker(s))", file=sys.stderr)
    if settings.workers > 1:
        # Each worker process builds its own app from the environment (server/asgi.py).
        os.environ.update(to_environment(settings))
        from .. import workers
        if workers.reuseport_available(settings.port):   # one socket per worker: connections spread evenly
            try:
                failed = workers.serve(settings.host, settings.port, settings.log_level, settings.workers)
            except OSError as exc:
                raise CliError(f"Không mở được cổng {settings.host}:{settings.port} (một máy chủ khác đang chạy?) / "
                               f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}") from None
            if failed:
                raise CliError("Một tiến trình máy chủ không khởi động được; xem nhật ký ở trên / "
                               "a server worker failed to start; see the log above")
            return EXIT_OK
        uvicorn.run("server.asgi:app_from_environment", factory=True, workers=settings.workers,
                    host=settings.host, port=settings.port, log_level=settings.log_level)
        return EXIT_OK
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level)
    return EXIT_OK


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from ..demo import seed_demo

    settings = settings_of(args)
    db = open_db(settings)
    try:
        result = seed_demo(db, households=args.households, seed=args.seed)
    finally:
        db.close()
    if not result["seeded"]:
        print(f"rasoat seed-demo: {result['reason']} ({settings.db_path})", file=sys.stderr)
        return EXIT_OK
    _print_demo_users(result)
    print_json({k: v for k, v in result.items() if k != "users"})
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    from ..backup import BackupError, backup_attachments, backup_database
    from ..services.attachments import root_dir

    settings = settings_of(args)
    try:
        result = backup_database(settings.db_path, args.dest, settings.busy_timeout_ms)
        # The photos the backup names, beside it (<dest stem>.attachments/), each copy hash-verified.
        result["attachments"] = backup_attachments(result["path"], root_dir(settings.data_dir))
    except (BackupError, OSError) as exc:
        raise CliError(f"sao lưu thất bại / backup failed: {exc}", EXIT_FAIL) from None
    print_json(result)
    if result["attachments"]["problems"]:
        raise CliError(f"sao lưu ảnh có lỗi / attachment backup problems: {result['attachments']['problems'][:5]}",
                       EXIT_FAIL)
    return EXIT_OK


def cmd_clean_uploads(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    days = settings.attachment_partial_max_age_days if args.older_than_days is None else args.older_than_days
    if days < 0:
        raise CliError("--older-than-days phải ≥ 0 / must be at least 0")
    try:
        result = _clean_uploads(settings, days)
    except OSError as exc:
        raise CliError(f"dọn ảnh dở dang thất bại / cleanup failed: {exc}", EXIT_FAIL) from None
    print_json(result)
    return EXIT_OK


def cmd_enroll_code(args: argparse.Namespace) -> int:
    import base64

    from ..clock import system_clock
    from ..errors import ApiError
    from ..services.enrollment import create_code

    settings = settings_of(args)
    db = open_db(settings)
    try:
        result = create_code(db, args.collaborator_id, None, system_clock(), args.ttl_hours
                             or settings.enrollment_code_ttl_hours, settings.public_url)
    except ApiError as exc:
        raise CliError(f"{exc.message_vi} / {exc.message}") from None
    finally:
        db.close()
    png = base64.b64decode(result.pop("qr_png_base64"))
    if args.qr:
        Path(args.qr).write_bytes(png)
        result["qr_png"] = args.qr
    print_json(result)
    return EXIT_OK


def cmd_create_user(args: argparse.Namespace) -> int:
    from ..clock import system_clock
    from ..errors import ApiError
    from ..services.people import create_user

    password = os.environ.get("RASOAT_NEW_PASSWORD") or getpass.getpass("Mật khẩu / password: ")
    settings = settings_of(args)
    db = open_db(settings)
    try:
        print_json(create_user(db, args.username, args.full_name or args.username, args.role, password,
                                system_clock()))
    except ApiError as exc:
        raise CliError(f"{exc.message_vi} / {exc.message}") from None
    finally:
        db.close()
    return EXIT_OK


def _db_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", dest="db_path", help="SQLite database file (default <data dir>/rasoat.db)")
    p.add_argument("--data-dir", help="data directory (default $RASOAT_DATA_DIR or ~/.local/share/rasoat)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the sync server and API (FastAPI under uvicorn, SQLite)")
    _db_options(p)
    p.add_argument("--host", help="listen address (default 127.0.0.1; 0.0.0.0 for the ward LAN)")
    p.add_argument("--port", type=int, help="TCP port (default 8000)")
    p.add_argument("--public-url", help="URL tablets use, put in enrollment QR codes")
    p.add_argument("--log-level", choices=("critical", "error", "warning", "info", "debug"))
    p.add_argument("--workers", type=int, help="server processes (default 1; the number of cores for peak load)")
    p.add_argument("--demo", action="store_true", help="demo mode: seed a demo ward into an empty database")
    p.add_argument("--demo-households", type=int, default=300, help="households in the demo ward (default 300)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("seed-demo", help="create the demo ward, users, collaborators and households")
    _db_options(p)
    p.add_argument("--households", type=int, default=300)
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(func=cmd_seed_demo)

    p = sub.add_parser("backup", help="consistent online backup of the database to DEST (server may keep running)")
    _db_options(p)
    p.add_argument("dest", help="backup file (or an existing directory)")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("clean-uploads", help="remove photo uploads abandoned half-way (safe while the server runs)")
    _db_options(p)
    p.add_argument("--older-than-days", type=int,
                   help="untouched for more than this many days (default: setting attachment_partial_max_age_days, 7)")
    p.set_defaults(func=cmd_clean_uploads)

    p = sub.add_parser("enroll-code", help="one-time enrollment code (and QR PNG) for a collaborator's tablet")
    _db_options(p)
    p.add_argument("collaborator_id", type=int)
    p.add_argument("--public-url", help="server URL for the QR code (default from settings)")
    p.add_argument("--ttl-hours", type=int, help="validity in hours (default 72)")
    p.add_argument("--qr", help="write the QR code PNG to this file")
    p.set_defaults(func=cmd_enroll_code)

    p = sub.add_parser("create-user", help="create a ward user (password from RASOAT_NEW_PASSWORD or a prompt)")
    _db_options(p)
    p.add_argument("username")
    p.add_argument("--role", choices=("admin", "officer", "viewer"), required=True)
    p.add_argument("--full-name")
    p.set_defaults(func=cmd_create_user)
