"""Who may do what in the programme: partners refused everywhere else in the server, partners kept inside
their body's types and households, and nothing of a household's answers in what a partner reads (the
route matrix of every programme route × every caller: test_matrix.py)."""
from __future__ import annotations

import re
import uuid

from fastapi.routing import APIRoute

from tests.console.test_roles import _walk

from .helpers import STANDARD, _hh, bearer, delivery

def _fill(path: str, household_id: str) -> str:
    """A real household (on every list: a partner of the health station serves it) for household ids,
    a well-formed hash for attachments, 1 for other ids."""
    def sub(m: re.Match) -> str:
        if "household" in m[1]:
            return household_id
        return "0" * 64 if m[1] == "sha256" else "1"
    return re.sub(r"\{([^}:]+)[^}]*\}", sub, path)


# what a partner may call outside the programme: logging in and out, itself, the console's public pages
PUBLIC = {"/api/v1/health", "/api/v1/login", "/api/v1/enroll", "/api/v1/logout", "/api/v1/me", "/openapi.json",
          "/docs", "/docs/oauth2-redirect", "/redoc", "/", "/console", "/console/", "/console/login",
          "/console/logout", "/console/lang", "/console/static/{name}", "/console/process/print.js"}


def test_a_partner_is_refused_by_every_other_route(app, client, ward, partners):
    """Nothing else of the server answers a partner: every API and console route outside the programme
    (called with a household the partner serves) answers 403 with a refusal — never data, never a 404 that
    only says the id was wrong."""
    token = partners["health_station"]
    api = console = 0
    for route in _walk(app.routes):
        if not isinstance(route, APIRoute) or route.path.startswith(("/api/v1/programme", "/console/programme")) \
                or route.path in PUBLIC:
            continue
        url = _fill(route.path, ward.poor)
        for method in route.methods - {"HEAD"}:
            client.cookies.clear()
            if route.path.startswith("/console"):
                console += 1
                client.cookies.set("rasoat_session", token)
                r = client.request(method, url, follow_redirects=False,
                                   data={"csrf_token": _csrf(app, token)} if method == "POST" else None)
                assert r.status_code == 403 and "text/html" in r.headers["content-type"], (
                    method, route.path, r.status_code, r.headers.get("location"))
            else:
                api += 1
                r = client.request(method, url, headers=bearer(token), json={})
                assert r.status_code == 403, (method, route.path, r.status_code, r.text[:300])
                assert r.json()["error"]["code"] in ("role_required", "user_only", "device_only"), route.path
    client.cookies.clear()
    assert api > 60 and console > 60, (api, console)


def _csrf(app, session_token: str) -> str:
    import hashlib
    import hmac

    from server import auth
    return hmac.new(app.state.settings.secret.encode(), f"csrf:{auth.token_hash(session_token)}".encode(),
                    hashlib.sha256).hexdigest()


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


def test_a_partner_reads_nothing_of_a_households_answers(app, client, db, ward, partners, officer):
    """A household with a phone, citizen IDs, a note, an income and a house: every programme page and API
    answer a partner may read about it (each body's partner; the residential group's) holds its head's
    name, its address and members' names and birth years — none of the rest."""
    from server.history import status_history
    from server.services.preload import preload_households
    from tests.factories import member
    from tests.server.helpers import NOW
    h = _hh("KP01", [member("m1", full_name="Ngô Văn Bảo", age=52, citizen_id="022073009911"),
                     member("m2", "spouse", 49, "female", full_name="Đinh Thị Gấm", citizen_id="022176004422",
                            health_insurance=False)], income_pp_month=1_234_567)
    h["phone"] = "0912003344"
    h["notes"] = "Ghi chú riêng của cộng tác viên"
    h["address"]["house_number"] = "17B"
    assert preload_households(db, [h], NOW)["counts"]["accepted"] == 1
    hid = h["household_id"]
    with db.write() as conn:
        status_history.record(conn, hid, STANDARD, "poor", "2023-12-20", source="register", now="x", round_=2023)
    # something of every body's: the health station's card, the front's housing and a need of each
    assert client.post(f"/api/v1/programme/households/{hid}/deliveries", json=delivery(),
                       headers=bearer(officer)).status_code == 201
    assert client.post(f"/api/v1/programme/households/{hid}/deliveries", headers=bearer(officer), json=delivery(
        support_type="housing", member_id=None, amount_vnd=20_000_000, fund="socialised")).status_code == 201
    for need in ({"need_type": "housing"}, {"need_type": "job", "member_id": "m1"}):
        assert client.post(f"/api/v1/programme/households/{hid}/needs", json=need,
                           headers=bearer(officer)).status_code == 201
    secrets = ["0912003344", "022073009911", "022176004422", "Ghi chú riêng", "1.234.567", "1234567",
               str(1_234_567 * 12 * 2), f"{1_234_567 * 12 * 2:,}".replace(",", ".")]
    api = [f"/api/v1/programme/households/{hid}", "/api/v1/programme/households", "/api/v1/programme/deliveries",
           "/api/v1/programme/needs?status=all", "/api/v1/programme/targets?year=2025", "/api/v1/programme/fund",
           "/api/v1/programme/fund/summary?year=2025"]
    pages = [f"/console/programme/households/{hid}", "/console/programme/households", "/console/programme",
             "/console/programme/deliveries?year=2025", "/console/programme/needs?status=all",
             "/console/programme/targets?year=2025", "/console/programme/fund", "/console/programme/fund/summary"]
    read = 0
    for body in ("health_station", "fatherland_front", "residential_groups"):
        token = partners[body]
        texts = []
        for url in api:
            r = client.get(url, headers=bearer(token))
            if r.status_code == 200:
                texts.append(r.text)
        client.cookies.set("rasoat_session", token)
        for url in pages:
            r = client.get(url)
            if r.status_code == 200:
                texts.append(r.text)
        client.cookies.clear()
        seen = "\n".join(texts)
        assert "Ngô Văn Bảo" in seen and "17B" in seen, body                # who and where: yes
        for s in secrets:
            assert s not in seen, (body, s)
        view = client.get(f"/api/v1/programme/households/{hid}", headers=bearer(token)).json()
        assert set(view["household"]) <= {"household_id", "group_id", "group_code", "group_name", "head_name",
                                          "address"}
        assert all(set(m) <= {"member_id", "full_name", "birth_year", "relation"} for m in view.get("members", []))
        assert "answers" not in view and "results" not in view
        read += len(texts)
    assert read >= 30
