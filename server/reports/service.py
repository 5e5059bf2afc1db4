"""Report use cases: resolve the scope (round, standard, ward or group), refresh the facts,
build JSON, write XLSX to a temporary file, or stream CSV."""
from __future__ import annotations

import os
import tempfile
from typing import Any, Iterator

from shared.standards import load_standards

from .. import vnformat
from ..clock import server_date, system_clock
from ..process import config as process_config
from ..db import Database
from ..errors import ApiError
from ..process import service as process_service
from ..process.results import LISTS, reader
from . import export
from ..store import facts
from .builders import Scope, iter_named
from .layouts import for_standard, get_layout, load_layouts


def resolve(db: Database, round_: int, standard_id: str, group: str | None = None,
            ward_code: str | None = None) -> tuple[Scope, dict[str, Any]]:
    conn = db.conn
    process_service.check_standard(conn, standard_id)
    ward = process_service.ward_of(conn, ward_code)
    g = process_service.group_of(conn, group, ward_code) if group else None
    info = {"round": round_, "standard_id": standard_id, "standard_name": vnformat.standard(standard_id),
            "province_name": vnformat.province_name(ward["province_code"]),
            "chair_name": process_config.load(conn)["chair_name"], "signed_on": server_date(system_clock()),
            "ward_code": ward["ward_code"], "ward_name": ward["name"],
            "group_code": g["code"] if g else None, "group_name": g["name"] if g else None}
    return Scope(round_, standard_id, ward["id"], g["id"] if g else None), info


def layout_or_404(report_id: str) -> dict[str, Any]:
    layout = get_layout(report_id)
    if layout is None:
        raise ApiError(404, "unknown_report", f"No report {report_id}", f"Không có báo cáo {report_id}",
                       [{"reports": list(load_layouts())}])
    return layout


def catalogue() -> list[dict[str, Any]]:
    return [{"id": k, "title": v["title"], "builder": v["builder"], "unconfirmed": v["unconfirmed"],
             "columns": len(v["columns"])} for k, v in load_layouts().items()]


def report_json(db: Database, report_id: str, round_: int, standard_id: str, group: str | None = None,
                ward_code: str | None = None) -> dict[str, Any]:
    layout = layout_or_404(report_id)
    if layout["builder"] == "named_lists":
        raise ApiError(422, "use_named_lists", "Named lists are paged: use /api/v1/reports/named_lists/rows",
                       "Danh sách hộ được phân trang: dùng /api/v1/reports/named_lists/rows")
    facts.refresh(db)
    scope, info = resolve(db, round_, standard_id, group, ward_code)
    layout = for_standard(layout, load_standards()[standard_id])
    with reader(db) as conn:
        out = export.build(conn, scope, layout)
    return {**out, "scope": info}


def named_rows(db: Database, round_: int, standard_id: str, group: str | None = None, list_name: str | None = None,
               after: int = 0, limit: int = 200, ward_code: str | None = None) -> dict[str, Any]:
    if list_name is not None and list_name not in LISTS:
        raise ApiError(422, "unknown_list", f"list must be one of {LISTS}", "Danh sách không hợp lệ")
    facts.refresh(db)
    scope, info = resolve(db, round_, standard_id, group, ward_code)
    rows = []
    with reader(db) as conn:
        for r in iter_named(conn, scope, list_name, after):
            rows.append(r)
            if len(rows) >= limit:
                break
    return {"scope": info, "list": list_name, "rows": rows,
            "next": rows[-1]["rid"] if len(rows) == limit else None}


