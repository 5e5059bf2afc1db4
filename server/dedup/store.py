"""The registry in SQLite: records, the blocking index, the fitted model.

``SqliteIndex`` has the same ``candidate_ids`` / ``match`` as
``engine.MemoryIndex`` but reads the blocking keys through the
``dedup_keys`` primary key (one range scan per key), so matching a new
household touches only its blocks, never the whole table.
Writes happen inside the caller's transaction (``Database.write()``).
"""
from __future__ import annotations

import hashlib
import heapq
import json
import sqlite3
from typing import Any, Iterable, Iterator

import orjson  # features are our own JSON (strings, small ints): decoded several times faster

from .. import jsontext
from .decide import Candidate
from .engine import MAX_BLOCK, score_against
from .features import Record, make_record
from .model import COMPARISON_VERSION, Model, default_model

_CHUNK = 400
_MODEL_CACHE: dict[tuple[str, int], Model] = {}
_DEFAULT_MODEL: Model | None = None


def _dumps(obj: Any) -> str:
    return jsontext.dumps(obj)


# --- records --------------------------------------------------------------------------------

# A record's blocking keys are the ones its stored features list (``keys``): they are removed by
# (key, record_id), through the primary key. There is no index on record_id (migration 9): it cost a
# page write per household and key in every push (issue 3, docs/performance.md "Sync ingest").
DELETE_KEYS_SQL = ("DELETE FROM dedup_keys WHERE record_id = ?1 AND key IN (SELECT value FROM json_each("
                   "(SELECT features FROM dedup_records WHERE record_id = ?1), '$.keys'))")


def upsert_record(conn: sqlite3.Connection, record: Record, now: str) -> None:
    conn.execute(DELETE_KEYS_SQL, (record.rid,))      # before the features that list them are replaced
    conn.execute("INSERT INTO dedup_records (record_id, round, ward, features, updated_at) VALUES (?, ?, ?, ?, ?) "
                 "ON CONFLICT (record_id) DO UPDATE SET round = excluded.round, ward = excluded.ward, "
                 "features = excluded.features, updated_at = excluded.updated_at",
                 (record.rid, record.round, record.ward, _dumps(record.to_json()), now))
    conn.executemany("INSERT OR IGNORE INTO dedup_keys (key, record_id) VALUES (?, ?)",
                     [(k, record.rid) for k in record.keys])


def remove_record(conn: sqlite3.Connection, record_id: str) -> None:
    conn.execute(DELETE_KEYS_SQL, (record_id,))
    conn.execute("DELETE FROM dedup_records WHERE record_id = ?", (record_id,))


def get_records(conn: sqlite3.Connection, record_ids: Iterable[str]) -> dict[str, Record]:
    ids = list(dict.fromkeys(record_ids))
    out: dict[str, Record] = {}
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i:i + _CHUNK]
        for rid, features in conn.execute(
                f"SELECT record_id, features FROM dedup_records WHERE record_id IN ({','.join('?' * len(chunk))})",
                chunk):
            out[rid] = Record.from_json(orjson.loads(features))
    return out


def iter_records(conn: sqlite3.Connection, batch: int = 2000) -> Iterator[Record]:
    after = ""
    while True:
        rows = conn.execute("SELECT record_id, features FROM dedup_records WHERE record_id > ? "
                            "ORDER BY record_id LIMIT ?", (after, batch)).fetchall()
        if not rows:
            return
        for rid, features in rows:
            yield Record.from_json(orjson.loads(features))
        after = rows[-1][0]


def head_names(conn: sqlite3.Connection) -> Iterator[tuple[str, str]]:
    """(head sorted-token key, head given name) of every record, read by SQLite's
    JSON functions without building the records (for term frequencies)."""
    yield from conn.execute("SELECT coalesce(json_extract(features, '$.head_sorted'), ''), "
                            "coalesce(json_extract(features, '$.head_given'), '') FROM dedup_records")


# --- sampling candidate pairs (refit within bounded memory) ----------------------------------

_MASK64 = (1 << 64) - 1


