"""Pure rules of the programme (no I/O, no clock: callers pass ``today``).

* :func:`parse_day` / :func:`parse_amount` — what an officer types (ISO or dd/mm/yyyy dates, amounts
  with thousands dots);
* :func:`check_delivery` — one delivery (or the new values of a correction) against the catalogue:
  every problem at once, each naming its field, in Vietnamese and English;
* :func:`check_contribution` — one contribution to the Fund for the Poor;
* :func:`fund_balance` — contributions in minus disbursements out;
* :func:`close_matches` — which open needs a delivery closes.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Iterable

from shared.programme import Catalogue

EARLIEST = dt.date(2000, 1, 1)
MAX_TEXT = {"evidence_no": 100, "note": 500, "reason": 500, "person_name": 200, "donor_name": 200,
            "receipt_no": 100, "name": 200}
MAX_AMOUNT = 10 ** 12          # a sanity ceiling on one entry (VND), not a legal limit
MAX_QUANTITY = 10_000
DONOR_KINDS = ("person", "organisation", "business", "unit")
_DMY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    message_vi: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message_vi": self.message_vi, "message_en": self.message_en}


def parse_day(value: Any) -> dt.date | None:
    """'2026-03-05' or '05/03/2026' → a date; anything else → None."""
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    m = _DMY.match(value)
    try:
        if m:
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


def parse_amount(value: Any) -> int | None:
    """An amount in VND: an integer, or text with thousands dots/spaces ('1.500.000'). None when empty;
    ValueError when it is not a whole non-negative number."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        n = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError(value)
        n = int(value)
    else:
        text = str(value).strip().replace(".", "").replace(" ", "").replace("\u00a0", "")
        if text.endswith(("đ", "₫")):
            text = text[:-1]
        if not text.isdigit():
            raise ValueError(value)
        n = int(text)
    if n < 0:
        raise ValueError(value)
    return n


def _text(payload: dict[str, Any], name: str, problems: list[Problem], label_vi: str) -> str:
    raw = payload.get(name)
    text = "" if raw is None else str(raw).strip()
    limit = MAX_TEXT[name]
    if len(text) > limit:
        problems.append(Problem(name, "too_long", f"{label_vi}: tối đa {limit} ký tự", f"{name}: at most {limit} characters"))
    return text[:limit]


def _day(payload: dict[str, Any], name: str, today: dt.date, problems: list[Problem], label_vi: str
         ) -> dt.date | None:
    raw = payload.get(name)
    day = parse_day(raw)
    if raw in (None, ""):
        problems.append(Problem(name, "required", f"{label_vi}: chưa nhập", f"{name}: required"))
    elif day is None:
        problems.append(Problem(name, "invalid_date", f"{label_vi}: ngày không hợp lệ (dd/mm/yyyy)",
                                f"{name}: not a date (dd/mm/yyyy or YYYY-MM-DD)"))
    elif day > today:
        problems.append(Problem(name, "future_date", f"{label_vi}: ngày {day.strftime('%d/%m/%Y')} chưa tới",
                                f"{name}: {day.isoformat()} is in the future"))
        day = None
    elif day < EARLIEST:
        problems.append(Problem(name, "too_early", f"{label_vi}: ngày trước năm {EARLIEST.year}",
                                f"{name}: before {EARLIEST.year}"))
        day = None
    return day


