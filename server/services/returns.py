"""An officer returns a household's submission to the collaborator, with a reason the device shows."""
from __future__ import annotations

import datetime as dt
from typing import Any

from shared import wire

from ..auth import UserPrincipal
from ..clock import iso
from ..db import Database
from ..errors import ApiError
from ..store import audit, changes, households, returns

MIN_REASON, MAX_REASON = 3, 2000


def return_household(db: Database, user: UserPrincipal, household_id: str, reason: str, now: dt.datetime,
                     submission_id: str | None = None) -> dict[str, Any]:
    """Mark the household 'returned' and send the reason to the devices of its group (next pull).

    ``submission_id``, when given, must be the household's current submission
    (409 ``not_current`` otherwise: the officer was looking at an old revision).
    """
    reason = (reason or "").strip()
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        raise ApiError(422, "invalid_reason", f"The reason must be {MIN_REASON}..{MAX_REASON} characters",
                       f"Lý do trả lại phải từ {MIN_REASON} đến {MAX_REASON} ký tự")
    stamp = iso(now)
    with db.write() as conn:
        h = households.get(conn, household_id)
        if h is None:
            raise ApiError(404, "household_not_found", f"No household {household_id}", f"Không có hộ {household_id}")
        if submission_id is not None and submission_id != h["submission_id"]:
            raise ApiError(409, "not_current", "That submission is no longer the household's current revision",
                           "Phiếu này không còn là bản mới nhất của hộ; tải lại trang",
                           [{"current_submission_id": h["submission_id"]}])
        rid = returns.insert(conn, household_id, h["submission_id"], h["server_revision"], reason, user.id, stamp)
        households.set_status(conn, household_id, "returned", stamp)
        payload = {"return_id": rid, "household_id": household_id, "submission_id": h["submission_id"],
                   "server_revision": h["server_revision"], "reason": reason, "returned_by": user.full_name,
                   "returned_at": stamp}
        changes.append(conn, wire.KIND_RETURN, household_id, payload, stamp, group_id=h["group_id"])
        audit.record(conn, stamp, "user", user.id, "household.return", "household", household_id,
                     {"reason": reason, "submission_id": h["submission_id"]})
    return payload
