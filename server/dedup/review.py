"""The review queue and merges, over the dedup tables (schema.py).

Every function takes a connection inside the caller's write transaction
(``Database.write()``) and an explicit ``now`` and actor; nothing commits.

* ``on_ingest``   — index a household's current document and match it: auto
  links when allowed, the rest into the queue.
* ``decide``      — a person's decision on a queued pair: same (must-link,
  merges), different / split (cannot-link, undoes a direct link), unsure.
* ``undo_link``   — undo any merge; the pair goes back to the queue and is
  never auto-linked again.
* ``rerun``       — rematch every household (after ``refit_model``); human
  decisions and undone links are respected, never overridden.

A household cluster is the connected component of active links. Auto-links
obey the one-record-per-round rule (cluster.py); human "same" decisions may
override it (reported as a conflict).
"""
from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections import Counter
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterable, Iterator, Sequence

from shared import identity as idn

from .compare import (ADDR_DIFFERENT, ADDR_SAME, ADDR_STREET, F_ADDRESS, F_HEAD, FIELD_NAMES, FIELDS, HEADS_DIFFER,
                      NULL, compare, one_edit)
from .decide import AUTO, HEAD_AGREES, REVIEW, Candidate, review_priority
from .defaults import refit_max_pairs
from .engine import SAME_PERSON, SUCCESSOR_THRESHOLD, promotion_reason, score_against
from .features import Record, make_record
from .model import fit, name_frequencies
from .store import (SqliteIndex, get_records, head_names, iter_records, load_model, sample_candidate_pairs, save_model,
                    upsert_record)

DECISIONS = ("same", "different", "split", "unsure")
CANNOT = ("different", "split")
DECISION_LABELS = {
    "same": ("Cùng một hộ", "Same household"),
    "different": ("Khác hộ", "Different household"),
    "split": ("Hộ tách từ hộ kia (cùng dòng hộ, hai hộ riêng)", "Lineage: split off the other (two households)"),
    "unsure": ("Chưa chắc chắn", "Unsure"),
}
REASON_LABELS = {
    "same_base_other_suffix": ("Cùng số nhà gốc nhưng khác hậu tố (12/3 và 12/3A): có thể là hộ tách",
                               "Same house-number base, different suffix: possibly a split household"),
    "one_edit_id_uncorroborated": ("Số CCCD chỉ khác một chữ số nhưng tên không khớp",
                                   "Citizen IDs one digit apart but the names do not agree"),
    "thin_evidence": ("Hồ sơ thiếu tên, địa chỉ hoặc số định danh", "A record lacks name, address or identifiers"),
    "id_equal_name_differs": ("Cùng số CCCD chủ hộ nhưng khác tên", "Same head citizen ID under another name"),
    "constraint": ("Hộ đã có hồ sơ khác trong cùng kỳ rà soát", "The household already has a record in this round"),
    "heads_differ_same_round": ("Hai hồ sơ cùng kỳ rà soát nhưng chủ hộ là hai người khác nhau (có thể là hộ tách)",
                                "Two records of one round whose heads are different people (possibly a split)"),
    "head_change_unexplained": ("Chủ hộ khác nhau giữa hai kỳ mà chưa có bằng chứng thay đổi chủ hộ",
                                "The heads differ between the rounds without evidence of a change of head"),
    "other_house_same_round": ("Hai hồ sơ cùng kỳ rà soát ở hai nhà khác nhau, không chung số điện thoại hay số định danh",
                               "Two records of one round at two houses, sharing no phone or ID"),
    "declared_split": ("Hộ này đã khai là tách từ hộ kia", "This household declared it split off the other"),
    "head_change_explained": ("Chủ hộ thay đổi giữa hai kỳ, có bằng chứng (cùng nhà, vợ/chồng, cùng điện thoại…)",
                              "The head changed between the rounds, with evidence (same house, spouse, phone…)"),
    "head_still_heads": ("Chủ hộ cũ vẫn là chủ một hộ ở kỳ kia (có thể là hộ tách, không phải đổi chủ hộ)",
                         "The old head still heads a household in the other round (a split, not a change of head)"),
    "successor": ("Liên kết tự động: hộ duy nhất khớp ở kỳ kia (thay đổi chủ hộ)",
                  "Linked automatically: the only match in the other round (a change of head)"),
    "only_household_at_the_house": ("Liên kết tự động: cùng nhà, hộ duy nhất khớp ở kỳ kia (chủ hộ khác)",
                                    "Linked automatically: the same house, the only match in the other round "
                                    "(another head)"),
    "only_counterpart": ("Liên kết tự động: cùng chủ hộ, hộ duy nhất khớp ở kỳ kia",
                         "Linked automatically: the same head, the only match in the other round"),
}


class DedupError(Exception):
    def __init__(self, status: int, code: str, message: str, message_vi: str):
        super().__init__(message)
        self.status, self.code, self.message, self.message_vi = status, code, message, message_vi


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def audit(conn: sqlite3.Connection, now: str, actor: str, action: str, a: str | None = None,
          b: str | None = None, **details: Any) -> None:
    conn.execute("INSERT INTO dedup_audit (at, actor, action, a, b, details) VALUES (?, ?, ?, ?, ?, ?)",
                 (now, actor, action, a, b, _dumps(details)))


# --- links and clusters ---------------------------------------------------------------------

def cluster_of(conn: sqlite3.Connection, record_id: str) -> set[str]:
    """Every household linked to ``record_id`` through active links (itself included)."""
    seen, frontier = {record_id}, [record_id]
    while frontier:
        marks = ",".join("?" * len(frontier))
        rows = conn.execute(f"SELECT a, b FROM dedup_links WHERE undone_at IS NULL AND "
                            f"(a IN ({marks}) OR b IN ({marks}))", (*frontier, *frontier)).fetchall()
        frontier = []
        for a, b in rows:
            for x in (a, b):
                if x not in seen:
                    seen.add(x)
                    frontier.append(x)
    return seen


def active_link(conn: sqlite3.Connection, a: str, b: str) -> int | None:
    a, b = _pair(a, b)
    row = conn.execute("SELECT id FROM dedup_links WHERE a = ? AND b = ? AND undone_at IS NULL", (a, b)).fetchone()
    return None if row is None else int(row[0])


def _link_was_undone(conn: sqlite3.Connection, a: str, b: str) -> bool:
    a, b = _pair(a, b)
    return conn.execute("SELECT 1 FROM dedup_links WHERE a = ? AND b = ? AND undone_at IS NOT NULL",
                        (a, b)).fetchone() is not None


