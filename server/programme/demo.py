"""The demo ward's year of the plan carried out (issue 20): an account per responsible body, needs read from
the review and noted door to door, a Fund for the Poor campaign with its contributions, and deliveries from
every body spread over the twelve months before today — a few corrected, one voided — all written through
the same services as the console (so every entry is audited and checked for eligibility).

Amounts are demo figures chosen to look ordinary, not rates or ceilings of any policy (none is bundled).
"""
from __future__ import annotations

import datetime as dt
import random
from typing import Any

from .. import auth
from ..clock import server_date
from ..db import Database
from ..errors import ApiError
from . import eligible, fund, households, ledger, needs, partners
from .scope import Scope

PARTNER_PASSWORD = "doitac-demo-2025"
PARTNER_USERS = (   # username, full name, body, group
    ("ldtbxh", "Bộ phận LĐ-TB&XH (demo)", "labour_social", None),
    ("vhtt", "Bộ phận Văn hóa - Thông tin (demo)", "culture_info", None),
    ("truonghoc", "Trường TH&THCS Bãi Cháy (demo)", "schools", None),
    ("tramyte", "Trạm Y tế phường (demo)", "health_station", None),
    ("nhcsxh", "Ngân hàng CSXH - điểm giao dịch (demo)", "social_policy_bank", None),
    ("tuphap", "Bộ phận Tư pháp (demo)", "justice", None),
    ("mttq", "Ủy ban MTTQ phường (demo)", "fatherland_front", None),
    ("kp01", "Khu phố 1 (demo)", "residential_groups", "KP01"),
)
DONORS = (("Công ty CP Du lịch Bãi Cháy", "business"), ("Ngân hàng TMCP chi nhánh Hạ Long", "business"),
          ("Hội Doanh nhân trẻ phường", "organisation"), ("Trường THPT Bãi Cháy", "unit"),
          ("Công đoàn cơ sở UBND phường", "unit"), ("Nhà hàng Hải Sản Biển Xanh", "business"),
          ("Chùa Long Tiên", "organisation"), ("Ông Nguyễn Văn Thắng", "person"), ("Bà Trần Thị Thu", "person"),
          ("Hội Cựu chiến binh phường", "organisation"), ("Khách sạn Hoàng Gia", "business"),
          ("Ông Lê Minh Tuấn", "person"), ("Chi đoàn thanh niên khu phố 3", "organisation"))
# (support type, how many deliveries, amount range in VND or None, quantity range)
PLAN = (
    ("livelihood_model", 6, (8_000_000, 20_000_000), (1, 1)),
    ("vocational_training", 10, (1_500_000, 3_000_000), (1, 1)),
    ("job_referral", 18, None, (1, 2)),
    ("job_fair", 12, None, (1, 1)),
    ("electricity", 14, (150_000, 600_000), (3, 6)),
    ("information_access", 8, (0, 500_000), (1, 1)),
    ("tuition", 14, (300_000, 1_200_000), (1, 2)),
    ("study_support", 10, (150_000, 450_000), (3, 9)),
    ("health_insurance_card", 24, None, (1, 1)),
    ("health_care", 8, (200_000, 2_000_000), (1, 2)),
    ("credit_appraisal", 8, None, (1, 1)),
    ("credit_disbursement", 6, (30_000_000, 100_000_000), (1, 1)),
    ("legal_aid", 6, None, (1, 1)),
    ("housing", 3, (20_000_000, 60_000_000), (1, 1)),
    ("livelihood_in_kind", 6, (2_000_000, 6_000_000), (1, 2)),
    ("savings_book", 4, (2_000_000, 5_000_000), (1, 1)),
    ("essentials", 16, (300_000, 1_000_000), (1, 2)),
    ("child_sponsorship", 6, (300_000, 500_000), (6, 12)),
    ("group_sponsorship", 4, (200_000, 400_000), (3, 9)),
)


CLOSE_REASONS = (("moved_away", "Cả hộ chuyển vào Nam làm ăn (demo)"),
                 ("declined", "Hộ cho biết đã tự lo được (demo)"),
                 ("resolved_otherwise", "Được doanh nghiệp trên địa bàn hỗ trợ (demo)"),
                 ("not_eligible", "Không đủ điều kiện theo quy định (demo)"))
AMOUNTS = {type_id: (amounts, qty) for type_id, _n, amounts, qty in PLAN}


