"""Work waiting in the demo ward, so every console screen shows its job on the first visit.

On top of the seeded round (``server.cycle.demo``: last year's register imported, the round open,
part of the ward surveyed from the tablets' side), the ward office has been at work:

* most forms of the first three residential groups are reviewed and accepted (each audited);
  the other groups' forms wait in the review queue;
* the first group held its community meeting: every household's result stood but one, which went
  back to its collaborator (< 50 % agreed) — a returned household; its lists are posted, and a
  resident filed a complaint not yet re-checked;
* the second group has accepted households waiting for their meeting; the third group's meeting
  was held yesterday and its votes are still to be recorded;
* the officer returned one form for a missing health-insurance number;
* a few households were collected twice (a second visit under a slightly different name, no phone,
  a house-number suffix): pairs wait in the duplicates queue.

Everything goes through the same services the console uses (review, process, returns, ingest),
dated relative to ``now``. For demos only.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import random
import uuid
from typing import Any

from shared import wire

from .auth import UserPrincipal
from .clock import iso, server_date
from .db import Database
from .process import review, service as process_service
from .services import ingest, returns as returns_service
from .services.preload import all_groups_lookup
from .store import audit, facts

log = logging.getLogger("rasoat.demo")

DUPLICATES = 4


STEPS_VI = {
    "settings": "tên chủ tịch ký văn bản", "changes": "thay đổi thu nhập của năm nay",
    "review": "duyệt phiếu", "meeting": "họp dân, niêm yết và khiếu nại",
    "return": "trả phiếu cho cộng tác viên", "conflict": "xung đột giữa hai máy tính bảng",
    "duplicates": "hồ sơ có thể trùng", "standard": "chuẩn nghèo của đợt", "counts": "đếm việc đang chờ",
    "work": "công việc của phường", "pending_meeting": "cuộc họp chưa ghi biểu quyết", "programme": "một năm thực hiện chương trình giảm nghèo",
}


def _officer(db: Database) -> UserPrincipal:
    r = db.one("SELECT id, username, full_name, role FROM users WHERE role = 'officer' AND active = 1 ORDER BY id")
    if r is None:
        raise RuntimeError("the demo has no officer")
    return UserPrincipal(id=r["id"], username=r["username"], full_name=r["full_name"], role=r["role"])


def _standard(db: Database, year: int) -> str:
    return process_service.standard_choices(db.conn, year)[0]["id"]


def _round(db: Database, today: dt.date) -> Any:
    """The seeded round: the open one, else the latest periodic round already begun."""
    return db.one("SELECT year, starts_on, ends_on FROM review_rounds WHERE status = 'open' OR "
                  "(kind = 'periodic' AND starts_on <= ?) ORDER BY status = 'open' DESC, kind = 'periodic' DESC, "
                  "year DESC, id DESC LIMIT 1", (today.isoformat(),))


def failure(step: str, exc: BaseException) -> dict[str, str]:
    msg = getattr(exc, "message_vi", None) or str(exc) or type(exc).__name__
    return {"step": step, "vi": f"Không tạo được phần demo «{STEPS_VI.get(step, step)}»: {msg}",
            "en": f"demo work '{step}' was not added: {getattr(exc, 'message', None) or exc!r}"}


def add_work(db: Database, now: dt.datetime, seed: int = 7) -> dict[str, Any]:
    """Add the office's work in progress to a seeded demo ward; returns what it did (counts, ids).

    Whatever today is: the work is dated up to now and never before the seeded round's first day
    (collection dates inside the round's dates), and the tablets' part (changed incomes, a conflict, duplicate
    visits) needs that round still open — ``server.demo`` closes a round past its window only after
    this. A second call does nothing (``added`` False). Each piece of work is independent: one that
    fails is reported in ``failed`` (a Vietnamese and an English sentence naming it) and the others
    are still added."""
    if db.value("SELECT 1 FROM audit_log WHERE action = 'demo.work' LIMIT 1"):
        return {"added": False, "reason": "the demo work was already added", "failed": []}
    rng = random.Random(seed)
    officer = _officer(db)
    today = server_date(now)
    rnd = _round(db, today)
    year = rnd["year"] if rnd else today.year
    # work is dated up to now, never before the round's first day; collection dates stay inside the
    # round's dates (a round past its window is the office's late work on it)
    first_day = dt.date.fromisoformat(rnd["starts_on"]) if rnd and rnd["starts_on"] else today
    last_day = dt.date.fromisoformat(rnd["ends_on"]) if rnd and rnd["ends_on"] else today
    floor = dt.datetime.combine(first_day, dt.time(8, 0), tzinfo=now.tzinfo)

    def ago(days: float) -> dt.datetime:
        """``days`` before now, never before the round's first day."""
        return min(now, max(floor, now - dt.timedelta(days=days)))

    def collected(days: int) -> dt.date:
        """A collection date ``days`` before today, inside the round's dates."""
        return max(first_day, min(last_day, today - dt.timedelta(days=days)))

    groups = [r["code"] for r in db.all("SELECT code FROM area_groups ORDER BY code")]
    out: dict[str, Any] = {"added": True, "round": year, "standard_id": None, "failed": [],
                           "changed": 0, "accepted": 0, "meeting_id": None, "posting_id": None,
                           "complaint_id": None, "returned_by_meeting": None, "returned_by_officer": None,
                           "pending_meeting_id": None,
                           "conflict": None, "duplicate_pairs": 0, "awaiting_meeting": {}, "waiting_review": 0}

    def step(name: str, fn: Any) -> None:
        try:
            fn()
        except Exception as exc:        # one piece of demo work never stops the others
            log.warning("demo work %s failed", name, exc_info=True)
            out["failed"].append(failure(name, exc))

    def standard() -> None:
        out["standard_id"] = _standard(db, year)
    step("standard", standard)
    std = out["standard_id"]
    # the ward chair who signs (a process setting: documents and report sheets print the name)
    step("settings", lambda: process_service.update_settings(db, officer, {"chair_name": "Nguyễn Văn An (demo)"},
                                                              ago(9)))
    # 0. this year's changes the meetings must discuss: in the first three groups, households on last
    #    year's lists whose income rose (escaping) and others whose income fell (new poor, near-poor)
    changed: set[str] = set()
    step("changes", lambda: out.update(changed=_changes(db, ago, collected, rng, groups[:3], changed)))
    # 1. review: accept the forms of the first three groups, leaving a few of each in the queue (the
    #    changed ones accepted first: they are what the meetings, the posting and the decision are about)
    step("review", lambda: out.update(accepted=_review(db, officer, ago(8), groups[:3], changed)))
    # 2. the first group's meeting: all stand but one (sent back), then its lists are posted
    if std:
        step("meeting", lambda: out.update(_meeting(db, officer, year, std, groups[0], ago, rng)))
    # 2b. the third group's meeting is held, its votes not yet recorded (the second group still waits)
    if std and len(groups) > 2:
        step("pending_meeting", lambda: out.update(pending_meeting_id=_pending_meeting(db, officer, year, std,
                                                                                     groups[2], ago)))
    # 3. one form returned by the officer from the review queue (a later group)
    step("return", lambda: out.update(returned_by_officer=_return(db, officer, groups[min(3, len(groups) - 1)],
                                                                   ago(1))))
    # 4. a conflict: two tablets edited the same household from the same revision
    step("conflict", lambda: out.update(conflict=_conflict(db, ago, collected, rng, groups[4:] or groups)))
    # 5. households collected twice: pairs for the duplicates queue
    step("duplicates", lambda: out.update(duplicate_pairs=_duplicates(db, ago, collected, rng, groups[3:] or groups)))

    def counts() -> None:
        if std:
            out["awaiting_meeting"] = {g: len(process_service.candidates(db, year, std, g)) for g in groups[1:3]}
        out["waiting_review"] = db.value(
            "SELECT COUNT(*) FROM households h WHERE h.status = 'submitted' AND NOT EXISTS "
            "(SELECT 1 FROM review_decisions r WHERE r.submission_id = h.submission_id)")
    step("counts", counts)
    with db.write() as conn:
        audit.record(conn, iso(now), "system", None, "demo.work", "round", year,
                     {"failed": [f["step"] for f in out["failed"]]})
    return out


def _review(db: Database, officer: UserPrincipal, when: dt.datetime, groups: list[str],
            first: set[str] | frozenset[str] = frozenset()) -> int:
    accepted = 0
    for code in groups:
        rows = db.all("SELECT h.household_id, h.submission_id FROM households h JOIN area_groups g ON g.id = h.group_id "
                      "WHERE g.code = ? AND h.status = 'submitted' AND h.needs_review = 0 ORDER BY h.household_id",
                      (code,))
        rows.sort(key=lambda r: r["household_id"] in first)     # ``first`` last: never left waiting
        keep = max(2, len(rows) // 8)
        take = rows[keep:]
        accepted += sum(o.accepted for o in review.accept_many(
            db, officer, [(r["household_id"], r["submission_id"]) for r in take], when))
    return accepted


def _meeting(db: Database, officer: UserPrincipal, year: int, std: str, group: str, ago: Any,
             rng: random.Random) -> dict[str, Any]:
    facts.refresh(db)
    out: dict[str, Any] = {}
    if not process_service.candidates(db, year, std, group):
        raise RuntimeError(f"không có hộ nào của {group} chờ họp dân / no household of {group} awaits its meeting")
    held = ago(6)
    m = process_service.create_meeting(db, officer, year, std, group, server_date(held), held,
                                       location=f"Nhà văn hóa {group}", chair_name="Trần Văn Thành",
                                       front_representative="Lê Thị Hạnh", secretary_name="Phạm Thu Trang")
    out["meeting_id"] = m["id"]
    votes = {it["household_id"]: 31 for it in m["items"]}
    if len(m["items"]) > 1:
        out["returned_by_meeting"] = m["items"][-1]["household_id"]
        votes[out["returned_by_meeting"]] = 14          # 14 of 36: below half, back to the collaborator
    process_service.record_votes(db, officer, m["id"], 36, votes, held)
    posted_at = max(ago(2), min(ago(0), held + dt.timedelta(minutes=30)))
    p = process_service.create_posting(db, officer, year, std, group, server_date(posted_at), posted_at)
    out["posting_id"] = p["id"]
    posted = db.all("SELECT household_id, head_name FROM posting_items WHERE posting_id = ? ORDER BY seq",
                    (p["id"],))
    if posted:
        # a complaint on one posted household; with three or more, another stands settled for the decision
        target = posted[rng.randrange(len(posted))] if len(posted) < 3 else posted[rng.randrange(len(posted) - 1)]
        filed = max(posted_at, min(ago(0), posted_at + dt.timedelta(minutes=30)))
        c = process_service.record_complaint(
            db, officer, year, target["household_id"], server_date(filed), "Nguyễn Văn Phúc (tổ trưởng tổ 3)",
            f"Đề nghị xem lại thu nhập của hộ {target['head_name']}: hộ mới mua xe máy và mở quán ăn.",
            filed, p["id"])
        out["complaint_id"] = c["id"]
    return out


def _pending_meeting(db: Database, officer: UserPrincipal, year: int, std: str, group: str, ago: Any) -> int | None:
    facts.refresh(db)
    if not process_service.candidates(db, year, std, group):
        return None
    held = ago(1)
    m = process_service.create_meeting(db, officer, year, std, group, server_date(held), held,
                                       location=f"Nhà văn hóa {group}", chair_name="Đỗ Văn Hùng")
    return m["id"]


def _return(db: Database, officer: UserPrincipal, group: str, when: dt.datetime) -> str | None:
    later = db.one("SELECT h.household_id, h.submission_id FROM households h JOIN area_groups g ON g.id = h.group_id "
                   "WHERE g.code = ? AND h.status = 'submitted' AND h.needs_review = 0 ORDER BY h.household_id",
                   (group,))
    if not later:
        return None
    returns_service.return_household(db, officer, later["household_id"],
                                     "Thiếu thông tin BHYT của thành viên: ghi số thẻ BHYT của người thứ hai",
                                     when, later["submission_id"])
    return later["household_id"]


def _push(db: Database, collaborator_id: int, envelopes: list[dict[str, Any]], now: dt.datetime) -> list[dict]:
    gids = frozenset(x[0] for x in db.all("SELECT group_id FROM assignments WHERE collaborator_id = ?",
                                           (collaborator_id,)))
    actor = ingest.Actor(source="device", collaborator_id=collaborator_id, allowed_group_ids=gids)
    return ingest.push(db, actor, all_groups_lookup(db), envelopes, now)


def _changes(db: Database, ago: Any, collected: Any, rng: random.Random, groups: list[str],
             changed: set[str], per_group: int = 3) -> int:
    """A new revision of a few surveyed households of each group, income changed by the collaborator."""

    made = 0
    for code in groups:
        rows = db.all("SELECT h.household_id, h.server_revision, s.body, a.collaborator_id, "
                      "(SELECT x.status FROM household_status_history x WHERE x.household_id = h.household_id "
                      " ORDER BY x.decision_date DESC, x.id DESC LIMIT 1) AS before "
                      "FROM households h JOIN area_groups g ON g.id = h.group_id "
                      "JOIN submissions s ON s.submission_id = h.submission_id "
                      "JOIN assignments a ON a.group_id = h.group_id "
                      "WHERE g.code = ? AND h.status = 'submitted' AND h.needs_review = 0 ORDER BY h.household_id",
                      (code,))
        rng.shuffle(rows)
        up = [r for r in rows if r["before"] in ("poor", "near_poor")][:per_group - 1]
        down = [r for r in rows if r["before"] not in ("poor", "near_poor")][:per_group]
        for r, factor in [*((x, 4.0) for x in up), *((x, 0.08) for x in down)]:
            doc = copy.deepcopy(wire.submission_document(json.loads(r["body"])) or {})
            inc = doc.get("income")
            if not isinstance(inc, dict):
                continue
            for k, v in list(inc.items()):
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    inc[k] = int(v * factor)
            if factor < 1:
                inc["wages"] = min(int(inc.get("wages") or 0), 6_000_000)
            doc["collected_at"] = collected(12).isoformat()
            env = {"submission_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                   "household_id": r["household_id"], "revision": int(r["server_revision"]) + 1,
                   "base_revision": int(r["server_revision"]), "form_version": doc.get("form_version"),
                   "collected_at": doc["collected_at"], "device_time": doc["collected_at"] + "T09:30:00+07:00",
                   "answers": doc}
            [res] = _push(db, r["collaborator_id"], [env], ago(12))
            if res.get("status") == "accepted":
                made += 1
                changed.add(r["household_id"])
    return made


def _conflict(db: Database, ago: Any, collected: Any, rng: random.Random, groups: list[str]) -> str | None:
    """Two new revisions of one household on the same base: the second is held as a conflict."""

    marks = ",".join("?" * len(groups))
    r = db.one(f"SELECT h.household_id, h.server_revision, s.body, a.collaborator_id FROM households h "
               f"JOIN area_groups g ON g.id = h.group_id JOIN submissions s ON s.submission_id = h.submission_id "
               f"JOIN assignments a ON a.group_id = h.group_id "
               f"WHERE g.code IN ({marks}) AND h.status = 'submitted' AND h.needs_review = 0 "
               f"ORDER BY h.household_id DESC", groups)
    if r is None:
        return None
    base = int(r["server_revision"])
    day = collected(4).isoformat()
    doc = wire.submission_document(json.loads(r["body"])) or {}
    first, second = copy.deepcopy(doc), copy.deepcopy(doc)
    first["phone"] = "0912 345 678"
    second["notes"] = "Hộ báo có thêm con nhỏ, cần kiểm tra lại"
    if isinstance(second.get("housing"), dict):
        area = second["housing"].get("floor_area_m2")
        second["housing"]["floor_area_m2"] = (float(area) if isinstance(area, (int, float)) else 30.0) + 6.5
    for d in (first, second):
        d["collected_at"] = day
    envs = [{"submission_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "household_id": r["household_id"],
             "revision": base + 1, "base_revision": base, "form_version": d.get("form_version"), "collected_at": day,
             "device_time": day + "T10:00:00+07:00", "answers": d} for d in (first, second)]
    results = [_push(db, r["collaborator_id"], [e], ago(4))[0] for e in envs]
    return r["household_id"] if results[-1].get("status") == "conflict" else None


def _duplicates(db: Database, ago: Any, collected: Any, rng: random.Random, groups: list[str]) -> int:
    """A second visit to a few households, recorded as new households: the head's name typed without
    some diacritics, no phone, no citizen IDs, two members, a suffix on the house number."""

    marks = ",".join("?" * len(groups))
    rows = db.all(f"SELECT h.household_id, s.body, a.collaborator_id FROM households h "
                  f"JOIN area_groups g ON g.id = h.group_id JOIN submissions s ON s.submission_id = h.submission_id "
                  f"JOIN assignments a ON a.group_id = h.group_id "
                  f"WHERE g.code IN ({marks}) AND h.status = 'submitted' ORDER BY h.household_id", groups)
    rng.shuffle(rows)
    made = 0
    for r in rows:
        if made >= DUPLICATES:
            break
        doc = copy.deepcopy(wire.submission_document(json.loads(r["body"])) or {})
        members = doc.get("members") or []
        if len(members) < 2 or not isinstance(doc.get("address"), dict):
            continue
        doc["household_id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        doc.pop("phone", None)
        doc.pop("preloaded_from", None)
        doc.pop("confirmations", None)
        doc.pop("lifecycle", None)
        doc["members"] = copy.deepcopy(members[:2])
        for m in doc["members"]:
            m["member_id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            m.pop("citizen_id", None)
        head = doc["members"][0]
        head["full_name"] = _drop_some_marks(str(head.get("full_name") or ""))
        doc["address"]["house_number"] = str(doc["address"].get("house_number") or "7") + "B"
        day = collected(3)
        doc["collected_at"] = day.isoformat()
        envelope = {"submission_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "household_id": doc["household_id"], "revision": 1, "base_revision": None,
                    "form_version": doc.get("form_version"), "collected_at": doc["collected_at"],
                    "device_time": doc["collected_at"] + "T16:00:00+07:00", "answers": doc}
        [res] = _push(db, r["collaborator_id"], [envelope], ago(0))
        if res.get("status") != "accepted":
            continue
        if db.value("SELECT COUNT(*) FROM dedup_candidates WHERE status = 'open' AND (a = ? OR b = ?)",
                    (doc["household_id"], doc["household_id"])):
            made += 1
    return made


def _drop_some_marks(name: str) -> str:
    """"Nguyễn Thị Hoa" → "Nguyen Thị Hoa": the family name typed without its marks."""
    import unicodedata
    parts = name.split()
    if not parts:
        return name
    plain = unicodedata.normalize("NFD", parts[0])
    parts[0] = unicodedata.normalize("NFC", "".join(ch for ch in plain if not unicodedata.combining(ch))
                                     ).replace("Đ", "D").replace("đ", "d")
    return " ".join(parts)
