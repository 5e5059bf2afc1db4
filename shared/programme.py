"""The ward plan's support catalogue (``shared/data/programme.json``) and the needs a review form shows.

Pure and standard library only (the tablet uses it to label support and to record a need):

* :func:`load_catalogue` — sections (plan §II), bodies (§IV), funds (§III), support types and need
  types, checked for consistency (every type names a known body, section, fund and need);
* :func:`eligibility_table` — the support types as a policy table for ``shared.eligibility``: a type
  that names a ``policy_id`` takes that policy's statuses and window from ``policies.json``, else its
  own ``eligible`` entry; window lengths stay the ward's settings;
* :func:`suggest_needs` — needs read from a household's answers (a member without a health card, an
  unemployed member, a child of school age out of school; housing and information from the
  classification's deprived indicators, by key, so no threshold or indicator number is repeated here).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from .dates import age_on, parse_date

CATALOGUE_FILE = Path(__file__).parent / "data" / "programme.json"
RECIPIENTS = ("household", "person")
AMOUNT_RULES = ("required", "optional", "none")
SCHOOL_AGE = (3, 15)          # a child aged 3 to under 16 (indicator 6 of the 2022-2025 standard)
HOUSING_KEYS = ("housing_quality", "floor_area")          # indicator keys of the standards' data
INFORMATION_KEYS = ("telecom", "information_devices", "internet_access", "digital_services")


class CatalogueError(ValueError):
    pass


@lru_cache(maxsize=4)
def _read(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _index(items: Iterable[dict[str, Any]], what: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        if item["id"] in out:
            raise CatalogueError(f"duplicate {what} id {item['id']!r}")
        out[item["id"]] = item
    return out


@dataclass(frozen=True)
class Catalogue:
    data: dict[str, Any]

    @property
    def sections(self) -> dict[str, dict[str, Any]]:
        return _index(self.data["sections"], "section")

    @property
    def bodies(self) -> dict[str, dict[str, Any]]:
        return _index(self.data["bodies"], "body")

    @property
    def funds(self) -> dict[str, dict[str, Any]]:
        return _index(self.data["funds"], "fund")

    @property
    def types(self) -> dict[str, dict[str, Any]]:
        return _index(self.data["support_types"], "support type")

    @property
    def need_types(self) -> dict[str, dict[str, Any]]:
        return _index(self.data["need_types"], "need type")

    @property
    def close_reasons(self) -> dict[str, dict[str, Any]]:
        return _index(self.data["close_reasons"], "close reason")

    def types_of(self, body_id: str) -> list[dict[str, Any]]:
        return [t for t in self.data["support_types"] if t["body"] == body_id]

    def needs_of(self, body_id: str) -> list[dict[str, Any]]:
        return [n for n in self.data["need_types"] if n["body"] == body_id]

    def delivering_bodies(self) -> list[dict[str, Any]]:
        return [b for b in self.data["bodies"] if b.get("delivers", True)]

    def label(self, kind: str, item_id: str | None, lang: str = "vi") -> str:
        table = {"section": self.sections, "body": self.bodies, "fund": self.funds, "type": self.types,
                 "need": self.need_types, "reason": self.close_reasons}[kind]
        item = table.get(item_id or "")
        return item["label"][lang] if item else (item_id or "")


def check(data: dict[str, Any], policy_ids: Iterable[str] = ()) -> None:
    """Raise CatalogueError when the catalogue names something it does not define."""
    cat = Catalogue(data)
    sections, bodies, funds, needs = cat.sections, cat.bodies, cat.funds, cat.need_types
    known_policies = set(policy_ids)
    for t in cat.types.values():
        where = f"support type {t['id']!r}"
        if t["body"] not in bodies:
            raise CatalogueError(f"{where}: unknown body {t['body']!r}")
        if t["section"] not in sections:
            raise CatalogueError(f"{where}: unknown plan section {t['section']!r}")
        if t["recipient"] not in RECIPIENTS or t["amount"] not in AMOUNT_RULES:
            raise CatalogueError(f"{where}: recipient/amount rule")
        if not t["funds"] or any(f not in funds for f in t["funds"]):
            raise CatalogueError(f"{where}: unknown fund in {t['funds']}")
        if any(n not in needs for n in t.get("closes", ())):
            raise CatalogueError(f"{where}: closes an unknown need in {t['closes']}")
        if t.get("policy_id"):
            if known_policies and t["policy_id"] not in known_policies:
                raise CatalogueError(f"{where}: unknown policy {t['policy_id']!r}")
        elif not isinstance(t.get("eligible"), dict):
            raise CatalogueError(f"{where}: needs a policy_id or an 'eligible' entry")
        if not bodies[t["body"]].get("delivers", True):
            raise CatalogueError(f"{where}: body {t['body']!r} delivers nothing")
    for n in needs.values():
        if n["body"] not in bodies or n["recipient"] not in RECIPIENTS:
            raise CatalogueError(f"need type {n['id']!r}: body/recipient")


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    return Catalogue(_read(str(path or CATALOGUE_FILE)))


def eligibility_table(catalogue: Catalogue, policies: dict[str, Any]) -> dict[str, Any]:
    """The support types as a ``shared.eligibility`` policy table (one entry per type id)."""
    by_id = {p["id"]: p for p in policies["policies"]}
    rows = []
    for t in catalogue.data["support_types"]:
        src = by_id[t["policy_id"]] if t.get("policy_id") else t["eligible"]
        rows.append({"id": t["id"], "statuses": list(src["statuses"]), "escaped_window": src.get("escaped_window"),
                     "label": t["label"]})
    return {"windows_months": dict(policies["windows_months"]), "policies": rows}


@dataclass(frozen=True)
class NeedSuggestion:
    need_type: str
    member_id: str | None
    person_name: str | None
    reason_vi: str
    reason_en: str


def suggest_needs(doc: dict[str, Any], deprived: Iterable[str] = ()) -> list[NeedSuggestion]:
    """Needs a household's answers show (one per member for person needs), in a stable order.
    ``deprived``: the keys of the indicators the classification found deprived (any standard)."""
    out: list[NeedSuggestion] = []
    day = parse_date(doc.get("collected_at"))
    lo, hi = SCHOOL_AGE
    for m in doc.get("members") or ():
        if not isinstance(m, dict):
            continue
        mid, name = m.get("member_id"), m.get("full_name")
        age = age_on(m, day) if day else None
        if m.get("health_insurance") is False:
            out.append(NeedSuggestion("health_insurance", mid, name, "Phiếu rà soát: chưa có thẻ BHYT",
                                      "Review form: no health insurance"))
        if m.get("work_status") == "unemployed":
            out.append(NeedSuggestion("job", mid, name, "Phiếu rà soát: có khả năng, muốn làm việc nhưng chưa có việc",
                                      "Review form: able and willing to work, no job"))
        if age is not None and lo <= age <= hi and m.get("in_school") is False:
            out.append(NeedSuggestion("schooling", mid, name, f"Phiếu rà soát: {age} tuổi, không đi học",
                                      f"Review form: aged {age}, not in school"))
    keys = set(deprived)
    if keys & set(HOUSING_KEYS):
        out.append(NeedSuggestion("housing", None, None, "Kết quả rà soát: thiếu hụt chất lượng hoặc diện tích nhà ở",
                                  "Review result: deprived on housing quality or floor area"))
    if keys & set(INFORMATION_KEYS):
        out.append(NeedSuggestion("information", None, None, "Kết quả rà soát: thiếu hụt tiếp cận thông tin",
                                  "Review result: deprived on information"))
    return out
