"""Poverty standards as data files.

A standard (``shared/data/standards/*.json``) carries its id, names, legal basis, effective
periods (each with its confidence mark and source), scope (country or provinces), income lines,
average band and B1 cut-offs per area type where known, the deprivation count for "poor", the
B2 points per indicator, a confidence mark for each of those values, and its **indicator set**:
dimensions, and per indicator its number, key, labels, dimension, rule and the rule's
parameters. Classification, summaries, reports and eligibility read the set from the standard;
a new standard is a new file, not new code.

Confidence marks are those of ``domain.md``: **C** stated in a legal text, **S** secondary
sources agree, **U** unknown or unconfirmed. Nothing marked U is presented as law: every result
computed with such a value lists it (``Standard.unconfirmed``).

A file with a missing or malformed value is refused at load with a ``StandardError`` naming the
file and the field.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

STANDARDS_DIR = Path(__file__).parent / "data" / "standards"
AREA_TYPES = ("urban", "rural")
MARKS = ("C", "S", "U")
MARK_LABELS = {
    "C": ("đã xác nhận trong văn bản pháp luật", "stated in a legal text"),
    "S": ("theo nguồn thứ cấp, chưa đọc văn bản gốc", "from secondary sources"),
    "U": ("chưa được xác nhận", "not confirmed"),
}
_REQUIRED = ("id", "name", "legal_basis", "status", "scope", "income_line", "poor_min_deprivations",
             "marks", "dimensions", "indicators")
_MARKED_VALUES = ("income_line", "poor_min_deprivations", "indicators")   # a mark is required for these
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")

# The rules classification knows (shared/classify.py) and the parameters each needs:
# name -> {param: type} (a tuple of types, or "strings" for a non-empty list of strings).
RULE_PARAMS: dict[str, dict[str, Any]] = {
    "employment": {"min_age": int, "deprived_work_status": "strings"},
    "dependants": {"max_share": (int, float), "child_age_under": int},
    "nutrition": {"child_age_under": int, "deprived_status": "strings"},
    "health_insurance": {"min_age": int},
    "adult_education": {"min_age": int, "upper_age_band_from": int, "max_age": int,
                        "lower_band_ok": "strings", "upper_band_ok": "strings"},
    "school_attendance": {"min_age": int, "age_under": int},
    "housing_quality": {"min_non_durable": int},
    "floor_area": {"min_m2_per_person": (int, float)},
    "choice_in": {"field": str, "ok": "strings", "deprived_reason": "texts", "ok_reason": "texts"},
    "yes_no": {"field": str, "deprived_reason": "texts", "ok_reason": "texts"},
    "owns_any": {"field": str, "any_of": "strings", "deprived_reason": "texts", "ok_reason": "texts"},
}
# The household answers each member/housing rule reads (the others read ``params.field``).
RULE_FIELDS: dict[str, tuple[str, ...]] = {
    "employment": ("members[].work_status", "members[].birth_year"),
    "dependants": ("members[].birth_year", "members[].social_allowance"),
    "nutrition": ("members[].nutrition", "members[].birth_year"),
    "health_insurance": ("members[].health_insurance", "members[].birth_year"),
    "adult_education": ("members[].in_school", "members[].qualification", "members[].birth_year"),
    "school_attendance": ("members[].in_school", "members[].birth_year"),
    "housing_quality": ("housing.walls", "housing.columns", "housing.roof"),
    "floor_area": ("housing.floor_area_m2",),
}


class StandardError(ValueError):
    """A standard file is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class Indicator:
    number: int
    key: str
    dimension: str
    label: dict[str, str]
    dimension_label: dict[str, str]
    rule: str
    params: dict[str, Any]
    mark: str
    note: str = ""

    @property
    def fields(self) -> tuple[str, ...]:
        """The household answers (form field paths, ``members[].x`` for roster fields) the rule reads."""
        if self.rule in RULE_FIELDS:
            return RULE_FIELDS[self.rule]
        return (str(self.params["field"]),)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    mark: str
    basis: str
    source: str


