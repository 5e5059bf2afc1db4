"""Helpers shared by the tablet tests: answers typed the way a collaborator types them."""
from __future__ import annotations

from typing import Any

# (path, value): strings are typed text; other values are taps (choices, yes/no).
HOUSEHOLD_ANSWERS: list[tuple[str, Any]] = [
    ("area.province_code", "22"), ("area.ward_code", "BAICHAY"), ("area.area_type", "urban"),
    ("address.house_number", "45/2"), ("address.street", "Vườn Đào"), ("phone", "0912 345 678"),
    ("livelihood", "fishery"),
    ("housing.walls", "non_durable"), ("housing.columns", "durable"), ("housing.roof", "non_durable"),
    ("housing.floor_area_m2", "28"),
    ("water_source", "drilled_well"), ("latrine", "open_pit"), ("waste_treatment", "collected"),
    ("telecom_use", True), ("info_devices", ["smartphone"]), ("internet_access", True), ("digital_services", True),
    ("income.wages", "30.000.000"), ("income.farming_net", "24000000"), ("income.business", "0"),
]

MEMBERS: list[list[tuple[str, Any]]] = [
    [("full_name", "Trần Văn Hùng"), ("relation", "head"), ("sex", "male"), ("birth_date", "14/03/1971"),
     ("citizen_id", "022071004512"), ("health_insurance", True), ("qualification", "lower_secondary"),
     ("work_status", "wage_no_contract")],
    [("full_name", "Nguyễn Thị Lan"), ("relation", "spouse"), ("sex", "female"), ("birth_year", "1975"),
     ("health_insurance", False), ("qualification", "primary"), ("work_status", "self_employed")],
    [("full_name", "Trần Thị Thư"), ("relation", "child"), ("sex", "female"), ("birth_date", "01/06/2012"),
     ("health_insurance", True), ("in_school", False), ("qualification", "primary"), ("nutrition", "normal")],
]


def fill_household(coll, hid: str, members: int = 3) -> None:
    for path, value in HOUSEHOLD_ANSWERS:
        coll.set_answer(hid, path, value)
    for answers in MEMBERS[:members]:
        i = coll.add_member(hid)
        for name, value in answers:
            coll.set_answer(hid, f"members[{i}].{name}", value)


def fill_disk(conn) -> None:
    """Make SQLite report "database or disk is full": cap the file at its size, then fill every free byte."""
    import sqlite3
    conn.execute("CREATE TABLE filler (x BLOB)")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    for size in (4000, 1000, 200, 50, 10, 1):
        while True:
            try:
                conn.execute("INSERT INTO filler VALUES (zeroblob(?))", (size,))
            except sqlite3.OperationalError:
                break
