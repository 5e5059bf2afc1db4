"""Residential groups (khu phố), office side: create one, (de)activate one; each recorded in the
audit log."""
from __future__ import annotations

import datetime as dt
import sqlite3

from ..clock import iso
from ..db import Database
from ..errors import ApiError
from ..store import areas, audit

_REFUSALS = {
    404: ("group_not_found", "No such group", "Không có khu phố này"),
    409: ("group_taken", "The ward has a group with this code already", "Phường đã có khu phố mang mã này"),
    422: ("unknown_ward", "No such ward", "Không có phường này"),
}


class Refused(ApiError):
    """Nothing was written: 404 no such group, 409 the code is taken in that ward, 422 no such ward."""

    def __init__(self, status: int):
        code, message, message_vi = _REFUSALS[status]
        super().__init__(status, code, message, message_vi)


def create_group(db: Database, ward_id: int, code: str, name: str, now: dt.datetime, by_user_id: int) -> int:
    stamp = iso(now)
    with db.write() as conn:
        if conn.execute("SELECT 1 FROM wards WHERE id = ?", (ward_id,)).fetchone() is None:
            raise Refused(422)
        try:
            gid = areas.create_group(conn, ward_id, code, name)
        except sqlite3.IntegrityError:
            raise Refused(409) from None
        audit.record(conn, stamp, "user", by_user_id, "group.create", "group", gid, {"code": code, "name": name})
    return gid


def set_group_active(db: Database, group_id: int, active: bool, now: dt.datetime, by_user_id: int) -> None:
    stamp = iso(now)
    with db.write() as conn:
        if conn.execute("SELECT 1 FROM area_groups WHERE id = ?", (group_id,)).fetchone() is None:
            raise Refused(404)
        conn.execute("UPDATE area_groups SET active = ? WHERE id = ?", (int(active), group_id))
        audit.record(conn, stamp, "user", by_user_id, "group.activate" if active else "group.deactivate", "group",
                     group_id)
