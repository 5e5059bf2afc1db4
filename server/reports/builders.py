"""Report builders: each computes the metrics of one kind of report per residential group, plus a
total row for the scope (a ward, or one group). Which metrics are shown, in which order, under
which column code, is the layout's business (``layouts/*.json``).

Basis of each report (stated in its ``meta``):

* overall / indicators / groups — the **latest classification** of every household under the
  standard (the result of the review), from the narrow facts tables;
* movement — the **register**: the status before the round (status history) against the status
  after it: the recognition decision of the round when there is one, otherwise the latest
  classification (a household not classified yet keeps its status, and is counted in ``meta``);
  identity ``end = start − decreases + increases`` checked by ``shared.transitions``;
* named lists — the recognition decision's lists when there is one, otherwise the settled
  results of the round (``server.process.results``).

Records merged as duplicates (a dedup cluster, auto or officer links not undone) count once: only
the cluster's survivor, the most recent record (``duplicates.py``); ``meta.merged_away`` says how
many records were left out. A recognition decision's own lists are shown as decided.

Everything streams from SQLite; only per-group aggregates are held in memory.
"""
from __future__ import annotations

import itertools
import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from shared.standards import load_standards
from shared.transitions import LABELS, Movement, movement, movement_report

from ..history import status_history
from ..history.movements import household_movement
from ..process.results import LIST_LABELS, LISTS, iter_results
from ..register.low_income import count_identified
from .duplicates import json_ids, merged_away_ids

GROUP_KEYS = ("group_code", "group_name")
_OVERALL = ("households", "persons", "poor", "poor_persons", "near_poor", "near_poor_persons", "average_farm",
            "unclassified")
_MOVE_POOR = ("start", "to_near_poor", "escaped", "other_decreases", "from_near_poor", "relapsed", "new",
              "other_increases", "end")
_MOVE_NEAR = ("start", "to_poor", "escaped", "other_decreases", "from_poor", "relapsed", "new", "other_increases",
              "end")
MAX_INDICATORS = 32      # the deprived indicators are a bit mask in report_class_facts (bit n-1 = indicator n)
_INDICATORS = ("base", *(f"ind_{n}" for n in range(1, MAX_INDICATORS + 1)))
_GROUPS = ("base", "ethnic_minority", "no_labour", "person_of_merit", "other")
NAMED_FIELDS = ("seq", "group_code", "group_name", "head_name", "address", "persons", "list", "list_vi",
                "movement", "movement_vi", "deprived_text", "flags_text", "household_code")
FLAG_LABELS = {"ethnic_minority": "Dân tộc thiểu số", "no_labour": "Không có khả năng lao động",
               "person_of_merit": "Có người có công"}

METRICS: dict[str, frozenset[str]] = {
    "overall": frozenset({*GROUP_KEYS, *_OVERALL, "poor_rate", "near_poor_rate", "low_income_workers"}),
    "movement": frozenset({*GROUP_KEYS, *_MOVE_POOR, *_MOVE_NEAR, "decreases", "increases"}),
    "indicators": frozenset({*GROUP_KEYS, *_INDICATORS, *(f"ind_{n}_rate" for n in range(1, MAX_INDICATORS + 1))}),
    "groups": frozenset({*GROUP_KEYS, *_GROUPS}),
    "named_lists": frozenset(NAMED_FIELDS),
}


@dataclass(frozen=True)
class Scope:
    round: int
    standard_id: str
    ward_id: int
    group_id: int | None = None


