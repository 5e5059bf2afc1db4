"""Import the ward's existing register (last year's lists) — all or nothing, idempotent.

``check_file`` parses the file (``parse.parse_register``) and builds, for every row, the
household document that will be preloaded; every problem of the file (row, column, reason) is
listed, from the row checks and from validating the documents (type / range errors; missing
answers are expected in a register and are not problems). ``import_file`` writes nothing unless
there is no problem; then, in ONE ``db.write()`` transaction:

* each row becomes a preloaded household with a deterministic id
  (``uuid5(REGISTER_NAMESPACE, RegisterRow.identity_key(ward))``) and a partial document — area,
  address, phone, the head as member ``m1`` (name, sex, birth year, CCCD), ``preloaded_from:
  "register:<year>"`` — stored through the preload path with ``lenient=True`` and no
  classification (the register says nothing of deprivations);
* one status-history row per standard (``source='register'``, its status, decision number and
  date, round = the register's year).

Importing the same file again changes nothing: a household that exists is not preloaded again,
and a status row identical to a stored one is not appended; when nothing is new, nothing at all
is written (not even an audit row).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import uuid
from pathlib import Path
from typing import Any, Iterable

from shared.validation import ERROR, validate

from ..clock import iso, server_date
from ..cycle import rounds as cycle_rounds
from ..db import Database
from ..dedup import review as dedup_review
from ..errors import ApiError
from ..history import status_history
from ..services.preload import preload_households
from ..store import audit, households as households_store
from .columns import LABELS, norm_header
from .parse import ParseResult, RegisterFileError, RegisterRow, RowProblem, parse_register

REGISTER_NAMESPACE = uuid.UUID("6f1d2a4e-2b7c-5d3e-9a10-7c1e0b9d4f21")
FORM_VERSION = "2025.1"
# A row with a member count or an old ID number (CMND) carries what only form 2026.1 has a field for.
FORM_VERSION_COUNTS = "2026.1"
BATCH = 500
IMPORT_CACHE_KIB = 256 * 1024     # SQLite page cache while importing (see import_checked)
POOL_MIN_ROWS = 5000              # from this many rows, validate in a worker process while storing
POOL_WORKERS = 1
BULK = True                       # store new households one statement per table per batch (services/rows.py store_new_bulk)
# register status -> status history status (an "average living standard" household is "other")
HISTORY_STATUS = {"poor": "poor", "near_poor": "near_poor", "escaped_poverty": "escaped_poverty",
                  "escaped_near_poverty": "escaped_near_poverty", "average": "other", "other": "other"}
# document path prefix -> register field (to name the column of a validation problem)
PATH_FIELDS = (("members[0].full_name", "head_name"), ("members[0].birth_year", "birth_year"),
               ("members[0].birth_date", "birth_date"), ("members[0].sex", "sex"),
               ("members[0].citizen_id", "citizen_id"), ("members[0].old_id_number", "old_id_number"),
               ("member_count", "members_count"), ("address.house_number", "house_number"),
               ("address.street", "street"), ("phone", "phone"), ("area", "group"))


def household_id_for(row: RegisterRow, ward_code: str) -> str:
    return str(uuid.uuid5(REGISTER_NAMESPACE, row.identity_key(ward_code)))


def ward_info(conn: Any, ward_code: str | None) -> dict[str, Any]:
    wards = [dict(r) for r in conn.execute("SELECT * FROM wards ORDER BY ward_code")]
    if ward_code:
        wards = [w for w in wards if w["ward_code"].upper() == ward_code.upper()]
    if len(wards) != 1:
        raise ApiError(422, "unknown_ward", "Name the ward (--ward CODE)" if not ward_code else f"Unknown ward {ward_code}",
                       "Hãy chọn phường (--ward MÃ)" if not ward_code else f"Không có phường {ward_code}")
    w = wards[0]
    w["groups"] = [dict(r) for r in conn.execute("SELECT id, code, name FROM area_groups WHERE ward_id = ? "
                                                 "ORDER BY code", (w["id"],))]
    return w


def group_lookup(groups: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Folded names and codes of the ward's groups → group code ('Khu phố 1', 'KP01', 'kp 01', '1')."""
    out: dict[str, str] = {}
    ambiguous: set[str] = set()
    for g in groups:
        keys = {norm_header(g["code"]), norm_header(g["name"]), norm_header(g["code"]).replace(" ", ""),
                # "Khu phố 1 (Bãi Cháy cũ)" is "Khu phố 1" in a register (the former ward in brackets)
                norm_header(re.sub(r"\s*\([^)]*\)", "", str(g["name"])))}
        for text in (g["code"], g["name"]):
            digits = "".join(ch for ch in str(text) if ch.isdigit())
            if digits:
                keys.add(str(int(digits)))
        for k in keys:
            if k in out and out[k] != g["code"]:
                ambiguous.add(k)
            out[k] = g["code"]
    for k in ambiguous:
        out.pop(k, None)
    return out


