"""Ward users, collaborators and their group assignments (office side)."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

from shared import wire

from .. import auth
from ..clock import iso
from ..db import Database
from ..errors import ApiError
from ..store import areas, audit, changes, classifications, collaborators, households, returns, submissions, users
from .ingest import compact_results


def create_user(db: Database, username: str, full_name: str, role: str, password: str, now: dt.datetime,
                by_user_id: int | None = None) -> dict[str, Any]:
    if role not in users.ROLES:
        raise ApiError(422, "invalid_role", f"role must be one of {', '.join(users.ROLES)}",
                       "Vai trò phải là admin, officer hoặc viewer")
    if len(password) < 8:
        raise ApiError(422, "weak_password", "Password must have at least 8 characters",
                       "Mật khẩu phải có ít nhất 8 ký tự")
    ph = auth.hash_password(password)
    stamp = iso(now)
    with db.write() as conn:
        try:
            uid = users.create_user(conn, username, full_name, role, ph, stamp)
        except sqlite3.IntegrityError:
            raise ApiError(409, "username_taken", f"Username {username!r} is taken",
                           f"Tên đăng nhập {username!r} đã có") from None
        audit.record(conn, stamp, "user" if by_user_id else "system", by_user_id, "user.create", "user", uid,
                     {"username": username, "role": role})
    return {"id": uid, "username": username, "full_name": full_name, "role": role}


def set_user_active(db: Database, user_id: int, active: bool, now: dt.datetime, by_user_id: int) -> bool:
    """(De)activate a user; a deactivated user's sessions end. False: no such user (nothing written)."""
    stamp = iso(now)
    with db.write() as conn:
        if users.get_user(conn, user_id) is None:
            return False
        conn.execute("UPDATE users SET active = ? WHERE id = ?", (int(active), user_id))
        if not active:
            _end_sessions(conn, user_id, stamp)
        audit.record(conn, stamp, "user", by_user_id, "user.activate" if active else "user.deactivate", "user",
                     user_id)
    return True


def reset_password(db: Database, user_id: int, password: str, now: dt.datetime, by_user_id: int) -> bool:
    """Set a user's password; that user's other sessions end (an admin resetting their own keeps
    this session). False: no such user (nothing written)."""
    ph = auth.hash_password(password)
    stamp = iso(now)
    with db.write() as conn:
        if users.get_user(conn, user_id) is None:
            return False
        users.set_password_hash(conn, user_id, ph)
        if user_id != by_user_id:
            _end_sessions(conn, user_id, stamp)
        audit.record(conn, stamp, "user", by_user_id, "user.password_reset", "user", user_id)
    return True


def _end_sessions(conn: sqlite3.Connection, user_id: int, stamp: str) -> None:
    conn.execute("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", (stamp, user_id))


def _resolve_groups(conn: sqlite3.Connection, group_refs: list[str]) -> list[sqlite3.Row]:
    """Group references are 'KP01' (when the server has one ward) or 'BAICHAY/KP01'."""
    out = []
    all_groups = areas.list_groups(conn)
    for ref in group_refs:
        ward, _, code = ref.rpartition("/")
        found = [g for g in all_groups if g["group_code"] == code and (not ward or g["ward_code"] == ward)]
        if len(found) != 1:
            raise ApiError(422, "unknown_group", f"Unknown or ambiguous group {ref!r}",
                           f"Không tìm thấy khu phố {ref!r} (ghi rõ mã phường/mã khu phố)")
        out.append(found[0])
    return out


def _group_snapshot(conn: sqlite3.Connection, group_id: int, collaborator_id: int, stamp: str) -> int:
    """Copy a group's current households, results and open returns into the collaborator's feed.

    A device whose cursor is past the group's history would otherwise never see it.
    """
    n = 0
    rows = conn.execute("SELECT h.household_id, h.submission_id, h.server_revision, h.status, g.code, w.ward_code "
                        "FROM households h JOIN area_groups g ON g.id = h.group_id JOIN wards w ON w.id = g.ward_id "
                        "WHERE h.group_id = ? ORDER BY h.household_id", (group_id,)).fetchall()
    for h in rows:
        head = {"household_id": h["household_id"], "submission_id": h["submission_id"],
                "server_revision": h["server_revision"]}
        changes.append(conn, wire.KIND_HOUSEHOLD, h["household_id"],
                       {**head, "ward_code": h["ward_code"], "group_code": h["code"], "status": h["status"]},
                       stamp, group_id=group_id, collaborator_id=collaborator_id)
        results = [json.loads(r[0]) for r in conn.execute(
            "SELECT result FROM classifications WHERE submission_id = ? ORDER BY standard_id", (h["submission_id"],))]
        changes.append(conn, wire.KIND_CLASSIFICATION, h["household_id"], {**head, "results": compact_results(results)},
                       stamp, group_id=group_id, collaborator_id=collaborator_id)
        n += 1
        if h["status"] == "returned":
            r = conn.execute("SELECT r.*, u.full_name FROM returns r JOIN users u ON u.id = r.returned_by "
                             "WHERE r.household_id = ? AND r.resolved_by IS NULL ORDER BY r.id DESC LIMIT 1",
                             (h["household_id"],)).fetchone()
            if r is not None:
                changes.append(conn, wire.KIND_RETURN, h["household_id"],
                               {"return_id": r["id"], "household_id": r["household_id"],
                                "submission_id": r["submission_id"], "server_revision": r["server_revision"],
                                "reason": r["reason"], "returned_by": r["full_name"], "returned_at": r["returned_at"]},
                               stamp, group_id=group_id, collaborator_id=collaborator_id)
    return n