def _rid_hash(rid: str) -> int:
    return int.from_bytes(hashlib.blake2b(rid.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")


def sample_candidate_pairs(conn: sqlite3.Connection, max_pairs: int | None,
                           max_block: int = MAX_BLOCK) -> tuple[list[tuple[str, str]], int, int]:
    """A uniform sample, without replacement, of the registry's distinct
    candidate pairs (the pairs ``engine.candidate_pairs`` would give), in
    memory bounded by ``max_pairs``, not by the registry.

    The blocking index is read in key order (its primary key), one block at a
    time; every pair of a block within the cap gets a 64-bit hash and the
    ``max_pairs`` pairs with the smallest hashes are kept (a bottom-k sample:
    a pair met in several blocks has one hash, so it is counted once, and the
    sample is deterministic). ``max_pairs`` None or ≤ 0: every pair.

    Returns (pairs (a < b) sorted, pairs kept, an estimate of the distinct
    candidate pairs — exact when nothing was dropped).
    """
    unbounded = not max_pairs or max_pairs <= 0
    heap: list[tuple[int, str, str]] = []      # (-hash, a, b): the largest kept hash on top
    kept: set[tuple[str, str]] = set()
    k = max_pairs or 0
    dropped = False

    def take_block(block: list[str]) -> None:
        nonlocal dropped
        n = len(block)
        if n < 2 or n > max_block:
            return
        hashes = [_rid_hash(r) for r in block]
        for x in range(n):
            a, ha = block[x], hashes[x] * 0x9E3779B97F4A7C15
            for y in range(x + 1, n):
                pair = (a, block[y])
                if unbounded:
                    kept.add(pair)
                    continue
                h = ((ha ^ hashes[y]) * 0xBF58476D1CE4E5B9) & _MASK64
                if len(heap) < k:
                    if pair not in kept:
                        kept.add(pair)
                        heapq.heappush(heap, (-h, *pair))
                elif h < -heap[0][0] and pair not in kept:
                    _, *old = heapq.heapreplace(heap, (-h, *pair))
                    kept.discard(tuple(old))
                    kept.add(pair)
                    dropped = True
                elif h > -heap[0][0]:
                    dropped = True

    current, block = None, []
    for key, rid in conn.execute("SELECT key, record_id FROM dedup_keys ORDER BY key, record_id"):
        if key != current:
            take_block(block)
            current, block = key, []
        block.append(rid)
    take_block(block)
    pairs = sorted(kept)
    if unbounded or not dropped:
        return pairs, len(pairs), len(pairs)
    largest = -heap[0][0]
    estimate = int((k - 1) / ((largest + 1) / (1 << 64)))   # the bottom-k distinct-count estimator
    return pairs, len(pairs), max(estimate, len(pairs))


# --- model ----------------------------------------------------------------------------------

def save_model(conn: sqlite3.Connection, model: Model, now: str, actor: str, records: int, pairs: int) -> int:
    cur = conn.execute("INSERT INTO dedup_models (params, fitted_at, fitted_by, records, pairs) VALUES (?, ?, ?, ?, ?)",
                       (_dumps(model.to_json()), now, actor, records, pairs))
    return int(cur.lastrowid)


def _default() -> Model:
    global _DEFAULT_MODEL
    if _DEFAULT_MODEL is None:     # built once: matching only reads the model
        _DEFAULT_MODEL = default_model()
    return _DEFAULT_MODEL


def load_model(conn: sqlite3.Connection) -> tuple[int | None, Model]:
    """The newest fitted model (cached by database and id), else the default. A stored model fitted
    on another comparison (before issue 19: household name and birth year apart, no head field) is
    not used — its weights fall on levels households no longer produce — until the next refit."""
    row = conn.execute("SELECT id FROM dedup_models WHERE json_extract(params, '$.comparison') = ? "
                       "ORDER BY id DESC LIMIT 1", (COMPARISON_VERSION,)).fetchone()
    if row is None:
        return None, _default()
    model_id = int(row[0])
    db_name = conn.execute("PRAGMA database_list").fetchone()[2]
    # Cached by file and id; an in-memory database is never cached (id(conn)
    # is reused once a connection is gone, and would return another database's model).
    key = (db_name, model_id)
    model = _MODEL_CACHE.get(key) if db_name else None
    if model is None:
        params = conn.execute("SELECT params FROM dedup_models WHERE id = ?", (model_id,)).fetchone()[0]
        model = Model.from_json(json.loads(params))
        if db_name:
            if len(_MODEL_CACHE) > 8:
                _MODEL_CACHE.clear()
            _MODEL_CACHE[key] = model
    return model_id, model


# --- the index ------------------------------------------------------------------------------

class SqliteIndex:
    def __init__(self, conn: sqlite3.Connection, model: Model | None = None, max_block: int = MAX_BLOCK):
        self.conn = conn
        if model is None:
            self.model_id, model = load_model(conn)
        else:
            self.model_id = None
        self.model = model
        self.max_block = max_block

    def __len__(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM dedup_records").fetchone()[0])

    def add(self, record: Record, now: str = "") -> None:
        upsert_record(self.conn, record, now)

    def add_doc(self, doc: Any, rid: str | None = None, now: str = "") -> Record:
        record = make_record(doc, rid, keep_raw=True)
        self.add(record, now)
        return record

    def candidate_ids(self, record: Record) -> set[str]:
        # A block is used when, with the record itself, it stays within the cap. Each block is read
        # through the primary key up to cap + 1 rows, so a large block (a common name, a group-level
        # address key in a big ward) costs the same as a small one instead of a count of all its rows.
        out: set[str] = set()
        limit = self.max_block + 1
        for key in sorted(record.keys):
            rids = [r[0] for r in self.conn.execute(
                "SELECT record_id FROM dedup_keys WHERE key = ? LIMIT ?", (key, limit))]
            if len(rids) + (record.rid not in rids) <= self.max_block:
                out.update(rids)
        out.discard(record.rid)
        return out

    def records(self, rids: Iterable[str]) -> dict[str, Record]:
        return get_records(self.conn, rids)

    def match(self, doc: Any, rid: str | None = None, keep_new: bool = False) -> list[Candidate]:
        record = doc if isinstance(doc, Record) else make_record(doc, rid, keep_raw=True)
        others = self.records(self.candidate_ids(record))
        return score_against(self.model, record, others.values(), keep_new)
