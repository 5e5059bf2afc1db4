"""A tablet whose clock runs ahead: its work is not stranded, and the office is told."""
from __future__ import annotations

import pytest

from .helpers import push, simple_household, submission


def _ahead(days: float, with_device_time: bool = True) -> dict:
    import datetime as dt

    from .helpers import NOW
    when = (NOW + dt.timedelta(days=days)).isoformat()
    doc = simple_household(collected_at=when[:10])
    s = submission(doc)
    s["collected_at"] = doc["collected_at"]
    s["device_time"] = when if with_device_time else None
    return s


@pytest.mark.parametrize("days", [3, 29])
def test_a_clock_ahead_with_consistent_device_time_is_accepted_with_a_warning(client, device, days):
    [res] = push(client, device, [_ahead(days)]).json()["results"]
    assert res["status"] == "accepted", res
    warn = [p for p in res["problems"] if p["code"] == "device_clock_ahead"]
    assert warn and warn[0]["severity"] == "warning" and "Đồng hồ máy tính bảng" in warn[0]["message_vi"]


@pytest.mark.parametrize("days,with_time", [(3, False), (40, True)])
def test_a_future_date_without_a_matching_clock_or_too_far_is_refused(client, device, db, days, with_time):
    s = _ahead(days, with_time)
    [res] = push(client, device, [s]).json()["results"]
    assert res["status"] == "rejected"
    assert any(p["code"] == "future" for p in res["problems"])
    assert db.value("SELECT COUNT(*) FROM submissions WHERE submission_id = ?", (s["submission_id"],)) == 0
