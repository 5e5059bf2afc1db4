"""Every API error has one envelope: {"error": {"code", "message", "message_vi", "details"}}."""
from __future__ import annotations

import pytest

from shared import wire

from .helpers import bearer, push_body, simple_household, submission
from .test_push import _state


def assert_envelope(r, status: int | None = None, code: str | None = None) -> dict:
    assert r.headers["content-type"].startswith("application/json"), r.text
    body = r.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert set(err) == {"code", "message", "message_vi", "details"}, err
    assert isinstance(err["code"], str) and err["message"] and err["message_vi"]
    assert isinstance(err["details"], list)
    assert "Traceback" not in r.text
    if status is not None:
        assert r.status_code == status, r.text
    if code is not None:
        assert err["code"] == code, err
    return err


def test_every_route_answers_errors_in_the_envelope(client, app):
    """Walk every route of the OpenAPI document without credentials and with bad input."""
    spec = client.get("/openapi.json").json()
    walked = 0
    for path, ops in spec["paths"].items():
        concrete = path.replace("{household_id}", "x").replace("{collaborator_id}", "1").replace("{device_id}", "x")
        for method in ops:
            r = client.request(method.upper(), concrete, content=b"{not json", headers={"Content-Type": "text/plain"})
            if r.status_code >= 400:
                assert_envelope(r)
                walked += 1
            # a method the route does not have
            other = "DELETE" if method != "delete" else "PATCH"
            assert_envelope(client.request(other, concrete), 405, "method_not_allowed")
    assert walked >= 15


@pytest.mark.parametrize("path", ["/nope", "/api/v1/nope", "/api/v2/sync/push"])
def test_not_found(client, path):
    assert_envelope(client.get(path), 404, "not_found")


def test_query_validation(client, device):
    err = assert_envelope(client.get("/api/v1/sync/pull?cursor=abc", headers=bearer(device)), 422, "invalid_request")
    assert err["details"][0]["path"] == "query.cursor"
    assert_envelope(client.get("/api/v1/sync/pull?cursor=-1", headers=bearer(device)), 422, "invalid_request")
    assert_envelope(client.get("/api/v1/sync/pull?limit=5000", headers=bearer(device)), 422, "invalid_request")


def test_body_validation(client):
    assert_envelope(client.post("/api/v1/login", json={"username": "x"}), 422, "invalid_request")
    assert_envelope(client.post("/api/v1/login", content=b"{", headers={"Content-Type": "application/json"}), 422)


def test_auth_errors(client):
    assert_envelope(client.get("/api/v1/me"), 401, "auth_required")
    assert_envelope(client.get("/api/v1/me", headers={"Authorization": "Basic eDp5"}), 401, "auth_required")
    assert_envelope(client.get("/api/v1/me", headers=bearer("rss_x")), 401, "session_expired")


def _raw_push(client, token, body: bytes, headers: dict[str, str]):
    return client.post("/api/v1/sync/push", content=body, headers={**headers, **bearer(token)})


GOOD = wire.dumps({"protocol": 1, "submissions": []})


@pytest.mark.parametrize("body, headers, status, code", [
    (wire.gzip_bytes(GOOD)[:-6], {"Content-Encoding": "gzip"}, 400, "bad_gzip"),
    (b"plain text", {"Content-Encoding": "gzip"}, 400, "bad_gzip"),
    (GOOD, {"Content-Type": "text/plain"}, 415, "unsupported_media_type"),
    (GOOD, {"Content-Type": "application/json; charset=latin-1"}, 415, "unsupported_media_type"),
    (GOOD, {"Content-Encoding": "br"}, 415, "unsupported_encoding"),
    (b"", {}, 400, "empty_body"),
    (b"{", {}, 400, "bad_json"),
    (b"[1, 2]", {}, 400, "bad_request"),
    (wire.dumps({"protocol": 2, "submissions": []}), {}, 400, "unsupported_protocol"),
    (wire.dumps({"submissions": []}), {}, 400, "unsupported_protocol"),
    (wire.dumps({"protocol": 1}), {}, 400, "bad_request"),
    (wire.dumps({"protocol": 1, "submissions": [{}] * 201}), {}, 413, "batch_too_large"),
    (wire.gzip_bytes(b" " * (6 * 1024 * 1024)), {"Content-Encoding": "gzip"}, 413, "body_too_large"),
    (b" " * (5 * 1024 * 1024 + 1), {}, 413, "body_too_large"),
])
def test_bad_push_bodies_touch_nothing(client, device, db, body, headers, status, code):
    from .helpers import push
    push(client, device, [submission(simple_household())])
    before = _state(db)
    r = _raw_push(client, device, body, {"Content-Type": "application/json", **headers})
    assert_envelope(r, status, code)
    assert _state(db) == before


def test_error_messages_name_the_problem(client, device):
    r = _raw_push(client, device, wire.dumps({"protocol": 1, "submissions": [{}] * 250}),
                  {"Content-Type": "application/json"})
    err = assert_envelope(r, 413)
    assert "250" in err["message"] and "200" in err["message"] and "250" in err["message_vi"]


def test_unexpected_exception_is_a_500_envelope_without_traceback(client, device, monkeypatch):
    from server.services import pull

    def boom(*a, **k):
        raise ZeroDivisionError("secret internals")

    monkeypatch.setattr(pull.changes, "page", boom)
    r = client.get("/api/v1/sync/pull", headers=bearer(device))
    err = assert_envelope(r, 500, "internal_error")
    assert "secret internals" not in r.text and "ZeroDivisionError" not in r.text


def test_service_errors(client, officer, admin):
    assert_envelope(client.post("/api/v1/households/nope/return", json={"reason": "abc"}, headers=bearer(officer)),
                    404, "household_not_found")
    assert_envelope(client.post("/api/v1/households/nope/return", json={"reason": " a "}, headers=bearer(officer)),
                    422, "invalid_reason")
    assert_envelope(client.post("/api/v1/collaborators/999/enrollment-codes", headers=bearer(admin)),
                    404, "collaborator_not_found")
    assert_envelope(client.post("/api/v1/users", json={"username": "admin", "full_name": "A", "role": "admin",
                                                       "password": "long-enough"}, headers=bearer(admin)),
                    409, "username_taken")


def test_return_of_a_superseded_revision_is_a_409(client, device, officer):
    from .helpers import push
    doc = simple_household()
    first = push(client, device, [submission(doc)]).json()["results"][0]["submission_id"]
    push(client, device, [submission(dict(doc, notes="v2"), revision=2, base=1)])
    r = client.post(f"/api/v1/households/{doc['household_id']}/return",
                    json={"reason": "kiểm tra lại", "submission_id": first}, headers=bearer(officer))
    assert_envelope(r, 409, "not_current")


def test_pushed_body_is_gzip_when_asked(client, device):
    r = client.get("/api/v1/sync/pull", headers={**bearer(device), "Accept-Encoding": "gzip"})
    assert r.headers.get("content-encoding") == "gzip"