def latest_decision(conn: sqlite3.Connection, a: str, b: str) -> str | None:
    a, b = _pair(a, b)
    row = conn.execute("SELECT decision FROM dedup_decisions WHERE a = ? AND b = ? ORDER BY id DESC LIMIT 1",
                       (a, b)).fetchone()
    return None if row is None else row[0]


def _cannot_between(conn: sqlite3.Connection, xs: Iterable[str], ys: Iterable[str]) -> list[tuple[str, str]]:
    out = []
    ys = set(ys)
    for x in xs:
        rows = conn.execute("SELECT a, b FROM dedup_decisions WHERE a = ? OR b = ?", (x, x)).fetchall()
        for a, b in {(r[0], r[1]) for r in rows}:
            other = b if a == x else a
            if other in ys and latest_decision(conn, a, b) in CANNOT:
                out.append((a, b))
    return out


def _rounds(conn: sqlite3.Connection, ids: Iterable[str]) -> dict[str, int | None]:
    ids = list(ids)
    marks = ",".join("?" * len(ids))
    return {r[0]: r[1] for r in conn.execute(
        f"SELECT record_id, round FROM dedup_records WHERE record_id IN ({marks})", ids)}


def _declared_between(conn: sqlite3.Connection, xs: set[str], ys: set[str]) -> bool:
    """A household of one side says it split off a household of the other (lifecycle split_from)."""
    ids = list(xs | ys)
    marks = ",".join("?" * len(ids))
    for rid, lineage in conn.execute(f"SELECT record_id, json_extract(features, '$.lineage') FROM dedup_records "
                                     f"WHERE record_id IN ({marks}) AND json_extract(features, '$.lineage') "
                                     f"IS NOT NULL", ids):
        if (rid in xs and lineage in ys) or (rid in ys and lineage in xs):
            return True
    return False


def can_auto_link(conn: sqlite3.Connection, a: str, b: str) -> tuple[bool, str]:
    """Whether an automatic link a–b keeps every cluster a plausible household."""
    ca, cb = cluster_of(conn, a), cluster_of(conn, b)
    if ca & cb:
        return False, "already_linked"
    if _cannot_between(conn, ca, cb) or _declared_between(conn, ca, cb):
        return False, "cannot_link"
    rounds = _rounds(conn, ca | cb)
    ra = {rounds.get(x) for x in ca} - {None}
    rb = {rounds.get(x) for x in cb} - {None}
    common = ra & rb
    if common and not (rounds.get(a) is not None and rounds.get(a) == rounds.get(b) and common == {rounds.get(a)}):
        return False, "constraint"
    return True, ""