def _rate(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def groups_in(conn: sqlite3.Connection, scope: Scope) -> list[sqlite3.Row]:
    if scope.group_id is not None:
        return conn.execute("SELECT id, code, name FROM area_groups WHERE id = ? AND ward_id = ?",
                            (scope.group_id, scope.ward_id)).fetchall()
    return conn.execute("SELECT id, code, name FROM area_groups WHERE ward_id = ? ORDER BY code",
                        (scope.ward_id,)).fetchall()


def decision_id(conn: sqlite3.Connection, scope: Scope) -> int | None:
    r = conn.execute("SELECT id FROM recognition_decisions WHERE ward_id = ? AND round = ? AND standard_id = ?",
                     (scope.ward_id, scope.round, scope.standard_id)).fetchone()
    return None if r is None else r[0]


def _aggregate(conn: sqlite3.Connection, scope: Scope, select: str, keys: tuple[str, ...],
               params: tuple[Any, ...] = (), cache: dict[str, Any] | None = None
               ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    groups = groups_in(conn, scope)
    by_group = {g["id"]: {"group_code": g["code"], "group_name": g["name"], **{k: 0 for k in keys}} for g in groups}
    if groups:
        marks = ",".join("?" * len(groups))
        merged = merged_away_ids(conn, cache)
        not_merged = " AND f.household_id NOT IN (SELECT value FROM json_each(?))" if merged else ""
        sql = (f"SELECT f.group_id, {select} FROM report_facts f LEFT JOIN report_class_facts cf "
               f"ON cf.standard_id = ? AND cf.household_id = f.household_id "
               f"WHERE f.group_id IN ({marks}){not_merged} GROUP BY f.group_id")
        args = (*params, scope.standard_id, *[g["id"] for g in groups], *((json_ids(merged),) if merged else ()))
        for r in conn.execute(sql, args):
            by_group[r["group_id"]].update({k: r[k] or 0 for k in keys})
    rows = list(by_group.values())
    total = {"group_code": "", "group_name": "Tổng cộng", **{k: sum(r[k] for r in rows) for k in keys}}
    return rows, total


def _cache(params: dict[str, Any]) -> dict[str, Any]:
    """The export's shared cache, or a cache for this one report."""
    cache = params.get("_cache")
    return cache if cache is not None else {}


def overall(conn: sqlite3.Connection, scope: Scope, params: dict[str, Any]) -> tuple[list, dict, dict]:
    select = """COUNT(*) AS households, SUM(f.persons) AS persons,
        SUM(cf.class = 'poor') AS poor, SUM(CASE WHEN cf.class = 'poor' THEN f.persons ELSE 0 END) AS poor_persons,
        SUM(cf.class = 'near_poor') AS near_poor,
        SUM(CASE WHEN cf.class = 'near_poor' THEN f.persons ELSE 0 END) AS near_poor_persons,
        SUM(cf.class = 'average' AND f.farm = 1) AS average_farm,
        SUM(cf.class IS NULL OR cf.class = 'unknown') AS unclassified"""
    cache = _cache(params)
    rows, total = _aggregate(conn, scope, select, _OVERALL, cache=cache)
    # Low-income workers identified in the round's year (Decree 30/2025; server/register/low_income.py).
    workers = count_identified(conn, scope.round)
    for r in rows:
        r["low_income_workers"] = workers.get(r["group_code"], 0)
    total["low_income_workers"] = sum(r["low_income_workers"] for r in rows)
    for r in (*rows, total):
        r["poor_rate"] = _rate(r["poor"], r["households"])
        r["near_poor_rate"] = _rate(r["near_poor"], r["households"])
    return rows, total, {"basis": "classification", "merged_away": len(merged_away_ids(conn, cache))}


def indicators(conn: sqlite3.Connection, scope: Scope, params: dict[str, Any]) -> tuple[list, dict, dict]:
    status = params["status"]
    count = len(load_standards()[scope.standard_id].indicators)     # the standard's own indicator set
    parts = ["SUM(cf.class = ?) AS base"]
    args: list[Any] = [status]
    for n in range(1, count + 1):
        parts.append(f"SUM(cf.class = ? AND (cf.deprived_mask & {1 << (n - 1)}) != 0) AS ind_{n}")
        args.append(status)
    cache = _cache(params)
    rows, total = _aggregate(conn, scope, ", ".join(parts), _INDICATORS[:count + 1], tuple(args), cache)
    for r in (*rows, total):
        for n in range(1, count + 1):
            r[f"ind_{n}_rate"] = _rate(r[f"ind_{n}"], r["base"])
    return rows, total, {"basis": "classification", "status": status,
                         "merged_away": len(merged_away_ids(conn, cache))}


def groups(conn: sqlite3.Connection, scope: Scope, params: dict[str, Any]) -> tuple[list, dict, dict]:
    status = params["status"]
    select = """SUM(cf.class = ?) AS base, SUM(cf.class = ? AND f.ethnic_minority = 1) AS ethnic_minority,
        SUM(cf.class = ? AND f.no_labour = 1) AS no_labour, SUM(cf.class = ? AND f.person_of_merit = 1) AS person_of_merit,
        SUM(cf.class = ? AND f.ethnic_minority = 0 AND f.no_labour = 0 AND f.person_of_merit = 0) AS other"""
    cache = _cache(params)
    rows, total = _aggregate(conn, scope, select, _GROUPS, (status,) * 5, cache)
    return rows, total, {"basis": "classification", "status": status,
                         "merged_away": len(merged_away_ids(conn, cache))}


# --- movement -----------------------------------------------------------------------------------

_REGISTER_PAIR = """SELECT h.group_id, b.status AS before, b.ever_poor, b.ever_near_poor, a.status AS after,
    sr.lifecycle_event
FROM households h
LEFT JOIN ({before}) b ON b.household_id = h.household_id
LEFT JOIN ({after}) a ON a.household_id = h.household_id
LEFT JOIN submission_rounds sr ON sr.submission_id = h.submission_id AND sr.round_year = :round
WHERE h.group_id IN ({marks}) AND (b.status IS NOT NULL OR a.status IS NOT NULL)
  AND h.household_id NOT IN (SELECT value FROM json_each(:merged))
ORDER BY h.group_id"""


def _register_movements(conn: sqlite3.Connection, scope: Scope, group_ids: list[int],
                        merged: frozenset[str] = frozenset()) -> Iterator[tuple[int, Movement]]:
    marks = ",".join(f":g{i}" for i in range(len(group_ids)))
    extra = f"AND household_id IN (SELECT household_id FROM households WHERE group_id IN ({marks}))"
    before = status_history.register_sql(":round", ":start", ":std", extra)
    after = status_history.register_sql(":next_round", ":next_start", ":std", extra)
    sql = _REGISTER_PAIR.format(before=before, after=after, marks=marks)
    params = {"round": scope.round, "start": status_history.round_start(scope.round).isoformat(),
              "next_round": scope.round + 1, "next_start": status_history.round_start(scope.round + 1).isoformat(),
              "std": scope.standard_id, "merged": json_ids(merged), **{f"g{i}": g for i, g in enumerate(group_ids)}}

    for r in conn.execute(sql, params):
        # lifecycle events of the round: gone = other decrease, arrived = other increase (issue 7)
        mv = household_movement(r["before"], r["after"], r["lifecycle_event"], bool(r["ever_poor"]),
                                bool(r["ever_near_poor"]))
        if mv is not None:
            yield r["group_id"], mv


def _named_from_result(r: Any, rid: int) -> dict[str, Any]:
    j = r.judgement
    return {"rid": rid, "group_code": r.group_code, "group_name": r.group_name, "head_name": r.head_name,
            "address": r.address, "persons": r.persons, "list": j.list, "list_vi": LIST_LABELS[j.list][0],
            "movement": j.movement.kind, "movement_vi": j.movement.label_vi,
            "deprived_text": ", ".join(str(n) for n in r.deprived), "flags_text": _flags_text(r.flags),
            "household_code": r.household_id}


def ward_pass(conn: sqlite3.Connection, scope: Scope,
              on_named: Callable[[dict[str, Any]], None] | None = None,
              cache: dict[str, Any] | None = None) -> dict[str, Any]:
    """One pass over the round's results (before a decision): the movement reports per group
    (poor and near-poor), and each settled named-list row handed to ``on_named`` as it comes.
    Records merged away as duplicates are skipped (``duplicates.py``).

    The workbook export uses it so that a ward is read once, not once per report."""
    per_group: dict[int, dict[str, dict[str, int]]] = {}
    carried, rid = 0, 0
    merged = merged_away_ids(conn, cache)
    for g in groups_in(conn, scope):
        moves: list[Movement] = []
        for r in iter_results(conn, scope.round, scope.standard_id, group_id=g["id"]):
            if r.household_id in merged:
                continue
            j = r.judgement
            mv = j.movement
            if mv is None:
                before = status_history.transition_status(r.register_status)
                if before is None:
                    continue
                carried += 1
                mv = movement(before, before)
            moves.append(mv)
            if on_named is not None and j.state == "settled" and j.list is not None:
                rid += 1
                on_named(_named_from_result(r, rid))
        per_group[g["id"]] = movement_report(moves)          # checks the identity
    return {"movement": per_group, "carried": carried}


def _movement_reports(conn: sqlite3.Connection, scope: Scope, cache: dict[str, Any] | None
                      ) -> tuple[dict[int, dict[str, dict[str, int]]], int | None, int]:
    if cache is not None and "movement" in cache:
        return cache["movement"], cache.get("decision_id"), cache.get("carried", 0)
    did = decision_id(conn, scope)
    if did is not None:
        ids = [g["id"] for g in groups_in(conn, scope)]
        merged = merged_away_ids(conn, cache)
        per_group = {gid: movement_report(m for _, m in mvs)
                     for gid, mvs in itertools.groupby(_register_movements(conn, scope, ids, merged),
                                                       key=lambda x: x[0])}
        carried = 0
    else:
        res = ward_pass(conn, scope, cache=cache)
        per_group, carried = res["movement"], res["carried"]
    if cache is not None:
        cache.update(movement=per_group, decision_id=did, carried=carried)
    return per_group, did, carried


def movement_counts(conn: sqlite3.Connection, scope: Scope, params: dict[str, Any]) -> tuple[list, dict, dict]:
    status = params.get("status", "poor")
    grps = groups_in(conn, scope)
    reports, did, carried_n = _movement_reports(conn, scope, params.get("_cache"))
    per_group = {gid: rep[status] for gid, rep in reports.items()}
    keys = _MOVE_POOR if status == "poor" else _MOVE_NEAR
    dec = ("to_near_poor" if status == "poor" else "to_poor", "escaped", "other_decreases")
    inc = ("from_near_poor" if status == "poor" else "from_poor", "relapsed", "new", "other_increases")
    rows = []
    for g in grps:
        counts = per_group.get(g["id"]) or {k: 0 for k in keys}
        rows.append({"group_code": g["code"], "group_name": g["name"], **{k: counts[k] for k in keys}})
    total = {"group_code": "", "group_name": "Tổng cộng", **{k: sum(r[k] for r in rows) for k in keys}}
    for r in (*rows, total):
        r["decreases"] = sum(r[k] for k in dec)
        r["increases"] = sum(r[k] for k in inc)
        if r["end"] != r["start"] - r["decreases"] + r["increases"]:
            raise AssertionError(f"movement identity broken in {r['group_code'] or 'total'}")
    meta = {"basis": "decision" if did is not None else "classification", "decision_id": did, "status": status,
            "carried_unclassified": carried_n, "merged_away": len(merged_away_ids(conn, params.get("_cache")))}
    return rows, total, meta


# --- named lists ----------------------------------------------------------------------------------

def _flags_text(d: dict[str, Any]) -> str:
    return "; ".join(v for k, v in FLAG_LABELS.items() if d.get(k))


def iter_named(conn: sqlite3.Connection, scope: Scope, list_name: str | None = None,
               after: int = 0) -> Iterator[dict[str, Any]]:
    """The named lists, row by row (group code, head name order), with a ``rid`` for keyset paging."""
    did = decision_id(conn, scope)
    if did is not None:
        where, args = ["dh.decision_id = ?", "dh.rowid > ?"], [did, after]
        if scope.group_id is not None:
            where.append("dh.group_id = ?")
            args.append(scope.group_id)
        if list_name:
            where.append("dh.list = ?")
            args.append(list_name)
        sql = ("SELECT dh.rowid AS rid, dh.household_id, dh.list, dh.movement, dh.snapshot, g.code, g.name "
               "FROM decision_households dh JOIN area_groups g ON g.id = dh.group_id "
               f"WHERE {' AND '.join(where)} ORDER BY dh.rowid")
        for r in conn.execute(sql, args):
            s = json.loads(r["snapshot"])
            yield {"rid": r["rid"], "group_code": r["code"], "group_name": r["name"], "head_name": s.get("head_name"),
                   "address": s.get("address"), "persons": s.get("persons"), "list": r["list"],
                   "list_vi": LIST_LABELS[r["list"]][0], "movement": r["movement"],
                   "movement_vi": LABELS[r["movement"]][0],
                   "deprived_text": ", ".join(str(n) for n in s.get("deprived") or ()),
                   "flags_text": _flags_text(s), "household_code": r["household_id"]}
        return
    gids = [g["id"] for g in groups_in(conn, scope)]
    merged = merged_away_ids(conn)
    rid = 0
    for gid in gids:
        for r in iter_results(conn, scope.round, scope.standard_id, group_id=gid):
            if r.household_id in merged:
                continue
            j = r.judgement
            if j.state != "settled" or j.list is None or (list_name and j.list != list_name):
                continue
            rid += 1
            if rid <= after:
                continue
            yield _named_from_result(r, rid)


def named_counts(conn: sqlite3.Connection, scope: Scope) -> dict[str, int]:
    counts = {k: 0 for k in LISTS}
    for r in iter_named(conn, scope):
        counts[r["list"]] += 1
    return counts


BUILDERS: dict[str, Callable[[sqlite3.Connection, Scope, dict[str, Any]], tuple[list, dict, dict]]] = {
    "overall": overall, "movement": movement_counts, "indicators": indicators, "groups": groups,
}
