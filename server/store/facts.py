"""Report facts: the few numbers per household the reports count, kept in two narrow tables so
that every report is an aggregate over an index instead of parsing JSON bodies.

* ``report_facts``       — per household: its current submission and group, persons, head,
  address, and the group flags of report 4 (ethnic minority, person of merit, no labour
  capacity), and whether it lives from farming, forestry, fishery or salt.
* ``report_class_facts`` — per (standard, household): the class of the current submission and
  the deprived indicators as a bit mask (bit n-1 = indicator n).

``refresh(db)`` is incremental: it (re)computes only households whose current submission or
group differs from the stored facts, in chunks: each chunk is read and computed outside the write
lock, then stored in its own short write transaction (sync is not held up). Every report calls it
first, so facts are never stale; ``refresh_households(db, ids)`` does the same for a few households.
A refresh holds a lock per database (a thread lock and, across server processes, ``flock`` on
``<db>.factslock``), so a report arriving while the background refresher (``background.py``) is
catching up after a bulk load waits for it instead of computing the same households twice.

No labour capacity (report 4) is defined here as: **no member of working age able to work** —
working age = 15 to 60 years on the collection date, able = not recorded as disabled. The
official definition is [U]; the ages are parameters of :func:`no_labour_capacity`.
"""
from __future__ import annotations

import json
import re
import sqlite3
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

try:
    import fcntl
except ImportError:         # Windows: the thread lock alone
    fcntl = None  # type: ignore[assignment]

from shared.classify import FARM_LIVELIHOODS
from shared.dates import age_on, parse_date

from ..db import Database


WORKING_AGE = (15, 60)      # [U] working age used for "no labour capacity"
CHUNK = 2000
_DEPRIVED = re.compile(rb'"deprived":(true|false|null)')


def no_labour_capacity(members: list[dict[str, Any]], ref: Any, working_age: tuple[int, int] = WORKING_AGE) -> bool:
    """True when no member of working age is able to work (not disabled). Unknown ages do not count."""
    day = parse_date(ref)
    lo, hi = working_age
    for m in members:
        age = age_on(m, day) if day else None
        if age is not None and lo <= age <= hi and m.get("disability") is not True:
            return False
    return True


def address_text(answers: dict[str, Any]) -> str:
    a = answers.get("address") if isinstance(answers.get("address"), dict) else {}
    parts = [str(a[k]) for k in ("house_number", "street") if a.get(k)]
    return " ".join(parts)


def household_facts(answers: dict[str, Any], collected_at: Any) -> dict[str, Any]:
    """The household-level facts of one submission's answers. Pure."""
    ms = [m for m in answers.get("members") or () if isinstance(m, dict)]
    return {"persons": len(ms), "address": address_text(answers),
            "ethnic_minority": int(any(m.get("ethnic_minority") is True for m in ms)),
            "person_of_merit": int(any(m.get("person_of_merit") is True for m in ms)),
            "no_labour": int(no_labour_capacity(ms, answers.get("collected_at") or collected_at)),
            "farm": int(answers.get("livelihood") in FARM_LIVELIHOODS)}


def deprived_mask(result_json: str | bytes) -> int:
    """Bit mask of deprived indicators from a stored classification result (indicators in order 1..12)."""
    raw = result_json.encode("utf-8") if isinstance(result_json, str) else bytes(result_json)
    flags = _DEPRIVED.findall(raw)
    if len(flags) != 12:
        if b'"indicators":[]' in raw:
            return 0
        doc = json.loads(raw)
        return sum(1 << (i["number"] - 1) for i in doc.get("indicators", ()) if i.get("deprived") is True)
    mask = 0
    for i, f in enumerate(flags):
        if f == b"true":
            mask |= 1 << i
    return mask


def stale(conn: sqlite3.Connection, after: str, limit: int) -> tuple[list[sqlite3.Row], str | None]:
    """Stale households after ``after`` (household_id order), scanning at most ``limit`` households.

    Returns (stale rows, the last household_id scanned or None at the end)."""
    rows = conn.execute(_STALE_SQL.format(where="h.household_id > ?") + " ORDER BY h.household_id LIMIT ?",
                        (after, limit)).fetchall()
    if not rows:
        return [], None
    return [r for r in rows if r["is_stale"]], rows[-1]["household_id"]


