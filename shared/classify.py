"""Classification of a household under a poverty standard. Pure and table-driven.

``classify(household, standard, ref)`` returns a plain dict (JSON-ready):

- ``class``: "poor", "near_poor", "average", "not_poor" or "unknown";
- ``income``: per person per month, the line, and the method that produced it
  ("declared_income", "b1_score" written on the paper Phiếu B, or "b1_table:<id>");
- ``indicators``: the standard's indicator set (``standard.indicators``), each deprived
  true/false/null (unknown) with a reason;
- ``deprivation_count``, ``b2_score`` (10 points per deprived indicator), ``missing`` inputs,
  ``not_asked`` (questions the standard needs that the document's form version did not ask),
  ``unconfirmed`` (values of the standard marked S or U), ``notes`` and an explanation in
  Vietnamese and English. ``score_b`` and ``income.score_a*`` are deprecated aliases.

Every indicator, threshold and text comes from the standard's data; this module only knows the
rules (``RULES``) an indicator may name.
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Any, Callable, Iterable

from .dates import age_on, parse_date
from .forms import load_form
from .b1 import B1Table
from .standards import Standard, applicable_standards

POOR, NEAR_POOR, AVERAGE, NOT_POOR, UNKNOWN = "poor", "near_poor", "average", "not_poor", "unknown"
CLASS_LABELS = {
    POOR: ("Hộ nghèo", "Poor"),
    NEAR_POOR: ("Hộ cận nghèo", "Near-poor"),
    AVERAGE: ("Hộ có mức sống trung bình", "Average living standard"),
    NOT_POOR: ("Hộ không nghèo", "Not poor"),
    UNKNOWN: ("Chưa xác định được", "Cannot be determined yet"),
}
# Ordered from worst-off to best-off, for comparisons ("more income never makes it worse").
CLASS_ORDER = {POOR: 0, NEAR_POOR: 1, AVERAGE: 2, NOT_POOR: 3}
INCOME_SOURCES = ("wages", "farming_net", "business", "pensions", "remittances", "social_assistance", "other")
FARM_LIVELIHOODS = frozenset({"agriculture", "forestry", "fishery", "salt"})

Outcome = tuple[bool | None, str, str, list[str]]  # deprived, reason vi, reason en, missing paths


def vnd(amount: float) -> str:
    """1500000 -> '1.500.000 đ' (Vietnamese thousands separator)."""
    return f"{round(amount):,}".replace(",", ".") + " đ"


def _name(m: dict[str, Any], i: int) -> str:
    n = m.get("full_name")
    return n if isinstance(n, str) and n.strip() else f"thành viên {i + 1}"


class _Ctx:
    __slots__ = ("doc", "members", "ages", "n", "p")

    def __init__(self, doc: dict[str, Any], ref: dt.date, params: dict[str, Any]):
        self.doc = doc
        ms = doc.get("members")
        self.members = [m for m in ms if isinstance(m, dict)] if isinstance(ms, list) else []
        self.ages = [age_on(m, ref) for m in self.members]
        self.n = len(self.members)
        self.p = params


def _members_rule(ctx: _Ctx, applies: Callable[[int | None], bool | None], field: str,
                  judge: Callable[[Any, int | None], bool | None], what_vi: str, what_en: str,
                  ok_vi: str, ok_en: str) -> Outcome:
    """Deprived if any member to whom the rule applies is judged deprived.

    ``applies(age)`` -> True/False, or None when it cannot tell (unknown age);
    ``judge(value, age)`` -> True (deprived) / False / None (unknown).
    """
    missing: list[str] = []
    for i, (m, age) in enumerate(zip(ctx.members, ctx.ages)):
        a = applies(age)
        if a is False:
            continue
        v = m.get(field)
        d = judge(v, age) if v is not None else None
        if d is True and a is True:
            who = _name(m, i)
            age_txt = f"{age} tuổi" if age is not None else "không rõ tuổi"
            return True, f"{who} ({age_txt}) {what_vi}", f"{who} (age {age}) {what_en}", []
        if d is None or a is None:
            missing.append(f"members[{i}].{field}" if v is None else f"members[{i}].birth_year")
    if missing:
        return None, "Thiếu thông tin để xác định", "Missing information", missing
    return False, ok_vi, ok_en, []


def _employment(ctx: _Ctx) -> Outcome:
    p = ctx.p
    bad = set(p["deprived_work_status"])
    return _members_rule(
        ctx, lambda a: None if a is None else a >= p["min_age"], "work_status",
        lambda v, a: v in bad,
        "trong độ tuổi lao động không có việc làm hoặc làm công không có hợp đồng lao động",
        "of working age has no job or works for wages without a labour contract",
        "Người trong độ tuổi lao động đều có việc làm phù hợp", "Working-age members are employed")


def _dependants(ctx: _Ctx) -> Outcome:
    p = ctx.p
    if ctx.n == 0:
        return None, "Chưa có thành viên", "No members", ["members"]
    dep = unknown = 0
    for m, age in zip(ctx.members, ctx.ages):
        if age is not None and age < p["child_age_under"]:
            dep += 1
        elif p.get("social_allowance_counts") and m.get("social_allowance") is True:
            dep += 1
        elif age is None:
            unknown += 1
    share = dep / ctx.n
    txt_vi = f"{dep}/{ctx.n} người phụ thuộc ({share:.0%})"
    txt_en = f"{dep}/{ctx.n} dependants ({share:.0%})"
    if share > p["max_share"]:
        return True, f"{txt_vi}, trên {p['max_share']:.0%}", f"{txt_en}, above {p['max_share']:.0%}", []
    if (dep + unknown) / ctx.n > p["max_share"]:
        return None, "Thiếu năm sinh để xác định", "Missing birth years", ["members[].birth_year"]
    return False, f"{txt_vi}, không quá {p['max_share']:.0%}", f"{txt_en}, not above {p['max_share']:.0%}", []


def _nutrition(ctx: _Ctx) -> Outcome:
    p = ctx.p
    bad = set(p["deprived_status"])
    return _members_rule(
        ctx, lambda a: None if a is None else a < p["child_age_under"], "nutrition",
        lambda v, a: v in bad, "bị suy dinh dưỡng (thấp còi hoặc nhẹ cân)", "is stunted or underweight",
        "Không có trẻ em suy dinh dưỡng", "No child is stunted or underweight")


def _health_insurance(ctx: _Ctx) -> Outcome:
    p = ctx.p
    return _members_rule(
        ctx, lambda a: None if a is None else a >= p["min_age"], "health_insurance",
        lambda v, a: v is False, "không có thẻ bảo hiểm y tế", "has no health insurance",
        f"Mọi thành viên từ {p['min_age']} tuổi có bảo hiểm y tế",
        f"Every member aged {p['min_age']}+ has health insurance")


def _adult_education(ctx: _Ctx) -> Outcome:
    p = ctx.p
    lo, hi, mid = p["min_age"], p["max_age"], p["upper_age_band_from"]
    lower_ok, upper_ok = set(p["lower_band_ok"]), set(p["upper_band_ok"])
    missing: list[str] = []
    for i, (m, age) in enumerate(zip(ctx.members, ctx.ages)):
        if age is None:
            missing.append(f"members[{i}].birth_year")
            continue
        if not lo <= age <= hi:
            continue
        if m.get("in_school") is True:
            continue
        q = m.get("qualification")
        if q is None:
            missing.append(f"members[{i}].qualification")
            continue
        ok = q in (lower_ok if age < mid else upper_ok)
        if not ok:
            need_vi = "tốt nghiệp THCS" if age < mid else "tốt nghiệp THPT hoặc giáo dục nghề nghiệp"
            need_en = "lower-secondary" if age < mid else "upper-secondary or vocational"
            who = _name(m, i)
            return (True, f"{who} ({age} tuổi) không đi học và chưa {need_vi}",
                    f"{who} (age {age}) is not studying and lacks {need_en}", [])
    if missing:
        return None, "Thiếu thông tin để xác định", "Missing information", missing
    return (False, f"Người {lo}–{hi} tuổi đều đi học hoặc đủ trình độ",
            f"Members aged {lo}-{hi} study or are qualified", [])


def _school_attendance(ctx: _Ctx) -> Outcome:
    p = ctx.p
    return _members_rule(
        ctx, lambda a: None if a is None else p["min_age"] <= a < p["age_under"], "in_school",
        lambda v, a: v is False, "không đi học đúng cấp", "is not at school at the right level",
        f"Trẻ em {p['min_age']} đến dưới {p['age_under']} tuổi đều đi học",
        f"Children aged {p['min_age']} to under {p['age_under']} attend school")


def _housing_quality(ctx: _Ctx) -> Outcome:
    p = ctx.p
    h = ctx.doc.get("housing") if isinstance(ctx.doc.get("housing"), dict) else {}
    parts = {"walls": "tường", "columns": "cột", "roof": "mái"}
    bad = [vi for k, vi in parts.items() if h.get(k) == "non_durable"]
    unknown = [f"housing.{k}" for k in parts if h.get(k) not in ("durable", "non_durable")]
    need = p["min_non_durable"]
    if len(bad) >= need:
        return True, f"{len(bad)}/3 kết cấu chính không bền chắc ({', '.join(bad)})", f"{len(bad)}/3 main structures non-durable", []
    if len(bad) + len(unknown) >= need:
        return None, "Thiếu thông tin kết cấu nhà", "Missing structure answers", unknown
    return False, f"{len(bad)}/3 kết cấu chính không bền chắc", f"{len(bad)}/3 main structures non-durable", []


def _floor_area(ctx: _Ctx) -> Outcome:
    p = ctx.p
    h = ctx.doc.get("housing") if isinstance(ctx.doc.get("housing"), dict) else {}
    area = h.get("floor_area_m2")
    if isinstance(area, bool) or not isinstance(area, (int, float)) or area <= 0 or ctx.n == 0:
        return None, "Thiếu diện tích nhà ở", "Missing floor area", ["housing.floor_area_m2"]
    per = area / ctx.n
    lim = p["min_m2_per_person"]
    if per < lim:
        return (True, f"{_num_vi(round(per, 1))} m²/người, dưới {_num_vi(lim)} m²",
                f"{per:.1f} m² per person, under {lim} m²", [])
    return False, f"{_num_vi(round(per, 1))} m²/người", f"{per:.1f} m² per person", []


def _choice_in(ctx: _Ctx) -> Outcome:
    """Deprived unless the answer to ``params.field`` is one of ``params.ok`` (water, latrine, waste)."""
    p = ctx.p
    v = _answer(ctx.doc, p["field"])
    if not isinstance(v, str) or not v:
        return None, "Chưa trả lời", "Not answered", [p["field"]]
    if v in set(p["ok"]):
        return False, p["ok_reason"]["vi"], p["ok_reason"].get("en", ""), []
    return True, p["deprived_reason"]["vi"], p["deprived_reason"].get("en", ""), []


def _yes_no(ctx: _Ctx) -> Outcome:
    """Deprived when the yes/no answer to ``params.field`` is no (telecom, internet, digital services)."""
    p = ctx.p
    v = _answer(ctx.doc, p["field"])
    if not isinstance(v, bool):
        return None, "Chưa trả lời", "Not answered", [p["field"]]
    if v:
        return False, p["ok_reason"]["vi"], p["ok_reason"].get("en", ""), []
    return True, p["deprived_reason"]["vi"], p["deprived_reason"].get("en", ""), []


def _owns_any(ctx: _Ctx) -> Outcome:
    """Deprived when the household owns none of ``params.any_of`` (an explicit "none" counts as owning none)."""
    p = ctx.p
    v = _answer(ctx.doc, p["field"])
    if not isinstance(v, list):
        return None, "Chưa trả lời", "Not answered", [p["field"]]
    if set(p["any_of"]).intersection(v):
        return False, p["ok_reason"]["vi"], p["ok_reason"].get("en", ""), []
    return True, p["deprived_reason"]["vi"], p["deprived_reason"].get("en", ""), []


def _answer(doc: dict[str, Any], path: str) -> Any:
    cur: Any = doc
    for part in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


# Rule name (a standard's ``indicators[].rule``) -> function. The parameters each needs are checked
# when the standard is loaded (shared/standards.py RULE_PARAMS).
RULES: dict[str, Callable[[_Ctx], Outcome]] = {
    "employment": _employment, "dependants": _dependants, "nutrition": _nutrition,
    "health_insurance": _health_insurance, "adult_education": _adult_education,
    "school_attendance": _school_attendance, "housing_quality": _housing_quality, "floor_area": _floor_area,
    "choice_in": _choice_in, "yes_no": _yes_no, "owns_any": _owns_any,
}


def b1_score_of(doc: dict[str, Any]) -> Any:
    """The B1 score written on the paper Phiếu B (``b1_score``; ``score_a`` in documents before 2026.1)."""
    v = doc.get("b1_score")
    return doc.get("score_a") if v is None else v


def _income(doc: dict[str, Any], n: int, standard: Standard, area_type: str,
            table: B1Table | None) -> dict[str, Any]:
    """Which side of the line the household is on, and how that was determined."""
    line = standard.income_line[area_type]
    out: dict[str, Any] = {"line": line, "per_person_month": None, "below_line": None, "method": None}
    cutoffs = standard.b1_cutoff
    score = b1_score_of(doc)
    method = "b1_score"
    if (score is None or isinstance(score, bool)) and table is not None:
        score, method = table.score(doc), f"b1_table:{table.id}"
        out["b1_synthetic"] = out["score_a_synthetic"] = table.synthetic
    if isinstance(score, (int, float)) and not isinstance(score, bool) and cutoffs is not None:
        cut = cutoffs[area_type]
        out.update(method=method, b1_score=score, b1_cutoff=cut, below_line=score <= cut,
                   score_a=score, score_a_cutoff=cut)     # deprecated names, kept for API clients
        return out
    inc = doc.get("income")
    values = {k: inc.get(k) for k in INCOME_SOURCES} if isinstance(inc, dict) else {}
    given = {k: v for k, v in values.items()
             if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}
    if not given or n == 0:
        out["missing"] = ["income"]
        if isinstance(score, (int, float)) and cutoffs is None:
            out["note_vi"] = "Chuẩn này chưa có ngưỡng điểm B1; cần khai thu nhập"
            out["note_en"] = "This standard has no B1 cut-off; declared income is needed"
        return out
    total = sum(given.values())
    per = total / 12 / n
    out.update(method="declared_income", per_person_month=round(per), below_line=per <= line, annual_total=total)
    if doc.get("livelihood") in FARM_LIVELIHOODS:
        # Average-living farm households: state social assistance is excluded (domain.md §2.6).
        out["per_person_month_excl_social_assistance"] = round((total - given.get("social_assistance", 0)) / 12 / n)
    return out


def asked_questions(form: Any) -> frozenset[str] | None:
    """The answers a form version asks, as indicator field paths (``members[].x`` for roster fields)."""
    if form is None:
        return None
    out = set()
    for f in form.fields():
        out.add(f.name)
    for f in form.fields("members"):
        out.add(f"members[].{f.name}")
    return frozenset(out)


def _newest_form() -> Any:
    from .forms import CURRENT_FORM_VERSION
    return load_form(CURRENT_FORM_VERSION)


def _form_of(doc: dict[str, Any]) -> Any:
    version = doc.get("form_version")
    if not isinstance(version, str):
        return None
    try:
        return load_form(version)
    except (KeyError, ValueError, OSError):
        return None


def classify(doc: dict[str, Any], standard: Standard, ref: dt.date | None = None,
             score_a_table: B1Table | None = None, *, b1_table: B1Table | None = None,
             form: Any = None) -> dict[str, Any]:
    """Classify one household under one standard on ``ref`` (default: its collected_at).

    ``form``: the form version the document was collected with (default: the bundled version it
    names); an indicator whose questions that form did not ask is unknown and listed in ``not_asked``.
    """
    table = b1_table or score_a_table
    ref = ref or parse_date(doc.get("collected_at"))
    area = doc.get("area") if isinstance(doc.get("area"), dict) else {}
    area_type = area.get("area_type")
    result: dict[str, Any] = {"standard_id": standard.id, "standard_status": standard.status,
                              "standard_name": dict(standard.short_name), "indicator_total": len(standard.indicators)}
    if ref is None or area_type not in ("urban", "rural"):
        missing = (["collected_at"] if ref is None else []) + ([] if area_type in ("urban", "rural") else ["area.area_type"])
        result.update({"class": UNKNOWN, "income": None, "indicators": [], "deprivation_count": 0,
                       "b2_score": None, "score_b": None, "missing": missing, "not_asked": [], "notes": [],
                       "unconfirmed": [],
                       "explanation_vi": "Chưa xác định được: thiếu " + ", ".join(missing),
                       "explanation_en": "Cannot classify: missing " + ", ".join(missing)})
        return result
    form = form if form is not None else _form_of(doc)
    asked = asked_questions(form)
    ctx = _Ctx(doc, ref, {})
    indicators = []
    deprived: list[str] = []
    unknown: list[str] = []
    missing: list[str] = []
    not_asked: list[str] = []
    for ind in standard.indicators:
        lacking = [f for f in ind.fields if asked is not None and f not in asked and not f.endswith(".birth_year")]
        if lacking:
            d, why_vi, why_en, miss = (None, f"Phiếu phiên bản {doc.get('form_version')} không hỏi câu này",
                                       f"Form version {doc.get('form_version')} does not ask this", [])
            not_asked.extend(lacking)
        else:
            ctx.p = ind.params
            d, why_vi, why_en, miss = RULES[ind.rule](ctx)
        indicators.append({"number": ind.number, "key": ind.key, "dimension": ind.dimension,
                           "service_vi": ind.dimension_label.get("vi", ""), "service_en": ind.dimension_label.get("en", ""),
                           "label_vi": ind.label["vi"], "label_en": ind.label.get("en", ind.label["vi"]),
                           "deprived": d, "reason_vi": why_vi, "reason_en": why_en, "mark": ind.mark})
        if d is True:
            deprived.append(ind.label["vi"])
        elif d is None:
            unknown.append(ind.label["vi"])
            missing.extend(miss)
    income = _income(doc, ctx.n, standard, area_type, table)
    k = standard.poor_min_deprivations
    nd, nu = len(deprived), len(unknown)
    below = income["below_line"]
    note = ""
    if below is None:
        cls = UNKNOWN
        missing = income.get("missing", ["income"]) + missing
    elif below:
        if nd >= k:
            cls = POOR
        elif nd + nu < k:
            cls = NEAR_POOR
        else:
            cls = UNKNOWN
    else:
        band = standard.average_band_max
        per = income.get("per_person_month_excl_social_assistance", income["per_person_month"])
        if band is not None and per is not None and per <= band[area_type]:
            cls = AVERAGE
            income["average_band_max"] = band[area_type]
        else:
            cls = NOT_POOR
            if band is None:
                note = " (chuẩn này chưa có ngưỡng mức sống trung bình)"
            elif per is None:
                note = " (điểm B1 không xác định được mức sống trung bình)"
    if cls != UNKNOWN:
        missing = [] if not below else missing
    notes: list[dict[str, str]] = []
    if not standard.in_force_on(ref):
        notes.append({"vi": f"Ngày rà soát {ref.strftime('%d/%m/%Y')} nằm ngoài thời gian hiệu lực của chuẩn này "
                            f"({standard.effective_from.strftime('%d/%m/%Y')}–{standard.effective_to.strftime('%d/%m/%Y')}).",
                      "en": f"The review date {ref.isoformat()} is outside this standard's effective period "
                            f"({standard.effective_from.isoformat()}–{standard.effective_to.isoformat()})."})
    if not_asked:
        names = sorted(set(not_asked))
        latest = _newest_form()
        notes.append({"vi": f"Phiếu phiên bản {doc.get('form_version')} không hỏi: "
                            f"{', '.join(question_label(latest, p, 'vi') for p in names)}.",
                      "en": f"Form version {doc.get('form_version')} did not ask: "
                            f"{', '.join(question_label(latest, p, 'en') for p in names)}."})
    unconfirmed = standard.unconfirmed(ref)
    # The provisional note when an unconfirmed value can change this result: a standard-level value,
    # or an unconfirmed indicator that is deprived or unknown here.
    open_keys = {f"indicator {i['number']} {i['key']}" for i in indicators if i["deprived"] is not False}
    if any(u["mark"] == "U" and (not u["value"].startswith("indicator ") or u["value"] in open_keys)
           for u in unconfirmed):
        notes.append({"vi": "Một số giá trị của chuẩn này chưa được xác nhận chính thức [U]; kết quả chỉ để tham khảo "
                            "cho đến khi có văn bản hướng dẫn.",
                      "en": "Some values of this standard are not confirmed [U]; the result is provisional until the "
                            "official guidance is available."})
    elif unconfirmed:
        notes.append({"vi": "Một số giá trị của chuẩn này lấy theo nguồn thứ cấp [S], chưa đối chiếu văn bản gốc.",
                      "en": "Some values of this standard are from secondary sources [S]."})
    result.update({
        "class": cls, "area_type": area_type, "reference_date": ref.isoformat(), "income": income,
        "indicators": indicators, "deprivation_count": nd, "unknown_indicator_count": nu,
        "b2_score": nd * standard.b2_points, "score_b": nd * standard.b2_points,   # score_b: deprecated name
        "missing": sorted(set(missing)), "not_asked": sorted(set(not_asked)),
        "in_period": standard.in_force_on(ref), "unconfirmed": unconfirmed, "notes": notes,
    })
    result["explanation_vi"], result["explanation_en"] = _explain(result, standard, deprived, note, form)
    return result


def question_label(form: Any, path: str, lang: str = "vi") -> str:
    """A person's words for an answer path: the form's label ("Năm sinh (thành viên 3)"), else the path."""
    import re
    m = re.match(r"^members\[(\d*)\]\.(.+)$", path)
    name, repeat = (m.group(2), "members") if m else (path, None)
    label = None
    if form is not None:
        try:
            f = form.field(name, repeat)
            label = f.label.get(lang) or f.label.get("vi")
        except KeyError:
            label = None
    if label is None:
        label = {"income": ("thu nhập", "income"), "members": ("thành viên", "members"),
                 "collected_at": ("ngày rà soát", "review date"),
                 "area.area_type": ("khu vực thành thị/nông thôn", "area type")}.get(path, (path, path))[
            0 if lang == "vi" else 1]
    if m and m.group(1):
        who = f"thành viên {int(m.group(1)) + 1}" if lang == "vi" else f"member {int(m.group(1)) + 1}"
        return f"{label} ({who})"
    return label


def _explain(r: dict[str, Any], s: Standard, deprived: list[str], note: str, form: Any = None) -> tuple[str, str]:
    cls = r["class"]
    vi_cls, en_cls = CLASS_LABELS[cls]
    inc = r["income"]
    total = len(s.indicators)
    area_vi = "thành thị" if r["area_type"] == "urban" else "nông thôn"
    if inc["method"] == "declared_income":
        cmp = "≤" if inc["below_line"] else ">"
        inc_vi = f"thu nhập bình quân {vnd(inc['per_person_month'])}/người/tháng {cmp} chuẩn {vnd(inc['line'])} ({area_vi})"
        inc_en = f"income {inc['per_person_month']:,} VND/person/month {cmp} line {inc['line']:,} ({r['area_type']})"
    elif inc["method"]:
        cmp = "≤" if inc["below_line"] else ">"
        syn = " — bảng điểm THỬ NGHIỆM, không phải bảng chính thức" if inc.get("b1_synthetic") else ""
        inc_vi = f"điểm B1 {_num_vi(inc['b1_score'])} {cmp} ngưỡng {_num_vi(inc['b1_cutoff'])} ({area_vi}){syn}"
        inc_en = f"B1 score {inc['b1_score']:g} {cmp} cut-off {inc['b1_cutoff']:g} ({r['area_type']})"
    else:
        inc_vi, inc_en = "chưa có thông tin thu nhập", "no income information"
    dep_vi = f"thiếu hụt {r['deprivation_count']}/{total} chỉ số (điểm B2 = {r['b2_score']})"
    if deprived:
        dep_vi += ": " + ", ".join(deprived)
    dep_en = f"deprived on {r['deprivation_count']}/{total} indicators (B2 score = {r['b2_score']})"
    head_vi = f"{vi_cls} theo {s.name.get('vi', s.id)}"
    if s.status == "draft":
        head_vi += " [DỰ THẢO]"
    text_vi = f"{head_vi}: {inc_vi}; {dep_vi}{note}."
    text_en = f"{en_cls} under {s.name.get('en', s.id)}: {inc_en}; {dep_en}."
    if cls == UNKNOWN and r["missing"]:
        tail = "…" if len(r["missing"]) > 6 else ""
        more_vi = ", ".join(dict.fromkeys(question_label(form, p, "vi") for p in r["missing"][:6])) + tail
        more_en = ", ".join(dict.fromkeys(question_label(form, p, "en") for p in r["missing"][:6])) + tail
        text_vi += f" Còn thiếu: {more_vi}."
        text_en += f" Missing: {more_en}."
    for n in r.get("notes", ()):
        text_vi += " " + n["vi"]
        text_en += " " + n["en"]
    return text_vi, text_en


def _num_vi(x: float) -> str:
    return f"{x:g}".replace(".", ",")


def classify_all(doc: dict[str, Any], standards: Iterable[Standard] | None = None,
                 ref: dt.date | None = None, score_a_table: B1Table | None = None, *,
                 b1_table: B1Table | None = None, form: Any = None) -> list[dict[str, Any]]:
    """Classify under every standard in force for the household's area on ``ref``.

    With ``standards`` given explicitly (e.g. the ones a review round names),
    those are used as they are, drafts included.
    """
    ref = ref or parse_date(doc.get("collected_at"))
    if standards is None:
        area = doc.get("area") if isinstance(doc.get("area"), dict) else {}
        standards = applicable_standards(area.get("province_code"), ref) if ref else []
    return [classify(doc, s, ref, b1_table=b1_table or score_a_table, form=form) for s in standards]
