"""Reading a register file into checked rows, before anything is written.

``parse_register(path, groups)`` reads an XLSX (python-calamine, a compiled
reader) or CSV file, finds the header row, maps columns, and checks every row.
It returns the rows and every problem (row number as the officer sees it in
Excel, column header, reason in Vietnamese and English). The caller writes
nothing unless the list of problems is empty (all-or-nothing).

Rows that look like the same household under two identities (same head's
CCCD, or same head name + birth year + group, but different household codes
or addresses) are listed as **warnings** (code ``possible_duplicate``, both
row numbers): they do not block the import, the officer decides. Rows with the
same identity (same household code; without codes, same CCCD or same name +
birth year + address) would be one household: those are problems.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from shared import identity

from .columns import LABELS, LABELS_EN, REQUIRED, detect_columns, find_header_row, norm_header

STATUS_WORDS = (  # folded phrase -> status, longest first ("khong ngheo" before "ngheo")
    ("thoat can ngheo", "escaped_near_poverty"), ("thoat ngheo", "escaped_poverty"),
    ("khong ngheo", "other"), ("can ngheo", "near_poor"), ("ngheo", "poor"),
    ("muc song trung binh", "average"), ("trung binh", "average"),
    ("near poor", "near_poor"), ("near_poor", "near_poor"), ("poor", "poor"), ("average", "average"),
)
SEX_WORDS = {"nam": "male", "nu": "female", "male": "male", "female": "female", "m": "male", "f": "female"}
MAX_ROWS = 1_000_000


class RegisterFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, no header row)."""


@dataclass
class RowProblem:
    row: int
    column: str
    code: str
    message_vi: str
    message_en: str
    rows: list[int] | None = None      # a warning about several rows (possible_duplicate): all of them

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        if out["rows"] is None:
            del out["rows"]
        return out


@dataclass
class RegisterRow:
    row: int
    head_name: str
    group: str
    status: str
    household_code: str | None = None
    birth_year: int | None = None
    birth_date: str | None = None
    sex: str | None = None
    citizen_id: str | None = None
    old_id_number: str | None = None       # the head's old 9-digit ID (CMND)
    house_number: str | None = None
    street: str | None = None
    members_count: int | None = None
    phone: str | None = None
    ethnicity: str | None = None
    decision_number: str | None = None
    decision_date: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def identity_key(self, ward_code: str) -> str:
        """A stable key for idempotent re-import: household code, else CCCD, else name+birth+address."""
        if self.household_code:
            return f"{ward_code}|code|{identity.fold(self.household_code)}"
        if self.citizen_id:
            return f"{ward_code}|cid|{self.citizen_id}"
        return "|".join([ward_code, "name", identity.name_key(self.head_name), str(self.birth_year or ""),
                         identity.fold(self.group), identity.normalize_house_number(self.house_number or ""),
                         identity.normalize_street(self.street or "")])


@dataclass
class ParseResult:
    rows: list[RegisterRow]
    problems: list[RowProblem]
    mapping: dict[str, str]            # field -> header text as in the file
    unmapped_headers: list[str]
    header_row: int
    warnings: list[RowProblem] = field(default_factory=list)   # do not block the import

    @property
    def ok(self) -> bool:
        return not self.problems


def _cell_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()[:10]
    # NFC (a register typed with combining marks matches one typed precomposed); line breaks and tabs
    # inside a cell (Alt+Enter in Excel) become single spaces. Other control characters stay and are
    # refused by validation, naming the column.
    s = " ".join(unicodedata.normalize("NFC", str(v)).split())
    return s or None


