"""Enrollment codes, device tokens, revocation, ward-user login."""
from __future__ import annotations

import base64
import datetime as dt

from shared import wire

from .helpers import bearer, push, simple_household, submission


def _code(client, admin, collaborator_id=1):
    r = client.post(f"/api/v1/collaborators/{collaborator_id}/enrollment-codes", headers=bearer(admin))
    assert r.status_code == 201, r.text
    return r.json()


def _enroll(client, code, name="Tab KP01"):
    return client.post("/api/v1/enroll", json={"protocol": 1, "code": code, "device_name": name})


def test_enroll_with_a_code_then_sync(client, admin, db):
    c = _code(client, admin)
    assert c["enroll_uri"] == wire.enroll_uri("http://testserver", c["code"])
    png = base64.b64decode(c["qr_png_base64"])
    assert png.startswith(b"\x89PNG")
    r = _enroll(client, c["code"].lower().replace("-", " "))      # typed by a person
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["collaborator"]["id"] == 1 and [g["code"] for g in body["groups"]] == ["KP01"]
    assert body["token"].startswith("rsd_")
    # only hashes are stored
    assert db.value("SELECT COUNT(*) FROM devices WHERE token_hash = ?", (body["token"],)) == 0
    assert db.value("SELECT COUNT(*) FROM enrollment_codes WHERE code_hash LIKE ?", (f"%{c['code']}%",)) == 0
    assert push(client, body["token"], [submission(simple_household())]).status_code == 200


def test_a_code_works_once(client, admin):
    c = _code(client, admin)
    assert _enroll(client, c["code"]).status_code == 201
    r = _enroll(client, c["code"])
    assert r.status_code == 401 and r.json()["error"]["code"] == "enrollment_code_used"


def test_codes_expire(client, admin, clock):
    c = _code(client, admin)
    clock.advance(hours=73)
    r = _enroll(client, c["code"])
    assert r.status_code == 401 and r.json()["error"]["code"] == "enrollment_code_expired"


def test_unknown_code(client):
    r = _enroll(client, "AAAA-BBBB-CCCC")
    assert r.status_code == 401 and r.json()["error"]["code"] == "enrollment_code_unknown"


def test_enroll_request_problems(client):
    r = client.post("/api/v1/enroll", json={"protocol": 1})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["path"] == "code"
    r = client.post("/api/v1/enroll", json={"protocol": 9, "code": "AAAA-BBBB-CCCC"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "unsupported_protocol"


def test_revoked_token_fails_at_once(client, admin, device, db):
    assert client.get("/api/v1/sync/pull", headers=bearer(device)).status_code == 200
    device_id = client.get("/api/v1/me", headers=bearer(device)).json()["device_id"]
    r = client.post(f"/api/v1/devices/{device_id}/revoke", headers=bearer(admin))
    assert r.status_code == 200 and r.json()["revoked_at"]
    for call in (lambda: client.get("/api/v1/sync/pull", headers=bearer(device)),
                 lambda: push(client, device, [submission(simple_household())])):
        r = call()
        assert r.status_code == 401 and r.json()["error"]["code"] == "token_revoked"
    assert db.value("SELECT COUNT(*) FROM audit_log WHERE action = 'device.revoke'") == 1


def test_revoking_an_unknown_device_is_404(client, admin):
    r = client.post("/api/v1/devices/nope/revoke", headers=bearer(admin))
    assert r.status_code == 404 and r.json()["error"]["code"] == "device_not_found"


def test_login_logout(client, db):
    r = client.post("/api/v1/login", json={"username": "officer", "password": "officer-demo-2025"})
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    assert r.json()["user"]["role"] == "officer" and token.startswith("rss_")
    assert client.get("/api/v1/me", headers=bearer(token)).json()["role"] == "officer"
    assert client.post("/api/v1/logout", headers=bearer(token)).status_code == 200
    r = client.get("/api/v1/me", headers=bearer(token))
    assert r.status_code == 401 and r.json()["error"]["code"] == "session_expired"
    hashes = [row[0] for row in db.all("SELECT password_hash FROM users")]
    assert all(h.startswith("$argon2id$") for h in hashes)


def test_wrong_password(client, db):
    r = client.post("/api/v1/login", json={"username": "admin", "password": "wrong-password"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_credentials"
    assert db.value("SELECT COUNT(*) FROM audit_log WHERE action = 'login.failed'") == 1


def test_sessions_expire(client, admin, clock):
    clock.advance(hours=13)
    r = client.get("/api/v1/me", headers=bearer(admin))
    assert r.status_code == 401 and r.json()["error"]["code"] == "session_expired"


def test_office_creates_a_collaborator_and_enrolls_a_tablet(client, admin):
    r = client.post("/api/v1/collaborators", json={"full_name": "Vũ Văn Nam", "groups": ["KP06"]},
                    headers=bearer(admin))
    assert r.status_code == 201 and r.json()["groups"] == ["BAICHAY/KP06"]
    token = _enroll(client, _code(client, admin, r.json()["id"])["code"]).json()["token"]
    ok = push(client, token, [submission(simple_household("KP06"))]).json()["results"][0]
    assert ok["status"] == "accepted"
    r = client.post("/api/v1/collaborators", json={"full_name": "X Y", "groups": ["KP99"]}, headers=bearer(admin))
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_group"
