"""Small household documents for dedup tests."""
from __future__ import annotations

import copy
from typing import Any


def person(name: str, relation: str = "head", year: int = 1970, sex: str = "male", cid: str | None = None,
           member_id: str = "m1") -> dict[str, Any]:
    m: dict[str, Any] = {"member_id": member_id, "full_name": name, "relation": relation, "sex": sex,
                         "birth_year": year}
    if cid:
        m["citizen_id"] = cid
    return m


def house(hid: str, members: list[dict[str, Any]], number: str | None = "12/3", street: str | None = "Hạ Long",
          phone: str | None = "0912345678", year: int = 2025, ward: str = "W001", group: str = "KP01") -> dict[str, Any]:
    address = {}
    if number is not None:
        address["house_number"] = number
    if street is not None:
        address["street"] = street
    doc: dict[str, Any] = {"household_id": hid, "collected_at": f"{year}-10-01",
                           "area": {"province_code": "22", "ward_code": ward, "group_code": group},
                           "address": address, "members": copy.deepcopy(members)}
    if phone is not None:
        doc["phone"] = phone
    return doc


FAMILY = [
    person("Nguyễn Văn Hùng", "head", 1968, "male", "022068001234", "m1"),
    person("Trần Thị Lan", "spouse", 1971, "female", "022171004321", "m2"),
    person("Nguyễn Văn Minh", "child", 1995, "male", "022095007777", "m3"),
    person("Nguyễn Thị Thu", "child", 2001, "female", None, "m4"),
]
