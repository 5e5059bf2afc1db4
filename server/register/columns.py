"""Vietnamese header detection for register files.

Ward registers come from many Excel templates: a title block above the header
row, headers with or without diacritics, in different orders. Each field has
synonyms (folded: lower case, no diacritics, đ → d); the header row is the first
of the top rows where the required fields are all found.
"""
from __future__ import annotations

import re
from typing import Any, Sequence

from shared.identity import fold

# field -> folded synonyms; a header maps to the field with the longest synonym it contains.
FIELDS: dict[str, tuple[str, ...]] = {
    "household_code": ("ma ho", "ma so ho", "household code"),
    "head_name": ("ho va ten chu ho", "ho ten chu ho", "ten chu ho", "chu ho", "ho va ten", "ho ten", "head"),
    "birth_date": ("ngay sinh", "ngay thang nam sinh", "birth date"),
    "birth_year": ("nam sinh", "birth year"),
    "sex": ("gioi tinh", "gioi", "sex"),
    # one "CMND/CCCD" column holds either kind: it is read as the citizen-ID column, and a 9-digit
    # number in it (or in a CCCD column) is taken as the old ID number (parse._check_row)
    "citizen_id": ("so cccd", "cccd", "so dinh danh", "can cuoc", "citizen id", "cmnd cccd", "cccd cmnd",
                   "so cmnd cccd", "so cccd cmnd", "cmt cccd"),
    "old_id_number": ("so cmnd", "cmnd", "chung minh nhan dan", "so chung minh", "so cmt", "cmt", "old id"),
    "house_number": ("so nha", "house number"),
    "street": ("duong", "pho", "ngo", "street"),
    "group": ("khu pho", "to dan pho", "thon", "to", "khu", "group"),
    "members_count": ("so nhan khau", "so khau", "so thanh vien", "nhan khau", "members"),
    "phone": ("dien thoai", "sdt", "so dt", "phone"),
    "status": ("phan loai", "loai ho", "xep loai", "ket qua", "dien ho", "status", "class"),
    "ethnicity": ("dan toc", "ethnic"),
    "decision_number": ("so quyet dinh", "quyet dinh so", "so qd", "decision number"),
    "decision_date": ("ngay quyet dinh", "ngay cong nhan", "ngay qd", "decision date"),
    "address": ("dia chi", "address"),
}
REQUIRED = ("head_name", "group", "status")
LABELS = {
    "household_code": "Mã hộ", "head_name": "Họ và tên chủ hộ", "birth_date": "Ngày sinh", "birth_year": "Năm sinh",
    "sex": "Giới tính", "citizen_id": "Số CCCD", "old_id_number": "Số CMND", "house_number": "Số nhà",
    "street": "Đường/phố",
    "group": "Khu phố / thôn", "members_count": "Số nhân khẩu", "phone": "Điện thoại", "status": "Phân loại",
    "ethnicity": "Dân tộc", "decision_number": "Số quyết định", "decision_date": "Ngày quyết định",
    "address": "Địa chỉ",
}
LABELS_EN = {
    "household_code": "Household code", "head_name": "Head's full name", "birth_date": "Date of birth",
    "birth_year": "Year of birth", "sex": "Sex", "citizen_id": "Citizen ID (CCCD)", "old_id_number": "Old ID (CMND)",
    "house_number": "House number", "street": "Street", "group": "Residential group", "members_count": "Members",
    "phone": "Phone", "status": "Class", "ethnicity": "Ethnicity", "decision_number": "Decision number",
    "decision_date": "Decision date", "address": "Address",
}
_SPACES = re.compile(r"[\s_./()-]+")


def norm_header(value: Any) -> str:
    return _SPACES.sub(" ", fold("" if value is None else str(value))).strip()


def _match(header: str) -> str | None:
    """The field whose longest synonym appears in the header as whole words."""
    if not header:
        return None
    words = f" {header} "
    best, best_len = None, 0
    for field, synonyms in FIELDS.items():
        for syn in synonyms:
            if len(syn) > best_len and f" {syn} " in words:
                best, best_len = field, len(syn)
    return best


def detect_columns(headers: Sequence[Any]) -> tuple[dict[str, int], list[str]]:
    """Map fields to column indexes; also the headers that mapped to nothing."""
    mapping: dict[str, int] = {}
    unmapped = []
    for i, h in enumerate(headers):
        field = _match(norm_header(h))
        if field and field not in mapping:
            mapping[field] = i
        elif h not in (None, "") and norm_header(h) not in ("stt", "tt", "so tt", "ghi chu"):
            unmapped.append(str(h))
    return mapping, unmapped


def find_header_row(rows: Sequence[Sequence[Any]], max_scan: int = 15) -> int | None:
    """Index of the first row whose headers cover every required field."""
    for i, row in enumerate(rows[:max_scan]):
        mapping, _ = detect_columns(row)
        if all(f in mapping for f in REQUIRED):
            return i
    return None
