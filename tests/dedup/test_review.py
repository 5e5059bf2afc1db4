"""The SQLite registry and review queue: ingest, decisions, rerun, undo, audit."""
from __future__ import annotations

import json
import sqlite3

import pytest

from server.dedup import review
from server.dedup.schema import apply_schema
from server.dedup.store import SqliteIndex

from .helpers import FAMILY, house, person

NOW = "2026-10-01T00:00:00.000+00:00"


@pytest.fixture
def conn():
    c = sqlite3.connect(":memory:", isolation_level=None)
    c.row_factory = sqlite3.Row
    apply_schema(c)
    apply_schema(c)  # idempotent
    yield c
    c.close()


def ingest(conn, doc):
    conn.execute("BEGIN IMMEDIATE")
    try:
        out = review.on_ingest(conn, doc["household_id"], doc, NOW)
        conn.execute("COMMIT")
        return out
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def other_household(hid, year=2025):
    return house(hid, [person("Phạm Đức Long", "head", 1980, "male", "022080123456")], number="40",
                 street="Vườn Đào", phone="0977001122", year=year)


def test_ingest_auto_links_a_resurvey_and_queues_a_split(conn):
    ingest(conn, house("p25", FAMILY, year=2025))
    ingest(conn, other_household("x25"))
    r = ingest(conn, house("p26", [dict(m) for m in FAMILY], year=2026, phone="+84 912 345 678"))
    assert r["linked"] == ["p25"]
    assert review.cluster_of(conn, "p26") == {"p25", "p26"}
    child = house("c26", [dict(FAMILY[2], relation="head"), person("Lê Thị Hoa", "spouse", 1997, "female")],
                  number="12/3A", year=2026)
    r = ingest(conn, child)
    assert r["linked"] == []
    assert review.cluster_of(conn, "c26") == {"c26"}


def _pair_candidate(conn, a, b):
    a, b = sorted((a, b))
    return conn.execute("SELECT id, status FROM dedup_candidates WHERE a = ? AND b = ?", (a, b)).fetchone()


def test_cannot_link_and_must_link_survive_a_rerun(conn):
    ingest(conn, house("p25", FAMILY, year=2025))
    ingest(conn, house("p26", FAMILY, year=2026))
    cand_id, status = _pair_candidate(conn, "p25", "p26")
    assert status == "linked"
    out = review.decide(conn, cand_id, "different", "user:1", NOW, "hai hộ khác nhau")
    assert "undone_link_id" in out and review.cluster_of(conn, "p25") == {"p25"}
    review.rerun(conn, NOW)
    review.rerun(conn, NOW)
    assert review.cluster_of(conn, "p25") == {"p25"}
    assert _pair_candidate(conn, "p25", "p26")[1] == "decided"

    # A pair in the review band, decided "same" by a person, stays merged after reruns.
    weak = house("w26", [dict(FAMILY[0], citizen_id=None, full_name="Nguyen Van Hung", birth_year=1968)],
                 number="99", street="Ao Cá", year=2026, phone=None)   # moved, no phone, roster of one
    ingest(conn, weak)
    row = _pair_candidate(conn, "p25", "w26")
    assert row is not None and row[1] == "open"
    review.decide(conn, row[0], "same", "user:1", NOW)
    review.rerun(conn, NOW)
    assert "w26" in review.cluster_of(conn, "p25")
    assert _pair_candidate(conn, "p25", "w26")[1] == "decided"


def test_undo_of_a_merge_returns_the_pair_to_the_queue_for_good(conn):
    ingest(conn, house("p25", FAMILY, year=2025))
    ingest(conn, house("p26", FAMILY, year=2026))
    link_id = conn.execute("SELECT id FROM dedup_links WHERE undone_at IS NULL").fetchone()[0]
    out = review.undo_link(conn, link_id, "user:2", NOW, "nhầm")
    assert out["link_id"] == link_id
    assert review.cluster_of(conn, "p26") == {"p26"}
    assert _pair_candidate(conn, "p25", "p26")[1] == "open"
    review.rerun(conn, NOW)                              # not auto-linked again
    assert review.cluster_of(conn, "p26") == {"p26"}
    with pytest.raises(review.DedupError):
        review.undo_link(conn, link_id, "user:2", NOW)
    actions = [r[0] for r in conn.execute("SELECT action FROM dedup_audit ORDER BY id")]
    assert "link_auto" in actions and "link_undone" in actions and "rerun" in actions