_STALE_SQL = ("SELECT h.household_id, h.submission_id, h.group_id, h.head_name, "
              "(f.household_id IS NULL OR f.submission_id != h.submission_id OR f.group_id != h.group_id) AS is_stale "
              "FROM households h LEFT JOIN report_facts f ON f.household_id = h.household_id WHERE {where}")


def _compute(conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> tuple[list[tuple], list[tuple]]:
    """The facts rows of these households (reads only: call it outside the write lock)."""
    ids = [r["submission_id"] for r in rows]
    marks = ",".join("?" * len(ids))
    bodies = {r[0]: (r[1], r[2]) for r in conn.execute(
        f"SELECT submission_id, body, collected_at FROM submissions WHERE submission_id IN ({marks})", ids)}
    facts = []
    for r in rows:
        b = bodies.get(r["submission_id"])
        answers = json.loads(b[0]).get("answers", {}) if b else {}
        f = household_facts(answers, b[1] if b else None)
        facts.append((r["household_id"], r["submission_id"], r["group_id"], f["persons"], r["head_name"],
                      f["address"], f["ethnic_minority"], f["person_of_merit"], f["no_labour"], f["farm"]))
    # The result as a BLOB: the regex runs on bytes, without decoding ~4 KB of Vietnamese text per row.
    classes = [(c[1], c[0], c[2], deprived_mask(c[3])) for c in conn.execute(
        f"SELECT household_id, standard_id, class, CAST(result AS BLOB) FROM classifications "
        f"WHERE submission_id IN ({marks})", ids)]
    return facts, classes


def _write(conn: sqlite3.Connection, facts: list[tuple], classes: list[tuple]) -> None:
    """Store computed facts (inside a write transaction). A row whose household moved on since it was
    read is stored as it was computed: it names its submission and group, so it is stale again at the
    next refresh and recomputed then."""
    hids = [f[0] for f in facts]
    conn.execute(f"DELETE FROM report_class_facts WHERE household_id IN ({','.join('?' * len(hids))})", hids)
    conn.executemany("INSERT OR REPLACE INTO report_facts (household_id, submission_id, group_id, persons, head_name, "
                     "address, ethnic_minority, person_of_merit, no_labour, farm) VALUES (?,?,?,?,?,?,?,?,?,?)", facts)
    conn.executemany("INSERT OR REPLACE INTO report_class_facts (standard_id, household_id, class, deprived_mask) "
                     "VALUES (?,?,?,?)", classes)


def _store(conn: sqlite3.Connection, rows: Iterable[sqlite3.Row]) -> int:
    rows = list(rows)
    _write(conn, *_compute(conn, rows))
    return len(rows)


# --- one refresh at a time per database -----------------------------------------------------------

_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


@contextmanager
def refreshing(db: Database) -> Iterator[None]:
    """Held for a whole refresh pass: one pass at a time per database, across threads and processes."""
    with _LOCKS_GUARD:
        lock = _LOCKS.setdefault(db.path, threading.Lock())
    with lock:
        if db.path == ":memory:" or fcntl is None:
            yield
            return
        with open(db.path + ".factslock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _apply(db: Database, rows: list[sqlite3.Row]) -> int:
    if not rows:
        return 0
    facts, classes = _compute(db.conn, rows)       # read and computed outside the write lock
    with db.write() as conn:
        _write(conn, facts, classes)
    return len(rows)


def refresh(db: Database, chunk: int = CHUNK, stop: Callable[[], bool] | None = None) -> int:
    """Bring the facts up to date; returns how many households were (re)computed.

    ``stop`` (the background refresher's shutdown flag) ends the pass early between chunks."""
    done, after = 0, ""
    with refreshing(db):
        while True:
            rows, last = stale(db.conn, after, chunk)   # read outside the write lock
            if last is None:
                return done
            done += _apply(db, rows)
            after = last
            if stop is not None and stop():
                return done


def refresh_households(db: Database, household_ids: Iterable[str], chunk: int = CHUNK) -> int:
    """Bring the facts of these households up to date (those whose facts are stale)."""
    ids = sorted(set(household_ids))
    done = 0
    with refreshing(db):
        for i in range(0, len(ids), chunk):
            part = ids[i:i + chunk]
            rows = db.conn.execute(_STALE_SQL.format(where=f"h.household_id IN ({','.join('?' * len(part))})"),
                                   part).fetchall()
            done += _apply(db, [r for r in rows if r["is_stale"]])
    return done
