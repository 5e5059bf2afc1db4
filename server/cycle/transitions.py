"""Transitions between rounds, per household: the status before the round (status history), the
round's result (latest classification, or the recognition decision) and the lifecycle event of
the round's submission → ``shared.transitions.movement``.

Lifecycle events of the household document map to the events of ``shared.transitions``:
``moved_away`` / ``dissolved`` / ``merged`` — the household is gone (an *other decrease* of its
previous status); ``moved_in`` and ``split_from`` (``split_child`` in the table) — it arrived
(an *other increase* of its new status when it was not on the register); ``split`` (members left)
changes nothing by itself.

A household gone in round N is an other decrease of round N and then leaves the ward's population:
from round N+1 on it is not in the start population, has no transition and is not carried forward
(:func:`gone_before_sql`, used by :func:`household_transitions` and ``carry.carry_forward``), until
a later submission brings it back (e.g. ``moved_in``).
"""
from __future__ import annotations

from typing import Any, Iterator

from shared.transitions import ARRIVED_EVENTS, GONE_EVENTS, Movement, movement

from ..process import status_history

EVENT_MAP = {"moved_away": "moved_away", "dissolved": "dissolved", "merged": "merged",
             "moved_in": "moved_in", "split_from": "split_child"}
# the lifecycle events (of the household document) that mean the household is gone
GONE_LIFECYCLE = tuple(sorted(k for k, v in EVENT_MAP.items() if v in GONE_EVENTS))


def gone_before_sql(round_param: str = ":round") -> str:
    """A subquery: the households whose CURRENT submission marks them gone (moved away, dissolved,
    merged) in a round before ``round_param`` — no longer part of that round's population."""
    events = ", ".join(f"'{e}'" for e in GONE_LIFECYCLE)
    return (f"SELECT gh.household_id FROM households gh JOIN submission_rounds gsr "
            f"ON gsr.submission_id = gh.submission_id "
            f"WHERE gsr.lifecycle_event IN ({events}) AND gsr.round_year < {round_param}")


def gone_before(conn: Any, round_: int) -> set[str]:
    """The households gone in a round before ``round_`` (see :func:`gone_before_sql`)."""
    return {r[0] for r in conn.execute(gone_before_sql("?"), (round_,))}


def transition_event(lifecycle_event: str | None) -> str | None:
    """The ``shared.transitions`` event of a household document's ``lifecycle.event`` (or None)."""
    return EVENT_MAP.get(lifecycle_event or "")


def is_gone(lifecycle_event: str | None) -> bool:
    return transition_event(lifecycle_event) in GONE_EVENTS


def household_movement(before: str | None, after: str | None, lifecycle_event: str | None,
                       ever_poor: bool = False, ever_near_poor: bool = False) -> Movement | None:
    """The movement of one household; None when it has no status before or after (nothing to count).

    ``before`` / ``after`` are register statuses (poor, near_poor, escaped_*, other) or None."""
    ev = transition_event(lifecycle_event)
    b, a = status_history.transition_status(before), status_history.transition_status(after)
    if ev in GONE_EVENTS:
        return movement(b, None, event=ev)
    if a is None:
        return None
    return movement(b, a, event=ev if ev in ARRIVED_EVENTS else None, ever_poor=ever_poor,
                    ever_near_poor=ever_near_poor)


def household_transitions(conn: Any, round_: int, standard_id: str, group_id: int | None = None
                          ) -> Iterator[dict[str, Any]]:
    """Every household's transition in a round (streamed): before, after, event, movement. Households
    gone in an earlier round are not part of it (their decrease was that round's)."""
    from ..process.results import iter_results

    left = gone_before(conn, round_)
    for r in iter_results(conn, round_, standard_id, group_id=group_id):
        if r.household_id in left:
            continue
        j = r.judgement
        mv = j.movement
        carried = False
        if mv is None and r.register_status is not None:
            b = status_history.transition_status(r.register_status)
            mv, carried = movement(b, b), True
        yield {"household_id": r.household_id, "group_code": r.group_code, "head_name": r.head_name,
               "before": r.register_status, "class": r.cls, "after": j.after,
               "lifecycle_event": getattr(r, "lifecycle_event", None),
               "movement": mv.kind if mv else None, "movement_vi": mv.label_vi if mv else None,
               "carried": carried}
