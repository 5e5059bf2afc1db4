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

from shared.transitions import movement

from ..history import status_history
from ..history.lifecycle import (EVENT_MAP, GONE_LIFECYCLE, gone_before, gone_before_sql, is_gone,  # noqa: F401
                                 transition_event)
from ..history.movements import household_movement  # noqa: F401  (re-exported)
from .results import iter_results


def household_transitions(conn: Any, round_: int, standard_id: str, group_id: int | None = None
                          ) -> Iterator[dict[str, Any]]:
    """Every household's transition in a round (streamed): before, after, event, movement. Households
    gone in an earlier round are not part of it (their decrease was that round's)."""
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
