"""One address per console page: no two console routes render the same page; the aliases of the
console's home (``/``, ``/console``, ``/console/``) redirect; an address that only takes a form's
post, opened with GET (a reloaded or bookmarked result), goes to the page the form is on; an
unknown console address is the console's error page, never the API's JSON; the register import
(check, then confirm) has one address, its former confirm address redirecting there."""
from __future__ import annotations

import re
from collections import defaultdict

from tests.console.conftest import csrf_of
from tests.office.test_vietnamese import NOT_PAGES, console_get_routes, fillers


def _page(html: str) -> tuple[str, str]:
    t = re.search(r"<title>(.*?)</title>", html, re.S)
    h = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    return (t.group(1).strip() if t else "", re.sub(r"\s+", " ", h.group(1)).strip() if h else "")


def test_no_two_routes_render_the_same_page(office, as_role):
    app, world = office
    client = as_role["admin"]
    fill = fillers(world)
    by_page: dict[tuple[str, str], set[str]] = defaultdict(set)
    redirects = {}
    for route in console_get_routes(app):
        if route in NOT_PAGES:
            continue
        for url in fill.get(route, [route]) if "{" in route else [route]:
            r = client.get(url)
            if r.status_code in (303, 307):
                redirects[route] = r.headers["location"]
                continue
            if r.status_code == 200 and r.headers["content-type"].startswith("text/html"):
                by_page[_page(r.text)].add(route)
    same = {k: v for k, v in by_page.items() if len(v) > 1}
    assert not same, f"one page under several addresses: {same}"
    assert len(by_page) >= 30
    # the home's aliases all lead to one page (the logged-in admin's dashboard)
    assert redirects["/"] == redirects["/console/"] == "/console/dashboard"
    assert client.get("/console").headers["location"] == "/console/dashboard"


def test_a_forms_address_opened_with_get_goes_to_its_page(office, as_role):
    client = as_role["officer"]
    for url, page in (("/console/cycle/register/confirm", "/console/cycle/register"),
                      ("/console/cycle/rounds", "/console/cycle"),
                      ("/console/process/meetings", "/console/process"),
                      ("/console/process/decisions", "/console/process"),
                      ("/console/review/accept", "/console/review")):
        r = client.get(url)
        assert (r.status_code, r.headers.get("location")) == (303, page), url
    r = client.get("/console/no-such-page")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "Không tìm thấy trang" in r.text and '"error"' not in r.text
    r = client.put("/console/review")
    assert r.status_code == 405 and r.headers["content-type"].startswith("text/html")
    # API addresses keep their JSON errors
    assert client.get("/api/v1/no-such").headers["content-type"].startswith("application/json")


def test_the_register_import_has_one_address(office, as_role):
    client = as_role["officer"]
    page = client.get("/console/cycle/register").text
    assert "/console/cycle/register/confirm" not in page
    csrf = csrf_of(client, "/console/cycle/register")
    # the confirm step posts the check's token to the import's address (the whole import is tested
    # in tests/cycle/test_cycle.py); an unknown token is said in words
    r = client.post("/console/cycle/register", data={"csrf_token": csrf, "token": "x" * 32})
    assert r.status_code == 404 and "Tệp đã tải lên không còn trên máy chủ" in r.text, r.text[:500]
    r = client.post("/console/cycle/register/confirm", data={"csrf_token": csrf, "token": "x" * 32})
    assert (r.status_code, r.headers["location"]) == (307, "/console/cycle/register")
