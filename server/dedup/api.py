"""The review queue over JSON (the HTML console comes later).

Include with ``app.include_router(server.dedup.api.router)``. Uses the
server's dependencies (database and clock from ``app.state``, ward-user
roles): viewers read, officers decide and undo, admins refit and rerun.
Errors use the server's envelope (``ApiError``).
"""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ..api.deps import AdminDep, DbDep, NowDep, OfficerDep, ViewerDep, ok
from ..clock import iso
from ..errors import ApiError
from . import decisions, review
from .store import SqliteIndex

router = APIRouter(tags=["dedup"])


class DecisionRequest(BaseModel):
    decision: Literal["same", "different", "split", "unsure"] = Field(
        description="same = cùng hộ; different = khác hộ; split = cùng nơi ở, hộ tách riêng; unsure = chưa chắc")
    note: str = Field("", max_length=2000)


class UndoRequest(BaseModel):
    reason: str = Field("", max_length=2000)


def _actor(user) -> str:
    return f"user:{user.id}"


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except review.DedupError as exc:
        raise ApiError(exc.status, exc.code, exc.message, exc.message_vi) from None


@router.get("/api/v1/dedup/queue", summary="Candidate duplicate pairs waiting for a person, most urgent first")
def get_queue(user: ViewerDep, db: DbDep, status: Literal["open", "linked", "decided", "dismissed"] = "open",
              limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0)] = 0):
    with db.snapshot() as conn:
        return ok({"items": review.queue(conn, limit, offset, status)})


@router.get("/api/v1/dedup/candidates/{candidate_id}", summary="Both records side by side with the evidence")
def get_candidate(candidate_id: int, user: ViewerDep, db: DbDep):
    with db.snapshot() as conn:
        return ok(_call(review.candidate_detail, conn, candidate_id))


@router.post("/api/v1/dedup/candidates/{candidate_id}/decision", summary="Decide a pair (officer)")
def post_decision(candidate_id: int, body: DecisionRequest, user: OfficerDep, db: DbDep, now: NowDep):
    return ok(_call(decisions.decide, db, candidate_id, body.decision, _actor(user), now, body.note))


@router.post("/api/v1/dedup/links/{link_id}/undo", summary="Undo a merge (officer)")
def post_undo(link_id: int, body: UndoRequest, user: OfficerDep, db: DbDep, now: NowDep):
    return ok(_call(decisions.undo, db, link_id, _actor(user), now, body.reason)[0])


@router.get("/api/v1/dedup/households/{household_id}", summary="A household's merged records and links")
def get_household(household_id: str, user: ViewerDep, db: DbDep):
    with db.snapshot() as conn:
        return ok(review.household(conn, household_id))


@router.get("/api/v1/dedup/households/{household_id}/candidates",
            summary="Score one indexed household against the registry now (nothing is stored)")
def get_matches(household_id: str, user: ViewerDep, db: DbDep):
    with db.snapshot() as conn:
        index = SqliteIndex(conn)
        record = index.records([household_id]).get(household_id)
        if record is None:
            raise ApiError(404, "household_not_indexed", "This household is not in the dedup index",
                           "Hộ này chưa có trong chỉ mục trùng lặp")
        return ok({"household_id": household_id, "model_id": index.model_id,
                   "candidates": [c.to_json() for c in index.match(record)]})


@router.post("/api/v1/dedup/model/refit", summary="Re-estimate the model by EM on the registry (admin)")
def post_refit(user: AdminDep, db: DbDep, now: NowDep):
    with db.write() as conn:
        return ok(_call(review.refit_model, conn, iso(now), _actor(user)))


@router.post("/api/v1/dedup/rerun", summary="Rematch every household; human decisions are kept (admin)")
def post_rerun(user: AdminDep, db: DbDep, now: NowDep):
    with db.write() as conn:
        return ok(review.rerun(conn, iso(now), _actor(user)))
