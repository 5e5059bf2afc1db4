"""Carry the households reviewed in earlier rounds into a new round: each becomes a preloaded
revision (its last answers, ``preloaded_from: "review:<year>"``, confirmations cleared) that the
tablets of its group receive on their next pull, like imported register households. Households
that are gone (moved away, dissolved, merged), already preloaded or already submitted in the round
are left alone; re-running it changes nothing."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from shared.forms import available_versions, load_form
from shared.rounds import missing_questions

from ..db import Database
from ..errors import ApiError
from ..services.preload import preload_households
from ..cycle import rounds
from ..history.lifecycle import GONE_LIFECYCLE

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
    needed = [s for s in rounds.load_standards().values() if s.id in r["standards"]]

    def docs() -> Any:
        for row in db.conn.execute(_SQL, (r["year"],)).fetchall():
            answers = dict(json.loads(row["body"])["answers"])
            answers.pop("confirmations", None)
            answers["preloaded_from"] = f"review:{row['round_year'] or r['year'] - 1}"
            # Last year's answers in the form version this round needs (a newer version only adds questions).
            answers["form_version"] = fitting_version(str(answers.get("form_version")), needed)
            yield answers

    with db.write():
        res = preload_households(db, docs(), now, user_id=user_id, lenient=True, round_ctx=ctx)
    return {"round_id": round_id, **res["counts"], "rejected": res["rejected"][:20]}


def fitting_version(version: str, standards: list) -> str:
    """``version`` when it asks what the standards need, else the oldest newer version that does."""
    try:
        if not missing_questions(load_form(version), standards):
            return version
    except KeyError:
        return version
    for v in available_versions():
        if v > version and not missing_questions(load_form(v), standards):
            return v
    return version


__all__ = ["carry_forward", "fitting_version"]
