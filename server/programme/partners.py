"""Partner accounts: one ward user with role ``partner`` per responsible body (plan §IV), and for a
residential group its group. Created by an admin; deactivated like any user (console Users page)."""
from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from .. import auth
from ..clock import iso
from ..db import Database
from ..errors import ApiError
from ..store import audit
from . import eligible
from .scope import PARTNER, Scope


def create(db: Database, scope: Scope, payload: dict[str, Any], now: dt.datetime,
           password_hash: str | None = None) -> dict[str, Any]:
    """A partner account. ``password_hash``: the demo's one hash for its shared password (argon2 is slow)."""
    cat = eligible.catalogue()
    username = str(payload.get("username") or "").strip()
    full_name = str(payload.get("full_name") or "").strip()
    password = str(payload.get("password") or "")
    body_id = str(payload.get("body_id") or "")
    group_code = str(payload.get("group_code") or "").strip() or None
    problems = []
    if not username or len(username) > 64:
        problems.append({"field": "username", "message_vi": "Tên đăng nhập: chưa nhập (tối đa 64 ký tự)"})
    if not full_name or len(full_name) > 200:
        problems.append({"field": "full_name", "message_vi": "Họ tên / tên đơn vị: chưa nhập (tối đa 200 ký tự)"})
    if len(password) < 8:
        problems.append({"field": "password", "message_vi": "Mật khẩu: ít nhất 8 ký tự"})
    body = cat.bodies.get(body_id)
    if body is None or not body.get("delivers", True):
        problems.append({"field": "body_id", "message_vi": "Cơ quan, đơn vị: chọn một đơn vị thực hiện trong kế hoạch"})
    elif body.get("per_group") and not group_code:
        problems.append({"field": "group_code", "message_vi": "Khu phố: tài khoản khu phố phải chọn một khu phố"})
    elif not body.get("per_group") and group_code:
        problems.append({"field": "group_code", "message_vi": "Khu phố: chỉ dùng cho tài khoản khu phố"})
    if problems:
        raise ApiError(422, "invalid_partner", "; ".join(p["field"] for p in problems),
                       "; ".join(p["message_vi"] for p in problems), problems)
    ph = password_hash or auth.hash_password(password)
    stamp = iso(now)
    with db.write() as w:
        gid = None
        if group_code:
            row = w.execute("SELECT id FROM area_groups WHERE code = ?", (group_code,)).fetchall()
            if len(row) != 1:
                raise ApiError(404, "group_not_found", f"Unknown group {group_code}",
                               f"Khu phố: không tìm thấy {group_code}", [{"field": "group_code"}])
            gid = row[0][0]
        try:
            uid = int(w.execute("INSERT INTO users (username, full_name, role, password_hash, created_at) "
                                "VALUES (?, ?, ?, ?, ?)", (username, full_name, PARTNER, ph, stamp)).lastrowid)
        except sqlite3.IntegrityError:
            raise ApiError(409, "username_taken", f"Username {username!r} is taken",
                           f"Tên đăng nhập {username!r} đã có") from None
        w.execute("INSERT INTO partner_accounts (user_id, body_id, group_id, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
                  (uid, body_id, gid, scope.user_id, stamp))
        audit.record(w, stamp, "user", scope.user_id, "partner.create", "user", uid,
                     {"username": username, "body": body_id, "group": group_code})
    return {"id": uid, "username": username, "full_name": full_name, "role": PARTNER, "body_id": body_id,
            "body_vi": cat.label("body", body_id), "group_code": group_code}


def list_partners(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    cat = eligible.catalogue()
    return [dict(r, body_vi=cat.label("body", r["body_id"])) for r in conn.execute(
        "SELECT u.id, u.username, u.full_name, u.active, u.created_at, p.body_id, g.code AS group_code "
        "FROM partner_accounts p JOIN users u ON u.id = p.user_id LEFT JOIN area_groups g ON g.id = p.group_id "
        "ORDER BY p.body_id, u.username")]
