"""The demo ward's annual cycle, relative to today: last year's register generated as an XLSX from
the synthetic generator and run through the real import path, then this year's periodic round open
and in progress when today is inside 1 September – 14 December (else the most recent round,
surveyed and closed), with about 40% of households surveyed from the tablets' side up to today, a
few gone or split. The standards are those the date rule proposes for each year (2025: Quảng Ninh's
and the national 2022–2025; 2026: the national 2022–2025, in force through 2026)."""
from __future__ import annotations

import copy
import datetime as dt
import random
import tempfile
from pathlib import Path
from typing import Any

from shared.synthetic import generate_ward
from shared.validation import errors, validate

from ..clock import server_date
from ..register import low_income
from ..register.importer import household_id_for, import_file
from ..register.parse import RegisterRow
from ..services import ingest
from ..services.preload import all_groups_lookup
from . import rounds
from .synth import register_rows, write_register_xlsx

SECTIONS = ("address", "members", "housing", "water_sanitation", "information", "income")


def _envelope(doc: dict[str, Any], base: int | None, rng: random.Random) -> dict[str, Any]:
    return {"submission_id": str(__import__("uuid").UUID(int=rng.getrandbits(128), version=4)),
            "household_id": doc["household_id"], "revision": (base or 0) + 1, "base_revision": base,
            "form_version": doc["form_version"], "collected_at": doc["collected_at"],
            "device_time": doc["collected_at"] + "T18:00:00+07:00", "answers": doc}


def _low_income_requests(db: Any, now: dt.datetime, rng: random.Random, wanted: int = 4) -> int:
    """A few low-income worker requests from surveyed households just above the poverty line (the
    identification decides; some are refused, as in a real ward)."""
    rows = db.all("SELECT h.household_id, s.body FROM households h JOIN submissions s ON s.submission_id = h.submission_id "
                  "WHERE s.source = 'device' ORDER BY h.household_id")
    made = 0
    for hid, body in rows:
        doc = __import__("json").loads(body)["answers"]
        inc = doc.get("income") or {}
        members = [m for m in doc.get("members") or [] if m.get("work_status") in ("self_employed", "wage_contract",
                                                                                       "wage_no_contract")]
        per = sum(v for v in inc.values() if isinstance(v, (int, float))) / 12 / max(1, len(doc.get("members") or []))
        if not members or not 2_000_000 < per <= 3_300_000:
            continue
        day = server_date(now) - dt.timedelta(days=rng.randrange(1, 20))
        low_income.record_request(db, hid, members[0]["member_id"], rng.choice(("worker", "household")),
                                  day.isoformat(), now, "demo")
        made += 1
        if made >= wanted:
            break
    return made


def review_year(today: dt.date) -> int:
    """The periodic round a date belongs to: this year's from 1 September, else last year's."""
    return today.year if today >= dt.date(today.year, *rounds.PERIODIC_START) else today.year - 1


