"""Validation of a household document against its form definition.

``validate`` returns every problem at once. Each problem names the field path
(``members[2].citizen_id``), a machine code, and messages a collaborator can act
on, Vietnamese first. Pure: the caller passes ``today`` (used when the document
has no ``collected_at`` and to refuse dates in the future).
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, Iterator

from . import expr, identity
from .dates import age_on, birth_year, parse_date
from .forms import Field, Form, load_form

ERROR = "error"
WARNING = "warning"

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Problem:
    path: str
    code: str
    message_vi: str
    message_en: str
    severity: str = ERROR

    def to_dict(self) -> dict[str, str]:
        # Spelled out: dataclasses.asdict deep-copies and was a visible cost of every push.
        return {"path": self.path, "code": self.code, "message_vi": self.message_vi,
                "message_en": self.message_en, "severity": self.severity}


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


def _label(f: Field) -> tuple[str, str]:
    return f.labels


_MISSING = object()


def _get(doc: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        if not isinstance(doc, dict):
            return _MISSING
        doc = doc.get(part, _MISSING)
        if doc is _MISSING:
            return _MISSING
    return doc


@lru_cache(maxsize=4096)
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return (_is_int(v) or isinstance(v, float)) and not (isinstance(v, float) and not math.isfinite(v))


def _type_problem(f: Field, value: Any, path: str) -> Problem | None:
    vi, en = _label(f)
    t = f.type
    bad: tuple[str, str] | None = None
    if t == "text" and not isinstance(value, str):
        bad = ("phải là chữ", "must be text")
    elif t == "integer" and not (_is_int(value) or (isinstance(value, float) and value.is_integer())):
        bad = ("phải là số nguyên (chỉ gồm chữ số)", "must be a whole number")
    elif t == "decimal" and not _is_number(value):
        bad = ("phải là số", "must be a number")
    elif t == "boolean" and not isinstance(value, bool):
        bad = ("phải là Có hoặc Không", "must be yes or no")
    elif t == "date" and (not isinstance(value, str) or parse_date(value) is None or len(value) != 10):
        bad = ("phải là ngày hợp lệ dạng NNNN-TT-NN (ví dụ 1980-05-01)", "must be a valid date YYYY-MM-DD")
    elif t == "select_one" and not isinstance(value, str):
        bad = ("phải là một lựa chọn", "must be one of the choices")
    elif t == "select_multiple" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        bad = ("phải là danh sách lựa chọn", "must be a list of choices")
    elif t == "geopoint" and not isinstance(value, dict):
        bad = ("phải là vị trí GPS (vĩ độ, kinh độ)", "must be a GPS position")
    elif t == "photos" and not isinstance(value, list):
        bad = ("phải là danh sách ảnh", "must be a list of photos")
    if bad:
        return Problem(path, "type", f"{vi}: {bad[0]}", f"{en}: {bad[1]}")
    return None


# Characters refused in any text answer: control characters (NUL, bell, escape, DEL, C1...) and the
# invisible marks that reorder text (bidi embeddings, overrides, isolates, direction marks), which can
# make a name read differently on screen than it is stored ("Trojan source"). Line breaks and tabs are
# allowed only in long, multi-line answers (notes).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_CONTROLS = frozenset("\t\n\r")
MULTILINE_MIN_LENGTH = 500        # a text field allowing this many characters is a multi-line note


def bad_character(text: str, multiline: bool = False) -> tuple[int, str] | None:
    """The first refused character of ``text`` as (position from 1, "U+XXXX"), or None."""
    for i, ch in enumerate(text):
        o = ord(ch)
        if ch in BIDI_CONTROLS or 0xD800 <= o <= 0xDFFF or o in (0x2028, 0x2029) or \
                ((o < 0x20 or 0x7F <= o < 0xA0) and not (multiline and ch in LINE_CONTROLS)):
            return i + 1, f"U+{o:04X}"
    return None


def text_character_problem(label_vi: str, label_en: str, value: str, path: str,
                           multiline: bool = False) -> Problem | None:
    """A clear refusal naming the field when ``value`` holds a control or bidi character."""
    bad = bad_character(value, multiline)
    if bad is None:
        return None
    pos, code = bad
    return Problem(path, "control_character",
                   f"{label_vi}: có ký tự điều khiển hoặc ký tự đảo chiều văn bản không được phép ({code}, "
                   f"vị trí {pos}); hãy gõ lại",
                   f"{label_en}: holds a control or text-direction character that is not allowed ({code}, "
                   f"position {pos}); type it again")


def _value_problems(f: Field, value: Any, path: str) -> Iterator[Problem]:
    """Range, length, choice, pattern and structure checks for a well-typed value."""
    vi, en = _label(f)
    if f.type in ("integer", "decimal"):
        if f.min is not None and (value < f.min or (f.min_exclusive and value == f.min)):
            if f.min_exclusive:
                vi_txt, en_txt = f"phải lớn hơn {f.min:g}", f"must be greater than {f.min:g}"
            else:
                vi_txt, en_txt = f"không được nhỏ hơn {f.min:g}", f"must be at least {f.min:g}"
            yield Problem(path, "range", f"{vi}: {vi_txt} (đang là {value:g})", f"{en}: {en_txt} (got {value:g})")
        if f.max is not None and value > f.max:
            yield Problem(path, "range", f"{vi}: không được lớn hơn {f.max:g} (đang là {value:g})",
                          f"{en}: must be at most {f.max:g} (got {value:g})")
    elif f.type == "text":
        bad = text_character_problem(vi, en, value, path, (f.max_length or 0) >= MULTILINE_MIN_LENGTH)
        if bad is not None:
            yield bad
            return
        if f.min_length is not None and len(value.strip()) < f.min_length:
            yield Problem(path, "length", f"{vi}: quá ngắn (ít nhất {f.min_length} ký tự)",
                          f"{en}: too short (at least {f.min_length} characters)")
        if f.max_length is not None and len(value) > f.max_length:
            yield Problem(path, "length", f"{vi}: quá dài (tối đa {f.max_length} ký tự)",
                          f"{en}: too long (at most {f.max_length} characters)")
        if f.pattern and value and not _pattern(f.pattern).match(value):
            msg = f.pattern_message or {"vi": "sai định dạng", "en": "wrong format"}
            yield Problem(path, "pattern", f"{vi}: {msg['vi']}", f"{en}: {msg['en']}")
    elif f.type == "select_one":
        if value not in f.choice_values:
            yield Problem(path, "choice", f"{vi}: lựa chọn '{value}' không có trong danh sách",
                          f"{en}: '{value}' is not one of the choices")
    elif f.type == "select_multiple":
        for v in value:
            if v not in f.choice_values:
                yield Problem(path, "choice", f"{vi}: lựa chọn '{v}' không có trong danh sách",
                              f"{en}: '{v}' is not one of the choices")
        if len(set(value)) != len(value):
            yield Problem(path, "choice", f"{vi}: một lựa chọn bị chọn hai lần", f"{en}: a choice is repeated")
        alone = f.exclusive_values.intersection(value)
        if alone and len(set(value)) > 1:
            labels = {c.value: c.label for c in f.choices}
            a = sorted(alone)[0]
            yield Problem(path, "exclusive_choice",
                          f"{vi}: '{labels[a].get('vi', a)}' không chọn cùng lựa chọn khác",
                          f"{en}: '{labels[a].get('en', a)}' cannot be chosen with another choice")
    elif f.type == "geopoint":
        yield from _geopoint_problems(value, path)
    elif f.type == "photos":
        yield from _photo_problems(value, path)


def _geopoint_problems(value: dict[str, Any], path: str) -> Iterator[Problem]:
    unknown = set(value) - {"lat", "lon", "accuracy_m", "captured_at", "altitude_m"}
    for k in sorted(unknown):
        yield Problem(f"{path}.{k}", "unknown_field", f"Trường '{k}' không có trong vị trí GPS",
                      f"Unknown GPS field '{k}'")
    for k, lo, hi in (("lat", -90, 90), ("lon", -180, 180)):
        v = value.get(k)
        if not _is_number(v) or not lo <= v <= hi:
            yield Problem(f"{path}.{k}", "range", f"Vị trí GPS: {k} phải là số trong khoảng {lo}..{hi}",
                          f"GPS position: {k} must be a number in {lo}..{hi}")
    acc = value.get("accuracy_m")
    if acc is not None and (not _is_number(acc) or acc < 0):
        yield Problem(f"{path}.accuracy_m", "range", "Độ chính xác GPS phải là số không âm (mét)",
                      "GPS accuracy must be a non-negative number of metres")


def _photo_problems(value: list[Any], path: str) -> Iterator[Problem]:
    for i, p in enumerate(value):
        ppath = f"{path}[{i}]"
        if not isinstance(p, dict):
            yield Problem(ppath, "type", "Ảnh: phải là một bản ghi ảnh", "Photo: must be an object")
            continue
        if not isinstance(p.get("sha256"), str) or not _HEX64.match(p["sha256"]):
            yield Problem(f"{ppath}.sha256", "pattern", "Ảnh: mã SHA-256 không hợp lệ",
                          "Photo: sha256 must be 64 lowercase hex digits")
        if not isinstance(p.get("question"), str) or not p["question"]:
            yield Problem(f"{ppath}.question", "required", "Ảnh: thiếu câu hỏi mà ảnh minh chứng",
                          "Photo: the question it documents is missing")
        for k in sorted(set(p) - {"sha256", "question", "taken_at", "size", "content_type"}):
            yield Problem(f"{ppath}.{k}", "unknown_field", f"Ảnh: trường '{k}' không được phép",
                          f"Photo: unknown field '{k}'")


class _Scope:
    """Name resolution for expressions: member fields, then household paths."""

    __slots__ = ("doc", "member", "age", "ref")

    def __init__(self, doc: dict[str, Any], ref: dt.date, member: dict[str, Any] | None = None,
                 age: int | None = None):
        self.doc, self.ref, self.member, self.age = doc, ref, member, age

    def __call__(self, name: str) -> Any:
        if name == "age":
            return self.age
        if name == "collected_date":
            return self.ref.isoformat()
        if name == "collected_year":
            return self.ref.year
        if self.member is not None and name in self.member:
            return self.member[name]
        v = _get(self.doc, tuple(name.split(".")))
        return None if v is _MISSING else v


def _eval(e: expr.Expr, scope: _Scope, current: Any, path: str, what: str) -> tuple[Any, Problem | None]:
    try:
        return e.evaluate(scope, current), None
    except expr.ExprError as exc:
        return None, Problem(path, "expression", f"Không kiểm tra được điều kiện ({what}): {exc}",
                             f"Could not evaluate the {what} expression: {exc}", WARNING)


def _check_field(f: Field, container: dict[str, Any], parts: tuple[str, ...], path: str,
                 scope: _Scope, out: list[Problem], gone: bool = False) -> None:
    value = _get(container, parts)
    present = value is not _MISSING and value is not None and value != ""
    if present and value == [] and f.exclusive_values:
        present = False   # an explicit "none" exists: an empty selection is not an answer
    relevant = True
    if f.relevant is not None:
        r, p = _eval(f.relevant, scope, None, path, "relevant")
        if p:
            out.append(p)
        relevant = r is True
    vi, en = _label(f)
    if not relevant:
        if present:
            out.append(Problem(path, "not_relevant", f"{vi}: câu này không áp dụng, câu trả lời sẽ bị bỏ qua",
                               f"{en}: not relevant here; the answer is ignored", WARNING))
        return
    if not present:
        if gone:
            return   # moved away / dissolved / merged: nothing else needs answering
        required = f.required
        if not required and f.required_expr is not None:
            r, p = _eval(f.required_expr, scope, None, path, "required")
            if p:
                out.append(p)
            required = r is True
        if required:
            out.append(Problem(path, "required", f"{vi}: bắt buộc phải trả lời", f"{en}: an answer is required"))
        return
    tp = _type_problem(f, value, path)
    if tp:
        out.append(tp)
        return
    value_problems = list(_value_problems(f, value, path))
    out.extend(value_problems)
    if f.constraint is not None and not value_problems:
        ok, p = _eval(f.constraint, scope, value, path, "constraint")
        if p:
            out.append(p)
        elif ok is False:
            msg = f.constraint_message or {"vi": "giá trị không hợp lệ", "en": "invalid value"}
            out.append(Problem(path, "constraint", f"{vi}: {msg['vi']}", f"{en}: {msg['en']}"))


def is_relevant(f: Field, doc: dict[str, Any], ref: dt.date, member: dict[str, Any] | None = None) -> bool:
    """Whether a field applies to this household (or member) now, exactly as validation decides.

    The tablet uses it to show and hide questions. A relevance expression that
    cannot be evaluated yet (e.g. no birth year) counts as relevant, so the
    question is shown rather than silently skipped.
    """
    if f.relevant is None:
        return True
    age = age_on(member, ref) if member is not None and _member_birth_ok(member) else None
    try:
        return f.relevant.evaluate(_Scope(doc, ref, member, age), None) is True
    except expr.ExprError:
        return True


def reference_date(doc: dict[str, Any], today: dt.date | None) -> dt.date | None:
    """The date ages are computed on: the document's collected_at, else today."""
    return parse_date(doc.get("collected_at")) or today


