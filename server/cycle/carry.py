"""Carry the households reviewed in earlier rounds into a new round: each becomes a preloaded
revision (its last answers, ``preloaded_from: "review:<year>"``, confirmations cleared) that the
tablets of its group receive on their next pull, like imported register households. Households
that are gone (moved away, dissolved, merged), already preloaded or already submitted in the round
are left alone; re-running it changes nothing."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ..db import Database
from ..errors import ApiError
from ..services.preload import preload_households
from . import rounds
from .transitions import GONE_LIFECYCLE

# The households to carry: reviewed (not a preload waiting for its survey) in an earlier round, and
# not gone — a household whose current submission says moved away / dissolved / merged is not sent
# to the tablets again, whatever round it left in (tests/cycle/test_two_years.py).
_SQL = f"""SELECT h.household_id, s.body, sr.round_year FROM households h
JOIN submissions s ON s.submission_id = h.submission_id
LEFT JOIN submission_rounds sr ON sr.submission_id = h.submission_id
WHERE h.status != 'preloaded' AND COALESCE(sr.round_year, 0) < ?
  AND COALESCE(sr.lifecycle_event, '') NOT IN ({", ".join(f"'{e}'" for e in GONE_LIFECYCLE)})
ORDER BY h.household_id"""


def carry_forward(db: Database, round_id: int, now: dt.datetime, user_id: int | None = None) -> dict[str, Any]:
    r = rounds.get(db.conn, round_id)
    if r is None:
        raise ApiError(404, "round_not_found", f"No round {round_id}", "Không tìm thấy đợt rà soát")
    ctx = rounds.RoundContext(r["id"], r["year"], "import", rounds.label(r), standards=())

    def docs() -> Any:
        for row in db.conn.execute(_SQL, (r["year"],)).fetchall():
            answers = dict(json.loads(row["body"])["answers"])
            answers.pop("confirmations", None)
            answers["preloaded_from"] = f"review:{row['round_year'] or r['year'] - 1}"
            yield answers

    with db.write():
        res = preload_households(db, docs(), now, user_id=user_id, lenient=True, round_ctx=ctx)
    return {"round_id": round_id, **res["counts"], "rejected": res["rejected"][:20]}


__all__ = ["carry_forward"]
