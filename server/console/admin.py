"""Administration (admin role): users, collaborators and their groups, residential groups,
devices (enrollment codes with their QR image, revocation). Writes go through the server's
services (people, groups, enrollment), each recorded in the audit log."""
from __future__ import annotations

import sqlite3

from fastapi import Request
from starlette.responses import Response

from .. import auth
from ..services import enrollment, groups, people
from ..store import areas, users
from . import queries
from .web import (PREFIX, AdminPost, AdminUser, ConsoleError, form_data, get_db, get_now, get_settings, make_router,
                  redirect, render)

router = make_router()
A = PREFIX + "/admin"


# --- users ----------------------------------------------------------------------------------------

@router.get(A + "/users")
def users_page(request: Request, user: AdminUser) -> Response:
    return render(request, "admin_users.html", users=users.list_users(get_db(request).conn),
                  roles=tuple(auth.ROLE_RANK))


@router.post(A + "/users")
async def create_user(request: Request, user: AdminPost) -> Response:
    f = await form_data(request)
    people.create_user(get_db(request), str(f.get("username") or "").strip(), str(f.get("full_name") or "").strip(),
                       str(f.get("role") or ""), str(f.get("password") or ""), get_now(request), user.id)
    return redirect(A + "/users", "admin.user_created")


@router.post(A + "/users/{user_id}/active")
async def set_user_active(request: Request, user_id: int, user: AdminPost) -> Response:
    f = await form_data(request)
    active = f.get("active") == "1"
    if user_id == user.id and not active:
        raise ConsoleError(409, "admin.cannot_self")
    if not people.set_user_active(get_db(request), user_id, active, get_now(request), user.id):
        raise ConsoleError(404)
    return redirect(A + "/users", "admin.saved")


@router.post(A + "/users/{user_id}/password")
async def reset_password(request: Request, user_id: int, user: AdminPost) -> Response:
    f = await form_data(request)
    password = str(f.get("password") or "")
    if len(password) < 8:
        raise ConsoleError(422, "admin.password")
    if not people.reset_password(get_db(request), user_id, password, get_now(request), user.id):
        raise ConsoleError(404)
    return redirect(A + "/users", "admin.saved")


# --- collaborators --------------------------------------------------------------------------------

def _group_refs(f, conn: sqlite3.Connection) -> list[str]:
    ids = {int(x) for x in f.getlist("groups") if str(x).isdigit()}
    return [f"{g['ward_code']}/{g['code']}" for g in queries.groups(conn) if g["id"] in ids]


@router.get(A + "/collaborators")
def collaborators_page(request: Request, user: AdminUser) -> Response:
    db = get_db(request)
    return render(request, "admin_collaborators.html", collaborators=people.list_collaborators(db),
                  groups=queries.groups(db.conn))


@router.post(A + "/collaborators")
async def create_collaborator(request: Request, user: AdminPost) -> Response:
    f = await form_data(request)
    name = str(f.get("full_name") or "").strip()
    if len(name) < 2:
        raise ConsoleError(422, "error.422", [name])
    db = get_db(request)
    people.create_collaborator(db, name[:120], str(f.get("phone") or "").strip()[:20] or None,
                               _group_refs(f, db.conn), get_now(request), user.id)
    return redirect(A + "/collaborators", "admin.collaborator_created")


@router.post(A + "/collaborators/{collaborator_id}/groups")
async def assign_groups(request: Request, collaborator_id: int, user: AdminPost) -> Response:
    f = await form_data(request)
    db = get_db(request)
    people.assign_groups(db, collaborator_id, _group_refs(f, db.conn), get_now(request), user.id)
    return redirect(A + "/collaborators", "admin.saved")


@router.post(A + "/collaborators/{collaborator_id}/active")
async def set_collaborator_active(request: Request, collaborator_id: int, user: AdminPost) -> Response:
    f = await form_data(request)
    active = f.get("active") == "1"
    if not people.set_collaborator_active(get_db(request), collaborator_id, active, get_now(request), user.id):
        raise ConsoleError(404)
    return redirect(A + "/collaborators", "admin.saved")


@router.post(A + "/collaborators/{collaborator_id}/enroll")
async def enrollment_code(request: Request, collaborator_id: int, user: AdminPost) -> Response:
    s = get_settings(request)
    code = enrollment.create_code(get_db(request), collaborator_id, user.id, get_now(request),
                                  s.enrollment_code_ttl_hours, s.public_url)
    return render(request, "admin_code.html", code=code)


# --- groups ---------------------------------------------------------------------------------------

@router.get(A + "/groups")
def groups_page(request: Request, user: AdminUser) -> Response:
    db = get_db(request)
    return render(request, "admin_groups.html", groups=queries.groups(db.conn),
                  counts=queries.households_per_group(db.conn), wards=areas.list_wards(db.conn))


@router.post(A + "/groups")
async def create_group(request: Request, user: AdminPost) -> Response:
    f = await form_data(request)
    code, name = str(f.get("code") or "").strip()[:40], str(f.get("name") or "").strip()[:120]
    ward_id = int(f.get("ward_id")) if str(f.get("ward_id") or "").isdigit() else 0
    if not code or not name:
        raise ConsoleError(422)
    try:
        groups.create_group(get_db(request), ward_id, code, name, get_now(request), user.id)
    except groups.Refused as r:
        raise ConsoleError(r.status) from None
    return redirect(A + "/groups", "admin.saved")


@router.post(A + "/groups/{group_id}/active")
async def set_group_active(request: Request, group_id: int, user: AdminPost) -> Response:
    f = await form_data(request)
    active = f.get("active") == "1"
    try:
        groups.set_group_active(get_db(request), group_id, active, get_now(request), user.id)
    except groups.Refused as r:
        raise ConsoleError(r.status) from None
    return redirect(A + "/groups", "admin.saved")


# --- devices --------------------------------------------------------------------------------------

@router.get(A + "/devices")
def devices_page(request: Request, user: AdminUser) -> Response:
    db = get_db(request)
    return render(request, "admin_devices.html", devices=queries.devices(db.conn),
                  collaborators=people.list_collaborators(db))


@router.post(A + "/devices/{device_id}/revoke")
async def revoke_device(request: Request, device_id: str, user: AdminPost) -> Response:
    enrollment.revoke(get_db(request), device_id, user.id, get_now(request))
    return redirect(A + "/devices", "admin.device_revoked")
