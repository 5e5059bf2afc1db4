"""The programme's route matrix: EVERY programme route, API and console, called by every caller — not
logged in, a device, the three ranked roles, a partner of the body that owns the resource, a partner of
another body, a residential group's partner, a partner account naming no body — with real ids: an
entry, a need and a contribution that exist, a household on every list and one outside every list.

Each answer falls in one class: refused (401/403, or the console's redirect to its login page), hidden
(404: a partner cannot tell another body's record, or a household outside its lists, from one that does
not exist) or admitted (anything else: 200/201/303, or 409/422 from the service once past the access
check). A programme route missing from the table fails the test."""
from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from tests.console.test_roles import _walk

from .conftest import device_token, session_token
from .helpers import bearer, delivery

# partners first: once the office notes a health need for a household outside every list, the household is
# the health station's to serve (a household in difficulty) — the partners meet it still outside
CALLERS = ("none", "device", "p_unassigned", "p_health", "p_front", "p_group", "viewer", "officer", "admin")
A, R, H = "admitted", "refused", "hidden"
USERS = ("viewer", "officer", "admin")
PARTNERS = ("p_health", "p_front", "p_group")


def who(admitted: set[str] | tuple[str, ...] = (), hidden: set[str] | tuple[str, ...] = (),
        either: set[str] | tuple[str, ...] = ()) -> dict[str, set[str]]:
    """The expected class per caller: ``admitted``, ``hidden``; ``either``: refused or hidden (both keep the
    record from the caller; which one depends on the order of checks); everyone else refused."""
    out = {c: {R} for c in CALLERS}
    for c in admitted:
        out[c] = {A}
    for c in hidden:
        out[c] = {H}
    for c in either:
        out[c] = {R, H}
    return out


READ_ALL = USERS + PARTNERS
OFFICE = ("officer", "admin")
FUND = ("viewer", "officer", "admin", "p_front")
FUND_WRITE = ("officer", "admin", "p_front")
HEALTH_WRITE = ("officer", "admin", "p_health")


@pytest.fixture
def world(app, client, ward, partners, officer) -> dict[str, Any]:
    """The health station's card and need for the poor household, spare entries to correct and void, a
    campaign and contributions; tokens of every caller."""
    def post(path, body):
        r = client.post(path, json=body, headers=bearer(officer))
        assert r.status_code == 201, r.text
        return r.json()["id"]

    base = f"/api/v1/programme/households/{ward.poor}"
    # the health station's card with an evidence photo (sent with the console's form)
    import io

    from PIL import Image
    photo = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 60)).save(photo, "JPEG")
    client.cookies.set("rasoat_session", partners["health_station"])
    page = client.get(f"/console/programme/households/{ward.poor}").text
    r = client.post(f"/console/programme/households/{ward.poor}/deliveries", follow_redirects=False, data={
        "csrf_token": page.split('name="csrf_token" value="')[1].split('"')[0], "support_type": "health_insurance_card",
        "delivered_on": "05/11/2025", "quantity": "1", "fund": "state_budget", "member_id": "m2"},
        files={"evidence_photo": ("bien-nhan.jpg", photo.getvalue(), "image/jpeg")})
    assert r.status_code == 303, r.text[:300]
    client.cookies.clear()
    ids = {"entries": [post(base + "/deliveries", delivery()) for _ in range(4)],
           "photo": app.state.db.value("SELECT evidence_sha256 FROM support_entries WHERE evidence_sha256 IS NOT NULL"),
           "needs": [post(base + "/needs", {"need_type": "health", "member_id": f"m{i}"}) for i in (1, 2, 3)]}
    ids["campaign"] = post("/api/v1/programme/fund/campaigns", {"name": "Quỹ 2025", "starts_on": "2025-10-01"})
    ids["gifts"] = [post("/api/v1/programme/fund/contributions", {
        "campaign_id": ids["campaign"], "donor_name": f"Nhà hảo tâm {i}", "amount_vnd": 1_000_000,
        "received_on": "2025-10-02"}) for i in range(3)]
    db = app.state.db
    # households of KP01 on no list, one per row that writes (a need makes a household its body's)
    from server.services.preload import preload_households
    from tests.factories import member

    from .helpers import NOW, _hh
    outside = [_hh("KP01", [member("m1", full_name=f"Hoàng Văn Tư {i}", age=40)]) for i in range(4)]
    assert preload_households(db, outside, NOW)["counts"]["accepted"] == 4
    ids["outside"] = [h["household_id"] for h in outside]
    tokens = {"device": device_token(app, 1), "viewer": session_token(app, "viewer"), "officer": officer,
              "admin": session_token(app, "admin"), "p_health": partners["health_station"],
              "p_front": partners["fatherland_front"], "p_group": partners["residential_groups"]}
    # a partner user whose account row is missing (made by hand): refused, never "every body"
    uid = db.value("SELECT user_id FROM partner_accounts WHERE body_id = 'schools'")
    with db.write() as conn:
        conn.execute("DELETE FROM partner_accounts WHERE user_id = ?", (uid,))
    from server import auth
    with db.write() as conn:
        tokens["p_unassigned"], _ = auth.start_session(conn, uid, app.state.clock(), 12)
    return {"ids": ids, "tokens": tokens}


