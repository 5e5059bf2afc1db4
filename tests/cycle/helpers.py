"""Builders of the cycle tests."""
from __future__ import annotations

import copy
import datetime as dt
import re
import uuid
from typing import Any

from shared import wire
from shared.synthetic import generate_ward
from shared.validation import errors, validate

from server.cycle.synth import register_rows, write_register_xlsx
from server.register.importer import household_id_for
from server.register.parse import RegisterRow

GROUPS = ("KP01", "KP02", "KP03", "KP04", "KP05", "KP06")
STANDARD = "qn-provincial-2023-2025"
SECTIONS = ("address", "members", "housing", "water_sanitation", "information", "income")


def ward_docs(n: int, seed: int = 3, year: int = 2024) -> list[dict[str, Any]]:
    return generate_ward(n, seed=seed, groups=GROUPS, collected_from=dt.date(year, 9, 1),
                         collected_to=dt.date(year, 12, 14))


def register_file(tmp_path, docs, year: int = 2024, name: str = "register.xlsx", classify: bool = True):
    rows = list(register_rows(docs, year, STANDARD, classify_docs=classify))
    return write_register_xlsx(tmp_path / name, rows), rows


def hid_of(row: tuple, ward: str = "BAICHAY") -> str:
    return household_id_for(RegisterRow(row=0, head_name="", group="", status="", household_code=row[1]), ward)


def table_rows(db) -> dict[str, list[tuple]]:
    """Every row of every table (the proof that a re-import changes nothing)."""
    out = {}
    for (name,) in db.all("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
        out[name] = [tuple(r) for r in db.all(f'SELECT * FROM "{name}" ORDER BY 1')]
    return out


RANDOM = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{64}")


def normalised_rows(db) -> dict[str, list[tuple]]:
    """Every table's rows with the random ids (submission and receipt uuid4s, the content hash, which
    covers the submission id, and device ids) replaced by a name made of what they belong to; rows
    sorted (their order followed the random ids)."""
    names = {}
    for sid, rid, hid, rev, sha, body in db.conn.execute(
            "SELECT submission_id, receipt_id, household_id, server_revision, content_hash, body FROM submissions"):
        assert sha == wire.sha256_hex(body)
        names[sid], names[rid], names[sha] = (f"<submission {hid}#{rev}>", f"<receipt {hid}#{rev}>",
                                              f"<hash {hid}#{rev}>")
    for rid, hid, sha in db.conn.execute("SELECT receipt_id, household_id, content_hash FROM submission_conflicts"):
        names[rid] = f"<conflict receipt {hid} {names.get(sha, sha)}>"
    for did, name in db.conn.execute("SELECT id, name FROM devices"):
        names[did] = f"<device {name}>"

    def norm(v):
        return RANDOM.sub(lambda m: names.get(m[0], m[0]), v) if isinstance(v, str) else v

    return {t: sorted((tuple(norm(v) for v in row) for row in rows), key=repr) for t, rows in table_rows(db).items()}


def survey(doc: dict[str, Any], hid: str, day: str = "2025-10-01", income_factor: float | None = None,
           **extra: Any) -> dict[str, Any]:
    """Last year's document re-collected in the round, every section confirmed."""
    new = copy.deepcopy(doc)
    new.update(household_id=hid, collected_at=day, preloaded_from="register:2024",
               confirmations={s: "unchanged" for s in SECTIONS})
    if income_factor is not None and isinstance(new.get("income"), dict):
        new["income"]["wages"] = int(new["income"].get("wages", 0) * income_factor)
        new["confirmations"]["income"] = "changed"
    new.update(extra)
    return new


def gone(doc: dict[str, Any], hid: str, event: str = "moved_away", day: str = "2025-10-01") -> dict[str, Any]:
    return {"household_id": hid, "form_version": doc["form_version"], "collected_at": day, "area": doc["area"],
            "preloaded_from": "register:2024", "lifecycle": {"event": event}}


def envelope(doc: dict[str, Any], base: int | None) -> dict[str, Any]:
    return {"submission_id": str(uuid.uuid4()), "household_id": doc["household_id"],
            "revision": (base or 0) + 1, "base_revision": base, "form_version": doc["form_version"],
            "collected_at": doc["collected_at"], "device_time": "2025-12-15T11:00:00+07:00", "answers": doc}


def is_valid(doc: dict[str, Any], today: dt.date = dt.date(2025, 12, 15)) -> bool:
    return not errors(validate(doc, today=today))
