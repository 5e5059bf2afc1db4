"""The register template a ward downloads to fill in last year's list: the recognised columns
(``server.register.columns``, data: a column added there appears here), required ones first, and a
sheet explaining each column with an example. Written with xlsxwriter, every row whole."""
from __future__ import annotations

import tempfile
from typing import Any

from .. import exportsafe
from . import columns

EXAMPLES: dict[str, str] = {
    "household_code": "BC-2024-0001", "head_name": "Nguyễn Văn An", "birth_date": "15/03/1968",
    "birth_year": "1968", "sex": "Nam", "citizen_id": "022068001234", "house_number": "12/3",
    "street": "Cái Dăm", "group": "Khu phố 1", "members_count": "4", "phone": "0912345678",
    "status": "Hộ cận nghèo", "ethnicity": "Kinh", "decision_number": "125/QĐ-UBND",
    "decision_date": "20/12/2024", "address": "12/3 Cái Dăm",
}
HELP: dict[str, str] = {
    "status": "Hộ nghèo, Hộ cận nghèo, Hộ thoát nghèo, Hộ thoát cận nghèo hoặc Không nghèo",
    "group": "Tên hoặc mã khu phố / thôn như trong danh mục khu phố của phường",
    "decision_date": "Ngày của quyết định công nhận (dd/mm/yyyy); để trống thì lấy ngày 31/12 của năm danh sách",
    "birth_date": "dd/mm/yyyy",
    "citizen_id": "12 chữ số",
}


def fields() -> list[dict[str, Any]]:
    """Every recognised column: label, whether it is required, an example and a hint."""
    order = [*columns.REQUIRED, *(f for f in columns.FIELDS if f not in columns.REQUIRED)]
    return [{"field": f, "label": columns.LABELS.get(f, f), "required": f in columns.REQUIRED,
             "example": EXAMPLES.get(f, ""), "help": HELP.get(f, "")} for f in order]


def write(title: str = "DANH SÁCH HỘ NGHÈO, HỘ CẬN NGHÈO NĂM TRƯỚC") -> str:
    """The template as an XLSX in a temporary file; the caller sends and deletes it."""

    fh = tempfile.NamedTemporaryFile(prefix="rasoat-register-template-", suffix=".xlsx", delete=False)
    fh.close()
    wb = exportsafe.workbook(fh.name, constant_memory=True)
    bold = wb.add_format({"bold": True, "font_size": 13})
    head = wb.add_format({"bold": True, "border": 1, "bg_color": "#eef3f8", "text_wrap": True})
    need = wb.add_format({"bold": True, "border": 1, "bg_color": "#fde9c8", "text_wrap": True})
    text = wb.add_format({"text_wrap": True, "valign": "top"})
    cols = fields()
    ws = wb.add_worksheet("Danh sách")
    for i, _ in enumerate(cols):
        ws.set_column(i, i, 20)
    ws.write_string(0, 0, title, bold)
    for i, c in enumerate(cols):
        ws.write_string(1, i, c["label"], need if c["required"] else head)
    guide = wb.add_worksheet("Hướng dẫn")
    guide.set_column(0, 0, 24)
    guide.set_column(1, 1, 12)
    guide.set_column(2, 2, 22)
    guide.set_column(3, 3, 60)
    guide.write_string(0, 0, "Cách điền danh sách", bold)
    guide.write_string(1, 0, "Mỗi dòng một hộ, bắt đầu ở dòng 3 của trang «Danh sách». Các cột tô màu cam là bắt buộc; "
                             "thứ tự cột và tên cột có dấu hay không dấu đều được. Không xóa dòng tiêu đề.", text)
    for i, h in enumerate(("Cột", "Bắt buộc", "Ví dụ", "Ghi chú")):
        guide.write_string(3, i, h, head)
    for r, c in enumerate(cols, start=4):
        guide.write_string(r, 0, c["label"], text)
        guide.write_string(r, 1, "Có" if c["required"] else "Không", text)
        guide.write_string(r, 2, c["example"], text)
        guide.write_string(r, 3, c["help"], text)
    wb.close()
    return fh.name