def _rows(ward, ids) -> list[tuple[str, str, str, Any, dict[str, set[str]]]]:
    """(method, route template, url, body, expected class per caller). Entries and needs are the health
    station's; ``ward.poor`` is on every list, the ``outside`` households on none (KP01: the residential
    group's)."""
    e, n, g, o = ids["entries"], ids["needs"], ids["gifts"], ids["outside"]
    card = delivery()
    card_other = delivery(member_id="m1")
    housing_need = {"need_type": "housing"}
    health_need = {"need_type": "health_insurance", "member_id": "m1"}
    api = "/api/v1/programme"
    con = "/console/programme"
    hh = "/households/{household_id}"
    rows = [
        ("GET", f"{api}/catalogue", f"{api}/catalogue", None, who(READ_ALL)),
        ("GET", f"{api}/households", f"{api}/households", None, who(READ_ALL)),
        ("GET", f"{api}{hh}", f"{api}/households/{ward.poor}", None, who(READ_ALL)),
        ("GET", f"{api}{hh}", f"{api}/households/{o[0]}", None,
         who(USERS + ("p_group",), hidden=("p_health", "p_front"))),
        ("POST", f"{api}{hh}/deliveries", f"{api}/households/{ward.poor}/deliveries", card,
         who(HEALTH_WRITE)),
        ("POST", f"{api}{hh}/deliveries", f"{api}/households/{o[0]}/deliveries", card_other,
         who(OFFICE, hidden=("p_health",), either=("p_front", "p_group"))),
        ("GET", f"{api}/deliveries", f"{api}/deliveries", None, who(READ_ALL)),
        ("GET", f"{api}/deliveries/{{entry_id}}", f"{api}/deliveries/{e[0]}", None,
         who(USERS + ("p_health",), hidden=("p_front", "p_group"))),
        ("POST", f"{api}/deliveries/{{entry_id}}/correct", f"{api}/deliveries/{e[0]}/correct",
         {"quantity": 2, "reason": "sửa"}, who(HEALTH_WRITE, hidden=("p_front", "p_group"))),
        ("POST", f"{api}/deliveries/{{entry_id}}/void", f"{api}/deliveries/{e[1]}/void", {"reason": "hủy"},
         who(HEALTH_WRITE, hidden=("p_front", "p_group"))),
        ("GET", f"{api}/needs", f"{api}/needs", None, who(READ_ALL)),
        ("POST", f"{api}{hh}/needs", f"{api}/households/{ward.poor}/needs", housing_need,
         who(OFFICE + ("p_front", "p_group"))),
        ("POST", f"{api}{hh}/needs", f"{api}/households/{o[1]}/needs", health_need,
         who(OFFICE + ("p_group",), hidden=("p_health",), either=("p_front",))),
        ("POST", f"{api}/needs/{{need_id}}/close", f"{api}/needs/{n[0]}/close", {"reason": "declined"},
         who(HEALTH_WRITE, hidden=("p_front", "p_group"))),
        ("POST", f"{api}/needs/derive", f"{api}/needs/derive", {"year": 2025}, who(OFFICE)),
        ("POST", f"{api}/device/needs", f"{api}/device/needs", {"needs": []}, who(("device",))),
        ("GET", f"{api}/fund", f"{api}/fund", None, who(FUND)),
        ("GET", f"{api}/fund/summary", f"{api}/fund/summary", None, who(READ_ALL)),
        ("POST", f"{api}/fund/campaigns", f"{api}/fund/campaigns", {"name": "Đợt 2", "starts_on": "2025-10-01"},
         who(FUND_WRITE)),
        ("POST", f"{api}/fund/contributions", f"{api}/fund/contributions",
         {"campaign_id": ids["campaign"], "donor_name": "B", "amount_vnd": 100, "received_on": "2025-10-03"},
         who(FUND_WRITE)),
        ("POST", f"{api}/fund/contributions/{{entry_id}}/correct", f"{api}/fund/contributions/{g[0]}/correct",
         {"amount_vnd": 900_000, "reason": "ghi nhầm"}, who(FUND_WRITE)),
        ("POST", f"{api}/fund/contributions/{{entry_id}}/void", f"{api}/fund/contributions/{g[1]}/void",
         {"reason": "trả lại"}, who(FUND_WRITE)),
        ("GET", f"{api}/partners", f"{api}/partners", None, who(("admin",))),
        ("POST", f"{api}/partners", f"{api}/partners", "partner", who(("admin",))),
        ("GET", f"{api}/targets", f"{api}/targets", None, who(READ_ALL)),
        ("PUT", f"{api}/targets/{{year}}", f"{api}/targets/2025", {"values": {"health_insurance": 95}}, who(OFFICE)),
        ("GET", f"{api}/report", f"{api}/report?year=2025", None, who(USERS)),
        ("GET", f"{api}/report.xlsx", f"{api}/report.xlsx?year=2025", None, who(USERS)),
        # evidence photos: any body may store one (a JSON body is refused as 415, past the access check)
        ("POST", f"{api}/evidence", f"{api}/evidence", {}, who(OFFICE + PARTNERS)),
        ("GET", f"{api}/evidence/{{sha256}}", f"{api}/evidence/{ids['photo']}", None,
         who(USERS + ("p_health",), hidden=("p_front", "p_group"))),
        # the console's pages and forms
        ("GET", con, con, None, who(READ_ALL)),
        ("GET", f"{con}/households", f"{con}/households", None, who(READ_ALL)),
        ("GET", f"{con}{hh}", f"{con}/households/{ward.poor}", None, who(READ_ALL)),
        ("GET", f"{con}{hh}", f"{con}/households/{o[2]}", None,
         who(USERS + ("p_group",), hidden=("p_health", "p_front"))),
        ("POST", f"{con}{hh}/deliveries", f"{con}/households/{ward.poor}/deliveries", card, who(HEALTH_WRITE)),
        ("POST", f"{con}{hh}/deliveries", f"{con}/households/{o[2]}/deliveries", card_other,
         who(OFFICE, hidden=("p_health",), either=("p_front", "p_group"))),
        ("POST", f"{con}{hh}/needs", f"{con}/households/{ward.poor}/needs", housing_need,
         who(OFFICE + ("p_front", "p_group"))),
        ("POST", f"{con}{hh}/needs", f"{con}/households/{o[3]}/needs", health_need,
         who(OFFICE + ("p_group",), hidden=("p_health",), either=("p_front",))),
        ("POST", f"{con}/needs/{{need_id}}/close", f"{con}/needs/{n[1]}/close", {"reason": "declined"},
         who(HEALTH_WRITE, hidden=("p_front", "p_group"))),
        ("POST", f"{con}/deliveries/{{entry_id}}/correct", f"{con}/deliveries/{e[2]}/correct",
         {"quantity": "2", "reason": "sửa"}, who(HEALTH_WRITE, hidden=("p_front", "p_group"))),
        ("POST", f"{con}/deliveries/{{entry_id}}/void", f"{con}/deliveries/{e[3]}/void", {"reason": "hủy"},
         who(HEALTH_WRITE, hidden=("p_front", "p_group"))),
        ("GET", f"{con}/deliveries", f"{con}/deliveries", None, who(READ_ALL)),
        ("GET", f"{con}/needs", f"{con}/needs", None, who(READ_ALL)),
        ("POST", f"{con}/needs/derive", f"{con}/needs/derive", {"year": "2025"}, who(OFFICE)),
        ("GET", f"{con}/fund", f"{con}/fund", None, who(FUND)),
        ("GET", f"{con}/fund/summary", f"{con}/fund/summary", None, who(READ_ALL)),
        ("POST", f"{con}/fund/campaigns", f"{con}/fund/campaigns", {"name": "Đợt 3", "starts_on": "2025-10-01"},
         who(FUND_WRITE)),
        ("POST", f"{con}/fund/contributions", f"{con}/fund/contributions",
         {"campaign_id": str(ids["campaign"]), "donor_name": "C", "amount_vnd": "100", "received_on": "03/10/2025"},
         who(FUND_WRITE)),
        ("POST", f"{con}/fund/contributions/{{entry_id}}/void", f"{con}/fund/contributions/{g[2]}/void",
         {"reason": "trả lại"}, who(FUND_WRITE)),
        ("GET", f"{con}/partners", f"{con}/partners", None, who(("admin",))),
        ("POST", f"{con}/partners", f"{con}/partners", "partner", who(("admin",))),
        ("GET", f"{con}/targets", f"{con}/targets", None, who(READ_ALL)),
        ("POST", f"{con}/targets", f"{con}/targets", {"year": "2025", "target.health_insurance": "95"}, who(OFFICE)),
        ("GET", f"{con}/report", f"{con}/report?year=2025", None, who(USERS)),
        ("GET", f"{con}/report.xlsx", f"{con}/report.xlsx?year=2025", None, who(USERS)),
        ("GET", f"{con}/evidence/{{sha256}}", f"{con}/evidence/{ids['photo']}", None,
         who(USERS + ("p_health",), hidden=("p_front", "p_group"))),
    ]
    return rows