@dataclass(frozen=True)
class Standard:
    id: str
    name: dict[str, str]
    short_name: dict[str, str]
    legal_basis: str
    status: str                       # "in_force" or "draft" (a draft is used only when named)
    confidence: str                   # C / S / U as in domain.md: the standard as a whole
    scope: dict[str, Any]
    periods: tuple[Period, ...]
    income_line: dict[str, int]
    average_band_max: dict[str, int] | None
    b1_cutoff: dict[str, float] | None
    poor_min_deprivations: int
    b2_points: int
    marks: dict[str, dict[str, str]]
    indicators: tuple[Indicator, ...]
    raw: dict[str, Any] = field(compare=False, repr=False, default_factory=dict)

    @property
    def effective_from(self) -> dt.date:
        return self.periods[0].start

    @property
    def effective_to(self) -> dt.date:
        return self.periods[-1].end

    # Deprecated names (score A is the B1 score of Phiếu B; score B the B2 score).
    @property
    def score_a_cutoff(self) -> dict[str, float] | None:
        return self.b1_cutoff

    @property
    def score_b_points(self) -> int:
        return self.b2_points

    def covers(self, province_code: str | None) -> bool:
        if "country" in self.scope:
            return True
        return province_code is not None and str(province_code) in self.scope.get("province_codes", ())

    @property
    def provincial(self) -> bool:
        return "country" not in self.scope

    def in_force_on(self, day: dt.date) -> bool:
        return self.period_on(day) is not None

    def period_on(self, day: dt.date) -> Period | None:
        return next((p for p in self.periods if p.start <= day <= p.end), None)

    def indicator(self, key: str) -> Indicator | None:
        return next((i for i in self.indicators if i.key == key), None)

    def label(self, lang: str = "vi", short: bool = True) -> str:
        names = self.short_name if short else self.name
        return names.get(lang) or names.get("vi") or self.id

    def mark(self, value: str) -> str:
        return self.marks.get(value, {}).get("mark", "U")

    def unconfirmed(self, ref: dt.date | None = None) -> list[dict[str, str]]:
        """Values of this standard that a result computed on ``ref`` relies on and that are not
        stated in a legal text: each {"value", "mark", "source"} (mark S or U)."""
        out = []
        period = self.period_on(ref) if ref else None
        if period is not None and period.mark != "C":
            out.append({"value": f"period {period.start.isoformat()}..{period.end.isoformat()}",
                        "mark": period.mark, "source": period.source})
        for key in ("income_line", "average_band_max", "b1_cutoff", "poor_min_deprivations",
                    "b2_points_per_indicator", "indicators"):
            m = self.marks.get(key)
            if m and m.get("mark") != "C":
                out.append({"value": key, "mark": m["mark"], "source": m.get("source", "")})
        for i in self.indicators:
            if i.mark == "U":
                out.append({"value": f"indicator {i.number} {i.key}", "mark": "U", "source": i.note})
        return out


def _mark(value: Any, where: str) -> str:
    if value not in MARKS:
        raise StandardError(f"{where} must be one of C, S, U (got {value!r})")
    return value


