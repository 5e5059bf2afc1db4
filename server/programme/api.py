"""JSON API of the programme (``/api/v1/programme``; docs/programme.md). Who may call what is decided by
the dependencies of ``access`` (ReaderDep, WriterDep, OfficeDep, AdminScopeDep; DeviceDep for tablets)."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, create_model

from shared import wire

from ..api.body import read_bounded
from ..api.deps import DbDep, DeviceDep, NowDep, SettingsDep, ok
from ..api.schemas import ERRORS
from ..clock import server_date
from ..errors import ApiError
from . import (eligible, evidence, fund, households, ledger, needs, partners, report, rules, targets,
               targets as targets_mod)
from .access import AdminScopeDep, FundReaderDep, FundWriterDep, OfficeDep, ReaderDep, ReportReaderDep, WriterDep
from .scope import Scope, denied

router = APIRouter(prefix="/api/v1/programme", tags=["programme"], responses=ERRORS)

_CAT = eligible.catalogue()
TypeId = Literal[tuple(_CAT.types)]                                   # type: ignore[valid-type]
FundId = Literal[tuple(_CAT.funds)]                                   # type: ignore[valid-type]
NeedId = Literal[tuple(_CAT.need_types)]                              # type: ignore[valid-type]
ReasonId = Literal[tuple(_CAT.close_reasons)]                         # type: ignore[valid-type]
BodyId = Literal[tuple(b["id"] for b in _CAT.delivering_bodies())]    # type: ignore[valid-type]
DonorKind = Literal[rules.DONOR_KINDS]                                # type: ignore[valid-type]
Amount = Annotated[int, Field(ge=0, le=rules.MAX_AMOUNT, description="VND")]
Id = Annotated[int, Field(ge=1, le=2 ** 62)]


def _text(n: int, required: bool = False) -> Any:
    """Free text of at most ``n`` characters; a required one holds something besides spaces."""
    return Annotated[str, Field(min_length=1, max_length=n, pattern=r"\S")] if required else \
        Annotated[str | None, Field(None, max_length=n)]


class DeliveryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    support_type: TypeId = Field(description="a support type of the catalogue (GET /catalogue)")
    delivered_on: dt.date = Field(description="not in the future")
    quantity: int = Field(1, ge=1, le=rules.MAX_QUANTITY, description="how many (the type's unit)")
    amount_vnd: Amount | None = Field(None, description="VND; required / optional / none per type")
    fund: FundId | None = Field(None, description="a fund the type allows (default: its only one)")
    member_id: _text(100) = Field(None, description="the member receiving support given to a person")
    campaign_id: Id | None = Field(None, description="Fund for the Poor campaign")
    evidence_no: _text(rules.MAX_TEXT["evidence_no"]) = Field(None, description="document or receipt number")
    evidence_sha256: Annotated[str | None, Field(None, pattern="^[0-9a-f]{64}$")] = Field(
        None, description="a photo stored with POST /evidence")
    note: _text(rules.MAX_TEXT["note"]) = None


class CorrectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: _text(rules.MAX_TEXT["reason"], required=True)
    delivered_on: dt.date | None = None
    quantity: int | None = Field(None, ge=1, le=rules.MAX_QUANTITY)
    amount_vnd: Amount | None = None
    fund: FundId | None = None
    member_id: _text(100) = None
    campaign_id: Id | None = None
    evidence_no: _text(rules.MAX_TEXT["evidence_no"]) = None
    note: _text(rules.MAX_TEXT["note"]) = None


class ReasonRequest(BaseModel):
    reason: _text(rules.MAX_TEXT["reason"], required=True)


class NeedRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    need_type: NeedId
    member_id: _text(100) = None
    noted_on: dt.date | None = Field(None, description="default today; not in the future")
    note: _text(rules.MAX_TEXT["note"]) = None


class CloseNeedRequest(BaseModel):
    reason: ReasonId = Field(description="a close reason of the catalogue")
    note: _text(rules.MAX_TEXT["note"]) = None


class DeriveRequest(BaseModel):
    year: int = Field(ge=2000, le=2100)


class DeviceNeedsRequest(BaseModel):
    protocol: int | None = None
    needs: list[dict[str, Any]] = Field(max_length=500)


class CampaignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: _text(rules.MAX_TEXT["name"], required=True)
    starts_on: dt.date
    ends_on: dt.date | None = Field(None, description="on or after starts_on")
    year: int | None = Field(None, ge=2000, le=2100, description="default: the year of starts_on")
    note: _text(500) = None


class ContributionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    campaign_id: Id
    donor_name: _text(rules.MAX_TEXT["donor_name"], required=True)
    donor_kind: DonorKind = "person"
    anonymous: bool = False
    amount_vnd: Annotated[int, Field(ge=1, le=rules.MAX_AMOUNT)]
    received_on: dt.date = Field(description="not in the future")
    receipt_no: _text(rules.MAX_TEXT["receipt_no"]) = None
    note: _text(rules.MAX_TEXT["note"]) = None


class ContributionCorrection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: _text(rules.MAX_TEXT["reason"], required=True)
    campaign_id: Id | None = None
    donor_name: Annotated[str | None, Field(None, min_length=1, max_length=rules.MAX_TEXT["donor_name"],
                                            pattern=r"\S")] = None
    donor_kind: DonorKind | None = None
    anonymous: bool | None = None
    amount_vnd: Annotated[int | None, Field(None, ge=1, le=rules.MAX_AMOUNT)] = None
    received_on: dt.date | None = None
    receipt_no: _text(rules.MAX_TEXT["receipt_no"]) = None
    note: _text(rules.MAX_TEXT["note"]) = None


class PartnerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^\S+$")]
    full_name: _text(200, required=True)
    password: Annotated[str, Field(min_length=8, max_length=200)]
    body_id: BodyId
    group_code: _text(20) = Field(None, description="required for a residential group's account, else empty")


def _day(value: dt.date | None, now: dt.datetime) -> dt.date:
    return value or server_date(now)


def _group_id(db, code: str | None) -> int | None:
    if not code:
        return None
    gid = db.value("SELECT id FROM area_groups WHERE code = ?", (code,))
    if gid is None:
        raise ApiError(404, "group_not_found", f"No group {code}", f"Không tìm thấy khu phố {code}")
    return gid


def _given(model: BaseModel) -> dict[str, Any]:
    return {k: v for k, v in model.model_dump(mode="json").items() if v is not None}


# --- catalogue and households -----------------------------------------------------------------------

@router.get("/catalogue", summary="Support types, bodies, funds, need types and close reasons (plan §II–§IV)")
def catalogue(scope: ReaderDep):
    cat = eligible.catalogue()
    return ok({**cat.data, "your_body": scope.body_id, "your_types": [t["id"] for t in cat.types_of(scope.body_id)]
               if scope.is_partner else None})


@router.get("/households", summary="Households a body serves (eligible for its support types, or with its needs)")
def household_list(scope: ReaderDep, db: DbDep, now: NowDep, body: BodyId | None = None, type: TypeId | None = None,
                   group: str | None = None, on: dt.date | None = None):
    if scope.is_partner and body and body != scope.body_id:
        raise denied("Another body's households", "Không xem được hộ của đơn vị khác")
    rows = households.listing(db.conn, scope, _day(on, now), body, type, _group_id(db, group))
    return ok({"count": len(rows), "households": rows})


def household_view(db, scope: Scope, household_id: str, now: dt.datetime) -> dict[str, Any]:
    today = server_date(now)
    conn = db.conn
    households.require_visible(conn, scope, household_id, today)
    cat = eligible.catalogue()
    ident = households.identity(conn, household_id) or {}
    ident.pop("submission_id", None)
    types = eligible.household_types(conn, household_id, today)
    mine = {t["id"] for t in (cat.types_of(scope.body_id) if scope.is_partner else cat.data["support_types"])}
    person = any(cat.types[t]["recipient"] == "person" for t in mine) or scope.records_any_need
    return {"household": ident,
            "members": households.members(conn, household_id) if person else [],
            "eligible_types": {k: v for k, v in types.items() if k in mine},
            "history": ledger.household_history(conn, scope, household_id),
            "needs": needs.list_needs(conn, scope, status=None, household_id=household_id)}


@router.get("/households/{household_id}", summary="A household's support history, open needs and eligible types "
                                                  "(within the caller's body)")
def household(household_id: str, scope: ReaderDep, db: DbDep, now: NowDep):
    return ok(household_view(db, scope, household_id, now))


# --- deliveries ---------------------------------------------------------------------------------------

@router.post("/households/{household_id}/deliveries", status_code=201, summary="Record a delivery of support")
def deliver(household_id: str, body: DeliveryRequest, scope: WriterDep, db: DbDep, now: NowDep):
    return ok(ledger.record(db, scope, household_id, body.model_dump(mode="json"), now), 201)


@router.get("/deliveries", summary="The current ledger (newest first) within the caller's body")
def delivery_list(scope: ReaderDep, db: DbDep, year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
                  body: BodyId | None = None, type: TypeId | None = None, group: str | None = None,
                  limit: Annotated[int, Query(ge=1, le=100000)] = 1000):
    rows = ledger.deliveries(db.conn, scope, year, body, type, _group_id(db, group), limit=limit)
    return ok({"count": len(rows), "deliveries": rows})


@router.get("/deliveries/{entry_id}", summary="One ledger entry (any state)")
def delivery(entry_id: int, scope: ReaderDep, db: DbDep):
    e = ledger.get(db.conn, entry_id)
    if not scope.sees_body(e["body_id"]):
        raise ApiError(404, "entry_not_found", "No such ledger entry", "Không tìm thấy bản ghi hỗ trợ")
    return ok(e)


@router.post("/deliveries/{entry_id}/correct", status_code=201, summary="Correct an entry (a new entry; reason required)")
def correct(entry_id: int, body: CorrectionRequest, scope: WriterDep, db: DbDep, now: NowDep):
    return ok(ledger.correct(db, scope, entry_id, _given(body), now), 201)


@router.post("/deliveries/{entry_id}/void", status_code=201, summary="Cancel an entry (a void entry; reason required)")
def void(entry_id: int, body: ReasonRequest, scope: WriterDep, db: DbDep, now: NowDep):
    return ok(ledger.void(db, scope, entry_id, body.reason, now), 201)


# --- needs ------------------------------------------------------------------------------------------

@router.get("/needs", summary="Needs (open by default) within the caller's body")
def need_list(scope: ReaderDep, db: DbDep, status: Literal["open", "closed", "all"] = "open", body: BodyId | None = None,
              group: str | None = None, year: Annotated[int | None, Query(ge=2000, le=2100)] = None):
    rows = needs.list_needs(db.conn, scope, None if status == "all" else status, body, _group_id(db, group),
                            year=year)
    return ok({"count": len(rows), "needs": rows})


@router.post("/households/{household_id}/needs", status_code=201, summary="Record a need of a household")
def add_need(household_id: str, body: NeedRequest, scope: WriterDep, db: DbDep, now: NowDep):
    res = needs.record(db, scope, household_id, body.model_dump(mode="json"), now)
    return ok(res, 200 if res["existing"] else 201)


@router.post("/needs/{need_id}/close", summary="Close a need with a reason")
def close_need(need_id: int, body: CloseNeedRequest, scope: WriterDep, db: DbDep, now: NowDep):
    return ok(needs.close(db, scope, need_id, body.reason, body.note, now))


@router.post("/needs/derive", summary="Needs from the review's answers of a round (once per household, type, member)")
def derive(body: DeriveRequest, scope: OfficeDep, db: DbDep, now: NowDep):
    return ok(needs.derive_from_review(db, scope, body.year, now))


@router.post("/device/needs", summary="Needs noted on a tablet: one result per item (idempotent by client_id)")
def device_needs(body: DeviceNeedsRequest, device: DeviceDep, db: DbDep, now: NowDep):
    return ok({"protocol": wire.PROTOCOL_VERSION, "results": needs.record_from_device(db, device, body.needs, now)})


# --- evidence photos ---------------------------------------------------------------------------------

_EVIDENCE_BODY = {"requestBody": {"required": True, "description": "The photo's bytes: a JPEG, PNG or WebP image "
                                  "as its Content-Type says (at most the server's attachment size)",
                                  "content": {t: {"schema": {"type": "string", "format": "binary"}}
                                              for t in ("image/jpeg", "image/png", "image/webp")}}}


@router.post("/evidence", status_code=201, openapi_extra=_EVIDENCE_BODY,
             summary="Store an evidence photo (the body is the image); name its sha256 on a delivery")
async def evidence_upload(request: Request, scope: WriterDep, db: DbDep, now: NowDep, settings: SettingsDep):
    from starlette.concurrency import run_in_threadpool

    limit = settings.max_attachment_bytes
    data = await read_bounded(request, limit, ApiError(
        413, "attachment_too_large", f"An evidence photo may have at most {limit} bytes",
        f"Ảnh chứng từ quá lớn: tối đa {limit // 1024:,} KB".replace(",", ".")))
    sha = await run_in_threadpool(evidence.save, db, evidence.root_dir(settings.data_dir), data,
                                  request.headers.get("content-type", ""), limit, scope, now)
    return ok({"sha256": sha, "size": len(data)}, 201)


@router.get("/evidence/{sha256}", summary="An evidence photo (office users; a partner: its own body's entries')",
            responses={200: {"content": {t: {} for t in ("image/jpeg", "image/png", "image/webp")}}})
def evidence_read(sha256: Annotated[str, Path(pattern="^[0-9a-f]{64}$")], scope: ReaderDep, db: DbDep,
                  settings: SettingsDep):
    from starlette.responses import FileResponse

    path, ctype = evidence.readable(db, evidence.root_dir(settings.data_dir), scope, sha256)
    return FileResponse(path, media_type=ctype, headers={"Cache-Control": "private, max-age=86400"})


# --- the Fund for the Poor ----------------------------------------------------------------------------

@router.get("/fund", summary="Balance, campaigns, contributions and disbursements of the Fund for the Poor")
def fund_overview(scope: FundReaderDep, db: DbDep, year: Annotated[int | None, Query(ge=2000, le=2100)] = None):
    return ok(fund.overview(db.conn, scope, year))


@router.get("/fund/summary", summary="The public summary for posting (no household named)")
def fund_summary(scope: ReaderDep, db: DbDep, now: NowDep, year: Annotated[int | None, Query(ge=2000, le=2100)] = None):
    return ok(fund.public_summary(db.conn, year or server_date(now).year))


@router.post("/fund/campaigns", status_code=201, summary="Open a campaign")
def add_campaign(body: CampaignRequest, scope: FundWriterDep, db: DbDep, now: NowDep):
    return ok(fund.create_campaign(db, scope, body.model_dump(mode="json"), now), 201)


@router.post("/fund/contributions", status_code=201, summary="Record a contribution")
def add_contribution(body: ContributionRequest, scope: FundWriterDep, db: DbDep, now: NowDep):
    return ok(fund.contribute(db, scope, body.model_dump(mode="json"), now), 201)


@router.post("/fund/contributions/{entry_id}/correct", status_code=201, summary="Correct a contribution (new entry)")
def correct_contribution(entry_id: int, body: ContributionCorrection, scope: FundWriterDep, db: DbDep, now: NowDep):
    return ok(fund.correct(db, scope, entry_id, _given(body), now), 201)


@router.post("/fund/contributions/{entry_id}/void", status_code=201, summary="Cancel a contribution (new entry)")
def void_contribution(entry_id: int, body: ReasonRequest, scope: FundWriterDep, db: DbDep, now: NowDep):
    return ok(fund.void(db, scope, entry_id, body.reason, now), 201)


# --- partner accounts ---------------------------------------------------------------------------------

@router.get("/partners", summary="Partner accounts (admin)")
def partner_list(scope: AdminScopeDep, db: DbDep):
    return ok({"partners": partners.list_partners(db.conn)})


@router.post("/partners", status_code=201, summary="Create a partner account for a responsible body (admin)")
def partner_create(body: PartnerRequest, scope: AdminScopeDep, db: DbDep, now: NowDep):
    return ok(partners.create(db, scope, body.model_dump(mode="json"), now), 201)


# --- targets and the year-end report ---------------------------------------------------------------------

def _goal_field(d: dict[str, Any]) -> Any:
    if d["unit"] == "percent":
        return (float | None, Field(None, ge=0, le=100, description=f"{d['label_vi']} (%)"))
    # a number of households: whole, bounded as the cycle's plan_targets bounds it (one goal, two pages)
    return (int | None, Field(None, ge=0, le=targets_mod.COUNT_MAX, description=f"{d['label_vi']} (hộ)"))


TargetValues = create_model("TargetValues", __config__=ConfigDict(extra="forbid"),
                            income_line_vnd=(int | None, Field(None, ge=0, le=10 ** 9, description=(
                                "the income line of the year the income target compares with (VND per person per "
                                "month: the regional minimum wage, entered from the text in force)"))),
                            **{d["id"]: _goal_field(d) for d in targets_mod.DEFINITIONS})


class TargetsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    values: TargetValues = Field(description="goals of the year: households (≤) or % (≥); absent = unchanged")
    note: _text(500) = None


def _year_of(year: int | None, now: dt.datetime) -> int:
    return year or server_date(now).year


@router.get("/targets", summary="The plan's targets for a year: ward and groups, with the households blocking them")
def plan_targets(scope: ReaderDep, db: DbDep, now: NowDep, year: Annotated[int | None, Query(ge=2000, le=2100)] = None):
    data = targets.compute(db, _year_of(year, now), server_date(now))
    return ok(scoped_targets(data, scope))


def scoped_targets(data: dict[str, Any], scope: Scope) -> dict[str, Any]:
    """A partner sees the figures, not who keeps them from being met (that names households of every body)."""
    if scope.is_partner:
        data = {**data, "targets": [{**t, "blocking": [], "blocking_count": len(t["blocking"])} for t in data["targets"]]}
    return data


@router.put("/targets/{year}", summary="Enter the year's goals (append-only; the latest counts)")
def enter_targets(year: Annotated[int, Path(ge=2000, le=2100)], body: TargetsRequest, scope: OfficeDep, db: DbDep,
                  now: NowDep):
    values = {k: v for k, v in body.values.model_dump().items() if v is not None}
    return ok(targets.enter_goals(db, scope, year, values, now, body.note or ""))


@router.get("/report", summary="The year-end report as tables (the same as the printable page and the XLSX)")
def year_report(scope: ReportReaderDep, db: DbDep, now: NowDep, year: Annotated[int | None, Query(ge=2000, le=2100)] = None):
    data = report.build(db, _year_of(year, now), server_date(now))
    return ok({"year": data["year"], "tables": report.tables(data)})


@router.get("/report.xlsx", summary="The year-end report as XLSX")
def year_report_xlsx(scope: ReportReaderDep, db: DbDep, now: NowDep,
                     year: Annotated[int | None, Query(ge=2000, le=2100)] = None):
    return xlsx_file(report.write_xlsx(report.build(db, _year_of(year, now), server_date(now))), _year_of(year, now))


def xlsx_file(path: str, year: int):
    import os

    from starlette.background import BackgroundTask
    from starlette.responses import FileResponse
    return FileResponse(path, filename=f"bao-cao-giam-ngheo-{year}.xlsx",
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        background=BackgroundTask(os.unlink, path))