def validate(doc: Any, form: Form | None = None, today: dt.date | None = None) -> list[Problem]:
    """Every problem in ``doc`` at once (errors and warnings)."""
    out: list[Problem] = []
    if not isinstance(doc, dict):
        return [Problem("", "type", "Dữ liệu hộ phải là một đối tượng JSON", "The household must be a JSON object")]
    if form is None:
        version = doc.get("form_version")
        try:
            form = load_form(version) if isinstance(version, str) else load_form()
        except KeyError:
            return [Problem("form_version", "choice", f"Phiên bản phiếu '{version}' không được hỗ trợ",
                            f"Form version '{version}' is not supported")]
    _check_envelope(doc, form, today, out)
    ref = reference_date(doc, today) or dt.date(1970, 1, 1)
    _check_unknown(doc, form, out)
    scope = _Scope(doc, ref)
    gone = is_gone(doc, form)
    for f in form.fields():
        _check_field(f, doc, f.parts, f.name, scope, out, gone and f.section not in ("area", "status"))
    if not (gone and not doc.get("members")):
        _check_members(doc, form, ref, out)
    _check_confirmations(doc, form, gone, out)
    return out


def is_gone(doc: dict[str, Any], form: Form) -> bool:
    """The household moved away, dissolved or merged: only its identity and status are needed."""
    lc = doc.get("lifecycle")
    return isinstance(lc, dict) and lc.get("event") in form.gone_events