def _add_link(conn: sqlite3.Connection, a: str, b: str, source: str, actor: str, now: str,
              probability: float | None = None, candidate_id: int | None = None,
              decision_id: int | None = None) -> int:
    a, b = _pair(a, b)
    cur = conn.execute("INSERT INTO dedup_links (a, b, source, probability, candidate_id, decision_id, created_at, "
                       "created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (a, b, source, probability, candidate_id, decision_id, now, actor))
    audit(conn, now, actor, f"link_{source}", a, b, link_id=cur.lastrowid, probability=probability)
    return int(cur.lastrowid)


def _undo(conn: sqlite3.Connection, link_id: int, actor: str, now: str, reason: str) -> None:
    conn.execute("UPDATE dedup_links SET undone_at = ?, undone_by = ?, undo_reason = ? WHERE id = ?",
                 (now, actor, reason, link_id))
    a, b = conn.execute("SELECT a, b FROM dedup_links WHERE id = ?", (link_id,)).fetchone()
    audit(conn, now, actor, "link_undone", a, b, link_id=link_id, reason=reason)


# --- matching -------------------------------------------------------------------------------

def _upsert_candidate(conn: sqlite3.Connection, me: str, c: Candidate, status: str, reasons: list[str],
                      model_id: int | None, now: str) -> int:
    a, b = _pair(me, c.rid)
    conn.execute(
        "INSERT INTO dedup_candidates (a, b, weight, probability, band, gamma, reasons, priority, status, model_id, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (a, b) DO UPDATE SET "
        "weight = excluded.weight, probability = excluded.probability, band = excluded.band, gamma = excluded.gamma, "
        "reasons = excluded.reasons, priority = excluded.priority, status = excluded.status, "
        "model_id = excluded.model_id, updated_at = excluded.updated_at",
        (a, b, c.weight, c.probability, c.band, _dumps(list(c.gamma)), _dumps(reasons),
         review_priority(c.probability, reasons), status, model_id, now, now))
    return int(conn.execute("SELECT id FROM dedup_candidates WHERE a = ? AND b = ?", (a, b)).fetchone()[0])


def rematch(conn: sqlite3.Connection, record: Record, now: str, actor: str = "system",
            index: SqliteIndex | None = None, exclude: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """Match an indexed record against the registry and act on the result.

    ``exclude``: records not to compare it with (``match_deferred``: the other households of the same
    register import)."""
    index = index or SqliteIndex(conn)
    if exclude:
        others = index.records(index.candidate_ids(record) - exclude)
        candidates = score_against(index.model, record, others.values(), False)
    else:
        candidates = index.match(record)
    linked: list[str] = []
    queued: list[str] = []
    seen = set()
    _withdraw_promotions(conn, record, candidates, now, actor)
    _old_head_returns(conn, record, candidates, now, actor)
    candidates = _promote_successor(conn, record, _heads_still_head(conn, record, candidates), index)
    for c in candidates:
        seen.add(_pair(record.rid, c.rid))
        reasons = list(c.reasons)
        decision = latest_decision(conn, record.rid, c.rid)
        if decision in ("same", "different", "split"):
            status = "decided"
        elif active_link(conn, record.rid, c.rid) is not None:
            status = "linked"
        elif c.band == AUTO and decision is None and not _link_was_undone(conn, record.rid, c.rid):
            ok, why = can_auto_link(conn, record.rid, c.rid)
            if not ok and why == "constraint" and _displace(conn, record, c, now, actor):
                ok, why = can_auto_link(conn, record.rid, c.rid)
            if ok:
                cid = _upsert_candidate(conn, record.rid, c, "linked", reasons, index.model_id, now)
                _add_link(conn, record.rid, c.rid, "auto", actor, now, c.probability, cid)
                linked.append(c.rid)
                continue
            if why == "already_linked":
                status = "linked"
            else:
                reasons.append(why if why == "constraint" else "cannot_link")
                status = "open" if why == "constraint" else "dismissed"
        else:
            status = "open"
        if status == "open":
            queued.append(c.rid)
        _upsert_candidate(conn, record.rid, c, status, reasons, index.model_id, now)
    _promote_freed(conn, record.rid, linked, now, actor)
    # Open pairs of this record that no longer score in a band leave the queue.
    for cid, a, b in conn.execute("SELECT id, a, b FROM dedup_candidates WHERE (a = ? OR b = ?) AND status = 'open'",
                                  (record.rid, record.rid)).fetchall():
        if (a, b) not in seen:
            conn.execute("UPDATE dedup_candidates SET status = 'dismissed', updated_at = ? WHERE id = ?", (now, cid))
    return {"household_id": record.rid, "linked": linked, "queued": queued,
            "flags": list(record.flags), "candidates": [c.to_json() for c in candidates]}


def _competes_in(conn: sqlite3.Connection, rid: str, round_: int, exclude: str, probability_: float,
                 successor: bool) -> bool:
    """Whether household ``rid`` has an open or linked pair with a record of ``round_`` (other than
    ``exclude``) that competes with ``exclude`` for it — as the batch counts rivals
    (``engine._only_rival``): not a pair marked ``head_still_heads``, not a record already linked with
    another household of ``rid``'s round (taken), and, for a head change (``successor``), not a
    same-head pair at another house scoring lower than the head change (a namesake there)."""
    rows = conn.execute("SELECT a, b, gamma, probability, reasons, status FROM dedup_candidates "
                        "WHERE (a = ? OR b = ?) AND status IN ('open', 'linked')", (rid, rid)).fetchall()
    others = {(b if a == rid else a): (json.loads(g), p, json.loads(r), st) for a, b, g, p, r, st in rows}
    others.pop(exclude, None)
    if not others:
        return False
    rounds = _rounds(conn, [*others, rid])
    for other, (g, p, reasons, status) in others.items():
        if rounds.get(other) != round_ or "head_still_heads" in reasons:
            continue
        if status != "linked" and _taken(conn, other, rounds.get(rid), rid):
            continue
        if successor and status != "linked" and len(g) > F_HEAD and g[F_HEAD] in HEAD_AGREES \
                and _same_head_strength(g, p) < probability_:
            continue
        return True
    return False


def _taken(conn: sqlite3.Connection, rid: str, round_: int | None, exclude: str) -> bool:
    """Whether household ``rid`` is linked with a record of ``round_`` other than ``exclude``."""
    if round_ is None:
        return False
    linked = [b if a == rid else a for a, b in conn.execute(
        "SELECT a, b FROM dedup_links WHERE undone_at IS NULL AND (a = ? OR b = ?)", (rid, rid))]
    linked = [x for x in linked if x != exclude]
    return bool(linked) and round_ in _rounds(conn, linked).values()


def _same_head_strength(gamma: Sequence[int], probability_: float, linked: bool = False,
                        same_number: bool = False) -> float:
    """How strongly a same-head pair says that its head still heads a household: a linked pair or one
    at the same house (or an address unknown, or the same house number where one record lacks the
    street: ``same_number``) fully; one at another house as strong as it scores (a namesake there is
    as likely as the old head) — as ``engine.heads_still_head``."""
    if linked or same_number or gamma[F_ADDRESS] not in (ADDR_STREET, ADDR_DIFFERENT):
        return 1.0
    return probability_


def _heads_elsewhere(conn: sqlite3.Connection, rid: str, round_: int, exclude: str, at_least: float = 0.0) -> bool:
    """Whether household ``rid`` has an open or linked pair, with the same head, with a record of
    ``round_`` (other than ``exclude``); an open pair only when it scores ``at_least`` (a linked one
    was decided: it always counts)."""
    rows = conn.execute("SELECT a, b, gamma, probability, status FROM dedup_candidates WHERE (a = ? OR b = ?) "
                        "AND status IN ('open', 'linked')", (rid, rid)).fetchall()
    others: dict[str, float] = {}
    for a, b, gamma, p, status in rows:
        other = b if a == rid else a
        g = json.loads(gamma)
        if other != exclude and len(g) > F_HEAD and g[F_HEAD] in HEAD_AGREES:
            strength = _same_head_strength(g, p, status == "linked")
            if strength < at_least and _same_house_number(conn, rid, other):
                strength = 1.0
            others[other] = max(others.get(other, 0.0), strength)
    if not others:
        return False
    rounds = _rounds(conn, others)
    return any(rounds.get(o) == round_ and p >= at_least for o, p in others.items())


def _same_house_number(conn: sqlite3.Connection, a: str, b: str) -> bool:
    """Whether the stored records ``a`` and ``b`` carry the same house number (read only for the rare
    same-head pair that the address level puts at another house)."""
    records = get_records(conn, (a, b))
    ra, rb = records.get(a), records.get(b)
    return ra is not None and rb is not None and bool(ra.house) and ra.house == rb.house


def _heads_still_head(conn: sqlite3.Connection, record: Record, candidates: list[Candidate]) -> list[Candidate]:
    """The registry's form of ``engine.heads_still_head``: a head change is not linked automatically
    when either head heads a household in the other's round (a same-head candidate here, or one
    stored for the other household) — by a pair scoring at least as high as the head change (a
    weaker one is more likely a namesake elsewhere; a linked one always counts)."""
    if record.round is None:
        return candidates
    mine: dict[int, float] = {}
    for c in candidates:
        if c.other is not None and c.other.round is not None and len(c.gamma) > F_HEAD \
                and c.gamma[F_HEAD] in HEAD_AGREES:
            same_number = bool(record.house) and record.house == c.other.house
            mine[c.other.round] = max(mine.get(c.other.round, 0.0),
                                      _same_head_strength(c.gamma, c.probability, same_number=same_number))
    out = []
    for c in candidates:
        other = c.other
        if other is not None and other.round is not None and other.round != record.round \
                and len(c.gamma) > F_HEAD and c.gamma[F_HEAD] in HEADS_DIFFER \
                and (mine.get(other.round, -1.0) >= c.probability
                     or _heads_elsewhere(conn, c.rid, record.round, record.rid, c.probability)):
            c = dataclasses.replace(c, band=REVIEW if c.band == AUTO else c.band,
                                    reasons=(*(r for r in c.reasons if r != "head_change_explained"), "head_still_heads"))
        out.append(c)
    return out


def _promote_successor(conn: sqlite3.Connection, record: Record, candidates: list[Candidate],
                       index: SqliteIndex | None = None) -> list[Candidate]:
    """The registry's form of ``engine.promote_successors``: a pair of two rounds scored at least
    ``SUCCESSOR_THRESHOLD`` in the review band is linked automatically when it is the only candidate
    of this household in the other's round and the other household has no other open or linked pair
    with this round — a head change whose evidence explains it (``successor``), a pair whose heads are
    one person by name held back by its score alone (``only_counterpart``), an unexplained head change
    at the very same house (``only_household_at_the_house``), as in the batch. A candidate whose own
    head still heads it in this round (``head_still_heads``) is no rival, as in the batch. (A
    competitor arriving later displaces it: ``_displace``.)"""
    if record.round is None:
        return candidates
    out = []
    for c in candidates:
        other = c.other
        promotable = c.band == REVIEW and c.probability >= SUCCESSOR_THRESHOLD
        reason = promotion_reason(c.gamma, c.reasons) if promotable else None
        if reason == "only_household_at_the_house" and other is not None and other.round is not None \
                and (index is None or _named_elsewhere(index, record, other.round, c.rid)
                     or _named_elsewhere(index, other, record.round, record.rid)):
            reason = None      # the old head (or the new one) heads a record of the other round
        if reason and other is not None and other.round is not None and other.round != record.round \
                and not any(_rival(conn, record, c, x, reason) for x in candidates) \
                and not _competes_in(conn, c.rid, record.round, record.rid, c.probability, reason == "successor"):
            c = dataclasses.replace(c, band=AUTO, reasons=(*c.reasons, reason))
        out.append(c)
    return out


PROMOTIONS = ("successor", "only_counterpart", "only_household_at_the_house")


def _named_elsewhere(index: SqliteIndex, record: Record, round_: int, partner: str) -> bool:
    """The registry's ``engine._named_elsewhere``: whether a record of ``round_`` (other than
    ``partner``) names ``record``'s head, at the same house or an address unknown, whatever the pair
    scored (read only for an unexplained head change about to be promoted: rare)."""
    return any(c.rid != partner and c.other is not None and c.other.round == round_ and len(c.gamma) > F_HEAD
               and c.gamma[F_HEAD] in SAME_PERSON and c.gamma[F_ADDRESS] in (ADDR_SAME, NULL)
               for c in index.match(record, keep_new=True))


def _rival(conn: sqlite3.Connection, record: Record, c: Candidate, x: Candidate, reason: str) -> bool:
    """Whether candidate ``x`` of ``record`` competes with ``c`` for it, as the batch counts rivals
    (``engine._only_rival``)."""
    if x.rid == c.rid or x.other is None or x.other.round != c.other.round or "head_still_heads" in x.reasons:
        return False
    if _taken(conn, x.rid, record.round, record.rid):
        return False           # already linked with another household of this record's round
    if reason == "successor" and len(x.gamma) > F_HEAD and x.gamma[F_HEAD] in HEAD_AGREES \
            and _same_head_strength(x.gamma, x.probability) < c.probability:
        return False           # a weaker namesake at another house
    return True


def _promote_freed(conn: sqlite3.Connection, rid: str, linked: list[str], now: str,
                  actor: str) -> list[tuple[str, str]]:
    """After ``rid`` was linked with ``linked``: each of them is now taken in the other's round, so
    it no longer competes for the records it had open pairs with; a pair of such a record that has
    become its only one on both sides, and that the batch would promote (``engine.promotion_reason``,
    p ≥ ``SUCCESSOR_THRESHOLD``), is linked now — the registry then gives what the batch gives
    whichever household arrived first. A promotion withdrawn when the competitor arrived
    (``_withdraw_promotions``) may be made again; any other undone link is not. Returns the pairs
    linked."""
    done: list[tuple[str, str]] = []
    for x in linked:
        for taken in (x, rid):
            for y in _open_partners(conn, taken):
                for z in _open_partners(conn, y):
                    if z in (x, rid) or active_link(conn, y, z) is not None:
                        continue
                    a, b = _pair(y, z)
                    row = conn.execute("SELECT id, gamma, probability, reasons, band FROM dedup_candidates "
                                       "WHERE a = ? AND b = ? AND status = 'open'", (a, b)).fetchone()
                    if row is None:
                        continue
                    cid, gamma, p, reasons = int(row[0]), json.loads(row[1]), float(row[2]), json.loads(row[3])
                    reason = promotion_reason(gamma, reasons) if row[4] == REVIEW and p >= SUCCESSOR_THRESHOLD \
                        else None
                    rounds = _rounds(conn, [y, z])
                    if reason is None or None in rounds.values() or rounds[y] == rounds[z] \
                            or latest_decision(conn, y, z) is not None or _undone_not_withdrawn(conn, y, z):
                        continue
                    successor = reason == "successor"
                    if _competes_in(conn, y, rounds[z], z, p, successor) \
                            or _competes_in(conn, z, rounds[y], y, p, successor) or not can_auto_link(conn, y, z)[0]:
                        continue
                    reasons = [*reasons, reason]
                    conn.execute("UPDATE dedup_candidates SET status = 'linked', reasons = ?, updated_at = ? "
                                 "WHERE id = ?", (_dumps(reasons), now, cid))
                    _add_link(conn, y, z, "auto", actor, now, p, cid)
                    done.append((a, b))
    return done


def _undone_not_withdrawn(conn: sqlite3.Connection, a: str, b: str) -> bool:
    a, b = _pair(a, b)
    return conn.execute("SELECT 1 FROM dedup_links WHERE a = ? AND b = ? AND undone_at IS NOT NULL "
                        "AND undo_reason NOT LIKE 'withdrawn:%'", (a, b)).fetchone() is not None


def _open_partners(conn: sqlite3.Connection, rid: str) -> list[str]:
    return [b if a == rid else a for a, b in conn.execute(
        "SELECT a, b FROM dedup_candidates WHERE (a = ? OR b = ?) AND status = 'open'", (rid, rid))]


def _old_head_returns(conn: sqlite3.Connection, record: Record, candidates: list[Candidate], now: str,
                      actor: str) -> list[int]:
    """The registry's form of ``engine.heads_still_head`` for a record arriving after the fact: when
    this record has the same head as a household of the other round (a same-head candidate, counted
    as ``_same_head_strength`` reads it, the same house number included) and that household is linked
    automatically, as a head change, with another record of this record's round no stronger than this
    pair, the old head still heads this household — the other record is a split-off or a neighbour,
    not its successor: that link is undone (reason "displaced: the old head's own record …", the pair
    back in the queue marked ``head_still_heads``, never auto-linked again). Returns the links undone."""
    if record.round is None:
        return []
    undone: list[int] = []
    for c in candidates:
        other = c.other
        if other is None or other.round is None or other.round == record.round or len(c.gamma) <= F_HEAD \
                or c.gamma[F_HEAD] not in HEAD_AGREES:
            continue
        strength = _same_head_strength(c.gamma, c.probability,
                                       same_number=bool(record.house) and record.house == other.house)
        rows = conn.execute("SELECT l.id, l.a, l.b, c.gamma, c.reasons, c.probability FROM dedup_links l "
                            "JOIN dedup_candidates c ON c.a = l.a AND c.b = l.b WHERE l.undone_at IS NULL "
                            "AND l.source = 'auto' AND (l.a = ? OR l.b = ?)", (c.rid, c.rid)).fetchall()
        for link_id, a, b, gamma, reasons, p in rows:
            partner = b if a == c.rid else a
            g = json.loads(gamma)
            if partner == record.rid or len(g) <= F_HEAD or g[F_HEAD] not in HEADS_DIFFER or strength < p \
                    or _rounds(conn, [partner]).get(partner) != record.round:
                continue
            _undo(conn, link_id, actor, now, "displaced: the old head's own record of this round matched it")
            kept = [r for r in json.loads(reasons) if r not in PROMOTIONS and r != "head_change_explained"]
            kept.append("head_still_heads")
            conn.execute("UPDATE dedup_candidates SET status = 'open', band = ?, reasons = ?, priority = ?, "
                         "updated_at = ? WHERE a = ? AND b = ?", (REVIEW, _dumps(kept), review_priority(p, kept), now,
                                                                  a, b))
            undone.append(link_id)
    return undone


def _withdraw_promotions(conn: sqlite3.Connection, record: Record, candidates: list[Candidate], now: str,
                         actor: str) -> list[int]:
    """A link made because it was each household's only match in the other round (``PROMOTIONS``)
    holds only while it is: when this record, of the round of one side, is a candidate of the other
    side, the two compete for it, as in the batch, where neither would have been promoted — the
    link is undone (reason "withdrawn …", the pair back in the queue, never auto-linked again).
    A head change whose other side is linked to a record with its own head is no competitor (the old
    head still heads that household: ``head_still_heads``) — unless that link is a weaker pair at
    another house (a namesake there, as ``_same_head_strength``). Returns the links undone."""
    if record.round is None:
        return []
    undone: list[int] = []
    for c in candidates:
        other = c.other
        if other is None or other.round is None or other.round == record.round or len(c.gamma) <= F_HEAD:
            continue
        rows = conn.execute("SELECT l.id, l.a, l.b, c.gamma, c.reasons, c.probability FROM dedup_links l "
                            "JOIN dedup_candidates c "
                            "ON c.a = l.a AND c.b = l.b WHERE l.undone_at IS NULL AND l.source = 'auto' "
                            "AND (l.a = ? OR l.b = ?)", (c.rid, c.rid)).fetchall()
        for link_id, a, b, gamma, reasons, p in rows:
            partner = b if a == c.rid else a
            promoted = set(json.loads(reasons)) & set(PROMOTIONS)
            if partner == record.rid or not promoted:
                continue
            if "successor" in promoted and c.gamma[F_HEAD] in HEAD_AGREES \
                    and _same_head_strength(c.gamma, c.probability) < p:
                continue       # a weaker namesake at another house is no competitor of a head change
            if _taken(conn, record.rid, other.round, c.rid):
                continue       # this record is already another household's of that round
            g = json.loads(gamma)
            if c.gamma[F_HEAD] in HEADS_DIFFER and len(g) > F_HEAD and g[F_HEAD] in HEAD_AGREES \
                    and _same_head_strength(g, p) >= c.probability:
                continue       # the old head's own record (at the house, or as strong as this head change)
            if _rounds(conn, [partner]).get(partner) != record.round \
                    or any(x.rid == partner and x.band == AUTO for x in candidates) \
                    or active_link(conn, record.rid, partner) is not None:
                continue       # not of this round, or this record's own double survey
            _undo(conn, link_id, actor, now, "withdrawn: another household of this round matched it too")
            kept = [r for r in json.loads(reasons) if r not in PROMOTIONS]
            conn.execute("UPDATE dedup_candidates SET status = 'open', band = ?, reasons = ?, priority = ?, "
                         "updated_at = ? WHERE a = ? AND b = ?", (REVIEW, _dumps(kept), review_priority(p, kept), now,
                                                                  a, b))
            undone.append(link_id)
    return undone


def _displace(conn: sqlite3.Connection, record: Record, c: Candidate, now: str, actor: str) -> bool:
    """An automatic link refused because the other household already holds a record of this round:
    when that record was linked automatically as a head change (the heads differ) and this candidate
    has the same head, this one is the household's own record — the earlier link is undone (back to
    the queue, never auto-linked again) and this one can be made. Returns whether a link was undone."""
    if not (len(c.gamma) > F_HEAD and c.gamma[F_HEAD] in HEAD_AGREES):
        return False
    cluster = cluster_of(conn, c.rid)
    rounds = _rounds(conn, cluster)
    undone = False
    marks = ",".join("?" * len(cluster))
    rows = conn.execute(f"SELECT l.id, l.a, l.b, c.gamma FROM dedup_links l LEFT JOIN dedup_candidates c "
                        f"ON c.a = l.a AND c.b = l.b WHERE l.undone_at IS NULL AND l.source = 'auto' "
                        f"AND (l.a IN ({marks}) OR l.b IN ({marks}))", (*cluster, *cluster)).fetchall()
    for link_id, a, b, gamma in rows:
        g = json.loads(gamma) if gamma else []
        if record.round not in (rounds.get(a), rounds.get(b)):
            continue
        if len(g) > F_HEAD and g[F_HEAD] in HEADS_DIFFER:
            _undo(conn, link_id, actor, now, "displaced: the household's own record of this round matched it")
            conn.execute("UPDATE dedup_candidates SET status = 'open', updated_at = ? WHERE a = ? AND b = ?",
                         (now, a, b))
            undone = True
    return undone


# Household ids indexed but not yet matched, while inside ``deferred_matching()``.
_DEFERRED: ContextVar[list[str] | None] = ContextVar("rasoat_dedup_deferred", default=None)


@contextmanager
def deferred_matching() -> Iterator[list[str]]:
    """Within the block, ``on_ingest`` only indexes (no match); the ids indexed are collected in the
    yielded list, for ``match_deferred`` at the end of the same transaction. For a register import:
    its rows are one household each by construction, so they are matched only against the households
    indexed before it, once, in a batch pass (not each against a registry growing row by row).
    Use it only where any failure rolls the whole transaction back (the import is all or nothing)."""
    ids: list[str] = []
    token = _DEFERRED.set(ids)
    try:
        yield ids
    finally:
        _DEFERRED.reset(token)


# (household id, record) indexed and marked pending, while inside ``matching_after_commit()``.
_PENDING: ContextVar[list[tuple[str, Record]] | None] = ContextVar("rasoat_dedup_pending", default=None)


@contextmanager
def matching_after_commit() -> Iterator[list[tuple[str, Record]]]:
    """Within the block, ``on_ingest`` indexes the household and marks it in ``dedup_pending`` (same
    transaction) instead of matching it; the ids are collected in the yielded list. After the commit,
    ``pending_matches`` scores them on a read snapshot, outside the write lock, and ``apply_matches``
    writes the few that have something to write. A device push uses it: the write lock is then held
    for storing, not for scoring (issue 3). A crash between the commit and the match leaves the rows in
    ``dedup_pending``; ``pending_ids`` finds them at the next start. The list holds (household id,
    the record indexed): only what was stored, the last revision of a household last."""
    ids: list[tuple[str, Record]] = []
    token = _PENDING.set(ids)
    try:
        yield ids
    finally:
        _PENDING.reset(token)


_PENDING_SQL = ("INSERT INTO dedup_pending (household_id, queued_at) VALUES (?, ?) ON CONFLICT (household_id) "
                "DO UPDATE SET queued_at = excluded.queued_at")


def mark_pending(conn: sqlite3.Connection, records: list[Record], now: str) -> None:
    """What ``on_ingest`` does for each of these records inside ``matching_after_commit()``, for a batch the
    caller has indexed already (``preload.write_bulk_rows``): mark them in ``dedup_pending`` and collect
    them for the match after the commit."""
    pending = _PENDING.get()
    if pending is None:
        raise RuntimeError("mark_pending outside matching_after_commit()")
    conn.executemany(_PENDING_SQL, [(r.rid, now) for r in records])
    pending += [(r.rid, r) for r in records]


def pending_ids(conn: sqlite3.Connection, limit: int = 10_000) -> list[tuple[str, str]]:
    """(household_id, queued_at) of households indexed but not yet matched, oldest first."""
    return [(r[0], r[1]) for r in conn.execute(
        "SELECT household_id, queued_at FROM dedup_pending ORDER BY queued_at LIMIT ?", (limit,))]


def pending_matches(conn: sqlite3.Connection, household_ids: Iterable[str],
                    known: dict[str, Record] | None = None, pause: Any = None) -> list[str]:
    """Read only: of these indexed households, those whose match would write something — a candidate
    in the auto or review band, or an open pair to re-judge. Usually none: most households are new.
    ``known``: records the caller already holds (what it indexed), not read back; ``pause()`` is called
    before each record (ingest: step aside while this process writes, ``Database.yield_to_writer``)."""
    ids = list(dict.fromkeys(household_ids))
    if not ids:
        return []
    index = SqliteIndex(conn)
    known = known or {}
    records = {rid: known[rid] for rid in ids if rid in known}
    records.update(get_records(conn, [rid for rid in ids if rid not in records]))
    out = []
    for rid in ids:
        record = records.get(rid)
        if record is None:
            continue
        if pause is not None:
            pause()
        if index.match(record) or conn.execute(
                "SELECT 1 FROM dedup_candidates WHERE (a = ? OR b = ?) AND status = 'open' LIMIT 1",
                (rid, rid)).fetchone():
            out.append(rid)
    return out


def apply_matches(conn: sqlite3.Connection, to_match: Iterable[str], done: Iterable[tuple[str, str]],
                  now: str, actor: str = "system") -> list[str]:
    """Inside a write transaction: match ``to_match`` against the registry as it is now (the records are
    re-read: another push may have changed them since the snapshot) and clear the ``dedup_pending``
    rows ``done`` ((household_id, queued_at); a newer mark of the same household stays). Returns the
    households queued for review (the caller flags them)."""
    queued = []
    ids = list(dict.fromkeys(to_match))
    if ids:
        index = SqliteIndex(conn)
        for rid, record in get_records(conn, ids).items():
            if rematch(conn, record, now, actor, index)["queued"]:
                queued.append(rid)
    conn.executemany("DELETE FROM dedup_pending WHERE household_id = ? AND queued_at = ?", list(done))
    return queued


def prepare_record(doc: Any, household_id: str) -> Any:
    """The household normalised for matching; pure, so ingest builds it before taking the write lock."""
    return make_record(doc, household_id, keep_raw=True)


def on_ingest(conn: sqlite3.Connection, household_id: str, doc: Any, now: str,
              actor: str = "system", record: Any = None) -> dict[str, Any]:
    """Index the household's current document and match it (call inside the ingest transaction).

    ``record`` is ``prepare_record(doc, household_id)`` when the caller built it already."""
    if record is None:
        record = prepare_record(doc, household_id)
    upsert_record(conn, record, now)
    deferred = _DEFERRED.get()
    if deferred is not None:
        deferred.append(household_id)
        return {"household_id": household_id, "linked": [], "queued": [], "deferred": True}
    pending = _PENDING.get()
    if pending is not None:
        conn.execute(_PENDING_SQL, (household_id, now))
        pending.append((household_id, record))
        return {"household_id": household_id, "linked": [], "queued": [], "pending": True}
    return rematch(conn, record, now, actor)


def match_deferred(conn: sqlite3.Connection, household_ids: Iterable[str], now: str,
                   actor: str = "system") -> dict[str, Any]:
    """The batch pass after ``deferred_matching()``: match each of these (indexed) households against
    the registry minus the batch itself. Nothing to do when the registry holds only the batch (an
    import into an empty ward). Returns the households queued for review (to flag) and counts."""
    ids = set(household_ids)
    total = int(conn.execute("SELECT COUNT(*) FROM dedup_records").fetchone()[0])
    out: dict[str, Any] = {"matched": 0, "linked": 0, "queued": []}
    if not ids or total <= len(ids):
        return out
    index = SqliteIndex(conn)
    frozen = frozenset(ids)
    ordered = sorted(ids)
    for i in range(0, len(ordered), 2000):
        for record in get_records(conn, ordered[i:i + 2000]).values():
            result = rematch(conn, record, now, actor, index, exclude=frozen)
            out["matched"] += 1
            out["linked"] += len(result["linked"])
            if result["queued"]:
                out["queued"].append(record.rid)
    return out


def refit_model(conn: sqlite3.Connection, now: str, actor: str, max_pairs: int | None = None) -> dict[str, Any]:
    """Estimate the model by EM on the registry's candidate pairs and store it.

    Memory is bounded by ``max_pairs`` (default ``defaults.refit_max_pairs()``,
    i.e. ``RASOAT_DEDUP_REFIT_MAX_PAIRS`` or 200,000), not by the registry:
    EM runs on a uniform sample of the distinct candidate pairs
    (``store.sample_candidate_pairs``), the pairs are compared a chunk at a
    time from records read by id, and name frequencies are counted straight
    from SQLite. ``max_pairs`` ≤ 0 uses every pair.
    """
    limit = refit_max_pairs() if max_pairs is None else max_pairs
    pairs, used, estimated = sample_candidate_pairs(conn, limit)
    if not pairs:
        raise DedupError(409, "not_enough_data", "Not enough households to estimate the model",
                         "Chưa đủ hộ để ước lượng mô hình")
    patterns: Counter = Counter()
    chunk = 5000
    for i in range(0, len(pairs), chunk):
        part = pairs[i:i + chunk]
        recs = get_records(conn, (x for p in part for x in p))
        patterns.update(compare(recs[a], recs[b]) for a, b in part if a in recs and b in recs)
    del pairs
    n_records = int(conn.execute("SELECT COUNT(*) FROM dedup_records").fetchone()[0])
    _, current = load_model(conn)
    model = fit(patterns, None, tf=name_frequencies(head_names(conn)), auto_threshold=current.auto_threshold,
                review_threshold=current.review_threshold)
    model_id = save_model(conn, model, now, actor, n_records, estimated)
    audit(conn, now, actor, "model_fitted", details_model_id=model_id, records=n_records, pairs=estimated,
          pairs_used=used)
    return {"model_id": model_id, "records": n_records, "pairs": estimated, "pairs_used": used,
            "sampled": used < estimated, "lambda": model.lam}


def rerun(conn: sqlite3.Connection, now: str, actor: str = "system") -> dict[str, int]:
    """Rematch every household with the current model. Never undoes a decision or a link."""
    index = SqliteIndex(conn)
    n = linked = 0
    for record in iter_records(conn):
        result = rematch(conn, record, now, actor, index)
        n += 1
        linked += len(result["linked"])
    audit(conn, now, actor, "rerun", records=n, linked=linked)
    return {"records": n, "linked": linked}


# --- the queue ------------------------------------------------------------------------------

def queue(conn: sqlite3.Connection, limit: int = 50, offset: int = 0, status: str = "open") -> list[dict[str, Any]]:
    rows = conn.execute("SELECT id, a, b, probability, band, reasons, priority, status, updated_at "
                        "FROM dedup_candidates WHERE status = ? ORDER BY priority, id LIMIT ? OFFSET ?",
                        (status, limit, offset)).fetchall()
    recs = get_records(conn, [x for r in rows for x in (r[1], r[2])])
    out = []
    for cid, a, b, p, band, reasons, priority, st, updated in rows:
        ra, rb = recs.get(a), recs.get(b)
        out.append({"id": cid, "a": a, "b": b, "probability": p, "band": band, "reasons": json.loads(reasons),
                    "priority": priority, "status": st, "updated_at": updated,
                    "head_a": ra.raw.get("members", [{}])[0].get("full_name") if ra and ra.raw.get("members") else None,
                    "head_b": rb.raw.get("members", [{}])[0].get("full_name") if rb and rb.raw.get("members") else None})
    return out


def _candidate_row(conn: sqlite3.Connection, candidate_id: int) -> tuple:
    row = conn.execute("SELECT id, a, b, weight, probability, band, gamma, reasons, status FROM dedup_candidates "
                       "WHERE id = ?", (candidate_id,)).fetchone()
    if row is None:
        raise DedupError(404, "candidate_not_found", "No such candidate pair", "Không tìm thấy cặp hồ sơ")
    return tuple(row)


def _side(record: Record) -> dict[str, Any]:
    return {"raw": record.raw,
            "normalised": {"head_name": record.head_name, "head_key": record.head_key,
                           "head_birth_year": record.head_year, "head_sex": record.head_sex,
                           "head_citizen_id": record.head_cid, "house_number": record.house,
                           "house_base": record.house_base, "street": record.street, "ward": record.ward,
                           "group": record.group, "round": record.round, "phones": sorted(record.phones),
                           "members": [{"name": m.name, "key": m.key, "birth_year": m.year, "citizen_id": m.cid}
                                       for m in record.members]},
            "flags": list(record.flags)}


def citizen_id_checks(a: Record, b: Record) -> list[dict[str, Any]]:
    """Consistency of citizen IDs within each record and across the pair."""
    out: list[dict[str, Any]] = []
    for side, rec in (("a", a), ("b", b)):
        for m in rec.raw.get("members", []):
            for issue in idn.check_member_citizen_id(m):
                out.append({"side": side, "member": m.get("full_name"), "code": issue.code,
                            "message_vi": issue.message_vi, "message_en": issue.message_en})
    by_id: dict[str, list[tuple[str, str, int | None]]] = {}
    for side, rec in (("a", a), ("b", b)):
        for m in rec.members:
            if m.cid:
                by_id.setdefault(m.cid, []).append((side, m.key, m.year))
    for number, uses in by_id.items():
        names = {k for _, k, _ in uses}
        if len(names) > 1:
            out.append({"side": "both", "citizen_id": number, "code": "same_id_different_names",
                        "message_vi": f"Số CCCD {number} được ghi cho nhiều người: " + ", ".join(sorted(names)),
                        "message_en": f"Citizen ID {number} is recorded for different people: "
                                      + ", ".join(sorted(names))})
    if a.head_cid and b.head_cid and a.head_cid != b.head_cid:
        if one_edit(a.head_cid, b.head_cid):
            out.append({"side": "both", "code": "head_id_one_edit",
                        "message_vi": f"Số CCCD chủ hộ chỉ khác một chữ số: {a.head_cid} / {b.head_cid}",
                        "message_en": f"Head citizen IDs one digit apart: {a.head_cid} / {b.head_cid}"})
    return out


def candidate_detail(conn: sqlite3.Connection, candidate_id: int) -> dict[str, Any]:
    """Both records side by side with the evidence, for the reviewer."""
    cid, a, b, weight, p, band, gamma, reasons, status = _candidate_row(conn, candidate_id)
    recs = get_records(conn, (a, b))
    ra, rb = recs.get(a), recs.get(b)
    if ra is None or rb is None:
        raise DedupError(404, "record_not_found", "A record of this pair is no longer indexed",
                         "Một hồ sơ của cặp này không còn trong chỉ mục")
    _, model = load_model(conn)
    g = tuple(json.loads(gamma))
    reasons_l = json.loads(reasons)
    history = [dict(zip(("decision", "note", "decided_by", "decided_at"), r)) for r in conn.execute(
        "SELECT decision, note, decided_by, decided_at FROM dedup_decisions WHERE a = ? AND b = ? ORDER BY id",
        (a, b))]
    links = [dict(zip(("id", "source", "created_at", "created_by", "undone_at", "undone_by"), r)) for r in conn.execute(
        "SELECT id, source, created_at, created_by, undone_at, undone_by FROM dedup_links WHERE a = ? AND b = ? "
        "ORDER BY id", (a, b))]
    return {"id": cid, "a": _side(ra) | {"id": a}, "b": _side(rb) | {"id": b},
            "weight": weight, "probability": p, "band": band, "status": status,
            "fields": model.contributions(g, ra, rb),
            "reasons": [{"code": r, "message_vi": REASON_LABELS.get(r, (r, r))[0],
                         "message_en": REASON_LABELS.get(r, (r, r))[1]} for r in reasons_l],
            "citizen_id_checks": citizen_id_checks(ra, rb),
            "decisions": history, "links": links,
            "choices": [{"decision": d, "label_vi": v, "label_en": e} for d, (v, e) in DECISION_LABELS.items()]}


# --- decisions ------------------------------------------------------------------------------

def decide(conn: sqlite3.Connection, candidate_id: int, decision: str, actor: str, now: str,
           note: str = "") -> dict[str, Any]:
    """Record a person's decision on a pair and apply it."""
    if decision not in DECISIONS:
        raise DedupError(422, "invalid_decision", f"Decision must be one of {', '.join(DECISIONS)}",
                         "Quyết định phải là: same (cùng hộ), different (khác hộ), split (hộ tách), unsure (chưa chắc)")
    cid, a, b, *_ = _candidate_row(conn, candidate_id)
    cur = conn.execute("INSERT INTO dedup_decisions (a, b, decision, note, candidate_id, decided_by, decided_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", (a, b, decision, note or "", cid, actor, now))
    decision_id = int(cur.lastrowid)
    audit(conn, now, actor, f"decision_{decision}", a, b, candidate_id=cid, note=note)
    result: dict[str, Any] = {"candidate_id": cid, "decision": decision, "decision_id": decision_id}
    if decision == "same":
        if not (cluster_of(conn, a) & {b}):
            ca, cb = cluster_of(conn, a), cluster_of(conn, b)
            conflicts = _cannot_between(conn, ca, cb)
            result["link_id"] = _add_link(conn, a, b, "human", actor, now, None, cid, decision_id)
            if conflicts:
                result["conflicts"] = [list(p) for p in conflicts]
        status = "decided"
    elif decision in CANNOT:
        link = active_link(conn, a, b)
        if link is not None:
            _undo(conn, link, actor, now, f"decision:{decision}")
            result["undone_link_id"] = link
        still = cluster_of(conn, a)
        if b in still:
            result["still_connected_through"] = sorted(still - {a, b})
        status = "decided"
    else:
        status = "open"
    conn.execute("UPDATE dedup_candidates SET status = ?, updated_at = ? WHERE id = ?", (status, now, cid))
    return result


def undo_link(conn: sqlite3.Connection, link_id: int, actor: str, now: str, reason: str = "") -> dict[str, Any]:
    """Undo a merge. The pair returns to the queue and is never auto-linked again."""
    row = conn.execute("SELECT a, b, undone_at FROM dedup_links WHERE id = ?", (link_id,)).fetchone()
    if row is None:
        raise DedupError(404, "link_not_found", "No such link", "Không tìm thấy liên kết")
    a, b, undone = row
    if undone is not None:
        raise DedupError(409, "already_undone", "This merge was already undone", "Liên kết này đã được hủy")
    _undo(conn, link_id, actor, now, reason or "undo")
    conn.execute("UPDATE dedup_candidates SET status = 'open', updated_at = ? WHERE a = ? AND b = ? "
                 "AND status IN ('linked', 'decided')", (now, a, b))
    return {"link_id": link_id, "a": a, "b": b, "undone_at": now}


def household(conn: sqlite3.Connection, household_id: str) -> dict[str, Any]:
    """The cluster of a household and its history across rounds: every link touching it (active or
    undone), every decision a person took on a pair of it (same household / lineage — "split" /
    different / unsure, newest last), and the round of each record."""
    members = sorted(cluster_of(conn, household_id))
    marks = ",".join("?" * len(members))
    links = [dict(zip(("id", "a", "b", "source", "probability", "created_at", "created_by", "undone_at",
                       "undone_by", "undo_reason"), r)) for r in conn.execute(
        f"SELECT id, a, b, source, probability, created_at, created_by, undone_at, undone_by, undo_reason "
        f"FROM dedup_links WHERE a IN ({marks}) OR b IN ({marks}) ORDER BY id", (*members, *members))]
    decisions = [dict(zip(("a", "b", "decision", "note", "decided_by", "decided_at"), r)) for r in conn.execute(
        f"SELECT a, b, decision, note, decided_by, decided_at FROM dedup_decisions "
        f"WHERE a IN ({marks}) OR b IN ({marks}) ORDER BY id", (*members, *members))]
    for d in decisions:
        d["label_vi"], d["label_en"] = DECISION_LABELS.get(d["decision"], (d["decision"], d["decision"]))
    ids = set(members) | {x for lk in links for x in (lk["a"], lk["b"])} | {x for d in decisions for x in (d["a"], d["b"])}
    return {"household_id": household_id, "cluster": members, "links": links, "decisions": decisions,
            "rounds": _rounds(conn, ids)}


def field_levels() -> dict[str, list[str]]:
    return {name: list(FIELDS[name]) for name in FIELD_NAMES}


def linked_clusters(conn: sqlite3.Connection,
                    separate: Iterable[tuple[str, str]] = ()) -> list[set[str]]:
    """Every household cluster of two or more records: the connected components of the active
    links (auto or human, not undone). One read of the links; for the reports' "count once".
    ``separate``: pairs known to be different households (e.g. one declared split off from the
    other); a direct link between them is left out."""
    skip = {_pair(a, b) for a, b in separate}
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in conn.execute("SELECT a, b FROM dedup_links WHERE undone_at IS NULL"):
        if (a, b) in skip:
            continue
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    clusters: dict[str, set[str]] = {}
    for x in parent:
        clusters.setdefault(root(x), set()).add(x)
    return list(clusters.values())
