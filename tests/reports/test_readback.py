"""Every report file read back and compared cell by cell with the page that offers it.

For each report of the catalogue the console page's table, the XLSX download (openpyxl), the CSV
download (csv) and the ward workbook must hold the same title, column labels, column codes and
cells — before the recognition decision (from the latest classification) and after it (from the
decision's lists). Numbers on the page are Vietnamese ("1.234", "12,50"), in the CSV percentages
have a decimal comma, in the XLSX they are numbers."""
from __future__ import annotations

import datetime as dt

import pytest

from server.console.web import SESSION_COOKIE
from server.reports.layouts import for_standard, load_layouts
from shared.standards import load_standards
from tests.process.helpers import QN, at, load, run_round, valid_docs
from tests.readback import csv_table, html_tables, same, vn_number, xlsx_sheets
from tests.server.conftest import session_token

NOW = at(2025, 12, 15)
TABLES = [k for k, v in load_layouts().items() if v["builder"] != "named_lists"]


@pytest.fixture(params=["before_decision", "after_decision"])
def ward(request, app, db, client):
    load(db, valid_docs(180, seed=31), NOW)
    if request.param == "after_decision":
        run_round(db, 2025, QN, dt.date(2025, 12, 10), NOW)
    client.cookies.set(SESSION_COOKIE, session_token(app, "viewer"))
    return request.param


def _q(extra: str = "") -> str:
    return f"round=2025&standard_id={QN}{extra}"


def _page(client, report: str, extra: str = "") -> dict[str, list[list[str]]]:
    r = client.get(f"/console/reports?round=2025&standard={QN}&report={report}{extra}")
    assert r.status_code == 200, r.text[:500]
    return html_tables(r.text), r.text


def _download(client, tmp_path, url: str, name: str):
    r = client.get(url)
    assert r.status_code == 200, r.text[:300]
    path = tmp_path / name
    path.write_bytes(r.content)
    return path, r


def _check_head(rows, layout, title):
    assert rows[0][0] == title
    scope = rows[1][0]
    assert "Tỉnh Quảng Ninh" in scope and "Phường Bãi Cháy" in scope and "Chuẩn nghèo đa chiều tỉnh Quảng Ninh" in scope
    assert QN not in scope and "thành phố" not in scope.lower() and "quận" not in scope.lower()
    assert rows[2][0] == layout["unconfirmed"]["vi"]
    n = len(layout["columns"])
    assert list(rows[3][:n]) == [c["label"]["vi"] for c in layout["columns"]], "the label row lost cells"
    assert list(rows[4][:n]) == [str(c["code"]) for c in layout["columns"]], "the code row lost cells"


