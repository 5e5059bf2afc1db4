"""The outbox's states move only by the table in mobile/outbox.py, and only the store writes them."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from mobile import outbox
from mobile import store as st

ROOT = Path(__file__).resolve().parents[2]


def test_the_table_names_every_state_and_leaves_final_states_alone():
    targets = {t for _sources, t in outbox.MOVES.values()}
    assert targets | {outbox.NEW} == set(outbox.STATES)
    for event, (sources, _t) in outbox.MOVES.items():
        assert not set(sources) & set(outbox.FINAL), event      # a delivered, rejected, superseded one stays
    assert outbox.move(outbox.QUEUED, "deliver") == outbox.DELIVERED
    assert outbox.move(outbox.FAILED, "fail") == outbox.FAILED
    for state in outbox.FINAL:
        for event in outbox.MOVES:
            with pytest.raises(outbox.OutboxMoveError):
                outbox.move(state, event)
    with pytest.raises(outbox.OutboxMoveError, match="unknown"):
        outbox.move(outbox.QUEUED, "resurrect")


def _entry(store, hid="h1"):
    with store.tx() as c:
        sid = store.enqueue(hid, 1, "2026.1", {"household_id": hid}, c)
    return store.outbox_entry(sid)


def test_the_store_moves_an_entry_by_the_table_only(tmp_path):
    store = st.LocalStore(tmp_path / "tablet.db")
    e = _entry(store)
    assert e["state"] == outbox.QUEUED
    assert store.move_entry(e["seq"], "fail", last_error_code="x") is True
    assert store.outbox_entry(e["submission_id"])["state"] == outbox.FAILED
    assert store.move_entry(e["seq"], "deliver", receipt={"receipt_id": "r"}) is True
    delivered = store.outbox_entry(e["submission_id"])
    assert delivered["state"] == outbox.DELIVERED and delivered["receipt"] == {"receipt_id": "r"}
    # a delivered submission is never failed or rejected afterwards (nothing written)
    assert store.move_entry(e["seq"], "fail", last_error_code="late") is False
    after = store.outbox_entry(e["submission_id"])
    assert after["state"] == outbox.DELIVERED and after["last_error_code"] == "x"
    with pytest.raises(outbox.OutboxMoveError):
        store.update_entry(e["seq"], state=outbox.QUEUED)


def test_an_edit_supersedes_only_never_attempted_entries(tmp_path):
    store = st.LocalStore(tmp_path / "tablet.db")
    fresh, tried = _entry(store, "h1"), _entry(store, "h2")
    store.freeze(tried["seq"], None, "2026-12-04T08:00:00+07:00")
    with store.tx() as c:
        store.supersede_open("h1", c)
        store.supersede_open("h2", c)
    assert store.outbox_entry(fresh["submission_id"])["state"] == outbox.SUPERSEDED
    assert store.outbox_entry(tried["submission_id"])["state"] == outbox.QUEUED


def test_no_outbox_state_is_written_outside_the_store():
    writers = []
    for path in (ROOT / "mobile").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"UPDATE\s+outbox\s+SET\s+state", text) or re.search(r"update_entry\([^)]*\bstate=", text):
            writers.append(path.name)
    assert writers == ["store.py"]
