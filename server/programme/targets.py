"""The plan's targets (§I.2) computed from the review and the ledger, for the ward and per residential group,
with the households (and persons) that keep each from being met, and the goals entered per year.

| target | counted over | met when | blocking |
| --- | --- | --- | --- |
| poor (per standard) | every household of the round | count ≤ goal (0) | each poor household |
| near-poor (per standard) | the same | count ≤ goal (0) | each near-poor household |
| average farm households | classified average and living from farming, forestry, fishery or salt (national standard) | ≤ goal (0) | each one |
| safe housing | escaped households | % ≥ goal (100) | deprived on the standard's housing indicators (quality, floor area) and no housing support delivered in the year |
| stable work | members of escaped households of working age able to work | % ≥ goal | work status unemployed or wage without contract (review) |
| health insurance | members of poor, near-poor and escaped households | % ≥ goal | no health insurance in the review and no card delivered in the year |
| essentials | poor, near-poor and escaped households | % ≥ goal | an open need for essentials |
| income | escaped households with a known income | % ≥ goal | income per person per month below the line entered for the year (the regional minimum wage is not in the bundled documents: until it is entered, not measured) |
| policy credit | escaped households in their credit window that need credit (a credit request, a credit need or a disbursement) | % ≥ goal | needing but no credit received |

"Escaped" = the household escapes poverty / near-poverty in this round, or escaped earlier and is still in
the programme's window (36 months by default, a setting) and this round did not find it poor or near-poor
again. The communication target of §I.2 is not measured
from data and is listed as such. Goals default to the plan's own figures (0 households, 100 %); an officer
enters the year's goals (append-only, the latest counts): the five the cycle's targets page shows too go
to its ``plan_targets`` (server/cycle/plan_targets.py, per standard), the others to ``programme_targets``.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any, Iterable

from shared.dates import age_on, parse_date
from shared.eligibility import StatusChange, current_status, eligibility, window_last_day

from ..clock import iso
from ..cycle import plan_targets as cycle_plan_targets
from ..process.eligibility import policies as cycle_policies
from ..reports.targets import ESCAPED, housing_bits
from ..db import Database
from ..errors import ApiError
from ..process.results import iter_results
from ..store import facts
from ..store import audit
from . import eligible
from .scope import Scope

WORKING_AGE = (15, 60)       # [U] as report_facts.WORKING_AGE (no labour capacity)
NATIONAL = "vn-national-2022-2025"

# id → (label, unit, default goal, direction): "max" a count that must not exceed the goal, "min" a percent
DEFINITIONS: tuple[dict[str, Any], ...] = (
    {"id": "poor", "label_vi": "Số hộ nghèo", "unit": "households", "goal": 0, "kind": "max",
     "plan_vi": "Duy trì phường không còn hộ nghèo"},
    {"id": "near_poor", "label_vi": "Số hộ cận nghèo", "unit": "households", "goal": 0, "kind": "max",
     "plan_vi": "Duy trì phường không còn hộ cận nghèo"},
    {"id": "average_farm", "label_vi": "Hộ nông, lâm, ngư nghiệp có mức sống trung bình", "unit": "households",
     "goal": 0, "kind": "max", "plan_vi": "Duy trì phường không có hộ nông nghiệp, lâm nghiệp, ngư nghiệp có mức sống trung bình"},
    {"id": "safe_housing", "label_vi": "Hộ thoát nghèo, thoát cận nghèo có nhà ở an toàn", "unit": "percent", "goal": 100,
     "kind": "min", "plan_vi": "Đảm bảo các hộ thoát nghèo, thoát cận nghèo có nhà ở chất lượng an toàn"},
    {"id": "stable_work", "label_vi": "Thành viên còn sức lao động của hộ thoát nghèo có việc làm ổn định", "unit": "percent",
     "goal": 100, "kind": "min", "plan_vi": "Tạo việc làm ổn định cho các thành viên còn sức lao động trong hộ thoát nghèo, thoát cận nghèo"},
    {"id": "health_insurance", "label_vi": "Người trong hộ nghèo, cận nghèo, thoát nghèo có thẻ BHYT", "unit": "percent",
     "goal": 100, "kind": "min", "plan_vi": "Đảm bảo cho người trong hộ thoát nghèo, cận nghèo có đầy đủ thẻ BHYT"},
    {"id": "essentials", "label_vi": "Hộ có đủ đồ dùng thiết yếu (không còn nhu cầu đang chờ)", "unit": "percent",
     "goal": 100, "kind": "min", "plan_vi": "Có đủ các đồ dùng thiết yếu để phục vụ hàng ngày"},
    {"id": "income", "label_vi": "Hộ thoát nghèo có thu nhập bình quân trên mức lương tối thiểu vùng", "unit": "percent",
     "goal": 100, "kind": "min", "plan_vi": "Có thu nhập ổn định ... trên mức lương tối thiểu vùng"},
    {"id": "policy_credit", "label_vi": "Hộ thoát nghèo đủ điều kiện, có nhu cầu vay đã được vay vốn tín dụng chính sách",
     "unit": "percent", "goal": 100, "kind": "min",
     "plan_vi": "100% hộ thoát nghèo đủ điều kiện, có nhu cầu vay vốn được tiếp cận nguồn vốn tín dụng chính sách kịp thời"},
)
NOT_MEASURED = ("Tuyên truyền, vận động thay đổi nhận thức; huy động tổ chức, doanh nghiệp tham gia "
                "(Kế hoạch mục I.2) — không đo bằng dữ liệu rà soát")
INCOME_LINE = "income_line_vnd"      # entered per year: the monthly amount the income target compares with
COUNT_MAX = 1_000_000      # households: the bound of the cycle's plan_targets (server/cycle/plan_targets.KINDS)
ENTERABLE = tuple(d["id"] for d in DEFINITIONS) + (INCOME_LINE,)


SHARED = tuple(k for k in cycle_plan_targets.KINDS)     # goals kept in the cycle's plan_targets (issue 17)


def goals(conn: sqlite3.Connection, year: int, standards: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """The goals of a year: the latest entry per target, else the plan's figure. The five targets the
    cycle's targets page also shows (poor, near-poor, health insurance, safe housing, policy credit) are
    read from its ``plan_targets`` (per standard; the first of ``standards`` for the percentages), so the
    two pages never disagree; the others from ``programme_targets``."""
    out = {d["id"]: {"goal": d["goal"], "source": "plan", "note": ""} for d in DEFINITIONS}
    out[INCOME_LINE] = {"goal": None, "source": "unset", "note": ""}
    for tid, goal, note, at in conn.execute(
            "SELECT target_id, goal, note, entered_at FROM programme_targets WHERE year = ? ORDER BY id", (year,)):
        if tid not in SHARED:
            out[tid] = {"goal": goal, "source": "entered", "note": note, "entered_at": at}
    stds = standards if standards is not None else sorted(eligible.programme_standards(conn, year),
                                                           key=lambda x: x != NATIONAL)
    for i, std in enumerate(stds):
        for tid, row in cycle_plan_targets.current(conn, year, std).items():
            entry = {"goal": row["value"], "source": "entered", "note": row["note"], "entered_at": row["set_at"]}
            if tid in ("poor", "near_poor"):
                out[f"{tid}:{std}"] = entry
            elif i == 0 and tid in out:
                out[tid] = entry
    return out


def enter_goals(db: Database, scope: Scope, year: int, values: dict[str, Any], now: dt.datetime, note: str = ""
                ) -> dict[str, dict[str, Any]]:
    if scope.role not in ("officer", "admin"):
        raise ApiError(403, "role_required", "Targets are entered by the office", "Chỉ cán bộ phường nhập chỉ tiêu")
    if not 2000 <= year <= 2100:
        raise ApiError(422, "invalid_year", "year: 2000-2100", "Năm không hợp lệ")
    clean: dict[str, float] = {}
    problems = []
    for k, v in values.items():
        if k not in ENTERABLE:
            problems.append({"field": k, "message_vi": f"{k}: không phải chỉ tiêu"})
            continue
        if v in (None, ""):
            continue
        try:
            x = float(str(v).replace(".", "").replace(",", ".")) if isinstance(v, str) else float(v)
        except ValueError:
            problems.append({"field": k, "message_vi": f"{_label(k)}: cần một số"})
            continue
        d = next((d for d in DEFINITIONS if d["id"] == k), None)
        if x < 0 or (d and d["unit"] == "percent" and x > 100) or (d and d["unit"] != "percent" and (
                x > COUNT_MAX or not x.is_integer())):
            problems.append({"field": k, "message_vi": f"{_label(k)}: ngoài khoảng cho phép"})
            continue
        clean[k] = x
    if problems:
        raise ApiError(422, "invalid_targets", "; ".join(p["field"] for p in problems),
                       "; ".join(p["message_vi"] for p in problems), problems)
    stds = eligible.programme_standards(db.conn, year) or [NATIONAL]
    stds = sorted(stds, key=lambda x: x != NATIONAL)      # the main standard first (as compute reads them)
    shared = {k: v for k, v in clean.items() if k in SHARED}
    for i, std in enumerate(stds):       # the cycle's table: counts for every standard, percentages for the first
        mine = {k: v for k, v in shared.items() if k in ("poor", "near_poor") or i == 0}
        if mine:
            cycle_plan_targets.save(db, scope.user_id, year, std, mine, {k: note for k in mine}, now)
    own = {k: v for k, v in clean.items() if k not in SHARED}
    stamp = iso(now)
    with db.write() as w:
        for k, x in own.items():
            w.execute("INSERT INTO programme_targets (year, target_id, goal, note, entered_by, entered_at) "
                      "VALUES (?, ?, ?, ?, ?, ?)", (year, k, x, note[:500], scope.user_id, stamp))
        audit.record(w, stamp, "user", scope.user_id, "targets.enter", "year", year, {"values": clean})
    return goals(db.conn, year)


def _label(tid: str) -> str:
    if tid == INCOME_LINE:
        return "Mức thu nhập so sánh (lương tối thiểu vùng, đồng/người/tháng)"
    return next((d["label_vi"] for d in DEFINITIONS if d["id"] == tid), tid)


class _Tally:
    """Part / whole of one target, for the ward and per group, with what blocks it."""

    def __init__(self) -> None:
        self.part: dict[str, int] = {}
        self.whole: dict[str, int] = {}
        self.blocking: list[dict[str, Any]] = []

    def add(self, group: str, ok: bool, blocker: dict[str, Any] | None = None) -> None:
        self.whole[group] = self.whole.get(group, 0) + 1
        if ok:
            self.part[group] = self.part.get(group, 0) + 1
        elif blocker is not None:
            self.blocking.append(blocker)


def _members_of(conn: sqlite3.Connection, submission_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    ids = list(submission_ids)
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for sid, body in conn.execute(f"SELECT submission_id, body FROM submissions WHERE submission_id IN "
                                      f"({','.join('?' * len(chunk))})", chunk):
            answers = json.loads(body).get("answers") or {}
            out[sid] = answers if isinstance(answers, dict) else {}
    return out


def _income_pp(conn: sqlite3.Connection, submission_id: str, standard_id: str) -> int | None:
    row = conn.execute("SELECT result FROM classifications WHERE submission_id = ? AND standard_id = ?",
                       (submission_id, standard_id)).fetchone()
    if row is None:
        return None
    v = (json.loads(row[0]).get("income") or {}).get("per_person_month")
    return int(v) if isinstance(v, (int, float)) else None


def compute(db: Database, year: int, on: dt.date) -> dict[str, Any]:
    """Every target of the year: value for the ward and per group, goal, met, and the blocking list."""
    facts.refresh(db)
    conn = db.conn
    stds = eligible.programme_standards(conn, year) or [NATIONAL]
    main_std = NATIONAL if NATIONAL in stds else stds[0]
    g = goals(conn, year, [main_std] + [x for x in stds if x != main_std])
    groups = {r[0]: r[1] for r in conn.execute("SELECT code, name FROM area_groups ORDER BY code")}
    tallies: dict[str, _Tally] = {d["id"]: _Tally() for d in DEFINITIONS}
    per_std: dict[str, dict[str, _Tally]] = {}
    # 1. where each household stands (every standard the programme follows)
    status: dict[str, dict[str, Any]] = {}     # household → its row under the main standard, plus flags
    for std in stds:
        poor_t, near_t = _Tally(), _Tally()
        per_std[std] = {"poor": poor_t, "near_poor": near_t}
        for r in iter_results(conn, year, std):
            j = r.judgement
            if j.movement is not None and j.after is None:
                continue                               # gone this round
            st = (j.list or (j.after if j.after in ("poor", "near_poor") else None)) if j.after else r.register_status
            who = {"household_id": r.household_id, "group_code": r.group_code, "head_name": r.head_name,
                   "address": r.address}
            poor_t.add(r.group_code, st != "poor", {**who, "reason_vi": "Hộ nghèo"} if st == "poor" else None)
            near_t.add(r.group_code, st != "near_poor",
                       {**who, "reason_vi": "Hộ cận nghèo"} if st == "near_poor" else None)
            entry = status.setdefault(r.household_id, {"who": who, "statuses": set(), "surveyed": False,
                                                       "submission_id": r.submission_id, "mask": 0})
            if st:
                entry["statuses"].add(st)
            if j.after:
                entry["surveyed"] = True
                if std == main_std:
                    entry["mask"] = r.deprived_mask
            if std == main_std:
                entry["average_farm"] = r.cls == "average" and r.flags.get("farm", False)
    for hid, e in status.items():
        if e.get("average_farm"):
            tallies["average_farm"].add(e["who"]["group_code"], False,
                                        {**e["who"], "reason_vi": "Hộ nông, lâm, ngư nghiệp có mức sống trung bình"})
    # escaped: escaping in this round, or escaped earlier and still in the programme's window (and not
    # found poor or near-poor again in this round)
    months = cycle_policies(conn)["windows_months"]["programme_support"]
    for hid, per in eligible.histories(conn, [main_std]):
        cur = current_status(per.get(main_std, []), on)
        if (cur is not None and cur.status in ESCAPED and on <= window_last_day(cur.decision_date, months)
                and hid in status and not status[hid]["statuses"] & {"poor", "near_poor"}):
            status[hid]["statuses"].add(cur.status)
    escaped = {h: e for h, e in status.items() if e["statuses"] & set(ESCAPED)}
    served = {h: e for h, e in status.items() if e["statuses"] & {"poor", "near_poor", *ESCAPED}}
    # 2. the ledger of the year: what was delivered to whom
    y0, y1 = f"{year}-01-01", f"{year}-12-31"
    delivered: dict[tuple[str, str], set[str | None]] = {}
    for hid, tid, mid in conn.execute("SELECT household_id, support_type, member_id FROM support_current "
                                      "WHERE delivered_on BETWEEN ? AND ?", (y0, y1)):
        delivered.setdefault((hid, tid), set()).add(mid)
    answers = _members_of(conn, [e["submission_id"] for e in served.values()])
    # 3. housing, work, income of escaped households; health insurance of every served household's members
    line = g[INCOME_LINE]["goal"]
    housing = housing_bits(main_std)
    for hid, e in escaped.items():
        grp, who = e["who"]["group_code"], e["who"]
        if e["surveyed"]:
            unsafe = bool(e["mask"] & housing) and (hid, "housing") not in delivered
            tallies["safe_housing"].add(grp, not unsafe, {**who, "reason_vi": "Thiếu hụt chất lượng hoặc diện tích nhà ở, "
                                                                             "chưa được hỗ trợ nhà ở trong năm"} if unsafe else None)
        doc = answers.get(e["submission_id"], {})
        day = parse_date(doc.get("collected_at"))
        for m in doc.get("members") or ():
            if not isinstance(m, dict) or not e["surveyed"]:
                continue
            age = age_on(m, day) if day else None
            if age is None or not WORKING_AGE[0] <= age <= WORKING_AGE[1] or m.get("disability") is True:
                continue
            ws = m.get("work_status")
            if ws in ("student", "not_working", None):
                continue
            stable = ws in ("wage_contract", "self_employed")
            tallies["stable_work"].add(grp, stable, None if stable else {
                **who, "person_name": m.get("full_name"), "member_id": m.get("member_id"),
                "reason_vi": "Chưa có việc làm" if ws == "unemployed" else "Làm công không có hợp đồng lao động"})
        if line and e["surveyed"]:
            pp = _income_pp(conn, e["submission_id"], main_std)
            if pp is not None:
                ok = pp >= line
                tallies["income"].add(grp, ok, None if ok else {
                    **who, "reason_vi": f"Thu nhập bình quân {pp:,} đồng/người/tháng".replace(",", ".")})
    open_essentials = {r[0] for r in conn.execute("SELECT DISTINCT household_id FROM needs WHERE status = 'open' "
                                                  "AND need_type = 'essentials'")}
    for hid, e in served.items():
        grp, who = e["who"]["group_code"], e["who"]
        lacking = hid in open_essentials
        tallies["essentials"].add(grp, not lacking, {**who, "reason_vi": "Còn nhu cầu đồ dùng thiết yếu chưa giải quyết"}
                                  if lacking else None)
        doc = answers.get(e["submission_id"], {})
        if not e["surveyed"]:
            continue
        cards = delivered.get((hid, "health_insurance_card"), set())
        for m in doc.get("members") or ():
            if not isinstance(m, dict) or "health_insurance" not in m:
                continue
            ok = m.get("health_insurance") is True or m.get("member_id") in cards
            tallies["health_insurance"].add(grp, ok, None if ok else {
                **who, "person_name": m.get("full_name"), "member_id": m.get("member_id"), "reason_vi": "Chưa có thẻ BHYT"})
    # 4. policy credit: escaped households in their credit window that need it
    table = cycle_policies(conn)
    credit_need = {r[0] for r in conn.execute(
        "SELECT household_id FROM credit_records UNION SELECT household_id FROM needs WHERE need_type = 'policy_credit' "
        "UNION SELECT household_id FROM support_entries WHERE support_type IN ('credit_disbursement', 'credit_appraisal')")}
    received = {r[0] for r in conn.execute(
        "SELECT household_id FROM credit_records WHERE received_on IS NOT NULL UNION "
        "SELECT household_id FROM support_current WHERE support_type = 'credit_disbursement'")}
    for hid, e in escaped.items():
        if hid not in credit_need:
            continue
        hist = [StatusChange(r[0], dt.date.fromisoformat(r[1])) for r in conn.execute(
            "SELECT status, decision_date FROM household_status_history WHERE household_id = ? AND standard_id = ? "
            "ORDER BY decision_date, id", (hid, main_std))]
        if not any(x.policy_id == "policy_credit" and x.eligible for x in eligibility(hist, on, table)):
            continue
        ok = hid in received
        tallies["policy_credit"].add(e["who"]["group_code"], ok, None if ok else {
            **e["who"], "reason_vi": "Có nhu cầu vay, chưa được giải ngân"})
    # 5. assemble: the ward and each group
    out = []
    for d in DEFINITIONS:
        if d["id"] in ("poor", "near_poor"):
            for std in stds:
                goal = g.get(f"{d['id']}:{std}", g[d["id"]])["goal"]
                out.append(_row(d, per_std[std][d["id"]], goal, groups, std, d["id"]))
            continue
        row = _row(d, tallies[d["id"]], g[d["id"]]["goal"], groups)
        if d["id"] == "income" and not line:
            row.update(measured=False, note_vi="Chưa đo: chưa nhập mức lương tối thiểu vùng của năm (mục Chỉ tiêu)")
        out.append(row)
    return {"year": year, "on": on.isoformat(), "standards": stds, "main_standard": main_std, "targets": out,
            "goals": g, "groups": groups, "not_measured": [NOT_MEASURED], "income_line": line}


def _standard_name(std: str) -> str:
    from shared.standards import load_standards
    s = load_standards().get(std)
    return s.name["vi"] if s else std


def _row(d: dict[str, Any], t: _Tally, goal: float, groups: dict[str, str], std: str | None = None,
         tid: str | None = None) -> dict[str, Any]:
    def value(part: int, whole: int) -> Any:
        if d["kind"] == "max":
            return whole - part                         # the count of households on the list
        return round(100.0 * part / whole, 1) if whole else None

    def met(part: int, whole: int) -> bool | None:
        v = value(part, whole)
        if v is None:
            return None
        return v <= goal if d["kind"] == "max" else v >= goal

    part, whole = sum(t.part.values()), sum(t.whole.values())
    per_group = []
    for code, name in groups.items():
        p, w = t.part.get(code, 0), t.whole.get(code, 0)
        per_group.append({"group_code": code, "group_name": name, "part": p, "whole": w, "value": value(p, w),
                          "met": met(p, w) if d["kind"] == "min" else (w - p) <= goal})
    label = d["label_vi"] + (f" — {_standard_name(std)}" if std else "")
    return {"id": f"{tid}:{std}" if std else d["id"], "target_id": d["id"], "standard_id": std, "label_vi": label,
            "plan_vi": d["plan_vi"], "unit": d["unit"], "kind": d["kind"], "goal": goal, "part": part, "whole": whole,
            "value": value(part, whole), "met": met(part, whole) if whole or d["kind"] == "max" else None,
            "measured": True, "per_group": per_group,
            "blocking": sorted(t.blocking, key=lambda b: (b["group_code"], b.get("head_name") or "",
                                                          b.get("person_name") or ""))}
