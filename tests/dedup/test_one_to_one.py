"""The one-to-one structure of rounds: a household of one round has one record in the next. A pair
whose heads are one person, held in the review band by its score alone (the household moved, or one
record lacks the house number), is linked automatically when nothing else competes for either
record in the other's round — and not when another record does (issue 19)."""
from __future__ import annotations

from server.dedup import AUTO, run_batch
from server.dedup.decide import REVIEW

from .helpers import house, person


def _moved():
    old = house("r25", [person("Nguyễn Thị Lan", "head", 1960, "female")], number="45", street="Hạ Long",
                phone=None, year=2025, group="KP01")
    old["member_count"] = 3
    new = house("r26", [person("NGUYEN THI LAN", "head", 1960, "female")], number="210", street="Cao Xanh",
                phone=None, year=2026, group="KP04")
    new["member_count"] = 3
    return old, new


def _pair(result, a, b):
    (link,) = [x for x in result.links if {x.a, x.b} == {a, b}]
    return link


def test_the_only_counterpart_in_the_other_round_is_linked():
    result = run_batch(list(_moved()))
    link = _pair(result, "r25", "r26")
    assert link.decided == REVIEW                  # the score alone does not decide it
    assert link.band == AUTO and "only_counterpart" in link.reasons
    assert result.cluster_of["r25"] == result.cluster_of["r26"]


def test_a_competitor_in_the_other_round_keeps_the_pair_for_a_person():
    old, new = _moved()
    other = house("x26", [person("Nguyễn Thị Lan", "head", 1960, "female")], number="7", street="Trần Phú",
                  phone=None, year=2026, group="KP03")
    other["member_count"] = 2
    result = run_batch([old, new, other])
    for rid in ("r26", "x26"):
        link = _pair(result, "r25", rid)
        assert link.band == REVIEW and "only_counterpart" not in link.reasons
    assert result.cluster_of["r25"] not in (result.cluster_of["r26"], result.cluster_of["x26"])


def test_two_records_of_one_round_are_never_promoted():
    old, new = _moved()
    new["collected_at"] = old["collected_at"]
    result = run_batch([old, new])
    assert _pair(result, "r25", "r26").band != AUTO
