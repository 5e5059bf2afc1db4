"""Ingest matches every accepted revision against the registry (issue 4, incremental)."""
from __future__ import annotations

import copy
import uuid

from .helpers import households, push, submission


def test_a_household_surveyed_twice_is_linked_or_queued_at_ingest(client, device, db):
    doc = households(1)[0]
    twin = copy.deepcopy(doc)
    twin["household_id"] = str(uuid.uuid4())          # surveyed again under a new id
    twin["members"][0]["full_name"] = twin["members"][0]["full_name"].upper()
    assert push(client, device, [submission(doc)]).json()["results"][0]["status"] == "accepted"
    assert push(client, device, [submission(twin)]).json()["results"][0]["status"] == "accepted"
    ids = {doc["household_id"], twin["household_id"]}
    pairs = db.all("SELECT * FROM dedup_candidates")
    assert any({r["a"], r["b"]} == ids and r["band"] in ("auto", "review") for r in pairs), [dict(r) for r in pairs]
    assert db.value("SELECT COUNT(*) FROM dedup_records") == 2


def test_different_households_are_indexed_but_not_paired(client, device, db):
    a, b = households(2, seed=31)
    for d in (a, b):
        assert push(client, device, [submission(d)]).json()["results"][0]["status"] == "accepted"
    assert db.value("SELECT COUNT(*) FROM dedup_records") == 2
    assert db.value("SELECT COUNT(*) FROM dedup_candidates WHERE band IN ('auto', 'review')") == 0