def seed_cycle(db: Any, households: int, seed: int, now: dt.datetime, ward: dict[str, Any],
               groups: tuple[str, ...], group_names: dict[str, str] | None = None,
               close: bool = True) -> dict[str, Any]:
    """Seed the register and the round (see the module). ``close`` False leaves a round outside its
    window open (``in_window`` in the answer says so): the caller adds the office's work through the
    tablets' side first, then closes it (``server.demo``)."""
    rng = random.Random(seed)
    today = server_date(now)
    round_year = review_year(today)
    register_year = round_year - 1
    starts, ends = rounds.default_dates("periodic", round_year, None)
    in_window = starts <= today <= ends
    last_day = min(today, ends)
    register_standards = rounds.suggested_standards(register_year, ward["province_code"])
    docs = generate_ward(households, seed=seed, province_code=ward["province_code"], ward_code=ward["ward_code"],
                         groups=groups, area_type=ward["area_type"], collected_from=dt.date(register_year, 9, 1),
                         collected_to=dt.date(register_year, 12, 14))
    rows = list(register_rows(docs, register_year, register_standards[0], seed=seed,
                              group_names=group_names or {g: g for g in groups}))
    with tempfile.TemporaryDirectory(prefix="rasoat-demo-") as tmp:
        path = write_register_xlsx(Path(tmp) / f"danh-sach-{register_year}.xlsx", rows,
                                   title=f"DANH SÁCH HỘ NGHÈO, HỘ CẬN NGHÈO NĂM {register_year}")
        report = import_file(db, path, now, ward_code=ward["ward_code"], year=register_year,
                             standards=register_standards)
    if not report.get("imported"):
        raise RuntimeError(f"demo register import failed: {report['problems'][:3]}")
    # this year's standards by the date rule (proposed when the round opens)
    rnd = rounds.open_round(db, "periodic", round_year, None, now, note="demo")
    # survey ~40% of the households of the register, as the tablets would send them
    find = all_groups_lookup(db)
    by_collab: dict[int, list[dict[str, Any]]] = {}
    assignments = {g: c for c, g in db.all("SELECT a.collaborator_id, g.code FROM assignments a "
                                           "JOIN area_groups g ON g.id = a.group_id")}
    surveyed = gone = split = 0
    for i, (doc, row) in enumerate(zip(docs, rows)):
        if rng.random() > 0.4:
            continue
        hid = household_id_for(RegisterRow(row=0, head_name="", group="", status="", household_code=row[1]),
                               ward["ward_code"])
        day = starts + dt.timedelta(days=rng.randrange(max(1, (last_day - starts).days + 1)))
        new = copy.deepcopy(doc)
        new.update(household_id=hid, collected_at=day.isoformat(), preloaded_from=f"register:{register_year}")
        if gone < households // 100 and rng.random() < 0.05:
            new = {"household_id": hid, "form_version": doc["form_version"], "collected_at": day.isoformat(),
                   "area": doc["area"], "preloaded_from": f"register:{register_year}",
                   "lifecycle": {"event": rng.choice(["moved_away", "dissolved"]), "note": "demo"}}
            gone += 1
        else:
            inc = new.get("income")
            if isinstance(inc, dict) and rng.random() < 0.3:
                inc["wages"] = int(inc.get("wages", 0) * rng.choice([0.6, 1.5, 2.0]))
            new["confirmations"] = {s: ("changed" if s == "income" else "unchanged") for s in SECTIONS}
            if errors(validate(new, today=now.date())):
                continue        # a year older, a member needs new answers: left for the collaborator
            surveyed += 1
        items = by_collab.setdefault(assignments[doc["area"]["group_code"]], [])
        items.append(_envelope(new, 1, rng))
        if split < households // 150 and rng.random() < 0.05 and "members" in new and len(new["members"]) > 2:
            child = copy.deepcopy(new)
            child.pop("preloaded_from", None)
            child.pop("confirmations", None)
            child["household_id"] = str(__import__("uuid").UUID(int=rng.getrandbits(128), version=4))
            moved = child["members"][-2:]
            for m in moved:
                m["relation"] = "other"
            moved[0]["relation"] = "head"
            child["members"] = moved
            child["lifecycle"] = {"event": "split_from", "related_household_id": hid}
            if errors(validate(child, today=now.date())):
                continue
            items.append(_envelope(child, None, rng))
            split += 1
    counts: dict[str, int] = {}
    for collab, items in by_collab.items():
        gids = frozenset(r[0] for r in db.all("SELECT group_id FROM assignments WHERE collaborator_id = ?", (collab,)))
        actor = ingest.Actor(source="device", collaborator_id=collab, allowed_group_ids=gids)
        for k in range(0, len(items), 100):
            for r in ingest.push(db, actor, find, items[k:k + 100], now):
                counts[r["status"]] = counts.get(r["status"], 0) + 1
    workers = _low_income_requests(db, now, rng)
    if not in_window and close:    # the round of this review year is over: closed after its survey
        rnd = rounds.close_round(db, rnd["id"], now)
    # "counts" as preload_households reports them (the households imported from the register)
    return {"counts": {"accepted": report["new_households"], "duplicate": 0, "conflict": 0, "rejected": 0},
            "cycle": {"register_year": register_year, "register_rows": report["rows"], "round": rnd["label_vi"],
                      "low_income_requests": workers,
                      "round_status": rnd["status"], "standards": rnd["standards"], "in_window": in_window,
                      "round_id": rnd["id"], "surveyed": surveyed, "gone": gone, "split_from": split,
                      "pushes": counts}}
