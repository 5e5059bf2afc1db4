"""Builders for process/report tests: households preloaded into the demo ward, whole rounds."""
from __future__ import annotations

import datetime as dt
from typing import Any

from shared import wire
from shared.synthetic import generate_ward
from shared.validation import errors, validate

from server.auth import UserPrincipal
from server.db import Database
from server.process import review, service
from server.services.preload import preload_households

OFFICER = UserPrincipal(id=2, username="officer", full_name="Cán bộ (demo)", role="officer")
QN = "qn-provincial-2023-2025"
NATIONAL = "vn-national-2022-2025"
GROUPS = ("KP01", "KP02", "KP03", "KP04", "KP05", "KP06")


def at(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, 12, 0, tzinfo=wire.VN_TZ)


def valid_docs(n: int, seed: int, year: int = 2025, groups: tuple[str, ...] = GROUPS) -> list[dict[str, Any]]:
    today = dt.date(year, 12, 15)
    out: list[dict[str, Any]] = []
    batch = 0
    while len(out) < n:
        for h in generate_ward(n * 2, seed=seed * 100 + batch, groups=groups,
                               collected_from=dt.date(year, 9, 1), collected_to=dt.date(year, 12, 14)):
            if not errors(validate(h, today=today)):
                out.append(h)
                if len(out) == n:
                    break
        batch += 1
    for i, h in enumerate(out):   # even spread over the groups
        h["area"]["group_code"] = groups[i % len(groups)]
    return out


def load(db: Database, docs: list[dict[str, Any]], now: dt.datetime, accept: bool = True) -> None:
    """Store the households; ``accept``: as reviewed and accepted by the officer (the process takes
    only accepted households), else they wait as last round's answers."""
    res = preload_households(db, docs, now)
    assert res["counts"]["rejected"] == 0, res["rejected"][:2]
    if accept:
        review.accept_all_current(db, OFFICER, now, [d["household_id"] for d in docs])


def run_round(db: Database, round_: int, standard_id: str, decision_day: dt.date, now: dt.datetime,
              agree_all: bool = True) -> dict[str, Any]:
    """Meet in every group (everyone agrees), then issue the decision."""
    for g in GROUPS:
        if service.candidates(db, round_, standard_id, g):
            m = service.create_meeting(db, OFFICER, round_, standard_id, g, decision_day - dt.timedelta(days=20), now)
            service.record_votes(db, OFFICER, m["id"], 30, {it["household_id"]: 30 for it in m["items"]}, now)
    return service.create_decision(db, OFFICER, round_, standard_id, f"{round_}/QĐ-UBND-{standard_id[:2]}",
                                   decision_day, "Nguyễn Văn Chủ", "Chủ tịch UBND phường", now)


def two_year_ward(db: Database, n: int = 240, standard_id: str = QN, seed: int = 5) -> dict[str, Any]:
    """Round 2024 (everyone new) recognised, then the same households re-collected in 2025 with new
    answers (same ids), round 2025 met and recognised."""
    year1 = valid_docs(n, seed, 2024)
    load(db, year1, at(2024, 12, 15))
    d1 = run_round(db, 2024, standard_id, dt.date(2024, 12, 10), at(2024, 12, 15))
    year2 = valid_docs(n, seed + 1, 2025)
    for old, new in zip(year1, year2):
        new["household_id"] = old["household_id"]
        new["area"]["group_code"] = old["area"]["group_code"]
    load(db, year2, at(2025, 12, 15))
    return {"decision_2024": d1, "ids": [h["household_id"] for h in year1]}