def _check_confirmations(doc: dict[str, Any], form: Form, gone: bool, out: list[Problem]) -> None:
    """A preloaded household must confirm ('unchanged') or change every section: stale data is
    never confirmed silently."""
    conf = doc.get("confirmations")
    if conf is not None and not isinstance(conf, dict):
        out.append(Problem("confirmations", "type", "Xác nhận phải là danh sách theo mục", "confirmations must be an object"))
        return
    conf = conf or {}
    sections = {s.id: s for s in form.sections}
    for key, value in conf.items():
        if key not in sections:
            out.append(Problem(f"confirmations.{key}", "unknown_field", f"Không có mục '{key}' trong phiếu",
                               f"Unknown section '{key}'"))
        elif value not in ("unchanged", "changed"):
            out.append(Problem(f"confirmations.{key}", "choice", "Xác nhận phải là 'unchanged' hoặc 'changed'",
                               "A confirmation is 'unchanged' or 'changed'"))
    if not doc.get("preloaded_from") or gone:
        return
    for sid in form.confirm_sections:
        if sid not in conf:
            label = sections[sid].label
            out.append(Problem(f"confirmations.{sid}", "confirmation_required",
                               f"Mục '{label.get('vi', sid)}': hãy bấm 'Không thay đổi' hoặc sửa thông tin của kỳ trước",
                               f"Section '{label.get('en', sid)}': confirm 'unchanged' or update last review's answers"))


