"""JSON API of the review cycle (docs/cycle.md). Viewers read; officers write; admins or officers
open and close rounds."""
from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from ..api.deps import DbDep, NowDep, OfficerDep, ViewerDep, ok
from ..api.schemas import ERRORS
from ..clock import server_date
from ..errors import ApiError
from ..history.status_history import history
from ..process import eligibility, transitions as cycle_transitions
from ..process.results import reader
from ..process.service import default_round
from ..register import carry, low_income
from ..register.importer import import_file
from ..register.parse import RegisterFileError
from ..reports import targets
from ..reports.background import wake_after_bulk_load
from ..store import facts
from . import hooks, rounds

DATE = {"format": "date"}        # documented as a date (YYYY-MM-DD); parsed and refused by the service
router = APIRouter(prefix="/api/v1/cycle", tags=["cycle"], responses=ERRORS)


class RoundRequest(BaseModel):
    kind: Literal["periodic", "regular"] = "periodic"
    year: int = Field(ge=2000, le=2100)
    month: int | None = Field(None, ge=1, le=12)
    standards: list[str] | None = Field(None, description="standard ids; default: the date rule (those in force "
                                                          "on the round's first day for the ward's province)")
    starts_on: str | None = Field(None, json_schema_extra=DATE)
    ends_on: str | None = Field(None, json_schema_extra=DATE)
    note: str = ""
    preload_previous: bool = Field(False, description="carry households reviewed in earlier rounds into this one")


class CreditRequest(BaseModel):
    household_id: str
    requested_on: str = Field(json_schema_extra=DATE)
    received_on: str | None = Field(None, json_schema_extra=DATE)
    amount: int | None = Field(None, ge=0)
    note: str = ""


class ReceivedRequest(BaseModel):
    received_on: str = Field(json_schema_extra=DATE)


def _date(value: str | None, now: dt.datetime) -> dt.date:
    if not value:
        return server_date(now)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ApiError(422, "invalid_date", "on must be YYYY-MM-DD", "Ngày phải có dạng YYYY-MM-DD") from None


RoundQ = Annotated[int | None, Query(ge=2000, le=2100, description="review round (year); default: the open round, "
                                                                    "else the latest periodic round begun")]


def _round_and_standard(db, round_: int | None, standard_id: str | None, now: dt.datetime) -> tuple[int, str]:
    """The round named, else the current one (the open round, else the latest periodic round begun:
    ``process.service.default_round``), and the standard named, else that round's first standard."""
    year = round_ or default_round(now, db.conn)
    cur = db.conn.execute("SELECT standards FROM review_rounds WHERE year = ? ORDER BY status = 'open' DESC, "
                          "kind = 'periodic' DESC, id DESC LIMIT 1", (year,)).fetchone()
    ids = json.loads(cur["standards"]) if cur and cur["standards"] else []
    if not ids:                 # a year without a round (a past or a later year): the current round's standards
        now_round = rounds.current(db.conn)
        ids = (now_round or {}).get("standards") or []
    std = standard_id or (ids[0] if ids else None)
    if std is None:
        ids = rounds.suggested_standards(year) or rounds.suggested_standards(year - 1)
        if not ids:
            raise ApiError(422, "standard_required", "Name a standard_id", "Hãy chọn chuẩn nghèo")
        std = ids[0]
    return year, std


@router.get("/rounds", summary="Review rounds (the open one first)")
def list_rounds(user: ViewerDep, db: DbDep):
    return ok({"rounds": rounds.list_rounds(db.conn), "current": rounds.current(db.conn)})


@router.post("/rounds", status_code=201, summary="Open a round (409 round_open while another is open)")
def open_round(body: RoundRequest, user: OfficerDep, db: DbDep, now: NowDep):
    r = rounds.open_round(db, body.kind, body.year, body.standards, now, month=body.month, starts_on=body.starts_on,
                          ends_on=body.ends_on, note=body.note, user_id=user.id)
    if body.preload_previous:
        r["preloaded"] = carry.carry_forward(db, r["id"], now, user.id)
    return ok(r, 201)


class StandardsRequest(BaseModel):
    standards: list[str] = Field(description="standard ids the round applies (before its first device submission)")