def document(row: RegisterRow, ward: dict[str, Any], year: int, household_id: str | None = None) -> dict[str, Any]:
    """The partial household document of one register row (``household_id``: if already computed)."""
    head: dict[str, Any] = {"member_id": "m1", "full_name": row.head_name, "relation": "head"}
    if row.sex:
        head["sex"] = row.sex
    if row.birth_date:
        head["birth_date"] = row.birth_date
    elif row.birth_year:
        head["birth_year"] = row.birth_year
    if row.citizen_id:
        head["citizen_id"] = row.citizen_id
    if row.old_id_number:
        head["old_id_number"] = row.old_id_number
    if row.ethnicity and norm_header(row.ethnicity) not in ("kinh", ""):
        head["ethnic_minority"] = True
    doc: dict[str, Any] = {
        "household_id": household_id or household_id_for(row, ward["ward_code"]),
        "form_version": FORM_VERSION_COUNTS if row.members_count or row.old_id_number else FORM_VERSION,
        "collected_at": row.decision_date or f"{year}-12-14",
        "area": {"province_code": ward["province_code"], "ward_code": ward["ward_code"], "group_code": row.group,
                 "area_type": ward["area_type"]},
        "members": [head], "preloaded_from": f"register:{year}",
    }
    address = {k: v for k, v in (("house_number", row.house_number), ("street", row.street)) if v}
    if address:
        doc["address"] = address
    if row.phone:
        doc["phone"] = row.phone
    if row.members_count:
        doc["member_count"] = row.members_count
    return doc


def _column(path: str, parsed: ParseResult) -> str:
    for prefix, fieldname in PATH_FIELDS:
        if path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "["):
            return parsed.mapping.get(fieldname, LABELS[fieldname])
    return path


def document_problems(row: RegisterRow, doc: dict[str, Any], parsed: ParseResult, today: dt.date) -> list[RowProblem]:
    """Errors validation finds in a register document (missing answers excepted)."""
    out = []
    for p in validate(doc, today=today):
        if p.severity == ERROR and p.code not in ("required", "confirmation_required"):
            out.append(RowProblem(row.row, _column(p.path, parsed), p.code, p.message_vi, p.message_en))
    return out