def _check_envelope(doc: dict[str, Any], form: Form, today: dt.date | None, out: list[Problem]) -> None:
    hid = doc.get("household_id")
    if hid is not None and (not isinstance(hid, str) or not 1 <= len(hid) <= 64):
        out.append(Problem("household_id", "type", "Mã hộ phải là chuỗi 1–64 ký tự",
                           "household_id must be a string of 1–64 characters"))
    fv = doc.get("form_version")
    if fv is not None and fv != form.version:
        out.append(Problem("form_version", "choice", f"Phiên bản phiếu '{fv}' khác phiên bản đang kiểm tra {form.version}",
                           f"form_version '{fv}' differs from the form {form.version}"))
    ca = doc.get("collected_at")
    if ca is None:
        if today is None:
            out.append(Problem("collected_at", "required", "Thiếu ngày rà soát (collected_at)",
                               "collected_at is required"))
        return
    collected = parse_date(ca)
    if collected is None:
        out.append(Problem("collected_at", "type", "Ngày rà soát phải là ngày hợp lệ (NNNN-TT-NN)",
                           "collected_at must be an ISO date or datetime"))
    elif today is not None and collected > today + dt.timedelta(days=1):
        out.append(Problem("collected_at", "future", f"Ngày rà soát {collected.isoformat()} ở tương lai",
                           f"collected_at {collected.isoformat()} is in the future"))