def _read_xlsx(path: Path) -> Iterator[list[Any]]:
    """The first sheet as rows of Python values, row 1 first (leading empty rows kept: row numbers are
    the officer's). python-calamine (compiled; ≈7x faster than openpyxl read-only on a 100,000-row
    register). An empty cell is "" (``_cell_text``: absent), a number a float (1992.0 → "1992"), a
    date cell a date or datetime."""
    import python_calamine as calamine

    try:
        sheet = calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        end = sheet.end
        if end is not None and end[0] + 1 > MAX_ROWS + 20:     # before reading the cells into memory
            raise RegisterFileError(f"Tệp có hơn {MAX_ROWS:,} dòng / too many rows")
        rows = sheet.to_python(skip_empty_area=False)
    except (calamine.CalamineError, OSError, ValueError, IndexError) as exc:
        if isinstance(exc, RegisterFileError):
            raise
        raise RegisterFileError(f"Không mở được tệp Excel: {exc} / cannot open the workbook") from exc
    return iter(rows)


def _read_csv(path: Path) -> Iterator[list[Any]]:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "cp1258", "cp1252"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise RegisterFileError("Không đọc được bảng mã của tệp CSV / unknown CSV encoding")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    yield from csv.reader(io.StringIO(text), dialect)


def read_rows(path: str | Path) -> Iterator[list[Any]]:
    p = Path(path)
    if not p.is_file():
        raise RegisterFileError(f"Không tìm thấy tệp {p} / file not found")
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(p)
    if suffix in (".csv", ".txt"):
        return _read_csv(p)
    raise RegisterFileError(f"Định dạng '{suffix}' không được hỗ trợ; dùng .xlsx hoặc .csv / unsupported format")


def parse_status(value: str | None) -> str | None:
    f = norm_header(value)
    for phrase, status in STATUS_WORDS:
        if phrase in f:
            return status
    return None


def _parse_date(text: str) -> str | None:
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
    try:
        if m:
            return dt.date(int(m[3]), int(m[2]), int(m[1])).isoformat()
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return None


def parse_register(path: str | Path, groups: dict[str, str] | None = None,
                   today: dt.date | None = None) -> ParseResult:
    """Read and check a register file. ``groups`` maps folded group names/codes to group codes."""
    rows_iter = read_rows(path)
    head: list[list[Any]] = []
    for row in rows_iter:
        head.append(row)
        if len(head) >= 15:
            break
    hi = find_header_row(head)
    if hi is None:
        need = ", ".join(LABELS[f] for f in REQUIRED)
        raise RegisterFileError(f"Không tìm thấy dòng tiêu đề có đủ các cột: {need} / no header row with the required columns")
    headers = head[hi]
    mapping, unmapped = detect_columns(headers)
    result = ParseResult([], [], {f: str(headers[i]) for f, i in mapping.items()}, unmapped, hi + 1)

    def body() -> Iterator[tuple[int, list[Any]]]:
        for offset, row in enumerate(head[hi + 1:]):
            yield hi + 2 + offset, row
        n = len(head) + 1
        for row in rows_iter:
            yield n, row
            n += 1

    seen: dict[str, int] = {}
    for number, row in body():
        if number > MAX_ROWS:
            raise RegisterFileError(f"Tệp có hơn {MAX_ROWS:,} dòng / too many rows")
        cells = {f: _cell_text(row[i]) if i < len(row) else None for f, i in mapping.items()}
        if not any(cells.values()):
            continue   # blank line
        raw_cid = row[mapping["citizen_id"]] if "citizen_id" in mapping and mapping["citizen_id"] < len(row) else None
        if isinstance(raw_cid, (int, float)) and not isinstance(raw_cid, bool):
            cells["citizen_id"] = identity.normalize_citizen_id(raw_cid)   # Excel stored it as a number
            if len(str(int(raw_cid))) in (8, 9):                          # ... and it is a CMND that lost its 0
                cells["citizen_id"] = identity.normalize_old_id(raw_cid) or cells["citizen_id"]
        raw_old = row[mapping["old_id_number"]] if "old_id_number" in mapping and mapping["old_id_number"] < len(row) \
            else None
        if isinstance(raw_old, (int, float)) and not isinstance(raw_old, bool):
            cells["old_id_number"] = identity.normalize_old_id(raw_old) or cells.get("old_id_number")
        rec = _check_row(number, cells, result, groups, today)
        if rec is None:
            continue
        key = rec.identity_key("")
        if key in seen:
            result.problems.append(RowProblem(number, LABELS["household_code" if rec.household_code else "head_name"],
                                              "duplicate", f"Trùng với dòng {seen[key]}", f"Repeats row {seen[key]}"))
            continue
        seen[key] = number
        result.rows.append(rec)
    result.warnings = duplicate_warnings(result.rows, result.mapping)
    return result