def _payload(t: dict[str, Any], day: dt.date, rng: random.Random, camp: dict[str, Any], camp_start: dt.date,
             today: dt.date) -> dict[str, Any]:
    """A delivery of type ``t`` on ``day`` as the body's officer would enter it (Fund deliveries after the
    campaign began); ``member_id`` is left to the caller."""
    amounts, qty = AMOUNTS.get(t["id"], (None, (1, 1)))
    payload: dict[str, Any] = {"support_type": t["id"], "delivered_on": day.isoformat(),
                               "quantity": rng.randint(*qty), "fund": t["funds"][0],
                               "evidence_no": f"{rng.randrange(10, 250)}/QĐ-UBND" if t["funds"][0] != "no_cost"
                               else "", "note": "dữ liệu demo"}
    if t["funds"][0] == "fund_for_poor":
        if day < camp_start + dt.timedelta(days=10):
            day = camp_start + dt.timedelta(days=10 + rng.randrange(0, 200))
            payload["delivered_on"] = min(day, today).isoformat()
        payload["campaign_id"] = camp["id"]
    if amounts:
        payload["amount_vnd"] = max(_round(rng.uniform(*amounts)), 50_000) if amounts[1] else None
    return payload


def _round(n: float, step: int = 50_000) -> int:
    return int(round(n / step) * step)


def _member_for(type_id: str, members: list[dict[str, Any]], year: int, rng: random.Random) -> dict[str, Any] | None:
    def age(m: dict[str, Any]) -> int | None:
        return year - m["birth_year"] if m.get("birth_year") else None

    pick = {"tuition": lambda a: a is not None and 6 <= a <= 18, "study_support": lambda a: a is not None and 6 <= a <= 18,
            "child_sponsorship": lambda a: a is not None and a < 16, "group_sponsorship": lambda a: a is not None and 6 <= a <= 15,
            "vocational_training": lambda a: a is not None and 18 <= a <= 45,
            "job_referral": lambda a: a is not None and 18 <= a <= 55, "job_fair": lambda a: a is not None and 18 <= a <= 55,
            "legal_aid": lambda a: a is not None and a >= 18}.get(type_id, lambda a: True)
    fits = [m for m in members if pick(age(m))]
    return rng.choice(fits) if fits else None


