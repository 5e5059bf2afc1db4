"""Low-income workers (người lao động có thu nhập thấp, Decree 30/2025/NĐ-CP; domain.md §2.7).

A worker — a member of a household that is neither poor nor near-poor — is identified on request
when the household's income per person per month is at most the threshold for its area type. The
rule (thresholds by period, legal basis, marks) is data: ``shared/data/low_income_workers.json``.
``identify`` is pure: the caller passes the household document, its classification under the
national standard of the request date, and the date. Every result names the worker, the income,
the rule and its source, and says which of its values are not confirmed.
"""
from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from .classify import INCOME_SOURCES, vnd

RULE_FILE = Path(__file__).parent / "data" / "low_income_workers.json"
IDENTIFIED, NOT_IDENTIFIED, UNDETERMINED = "identified", "not_identified", "undetermined"
OUTCOME_LABELS = {
    IDENTIFIED: ("Được xác định là người lao động có thu nhập thấp", "Identified as a low-income worker"),
    NOT_IDENTIFIED: ("Không đủ điều kiện", "Not eligible"),
    UNDETERMINED: ("Chưa xác định được", "Cannot be determined yet"),
}


class LowIncomeRuleError(ValueError):
    """The rule file is malformed (names the field)."""


@lru_cache(maxsize=4)
def load_rule(path: str | None = None) -> dict[str, Any]:
    p = Path(path) if path else RULE_FILE
    data = json.loads(p.read_text(encoding="utf-8"))
    for key in ("id", "legal_basis", "periods", "criteria", "policies"):
        if key not in data:
            raise LowIncomeRuleError(f"{p.name}: missing field '{key}'")
    for n, period in enumerate(data["periods"]):
        for key in ("from", "to", "mark", "income_max"):
            if key not in period:
                raise LowIncomeRuleError(f"{p.name}: missing field 'periods[{n}].{key}'")
        if set(period["income_max"]) != {"rural", "urban"}:
            raise LowIncomeRuleError(f"{p.name}: 'periods[{n}].income_max' must give 'rural' and 'urban'")
    return data


def period_on(rule: dict[str, Any], day: dt.date) -> dict[str, Any] | None:
    return next((p for p in rule["periods"]
                 if dt.date.fromisoformat(p["from"]) <= day <= dt.date.fromisoformat(p["to"])), None)


def _income_pp(doc: dict[str, Any], n: int) -> int | None:
    inc = doc.get("income") if isinstance(doc.get("income"), dict) else {}
    given = [v for k in INCOME_SOURCES for v in [inc.get(k)] if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not given or n == 0:
        return None
    return round(sum(given) / 12 / n)


def identify(doc: dict[str, Any], member_id: str, national_result: dict[str, Any] | None, on: dt.date,
             rule: dict[str, Any] | None = None) -> dict[str, Any]:
    """Whether the member is a low-income worker on ``on``: {"outcome", "reasons_vi"/"reasons_en",
    "worker", "income_per_person_month", "income_max", "area_type", "standard_id", "household_class",
    "rule_id", "legal_basis", "source", "marks", "unconfirmed"}."""
    rule = rule or load_rule()
    members = [m for m in doc.get("members") or [] if isinstance(m, dict)]
    member = next((m for m in members if m.get("member_id") == member_id), None)
    area = doc.get("area") if isinstance(doc.get("area"), dict) else {}
    area_type = area.get("area_type")
    period = period_on(rule, on)
    out: dict[str, Any] = {"rule_id": rule["id"], "legal_basis": rule["legal_basis"], "source": rule.get("source", ""),
                           "on": on.isoformat(), "worker": None, "area_type": area_type,
                           "income_per_person_month": None, "income_max": None,
                           "standard_id": (national_result or {}).get("standard_id"),
                           "household_class": (national_result or {}).get("class"), "unconfirmed": []}
    why_vi: list[str] = []
    why_en: list[str] = []
    outcome = IDENTIFIED
    if member is None:
        return {**out, "outcome": UNDETERMINED,
                "reasons_vi": [f"Không có thành viên mã {member_id} trong hộ"],
                "reasons_en": [f"No member {member_id} in the household"]}
    out["worker"] = {"member_id": member_id, "full_name": member.get("full_name"),
                     "birth_year": member.get("birth_year") or str(member.get("birth_date") or "")[:4] or None,
                     "work_status": member.get("work_status")}
    if period is None:
        return {**out, "outcome": UNDETERMINED,
                "reasons_vi": [f"Không có tiêu chí người lao động có thu nhập thấp cho ngày {on.strftime('%d/%m/%Y')}"],
                "reasons_en": [f"No low-income worker rule is known for {on.isoformat()}"]}
    if period["mark"] != "C":
        out["unconfirmed"].append({"value": "income_max", "mark": period["mark"], "source": period.get("note", "")})
    if (rule.get("exclude_social_assistance") or {}).get("mark", "C") != "C":
        out["unconfirmed"].append({"value": "exclude_social_assistance",
                                   "mark": rule["exclude_social_assistance"]["mark"],
                                   "source": rule["exclude_social_assistance"].get("note", "")})
    if area_type not in ("rural", "urban"):
        return {**out, "outcome": UNDETERMINED, "reasons_vi": ["Thiếu khu vực (thành thị/nông thôn)"],
                "reasons_en": ["The area type is missing"]}
    cap = period["income_max"][area_type]
    out["income_max"] = cap
    cls = (national_result or {}).get("class")
    if cls in ("poor", "near_poor"):
        outcome = NOT_IDENTIFIED
        why_vi.append("Hộ thuộc hộ nghèo hoặc cận nghèo (hưởng chính sách của hộ nghèo, cận nghèo)")
        why_en.append("The household is poor or near-poor")
    elif cls not in ("average", "not_poor"):
        outcome = UNDETERMINED
        why_vi.append("Hộ chưa được phân loại theo chuẩn nghèo quốc gia của ngày đề nghị")
        why_en.append("The household is not classified under the national standard of the request date")
    per = _income_pp(doc, len(members))
    out["income_per_person_month"] = per
    if per is None:
        outcome = UNDETERMINED if outcome == IDENTIFIED else outcome
        why_vi.append("Hộ chưa khai thu nhập (cần thu nhập thực tế 12 tháng trước)")
        why_en.append("The household has no declared income")
    elif per > cap:
        outcome = NOT_IDENTIFIED
        why_vi.append(f"Thu nhập bình quân {vnd(per)}/người/tháng cao hơn {vnd(cap)}")
        why_en.append(f"Income {per:,} VND per person per month is above {cap:,}")
    else:
        why_vi.append(f"Thu nhập bình quân {vnd(per)}/người/tháng không quá {vnd(cap)} "
                      f"({'thành thị' if area_type == 'urban' else 'nông thôn'})")
        why_en.append(f"Income {per:,} VND per person per month is at most {cap:,} ({area_type})")
    if outcome == IDENTIFIED:
        why_vi.insert(0, "Hộ không thuộc hộ nghèo, hộ cận nghèo")
        why_en.insert(0, "The household is neither poor nor near-poor")
    if out["unconfirmed"]:
        why_vi.append("Một số giá trị của tiêu chí chưa được xác nhận chính thức [U]")
        why_en.append("Some values of the rule are not confirmed [U]")
    return {**out, "outcome": outcome, "reasons_vi": why_vi, "reasons_en": why_en,
            "policies": list(rule["policies"]) if outcome == IDENTIFIED else []}
