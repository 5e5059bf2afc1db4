"""Review rounds: a periodic round for a year (1 September – 14 December, domain.md §3) or a
regular round for a month (from the 15th, on request). A round names the standards it applies
(explicit ids: a draft standard can be named, and is labelled draft); it is open or closed.

The round decides the standards on both sides (``shared/rounds.py``): when it opens they are
proposed from the date rule (the standards in force on its first day), the officer may change
them until the first device submission of the round, and every change is sent to the devices by
sync (change kind ``round``) so the tablet's preview uses exactly the office's standards. A
document whose form version does not ask what the round's standards need is refused, naming the
version and the round.

Compatibility: while NO round has ever been defined, ingest behaves as before (standards in
force on the collection date, every push accepted). Once rounds exist, a device push belongs to
the open round; with no open round it is refused ``round_closed``.
"""
from __future__ import annotations

import calendar
import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from shared import wire
from shared.forms import available_versions, load_form
from shared.rounds import RoundDef, misfit_message, missing_questions, round_standards
from shared.standards import Standard, applicable_standards, load_standards

from ..clock import iso
from ..db import Database
from ..errors import ApiError
from ..store import audit, changes, versions

KINDS = ("periodic", "regular")
PERIODIC_START, PERIODIC_END = (9, 1), (12, 14)     # [C] Decision 24/2021/QĐ-TTg
REGULAR_FROM_DAY = 15                                # [C] regular review from the 15th of the month


@dataclass(frozen=True)
class RoundContext:
    """What ingest needs of the round a submission belongs to."""
    round_id: int | None
    year: int
    status: str                      # open / closed / none (no round defined)
    label_vi: str = ""
    standards: tuple[Standard, ...] | None = None   # None: the standards in force (no round defined)
    definition: RoundDef | None = None

    @property
    def closed(self) -> bool:
        return self.status == "closed"

    def standards_for(self, doc: dict[str, Any]) -> list[Standard] | None:
        """The round's standards that cover the household's province (None: the default rule)."""
        if self.standards is None or self.definition is None:
            return None
        return round_standards(self.definition, doc, load_standards())

    def form_problem(self, doc: dict[str, Any]) -> dict[str, str] | None:
        """A refusal when the document's form version does not ask what the round's standards need."""
        if self.definition is None or self.standards is None:
            return None
        version = doc.get("form_version")
        try:
            form = load_form(str(version))
        except (KeyError, ValueError):
            return None          # an unknown version is refused by validation, naming it
        needed = self.standards_for(doc) or []
        missing = missing_questions(form, needed)
        if not missing:
            return None
        better = next((v for v in reversed(available_versions()) if not missing_questions(load_form(v), needed)),
                      None)
        vi, en = misfit_message(str(version), self.definition, missing, better)
        return {"path": "form_version", "code": "form_version_round", "message_vi": vi, "message_en": en,
                "severity": "error"}


def definition(r: sqlite3.Row | dict[str, Any]) -> RoundDef:
    ids = r["standards"]
    return RoundDef(id=r["id"], kind=r["kind"], year=r["year"], month=r["month"],
                    starts_on=dt.date.fromisoformat(r["starts_on"]) if r["starts_on"] else None,
                    ends_on=dt.date.fromisoformat(r["ends_on"]) if r["ends_on"] else None,
                    status=r["status"], standard_ids=tuple(json.loads(ids) if isinstance(ids, str) else ids))


def context(r: sqlite3.Row) -> RoundContext:
    return RoundContext(r["id"], r["year"], r["status"], label(r), _standards(json.loads(r["standards"])),
                        definition(r))


def default_dates(kind: str, year: int, month: int | None) -> tuple[dt.date, dt.date]:
    if kind == "periodic":
        return dt.date(year, *PERIODIC_START), dt.date(year, *PERIODIC_END)
    assert month is not None
    return dt.date(year, month, REGULAR_FROM_DAY), dt.date(year, month, calendar.monthrange(year, month)[1])


