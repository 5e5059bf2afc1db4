"""Small builders of household documents for tests: valid, not deprived, urban."""
from __future__ import annotations

import copy
from typing import Any

REF = "2025-10-01"


def member(member_id: str = "m1", relation: str = "head", age: int = 40, sex: str = "male",
           **kw: Any) -> dict[str, Any]:
    """A member not deprived on anything, of completed age ``age`` on REF (birth year only)."""
    m: dict[str, Any] = {"member_id": member_id, "full_name": kw.pop("full_name", "Nguyễn Văn An"),
                         "relation": relation, "sex": sex, "birth_year": 2025 - age,
                         "health_insurance": True}
    if 3 <= age <= 30:
        m["in_school"] = age < 18
    if age >= 10:
        m["qualification"] = "primary" if age < 16 else ("lower_secondary" if age < 18 else "upper_secondary")
    if age >= 15:
        m["work_status"] = "student" if m.get("in_school") else "wage_contract"
    if age < 16:
        m["nutrition"] = "normal"
    m.update(kw)
    return m


def household(members: list[dict[str, Any]] | None = None, income_pp_month: int | None = 5_000_000,
              area_type: str = "urban", province_code: str = "22", **kw: Any) -> dict[str, Any]:
    ms = members if members is not None else [member()]
    h: dict[str, Any] = {
        "household_id": "7f1c1d2e-0000-4000-8000-000000000001",
        "form_version": "2025.1",
        "collected_at": REF,
        "area": {"province_code": province_code, "ward_code": "BAICHAY", "group_code": "KP01",
                 "area_type": area_type},
        "address": {"house_number": "12/3A", "street": "Hạ Long"},
        "members": ms,
        "housing": {"walls": "durable", "columns": "durable", "roof": "durable", "floor_area_m2": 20.0 * len(ms)},
        "water_source": "piped",
        "latrine": "septic",
        "telecom_use": True,
        "info_devices": ["tv", "smartphone"],
    }
    if income_pp_month is not None:
        h["income"] = {"wages": income_pp_month * 12 * len(ms), "farming_net": 0, "business": 0}
    for key, value in kw.items():
        h[key] = value
    return copy.deepcopy(h)
