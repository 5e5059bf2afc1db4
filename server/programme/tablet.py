"""The tablet's read-only view of support: after every change of a household's ledger or needs, one
``support`` change for the household's group carries what the collaborator may see offline — the support
the household received (type, date, how much, which body, for whom) and its open needs. The tablet keeps
the latest per household; it never receives evidence, notes of the office or other households' data.
"""
from __future__ import annotations

import sqlite3
from typing import Any

from shared import wire

from ..store import changes
from . import eligible

RECENT_ENTRIES = 50          # the latest deliveries per household sent to the tablet


def snapshot(conn: sqlite3.Connection, household_id: str) -> dict[str, Any]:
    cat = eligible.catalogue()
    support = []
    for r in conn.execute("SELECT id, support_type, body_id, delivered_on, quantity, amount_vnd, person_name "
                          "FROM support_current WHERE household_id = ? ORDER BY delivered_on DESC, id DESC LIMIT ?",
                          (household_id, RECENT_ENTRIES)):
        t = cat.types.get(r["support_type"])
        support.append({"entry_id": r["id"], "support_type": r["support_type"], "label_vi": cat.label("type", r["support_type"]),
                        "body_vi": cat.label("body", r["body_id"]), "delivered_on": r["delivered_on"],
                        "quantity": r["quantity"], "unit_vi": t["unit"]["vi"] if t else "",
                        "amount_vnd": r["amount_vnd"], "person_name": r["person_name"]})
    needs = [{"need_id": r["id"], "client_id": r["client_id"], "need_type": r["need_type"],
              "label_vi": cat.label("need", r["need_type"]), "body_vi": cat.label("body", r["body_id"]),
              "member_id": r["member_id"], "person_name": r["person_name"], "noted_on": r["noted_on"]}
             for r in conn.execute("SELECT * FROM needs WHERE household_id = ? AND status = 'open' ORDER BY noted_on, id",
                                   (household_id,))]
    return {"household_id": household_id, "support": support, "open_needs": needs}


def publish(conn: sqlite3.Connection, household_id: str, stamp: str) -> None:
    """Queue the household's support view for the tablets of its group (inside the caller's transaction)."""
    row = conn.execute("SELECT group_id FROM households WHERE household_id = ?", (household_id,)).fetchone()
    if row is None:
        return
    changes.append(conn, wire.KIND_SUPPORT, household_id, snapshot(conn, household_id), stamp, group_id=row[0])