@router.put("/rounds/{round_id}/standards",
            summary="Change a round's standards before collection starts (409 round_started after)")
def set_round_standards(round_id: int, body: StandardsRequest, user: OfficerDep, db: DbDep, now: NowDep):
    return ok(rounds.set_standards(db, round_id, body.standards, now, user.id))


@router.post("/rounds/{round_id}/close", summary="Close a round: later pushes are rejected round_closed")
def close_round(round_id: int, user: OfficerDep, db: DbDep, now: NowDep):
    return ok(rounds.close_round(db, round_id, now, user.id))


@router.post("/rounds/{round_id}/preload", summary="Carry households of earlier rounds into this round")
def preload_round(round_id: int, user: OfficerDep, db: DbDep, now: NowDep):
    return ok(carry.carry_forward(db, round_id, now, user.id))


@router.get("/rounds/{round_id}", summary="One round with its submission counts")
def get_round(round_id: int, user: ViewerDep, db: DbDep):
    r = rounds.get(db.conn, round_id)
    if r is None:
        raise ApiError(404, "round_not_found", f"No round {round_id}", "Không tìm thấy đợt rà soát")
    return ok({**r, "summary": rounds.round_summary(db.conn, round_id)})


@router.post("/register/import", summary="Import a register file (XLSX/CSV); dry_run=true only checks")
def import_register(request: Request, user: OfficerDep, db: DbDep, now: NowDep, file: Annotated[UploadFile, File()],
                    dry_run: Annotated[bool, Form()] = True, ward: Annotated[str | None, Form()] = None,
                    round: Annotated[int | None, Form()] = None):
    suffix = os.path.splitext(file.filename or "")[1].lower() or ".xlsx"
    fd, path = tempfile.mkstemp(prefix="rasoat-register-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            while chunk := file.file.read(1 << 20):
                fh.write(chunk)
        try:
            report = import_file(db, path, now, ward_code=ward, year=round, dry_run=dry_run, user_id=user.id,
                                 file_name=file.filename)
        except RegisterFileError as exc:
            raise ApiError(422, "register_unreadable", str(exc), str(exc)) from None
    finally:
        os.unlink(path)
    if report.get("imported"):
        wake_after_bulk_load(request.app.state)
    return ok(report, 200 if report["ok"] else 422)


@router.get("/households/{household_id}", summary="A household's cycle facts: history, lifecycle, confirmations, "
                                                  "eligibility, credit")
def household(household_id: str, user: ViewerDep, db: DbDep, now: NowDep, standard_id: str | None = None,
              on: str | None = None):
    if db.one("SELECT 1 FROM households WHERE household_id = ?", (household_id,)) is None:
        raise ApiError(404, "household_not_found", "Unknown household", "Không tìm thấy hộ")
    _, std = _round_and_standard(db, None, standard_id, now)
    return ok({"household_id": household_id, "standard_id": std, "status_history": history(db.conn, household_id),
               "lifecycle": hooks.links(db.conn, household_id),
               "confirmations": hooks.confirmations(db.conn, household_id),
               "eligibility": eligibility.household_eligibility(db.conn, household_id, std, _date(on, now)),
               "credit": targets.credits_of(db.conn, household_id)})


@router.get("/households/{household_id}/confirmations", summary="Per-section confirmations of a household")
def household_confirmations(household_id: str, user: ViewerDep, db: DbDep, section: str | None = None):
    return ok({"household_id": household_id, "confirmations": hooks.confirmations(db.conn, household_id, section)})


@router.get("/transitions", summary="Per-household transitions of a round (before, after, lifecycle, movement)")
def transitions(user: ViewerDep, db: DbDep, now: NowDep, round: RoundQ = None,
                standard_id: str | None = None, limit: Annotated[int, Query(ge=1, le=100000)] = 1000):
    year, std = _round_and_standard(db, round, standard_id, now)
    facts.refresh(db)
    rows, counts = [], {}
    for t in cycle_transitions.household_transitions(db.conn, year, std):
        if t["movement"]:
            counts[t["movement"]] = counts.get(t["movement"], 0) + 1
        if len(rows) < limit:
            rows.append(t)
    return ok({"round": year, "standard_id": std, "counts": counts, "households": rows})


@router.get("/eligibility", summary="Households eligible for a policy on a date, with the end of their window")
def eligibility_list(user: ViewerDep, db: DbDep, now: NowDep, policy: str, standard_id: str | None = None,
                     on: str | None = None, group: str | None = None):
    _, std = _round_and_standard(db, None, standard_id, now)
    day = _date(on, now)
    try:
        rows = list(eligibility.iter_list(db.conn, policy, std, day, group))
    except KeyError:
        raise ApiError(404, "policy_not_found", f"Unknown policy {policy}", f"Không có chính sách {policy}") from None
    return ok({"policy": policy, "standard_id": std, "on": day.isoformat(), "count": len(rows), "households": rows})


@router.get("/eligibility.xlsx", summary="The eligibility list as XLSX (streamed from a temporary file)")
def eligibility_xlsx(user: ViewerDep, db: DbDep, now: NowDep, policy: str, standard_id: str | None = None,
                     on: str | None = None, group: str | None = None):
    return xlsx_response(db, policy, standard_id, on, group, now)


def xlsx_response(db, policy: str, standard_id: str | None, on: str | None, group: str | None, now: dt.datetime):
    _, std = _round_and_standard(db, None, standard_id, now)
    day = _date(on, now)
    with reader(db) as conn:
        try:
            path = eligibility.write_xlsx(conn, policy, std, day, group)
        except KeyError:
            raise ApiError(404, "policy_not_found", f"Unknown policy {policy}", f"Không có chính sách {policy}") from None
    return FileResponse(path, filename=f"du-dieu-kien-{policy}-{day.isoformat()}.xlsx",
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        background=BackgroundTask(os.unlink, path))


@router.get("/targets", summary="Plan targets of the round")
def plan_targets(user: ViewerDep, db: DbDep, now: NowDep, round: RoundQ = None,
                 standard_id: str | None = None, on: str | None = None):
    year, std = _round_and_standard(db, round, standard_id, now)
    return ok(targets.compute(db, year, std, _date(on, now)))


@router.post("/credit", status_code=201, summary="Record a policy-credit request (and receipt) of a household")
def add_credit(body: CreditRequest, user: OfficerDep, db: DbDep, now: NowDep):
    return ok(targets.add_credit(db, body.household_id, body.requested_on, now, body.received_on, body.amount,
                                 body.note, user.id), 201)


@router.post("/credit/{record_id}/received", summary="Record that requested credit was received")
def credit_received(record_id: int, body: ReceivedRequest, user: OfficerDep, db: DbDep, now: NowDep):
    targets.mark_received(db, record_id, body.received_on, now, user.id)
    return ok({"id": record_id, "received_on": body.received_on})


# --- low-income workers (Decree 30/2025/NĐ-CP) ---------------------------------------------------

class LowIncomeRequest(BaseModel):
    household_id: str = Field(min_length=1, max_length=64)
    member_id: str = Field(min_length=1, max_length=64)
    requested_by: Literal["worker", "household"] = "worker"
    requested_on: str = Field(description="the request's date, not in the future", json_schema_extra=DATE)
    note: str = Field("", max_length=2000)


@router.post("/low-income", status_code=201, summary="Record a low-income worker request and identify the worker")
def low_income_request(body: LowIncomeRequest, user: OfficerDep, db: DbDep, now: NowDep):
    return ok(low_income.record_request(db, body.household_id, body.member_id, body.requested_by, body.requested_on,
                                        now, body.note, user.id), 201)


@router.get("/low-income", summary="Low-income worker requests of a year (identified, not, undetermined)")
def low_income_list(user: ViewerDep, db: DbDep, now: NowDep, year: Annotated[int | None, Query(ge=2000, le=2100)] = None):
    y = year or server_date(now).year
    with db.snapshot() as conn:
        rows = low_income.list_requests(conn, y)
        counts = low_income.count_identified(conn, y)
    return ok({"year": y, "requests": rows, "identified": counts[""], "identified_by_group": counts,
               "rule": low_income.rule_summary()})


@router.post("/low-income/{request_id}/reidentify", summary="Identify again on the household's current answers")
def low_income_reidentify(request_id: int, user: OfficerDep, db: DbDep, now: NowDep):
    return ok(low_income.reidentify(db, request_id, now, user.id))