@pytest.mark.parametrize("report", TABLES)
def test_table_report_xlsx_csv_and_page_agree(ward, client, tmp_path, report):
    # the indicator tables have a column pair per indicator of the report's standard
    layout = for_standard(load_layouts()[report], load_standards()[QN])
    cols = layout["columns"]
    tables, html = _page(client, report)
    page = tables["report-table"]
    assert page[0] == [c["label"]["vi"] for c in cols] and page[1] == [str(c["code"]) for c in cols]
    page_rows = [[vn_number(v) if c["type"] != "text" else v for c, v in zip(cols, row)] for row in page[2:]]
    assert page_rows, "the page shows no rows"
    # XLSX of this report
    path, resp = _download(client, tmp_path, f"/console/reports/download/{report}?{_q()}&format=xlsx", "one.xlsx")
    sheets = xlsx_sheets(path)
    assert list(sheets) == [layout["sheet"]["vi"]]
    rows = sheets[layout["sheet"]["vi"]]
    _check_head(rows, layout, layout["title"]["vi"])
    body = [list(r[:len(cols)]) for r in rows[5:5 + len(page_rows)]]
    assert len(body) == len(page_rows), (len(body), len(page_rows))
    after = [v for r in rows[5 + len(page_rows):] for v in r if v not in (None, "")]
    assert not any(isinstance(v, (int, float)) for v in after), "data rows beyond the page's rows"
    for i, (x, p) in enumerate(zip(body, page_rows)):
        for c, xv, pv in zip(cols, x, p):
            assert same(xv, pv), (report, i, c["code"], xv, pv)
    if layout.get("note"):
        assert layout["note"]["vi"] in after
    assert "CHỦ TỊCH ỦY BAN NHÂN DÂN PHƯỜNG BÃI CHÁY" in after                  # signed by the ward chair
    assert any(str(v).startswith("Bãi Cháy, ngày ") for v in after)
    # CSV of this report
    r = client.get(f"/console/reports/download/{report}?{_q()}&format=csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    table = csv_table(r.content)
    assert table[0] == [c["label"]["vi"] for c in cols] and table[1] == [str(c["code"]) for c in cols]
    csv_rows = [[vn_number(v) if c["type"] != "text" else v for c, v in zip(cols, row)] for row in table[2:]]
    assert len(csv_rows) == len(page_rows)
    for i, (cv, p) in enumerate(zip(csv_rows, page_rows)):
        for c, a, b in zip(cols, cv, p):
            assert same(a, b), (report, "csv", i, c["code"], a, b)


def test_named_lists_xlsx_csv_and_page_agree(ward, client, tmp_path):
    layout = load_layouts()["named_lists"]
    cols = layout["columns"]
    path, _ = _download(client, tmp_path, f"/console/reports/download/named_lists?{_q()}&format=xlsx", "named.xlsx")
    sheets = xlsx_sheets(path)
    assert list(sheets) == ["Hộ nghèo", "Hộ cận nghèo", "Hộ thoát nghèo", "Hộ thoát cận nghèo"]
    r = client.get(f"/console/reports/download/named_lists?{_q()}&format=csv")
    table = csv_table(r.content)
    assert table[0] == ["Danh sách", *[c["label"]["vi"] for c in cols]]
    assert table[1] == ["", *[str(c["code"]) for c in cols]]
    csv_by_list: dict[str, list[list]] = {}
    for row in table[2:]:
        csv_by_list.setdefault(row[0], []).append([vn_number(v) if c["type"] != "text" else v
                                                   for c, v in zip(cols, row[1:])])
    total = 0
    for name, rows in sheets.items():
        _check_head(rows, layout, f"{layout['title']['vi']} — {name}")
        body = [list(r[:len(cols)]) for r in rows[5:] if isinstance(r[0], int)]
        assert "CHỦ TỊCH ỦY BAN NHÂN DÂN PHƯỜNG BÃI CHÁY" in [v for r in rows[5 + len(body):] for v in r]
        total += len(body)
        assert [r[0] for r in body] == list(range(1, len(body) + 1))           # STT per list
        want = csv_by_list.get(name, [])
        assert len(body) == len(want), name
        for x, c_row in zip(body, want):
            assert all(same(a, b) for a, b in zip(x, c_row)), (name, x, c_row)
    if ward == "after_decision":
        assert total > 0
    # the page (first 200) shows the same rows in the same order
    tables, _ = _page(client, "named_lists")
    page = tables["named-table"]
    assert page[0] == ["Danh sách", *[c["label"]["vi"] for c in cols]]
    flat = [[row[0], *[vn_number(v) if c["type"] != "text" else v for c, v in zip(cols, row[1:])]]
            for row in page[2:] if len(row) > 1]
    csv_flat = [[row[0], *[vn_number(v) if c["type"] != "text" else v for c, v in zip(cols, row[1:])]]
                for row in table[2:]][:200]
    assert len(flat) == len(csv_flat)
    for a, b in zip(flat, csv_flat):
        assert all(same(x, y) for x, y in zip(a, b)), (a, b)


def test_workbook_holds_every_report_as_its_own_file(ward, client, tmp_path):
    layouts = load_layouts()
    path, resp = _download(client, tmp_path, f"/console/reports/workbook.xlsx?{_q()}", "all.xlsx")
    book = xlsx_sheets(path)
    want = [layouts[k]["sheet"]["vi"] for k in TABLES] + ["Hộ nghèo", "Hộ cận nghèo", "Hộ thoát nghèo",
                                                          "Hộ thoát cận nghèo"]
    assert list(book) == want
    for k in TABLES:
        one, _ = _download(client, tmp_path, f"/console/reports/download/{k}?{_q()}&format=xlsx", f"{k}.xlsx")
        [(name, rows)] = xlsx_sheets(one).items()
        assert book[name] == rows, k
    named, _ = _download(client, tmp_path, f"/console/reports/download/named_lists?{_q()}&format=xlsx", "n.xlsx")
    for name, rows in xlsx_sheets(named).items():
        assert book[name] == rows, name


def test_named_list_pages_follow_the_csv(ward, db, client):
    """The page shows the named lists page by page; each page's rows (and their STT within the
    list) are the CSV's rows at that place."""
    from server.reports import service
    table = csv_table(client.get(f"/console/reports/download/named_lists?{_q()}&format=csv").content)[2:]
    first = service.named_page(db, 2025, QN, per_page=5, page=1)
    assert first["total"] == len(table) and first["pages"] == max(1, -(-len(table) // 5))
    for page in range(1, first["pages"] + 1):
        got = service.named_page(db, 2025, QN, per_page=5, page=page)["rows"]
        want = table[(page - 1) * 5:page * 5]
        assert [(r["list_vi"], str(r["_seq"]), r["head_name"]) for r in got] == [(w[0], w[1], w[3]) for w in want]


def test_the_decision_lists_file_matches_the_decision_page(app, db, client, tmp_path):
    """After the decision, its page offers its lists as XLSX: one sheet per list, the same
    households in the same order as the decision's page (head, address, persons)."""
    import re as _re
    load(db, valid_docs(120, seed=32), NOW)
    d = run_round(db, 2025, QN, dt.date(2025, 12, 10), NOW)
    client.cookies.set(SESSION_COOKIE, session_token(app, "viewer"))
    page = client.get(f"/console/process/decisions/{d['id']}").text
    href = _re.search(r'href="([^"]+)" id="decision-xlsx"', page).group(1)
    path, _ = _download(client, tmp_path, href.replace("&amp;", "&"), "decision.xlsx")
    sheets = xlsx_sheets(path)
    for k, name in (("poor", "Hộ nghèo"), ("near_poor", "Hộ cận nghèo"), ("escaped_poverty", "Hộ thoát nghèo"),
                    ("escaped_near_poverty", "Hộ thoát cận nghèo")):
        rows = html_tables(client.get(f"/console/process/decisions/{d['id']}?list={k}").text)["table1"][1:]
        rows = [r for r in rows if len(r) > 1]
        body = [r for r in sheets[name][5:] if isinstance(r[0], int)]
        cols = {c["metric"]: i for i, c in enumerate(load_layouts()["named_lists"]["columns"])}
        assert [(r[1], r[2], vn_number(r[3])) for r in rows] == \
               [(b[cols["head_name"]], b[cols["address"]] or "", b[cols["persons"]]) for b in body], name
        assert d["counts"][k] == len(body)
