"""JSON API of the process: meetings, votes, postings, complaints, recognition, status history.

Viewers read; officers write. ``round`` defaults to the current round: the open one, else the latest
periodic round already begun (``service.default_round``)."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ..api.deps import DbDep, NowDep, OfficerDep, ViewerDep, ok
from ..api.schemas import ERRORS
from ..errors import ApiError
from . import service
from .config import PROCESS_SETTINGS

DATE = {"format": "date"}        # documented as a date (YYYY-MM-DD); parsed and refused by the service
TEXT = {"pattern": r"\S"}         # documented as required text (not only spaces); checked by the service
router = APIRouter(prefix="/api/v1/process", tags=["process"], responses=ERRORS)
RoundQ = Annotated[int | None, Query(ge=2000, le=2100, description="review round (year); default: the open round, else the latest periodic round begun")]
RoundFilterQ = Annotated[int | None, Query(ge=2000, le=2100, description="review round (year); default: every round")]
ListQ = Annotated[str | None, Query(pattern="^(poor|near_poor|escaped_poverty|escaped_near_poverty)$")]


class MeetingRequest(BaseModel):
    round: int | None = Field(None, ge=2000, le=2100)
    standard_id: str
    group: str = Field(description="residential group code, e.g. KP01")
    held_on: str = Field(examples=["2025-11-20"], json_schema_extra=DATE)
    location: str = Field("", max_length=500)
    chair_name: str = Field("", max_length=200)
    front_representative: str = Field("", max_length=200)
    secretary_name: str = Field("", max_length=200)
    notes: str = Field("", max_length=4000)


class Vote(BaseModel):
    household_id: str
    agree: int = Field(ge=0)


class VotesRequest(BaseModel):
    attendees: int | None = Field(None, ge=1, description="people attending (once per meeting)")
    votes: list[Vote]


class PostingRequest(BaseModel):
    round: int | None = Field(None, ge=2000, le=2100)
    standard_id: str
    group: str | None = Field(None, description="group code; omit for the ward office posting")
    posted_on: str = Field(json_schema_extra=DATE)
    place: str = Field("", max_length=300)


class ComplaintRequest(BaseModel):
    round: int | None = Field(None, ge=2000, le=2100)
    household_id: str
    received_on: str = Field(json_schema_extra=DATE)
    complainant: str = Field(max_length=200, json_schema_extra=TEXT)
    content: str = Field(max_length=4000, json_schema_extra=TEXT)
    posting_id: int | None = None


class ComplaintOutcomeRequest(BaseModel):
    outcome: Literal["confirmed", "changed", "withdrawn"]
    note: str = Field("", max_length=4000, description="required when the outcome is 'changed'")
    rechecked_on: str = Field(json_schema_extra=DATE)


class DecisionRequest(BaseModel):
    round: int | None = Field(None, ge=2000, le=2100)
    standard_id: str
    number: str = Field(examples=["125/QĐ-UBND"], max_length=100, json_schema_extra=TEXT)
    decision_date: str = Field(json_schema_extra=DATE)
    signer_name: str = Field(max_length=200, json_schema_extra=TEXT)
    signer_title: str = Field("Chủ tịch UBND phường", max_length=200, json_schema_extra=TEXT)
    allow_unsettled: bool = Field(False, description="issue it although some households are not settled "
                                                     "(they keep their status); needs override_reason")
    override_reason: str = Field("", max_length=2000, json_schema_extra=TEXT,
                                 description="why (at least 10 characters); audited and printed on the decision")


_DAY = r"(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
# The settings table as the document of the body: known names only, integers 1..60, holidays a list of dates.
SETTINGS_SCHEMA = {"type": "object", "additionalProperties": False, "properties": {
    s.name: ({"type": "integer", "minimum": 1, "maximum": 60} if s.type is int else
             {"type": "string", "pattern": rf"^ *({_DAY}( *[,;] *{_DAY})*)? *$"} if s.name == "holidays" else
             {"type": "string", "maxLength": 500})
    for s in PROCESS_SETTINGS}}


class SettingsRequest(BaseModel):
    values: dict[str, Any] = Field(json_schema_extra=SETTINGS_SCHEMA)


def _round(r: int | None, now: Any, db: Any) -> int:
    """The round asked for, else the current one: the open round, else the latest periodic round begun
    (``service.default_round``), never simply the calendar year while a round exists."""
    return r if r is not None else service.default_round(now, db.conn)


@router.get("/standards", summary="Standards the ward's round can use (provincial first)")
def standards(user: ViewerDep, db: DbDep, now: NowDep, round: RoundQ = None):
    return ok({"standards": service.standard_choices(db.conn, _round(round, now, db))})


@router.get("/settings", summary="Process settings (posting length [U]...)")
def get_settings(user: ViewerDep, db: DbDep):
    return ok({"settings": service.settings_view(db)})


@router.put("/settings", summary="Change process settings (officer)")
def put_settings(body: SettingsRequest, user: OfficerDep, db: DbDep, now: NowDep):
    return ok({"settings": service.update_settings(db, user, body.values, now)})


@router.get("/candidates", summary="The list a group's community meeting must discuss")
def candidates(user: ViewerDep, db: DbDep, now: NowDep, standard_id: str, group: str, round: RoundQ = None):
    return ok({"households": service.candidates(db, _round(round, now, db), standard_id, group)})


@router.get("/meetings", summary="Community meetings")
def meetings(user: ViewerDep, db: DbDep, round: RoundFilterQ = None, standard_id: str | None = None,
             group: str | None = None):
    return ok({"meetings": service.list_meetings(db, round, standard_id, group)})


@router.post("/meetings", status_code=201, summary="Open a community meeting with its list (officer)")
def create_meeting(body: MeetingRequest, user: OfficerDep, db: DbDep, now: NowDep):
    m = service.create_meeting(db, user, _round(body.round, now, db), body.standard_id, body.group, body.held_on, now,
                               location=body.location, chair_name=body.chair_name,
                               front_representative=body.front_representative,
                               secretary_name=body.secretary_name, notes=body.notes)
    return ok(m, 201)


@router.get("/meetings/{meeting_id}", summary="A meeting with its households and votes")
def get_meeting(meeting_id: int, user: ViewerDep, db: DbDep):
    return ok(service.get_meeting(db, meeting_id))


@router.post("/meetings/{meeting_id}/votes",
             summary="Record attendance and votes; < 50% agreeing sends the household back (officer)")
def votes(meeting_id: int, body: VotesRequest, user: OfficerDep, db: DbDep, now: NowDep):
    seen: set[str] = set()
    for v in body.votes:
        if v.household_id in seen:
            raise ApiError(422, "duplicate_vote", f"Household {v.household_id} appears twice",
                           f"Hộ {v.household_id} bị ghi hai lần")
        seen.add(v.household_id)
    return ok(service.record_votes(db, user, meeting_id, body.attendees,
                                   {v.household_id: v.agree for v in body.votes}, now))


@router.get("/postings", summary="Public postings")
def postings(user: ViewerDep, db: DbDep, round: RoundFilterQ = None):
    return ok({"postings": service.list_postings(db, round)})


@router.post("/postings", status_code=201, summary="Post a group's (or the ward's) lists publicly (officer)")
def create_posting(body: PostingRequest, user: OfficerDep, db: DbDep, now: NowDep):
    return ok(service.create_posting(db, user, _round(body.round, now, db), body.standard_id, body.group,
                                     body.posted_on, now, body.place), 201)


@router.get("/postings/{posting_id}", summary="A posting with its lists")
def get_posting(posting_id: int, user: ViewerDep, db: DbDep):
    return ok(service.get_posting(db, posting_id))


@router.get("/complaints", summary="Complaints")
def complaints(user: ViewerDep, db: DbDep, round: RoundFilterQ = None, household_id: str | None = None):
    return ok({"complaints": service.list_complaints(db, round, household_id)})


@router.post("/complaints", status_code=201, summary="Record a complaint against a household's result (officer)")
def create_complaint(body: ComplaintRequest, user: OfficerDep, db: DbDep, now: NowDep):
    return ok(service.record_complaint(db, user, _round(body.round, now, db), body.household_id, body.received_on,
                                       body.complainant, body.content, now, body.posting_id), 201)


@router.post("/complaints/{complaint_id}/outcome", summary="Record the re-check outcome (officer)")
def complaint_outcome(complaint_id: int, body: ComplaintOutcomeRequest, user: OfficerDep, db: DbDep, now: NowDep):
    return ok(service.resolve_complaint(db, user, complaint_id, body.outcome, body.note, body.rechecked_on, now))


@router.get("/recognition/preview", summary="What a recognition decision would contain now")
def recognition_preview(user: ViewerDep, db: DbDep, now: NowDep, standard_id: str, round: RoundQ = None):
    return ok(service.recognition_preview(db, _round(round, now, db), standard_id))


@router.get("/decisions", summary="Recognition decisions")
def decisions(user: ViewerDep, db: DbDep, round: RoundFilterQ = None):
    return ok({"decisions": service.list_decisions(db, round)})


@router.post("/decisions", status_code=201, summary="Issue the recognition decision and record statuses (officer)")
def create_decision(body: DecisionRequest, user: OfficerDep, db: DbDep, now: NowDep):
    return ok(service.create_decision(db, user, _round(body.round, now, db), body.standard_id, body.number,
                                      body.decision_date, body.signer_name, body.signer_title, now,
                                      allow_unsettled=body.allow_unsettled,
                                      override_reason=body.override_reason), 201)


@router.get("/decisions/{decision_id}", summary="A decision")
def get_decision(decision_id: int, user: ViewerDep, db: DbDep):
    return ok(service.get_decision(db, decision_id))


@router.get("/decisions/{decision_id}/households", summary="The households of a decision (keyset paged)")
def decision_households(decision_id: int, user: ViewerDep, db: DbDep,
                        list: ListQ = None,
                        group: str | None = None, after: int = 0,
                        limit: Annotated[int, Query(ge=1, le=1000)] = 500):
    rows = service.decision_households(db, decision_id, list, group, after, limit)
    return ok({"households": rows, "next": rows[-1]["rid"] if len(rows) == limit else None})


@router.get("/households/{household_id}/status-history",
            summary="A household's register statuses with decision dates, complaints and meeting votes")
def status_history(household_id: str, user: ViewerDep, db: DbDep):
    return ok(service.household_statuses(db, household_id))
