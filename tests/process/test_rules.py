"""Pure rules: the ≥ 50% vote, posting dates, the meeting categories."""
from __future__ import annotations

import datetime as dt

import pytest

from server.process.config import posting_end, vote_stands
from server.process.results import blocks_decision, judge


@pytest.mark.parametrize("attendees, agree, stands", [
    (20, 10, True),      # exactly 50% stands
    (1000, 500, True),
    (1000, 499, False),  # 49.9% goes back
    (3, 2, True), (3, 1, False), (1, 1, True), (1, 0, False), (40, 40, True), (40, 0, False),
])
def test_vote_stands_at_the_boundary(attendees, agree, stands):
    assert vote_stands(attendees, agree) is stands


@pytest.mark.parametrize("attendees, agree", [(0, 0), (10, 11), (10, -1)])
def test_vote_refuses_impossible_counts(attendees, agree):
    with pytest.raises(ValueError):
        vote_stands(attendees, agree)


@pytest.mark.parametrize("posted, days, holidays, end", [
    ("2025-11-21", 3, (), "2025-11-25"),     # Fri, Mon, Tue
    ("2025-11-17", 3, (), "2025-11-19"),     # Mon..Wed
    ("2025-11-22", 3, (), "2025-11-26"),     # Saturday: counting starts Monday
    ("2025-11-17", 1, (), "2025-11-17"),
    ("2025-11-17", 3, ("2025-11-18",), "2025-11-20"),   # a holiday is skipped
    ("2025-11-17", 10, (), "2025-11-28"),
])
def test_posting_end_counts_working_days(posted, days, holidays, end):
    assert posting_end(dt.date.fromisoformat(posted), days,
                       [dt.date.fromisoformat(h) for h in holidays]) == dt.date.fromisoformat(end)


@pytest.mark.parametrize("cls, register, ever_poor, category, lst", [
    ("poor", None, False, "new_poor", "poor"),                # no previous status: new
    ("near_poor", None, False, "new_near_poor", "near_poor"),
    ("poor", "near_poor", False, "new_poor", "poor"),
    ("poor", "escaped_poverty", True, "new_poor", "poor"),    # relapse
    ("not_poor", "poor", True, "escaping", "escaped_poverty"),
    ("average", "near_poor", False, "escaping", "escaped_near_poverty"),
    ("near_poor", "poor", True, "escaping", "near_poor"),
    ("poor", "poor", True, None, "poor"),                     # remained: no meeting
    ("not_poor", None, False, None, None),
    ("not_poor", "escaped_poverty", True, None, None),
])
def test_judge_categories(cls, register, ever_poor, category, lst):
    j = judge(cls, register, ever_poor, False, "submitted", stood=False, complaint_pending=False, reviewed=True)
    assert j.category == category
    assert j.list == lst
    assert j.state == ("awaiting_meeting" if category else "settled")


def test_judge_states():
    ok = {"reviewed": True}
    assert judge("unknown", None, False, False, "submitted", False, False, **ok).state == "unclassified"
    assert judge("poor", None, False, False, "returned", False, False, **ok).state == "re_review"
    assert judge("poor", None, False, False, "submitted", True, False, **ok).state == "settled"
    assert judge("poor", None, False, False, "submitted", True, True, **ok).state == "complaint_pending"


@pytest.mark.parametrize("cls, register, status", [
    ("poor", None, "submitted"),          # new poor: would go to the meeting
    ("poor", "poor", "submitted"),        # remained poor: would be settled at once
    ("not_poor", "poor", "needs_review"),  # escaping
    ("poor", "poor", "preloaded"),        # only last round's answers
])
def test_no_step_is_skipped_without_the_officers_acceptance(cls, register, status):
    """Whatever the class, the movement or the meeting, a household whose current submission no
    officer accepted is neither discussed, posted nor recognised."""
    for stood in (False, True):
        j = judge(cls, register, register == "poor", False, status, stood, False)
        assert j.state == ("not_surveyed" if status == "preloaded" else "awaiting_review")
        assert blocks_decision(j.state, register)
    gone = judge(None, "poor", True, False, "submitted", False, False, "moved_away")
    assert gone.state == "awaiting_review"
    assert judge(None, "poor", True, False, "submitted", False, False, "moved_away", reviewed=True).state == "settled"


@pytest.mark.parametrize("state, register, blocks", [
    ("settled", "poor", False),
    ("not_surveyed", None, False), ("not_surveyed", "other", False), ("not_surveyed", "poor", True),
    ("unclassified", "near_poor", True), ("unclassified", None, False),
    ("awaiting_review", None, True), ("awaiting_meeting", None, True), ("re_review", "other", True),
    ("complaint_pending", None, True),
])
def test_which_states_keep_the_decision_back(state, register, blocks):
    assert blocks_decision(state, register) is blocks
