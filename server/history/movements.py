"""The movement of one household between rounds: its register status before, its status after and
its lifecycle event → ``shared.transitions.movement``."""
from __future__ import annotations

from shared.transitions import ARRIVED_EVENTS, GONE_EVENTS, Movement, movement

from . import status_history
from .lifecycle import transition_event


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
