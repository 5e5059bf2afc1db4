"""Device enrollment: one-time codes (and their QR image), token exchange, revocation."""
from __future__ import annotations

import base64
import datetime as dt
import secrets
import uuid
from typing import Any

from shared import wire

from .. import auth
from ..clock import iso
from ..db import Database
from ..errors import ApiError
from ..store import audit, collaborators, devices

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no I, O, 0, 1: read aloud and typed by people
CODE_LENGTH = 12                                        # 60 bits: guessing online is hopeless


def new_code() -> str:
    return wire.format_enrollment_code("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))


def code_hash(code: str) -> str:
    return auth.token_hash("enroll:" + wire.normalize_enrollment_code(code))


def qr_png(text: str) -> bytes:
    """A PNG QR code of ``text`` (the enrollment URI)."""
    import io

    import qrcode

    img = qrcode.make(text, box_size=8, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def create_code(db: Database, collaborator_id: int, user_id: int | None, now: dt.datetime, ttl_hours: int,
                server_url: str, with_qr: bool = True) -> dict[str, Any]:
    """A one-time enrollment code for a collaborator. The code is shown once; only its hash is kept."""
    code = new_code()
    expires = iso(now + dt.timedelta(hours=ttl_hours))
    with db.write() as conn:
        c = collaborators.get_collaborator(conn, collaborator_id)
        if c is None or not c["active"]:
            raise ApiError(404, "collaborator_not_found", f"No active collaborator {collaborator_id}",
                           f"Không có cộng tác viên {collaborator_id} đang hoạt động")
        devices.create_enrollment_code(conn, code_hash(code), collaborator_id, user_id, iso(now), expires)
        audit.record(conn, iso(now), "user" if user_id is not None else "system", user_id, "enrollment_code.create",
                     "collaborator", collaborator_id, {"expires_at": expires})
    uri = wire.enroll_uri(server_url, code)
    out = {"code": code, "expires_at": expires, "enroll_uri": uri,
           "collaborator": {"id": c["id"], "name": c["full_name"]}}
    if with_qr:
        out["qr_png_base64"] = base64.b64encode(qr_png(uri)).decode("ascii")
    return out


def enroll(db: Database, code: str, device_name: str | None, now: dt.datetime) -> dict[str, Any]:
    """Exchange a one-time code for a device token (returned once, stored hashed)."""
    device_id = str(uuid.uuid4())
    token = auth.new_token(auth.DEVICE_PREFIX)
    h = code_hash(code)
    stamp = iso(now)
    err = None
    with db.write() as conn:
        cid = devices.claim_enrollment_code(conn, h, stamp, device_id)
        if cid is None:
            state = devices.enrollment_code_state(conn, h)
            if state is None:
                err = ("enrollment_code_unknown", "Unknown enrollment code", "Mã đăng ký không đúng")
            elif state["used_at"] is not None:
                err = ("enrollment_code_used", "This enrollment code was already used",
                       "Mã đăng ký đã được dùng; xin cán bộ phường cấp mã mới")
            else:
                err = ("enrollment_code_expired", "This enrollment code has expired",
                       "Mã đăng ký đã hết hạn; xin cán bộ phường cấp mã mới")
            audit.record(conn, stamp, "system", None, "enroll.refused", None, None, {"reason": err[0]})
        else:
            name = (device_name or "").strip() or f"Thiết bị {device_id[:8]}"
            devices.create_device(conn, device_id, cid, name, auth.token_hash(token), stamp)
            audit.record(conn, stamp, "device", device_id, "device.enroll", "collaborator", cid, {"name": name})
            collab = collaborators.get_collaborator(conn, cid)
            groups = auth.device_groups(conn, cid)
    if err is not None:   # raised after the commit, so the refusal stays in the audit log
        raise ApiError(401, *err)
    return {"protocol": wire.PROTOCOL_VERSION, "device_id": device_id, "token": token,
            "collaborator": {"id": cid, "name": collab["full_name"]},
            "groups": [{"ward_code": g.ward_code, "code": g.group_code, "name": g.group_name,
                        "province_code": g.province_code, "area_type": g.area_type} for g in groups],
            "server_time": stamp}


def revoke(db: Database, device_id: str, user_id: int | None, now: dt.datetime) -> dict[str, Any]:
    stamp = iso(now)
    with db.write() as conn:
        row = devices.get_device(conn, device_id)
        if row is None:
            raise ApiError(404, "device_not_found", f"No device {device_id}", f"Không có thiết bị {device_id}")
        changed = devices.revoke_device(conn, device_id, user_id, stamp)
        if changed:
            audit.record(conn, stamp, "user" if user_id is not None else "system", user_id, "device.revoke",
                         "device", device_id)
        row = devices.get_device(conn, device_id)
    return {"device_id": device_id, "name": row["name"], "revoked_at": row["revoked_at"]}
