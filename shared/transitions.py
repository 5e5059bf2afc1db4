"""Movements of a household between two review rounds (domain.md §4).

An explicit transition table (h11 style): every allowed move is one row, so a
reviewer can read them all in one place. ``movement()`` is pure; the movement
report's identity

    poor at end = start − to near-poor − escaped − other decreases
                  + near-poor that became poor + relapsed + new + other increases

holds by construction because every household falls in exactly one row, and
``movement_report()`` checks it again on the totals.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

POOR, NEAR_POOR, OTHER = "poor", "near_poor", "other"
# Lifecycle events recorded by the collaborator or the office.
EVENTS = ("moved_away", "dissolved", "merged", "moved_in", "split_child")
GONE_EVENTS = frozenset({"moved_away", "dissolved", "merged"})
ARRIVED_EVENTS = frozenset({"moved_in", "split_child"})

LABELS = {
    "remained_poor": ("Vẫn là hộ nghèo", "Remained poor"),
    "remained_near_poor": ("Vẫn là hộ cận nghèo", "Remained near-poor"),
    "poor_to_near_poor": ("Hộ nghèo chuyển thành hộ cận nghèo", "Poor became near-poor"),
    "escaped_poverty": ("Thoát nghèo", "Escaped poverty"),
    "escaped_near_poverty": ("Thoát cận nghèo", "Escaped near-poverty"),
    "near_poor_to_poor": ("Hộ cận nghèo rơi xuống nghèo", "Near-poor became poor"),
    "relapsed_poor": ("Tái nghèo", "Relapsed into poverty"),
    "relapsed_near_poor": ("Tái cận nghèo", "Relapsed into near-poverty"),
    "newly_poor": ("Hộ nghèo phát sinh mới", "Newly poor"),
    "newly_near_poor": ("Hộ cận nghèo phát sinh mới", "Newly near-poor"),
    "poor_other_decrease": ("Hộ nghèo giảm khác (chuyển đi, giải thể, nhập hộ)", "Poor: other decrease"),
    "near_poor_other_decrease": ("Hộ cận nghèo giảm khác", "Near-poor: other decrease"),
    "poor_other_increase": ("Hộ nghèo tăng khác (chuyển đến, tách hộ)", "Poor: other increase"),
    "near_poor_other_increase": ("Hộ cận nghèo tăng khác", "Near-poor: other increase"),
    "not_poor": ("Không thuộc diện nghèo, cận nghèo", "Neither poor nor near-poor"),
    "left_not_poor": ("Hộ không nghèo chuyển đi / giải thể", "Non-poor household left"),
}


@dataclass(frozen=True)
class Movement:
    kind: str
    before: str | None       # poor / near_poor / other / None (not on the register before)
    after: str | None        # poor / near_poor / other / None (gone)

    @property
    def label_vi(self) -> str:
        return LABELS[self.kind][0]


def status_of(cls: str | None) -> str | None:
    """Map a classification class to a register status."""
    if cls is None:
        return None
    return cls if cls in (POOR, NEAR_POOR) else OTHER


# (before, after, relapse?) -> kind. ``relapse`` = the household was poor (for an
# after-poor row) or near-poor (for an after-near-poor row) in an earlier round.
_TABLE: dict[tuple[str | None, str | None, bool], str] = {}
for _r in (False, True):
    _TABLE.update({
        (POOR, POOR, _r): "remained_poor",
        (POOR, NEAR_POOR, _r): "poor_to_near_poor",
        (POOR, OTHER, _r): "escaped_poverty",
        (NEAR_POOR, POOR, _r): "near_poor_to_poor",
        (NEAR_POOR, NEAR_POOR, _r): "remained_near_poor",
        (NEAR_POOR, OTHER, _r): "escaped_near_poverty",
        (OTHER, OTHER, _r): "not_poor",
        (None, OTHER, _r): "not_poor",
    })
_TABLE.update({
    (OTHER, POOR, False): "newly_poor", (OTHER, POOR, True): "relapsed_poor",
    (None, POOR, False): "newly_poor", (None, POOR, True): "relapsed_poor",
    (OTHER, NEAR_POOR, False): "newly_near_poor", (OTHER, NEAR_POOR, True): "relapsed_near_poor",
    (None, NEAR_POOR, False): "newly_near_poor", (None, NEAR_POOR, True): "relapsed_near_poor",
})


def movement(before: str | None, after: str | None, *, event: str | None = None,
             ever_poor: bool = False, ever_near_poor: bool = False) -> Movement:
    """The one movement a household makes between two rounds.

    ``before``/``after``: register status (poor / near_poor / other) or None.
    ``event``: a lifecycle event (moved_away, dissolved, merged: the household is
    gone; moved_in, split_child: it arrived). ``ever_*``: it held that status in
    an earlier round than ``before`` (relapse, "tái nghèo").
    """
    if event is not None and event not in EVENTS:
        raise ValueError(f"unknown event {event!r}; expected one of {EVENTS}")
    if event in GONE_EVENTS or (after is None and before is not None):
        kind = {POOR: "poor_other_decrease", NEAR_POOR: "near_poor_other_decrease"}.get(before, "left_not_poor")
        return Movement(kind, before, None)
    if event in ARRIVED_EVENTS and before is None:
        kind = {POOR: "poor_other_increase", NEAR_POOR: "near_poor_other_increase"}.get(after, "not_poor")
        return Movement(kind, None, after)
    if after is None:
        raise ValueError("a household with no status before or after makes no movement")
    relapse = ever_poor if after == POOR else ever_near_poor if after == NEAR_POOR else False
    return Movement(_TABLE[(before, after, relapse)], before, after)


# How each movement counts in the report of one status.
_POOR_DECREASES = {"poor_to_near_poor": "to_near_poor", "escaped_poverty": "escaped",
                   "poor_other_decrease": "other_decreases"}
_POOR_INCREASES = {"near_poor_to_poor": "from_near_poor", "relapsed_poor": "relapsed", "newly_poor": "new",
                   "poor_other_increase": "other_increases"}
_NEAR_DECREASES = {"near_poor_to_poor": "to_poor", "escaped_near_poverty": "escaped",
                   "near_poor_other_decrease": "other_decreases"}
_NEAR_INCREASES = {"poor_to_near_poor": "from_poor", "relapsed_near_poor": "relapsed", "newly_near_poor": "new",
                   "near_poor_other_increase": "other_increases"}


def movement_report(movements: Iterable[Movement]) -> dict[str, dict[str, int]]:
    """Counts for the movement tables of poor and near-poor households.

    Raises AssertionError if the identity end = start − decreases + increases
    does not hold (it cannot, unless a movement was built by hand inconsistently).
    """
    poor = {"start": 0, "to_near_poor": 0, "escaped": 0, "other_decreases": 0,
            "from_near_poor": 0, "relapsed": 0, "new": 0, "other_increases": 0, "end": 0}
    near = {"start": 0, "to_poor": 0, "escaped": 0, "other_decreases": 0,
            "from_poor": 0, "relapsed": 0, "new": 0, "other_increases": 0, "end": 0}
    for m in movements:
        poor["start"] += m.before == POOR
        poor["end"] += m.after == POOR
        near["start"] += m.before == NEAR_POOR
        near["end"] += m.after == NEAR_POOR
        for table, mapping in ((poor, _POOR_DECREASES), (poor, _POOR_INCREASES),
                               (near, _NEAR_DECREASES), (near, _NEAR_INCREASES)):
            if m.kind in mapping:
                table[mapping[m.kind]] += 1
    for t, dec, inc in ((poor, _POOR_DECREASES, _POOR_INCREASES), (near, _NEAR_DECREASES, _NEAR_INCREASES)):
        computed = t["start"] - sum(t[k] for k in set(dec.values())) + sum(t[k] for k in set(inc.values()))
        if computed != t["end"]:
            raise AssertionError(f"movement identity broken: computed {computed}, counted {t['end']}")
    return {"poor": poor, "near_poor": near}