@dataclasses.dataclass
class Checked:
    parsed: ParseResult
    ward: dict[str, Any]
    year: int
    standards: list[str]
    problems: list[RowProblem]
    sha256: str
    file_name: str

    @property
    def ok(self) -> bool:
        return not self.problems

    def report(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for r in self.parsed.rows:
            counts[r.status] = counts.get(r.status, 0) + 1
        return {"ok": self.ok, "file": self.file_name, "sha256": self.sha256, "ward_code": self.ward["ward_code"],
                "round": self.year, "standards": self.standards, "header_row": self.parsed.header_row,
                "mapping": self.parsed.mapping, "unmapped_headers": self.parsed.unmapped_headers,
                "rows": len(self.parsed.rows), "by_status": counts,
                "problems": [p.to_dict() for p in self.problems],
                # possibly the same household on two rows (both row numbers): listed, never blocking
                "warnings": [w.to_dict() for w in self.parsed.warnings],
                "missing_decision_date": sum(1 for r in self.parsed.rows if not r.decision_date)}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_file(db: Database, path: str | Path, now: dt.datetime, ward_code: str | None = None,
               year: int | None = None, standards: list[str] | None = None, file_name: str | None = None,
               validate_documents: bool = True) -> Checked:
    """Parse and check a register file; writes nothing. RegisterFileError when unreadable as a whole.

    ``validate_documents=False`` skips validating the built documents (the import validates them
    while storing, and rolls everything back on the first problem found — one pass, not two)."""
    path = Path(path)
    today = server_date(now)
    ward = ward_info(db.conn, ward_code)
    parsed = parse_register(path, group_lookup(ward["groups"]), today=today)
    if year is None:
        years = sorted({int(r.decision_date[:4]) for r in parsed.rows if r.decision_date})
        year = years[-1] if years else today.year - 1
    if standards:
        std = cycle_rounds.check_standard_ids(standards)
    else:
        rnd = cycle_rounds.find(db.conn, year)
        std = rnd["standards"] if rnd else cycle_rounds.suggested_standards(year, ward["province_code"])
    problems = list(parsed.problems)
    if validate_documents:
        for row in parsed.rows:
            problems += document_problems(row, document(row, ward, year), parsed, today)
    problems.sort(key=lambda p: p.row)
    return Checked(parsed, ward, year, std, problems, _sha256(path), file_name or path.name)


def _history_rows(checked: Checked, ids: list[str]) -> Iterable[dict[str, Any]]:
    for row, hid in zip(checked.parsed.rows, ids):
        note = None if row.decision_date else f"Sổ không ghi ngày quyết định; lấy ngày 31/12/{checked.year}"
        for sid in checked.standards:
            yield {"household_id": hid, "standard_id": sid, "status": HISTORY_STATUS[row.status],
                   "decision_date": row.decision_date or f"{checked.year}-12-31", "round": checked.year,
                   "decision_number": row.decision_number, "source": "register", "note": note}


def import_checked(db: Database, checked: Checked, now: dt.datetime, user_id: int | None = None,
                   bulk: bool | None = None) -> dict[str, Any]:
    """Write a checked file (refused unless it has no problem), all or nothing, in one transaction.

    ``bulk`` (default ``BULK``): new households are stored by ``rows.store_new_bulk`` (executemany per
    batch) instead of the per-record ingest path; the database is the same either way (tested)."""
    bulk = BULK if bulk is None else bulk
    if not checked.ok:
        raise ApiError(422, "register_invalid", f"The file has {len(checked.problems)} problem(s); nothing was imported",
                       f"Tệp có {len(checked.problems)} lỗi; chưa nhập gì", [p.to_dict() for p in checked.problems[:50]])
    ward, year = checked.ward, checked.year
    ctx = dataclasses.replace(cycle_rounds.context_for_year(db.conn, year), status="import", standards=())
    stamp = iso(now)
    # A large import writes far more index pages (households, submissions, dedup keys: random keys)
    # than SQLite's default 2 MB page cache holds; with the default, every insert past a few thousand
    # rows re-reads and spills pages, and the per-row cost grows with the ward. A bigger cache for the
    # duration of the import only (restored after).
    cache = db.conn.execute("PRAGMA cache_size").fetchone()[0]
    db.conn.execute(f"PRAGMA cache_size = {-IMPORT_CACHE_KIB}")
    try:
        with db.write() as conn:
            new_households, history_added = _write(db, conn, checked, ctx, now, stamp, user_id, bulk)
    except _Refused:
        return {**checked.report(), "imported": False}
    finally:
        db.conn.execute(f"PRAGMA cache_size = {int(cache)}")
    return {**checked.report(), "imported": True, "new_households": new_households,
            "existing_households": len(checked.parsed.rows) - new_households, "status_rows_added": history_added}


class _Refused(Exception):
    pass


def _write(db: Database, conn: Any, checked: Checked, ctx: Any, now: dt.datetime, stamp: str,
           user_id: int | None, bulk: bool = True) -> tuple[int, int]:
    ward, year = checked.ward, checked.year
    new_households = history_added = 0
    rejected: list[dict[str, Any]] = []
    if True:   # (one block: the body of the import transaction)
        rows = checked.parsed.rows
        all_ids = [household_id_for(r, ward["ward_code"]) for r in rows]    # uuid5 once per row
        # Dedup: each new household is indexed as it is stored; the match runs once at the end, against
        # the households indexed before the import (the rows are one household each by construction).
        def new_docs() -> Iterable[dict[str, Any]]:
            for i in range(0, len(rows), BATCH):
                chunk, ids = rows[i:i + BATCH], all_ids[i:i + BATCH]
                marks = ",".join("?" * len(ids))
                existing = {r[0] for r in conn.execute(
                    f"SELECT household_id FROM households WHERE household_id IN ({marks})", ids)}
                yield from (document(r, ward, year, hid) for r, hid in zip(chunk, ids) if hid not in existing)

        # A large file: validation runs in a worker process while this one stores (ids are distinct:
        # the parse refuses a repeated identity).
        workers = POOL_WORKERS if len(rows) >= POOL_MIN_ROWS else 0
        with dedup_review.deferred_matching() as indexed:
            res = preload_households(db, new_docs(), now, batch_size=BATCH, user_id=user_id, lenient=True,
                                     round_ctx=ctx, workers=workers, bulk_index=indexed if bulk else None)
            new_households += res["counts"]["accepted"]
            rejected += res["rejected"]
        if indexed and not rejected:
            matched = dedup_review.match_deferred(conn, indexed, stamp, actor=f"user:{user_id}" if user_id else "system")
            for hid in matched["queued"]:
                households_store.flag_for_review(conn, hid, stamp)
        if rejected:   # documents refused while storing: roll the whole import back, report the rows
            by_id = dict(zip(all_ids, rows))
            for rej in rejected:
                row = by_id[rej["household_id"]]
                checked.problems += [RowProblem(row.row, _column(p["path"], checked.parsed), p["code"],
                                                p["message_vi"], p["message_en"]) for p in rej["problems"]]
            checked.problems.sort(key=lambda p: p.row)
            raise _Refused()
        known = {tuple(r) for r in conn.execute(
            "SELECT household_id, standard_id, status, decision_date, COALESCE(decision_number, '') "
            "FROM household_status_history WHERE source = 'register' AND round = ?", (year,))}
        fresh = [h for h in _history_rows(checked, all_ids)
                 if (h["household_id"], h["standard_id"], h["status"], h["decision_date"], h["decision_number"] or "")
                 not in known]
        if fresh:
            history_added = status_history.record_many(conn, fresh, stamp)
        if new_households or history_added:
            audit.record(conn, stamp, "user" if user_id else "system", user_id, "register.import", "ward",
                         ward["ward_code"], {"file": checked.file_name, "sha256": checked.sha256, "round": year,
                                             "rows": len(rows), "new_households": new_households,
                                             "status_rows": history_added, "standards": checked.standards})
    return new_households, history_added


def import_file(db: Database, path: str | Path, now: dt.datetime, ward_code: str | None = None,
                year: int | None = None, standards: list[str] | None = None, dry_run: bool = False,
                user_id: int | None = None, file_name: str | None = None, bulk: bool | None = None) -> dict[str, Any]:
    """Check, then (unless ``dry_run`` or a problem) import. Returns the report."""
    checked = check_file(db, path, now, ward_code, year, standards, file_name, validate_documents=dry_run)
    if not checked.ok and not dry_run:       # list every problem, the documents' too
        for row in checked.parsed.rows:
            checked.problems += document_problems(row, document(row, checked.ward, checked.year), checked.parsed,
                                                  server_date(now))
        checked.problems.sort(key=lambda p: p.row)
    if dry_run or not checked.ok:
        return {**checked.report(), "imported": False}
    return import_checked(db, checked, now, user_id, bulk=bulk)


__all__ = ["RegisterFileError", "check_file", "import_file", "import_checked", "household_id_for", "document"]
