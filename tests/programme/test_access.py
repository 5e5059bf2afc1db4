"""Who may do what in the programme: the route matrix (every programme route × every caller), partners
refused everywhere else in the server, and partners kept inside their body's types and households."""
from __future__ import annotations

import re
import uuid

import pytest
from fastapi.routing import APIRoute

from tests.console.test_roles import _walk

from .conftest import device_token, session_token
from .helpers import bearer, delivery

# (method, path, body, who may) — who: a set of callers; "read" = every ward user and partner
READ = {"viewer", "officer", "admin", "p_health", "p_front", "p_group"}
OFFICE = {"officer", "admin"}
FUND_READ = {"viewer", "officer", "admin", "p_front"}
FUND_WRITE = {"officer", "admin", "p_front"}
CALLERS = ("none", "device", "viewer", "officer", "admin", "p_health", "p_front", "p_group", "p_unassigned")


def _matrix(ward):
    return [
        ("GET", "/api/v1/programme/catalogue", None, READ),
        ("GET", "/api/v1/programme/households", None, READ),
        ("GET", f"/api/v1/programme/households/{ward.poor}", None, READ),
        # a housing delivery: the Fatherland Front's type (the health station and the group: outside_scope)
        ("POST", f"/api/v1/programme/households/{ward.poor}/deliveries", "delivery", OFFICE | {"p_front"}),
        ("GET", "/api/v1/programme/deliveries", None, READ),
        ("GET", "/api/v1/programme/needs", None, READ),
        # a housing need: noted by the office, the front and the residential group (any body's need)
        ("POST", f"/api/v1/programme/households/{ward.poor}/needs", {"need_type": "housing"},
         OFFICE | {"p_front", "p_group"}),
        ("POST", "/api/v1/programme/needs/derive", {"year": 2025}, OFFICE),
        ("POST", "/api/v1/programme/device/needs", {"needs": []}, {"device"}),
        ("GET", "/api/v1/programme/fund", None, FUND_READ),
        ("GET", "/api/v1/programme/fund/summary", None, READ),
        ("POST", "/api/v1/programme/fund/campaigns", "campaign", FUND_WRITE),
        ("GET", "/api/v1/programme/partners", None, {"admin"}),
        ("POST", "/api/v1/programme/partners", "partner", {"admin"}),
    ]


@pytest.fixture
def callers(app, partners):
    from .helpers import make_partner
    t = {"device": device_token(app, 1), "viewer": session_token(app, "viewer"),
         "officer": session_token(app, "officer"), "admin": session_token(app, "admin"),
         "p_health": partners["health_station"], "p_front": partners["fatherland_front"],
         "p_group": partners["residential_groups"]}
    # a partner user whose account row is missing (e.g. created by hand): refused, never "every body"
    db = app.state.db
    uid = db.value("SELECT user_id FROM partner_accounts WHERE body_id = 'schools'")
    with db.write() as conn:
        conn.execute("DELETE FROM partner_accounts WHERE user_id = ?", (uid,))
    from server import auth
    with db.write() as conn:
        t["p_unassigned"], _ = auth.start_session(conn, uid, app.state.clock(), 12)
    return t


def test_the_programme_route_matrix(client, ward, callers):
    n = 0
    for method, path, body, allowed in _matrix(ward):
        for caller in CALLERS:
            n += 1
            payload = body
            if body == "delivery":
                payload = delivery(support_type="housing", amount_vnd=1_000_000, member_id=None)
            elif body == "campaign":
                payload = {"name": f"Vận động {caller}", "starts_on": "2025-10-01"}
            elif body == "partner":
                payload = {"username": f"u-{caller}", "full_name": "X", "password": "long-enough", "body_id": "justice"}
            headers = {} if caller == "none" else bearer(callers[caller])
            r = client.request(method, path, headers=headers, json=payload)
            if caller in allowed:
                assert r.status_code not in (401, 403), (method, path, caller, r.text)
            else:
                assert r.status_code in (401, 403), (method, path, caller, r.status_code, r.text)
                assert r.json()["error"]["code"] in ("auth_required", "user_only", "role_required", "device_only",
                                                     "outside_scope", "partner_unassigned"), r.text
    assert n == len(_matrix(ward)) * len(CALLERS)


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: str(uuid.uuid4()) if "household" in m[0] else "1", path)


PUBLIC = {"/api/v1/health", "/api/v1/login", "/api/v1/enroll", "/api/v1/logout", "/api/v1/me"}


