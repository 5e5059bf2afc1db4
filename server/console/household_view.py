"""Read models of the household pages: the filtered list, and one household with the two revisions
compared, the names behind its ids, its evidence, conflicts and decision, its dedup and cycle panels.
No rendering and no language here: server/console/households.py renders what these return."""
from __future__ import annotations

import math
from typing import Any

from shared import wire
from shared.identity import fold

from ..cycle import hooks as cycle_hooks
from ..db import Database
from ..dedup import review as dedup_review
from ..services import diff as diffs
from ..services import people
from ..store import areas, collaborators, devices, submissions
from . import evidence, queries
from ..store import search

MEMBER_FIELDS = ("full_name", "relation", "sex", "birth_date", "birth_year", "citizen_id", "health_insurance",
                 "in_school", "qualification", "work_status")


def _table_exists(conn, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def listing(db: Database, *, q: str, group_id: int | None, status: str, standard: str, cls: str, page: int,
            per_page: int) -> dict[str, Any]:
    """One page of the list; ``status`` and ``cls`` come back as applied (an unknown one is dropped)."""
    search.refresh(db, limit=20000)       # new revisions since the last look get their folded key
    page = max(1, page)
    status = status if status in queries.STATUS_FILTERS else ""
    cls = cls if cls in queries.CLASS_ORDER else ""
    with db.snapshot() as conn:
        rows, total = queries.household_page(conn, q=fold(q)[:200], group_id=group_id, status=status,
                                             standard_id=standard if standard in queries.standards() else "",
                                             cls=cls, page=page, per_page=per_page)
        groups = queries.groups(conn)
    return {"rows": rows, "total": total, "page": page, "pages": max(1, math.ceil(total / per_page)),
            "groups": groups, "group_names": {g["code"]: g["name"] for g in groups}, "status": status, "cls": cls}


def default_pair(history: list[dict[str, Any]], current: str) -> tuple[str | None, str | None]:
    """The revisions compared when none is asked for: the accepted one before ``current``, and ``current``."""
    accepted = [h["submission_id"] for h in history if h["status"] == "accepted"]
    if current in accepted:
        i = accepted.index(current)
        return (accepted[i - 1] if i > 0 else None), current
    return (accepted[-1] if accepted else None), current


def household(db: Database, household_id: str, a: str = "", b: str = "") -> dict[str, Any] | None:
    """The household page's data (None: no such household). ``a``/``b``: the revisions compared, each
    replaced by the default pair's when it is not one of the household's."""
    detail = people.household_detail(db, household_id)
    if detail is None:
        return None
    history = detail["history"]
    ids = {h["submission_id"] for h in history}
    da, db_ = default_pair(history, detail["submission_id"])
    a = a if a in ids else (da or "")
    b = b if b in ids else (db_ or "")
    with db.snapshot() as conn:
        body_a = wire.submission_document(submissions.body(conn, a)) if a else None
        body_b = wire.submission_document(submissions.body(conn, b)) if b else None
        names = collaborators.full_names(conn)
        unit = areas.get_group_by_id(conn, detail["group_id"])
        device_names = devices.names(conn)
        conflicts = queries.open_conflicts(conn, household_id)
        proof = evidence.context(conn, household_id, detail["submission_id"], detail["answers"])
        accepted = queries.accepted_decision(conn, detail["submission_id"])
        dedup = None
        if _table_exists(conn, "dedup_links"):
            dedup = dedup_review.household(conn, household_id)
            dedup["links"] = list(dedup["links"])
        cycle = None
        if _table_exists(conn, "submission_rounds"):
            cycle = {"confirmations": cycle_hooks.confirmations(conn, household_id),
                     "events": [s for s in cycle_hooks.links(conn, household_id)["submissions"] if s["lifecycle_event"]]}
    return {"h": detail, "answers": detail["answers"], "history": history, "a": a, "b": b,
            "change": diffs.diff(body_a, body_b) if b else {"fields": [], "members": []},
            "has_base": body_a is not None, "conflicts": conflicts, "accepted": accepted,
            "collaborator_names": names, "device_names": device_names, "dedup": dedup, "cycle": cycle,
            "evidence": proof, "group_name": unit["group_name"] if unit else "",
            "ward_name": unit["ward_name"] if unit else "", "member_fields": list(MEMBER_FIELDS)}