def xlsx_file(db: Database, round_: int, standard_id: str, report_id: str | None = None, group: str | None = None,
              ward_code: str | None = None, directory: str | None = None) -> tuple[str, str, dict[str, Any]]:
    """Write the workbook (one report, or every report when ``report_id`` is None) to a temporary
    file; returns (path, download name, totals). The caller deletes the file."""
    ids = None
    if report_id:
        layout_or_404(report_id)
        ids = [report_id]
    facts.refresh(db)
    scope, info = resolve(db, round_, standard_id, group, ward_code)
    fd, path = tempfile.mkstemp(prefix="rasoat-report-", suffix=".xlsx", dir=directory)
    os.close(fd)
    try:
        with reader(db) as conn:
            std = load_standards()[standard_id]
            layouts = {k: for_standard(v, std) for k, v in load_layouts().items()}
            totals = export.write_workbook(conn, scope, layouts, info, path, ids)
    except BaseException:
        os.unlink(path)
        raise
    where = info["group_code"] or info["ward_code"]
    name = f"rasoat-{report_id or 'bao-cao'}-{where}-{round_}-{standard_id}.xlsx"
    return path, name, totals


def csv_stream(db: Database, report_id: str, round_: int, standard_id: str, group: str | None = None,
               list_name: str | None = None, ward_code: str | None = None) -> tuple[Iterator[str], str]:
    """(a generator of CSV chunks, download name). The generator owns its own read connection."""
    layout = layout_or_404(report_id)
    facts.refresh(db)
    scope, info = resolve(db, round_, standard_id, group, ward_code)
    layout = for_standard(layout, load_standards()[standard_id])
    where = info["group_code"] or info["ward_code"]
    name = f"rasoat-{report_id}{'-' + list_name if list_name else ''}-{where}-{round_}-{standard_id}.csv"

    def gen() -> Iterator[str]:
        with reader(db) as conn:
            if layout["builder"] == "named_lists":
                yield from export.csv_rows(layout, named=iter_named(conn, scope, list_name),
                                           with_list=list_name is None)
            else:
                yield from export.csv_rows(layout, report=export.build(conn, scope, layout))

    return gen(), name


def named_page(db: Database, round_: int, standard_id: str, group: str | None = None, list_name: str | None = None,
               page: int = 1, per_page: int = 200, ward_code: str | None = None) -> dict[str, Any]:
    """One page of the named lists as the console shows it: rows with their STT within their list
    (``_seq``, as in the XLSX sheets and the CSV), the total and the number of pages."""
    if list_name is not None and list_name not in LISTS:
        raise ApiError(422, "unknown_list", f"list must be one of {LISTS}", "Danh sách không hợp lệ")
    facts.refresh(db)
    scope, info = resolve(db, round_, standard_id, group, ward_code)
    page = max(1, page)
    start, stop = (page - 1) * per_page, page * per_page
    rows: list[dict[str, Any]] = []
    seq: dict[str, int] = {}
    total = 0
    with reader(db) as conn:
        for r in iter_named(conn, scope, list_name):
            seq[r["list"]] = seq.get(r["list"], 0) + 1
            if start <= total < stop:
                rows.append({**r, "_seq": seq[r["list"]]})
            total += 1
    return {"scope": info, "list": list_name, "rows": rows, "total": total, "page": page,
            "pages": max(1, -(-total // per_page))}


def console_page(db: Database, report_id: str, round_: int, standard_id: str, group: str | None = None,
                 list_name: str | None = None, page: int = 1, per_page: int = 200) -> dict[str, Any]:
    """What the console's reports page shows: the report asked for (``overall`` when unknown) with its
    layout for the standard, and either its table (``data``) or one page of the named lists (``named``),
    the line naming its scope, and the groups to choose from."""
    layouts = load_layouts()
    report_id = report_id if report_id in layouts else "overall"
    layout = for_standard(layouts[report_id], load_standards()[standard_id])
    data, named = None, None
    if layout["builder"] == "named_lists":
        named = named_page(db, round_, standard_id, group, list_name, page, per_page)
        info = named["scope"]
    else:
        data = report_json(db, report_id, round_, standard_id, group)
        info = data["scope"]
    return {"report": report_id, "layouts": layouts, "layout": layout, "data": data, "named": named,
            "scope_line": export.scope_line(info), "groups": db.all("SELECT code, name FROM area_groups ORDER BY code")}