def check_delivery(cat: Catalogue, payload: dict[str, Any], today: dt.date, members: dict[str, str],
                   support_type: str | None = None) -> tuple[dict[str, Any], list[Problem]]:
    """Clean values of a delivery and every problem. ``members`` maps the household's member ids to
    names (person support names one of them). ``support_type`` fixes the type (a correction keeps it)."""
    problems: list[Problem] = []
    tid = support_type or str(payload.get("support_type") or "")
    t = cat.types.get(tid)
    if t is None:
        problems.append(Problem("support_type", "unknown_type" if tid else "required",
                                "Loại hỗ trợ: không có trong danh mục" if tid else "Loại hỗ trợ: chưa chọn",
                                f"support_type: unknown {tid!r}" if tid else "support_type: required"))
        return {}, problems
    out: dict[str, Any] = {"support_type": tid, "body_id": t["body"], "plan_section": t["section"]}
    out["delivered_on"] = _day(payload, "delivered_on", today, problems, "Ngày hỗ trợ")
    # quantity
    raw_q = payload.get("quantity", 1)
    try:
        q = parse_amount(raw_q)
    except ValueError:
        q = -1
    if q is None:
        q = 1
    if q < 1 or q > MAX_QUANTITY:
        problems.append(Problem("quantity", "invalid_quantity",
                                f"Số lượng ({t['unit']['vi']}): một số nguyên từ 1 đến {MAX_QUANTITY}",
                                f"quantity: a whole number 1-{MAX_QUANTITY}"))
    out["quantity"] = q
    # amount
    try:
        amount = parse_amount(payload.get("amount_vnd"))
    except ValueError:
        amount = None
        problems.append(Problem("amount_vnd", "invalid_amount", "Số tiền: một số nguyên không âm (đồng)",
                                "amount_vnd: a whole non-negative number of VND"))
    else:
        if t["amount"] == "required" and not amount:
            problems.append(Problem("amount_vnd", "required", f"Số tiền: bắt buộc với \"{t['label']['vi']}\"",
                                    f"amount_vnd: required for {tid}"))
        elif t["amount"] == "none" and amount:
            problems.append(Problem("amount_vnd", "not_applicable", f"Số tiền: \"{t['label']['vi']}\" không có số tiền",
                                    f"amount_vnd: {tid} carries no amount"))
        elif amount is not None and amount > MAX_AMOUNT:
            problems.append(Problem("amount_vnd", "too_large", "Số tiền: quá lớn", "amount_vnd: too large"))
    out["amount_vnd"] = amount if t["amount"] != "none" else None
    # fund
    fund = str(payload.get("fund") or (t["funds"][0] if len(t["funds"]) == 1 else ""))
    if not fund:
        problems.append(Problem("fund", "required", "Nguồn kinh phí: chưa chọn", "fund: required"))
    elif fund not in t["funds"]:
        names = ", ".join(cat.label("fund", f) for f in t["funds"])
        problems.append(Problem("fund", "fund_not_allowed", f"Nguồn kinh phí: \"{t['label']['vi']}\" chỉ từ {names}",
                                f"fund: {tid} takes {', '.join(t['funds'])}"))
    out["fund"] = fund
    # recipient
    mid = payload.get("member_id")
    mid = str(mid).strip() if mid not in (None, "") else None
    if t["recipient"] == "person":
        if mid is None:
            problems.append(Problem("member_id", "required", "Người nhận: chọn thành viên của hộ",
                                    "member_id: person support names a member"))
        elif mid not in members:
            problems.append(Problem("member_id", "unknown_member", "Người nhận: không phải thành viên của hộ",
                                    f"member_id: {mid!r} is not a member of the household"))
    elif mid is not None:
        problems.append(Problem("member_id", "not_applicable", f"Người nhận: \"{t['label']['vi']}\" hỗ trợ cả hộ",
                                f"member_id: {tid} goes to the household"))
    out["member_id"] = mid if t["recipient"] == "person" else None
    out["person_name"] = members.get(mid) if out["member_id"] else None
    out["evidence_no"] = _text(payload, "evidence_no", problems, "Số văn bản/chứng từ")
    out["note"] = _text(payload, "note", problems, "Ghi chú")
    campaign = payload.get("campaign_id")
    try:
        out["campaign_id"] = int(campaign) if campaign not in (None, "") else None
    except (TypeError, ValueError):
        problems.append(Problem("campaign_id", "invalid", "Đợt vận động: không hợp lệ", "campaign_id: not a number"))
        out["campaign_id"] = None
    if out["campaign_id"] is not None and fund != "fund_for_poor":
        problems.append(Problem("campaign_id", "not_applicable", "Đợt vận động: chỉ dùng với Quỹ Vì người nghèo",
                                "campaign_id: only for the Fund for the Poor"))
    return out, problems


def check_contribution(payload: dict[str, Any], today: dt.date) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    out["donor_name"] = _text(payload, "donor_name", problems, "Người/đơn vị đóng góp")
    if not out["donor_name"]:
        problems.append(Problem("donor_name", "required", "Người/đơn vị đóng góp: chưa nhập", "donor_name: required"))
    kind = str(payload.get("donor_kind") or "person")
    if kind not in DONOR_KINDS:
        problems.append(Problem("donor_kind", "invalid", "Loại người đóng góp: không hợp lệ",
                                f"donor_kind: one of {', '.join(DONOR_KINDS)}"))
    out["donor_kind"] = kind
    out["anonymous"] = 1 if payload.get("anonymous") in (True, 1, "1", "true", "on") else 0
    try:
        amount = parse_amount(payload.get("amount_vnd"))
    except ValueError:
        amount = None
    if not amount or amount > MAX_AMOUNT:
        problems.append(Problem("amount_vnd", "invalid_amount", "Số tiền: một số nguyên dương (đồng)",
                                "amount_vnd: a positive whole number of VND"))
    out["amount_vnd"] = amount
    out["received_on"] = _day(payload, "received_on", today, problems, "Ngày nhận")
    out["receipt_no"] = _text(payload, "receipt_no", problems, "Số biên lai")
    out["note"] = _text(payload, "note", problems, "Ghi chú")
    try:
        out["campaign_id"] = int(payload.get("campaign_id"))
    except (TypeError, ValueError):
        problems.append(Problem("campaign_id", "required", "Đợt vận động: chưa chọn", "campaign_id: required"))
        out["campaign_id"] = None
    return out, problems


def fund_balance(contributions: Iterable[int], disbursements: Iterable[int]) -> dict[str, int]:
    cin, cout = sum(contributions), sum(disbursements)
    return {"contributions": cin, "disbursements": cout, "balance": cin - cout}


def close_matches(delivery: dict[str, Any], closes: Iterable[str], open_needs: Iterable[dict[str, Any]]
                  ) -> list[int]:
    """Ids of the open needs a delivery answers: a need type the support type closes, for the same
    person (a person's need) or for the household (a household need)."""
    kinds = set(closes)
    out = []
    for n in open_needs:
        if n["need_type"] not in kinds:
            continue
        if n.get("member_id") and n["member_id"] != delivery.get("member_id"):
            continue
        out.append(int(n["id"]))
    return out