def _assignment_payload(collaborator_id: int, g: sqlite3.Row, active: bool) -> dict[str, Any]:
    return {"collaborator_id": collaborator_id, "ward_code": g["ward_code"], "group_code": g["group_code"],
            "group_name": g["group_name"], "province_code": g["province_code"], "area_type": g["area_type"],
            "active": active}


def set_groups(conn: sqlite3.Connection, collaborator_id: int, group_refs: list[str], stamp: str,
               by_user_id: int | None) -> list[str]:
    """Make the collaborator's assignments exactly ``group_refs``; emit changes for the devices."""
    wanted = {g["group_id"]: g for g in _resolve_groups(conn, group_refs)}
    current = {g["group_id"]: g for g in collaborators.groups_of(conn, collaborator_id)}
    for gid, g in wanted.items():
        if collaborators.assign(conn, collaborator_id, gid, stamp):
            changes.append(conn, wire.KIND_ASSIGNMENT, f"{collaborator_id}:{gid}",
                           _assignment_payload(collaborator_id, g, True), stamp, collaborator_id=collaborator_id)
            _group_snapshot(conn, gid, collaborator_id, stamp)
    for gid, g in current.items():
        if gid not in wanted and collaborators.unassign(conn, collaborator_id, gid):
            changes.append(conn, wire.KIND_ASSIGNMENT, f"{collaborator_id}:{gid}",
                           _assignment_payload(collaborator_id, g, False), stamp, collaborator_id=collaborator_id)
    codes = [f"{g['ward_code']}/{g['group_code']}" for g in wanted.values()]
    audit.record(conn, stamp, "user" if by_user_id else "system", by_user_id, "collaborator.assign",
                 "collaborator", collaborator_id, {"groups": codes})
    return codes


def create_collaborator(db: Database, full_name: str, phone: str | None, group_refs: list[str], now: dt.datetime,
                        by_user_id: int | None = None) -> dict[str, Any]:
    stamp = iso(now)
    with db.write() as conn:
        cid = collaborators.create_collaborator(conn, full_name, phone, stamp)
        audit.record(conn, stamp, "user" if by_user_id else "system", by_user_id, "collaborator.create",
                     "collaborator", cid, {"full_name": full_name})
        codes = set_groups(conn, cid, group_refs, stamp, by_user_id)
    return {"id": cid, "full_name": full_name, "phone": phone, "groups": codes}


def assign_groups(db: Database, collaborator_id: int, group_refs: list[str], now: dt.datetime,
                  by_user_id: int | None = None) -> dict[str, Any]:
    stamp = iso(now)
    with db.write() as conn:
        c = collaborators.get_collaborator(conn, collaborator_id)
        if c is None:
            raise ApiError(404, "collaborator_not_found", f"No collaborator {collaborator_id}",
                           f"Không có cộng tác viên {collaborator_id}")
        codes = set_groups(conn, collaborator_id, group_refs, stamp, by_user_id)
    return {"id": collaborator_id, "full_name": c["full_name"], "phone": c["phone"], "groups": codes}


def set_collaborator_active(db: Database, collaborator_id: int, active: bool, now: dt.datetime,
                            by_user_id: int) -> bool:
    """(De)activate a collaborator. False: no such collaborator (nothing written)."""
    stamp = iso(now)
    with db.write() as conn:
        if collaborators.get_collaborator(conn, collaborator_id) is None:
            return False
        conn.execute("UPDATE collaborators SET active = ? WHERE id = ?", (int(active), collaborator_id))
        audit.record(conn, stamp, "user", by_user_id, "collaborator.activate" if active else "collaborator.deactivate",
                     "collaborator", collaborator_id)
    return True


def list_collaborators(db: Database) -> list[dict[str, Any]]:
    with db.snapshot() as conn:
        out = []
        for c in collaborators.list_collaborators(conn):
            gs = collaborators.groups_of(conn, c["id"])
            out.append({"id": c["id"], "full_name": c["full_name"], "phone": c["phone"], "active": bool(c["active"]),
                        "groups": [f"{g['ward_code']}/{g['group_code']}" for g in gs]})
    return out


def household_detail(db: Database, household_id: str) -> dict[str, Any] | None:
    """Current state, current answers, every revision, current results and returns."""

    with db.snapshot() as conn:
        h = households.get(conn, household_id)
        if h is None:
            return None
        g = areas.get_group_by_id(conn, h["group_id"])
        body = submissions.body(conn, h["submission_id"]) or {}
        doc = dict(body.get("answers") or {})
        for key in ("household_id", "form_version", "collected_at"):
            if key in body:
                doc.setdefault(key, body[key])
        return {"household_id": household_id, "ward_code": g["ward_code"], "group_code": g["group_code"],
                "server_revision": h["server_revision"], "submission_id": h["submission_id"],
                "status": h["status"], "needs_review": bool(h["needs_review"]), "head_name": h["head_name"],
                "updated_at": h["updated_at"], "answers": doc,
                "classifications": classifications.for_submission(conn, h["submission_id"], full=True),
                "history": submissions.history(conn, household_id),
                "returns": returns.for_household(conn, household_id),
                "group_id": h["group_id"]}
