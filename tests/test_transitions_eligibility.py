"""Movements between rounds, the movement identity, and eligibility windows."""
from __future__ import annotations

import datetime as dt
import random

import pytest

from shared.eligibility import StatusChange, add_months, eligibility, load_policies, window_last_day
from shared.transitions import NEAR_POOR, OTHER, POOR, movement, movement_report


@pytest.mark.parametrize("before,after,kw,kind", [
    (POOR, POOR, {}, "remained_poor"),
    (POOR, NEAR_POOR, {}, "poor_to_near_poor"),
    (POOR, OTHER, {}, "escaped_poverty"),
    (NEAR_POOR, POOR, {}, "near_poor_to_poor"),
    (NEAR_POOR, OTHER, {}, "escaped_near_poverty"),
    (OTHER, POOR, {}, "newly_poor"),
    (OTHER, POOR, {"ever_poor": True}, "relapsed_poor"),
    (None, POOR, {}, "newly_poor"),
    (OTHER, NEAR_POOR, {"ever_near_poor": True}, "relapsed_near_poor"),
    (POOR, None, {"event": "moved_away"}, "poor_other_decrease"),
    (POOR, POOR, {"event": "dissolved"}, "poor_other_decrease"),
    (NEAR_POOR, None, {"event": "merged"}, "near_poor_other_decrease"),
    (None, POOR, {"event": "split_child"}, "poor_other_increase"),
    (None, NEAR_POOR, {"event": "moved_in"}, "near_poor_other_increase"),
    (OTHER, None, {"event": "moved_away"}, "left_not_poor"),
    (OTHER, OTHER, {}, "not_poor"),
])
def test_transition_table(before, after, kw, kind):
    assert movement(before, after, **kw).kind == kind


def test_unknown_event_is_refused():
    with pytest.raises(ValueError, match="unknown event"):
        movement(POOR, POOR, event="exploded")


def test_movement_identity_holds_on_a_random_two_year_ward():
    rng = random.Random(4)
    moves = []
    for _ in range(5000):
        before = rng.choice([POOR, NEAR_POOR, OTHER, OTHER, OTHER, None])
        event = rng.choice([None] * 12 + ["moved_away", "dissolved", "merged", "moved_in", "split_child"])
        if event in ("moved_in", "split_child"):
            before = None
        after = None if event in ("moved_away", "dissolved", "merged") else rng.choice([POOR, NEAR_POOR, OTHER, OTHER])
        if before is None and after is None:
            continue
        moves.append(movement(before, after, event=event, ever_poor=rng.random() < 0.2,
                              ever_near_poor=rng.random() < 0.2))
    rep = movement_report(moves)
    p = rep["poor"]
    assert p["end"] == (p["start"] - p["to_near_poor"] - p["escaped"] - p["other_decreases"]
                        + p["from_near_poor"] + p["relapsed"] + p["new"] + p["other_increases"])
    assert p["start"] == sum(m.before == POOR for m in moves) and p["relapsed"] > 0
    n = rep["near_poor"]
    assert n["end"] == sum(m.after == NEAR_POOR for m in moves)


def test_report_refuses_an_inconsistent_hand_made_movement():
    from shared.transitions import Movement
    with pytest.raises(AssertionError, match="identity"):
        movement_report([Movement("escaped_poverty", POOR, POOR)])


# --- eligibility ------------------------------------------------------------------------------

D = dt.date(2025, 12, 20)


@pytest.mark.parametrize("on,eligible", [
    (dt.date(2028, 12, 18), True), (dt.date(2028, 12, 19), True), (dt.date(2028, 12, 20), False),
])
def test_escaped_poverty_window_boundaries(on, eligible):
    history = [StatusChange("poor", dt.date(2022, 12, 15)), StatusChange("escaped_poverty", D)]
    credit = next(e for e in eligibility(history, on) if e.policy_id == "policy_credit")
    assert credit.window_end == dt.date(2028, 12, 19)
    assert credit.eligible is eligible and credit.basis == "escaped_poverty"


def test_policies_without_a_window_end_with_the_status():
    history = [StatusChange("poor", dt.date(2022, 12, 15)), StatusChange("escaped_poverty", D)]
    res = {e.policy_id: e for e in eligibility(history, dt.date(2026, 1, 5))}
    assert res["electricity"].eligible is False
    assert res["health_insurance"].eligible is True
    before = {e.policy_id: e for e in eligibility(history, dt.date(2025, 12, 19))}
    assert before["electricity"].eligible is True and before["electricity"].basis == "poor"


def test_window_lengths_are_settings():
    table = load_policies(windows={"policy_credit": 12})
    history = [StatusChange("escaped_near_poverty", D)]
    credit = next(e for e in eligibility(history, dt.date(2026, 12, 19), table) if e.policy_id == "policy_credit")
    assert credit.window_end == dt.date(2026, 12, 19) and credit.eligible


@pytest.mark.parametrize("d,months,expected", [
    (dt.date(2025, 1, 31), 1, dt.date(2025, 2, 28)), (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
    (dt.date(2025, 11, 30), 3, dt.date(2026, 2, 28)),
])
def test_add_months_clamps_to_month_end(d, months, expected):
    assert add_months(d, months) == expected
    assert window_last_day(d, months) == expected - dt.timedelta(days=1)


def test_no_status_no_eligibility():
    assert not any(e.eligible for e in eligibility([], D))