def seed_programme(db: Database, now: dt.datetime, round_year: int, seed: int = 1) -> dict[str, Any]:
    rng = random.Random(seed * 7919)
    today = server_date(now)
    start = today - dt.timedelta(days=364)
    conn = db.conn
    cat = eligible.catalogue()
    admin_id = conn.execute("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1").fetchone()[0]
    officer_id = conn.execute("SELECT id FROM users WHERE role = 'officer' ORDER BY id LIMIT 1").fetchone()[0]
    admin = Scope(admin_id, "admin", "admin", "admin")
    officer = Scope(officer_id, "officer", "officer", "officer")
    # 1. an account per body
    scopes: dict[str, Scope] = {}
    users = []
    pw_hash = auth.hash_password(PARTNER_PASSWORD)         # one hash for the demo's shared password
    for username, name, body, group in PARTNER_USERS:
        p = partners.create(db, admin, {"username": username, "full_name": name, "password": PARTNER_PASSWORD,
                                        "body_id": body, "group_code": group}, now, password_hash=pw_hash)
        gid = conn.execute("SELECT id FROM area_groups WHERE code = ?", (group,)).fetchone()[0] if group else None
        scopes[body] = Scope(p["id"], username, name, "partner", body, gid, group)
        users.append({"role": "partner", "username": username, "password": PARTNER_PASSWORD, "body": cat.label("body", body)})
    # 2. needs from the round's answers, and some noted door to door by the residential group and the office
    derived = needs.derive_from_review(db, officer, round_year, now)
    eligible_now = dict(eligible.eligible_households(conn, list(cat.types), today))
    group_of = {r[0]: r[1] for r in conn.execute("SELECT household_id, group_id FROM households")}
    candidates = list(eligible_now)
    rng.shuffle(candidates)
    noted = 0
    for hid in candidates[:40]:
        kind = rng.choice(["policy_credit", "essentials", "livelihood", "training", "legal_aid", "health",
                           "child_sponsorship"])
        nt = cat.need_types[kind]
        mem = households.members(conn, hid)
        payload: dict[str, Any] = {"need_type": kind, "note": "Ghi nhận khi đi rà soát (demo)",
                                   "noted_on": (start + dt.timedelta(days=rng.randrange(0, 200))).isoformat()}
        if nt["recipient"] == "person":
            if not mem:
                continue
            payload["member_id"] = rng.choice(mem)["member_id"]
        group = scopes["residential_groups"]
        who = group if group_of.get(hid) == group.group_id else officer
        try:
            needs.record(db, who, hid, payload, now)
            noted += 1
        except ApiError:
            continue
    # 3. the Fund for the Poor: one campaign, contributions in its first weeks
    camp_start = start + dt.timedelta(days=30)
    front = scopes["fatherland_front"]
    camp = fund.create_campaign(db, front, {"name": f"Vận động Quỹ Vì người nghèo năm {camp_start.year}",
                                            "starts_on": camp_start.isoformat(),
                                            "ends_on": (camp_start + dt.timedelta(days=45)).isoformat()}, now)
    for name, kind in DONORS:
        fund.contribute(db, front, {"campaign_id": camp["id"], "donor_name": name, "donor_kind": kind,
                                    "anonymous": rng.random() < 0.1,
                                    "amount_vnd": _round(rng.uniform(2_000_000, 30_000_000), 500_000),
                                    "received_on": (camp_start + dt.timedelta(days=rng.randrange(0, 45))).isoformat(),
                                    "receipt_no": f"BL-{rng.randrange(100, 999)}"}, now)
    # 4. deliveries from every body over the year
    made: dict[str, int] = {}
    entries: list[dict[str, Any]] = []
    for type_id, count, amounts, qty in PLAN:
        t = cat.types[type_id]
        scope = scopes[t["body"]]
        pool = [hid for hid, got in eligible_now.items()
                if type_id in got and (scope.group_id is None or group_of.get(hid) == scope.group_id)]
        if type_id == "credit_disbursement":
            pool = [r[0] for r in conn.execute("SELECT DISTINCT household_id FROM support_entries "
                                               "WHERE support_type = 'credit_appraisal'")] or pool
        rng.shuffle(pool)
        done = 0
        for hid in pool:
            if done >= count:
                break
            day = start + dt.timedelta(days=rng.randrange(0, 364))
            if type_id == "credit_disbursement":
                first = conn.execute("SELECT MIN(delivered_on) FROM support_entries WHERE household_id = ? AND "
                                     "support_type = 'credit_appraisal'", (hid,)).fetchone()[0]
                if first:
                    day = min(today, dt.date.fromisoformat(first) + dt.timedelta(days=rng.randrange(10, 40)))
            payload = _payload(t, day, rng, camp, camp_start, today)
            day = dt.date.fromisoformat(payload["delivered_on"])
            if t["recipient"] == "person":
                m = _member_for(type_id, households.members(conn, hid), day.year, rng)
                if m is None:
                    continue
                payload["member_id"] = m["member_id"]
            try:
                entries.append(ledger.record(db, scope, hid, payload, now))
            except ApiError:
                continue
            done += 1
        made[type_id] = done
    # 4b. the follow-up of needs: about a third answered by their body's support some days after they were
    #     noted (the delivery closes them), a few closed with a reason
    open_rows = [dict(r) for r in conn.execute("SELECT * FROM needs WHERE status = 'open' ORDER BY id")]
    rng.shuffle(open_rows)
    third = len(open_rows) // 3
    answered = 0
    for n in open_rows[:third]:
        types = [t for t in cat.types_of(n["body_id"]) if n["need_type"] in t.get("closes", ())]
        noted_on = dt.date.fromisoformat(n["noted_on"])
        if not types or noted_on >= today:
            continue
        t = rng.choice(types)
        day = noted_on + dt.timedelta(days=rng.randrange(1, max(2, min(90, (today - noted_on).days + 1))))
        payload = _payload(t, min(day, today), rng, camp, camp_start, today)
        if t["recipient"] == "person":
            m = n["member_id"] or (_member_for(t["id"], households.members(conn, n["household_id"]), day.year, rng)
                                   or {}).get("member_id")
            if not m:
                continue
            payload["member_id"] = m
        try:
            entries.append(ledger.record(db, scopes[t["body"]], n["household_id"], payload, now))
            answered += 1
        except ApiError:
            continue
    closed_by_reason = 0
    for n, (reason, note) in zip(open_rows[third:third + 8], CLOSE_REASONS * 2):
        if conn.execute("SELECT status FROM needs WHERE id = ?", (n["id"],)).fetchone()[0] != "open":
            continue
        try:
            needs.close(db, scopes.get(n["body_id"], officer), n["id"], reason, note, now)
            closed_by_reason += 1
        except ApiError:
            continue
    # 5. a few corrections and one void, as happens
    for e in entries[:: max(1, len(entries) // 4)][:4]:
        body_scope = scopes[e["body_id"]]
        if e["amount_vnd"]:
            ledger.correct(db, body_scope, e["id"], {"amount_vnd": e["amount_vnd"] + 100_000,
                                                     "reason": "Điều chỉnh theo chứng từ chi (demo)"}, now)
        else:
            ledger.correct(db, body_scope, e["id"], {"quantity": e["quantity"] + 1,
                                                     "reason": "Bổ sung lượt hỗ trợ (demo)"}, now)
    if len(entries) > 5:
        e = entries[5]
        ledger.void(db, scopes[e["body_id"]], e["id"], "Ghi trùng (demo)", now)
    return {"partners": users, "needs_derived": derived["needs_created"], "needs_noted": noted,
            "needs_answered": answered, "needs_closed_by_reason": closed_by_reason,
            "campaign": camp["name"], "deliveries": made, "total_deliveries": sum(made.values()),
            "fund": ledger.fund_balance(conn)}
