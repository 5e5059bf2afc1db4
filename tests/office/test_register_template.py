"""The register template: downloaded from the import page, its columns are the recognised ones
(read back with openpyxl), the page lists them, and the template filled in is accepted by the
import as it is."""
from __future__ import annotations

import io

import openpyxl

from server.cycle import register_template
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
