"""Which households a support type is for, on a date: their status history (every standard the
programme follows) through ``shared.eligibility`` with the catalogue as the policy table and the ward's
window settings (``server.process.eligibility.policies``). A household qualifies for a type when it
qualifies under any of those standards (provincial poor and near-poor households receive the national
policies too, domain.md §2.4); the basis shown is the status and standard that qualify it.
"""
from __future__ import annotations

import datetime as dt
import itertools
import json
import sqlite3
from typing import Any, Iterable, Iterator

from shared.eligibility import StatusChange, eligibility
from shared.programme import Catalogue, eligibility_table, load_catalogue

from ..process import eligibility as cycle_eligibility


def catalogue() -> Catalogue:
    return load_catalogue()


def type_table(conn: sqlite3.Connection, cat: Catalogue | None = None) -> dict[str, Any]:
    return eligibility_table(cat or catalogue(), cycle_eligibility.policies(conn))


def programme_standards(conn: sqlite3.Connection, year: int | None = None) -> list[str]:
    """The standards the programme follows: the year's round standards, else every standard with a
    status history."""
    if year is not None:
        row = conn.execute("SELECT standards FROM review_rounds WHERE kind = 'periodic' AND year = ?", (year,)).fetchone()
        if row and row[0]:
            ids = json.loads(row[0])
            if ids:
                return list(ids)
    return [r[0] for r in conn.execute("SELECT DISTINCT standard_id FROM household_status_history ORDER BY 1")]


def _merge(per_standard: dict[str, list[StatusChange]], on: dt.date, table: dict[str, Any]
           ) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for std, changes in per_standard.items():
        for e in eligibility(changes, on, table):
            if not e.eligible:
                continue
            end = e.window_end.isoformat() if e.window_end else None
            prev = out.get(e.policy_id)
            # keep the basis lasting longest (no end = while the status holds)
            if prev is None or (prev["window_end"] is not None and (end is None or end > prev["window_end"])):
                out[e.policy_id] = {"basis": e.basis, "window_end": end, "standard_id": std}
    return out


_HISTORY = ("SELECT household_id, standard_id, status, decision_date FROM household_status_history "
            "WHERE standard_id IN ({stds}) {where} ORDER BY household_id, standard_id, decision_date, id")


def histories(conn: sqlite3.Connection, standards: list[str], household_ids: list[str] | None = None,
               group_id: int | None = None) -> Iterator[tuple[str, dict[str, list[StatusChange]]]]:
    if not standards:
        return
    params: list[Any] = list(standards)
    where = ""
    if household_ids is not None:
        where = f"AND household_id IN ({','.join('?' * len(household_ids)) or 'NULL'})"
        params += household_ids
    if group_id is not None:
        where += " AND household_id IN (SELECT household_id FROM households WHERE group_id = ?)"
        params.append(group_id)
    rows = conn.execute(_HISTORY.format(stds=",".join("?" * len(standards)), where=where), params)
    for hid, grp in itertools.groupby(rows, key=lambda r: r[0]):
        per: dict[str, list[StatusChange]] = {}
        for r in grp:
            try:
                per.setdefault(r[1], []).append(StatusChange(r[2], dt.date.fromisoformat(r[3])))
            except ValueError:
                continue
        yield hid, per


def household_types(conn: sqlite3.Connection, household_id: str, on: dt.date, standards: list[str] | None = None,
                    table: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """The support types a household qualifies for on ``on``: type id → basis, window end, standard."""
    table = table or type_table(conn)
    stds = standards if standards is not None else programme_standards(conn, on.year)
    for _, per in histories(conn, stds, [household_id]):
        return _merge(per, on, table)
    return {}


def eligible_households(conn: sqlite3.Connection, type_ids: Iterable[str], on: dt.date,
                        standards: list[str] | None = None, group_id: int | None = None,
                        table: dict[str, Any] | None = None) -> Iterator[tuple[str, dict[str, dict[str, Any]]]]:
    """Households qualifying for at least one of ``type_ids`` on ``on`` (streamed), with those types."""
    wanted = set(type_ids)
    table = table or type_table(conn)
    stds = standards if standards is not None else programme_standards(conn, on.year)
    for hid, per in histories(conn, stds, group_id=group_id):
        got = {k: v for k, v in _merge(per, on, table).items() if k in wanted}
        if got:
            yield hid, got