def _programme_routes(app) -> set[tuple[str, str]]:
    return {(m, r.path) for r in _walk(app.routes) if isinstance(r, APIRoute)
            and r.path.startswith(("/api/v1/programme", "/console/programme")) for m in r.methods}


def _class(r, console: bool) -> str:
    if console and r.status_code in (302, 303, 307) and r.headers.get("location", "").startswith("/console/login"):
        return R
    if r.status_code in (401, 403):
        return R
    if r.status_code == 404:
        return H
    return A


def test_every_programme_route_as_every_caller(app, client, ward, world):
    rows = _rows(ward, world["ids"])
    assert {(m, t) for m, t, *_ in rows} == _programme_routes(app), "a programme route is missing from the matrix"
    tokens = world["tokens"]
    secret = app.state.settings.secret
    failures, calls = [], 0
    for method, template, url, body, expected in rows:
        console = template.startswith("/console")
        for caller in CALLERS:
            calls += 1
            payload = body
            if body == "partner":
                payload = {"username": f"u-{caller}-{calls}", "full_name": "Tư pháp", "password": "long-enough-pw",
                           "body_id": "justice"}
            client.cookies.clear()
            token = tokens.get(caller)
            if console:
                if token and caller != "device":
                    client.cookies.set("rasoat_session", token)
                kw: dict[str, Any] = {}
                if method == "POST":
                    kw["data"] = {**(payload or {}), "csrf_token": _csrf(secret, token) if token else "x"}
                r = client.request(method, url, follow_redirects=False,
                                   headers=bearer(token) if caller == "device" else {}, **kw)
            else:
                r = client.request(method, url, json=payload, headers=bearer(token) if token else {})
            got = _class(r, console)
            if r.status_code >= 500:
                failures.append(f"{caller} {method} {url}: {r.status_code}")
            elif got not in expected[caller]:
                failures.append(f"{caller:12} {method} {url}: {r.status_code} ({got}, expected "
                                f"{'/'.join(sorted(expected[caller]))}) {r.text[:160]}")
            elif got != A and console and caller not in ("none", "device"):
                if "text/html" not in r.headers.get("content-type", ""):
                    failures.append(f"{caller} {method} {url}: a refusal that is not a page")
            elif got == R and not console:
                code = r.json()["error"]["code"]
                if code not in ("auth_required", "user_only", "role_required", "device_only", "outside_scope",
                                "partner_unassigned"):
                    failures.append(f"{caller} {method} {url}: refused with {code}")
    client.cookies.clear()
    assert failures == [], "\n".join(failures)
    assert calls == len(rows) * len(CALLERS)


def _csrf(secret: str, session_token: str) -> str:
    import hashlib
    import hmac

    from server import auth
    return hmac.new(secret.encode(), f"csrf:{auth.token_hash(session_token)}".encode(), hashlib.sha256).hexdigest()
