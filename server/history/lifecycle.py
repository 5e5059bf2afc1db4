"""The lifecycle events of a household document as the events of ``shared.transitions``, and which
households are gone from a round's population. The bottom of the review's modules (it imports none):
the status history, the results and the transitions all read it.

``moved_away`` / ``dissolved`` / ``merged`` — the household is gone (an *other decrease* of its
previous status); ``moved_in`` and ``split_from`` (``split_child`` in the table) — it arrived
(an *other increase* of its new status when it was not on the register); ``split`` (members left)
changes nothing by itself. A household gone in round N leaves the ward's population from round N+1
on (:func:`gone_before_sql`), until a later submission brings it back (e.g. ``moved_in``).
"""
from __future__ import annotations

from typing import Any

from shared.transitions import GONE_EVENTS

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
