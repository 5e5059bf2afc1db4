"""Office administration over the API: groups, users, collaborators, enrollment codes, devices, audit."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ..services import enrollment, people
from ..store import areas, audit, devices, users
from .deps import AdminDep, DbDep, NowDep, SettingsDep, ViewerDep, ok
from .schemas import ERRORS, AssignRequest, CreateCollaboratorRequest, CreateUserRequest

router = APIRouter(tags=["office"], responses=ERRORS)


@router.get("/api/v1/groups", summary="Wards and residential groups")
def list_groups(user: ViewerDep, db: DbDep):
    return ok({"wards": areas.list_wards(db.conn),
               "groups": [{"ward_code": g["ward_code"], "code": g["group_code"], "name": g["group_name"],
                           "active": bool(g["active"])} for g in areas.list_groups(db.conn)]})


@router.get("/api/v1/users", summary="Ward users (admin)")
def list_users(user: AdminDep, db: DbDep):
    return ok({"users": [dict(r) for r in users.list_users(db.conn)]})


@router.post("/api/v1/users", status_code=201, summary="Create a ward user (admin)")
def create_user(body: CreateUserRequest, user: AdminDep, db: DbDep, now: NowDep):
    return ok(people.create_user(db, body.username, body.full_name, body.role, body.password, now, user.id), 201)


@router.get("/api/v1/collaborators", summary="Collaborators and their groups")
def list_collaborators(user: ViewerDep, db: DbDep):
    return ok({"collaborators": people.list_collaborators(db)})


@router.post("/api/v1/collaborators", status_code=201, summary="Create a collaborator assigned to groups (admin)")
def create_collaborator(body: CreateCollaboratorRequest, user: AdminDep, db: DbDep, now: NowDep):
    return ok(people.create_collaborator(db, body.full_name, body.phone, body.groups, now, user.id), 201)


@router.put("/api/v1/collaborators/{collaborator_id}/groups", summary="Set a collaborator's groups (admin)")
def assign_groups(collaborator_id: int, body: AssignRequest, user: AdminDep, db: DbDep, now: NowDep):
    return ok(people.assign_groups(db, collaborator_id, body.groups, now, user.id))


@router.post("/api/v1/collaborators/{collaborator_id}/enrollment-codes", status_code=201,
             summary="A one-time enrollment code (and QR PNG, base64) for a collaborator's tablet (admin)")
def create_enrollment_code(collaborator_id: int, user: AdminDep, db: DbDep, now: NowDep, settings: SettingsDep):
    return ok(enrollment.create_code(db, collaborator_id, user.id, now, settings.enrollment_code_ttl_hours,
                                     settings.public_url), 201)


@router.get("/api/v1/devices", summary="Enrolled devices (admin)")
def list_devices(user: AdminDep, db: DbDep):
    return ok({"devices": [dict(r) for r in devices.list_devices(db.conn)]})


@router.post("/api/v1/devices/{device_id}/revoke", summary="Revoke a device token at once (admin)")
def revoke_device(device_id: str, user: AdminDep, db: DbDep, now: NowDep):
    return ok(enrollment.revoke(db, device_id, user.id, now))


@router.get("/api/v1/audit", summary="Audit log, newest first (admin)")
def audit_log(user: AdminDep, db: DbDep, before: int | None = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 100):
    return ok({"entries": audit.recent(db.conn, limit, before)})
