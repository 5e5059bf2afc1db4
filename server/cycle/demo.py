"""The demo ward's annual cycle: last year's register (2024) generated as an XLSX from the synthetic
generator and run through the real import path, then the 2025 periodic round open and in progress
(about 40% of households surveyed from the tablets' side, a few gone or split)."""
from __future__ import annotations

import copy
import datetime as dt
import random
import tempfile
from pathlib import Path
from typing import Any

from shared.synthetic import generate_ward
from shared.validation import errors, validate

from ..services import ingest
from ..services.preload import all_groups_lookup
from ..register.importer import household_id_for, import_file
from ..register.parse import RegisterRow
from . import rounds
from .synth import register_rows, write_register_xlsx

REGISTER_YEAR, ROUND_YEAR = 2024, 2025
STANDARDS = ("qn-provincial-2023-2025", "vn-national-2022-2025")
SECTIONS = ("address", "members", "housing", "water_sanitation", "information", "income")


def _envelope(doc: dict[str, Any], base: int | None, rng: random.Random) -> dict[str, Any]:
    return {"submission_id": str(__import__("uuid").UUID(int=rng.getrandbits(128), version=4)),
            "household_id": doc["household_id"], "revision": (base or 0) + 1, "base_revision": base,
            "form_version": doc["form_version"], "collected_at": doc["collected_at"],
            "device_time": doc["collected_at"] + "T18:00:00+07:00", "answers": doc}


def seed_cycle(db: Any, households: int, seed: int, now: dt.datetime, ward: dict[str, Any],
               groups: tuple[str, ...]) -> dict[str, Any]:
    rng = random.Random(seed)
    docs = generate_ward(households, seed=seed, province_code=ward["province_code"], ward_code=ward["ward_code"],
                         groups=groups, area_type=ward["area_type"], collected_from=dt.date(REGISTER_YEAR, 9, 1),
                         collected_to=dt.date(REGISTER_YEAR, 12, 14))
    rows = list(register_rows(docs, REGISTER_YEAR, STANDARDS[0], seed=seed,
                              group_names={g: f"Khu phố {int(g[-2:])}" for g in groups}))
    with tempfile.TemporaryDirectory(prefix="rasoat-demo-") as tmp:
        path = write_register_xlsx(Path(tmp) / f"danh-sach-{REGISTER_YEAR}.xlsx", rows,
                                   title=f"DANH SÁCH HỘ NGHÈO, HỘ CẬN NGHÈO NĂM {REGISTER_YEAR}")
        report = import_file(db, path, now, ward_code=ward["ward_code"], year=REGISTER_YEAR, standards=list(STANDARDS))
    if not report.get("imported"):
        raise RuntimeError(f"demo register import failed: {report['problems'][:3]}")
    rnd = rounds.open_round(db, "periodic", ROUND_YEAR, list(STANDARDS), now, note="demo")
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
        day = dt.date(ROUND_YEAR, 9, 3) + dt.timedelta(days=rng.randrange(80))
        new = copy.deepcopy(doc)
        new.update(household_id=hid, collected_at=day.isoformat(), preloaded_from=f"register:{REGISTER_YEAR}")
        if gone < households // 100 and rng.random() < 0.05:
            new = {"household_id": hid, "form_version": doc["form_version"], "collected_at": day.isoformat(),
                   "area": doc["area"], "preloaded_from": f"register:{REGISTER_YEAR}",
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
    # "counts" as preload_households reports them (the households imported from the register)
    return {"counts": {"accepted": report["new_households"], "duplicate": 0, "conflict": 0, "rejected": 0},
            "cycle": {"register_year": REGISTER_YEAR, "register_rows": report["rows"], "round": rnd["label_vi"],
                      "round_id": rnd["id"], "surveyed": surveyed, "gone": gone, "split_from": split,
                      "pushes": counts}}
