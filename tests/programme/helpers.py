"""Builders of the programme tests: households with known statuses, partner accounts, requests."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from server import auth
from server.history import status_history
from server.programme import partners as partner_service
from server.programme.scope import Scope
from server.services.preload import preload_households
from tests.factories import household, member
from tests.server.helpers import NOW

STANDARD = "vn-national-2022-2025"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Ward:
    poor: str             # poor since 2023 (KP01): every policy
    escaped: str          # escaped poverty on 20/12/2024 (KP01): programme windows
    escaped_kp02: str     # escaped near-poverty 2024 (KP02)
    other: str            # never on a list (KP01): no support type


def _hh(group: str, members: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    h = household(members, **kw)
    h["household_id"] = str(uuid.uuid4())
    h["area"]["group_code"] = group
    return h


def make_ward(db) -> Ward:
    poor = _hh("KP01", [member("m1", full_name="Trần Văn Nam", age=45),
                        member("m2", "spouse", 42, "female", full_name="Lê Thị Hoa", health_insurance=False),
                        member("m3", "child", 10, "female", full_name="Trần Thị Mai", in_school=False)],
               income_pp_month=1_000_000)
    escaped = _hh("KP01", [member("m1", full_name="Phạm Văn Đức", age=50, work_status="unemployed"),
                           member("m2", "child", 8, full_name="Phạm Minh Khôi")],
                  housing={"walls": "non_durable", "columns": "non_durable", "roof": "durable", "floor_area_m2": 30.0})
    kp02 = _hh("KP02", [member("m1", full_name="Đỗ Thị Lan", age=60, sex="female")])
    other = _hh("KP01", [member("m1", full_name="Vũ Văn Long", age=35)])
    docs = [poor, escaped, kp02, other]
    assert preload_households(db, docs, NOW)["counts"]["accepted"] == 4
    with db.write() as conn:
        for hid, status, day in ((poor["household_id"], "poor", "2023-12-20"),
                                 (escaped["household_id"], "poor", "2022-12-20"),
                                 (escaped["household_id"], "escaped_poverty", "2024-12-20"),
                                 (kp02["household_id"], "near_poor", "2022-12-20"),
                                 (kp02["household_id"], "escaped_near_poverty", "2024-12-20")):
            status_history.record(conn, hid, STANDARD, status, day, source="register", now="x", round_=int(day[:4]))
    return Ward(poor["household_id"], escaped["household_id"], kp02["household_id"], other["household_id"])


def make_partner(app, body: str, group: str | None = None, username: str | None = None) -> str:
    db = app.state.db
    admin_id = db.value("SELECT id FROM users WHERE username = 'admin'")
    scope = Scope(admin_id, "admin", "admin", "admin")
    from shared.programme import load_catalogue
    name = load_catalogue().label("body", body)
    made = partner_service.create(db, scope, {"username": username or "p-" + body.replace("_", "-"), "full_name": name,
                                              "password": "partner-pass-1", "body_id": body, "group_code": group},
                                  app.state.clock())
    with db.write() as conn:
        token, _ = auth.start_session(conn, made["id"], app.state.clock(), 12)
    return token


def delivery(**kw: Any) -> dict[str, Any]:
    d = {"support_type": "health_insurance_card", "delivered_on": "2025-11-05", "quantity": 1,
         "fund": "state_budget", "member_id": "m2", "evidence_no": "QĐ 12/2025"}
    d.update(kw)
    return d


def day(s: str) -> dt.date:
    return dt.date.fromisoformat(s)