def label(r: dict[str, Any] | sqlite3.Row, lang: str = "vi") -> str:
    if r["kind"] == "periodic":
        return f"rà soát định kỳ năm {r['year']}" if lang == "vi" else f"periodic review {r['year']}"
    return (f"rà soát thường xuyên tháng {r['month']}/{r['year']}" if lang == "vi"
            else f"regular review {r['month']}/{r['year']}")


def _row(r: sqlite3.Row) -> dict[str, Any]:
    d = dict(r)
    known = load_standards()
    ids = json.loads(d["standards"])
    d["standards"] = ids
    d["standard_details"] = [{"id": s, "status": known[s].status if s in known else "unknown",
                              "name": known[s].name if s in known else {"vi": s, "en": s},
                              "short_name": known[s].short_name if s in known else {"vi": s, "en": s},
                              "draft": s in known and known[s].status == "draft",
                              "in_period": bool(s in known and d.get("starts_on")
                                                and known[s].in_force_on(dt.date.fromisoformat(d["starts_on"])))}
                             for s in ids]
    d["label_vi"], d["label_en"] = label(r, "vi"), label(r, "en")
    return d


def list_rounds(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [_row(r) for r in conn.execute("SELECT * FROM review_rounds ORDER BY year DESC, COALESCE(month, 0) DESC")]


def get(conn: sqlite3.Connection, round_id: int) -> dict[str, Any] | None:
    r = conn.execute("SELECT * FROM review_rounds WHERE id = ?", (round_id,)).fetchone()
    return None if r is None else _row(r)


def open_round_row(conn: sqlite3.Connection) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM review_rounds WHERE status = 'open'").fetchone()


def current(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The open round, else the latest round, else None."""
    r = open_round_row(conn) or conn.execute(
        "SELECT * FROM review_rounds ORDER BY year DESC, COALESCE(month, 0) DESC, id DESC LIMIT 1").fetchone()
    return None if r is None else _row(r)


def find(conn: sqlite3.Connection, year: int, kind: str = "periodic", month: int | None = None) -> dict[str, Any] | None:
    r = conn.execute("SELECT * FROM review_rounds WHERE kind = ? AND year = ? AND COALESCE(month, 0) = ?",
                     (kind, year, month or 0)).fetchone()
    return None if r is None else _row(r)


def _standards(ids: list[str]) -> tuple[Standard, ...]:
    known = load_standards()
    return tuple(known[s] for s in ids if s in known)


def context_for_push(conn: sqlite3.Connection) -> RoundContext | None:
    """The round a device push belongs to; None when no round was ever defined (old behaviour)."""
    r = open_round_row(conn)
    if r is not None:
        return context(r)
    last = _latest_closed(conn)
    return None if last is None else context(last)


def _latest_closed(conn: sqlite3.Connection) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM review_rounds ORDER BY COALESCE(closed_at, opened_at) DESC, id DESC "
                        "LIMIT 1").fetchone()


def context_for_year(conn: sqlite3.Connection, year: int) -> RoundContext:
    """The periodic round of a year (open or closed), or a bare context (register imports of past years)."""
    r = conn.execute("SELECT * FROM review_rounds WHERE kind = 'periodic' AND year = ?", (year,)).fetchone()
    if r is None:
        return RoundContext(None, year, "none")
    return context(r)


def closed_message(ctx: RoundContext) -> tuple[str, str]:
    return (f"Đợt {ctx.label_vi} đã kết thúc; liên hệ cán bộ phường",
            f"The review round ({ctx.year}) is closed; contact the ward office")


def check_standard_ids(ids: list[str]) -> list[str]:
    known = load_standards()
    ids = list(dict.fromkeys(s.strip() for s in ids if s and s.strip()))
    unknown = [s for s in ids if s not in known]
    if unknown or not ids:
        raise ApiError(422, "unknown_standard", f"Unknown standard(s): {', '.join(unknown) or '(none given)'}; "
                       f"known: {', '.join(sorted(known))}",
                       f"Không có chuẩn nghèo: {', '.join(unknown) or '(chưa chọn)'}")
    return ids


def suggested_standards(year: int, province_code: str | None = None, on: dt.date | None = None) -> list[str]:
    """The date rule: standards in force on the round's first day (1 September of the year by
    default), in force only. The officer may change them before collection starts (e.g. a general
    review at the end of 2026 under the 2027–2030 standard) or add a draft."""
    day = on or dt.date(year, *PERIODIC_START)
    pool = load_standards().values()
    if province_code is None:
        return [s.id for s in pool if s.status == "in_force" and s.in_force_on(day)]
    return [s.id for s in applicable_standards(province_code, day, pool)]


def device_submissions(conn: sqlite3.Connection, round_id: int) -> int:
    return conn.execute("SELECT COUNT(*) FROM submission_rounds sr JOIN submissions s "
                        "ON s.submission_id = sr.submission_id WHERE sr.round_id = ? AND s.source = 'device'",
                        (round_id,)).fetchone()[0]


def set_standards(db: Database, round_id: int, standards: list[str], now: dt.datetime,
                  user_id: int | None = None) -> dict[str, Any]:
    """Change the standards of a round before collection starts (409 ``round_started`` once a device
    submission belongs to it: its households were classified and shown under the old ones)."""
    ids = check_standard_ids(standards)
    stamp = iso(now)
    with db.write() as conn:
        r = get(conn, round_id)
        if r is None:
            raise ApiError(404, "round_not_found", f"No round {round_id}", "Không tìm thấy đợt rà soát")
        n = device_submissions(conn, round_id)
        if n and ids != r["standards"]:
            raise ApiError(409, "round_started",
                           f"{n} submissions of this round were already received; its standards can no longer change",
                           f"Đợt {r['label_vi']} đã nhận {n} phiếu từ máy tính bảng nên không đổi chuẩn nghèo được nữa")
        if ids != r["standards"]:
            conn.execute("UPDATE review_rounds SET standards = ? WHERE id = ?", (json.dumps(ids), round_id))
            audit.record(conn, stamp, "user" if user_id else "system", user_id, "round.standards", "round",
                         round_id, {"from": r["standards"], "to": ids})
            publish(conn, stamp)
        return get(conn, round_id)  # type: ignore[return-value]


def current_definition(conn: sqlite3.Connection) -> RoundDef | None:
    """The round devices work in: the open one, else the latest closed one."""
    r = open_round_row(conn) or _latest_closed(conn)
    return None if r is None else definition(r)


def publish(conn: sqlite3.Connection, stamp: str) -> bool:
    """Send the current round to every device (a change row when it differs from the last one sent)."""
    d = current_definition(conn)
    if d is None:
        return False
    payload = d.to_wire()
    h = wire.sha256_hex(wire.canonical_json(payload))
    if versions.published_hash(conn, wire.KIND_ROUND, "current") == h:
        return False
    changes.append(conn, wire.KIND_ROUND, d.id, payload, stamp)
    versions.mark_published(conn, wire.KIND_ROUND, "current", h, stamp)
    return True


def open_round(db: Database, kind: str, year: int, standards: list[str] | None, now: dt.datetime, *,
               month: int | None = None, starts_on: str | None = None, ends_on: str | None = None,
               note: str = "", user_id: int | None = None) -> dict[str, Any]:
    """Open a round (409 ``round_open`` while another is open; a closed round of the same period is reopened).

    ``standards`` None or empty: proposed by the date rule (in force on the round's first day for the
    ward's province); the officer may change them until the first device submission (``set_standards``)."""
    if kind not in KINDS:
        raise ApiError(422, "invalid_kind", "kind must be periodic or regular", "Loại đợt phải là định kỳ hoặc thường xuyên")
    if not 2000 <= year <= 2100 or (kind == "regular" and not (month and 1 <= month <= 12)):
        raise ApiError(422, "invalid_period", "year 2000..2100; month 1..12 for a regular round",
                       "Năm 2000..2100; tháng 1..12 cho đợt thường xuyên")
    if kind == "periodic":
        month = None
    d_start, d_end = default_dates(kind, year, month)
    try:
        s_on = dt.date.fromisoformat(starts_on) if starts_on else d_start
        e_on = dt.date.fromisoformat(ends_on) if ends_on else d_end
    except ValueError:
        raise ApiError(422, "invalid_date", "dates are YYYY-MM-DD", "Ngày phải có dạng ngày/tháng/năm") from None
    if e_on < s_on:
        raise ApiError(422, "invalid_date", "ends_on is before starts_on", "Ngày kết thúc trước ngày bắt đầu")
    if not standards:
        province = db.conn.execute("SELECT province_code FROM wards ORDER BY id LIMIT 1").fetchone()
        standards = suggested_standards(year, province[0] if province else None, s_on)
        if not standards:
            raise ApiError(422, "no_standard_in_force",
                           f"No standard is in force on {s_on.isoformat()}; name the round's standards",
                           f"Không có chuẩn nghèo nào có hiệu lực vào ngày {s_on.strftime('%d/%m/%Y')}; "
                           "hãy chọn chuẩn cho đợt")
    ids = check_standard_ids(standards)
    stamp = iso(now)
    with db.write() as conn:
        other = open_round_row(conn)
        if other is not None and not (other["kind"] == kind and other["year"] == year
                                      and (other["month"] or 0) == (month or 0)):
            raise ApiError(409, "round_open", f"Round {other['id']} is still open; close it first",
                           f"Đợt {label(other)} đang mở; hãy kết thúc đợt đó trước")
        existing = conn.execute("SELECT id FROM review_rounds WHERE kind = ? AND year = ? AND COALESCE(month, 0) = ?",
                                (kind, year, month or 0)).fetchone()
        if existing:
            rid = existing["id"]
            conn.execute("UPDATE review_rounds SET status = 'open', standards = ?, starts_on = ?, ends_on = ?, "
                         "note = ?, closed_at = NULL, closed_by = NULL WHERE id = ?",
                         (json.dumps(ids), s_on.isoformat(), e_on.isoformat(), note, rid))
            action = "round.reopen"
        else:
            rid = conn.execute("INSERT INTO review_rounds (kind, year, month, starts_on, ends_on, standards, status, "
                               "note, opened_at, opened_by) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)",
                               (kind, year, month, s_on.isoformat(), e_on.isoformat(), json.dumps(ids), note, stamp,
                                user_id)).lastrowid
            action = "round.open"
        audit.record(conn, stamp, "user" if user_id else "system", user_id, action, "round", rid,
                     {"kind": kind, "year": year, "month": month, "standards": ids})
        publish(conn, stamp)
        return get(conn, rid)  # type: ignore[return-value]


def close_round(db: Database, round_id: int, now: dt.datetime, user_id: int | None = None) -> dict[str, Any]:
    stamp = iso(now)
    with db.write() as conn:
        r = get(conn, round_id)
        if r is None:
            raise ApiError(404, "round_not_found", f"No round {round_id}", "Không tìm thấy đợt rà soát")
        if r["status"] != "closed":
            conn.execute("UPDATE review_rounds SET status = 'closed', closed_at = ?, closed_by = ? WHERE id = ?",
                         (stamp, user_id, round_id))
            audit.record(conn, stamp, "user" if user_id else "system", user_id, "round.close", "round", round_id, {})
            publish(conn, stamp)
        return get(conn, round_id)  # type: ignore[return-value]


def round_summary(conn: sqlite3.Connection, round_id: int) -> dict[str, Any]:
    """Submissions of a round: accepted, households, lifecycle events, confirmations."""
    row = conn.execute(
        "SELECT COUNT(*) AS submissions, COUNT(DISTINCT sr.household_id) AS households, "
        "SUM(sr.lifecycle_event IS NOT NULL) AS lifecycle_events, SUM(sr.preloaded_from IS NOT NULL) AS preloaded "
        "FROM submission_rounds sr JOIN submissions s ON s.submission_id = sr.submission_id "
        "WHERE sr.round_id = ? AND s.source = 'device'", (round_id,)).fetchone()
    return {k: row[k] or 0 for k in row.keys()}
