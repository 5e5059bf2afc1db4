"""The register template: downloaded from the import page, its columns are the recognised ones
(read back with openpyxl), the page lists them, and the template filled in is accepted by the
import as it is."""
from __future__ import annotations

import io

import openpyxl

from server.register import template as register_template
from server.register import columns
from tests.console.conftest import csrf_of
from tests.readback import xlsx_sheets


def test_template_has_the_recognised_columns_and_imports_when_filled(office, as_role, tmp_path):
    client = as_role["officer"]
    page = client.get("/console/cycle/register").text
    assert 'id="register-template"' in page
    for f in columns.FIELDS:
        assert columns.LABELS[f] in page
    r = client.get("/console/cycle/register/template.xlsx")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxml")
    path = tmp_path / "mau.xlsx"
    path.write_bytes(r.content)
    sheets = xlsx_sheets(path)
    assert list(sheets) == ["Danh sách", "Hướng dẫn"]
    header = [h for h in sheets["Danh sách"][1] if h]
    assert header == [c["label"] for c in register_template.fields()]
    assert header[:len(columns.REQUIRED)] == [columns.LABELS[f] for f in columns.REQUIRED]
    guide = sheets["Hướng dẫn"]
    assert [row[0] for row in guide[4:]] == header
    # fill two households in and check the file through the import page (dry run)
    wb = openpyxl.load_workbook(path)
    ws = wb["Danh sách"]
    for i, row in enumerate((("Nguyễn Văn An", "Khu phố 1", "Hộ nghèo"), ("Trần Thị Bình", "Khu phố 2", "Hộ cận nghèo"))):
        for j, value in enumerate(row):
            ws.cell(row=3 + i, column=1 + j, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post("/console/cycle/register", data={"csrf_token": csrf_of(client, "/console/cycle/register"),
                                                       "round": "2024"},
                    files={"file": ("danh-sach.xlsx", buf.getvalue(), "application/octet-stream")})
    assert r.status_code == 200, r.text[-2000:]
    assert "2 dòng hợp lệ" in r.text and "Xác nhận nhập 2 hộ" in r.text
    assert "Hộ nghèo: 1" in r.text and "Hộ cận nghèo: 1" in r.text


QN = "qn-provincial-2023-2025"


def test_eligibility_file_matches_its_pages(office, as_role, tmp_path):
    """The eligibility list's XLSX holds the rows of the page, every page of it, cell by cell
    (dates as date cells that read dd/mm/yyyy on the page)."""
    import datetime as dt

    from tests.readback import html_tables
    client = as_role["viewer"]
    page_rows, page = [], 1
    while True:
        # the provincial list of last year is the long one in the demo (its line is higher)
        html = client.get(f"/console/cycle/eligibility?policy=health_insurance&standard={QN}&page={page}").text
        rows = [r for r in html_tables(html)["eligibility-table"][1:] if len(r) == 6]
        page_rows += rows
        if f"page={page + 1}" not in html:
            break
        page += 1
    assert len(page_rows) > 50, "the list should need more than one page here"
    r = client.get(f"/console/cycle/eligibility.xlsx?policy=health_insurance&standard={QN}")
    path = tmp_path / "e.xlsx"
    path.write_bytes(r.content)
    rows = xlsx_sheets(path)["Danh sách"]
    assert rows[3][:7] == ("STT", "Khu phố", "Chủ hộ", "Địa chỉ", "Diện", "Ngày quyết định", "Hưởng đến hết ngày")
    body = [x for x in rows[4:] if isinstance(x[0], int)]

    def shown(v):
        return v.strftime("%d/%m/%Y") if isinstance(v, dt.datetime) else (v or "")
    assert [[shown(v) for v in b[1:7]] for b in body] == page_rows
