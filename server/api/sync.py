"""Device sync: enroll, push, pull (docs/sync-protocol.md)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
import anyio
from fastapi import Request
from starlette.concurrency import run_in_threadpool

from shared import wire

from ..clock import iso
from ..errors import ApiError
from ..services import enrollment, ingest, pull as pull_service
from .body import JsonBody, RawJsonBody
from .deps import DbDep, DeviceDep, NowDep, SettingsDep, ok
from .schemas import ERRORS, EnrollRequest, EnrollResponse, PullResponse, PushRequest, PushResponse, body_doc

router = APIRouter(tags=["sync"], responses=ERRORS)


@router.post("/api/v1/enroll", status_code=201, response_model=EnrollResponse, openapi_extra=body_doc(EnrollRequest),
             summary="Exchange a one-time enrollment code for a device token")
async def enroll(body: JsonBody, db: DbDep, now: NowDep):
    problems = wire.check_enroll_request(body)
    if problems:
        raise ApiError(422, "invalid_request", "Invalid enrollment request", "Yêu cầu đăng ký thiết bị không hợp lệ",
                       [p.to_dict() for p in problems])
    result = await run_in_threadpool(enrollment.enroll, db, body["code"], body.get("device_name"), now)
    return ok(result, 201)


@router.post("/api/v1/sync/push", response_model=PushResponse, openapi_extra=body_doc(PushRequest),
             summary="Deliver submissions; answered per record (accepted/duplicate/conflict/rejected)")
async def push(request: Request, device: DeviceDep, body: RawJsonBody, db: DbDep, now: NowDep, settings: SettingsDep):
    actor = ingest.Actor(source="device", device_id=device.device_id, collaborator_id=device.collaborator_id,
                         allowed_group_ids=frozenset(device.group_ids))

    def work() -> list:
        # Parsing too is CPU work: here, after stepping aside for this process's writer, not on the event loop.
        db.yield_to_writer()
        items = wire.push_submissions(body.parse_push(), settings.max_push_submissions)
        return ingest.push(db, actor, device.group, items, now, bulk=request.app.state.bulk_new_households)

    # CPU-bound (validation, classification): a few threads at a time, not the whole pool fighting for the GIL.
    results = await anyio.to_thread.run_sync(work, limiter=request.app.state.ingest_limiter)
    return ok({"protocol": wire.PROTOCOL_VERSION, "server_time": iso(now), "results": results})


@router.get("/api/v1/sync/pull", response_model=PullResponse,
            summary="Changes for this device's groups after a cursor")
def pull(device: DeviceDep, db: DbDep, now: NowDep, settings: SettingsDep,
         cursor: Annotated[int, Query(ge=0, description="The cursor of the previous pull; 0 the first time")] = 0,
         limit: Annotated[int | None, Query(ge=1, le=wire.MAX_PULL_LIMIT)] = None):
    return ok(pull_service.pull(db, device, cursor, limit or settings.pull_limit, now))
