"""A demo ward: the new Bãi Cháy ward of Quảng Ninh (since 1 July 2025 the former Bãi Cháy and Hùng
Thắng wards, NQ 1679/NQ-UBTVQH15 [S]; no district level), with residential groups of both former
wards, demo users and collaborators, and synthetic households. For demos and tests only."""
from __future__ import annotations

import datetime as dt
from typing import Any

from shared.synthetic import generate_ward

from .clock import iso, system_clock
from .cycle.demo import seed_cycle
from .cycle.rounds import close_round
from .db import Database
from .demo_work import failure, add_work
from .programme.demo import seed_programme
from .services import people
from .services.preload import preload_households
from .store import areas, audit

DEMO_WARD = {"province_code": "22", "ward_code": "BAICHAY", "name": "Phường Bãi Cháy", "area_type": "urban"}
# Residential groups as data: six of the former Bãi Cháy ward, three of the former Hùng Thắng ward
# (numbered on in the merged ward; the former ward in brackets).
DEMO_GROUPS = (tuple((f"KP0{i}", f"Khu phố {i} (Bãi Cháy cũ)") for i in range(1, 7))
               + tuple((f"KP0{i + 6}", f"Khu phố {i + 6} (Hùng Thắng cũ)") for i in range(1, 4)))
# Known demo passwords: printed by `rasoat seed-demo` / `rasoat serve --demo`. Never use outside a demo.
DEMO_USERS = (
    ("admin", "Quản trị (demo)", "admin", "admin-demo-2025"),
    ("officer", "Cán bộ văn hoá – xã hội phụ trách giảm nghèo (demo)", "officer", "officer-demo-2025"),
    ("viewer", "Mặt trận Tổ quốc (demo)", "viewer", "viewer-demo-2025"),
)
DEMO_COLLABORATORS = (
    ("Nguyễn Thị Hoa", "0912000001", ["KP01"]),
    ("Trần Văn Bình", "0912000002", ["KP02"]),
    ("Lê Thị Mai", "0912000003", ["KP03"]),
    ("Phạm Văn Dũng", "0912000004", ["KP04"]),
    ("Hoàng Thị Lan", "0912000005", ["KP05", "KP06"]),
    ("Vũ Thị Hằng", "0912000006", ["KP07", "KP08", "KP09"]),
)


def is_seeded(db: Database) -> bool:
    return db.value("SELECT 1 FROM wards WHERE ward_code = ?", (DEMO_WARD["ward_code"],)) is not None


def seed_demo(db: Database, households: int = 300, seed: int = 1, now: dt.datetime | None = None,
              cycle: bool | None = None) -> dict[str, Any]:
    """Create the demo ward, users, collaborators and ``households`` synthetic households.

    Does nothing (and says so) when the demo ward already exists. Synthetic
    households that fail validation are skipped and counted.

    ``cycle`` (default: on when ``now`` is not given, i.e. ``rasoat serve --demo`` / ``seed-demo``;
    tests pass ``now`` and keep the plain preload): the households come from last year's register
    (an XLSX imported through the real import path) and this year's periodic round is open and in
    progress, or the most recent one closed outside 1 September – 14 December (``server.cycle.demo``).
    """
    if cycle is None:
        cycle = now is None
    now = now or system_clock()
    if is_seeded(db):
        return {"seeded": False, "reason": "the demo ward already exists"}
    stamp = iso(now)
    with db.write() as conn:
        ward_id = areas.create_ward(conn, **DEMO_WARD)
        for code, name in DEMO_GROUPS:
            areas.create_group(conn, ward_id, code, name)
        audit.record(conn, stamp, "system", None, "demo.seed", "ward", DEMO_WARD["ward_code"])
    users = [people.create_user(db, u, name, role, pw, now) | {"password": pw} for u, name, role, pw in DEMO_USERS]
    collabs = [people.create_collaborator(db, name, phone, groups, now) for name, phone, groups in DEMO_COLLABORATORS]
    preload: dict[str, Any] = {"counts": {}, "rejected": []}
    if households and cycle:
        result = seed_cycle(db, households, seed, now, DEMO_WARD, tuple(c for c, _ in DEMO_GROUPS),
                            dict(DEMO_GROUPS), close=False)
        # the office's work in progress (issue 17), while the round is open (the tablets' part needs it);
        # one failing piece of it never stops the seed: it is named in "failed"
        failed: list[dict[str, str]] = []
        try:
            work = add_work(db, now)
            failed += work.get("failed", [])
        except Exception as exc:
            work = {"added": False}
            failed.append(failure("work", exc))
        if not result["cycle"]["in_window"]:     # the round of this review year is over: closed after its work
            result["cycle"]["round_status"] = close_round(db, result["cycle"]["round_id"], now)["status"]
        # a year of the plan carried out: partner accounts, needs, the Fund, deliveries of every body (issue 20)
        programme: dict[str, Any] = {"partners": []}
        try:
            year = db.value("SELECT year FROM review_rounds WHERE id = ?", (result["cycle"]["round_id"],))
            programme = seed_programme(db, now, year, seed)
        except Exception as exc:
            failed.append(failure("programme", exc))
        return {"seeded": True, "ward": DEMO_WARD, "groups": [c for c, _ in DEMO_GROUPS],
                "users": users + programme["partners"], "collaborators": collabs, "households": result["counts"],
                "cycle": result["cycle"], "work": work, "programme": programme, "skipped_invalid": 0,
                "failed": failed}
    if households:
        # The plain preload (tests, harness) keeps its long-standing shape: the six groups of the former
        # Bãi Cháy ward; the cycle demo (`make run`) fills all nine.
        docs = generate_ward(households, seed=seed, province_code=DEMO_WARD["province_code"],
                             ward_code=DEMO_WARD["ward_code"], groups=tuple(c for c, _ in DEMO_GROUPS[:6]),
                             area_type=DEMO_WARD["area_type"])
        preload = preload_households(db, docs, now)
    return {"seeded": True, "ward": DEMO_WARD, "groups": [c for c, _ in DEMO_GROUPS], "users": users,
            "collaborators": collabs, "households": preload["counts"], "skipped_invalid": len(preload["rejected"])}
