"""Publish the bundled form and standard versions to devices (a change row when new or changed)."""
from __future__ import annotations

import datetime as dt
import json

from shared import wire
from shared.forms import FORMS_DIR
from shared.standards import STANDARDS_DIR

from ..clock import iso
from ..db import Database
from ..store import changes, versions


def publish_bundled(db: Database, now: dt.datetime) -> list[str]:
    """Idempotent; returns the ids published now."""
    stamp = iso(now)
    done = []
    items = []
    for path in sorted(FORMS_DIR.glob("household-*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        items.append((wire.KIND_FORM, f"{data['form_id']}@{data['version']}",
                      {"form_id": data["form_id"], "version": str(data["version"]), "definition": data}))
    for path in sorted(STANDARDS_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        items.append((wire.KIND_STANDARD, str(data["id"]),
                      {"standard_id": str(data["id"]), "status": data.get("status"), "definition": data}))
    with db.write() as conn:
        for kind, vid, payload in items:
            h = wire.sha256_hex(wire.canonical_json(payload))
            if versions.published_hash(conn, kind, vid) == h:
                continue
            changes.append(conn, kind, vid, payload, stamp)
            versions.mark_published(conn, kind, vid, h, stamp)
            done.append(vid)
    return done
