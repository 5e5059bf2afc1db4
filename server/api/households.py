"""Households: read (office users, or a device for its own groups) and return to the collaborator."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from .. import auth
from ..errors import ApiError
from ..services import people, returns
from ..store import households
from .deps import DbDep, NowDep, OfficerDep, PrincipalDep, ViewerDep, ok
from .schemas import ERRORS, ReturnRequest

router = APIRouter(tags=["households"], responses=ERRORS)


@router.get("/api/v1/households", summary="List households (keyset paging by household_id)")
def list_households(user: ViewerDep, db: DbDep,
                    group: Annotated[str | None, Query(description="group code, e.g. KP01")] = None,
                    status: Annotated[str | None, Query(pattern="^(preloaded|submitted|returned)$")] = None,
                    after: str = "", limit: Annotated[int, Query(ge=1, le=500)] = 100):
    group_ids = None
    if group:
        group_ids = [r["id"] for r in db.all("SELECT id FROM area_groups WHERE code = ?", (group,))]
    rows = households.list_page(db.conn, group_ids, status, after, limit)
    return ok({"households": rows, "next": rows[-1]["household_id"] if len(rows) == limit else None})


@router.get("/api/v1/households/{household_id}",
            summary="One household: current answers, results, history (a device: only its own groups)")
def get_household(household_id: str, p: PrincipalDep, db: DbDep):
    if isinstance(p, auth.UserPrincipal) and not p.has_role("viewer"):   # a partner body: never the answers
        raise ApiError(403, "role_required", "This needs the viewer role", "Cần quyền xem",
                       [{"required_role": "viewer", "your_role": p.role}])
    detail = people.household_detail(db, household_id)
    if detail is None:
        raise ApiError(404, "household_not_found", f"No household {household_id}", f"Không có hộ {household_id}")
    if isinstance(p, auth.DevicePrincipal):
        if detail["group_id"] not in p.group_ids:
            raise ApiError(403, "forbidden_group", "This household belongs to a group not assigned to this device",
                           "Hộ này thuộc khu phố không được giao cho thiết bị này")
        detail.pop("history")
    detail.pop("group_id")
    return ok(detail)


@router.post("/api/v1/households/{household_id}/return",
             summary="Return the household to its collaborator with a reason (officer)")
def return_household(household_id: str, body: ReturnRequest, user: OfficerDep, db: DbDep, now: NowDep):
    return ok(returns.return_household(db, user, household_id, body.reason, now, body.submission_id), 201)
