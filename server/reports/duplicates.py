"""Households merged as duplicates are counted once in the reports.

A dedup cluster (records linked as the same household — automatically or by an officer — and
not undone; ``server.dedup.review.linked_clusters``) keeps one record in the reports, its
**survivor**: the record with the most recent current submission (``collected_at``, then the
household's ``updated_at``, then the household id, so the choice is deterministic). The other
records of the cluster are *merged away*: left out of every count and list. Undoing a link (or
deciding "different" / "split") splits the cluster and the records count again. A link between a
household and the one it declares it split off from (or merged into) is ignored: those are two
households by declaration (``lifecycle`` in the form, ``server.cycle``).

Computed per report on the report's own read transaction, so it matches the facts it counts.
"""
from __future__ import annotations

import json
import sqlite3
from typing import Any

from ..dedup.review import linked_clusters


def merged_away(conn: sqlite3.Connection) -> dict[str, str]:
    """{household_id merged away: its survivor} for every cluster of two or more households."""
    try:
        clusters = linked_clusters(conn)
    except sqlite3.OperationalError:        # no dedup tables (a database before migration 5)
        return {}
    if not clusters:
        return {}
    ids = [x for c in clusters for x in c]
    separate = declared_relations(conn, ids)
    if separate:
        clusters = linked_clusters(conn, separate)
    recency: dict[str, tuple[str, str, str]] = {}
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        for r in conn.execute(
                "SELECT h.household_id, COALESCE(s.collected_at, ''), h.updated_at FROM households h "
                f"LEFT JOIN submissions s ON s.submission_id = h.submission_id "
                f"WHERE h.household_id IN ({','.join('?' * len(part))})", part):
            recency[r[0]] = (r[1], r[2], r[0])
    out: dict[str, str] = {}
    for c in clusters:
        present = [x for x in c if x in recency]
        if len(present) < 2:
            continue
        survivor = max(present, key=lambda x: recency[x])
        out.update({x: survivor for x in present if x != survivor})
    return out


def declared_relations(conn: sqlite3.Connection, ids: list[str]) -> list[tuple[str, str]]:
    """(household, related household) declared by the households' current submissions — a household
    split off from another, or merged into another (``server.cycle``): by declaration two households,
    never one household's duplicate records, even when the dedup engine linked them."""
    out: list[tuple[str, str]] = []
    try:
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            out.extend((r[0], r[1]) for r in conn.execute(
                "SELECT h.household_id, sr.related_household_id FROM households h "
                "JOIN submission_rounds sr ON sr.submission_id = h.submission_id "
                f"WHERE sr.related_household_id IS NOT NULL AND h.household_id IN ({','.join('?' * len(part))})",
                part))
    except sqlite3.OperationalError:        # no cycle tables (a database before migration 6)
        return []
    return out


def merged_away_ids(conn: sqlite3.Connection, cache: dict[str, Any] | None = None) -> frozenset[str]:
    """The merged-away household ids (once per export when ``cache`` is given)."""
    if cache is not None and "merged_away" in cache:
        return cache["merged_away"]
    ids = frozenset(merged_away(conn))
    if cache is not None:
        cache["merged_away"] = ids
    return ids


def json_ids(ids: frozenset[str]) -> str:
    """For ``NOT IN (SELECT value FROM json_each(?))`` in SQL."""
    return json.dumps(sorted(ids))
