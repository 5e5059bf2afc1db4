"""A synthetic ward register (XLSX, as a ward keeps it) from the synthetic household generator,
for the demo, the tests and the import benchmark. Statuses come from classifying each generated
household under a standard (poor / near-poor / other), with a few escaped households."""
from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any, Iterable

from shared.classify import classify
from shared.standards import load_standards

from .. import exportsafe

HEADER = ("STT", "Mã hộ", "Họ và tên chủ hộ", "Năm sinh", "Giới tính", "Số CCCD", "Số nhà", "Đường",
          "Khu phố", "Số nhân khẩu", "Điện thoại", "Phân loại", "Số quyết định", "Ngày quyết định")
STATUS_TEXT = {"poor": "Hộ nghèo", "near_poor": "Hộ cận nghèo", "escaped_poverty": "Thoát nghèo",
               "escaped_near_poverty": "Thoát cận nghèo", "other": "Không nghèo"}
SEX_TEXT = {"male": "Nam", "female": "Nữ"}


def register_status(doc: dict[str, Any], standard_id: str, rng: random.Random) -> str:
    std = load_standards()[standard_id]
    cls = classify(doc, std)["class"]
    if cls in ("poor", "near_poor"):
        return cls
    r = rng.random()
    return "escaped_poverty" if r < 0.04 else "escaped_near_poverty" if r < 0.08 else "other"


def register_rows(docs: Iterable[dict[str, Any]], year: int, standard_id: str | None = None, seed: int = 1,
                  group_names: dict[str, str] | None = None, classify_docs: bool = True) -> Iterable[tuple]:
    """One register row per household document (its head, address, status of ``year``)."""
    rng = random.Random(seed)
    decision = dt.date(year, 12, 20)
    for i, d in enumerate(docs, 1):
        head = next(m for m in d["members"] if m.get("relation") == "head")
        by = head.get("birth_year") or int(str(head.get("birth_date"))[:4])
        if classify_docs and standard_id:
            status = register_status(d, standard_id, rng)
        else:
            r = rng.random()
            status = "poor" if r < 0.06 else "near_poor" if r < 0.12 else "escaped_poverty" if r < 0.15 else "other"
        group = d["area"]["group_code"]
        yield (i, f"{d['area']['ward_code']}-{year}-{i:06d}", head["full_name"], by, SEX_TEXT.get(head.get("sex"), ""),
               head.get("citizen_id"), (d.get("address") or {}).get("house_number"),
               (d.get("address") or {}).get("street"), (group_names or {}).get(group, group), len(d["members"]),
               d.get("phone"), STATUS_TEXT[status], f"{100 + int(group[-2:]) if group[-2:].isdigit() else 100}/QĐ-UBND",
               decision.strftime("%d/%m/%Y"))


def write_register_xlsx(path: str | Path, rows: Iterable[tuple], title: str = "DANH SÁCH HỘ NGHÈO, HỘ CẬN NGHÈO",
                        ward_name: str = "Phường Bãi Cháy") -> Path:
    """Write rows under a title block and the header row (xlsxwriter, constant memory)."""

    path = Path(path)
    wb = exportsafe.workbook(path, constant_memory=True)
    ws = wb.add_worksheet("Danh sách")
    ws.write_row(0, 0, [title])
    ws.write_row(1, 0, [ward_name])
    ws.write_row(2, 0, HEADER)
    for n, row in enumerate(rows, 3):
        for c, v in enumerate(row):
            if v is None:
                continue
            if c == 5:
                ws.write_string(n, c, str(v))      # CCCD as text (keep the leading zero)
            else:
                ws.write(n, c, v)
    wb.close()
    return path
