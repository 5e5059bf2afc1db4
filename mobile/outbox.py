"""The outbox's states and the moves between them: one table, in one place (as h11 keeps its state
machine in one file). A finalised household is a queued submission; each sync attempt moves it; the
store (``mobile/store.py``) is the only code that writes a state, and only through :data:`MOVES`."""
from __future__ import annotations

QUEUED = "queued"          # finalised, not yet delivered (maybe attempted: see the row's ``frozen``)
FAILED = "failed"          # last attempt failed (network, server error); retried with back-off
DELIVERED = "delivered"    # the server's receipt is stored
REJECTED = "rejected"      # the server refused it (validation); kept, the collaborator fixes and resends
SUPERSEDED = "superseded"  # never attempted and replaced by a later edit (only unfrozen rows)

STATES = (QUEUED, FAILED, DELIVERED, REJECTED, SUPERSEDED)
PENDING = (QUEUED, FAILED)            # still to be sent
FINAL = (DELIVERED, REJECTED, SUPERSEDED)

# event -> (the states it may move a submission from, the state it moves it to)
MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "deliver": (PENDING, DELIVERED),      # a receipt (accepted, duplicate, conflict) was stored
    "reject": (PENDING, REJECTED),        # the server refused the record
    "fail": (PENDING, FAILED),            # no usable answer for it (network, server error, bad receipt)
    "supersede": (PENDING, SUPERSEDED),   # an edit replaced it before its first attempt (unfrozen only)
}
NEW = QUEUED                              # the state of a newly finalised submission


class OutboxMoveError(ValueError):
    """A move the table does not allow (e.g. delivering a rejected submission)."""


def move(state: str, event: str) -> str:
    """The state ``event`` moves a submission in ``state`` to; OutboxMoveError when it may not."""
    if event not in MOVES:
        raise OutboxMoveError(f"unknown outbox event {event!r}")
    sources, target = MOVES[event]
    if state not in sources:
        raise OutboxMoveError(f"{event!r} cannot move a submission that is {state!r}")
    return target


def sources(event: str) -> tuple[str, ...]:
    return MOVES[event][0]


def target(event: str) -> str:
    return MOVES[event][1]
