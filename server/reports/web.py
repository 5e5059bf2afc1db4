"""Console page of the reports: pick round, standard, group (or the whole ward) and a report; see
it as a table; download it (XLSX with the column-code row, or CSV) or the whole workbook."""
from __future__ import annotations

from pathlib import Path

from fastapi import Request
from starlette.responses import Response

from ..console.web import PREFIX, ConsolePart, NavItem, ViewerUser, get_db, get_now, make_router, render
from ..process import service as process_service
from ..process.results import LIST_LABELS, LISTS
from . import service
from .api import csv_response, xlsx_response

router = make_router()
BASE = PREFIX + "/reports"
NAMED_PAGE = 200
CONSOLE = ConsolePart(nav=(NavItem(BASE, "nav.reports", "viewer", "main"),),
                      templates=str(Path(__file__).parent / "templates"))


def _scope(request: Request, round: int | None, standard: str | None) -> tuple[int, str, list]:
    db = get_db(request)
    r = round or process_service.default_round(get_now(request), db.conn)
    choices = process_service.standard_choices(db.conn, r)
    std = standard if standard in {c["id"] for c in choices} else choices[0]["id"]
    return r, std, choices


@router.get(BASE)
def reports_page(request: Request, user: ViewerUser, round: int | None = None, standard: str | None = None,
                 group: str = "", report: str = "overall", list: str = "", page: int = 1) -> Response:
    r, std, choices = _scope(request, round, standard)
    view = service.console_page(get_db(request), report, r, std, group or None, list or None, page, NAMED_PAGE)
    q = f"round={r}&standard_id={std}" + (f"&group={group}" if group else "")
    return render(request, "reports/index.html", **view, round=r, standard=std, standards=choices, group=group,
                  lists=LISTS, list_labels=LIST_LABELS, current_list=list, q=q)


@router.get(BASE + "/download/{report_id}")
def download(request: Request, report_id: str, user: ViewerUser, standard_id: str, round: int | None = None,
             group: str = "", format: str = "xlsx", list: str = "") -> Response:
    db = get_db(request)
    r, std, _ = _scope(request, round, standard_id)
    if format == "csv":
        chunks, name = service.csv_stream(db, report_id, r, std, group or None, list or None)
        return csv_response(chunks, name)
    path, name, _ = service.xlsx_file(db, r, std, report_id, group or None)
    return xlsx_response(path, name)


@router.get(BASE + "/workbook.xlsx")
def workbook(request: Request, user: ViewerUser, standard_id: str, round: int | None = None,
             group: str = "") -> Response:
    db = get_db(request)
    r, std, _ = _scope(request, round, standard_id)
    path, name, _ = service.xlsx_file(db, r, std, None, group or None)
    return xlsx_response(path, name)