def test_a_partner_is_refused_by_every_other_api_route(app, client, ward, partners):
    """Nothing else of the server answers a partner: each non-programme API route gives 403 (or 404/405/422
    before any data is read), never a 2xx."""
    token = partners["health_station"]
    checked = 0
    for route in _walk(app.routes):
        if not isinstance(route, APIRoute) or not route.path.startswith("/api/") or route.path.startswith(
                "/api/v1/programme") or route.path in PUBLIC:
            continue
        for method in route.methods:
            r = client.request(method, _fill(route.path), headers=bearer(token), json={})
            checked += 1
            assert r.status_code in (403, 404, 405, 422), (method, route.path, r.status_code, r.text[:300])
            if r.status_code == 403:
                assert r.json()["error"]["code"] in ("role_required", "user_only", "device_only"), route.path
            assert not (200 <= r.status_code < 300)
    assert checked > 30
    # and the console's pages: never a household page
    client.cookies.set("rasoat_session", token)
    for url in ("/console/dashboard", "/console/households", f"/console/households/{ward.poor}", "/console/review",
                "/console/duplicates", "/console/cycle", "/console/cycle/targets", "/console/admin/users"):
        r = client.get(url, follow_redirects=False)
        assert r.status_code == 403, (url, r.status_code)


def test_a_partner_sees_and_enters_only_its_own_types_and_households(client, ward, partners, officer):
    hs, front, group = partners["health_station"], partners["fatherland_front"], partners["residential_groups"]
    # a household on no list is not shown to the health station at all (404, as if unknown)
    assert client.get(f"/api/v1/programme/households/{ward.other}", headers=bearer(hs)).status_code == 404
    listed = {h["household_id"] for h in client.get("/api/v1/programme/households", headers=bearer(hs)).json()["households"]}
    assert listed == {ward.poor, ward.escaped, ward.escaped_kp02}
    # another body's support type: refused by body
    r = client.post(f"/api/v1/programme/households/{ward.poor}/deliveries", headers=bearer(hs),
                    json=delivery(support_type="housing", amount_vnd=5_000_000, member_id=None))
    assert r.status_code == 403 and r.json()["error"]["code"] == "outside_scope"
    # the front's delivery is invisible to the health station, in lists and in the household's history
    f = client.post(f"/api/v1/programme/households/{ward.poor}/deliveries", headers=bearer(front),
                    json=delivery(support_type="housing", amount_vnd=5_000_000, member_id=None, fund="socialised"))
    assert f.status_code == 201, f.text
    assert client.get("/api/v1/programme/deliveries", headers=bearer(hs)).json()["count"] == 0
    assert client.get(f"/api/v1/programme/households/{ward.poor}", headers=bearer(hs)).json()["history"] == []
    assert client.get(f"/api/v1/programme/deliveries/{f.json()['id']}", headers=bearer(hs)).status_code == 404
    assert client.post(f"/api/v1/programme/deliveries/{f.json()['id']}/void", json={"reason": "x"},
                       headers=bearer(hs)).status_code == 404
    # the health station may not note a housing need; the residential group may, for its own group only
    assert client.post(f"/api/v1/programme/households/{ward.poor}/needs", json={"need_type": "housing"},
                       headers=bearer(hs)).status_code == 403
    assert client.post(f"/api/v1/programme/households/{ward.other}/needs", json={"need_type": "housing"},
                       headers=bearer(group)).status_code == 201
    assert client.post(f"/api/v1/programme/households/{ward.escaped_kp02}/needs", json={"need_type": "housing"},
                       headers=bearer(group)).status_code == 404
    g = {h["household_id"] for h in client.get("/api/v1/programme/households", headers=bearer(group)).json()["households"]}
    assert g == {ward.poor, ward.escaped, ward.other}             # every household of KP01, none of KP02
    # the needs list: the health station sees its own body's needs only
    client.post(f"/api/v1/programme/households/{ward.poor}/needs", json={"need_type": "health_insurance",
                                                                       "member_id": "m2"}, headers=bearer(officer))
    bodies = {n["body_id"] for n in client.get("/api/v1/programme/needs", headers=bearer(hs)).json()["needs"]}
    assert bodies == {"health_station"}
    # a partner reading the household sees who it is, not its answers
    view = client.get(f"/api/v1/programme/households/{ward.poor}", headers=bearer(hs)).json()
    assert set(view["household"]) == {"household_id", "group_id", "group_code", "group_name", "head_name", "address"}
    assert set(view["eligible_types"]) <= {"health_insurance_card", "health_care"}