def duplicate_warnings(rows: list[RegisterRow], mapping: dict[str, str] | None = None) -> list[RowProblem]:
    """Rows of one file that may be the same household under two identities: the same head's CCCD,
    or the same head name (``identity.name_key``) + birth year + group while their CCCDs do not
    differ. One warning per pair (the later row, naming both). Rows that share an identity never
    reach here (the parse refuses the repeat)."""
    mapping = mapping or {}
    out: list[RowProblem] = []
    by_cid: dict[str, RegisterRow] = {}
    by_name: dict[tuple[str, int, str], list[RegisterRow]] = {}
    for r in rows:
        cid = r.citizen_id or ""
        if cid or r.old_id_number:
            kind, number = ("CCCD", cid) if cid else ("CMND", r.old_id_number or "")
            column = "citizen_id" if cid or "old_id_number" not in mapping else "old_id_number"
            first = by_cid.setdefault(number, r)
            if first is not r:
                out.append(RowProblem(
                    r.row, mapping.get(column, LABELS[column]), "possible_duplicate",
                    f"Dòng {first.row} và dòng {r.row} có cùng số {kind} chủ hộ {number}: có thể là cùng một hộ; "
                    "kiểm tra và sửa tệp nếu trùng",
                    f"Rows {first.row} and {r.row} have the same head's {'citizen ID' if cid else 'old ID (CMND)'} "
                    f"{number}: possibly the same household; check the file", rows=[first.row, r.row]))
                continue
        key = identity.name_key(r.head_name)
        if not key or not r.birth_year:
            continue
        same = by_name.setdefault((key, r.birth_year, r.group), [])
        first = next((o for o in same if not (o.citizen_id and cid and o.citizen_id != cid)), None)
        same.append(r)
        if first is not None:
            out.append(RowProblem(
                r.row, mapping.get("head_name", LABELS["head_name"]), "possible_duplicate",
                f"Dòng {first.row} và dòng {r.row}: cùng chủ hộ {r.head_name}, năm sinh {r.birth_year}, "
                f"khu phố/thôn {r.group}: có thể là cùng một hộ; kiểm tra và sửa tệp nếu trùng",
                f"Rows {first.row} and {r.row}: same head {r.head_name}, born {r.birth_year}, group {r.group}: "
                "possibly the same household; check the file", rows=[first.row, r.row]))
    out.sort(key=lambda p: p.row)
    return out


