"""Each role (and no token, a device, a revoked device) against each endpoint."""
from __future__ import annotations

import uuid

import pytest

from .conftest import device_token, session_token
from .helpers import bearer, push_body, simple_household, submission

HID = str(uuid.uuid4())
# (method, path, json body or None, minimum caller: 'device' | 'any' | role)
ENDPOINTS = [
    ("GET", "/api/v1/sync/pull", None, "device"),
    ("POST", "/api/v1/sync/push", "push", "device"),
    ("GET", "/api/v1/me", None, "any"),
    ("GET", "/api/v1/groups", None, "viewer"),
    ("GET", "/api/v1/households", None, "viewer"),
    ("GET", "/api/v1/collaborators", None, "viewer"),
    ("POST", f"/api/v1/households/{HID}/return", {"reason": "Thiếu thông tin"}, "officer"),
    ("GET", "/api/v1/users", None, "admin"),
    ("POST", "/api/v1/users", {"username": "newuser", "full_name": "N", "role": "viewer", "password": "long-password"}, "admin"),
    ("POST", "/api/v1/collaborators", {"full_name": "Đỗ Văn Hải", "groups": ["KP01"]}, "admin"),
    ("PUT", "/api/v1/collaborators/1/groups", {"groups": ["KP01"]}, "admin"),
    ("POST", "/api/v1/collaborators/1/enrollment-codes", None, "admin"),
    ("GET", "/api/v1/devices", None, "admin"),
    ("POST", "/api/v1/devices/none/revoke", None, "admin"),
    ("GET", "/api/v1/audit", None, "admin"),
]
CALLERS = ["none", "garbage", "device", "revoked", "viewer", "officer", "admin"]
RANK = {"viewer": 1, "officer": 2, "admin": 3}


def _allowed(caller: str, need: str) -> bool:
    if need == "device":
        return caller == "device"
    if need == "any":
        return caller in ("device", "viewer", "officer", "admin")
    return caller in RANK and RANK[caller] >= RANK[need]


def _expected_denial(caller: str) -> tuple[int, str]:
    return {"none": (401, "auth_required"), "garbage": (401, "invalid_token"), "revoked": (401, "token_revoked"),
            "device": (403, "device_only")}.get(caller, (403, "role_required"))


@pytest.fixture
def tokens(app, client):
    t = {"device": device_token(app, 1), "viewer": session_token(app, "viewer"),
         "officer": session_token(app, "officer"), "admin": session_token(app, "admin"), "garbage": "rsd_nope"}
    t["revoked"] = device_token(app, 1, "old")
    dev_id = client.get("/api/v1/me", headers=bearer(t["revoked"])).json()["device_id"]
    client.post(f"/api/v1/devices/{dev_id}/revoke", headers=bearer(t["admin"]))
    return t


@pytest.mark.parametrize("method, path, body, need", ENDPOINTS, ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
def test_role_matrix(client, tokens, method, path, body, need):
    for caller in CALLERS:
        headers = {} if caller == "none" else bearer(tokens[caller])
        kwargs = {}
        if body == "push":
            content, h = push_body([submission(simple_household())])
            kwargs = {"content": content}
            headers.update(h)
        elif body is not None:
            kwargs = {"json": body}
        r = client.request(method, path, headers=headers, **kwargs)
        if _allowed(caller, need):
            assert r.status_code not in (401, 403), (caller, r.text)
        else:
            status, code = _expected_denial(caller)
            if need == "device" and caller in RANK:
                code = "device_only"
            if need not in ("device", "any") and caller == "device":
                code = "user_only"
            assert (r.status_code, r.json()["error"]["code"]) == (status, code), (caller, r.text)


def test_a_device_may_not_read_another_groups_household(client, app):
    kp02 = device_token(app, 2)
    doc = simple_household("KP02")
    content, h = push_body([submission(doc)])
    client.post("/api/v1/sync/push", content=content, headers={**h, **bearer(kp02)})
    r = client.get(f"/api/v1/households/{doc['household_id']}", headers=bearer(device_token(app, 1)))
    assert r.status_code == 403
    assert client.get(f"/api/v1/households/{doc['household_id']}",
                      headers=bearer(session_token(app, "viewer"))).status_code == 200
