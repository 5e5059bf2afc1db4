"""The values the ingest steps pass along — a record after the pure step (``Prepared``), who stores it
(``Actor``), the revision decision (``decide``: the transition table) and a device's compact result —
below both write paths (``ingest`` per record, ``rows`` in bulk), which import them from here."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from shared import wire

from ..auth import DeviceGroup

GroupLookup = Callable[[Any, Any], "DeviceGroup | None"]


@dataclass
class Prepared:
    """One record after the pure step."""
    index: int
    submission_id: str | None
    rejected: bool
    problems: list[dict[str, str]]            # every error when rejected, else the warnings
    raw: dict[str, Any] | None = None
    household_id: str | None = None
    body: str = ""                            # canonical JSON of the hashed fields (what is stored)
    content_hash: str = ""
    group: DeviceGroup | None = None
    head_name: str | None = None
    results: list[dict[str, Any]] = field(default_factory=list)   # classification results
    dedup_record: Any = None                  # normalised for matching, built before the write lock


@dataclass(frozen=True)
class Unreadable:
    """A pushed record the JSON parser could not read on its own (server/api/body.py ``split_push``)."""
    problem: wire.WireProblem
    submission_id: str | None


@dataclass(frozen=True)
class Decision:
    status: str                     # accepted | conflict
    server_revision: int | None     # the household's revision after an accept
    conflict_reason: str | None = None


def decide(current_revision: int | None, base_revision: int | None) -> Decision:
    """Transition table for a new submission given the household's server revision.

    | server has        | base_revision       | outcome                 |
    | no household      | null                | accepted, revision 1    |
    | no household      | n                   | conflict unknown_base   |
    | revision r        | r                   | accepted, revision r+1  |
    | revision r        | null or < r         | conflict stale_base     |
    | revision r        | > r                 | conflict unknown_base   |
    """
    if current_revision is None:
        if base_revision is None:
            return Decision(wire.ACCEPTED, 1)
        return Decision(wire.CONFLICT, None, wire.UNKNOWN_BASE)
    if base_revision == current_revision:
        return Decision(wire.ACCEPTED, current_revision + 1)
    if base_revision is None or base_revision < current_revision:
        return Decision(wire.CONFLICT, None, wire.STALE_BASE)
    return Decision(wire.CONFLICT, None, wire.UNKNOWN_BASE)


def compact_results(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a device needs to show a household its result."""
    out = []
    for r in results:
        inc = r.get("income") or {}
        out.append({"standard_id": r["standard_id"], "class": r["class"],
                    "deprivation_count": r.get("deprivation_count"), "score_b": r.get("score_b"),
                    "deprived": [i["number"] for i in r.get("indicators", ()) if i.get("deprived") is True],
                    "income_method": inc.get("method"), "income_per_person_month": inc.get("per_person_month"),
                    "explanation_vi": r.get("explanation_vi"), "explanation_en": r.get("explanation_en")})
    return out


@dataclass(frozen=True)
class Actor:
    source: str                      # device | preload | office
    device_id: str | None = None
    collaborator_id: int | None = None
    user_id: int | None = None
    allowed_group_ids: frozenset[int] | None = None   # None: any group (preload, office)

    @property
    def audit_actor(self) -> tuple[str, Any]:
        if self.device_id:
            return "device", self.device_id
        if self.user_id is not None:
            return "user", self.user_id
        return "system", None