def _check_unknown(doc: dict[str, Any], form: Form, out: list[Problem]) -> None:
    allowed = form.top_level_keys()
    for key in doc:
        if key not in allowed:
            out.append(Problem(str(key), "unknown_field", f"Trường '{key}' không có trong phiếu",
                               f"Unknown field '{key}'"))
            continue
        sub = form.nested_keys(key)
        if sub and isinstance(doc[key], dict):
            for k2 in doc[key]:
                if k2 not in sub:
                    out.append(Problem(f"{key}.{k2}", "unknown_field", f"Trường '{key}.{k2}' không có trong phiếu",
                                       f"Unknown field '{key}.{k2}'"))
        elif sub and doc[key] is not None and not isinstance(doc[key], dict):
            out.append(Problem(key, "type", f"'{key}' phải là một nhóm câu trả lời (đối tượng)",
                               f"'{key}' must be an object"))


def _check_members(doc: dict[str, Any], form: Form, ref: dt.date, out: list[Problem]) -> None:
    section = form.repeat_section("members")
    members = doc.get("members")
    if members is None:
        out.append(Problem("members", "required", "Hộ phải có ít nhất một thành viên",
                           "The household needs at least one member"))
        return
    if not isinstance(members, list):
        out.append(Problem("members", "type", "Danh sách thành viên phải là một danh sách", "members must be a list"))
        return
    if section.min_count and len(members) < section.min_count:
        out.append(Problem("members", "required", "Hộ phải có ít nhất một thành viên",
                           "The household needs at least one member"))
    if section.max_count and len(members) > section.max_count:
        out.append(Problem("members", "range", f"Hộ có quá nhiều thành viên (tối đa {section.max_count})",
                           f"Too many members (at most {section.max_count})"))
    allowed = {f.name for f in section.fields}
    fields = section.fields
    old_id = next((f for f in fields if f.name == "old_id_number"), None)   # form 2026.1 on
    old_id_label = _label(old_id) if old_id is not None else None
    heads, ids, cids = [], {}, {}
    for i, m in enumerate(members):
        base = f"members[{i}]"
        if not isinstance(m, dict):
            out.append(Problem(base, "type", f"Thành viên thứ {i + 1} phải là một đối tượng",
                               f"Member {i + 1} must be an object"))
            continue
        for k in m:
            if k not in allowed:
                out.append(Problem(f"{base}.{k}", "unknown_field", f"Thành viên thứ {i + 1}: trường '{k}' không có trong phiếu",
                                   f"Member {i + 1}: unknown field '{k}'"))
        age = age_on(m, ref) if _member_birth_ok(m) else None
        scope = _Scope(doc, ref, m, age)
        for f in fields:
            _check_field(f, m, f.parts, f"{base}.{f.name}", scope, out)
        if m.get("relation") == "head":
            heads.append(i)
        mid = m.get("member_id")
        if isinstance(mid, str) and mid:
            if mid in ids:
                out.append(Problem(f"{base}.member_id", "duplicate", f"Mã thành viên '{mid}' bị trùng với thành viên thứ {ids[mid] + 1}",
                                   f"member_id '{mid}' repeats member {ids[mid] + 1}"))
            ids.setdefault(mid, i)
        cid = m.get("citizen_id")
        if isinstance(cid, str) and cid.strip():
            _check_citizen_id(m, cid, base, out, old_id_label)
            key = identity.normalize_citizen_id(cid)
            if key in cids:
                out.append(Problem(f"{base}.citizen_id", "duplicate", f"Số CCCD {key} trùng với thành viên thứ {cids[key] + 1}",
                                   f"Citizen ID {key} repeats member {cids[key] + 1}"))
            cids.setdefault(key, i)
    if members and len(heads) != 1:
        vi = "Hộ chưa có chủ hộ" if not heads else f"Hộ có {len(heads)} chủ hộ; chỉ được một"
        en = "No member is the head" if not heads else f"{len(heads)} members are marked head; exactly one is allowed"
        out.append(Problem("members", "head", vi, en))


def _member_birth_ok(m: dict[str, Any]) -> bool:
    bd = m.get("birth_date")
    if bd is not None and (not isinstance(bd, str) or parse_date(bd) is None):
        return False
    by = m.get("birth_year")
    return by is None or _is_int(by)


def _check_citizen_id(m: dict[str, Any], cid: str, base: str, out: list[Problem],
                      old_id_label: tuple[str, str] | None = None) -> None:
    sex = m.get("sex") if m.get("sex") in ("male", "female") else None
    year = birth_year(m) if _member_birth_ok(m) else None
    for issue in identity.check_citizen_id(cid, sex=sex, birth_year=year, old_id_field=old_id_label):
        out.append(Problem(f"{base}.citizen_id", f"citizen_id_{issue.code}", issue.message_vi, issue.message_en,
                           issue.severity))
