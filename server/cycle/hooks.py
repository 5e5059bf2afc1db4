"""What ingest asks of the cycle, per record (called from ``server.services.ingest``).

* :func:`closed_problem` — the rejection of a push into a closed round (code ``round_closed``);
* :func:`related_problem` — ``split_from`` / ``merged`` must name a household of the same ward
  (code ``related_household_unknown``);
* :func:`record` — the submission's round, lifecycle event and preload origin
  (``submission_rounds``) and its per-section confirmations (``household_confirmations``),
  in the ingest transaction.
"""
from __future__ import annotations

import sqlite3
from typing import Any

from .rounds import RoundContext, closed_message

NEEDS_RELATED = ("split_from", "merged")


def closed_problem(ctx: RoundContext) -> dict[str, str]:
    vi, en = closed_message(ctx)
    return {"path": "", "code": "round_closed", "message_vi": vi, "message_en": en, "severity": "error"}


def lifecycle(doc: dict[str, Any]) -> tuple[str | None, str | None]:
    lc = doc.get("lifecycle")
    if not isinstance(lc, dict):
        return None, None
    ev, rel = lc.get("event"), lc.get("related_household_id")
    return (ev if isinstance(ev, str) else None), (rel if isinstance(rel, str) and rel else None)


def related_problem(conn: sqlite3.Connection, doc: dict[str, Any], ward_code: str) -> dict[str, str] | None:
    event, related = lifecycle(doc)
    if event not in NEEDS_RELATED or related is None:
        return None
    found = conn.execute("SELECT 1 FROM households h JOIN area_groups g ON g.id = h.group_id "
                         "JOIN wards w ON w.id = g.ward_id WHERE h.household_id = ? AND w.ward_code = ?",
                         (related, ward_code)).fetchone()
    if found:
        return None
    what_vi = "hộ gốc (tách hộ)" if event == "split_from" else "hộ nhập vào"
    return {"path": "lifecycle.related_household_id", "code": "related_household_unknown",
            "message_vi": f"Không tìm thấy {what_vi} có mã {related} trong phường {ward_code}; "
                          "đồng bộ hộ đó trước hoặc kiểm tra lại mã hộ",
            "message_en": f"No household {related} in ward {ward_code} (the {event} parent must exist)",
            "severity": "error"}


def round_year(ctx: RoundContext | None, collected_at: Any) -> int:
    if ctx is not None:
        return ctx.year
    try:
        return int(str(collected_at)[:4])
    except (TypeError, ValueError):
        return 0


def record(conn: sqlite3.Connection, submission_id: str, household_id: str, answers: dict[str, Any],
           collected_at: Any, ctx: RoundContext | None, now: str) -> None:
    """Store the cycle facts of one stored submission (accepted or conflict)."""
    event, related = lifecycle(answers)
    pre = answers.get("preloaded_from") if isinstance(answers.get("preloaded_from"), str) else None
    rid = ctx.round_id if ctx is not None else None
    conn.execute("INSERT OR IGNORE INTO submission_rounds (submission_id, household_id, round_id, round_year, "
                 "lifecycle_event, related_household_id, preloaded_from) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (submission_id, household_id, rid, round_year(ctx, collected_at), event, related, pre))
    conf = answers.get("confirmations")
    if isinstance(conf, dict) and conf:
        conn.executemany("INSERT OR IGNORE INTO household_confirmations (submission_id, household_id, section, value, "
                         "round_id, recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
                         [(submission_id, household_id, k, v, rid, now) for k, v in conf.items()
                          if v in ("unchanged", "changed")])


def confirmations(conn: sqlite3.Connection, household_id: str, section: str | None = None) -> list[dict[str, Any]]:
    """Every confirmation of a household (optionally one section), newest first."""
    sql = ("SELECT c.section, c.value, c.submission_id, c.round_id, c.recorded_at, s.server_revision, s.status "
           "FROM household_confirmations c JOIN submissions s ON s.submission_id = c.submission_id "
           "WHERE c.household_id = ?")
    params: list[Any] = [household_id]
    if section:
        sql += " AND c.section = ?"
        params.append(section)
    return [dict(r) for r in conn.execute(sql + " ORDER BY s.seq DESC, c.section", params)]


def links(conn: sqlite3.Connection, household_id: str) -> dict[str, Any]:
    """Lifecycle of a household's submissions and the households that name it (split children, merges)."""
    own = [dict(r) for r in conn.execute(
        "SELECT sr.submission_id, sr.round_id, sr.round_year, sr.lifecycle_event, sr.related_household_id, "
        "sr.preloaded_from FROM submission_rounds sr JOIN submissions s ON s.submission_id = sr.submission_id "
        "WHERE sr.household_id = ? ORDER BY s.seq", (household_id,))]
    children = [dict(r) for r in conn.execute(
        "SELECT DISTINCT household_id, lifecycle_event FROM submission_rounds WHERE related_household_id = ?",
        (household_id,))]
    return {"submissions": own, "named_by": children}