def _check_row(n: int, c: dict[str, str | None], res: ParseResult, groups: dict[str, str] | None,
               today: dt.date | None) -> RegisterRow | None:
    before = len(res.problems)

    def bad(fieldname: str, code: str, vi: str, en: str) -> None:
        res.problems.append(RowProblem(n, res.mapping.get(fieldname, LABELS[fieldname]), code, vi, en))

    for f in REQUIRED:
        if not c.get(f):
            bad(f, "required", f"Thiếu {LABELS[f].lower()}", f"{LABELS_EN.get(f, 'A required column')} is missing")
    status = parse_status(c.get("status"))
    if c.get("status") and status is None:
        bad("status", "choice", f"Không hiểu phân loại '{c['status']}' (hộ nghèo / hộ cận nghèo / thoát nghèo…)",
            f"Unknown status '{c['status']}'")
    group = None
    if c.get("group"):
        group = c["group"] if groups is None else groups.get(norm_header(c["group"]))
        if group is None:
            bad("group", "unknown_group", f"Không có khu phố/thôn '{c['group']}' trong danh mục của phường",
                f"Unknown residential group '{c['group']}'")
    year = None
    if c.get("birth_year"):
        try:
            year = int(float(c["birth_year"]))
            if not 1900 <= year <= (today or dt.date(2100, 1, 1)).year:
                raise ValueError
        except ValueError:
            bad("birth_year", "range", f"Năm sinh '{c['birth_year']}' không hợp lệ", f"Invalid birth year '{c['birth_year']}'")
            year = None
    bdate = None
    if c.get("birth_date"):
        bdate = _parse_date(c["birth_date"])
        if bdate is None:
            bad("birth_date", "type", f"Ngày sinh '{c['birth_date']}' không hợp lệ (dd/mm/yyyy)",
                f"Invalid birth date '{c['birth_date']}'")
        elif year is None:
            year = int(bdate[:4])
    sex = None
    if c.get("sex"):
        sex = SEX_WORDS.get(norm_header(c["sex"]))
        if sex is None:
            bad("sex", "choice", f"Giới tính '{c['sex']}' không hợp lệ (Nam/Nữ)", f"Invalid sex '{c['sex']}'")
    cid = old_id = None
    if c.get("old_id_number"):
        old_id = identity.normalize_old_id(c["old_id_number"])
        if not old_id:
            bad("old_id_number", "old_id_number_pattern",
                f"Số CMND '{c['old_id_number']}' không hợp lệ: số CMND cũ gồm đúng 9 chữ số",
                f"Invalid old ID number '{c['old_id_number']}': an old ID (CMND) has exactly 9 digits")
    if c.get("citizen_id"):
        cid = identity.normalize_citizen_id(c["citizen_id"])
        if identity.normalize_old_id(cid) and not old_id:
            cid, old_id = None, identity.normalize_old_id(cid)     # a CMND in the CCCD (or CMND/CCCD) column
        for issue in identity.check_citizen_id(cid, sex=sex, birth_year=year) if cid else ():
            if issue.severity == "error":
                bad("citizen_id", f"citizen_id_{issue.code}", issue.message_vi, issue.message_en)
    count = None
    if c.get("members_count"):
        try:
            count = int(float(c["members_count"]))
            if not 1 <= count <= 40:
                raise ValueError
        except ValueError:
            bad("members_count", "range", f"Số nhân khẩu '{c['members_count']}' phải là số từ 1 đến 40",
                f"The member count '{c['members_count']}' must be a number from 1 to 40")
            count = None
    ddate = None
    if c.get("decision_date"):
        ddate = _parse_date(c["decision_date"])
        if ddate is None:
            bad("decision_date", "type", f"Ngày quyết định '{c['decision_date']}' không hợp lệ (dd/mm/yyyy)",
                f"Invalid decision date '{c['decision_date']}'")
        elif today and ddate > today.isoformat():
            shown = f"{ddate[8:10]}/{ddate[5:7]}/{ddate[:4]}"
            bad("decision_date", "future", f"Ngày quyết định {shown} ở tương lai", f"Decision date {shown} is in the future")
    if len(res.problems) > before:
        return None
    house, street = c.get("house_number"), c.get("street")
    if not house and not street and c.get("address"):
        m = re.match(r"^\s*(?:số\s*)?([0-9][0-9A-Za-z/]*)\s*,?\s*(.*)$", c["address"], re.IGNORECASE)
        house, street = (m[1], m[2] or None) if m else (None, c["address"])
    return RegisterRow(row=n, head_name=unicodedata.normalize("NFC", " ".join(c["head_name"].split())),
                       group=group or "", status=status or "", household_code=c.get("household_code"),
                       birth_year=year, birth_date=bdate, sex=sex, citizen_id=cid, old_id_number=old_id,
                       house_number=house,
                       street=street, members_count=count, phone=c.get("phone"), ethnicity=c.get("ethnicity"),
                       decision_number=c.get("decision_number"), decision_date=ddate)