def _text_pair(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not isinstance(value.get("vi"), str) or not value["vi"].strip():
        raise StandardError(f"{where} must give a Vietnamese text ('vi')")
    return {k: str(v) for k, v in value.items()}


def _date(value: Any, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise StandardError(f"{where} must be a date YYYY-MM-DD (got {value!r})") from None


def _periods(data: dict[str, Any], source: str) -> tuple[Period, ...]:
    raw = data.get("periods")
    if raw is None:     # a single period in the older spelling
        if "effective_from" not in data or "effective_to" not in data:
            raise StandardError(f"{source}: missing field 'periods'")
        raw = [{"from": data["effective_from"], "to": data["effective_to"],
                "mark": data.get("confidence", "U"), "basis": data.get("legal_basis", ""), "source": ""}]
    if not isinstance(raw, list) or not raw:
        raise StandardError(f"{source}: 'periods' must be a non-empty list")
    out = []
    for n, p in enumerate(raw):
        where = f"{source}: 'periods[{n}]"
        if not isinstance(p, dict):
            raise StandardError(f"{where}' must be an object")
        start, end = _date(p.get("from"), f"{where}.from'"), _date(p.get("to"), f"{where}.to'")
        if end < start:
            raise StandardError(f"{where}.to' is before its 'from'")
        if out and start != out[-1].end + dt.timedelta(days=1):
            raise StandardError(f"{where}.from' must be the day after the previous period ends")
        out.append(Period(start, end, _mark(p.get("mark"), f"{where}.mark'"), str(p.get("basis", "")),
                          str(p.get("source", ""))))
    return tuple(out)


def _check_params(rule: str, params: Any, where: str) -> dict[str, Any]:
    if not isinstance(params, dict):
        raise StandardError(f"{where}.params' must be an object")
    for name, kind in RULE_PARAMS[rule].items():
        v = params.get(name)
        w = f"{where}.params.{name}'"
        if v is None:
            raise StandardError(f"{w} is missing (rule '{rule}')")
        if kind == "strings":
            if not isinstance(v, list) or not v or not all(isinstance(x, str) and x for x in v):
                raise StandardError(f"{w} must be a non-empty list of choice values")
        elif kind == "texts":
            _text_pair(v, w)
        elif isinstance(v, bool) or not isinstance(v, kind):
            raise StandardError(f"{w} must be a {'number' if kind != str else 'text'} (got {v!r})")
        elif kind is not str and v < 0:
            raise StandardError(f"{w} must not be negative")
    return dict(params)


def _indicators(data: dict[str, Any], source: str) -> tuple[dict[str, dict[str, str]], tuple[Indicator, ...]]:
    dims_raw = data["dimensions"]
    if not isinstance(dims_raw, list) or not dims_raw:
        raise StandardError(f"{source}: 'dimensions' must be a non-empty list")
    dims: dict[str, dict[str, str]] = {}
    for n, d in enumerate(dims_raw):
        if not isinstance(d, dict) or not isinstance(d.get("key"), str) or not _KEY.match(d["key"]):
            raise StandardError(f"{source}: 'dimensions[{n}].key' must be a lower-case key")
        dims[d["key"]] = _text_pair(d.get("label"), f"{source}: 'dimensions[{n}].label'")
    raw = data["indicators"]
    if not isinstance(raw, list) or not raw:
        raise StandardError(f"{source}: 'indicators' must be a non-empty list")
    out: list[Indicator] = []
    for n, i in enumerate(raw):
        where = f"{source}: 'indicators[{n}]"
        if not isinstance(i, dict):
            raise StandardError(f"{where}' must be an object")
        if i.get("number") != n + 1:
            raise StandardError(f"{where}.number' must be {n + 1} (indicators are numbered 1.. in order)")
        key = i.get("key")
        if not isinstance(key, str) or not _KEY.match(key) or any(o.key == key for o in out):
            raise StandardError(f"{where}.key' must be a unique lower-case key (got {key!r})")
        if i.get("dimension") not in dims:
            raise StandardError(f"{where}.dimension' must be one of {', '.join(dims)} (got {i.get('dimension')!r})")
        rule = i.get("rule")
        if rule not in RULE_PARAMS:
            raise StandardError(f"{where}.rule' must be one of {', '.join(RULE_PARAMS)} (got {rule!r})")
        out.append(Indicator(
            number=n + 1, key=key, dimension=i["dimension"], label=_text_pair(i.get("label"), f"{where}.label'"),
            dimension_label=dims[i["dimension"]], rule=rule, params=_check_params(rule, i.get("params"), where),
            mark=_mark(i.get("mark"), f"{where}.mark'"), note=str(i.get("note", ""))))
    return dims, tuple(out)


def standard_from_dict(data: dict[str, Any], source: str = "<data>") -> Standard:
    if not isinstance(data, dict):
        raise StandardError(f"{source}: a standard must be a JSON object")
    for key in _REQUIRED:
        if key not in data:
            raise StandardError(f"{source}: missing field '{key}'")

    def per_area(key: str, optional: bool, alias: str | None = None) -> dict[str, Any] | None:
        value = data.get(key, data.get(alias) if alias else None)
        if value is None and optional:
            return None
        if not isinstance(value, dict) or set(value) != set(AREA_TYPES):
            raise StandardError(f"{source}: '{key}' must give both 'urban' and 'rural'")
        for k, v in value.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
                raise StandardError(f"{source}: '{key}.{k}' must be a positive number")
        return dict(value)

    if data["status"] not in ("in_force", "draft"):
        raise StandardError(f"{source}: 'status' must be 'in_force' or 'draft'")
    if not isinstance(data["scope"], dict) or not ("country" in data["scope"] or data["scope"].get("province_codes")):
        raise StandardError(f"{source}: 'scope' must name a country or province_codes")
    periods = _periods(data, source)
    _, indicators = _indicators(data, source)
    k = data["poor_min_deprivations"]
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= len(indicators):
        raise StandardError(f"{source}: 'poor_min_deprivations' must be an integer 1..{len(indicators)}")
    points = data.get("b2_points_per_indicator", data.get("score_b_points_per_indicator", 10))
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise StandardError(f"{source}: 'b2_points_per_indicator' must be a positive integer")
    marks = data["marks"]
    if not isinstance(marks, dict):
        raise StandardError(f"{source}: 'marks' must be an object")
    for key, m in marks.items():
        if not isinstance(m, dict):
            raise StandardError(f"{source}: 'marks.{key}' must be an object with 'mark' and 'source'")
        _mark(m.get("mark"), f"{source}: 'marks.{key}.mark'")
    for key in _MARKED_VALUES:
        if key not in marks:
            raise StandardError(f"{source}: 'marks.{key}' is missing (every legal value carries its mark)")
    name = _text_pair(data["name"], f"{source}: 'name'")
    return Standard(
        id=str(data["id"]), name=name,
        short_name=_text_pair(data["short_name"], f"{source}: 'short_name'") if data.get("short_name") else name,
        legal_basis=str(data["legal_basis"]), status=data["status"],
        confidence=_mark(data.get("confidence", "U"), f"{source}: 'confidence'"), scope=dict(data["scope"]),
        periods=periods,
        income_line=per_area("income_line", False),  # type: ignore[arg-type]
        average_band_max=per_area("average_band_max", True),
        b1_cutoff=per_area("b1_cutoff", True, alias="score_a_cutoff"),
        poor_min_deprivations=k, b2_points=points,
        marks={k2: dict(v) for k2, v in marks.items()}, indicators=indicators, raw=data,
    )


def load_standard_file(path: str | Path) -> Standard:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StandardError(f"{p.name}: cannot read standard file ({exc})") from exc
    return standard_from_dict(data, p.name)


@lru_cache(maxsize=8)
def _load_dir(directory: str) -> dict[str, Standard]:
    out = {}
    for p in sorted(Path(directory).glob("*.json")):
        s = load_standard_file(p)
        if s.id in out:
            raise StandardError(f"{p.name}: id '{s.id}' is already used by another file")
        out[s.id] = s
    return out


def load_standards(directory: str | Path | None = None) -> dict[str, Standard]:
    """Every standard in the directory (bundled ones by default), by id."""
    return dict(_load_dir(str(directory or STANDARDS_DIR)))


def applicable_standards(province_code: str | None, on: dt.date,
                         standards: Iterable[Standard] | None = None) -> list[Standard]:
    """Standards in force for an area on a date. Drafts are never picked automatically."""
    pool = standards if standards is not None else load_standards().values()
    return [s for s in pool if s.status == "in_force" and s.covers(province_code) and s.in_force_on(on)]


def coverage_notes(province_code: str | None, on: dt.date,
                   standards: Iterable[Standard] | None = None) -> list[dict[str, str]]:
    """What a person must know about the standards of an area on a date, as {"vi", "en"} notes:
    no national standard in force, or a province that had its own standard with none known for
    this date (the household gets the national result only; never an invented provincial one)."""
    pool = list(standards if standards is not None else load_standards().values())
    day = on.strftime("%d/%m/%Y")
    notes = []
    in_force = applicable_standards(province_code, on, pool)
    if not any(not s.provincial for s in in_force):
        notes.append({"vi": f"Không có chuẩn nghèo quốc gia nào có hiệu lực vào ngày {day}.",
                      "en": f"No national poverty standard is in force on {on.isoformat()}."})
    own = [s for s in pool if s.provincial and s.status == "in_force" and s.covers(province_code)]
    if own and not any(s.provincial for s in in_force):
        last = max(own, key=lambda s: s.effective_to)
        extra = last.raw.get("province_note") or {}
        notes.append({
            "vi": (f"Không có chuẩn nghèo riêng của tỉnh được biết cho ngày {day}: "
                   f"{last.label('vi')} hết hiệu lực ngày {last.effective_to.strftime('%d/%m/%Y')}. "
                   f"Chỉ phân loại theo chuẩn quốc gia. {extra.get('vi', '')}").strip(),
            "en": (f"No provincial standard is known for {on.isoformat()}: {last.label('en')} ended on "
                   f"{last.effective_to.isoformat()}. Classified under the national standard only. "
                   f"{extra.get('en', '')}").strip()})
    return notes
