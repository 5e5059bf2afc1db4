"""Pull: the changes visible to a device after its cursor, in sequence order."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from shared import wire

from ..auth import DevicePrincipal
from ..clock import iso
from ..db import Database
from ..errors import ApiError
from ..store import changes, submissions


def pull(db: Database, device: DevicePrincipal, cursor: int, limit: int, now: dt.datetime) -> dict[str, Any]:
    """One page of changes. ``cursor`` in the answer is where the next pull starts.

    When ``more`` is false the cursor jumps to the last sequence number: the rows
    in between are not for this device, so it never scans them again.
    """
    with db.snapshot() as conn:
        last = changes.last_seq(conn)
        if cursor > last:
            raise ApiError(409, "cursor_ahead",
                           f"Cursor {cursor} is beyond the server's last change {last} (restored server?): pull again from 0",
                           "Máy chủ đã được khôi phục; thiết bị cần tải lại từ đầu (cursor = 0)",
                           [{"last_seq": last}])
        rows = changes.page(conn, cursor, device.group_ids, device.collaborator_id, limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        out = []
        for r in rows:
            item = {"seq": r["seq"], "kind": r["kind"], **json.loads(r["payload"])}
            if r["kind"] == wire.KIND_HOUSEHOLD:
                body = submissions.body(conn, item["submission_id"])
                item["answers"] = wire.submission_document(body) if body else None
            out.append(item)
        next_cursor = rows[-1]["seq"] if more else max(last, cursor)
    return {"protocol": wire.PROTOCOL_VERSION, "server_time": iso(now), "cursor": next_cursor, "more": more,
            "changes": out}