def test_candidate_detail_shows_both_sides_contributions_and_id_checks(conn):
    ingest(conn, house("p25", FAMILY, year=2025))
    typo = [dict(m) for m in FAMILY]
    typo[0]["citizen_id"] = "022068001239"                 # one digit off
    typo[0]["full_name"] = "NGUYEN VAN HUNG"
    typo[2]["citizen_id"] = "022195007777"                 # century/sex digit contradicts the member
    ingest(conn, house("p26", typo, year=2026, phone=None))
    cand_id, _ = _pair_candidate(conn, "p25", "p26")
    d = review.candidate_detail(conn, cand_id)
    assert d["a"]["raw"]["members"][0]["full_name"] == "Nguyễn Văn Hùng"
    assert d["b"]["normalised"]["head_key"] == "nguyen van hung"
    fields = {f["field"]: f for f in d["fields"]}
    assert fields["citizen_id"]["level"] == "member_shared"      # the spouse's ID is on both rosters
    assert fields["roster"]["weight"] > 0 and fields["head"]["level"] == "same_name_same_year"
    codes = {ch["code"] for ch in d["citizen_id_checks"]}
    assert "head_id_one_edit" in codes and "sex_mismatch" in codes
    assert {c["decision"] for c in d["choices"]} == {"same", "different", "split", "unsure"}
    with pytest.raises(review.DedupError):
        review.decide(conn, cand_id, "maybe", "user:1", NOW)
    with pytest.raises(review.DedupError):
        review.candidate_detail(conn, 99999)


def test_split_decision_is_a_cannot_link_and_queue_is_ranked(conn):
    ingest(conn, house("p25", FAMILY, year=2025))
    ingest(conn, house("p26", FAMILY[:2], year=2026))     # the parents, re-surveyed
    child = house("c26", [dict(FAMILY[2], relation="head"), dict(FAMILY[3], relation="sibling")],
                  number="12/3", year=2026)              # same number and phone: only a person can tell
    ingest(conn, child)
    assert review.cluster_of(conn, "p25") == {"p25", "p26"}   # one record per round: c26 not merged
    items = review.queue(conn)
    assert items, "the split should be queued"
    assert [i["priority"] for i in items] == sorted(i["priority"] for i in items)
    review.decide(conn, items[0]["id"], "split", "user:1", NOW)
    review.rerun(conn, NOW)
    assert review.cluster_of(conn, "c26") == {"c26"}


def test_sqlite_index_matches_like_the_memory_index(conn):
    from server.dedup import MemoryIndex, make_record
    from server.dedup.model import default_model
    from server.dedup.evalset import generate
    es = generate(150, seed=2)
    mem = MemoryIndex(default_model())
    conn.execute("BEGIN")
    sql = SqliteIndex(conn)
    for doc in es.records[1:]:
        mem.add(make_record(doc))
        sql.add_doc(doc, now=NOW)
    conn.execute("COMMIT")
    for doc in es.records[:40]:
        a = [(c.rid, round(c.weight, 9), c.band) for c in mem.match(doc)]
        b = [(c.rid, round(c.weight, 9), c.band) for c in sql.match(doc)]
        assert a == b


def test_garbage_document_is_indexed_without_crashing(conn):
    out = ingest(conn, {"household_id": "junk", "members": "not a list", "address": 5, "phone": ["x"]})
    assert "no_name" in out["flags"]
    assert json.loads(conn.execute("SELECT features FROM dedup_records WHERE record_id='junk'").fetchone()[0])
