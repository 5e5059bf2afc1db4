"""JSON API and downloads of the reports. Viewers may read and download."""
from __future__ import annotations

import os
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.background import BackgroundTask
from starlette.responses import FileResponse, StreamingResponse

from ..api.deps import DbDep, NowDep, ViewerDep, ok
from ..api.schemas import ERRORS
from ..process import service as process_service
from . import service

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], responses=ERRORS)
RoundQ = Annotated[int | None, Query(ge=2000, le=2100, description="review round (year); default: the open round, else the latest periodic round begun")]
ListQ = Annotated[str | None, Query(pattern="^(poor|near_poor|escaped_poverty|escaped_near_poverty)$")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _round(r: int | None, now, db: Any) -> int:
    """The round asked for, else the current one: the open round, else the latest periodic round begun
    (``service.default_round``), never simply the calendar year while a round exists."""
    return r if r is not None else process_service.default_round(now, db.conn)


def _attachment(name: str) -> dict[str, str]:
    from urllib.parse import quote
    return {"Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"}


def xlsx_response(path: str, name: str) -> FileResponse:
    return FileResponse(path, media_type=XLSX, filename=name, background=BackgroundTask(os.unlink, path))


def csv_response(chunks, name: str) -> StreamingResponse:
    return StreamingResponse(chunks, media_type="text/csv; charset=utf-8", headers=_attachment(name))


@router.get("", summary="Report catalogue (layouts; titles and column codes are [U])")
def catalogue(user: ViewerDep):
    return ok({"reports": service.catalogue()})


@router.get("/workbook.xlsx", summary="Every report in one XLSX workbook (ward or group)")
def workbook(user: ViewerDep, db: DbDep, now: NowDep, standard_id: str, round: RoundQ = None,
             group: str | None = None):
    path, name, _ = service.xlsx_file(db, _round(round, now, db), standard_id, None, group)
    return xlsx_response(path, name)


@router.get("/named_lists/rows", summary="Named lists (poor, near-poor, escaped...), keyset paged")
def named_rows(user: ViewerDep, db: DbDep, now: NowDep, standard_id: str, round: RoundQ = None,
               group: str | None = None, list: ListQ = None, after: int = 0,
               limit: Annotated[int, Query(ge=1, le=1000)] = 200):
    return ok(service.named_rows(db, _round(round, now, db), standard_id, group, list, after, limit))


@router.get("/{report_id}", summary="One report as JSON (rows per residential group and a total)")
def report(report_id: str, user: ViewerDep, db: DbDep, now: NowDep, standard_id: str, round: RoundQ = None,
           group: str | None = None):
    return ok(service.report_json(db, report_id, _round(round, now, db), standard_id, group))


@router.get("/{report_id}/download", summary="Download one report: XLSX (with the column-code row) or CSV")
def download(report_id: str, user: ViewerDep, db: DbDep, now: NowDep, standard_id: str,
             format: Annotated[str, Query(pattern="^(xlsx|csv)$")] = "xlsx", round: RoundQ = None,
             group: str | None = None, list: ListQ = None):
    r = _round(round, now, db)
    if format == "csv":
        chunks, name = service.csv_stream(db, report_id, r, standard_id, group, list)
        return csv_response(chunks, name)
    path, name, _ = service.xlsx_file(db, r, standard_id, report_id, group)
    return xlsx_response(path, name)
