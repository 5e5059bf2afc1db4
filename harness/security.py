"""Security checks, in process (FastAPI TestClient on a copy of the demo ward, a clock the harness moves).

- ``ROUTES``: the access rule of EVERY route of the app. ``route_matrix()`` builds the list of routes from
  ``app.routes`` and calls each with every caller (anonymous, viewer, officer, admin, a device token, a
  partner body's account); a route missing from the table is a failure (add it here with its rule).
  A partner (issue 20) is admitted only by the programme routes in ``PARTNER_ALLOWED`` (and the public
  ones, logging out, ``/me``); every other route refuses it with 403.
- ``partner_scope``: partners on real data — a household outside every list, another body's entry and
  need, a household's answers — on every programme route (API and console) that takes an id.
- cross-group isolation of devices, revoked tokens, expired and ended sessions, hashed secrets in the
  database file, login lock-out (API and console), security headers on console pages, escaping of
  household text in the console.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from shared import wire

from .common import SECRET, households, now_utc, push_payload, submission, template_db

# Access rule of each route, by (METHOD, path):
#   public            anyone (no token)                         api: JSON API, bearer tokens
#   any               any token: a device or a ward user        console-*: HTML pages, session cookie
#   device            an enrolled device only
#   viewer/officer/admin           a ward user with at least that role
#   console-public    no login needed; console-user: any logged-in ward user
#   console-viewer/officer/admin   a logged-in ward user with at least that role
ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/openapi.json"): "public", ("GET", "/docs"): "public", ("GET", "/docs/oauth2-redirect"): "public",
    ("GET", "/redoc"): "public",
    ("GET", "/api/v1/health"): "public", ("POST", "/api/v1/login"): "public", ("POST", "/api/v1/enroll"): "public",
    ("POST", "/api/v1/logout"): "any", ("GET", "/api/v1/me"): "any",
    ("GET", "/api/v1/households/{household_id}"): "any",          # a device: only its own groups (checked below)
    ("POST", "/api/v1/sync/push"): "device", ("GET", "/api/v1/sync/pull"): "device",
    ("GET", "/api/v1/households"): "viewer", ("GET", "/api/v1/groups"): "viewer",
    ("GET", "/api/v1/collaborators"): "viewer",
    ("POST", "/api/v1/households/{household_id}/return"): "officer",
    ("GET", "/api/v1/users"): "admin", ("POST", "/api/v1/users"): "admin", ("POST", "/api/v1/collaborators"): "admin",
    ("PUT", "/api/v1/collaborators/{collaborator_id}/groups"): "admin",
    ("POST", "/api/v1/collaborators/{collaborator_id}/enrollment-codes"): "admin",
    ("GET", "/api/v1/devices"): "admin", ("POST", "/api/v1/devices/{device_id}/revoke"): "admin",
    ("GET", "/api/v1/audit"): "admin",
    # community process and reports
    ("GET", "/api/v1/process/standards"): "viewer", ("GET", "/api/v1/process/settings"): "viewer",
    ("PUT", "/api/v1/process/settings"): "officer", ("GET", "/api/v1/process/candidates"): "viewer",
    ("GET", "/api/v1/process/meetings"): "viewer", ("POST", "/api/v1/process/meetings"): "officer",
    ("GET", "/api/v1/process/meetings/{meeting_id}"): "viewer",
    ("POST", "/api/v1/process/meetings/{meeting_id}/votes"): "officer",
    ("GET", "/api/v1/process/postings"): "viewer", ("POST", "/api/v1/process/postings"): "officer",
    ("GET", "/api/v1/process/postings/{posting_id}"): "viewer",
    ("GET", "/api/v1/process/complaints"): "viewer", ("POST", "/api/v1/process/complaints"): "officer",
    ("POST", "/api/v1/process/complaints/{complaint_id}/outcome"): "officer",
    ("GET", "/api/v1/process/recognition/preview"): "viewer",
    ("GET", "/api/v1/process/decisions"): "viewer", ("POST", "/api/v1/process/decisions"): "officer",
    ("GET", "/api/v1/process/decisions/{decision_id}"): "viewer",
    ("GET", "/api/v1/process/decisions/{decision_id}/households"): "viewer",
    ("GET", "/api/v1/process/households/{household_id}/status-history"): "viewer",
    ("GET", "/api/v1/reports"): "viewer", ("GET", "/api/v1/reports/workbook.xlsx"): "viewer",
    ("GET", "/api/v1/reports/named_lists/rows"): "viewer", ("GET", "/api/v1/reports/{report_id}"): "viewer",
    ("GET", "/api/v1/reports/{report_id}/download"): "viewer",
    # dedup review
    ("GET", "/api/v1/dedup/queue"): "viewer", ("GET", "/api/v1/dedup/candidates/{candidate_id}"): "viewer",
    ("POST", "/api/v1/dedup/candidates/{candidate_id}/decision"): "officer",
    ("POST", "/api/v1/dedup/links/{link_id}/undo"): "officer",
    ("GET", "/api/v1/dedup/households/{household_id}"): "viewer",
    ("GET", "/api/v1/dedup/households/{household_id}/candidates"): "viewer",
    ("POST", "/api/v1/dedup/model/refit"): "admin", ("POST", "/api/v1/dedup/rerun"): "admin",
    # photo attachments (issue 9): a device uploads; reading a file: a device (its groups) or a ward user
    ("POST", "/api/v1/attachments/check"): "device", ("GET", "/api/v1/attachments/{sha256}/status"): "device",
    ("PUT", "/api/v1/attachments/{sha256}"): "device", ("GET", "/api/v1/attachments/{sha256}"): "any",
    ("GET", "/console/attachments/{sha256}"): "console-viewer",
    ("GET", "/console/attachments/{sha256}/thumb"): "console-viewer",
    # the annual cycle: rounds, register import, eligibility, targets, credit
    ("GET", "/api/v1/cycle/rounds"): "viewer", ("POST", "/api/v1/cycle/rounds"): "officer",
    ("GET", "/api/v1/cycle/rounds/{round_id}"): "viewer", ("POST", "/api/v1/cycle/rounds/{round_id}/close"): "officer",
    ("POST", "/api/v1/cycle/rounds/{round_id}/preload"): "officer",
    ("PUT", "/api/v1/cycle/rounds/{round_id}/standards"): "officer",
    ("POST", "/api/v1/cycle/low-income"): "officer", ("GET", "/api/v1/cycle/low-income"): "viewer",
    ("POST", "/api/v1/cycle/low-income/{request_id}/reidentify"): "officer",
    ("GET", "/console/cycle/low-income"): "console-viewer", ("POST", "/console/cycle/low-income"): "console-officer",
    ("POST", "/console/cycle/low-income/{request_id}/reidentify"): "console-officer",
    ("POST", "/console/cycle/rounds/{round_id}/standards"): "console-officer",
    ("POST", "/api/v1/cycle/register/import"): "officer",
    ("GET", "/api/v1/cycle/households/{household_id}"): "viewer",
    ("GET", "/api/v1/cycle/households/{household_id}/confirmations"): "viewer",
    ("GET", "/api/v1/cycle/transitions"): "viewer", ("GET", "/api/v1/cycle/eligibility"): "viewer",
    ("GET", "/api/v1/cycle/eligibility.xlsx"): "viewer", ("GET", "/api/v1/cycle/targets"): "viewer",
    ("POST", "/api/v1/cycle/credit"): "officer", ("POST", "/api/v1/cycle/credit/{record_id}/received"): "officer",
    ("GET", "/console/cycle"): "console-viewer", ("POST", "/console/cycle/rounds"): "console-officer",
    ("POST", "/console/cycle/rounds/{round_id}/close"): "console-officer",
    ("POST", "/console/cycle/rounds/{round_id}/preload"): "console-officer",
    ("GET", "/console/cycle/register"): "console-viewer", ("GET", "/console/cycle/register/template.xlsx"): "console-viewer", ("POST", "/console/cycle/register"): "console-officer",
    ("POST", "/console/cycle/register/confirm"): "console-officer",
    ("GET", "/console/cycle/eligibility"): "console-viewer", ("GET", "/console/cycle/eligibility.xlsx"): "console-viewer",
    ("GET", "/console/cycle/targets"): "console-viewer", ("POST", "/console/cycle/credit"): "console-officer",
    ("POST", "/console/cycle/targets"): "console-officer",
    # console
    ("GET", "/console/static/{name}"): "console-public", ("GET", "/console/"): "console-public",
    ("GET", "/console"): "console-public", ("GET", "/console/lang"): "console-public",
    ("GET", "/"): "console-public",
    ("GET", "/console/login"): "console-public", ("POST", "/console/login"): "console-public",
    ("POST", "/console/logout"): "console-user",
    ("GET", "/console/dashboard"): "console-viewer", ("GET", "/console/households"): "console-viewer",
    ("GET", "/console/households/{household_id}"): "console-viewer",
    ("POST", "/console/households/{household_id}/accept"): "console-officer",
    ("POST", "/console/households/{household_id}/return"): "console-officer",
    ("GET", "/console/review"): "console-viewer", ("POST", "/console/review/accept"): "console-officer", ("GET", "/console/conflicts/{submission_id}"): "console-viewer",
    ("POST", "/console/conflicts/{submission_id}/resolve"): "console-officer",
    ("GET", "/console/duplicates"): "console-viewer", ("GET", "/console/duplicates/{candidate_id}"): "console-viewer",
    ("POST", "/console/duplicates/{candidate_id}/decide"): "console-officer",
    ("POST", "/console/duplicates/links/{link_id}/undo"): "console-officer",
    ("GET", "/console/admin/users"): "console-admin", ("POST", "/console/admin/users"): "console-admin",
    ("POST", "/console/admin/users/{user_id}/active"): "console-admin",
    ("POST", "/console/admin/users/{user_id}/password"): "console-admin",
    ("GET", "/console/admin/collaborators"): "console-admin", ("POST", "/console/admin/collaborators"): "console-admin",
    ("POST", "/console/admin/collaborators/{collaborator_id}/groups"): "console-admin",
    ("POST", "/console/admin/collaborators/{collaborator_id}/active"): "console-admin",
    ("POST", "/console/admin/collaborators/{collaborator_id}/enroll"): "console-admin",
    ("GET", "/console/admin/groups"): "console-admin", ("POST", "/console/admin/groups"): "console-admin",
    ("POST", "/console/admin/groups/{group_id}/active"): "console-admin",
    ("GET", "/console/admin/devices"): "console-admin",
    ("POST", "/console/admin/devices/{device_id}/revoke"): "console-admin",
    ("GET", "/console/process/print.js"): "console-public",
    ("GET", "/console/process"): "console-viewer", ("POST", "/console/process/meetings"): "console-officer",
    ("GET", "/console/process/meetings/{meeting_id}"): "console-viewer",
    ("POST", "/console/process/meetings/{meeting_id}/votes"): "console-officer",
    ("GET", "/console/process/meetings/{meeting_id}/minutes"): "console-viewer",
    ("POST", "/console/process/postings"): "console-officer",
    ("GET", "/console/process/postings/{posting_id}"): "console-viewer",
    ("POST", "/console/process/complaints"): "console-officer",
    ("POST", "/console/process/complaints/{complaint_id}/outcome"): "console-officer",
    ("POST", "/console/process/decisions"): "console-officer",
    ("GET", "/console/process/decisions/{decision_id}"): "console-viewer",
    ("GET", "/console/process/decisions/{decision_id}/certificates/{household_id}"): "console-viewer",
    ("GET", "/console/process/decisions/{decision_id}/print"): "console-viewer",
    ("POST", "/console/process/settings"): "console-officer",
    ("GET", "/console/reports"): "console-viewer", ("GET", "/console/reports/download/{report_id}"): "console-viewer",
    ("GET", "/console/reports/workbook.xlsx"): "console-viewer",
    # the programme (issue 20): its partner accounts are a caller of their own, tested route by route and
    # body by body in tests/programme/test_access.py and test_console.py; here the ranked callers
    **{("GET", f"/api/v1/programme/{p}"): "viewer" for p in (
        "catalogue", "households", "households/{household_id}", "deliveries", "deliveries/{entry_id}", "needs", "fund",
        "fund/summary", "targets", "report", "report.xlsx")},
    **{("POST", f"/api/v1/programme/{p}"): "officer" for p in (
        "households/{household_id}/deliveries", "deliveries/{entry_id}/correct", "deliveries/{entry_id}/void",
        "households/{household_id}/needs", "needs/{need_id}/close", "needs/derive", "fund/campaigns",
        "fund/contributions", "fund/contributions/{entry_id}/correct", "fund/contributions/{entry_id}/void")},
    ("PUT", "/api/v1/programme/targets/{year}"): "officer",
    ("POST", "/api/v1/programme/evidence"): "officer", ("GET", "/api/v1/programme/evidence/{sha256}"): "viewer",
    ("POST", "/api/v1/programme/device/needs"): "device",
    ("GET", "/api/v1/programme/partners"): "admin", ("POST", "/api/v1/programme/partners"): "admin",
    **{("GET", f"/console/programme{p}"): "console-viewer" for p in (
        "", "/households", "/households/{household_id}", "/deliveries", "/needs", "/fund", "/fund/summary",
        "/targets", "/report", "/report.xlsx", "/evidence/{sha256}")},
    **{("POST", f"/console/programme{p}"): "console-officer" for p in (
        "/households/{household_id}/deliveries", "/households/{household_id}/needs", "/needs/{need_id}/close",
        "/deliveries/{entry_id}/correct", "/deliveries/{entry_id}/void", "/needs/derive", "/fund/campaigns",
        "/fund/contributions", "/fund/contributions/{entry_id}/void", "/targets")},
    ("GET", "/console/programme/partners"): "console-admin", ("POST", "/console/programme/partners"): "console-admin",
}
# What a partner account (the health station: a body that is neither the Fund's nor a residential group) may
# call; with an id that does not exist it then gets 404 like anyone. Every other route: 403.
PARTNER_ALLOWED: set[tuple[str, str]] = {
    ("POST", "/api/v1/logout"), ("GET", "/api/v1/me"),
    *(("GET", f"/api/v1/programme/{p}") for p in (
        "catalogue", "households", "households/{household_id}", "deliveries", "deliveries/{entry_id}", "needs",
        "fund/summary", "targets")),
    *(("POST", f"/api/v1/programme/{p}") for p in (
        "households/{household_id}/deliveries", "deliveries/{entry_id}/correct", "deliveries/{entry_id}/void",
        "households/{household_id}/needs", "needs/{need_id}/close", "evidence")),
    ("GET", "/api/v1/programme/evidence/{sha256}"),
    *(("GET", f"/console/programme{p}") for p in (
        "", "/households", "/households/{household_id}", "/deliveries", "/needs", "/fund/summary", "/targets",
        "/evidence/{sha256}")),
    *(("POST", f"/console/programme{p}") for p in (
        "/households/{household_id}/deliveries", "/households/{household_id}/needs", "/needs/{need_id}/close",
        "/deliveries/{entry_id}/correct", "/deliveries/{entry_id}/void")),
}
PARTNER_DENIALS = {"role_required", "user_only", "device_only", "outside_scope"}
PARTNER_BODY = "health_station"
CALLERS = ("anonymous", "viewer", "officer", "admin", "device", "partner")
RANK = {"viewer": 1, "officer": 2, "admin": 3}
DENIAL_CODES = {"auth_required", "invalid_token", "token_revoked", "session_expired", "device_only", "user_only",
                "role_required"}
UUID_PARAMS = {"household_id", "submission_id", "device_id"}


class Clock:
    def __init__(self) -> None:
        self.now = now_utc()

    def __call__(self) -> dt.datetime:
        return self.now


class Env:
    """An app on a fresh copy of the demo ward, a movable clock, a TestClient, token makers."""

    def __init__(self) -> None:
        from fastapi.testclient import TestClient

        from server.app import create_app
        from server.settings import Settings
        self.dir = Path(tempfile.mkdtemp(prefix="rasoat-security-"))
        self.db_path = self.dir / "rasoat.db"
        shutil.copyfile(template_db(), self.db_path)
        self.clock = Clock()
        self.app = create_app(Settings(db_path=str(self.db_path), secret=SECRET, public_url="http://testserver"),
                              clock=self.clock)
        self.db = self.app.state.db
        self.client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        self.secrets: list[str] = []       # every token/code/password handed out, to look for in the file

    def close(self) -> None:
        self.client.close()
        self.db.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def session(self, username: str) -> str:
        from server import auth
        uid = self.db.value("SELECT id FROM users WHERE username = ?", (username,))
        with self.db.write() as conn:
            token, _ = auth.start_session(conn, uid, self.clock(), 12)
        self.secrets.append(token)
        return token

    def partner(self, body: str = PARTNER_BODY, group: str | None = None) -> str:
        """A session of the partner account of ``body`` (made once per body)."""
        from server.programme import partners
        from server.programme.access import Scope
        username = f"p-{body}-{group or 'all'}".replace("_", "-").lower()
        if self.db.value("SELECT id FROM users WHERE username = ?", (username,)) is None:
            admin = self.db.value("SELECT id FROM users WHERE username = 'admin'")
            partners.create(self.db, Scope(admin, "admin", "admin", "admin"),
                            {"username": username, "full_name": f"Đơn vị {body}", "password": "partner-pass-" + body,
                             "body_id": body, "group_code": group}, self.clock())
        return self.session(username)

    def device(self, collaborator_id: int = 1, name: str = "Tab") -> str:
        from server.services import enrollment
        code = enrollment.create_code(self.db, collaborator_id, None, self.clock(), 1, "http://testserver",
                                      with_qr=False)
        self.secrets += [code["code"], code["code"].replace("-", "")]
        token = enrollment.enroll(self.db, code["code"], name, self.clock())["token"]
        self.secrets.append(token)
        return token

    def csrf_for(self, session_token: str) -> str:
        """The console's per-session CSRF token (console.web.csrf_token)."""
        from server import auth
        return hmac.new(SECRET.encode(), f"csrf:{auth.token_hash(session_token)}".encode(), hashlib.sha256).hexdigest()


def app_routes(app: Any) -> list[tuple[str, str]]:
    """Every (method, path) the app answers, HEAD left out (Starlette adds it to every GET)."""
    try:
        from fastapi.routing import iter_route_contexts
        contexts = list(iter_route_contexts(app.routes))
        items = [(ctx.methods or set(), ctx.path) for ctx in contexts]
    except ImportError:      # older FastAPI: a flat list
        items = [(getattr(r, "methods", None) or set(), r.path) for r in app.routes]
    out = set()
    for methods, path in items:
        for m in methods:
            if m != "HEAD":
                out.add((m, path))
    return sorted(out, key=lambda x: (x[1], x[0]))


def _fill(path: str) -> str:
    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name == "sha256":        # a well-formed hash, so the route's own rule answers (not the path's 422)
            return "0" * 64
        return str(uuid.UUID(int=7)) if name in UUID_PARAMS else "999999"
    return re.sub(r"\{([^}:]+)(:[^}]*)?\}", sub, path)


def allowed(rule: str, caller: str, method: str = "", path: str = "") -> bool:
    if rule in ("public", "console-public"):
        return True
    if caller == "partner":
        return rule == "console-user" or (method, path) in PARTNER_ALLOWED
    if rule == "any":
        return caller != "anonymous"
    if rule == "device":
        return caller == "device"
    if rule == "console-user":
        return caller in RANK
    need = rule.removeprefix("console-")
    return caller in RANK and RANK[caller] >= RANK[need]


def _call(env: Env, method: str, path: str, caller: str, console: bool) -> Any:
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    if caller == "device":
        headers["Authorization"] = f"Bearer {env.device(1, 'matrix')}"
    elif caller in RANK or caller == "partner":
        token = env.partner() if caller == "partner" else env.session(caller)
        if console:
            cookies["rasoat_session"] = token
            headers["X-CSRF-Token"] = env.csrf_for(token)
        else:
            headers["Authorization"] = f"Bearer {token}"
    kw: dict[str, Any] = {}
    if method in ("POST", "PUT", "PATCH"):
        if console:
            kw["data"] = {}
        else:
            kw["json"] = {}
    env.client.cookies.clear()
    for k, v in cookies.items():
        env.client.cookies.set(k, v)
    try:
        return env.client.request(method, _fill(path), headers=headers, **kw)
    finally:
        env.client.cookies.clear()


def check_outcome(rule: str, caller: str, r: Any, method: str = "", path: str = "") -> str | None:
    """None when the answer is what the table expects, else why not."""
    console = rule.startswith("console")
    status = r.status_code
    if status >= 500:
        return f"server error {status}"
    ok = allowed(rule, caller, method, path)
    if not console:
        code = None
        if r.headers.get("content-type", "").startswith("application/json") and status >= 400:
            try:
                code = r.json()["error"]["code"]
            except Exception:
                return f"{status} without the error envelope"
        if ok:
            return f"denied ({status} {code})" if code in DENIAL_CODES | PARTNER_DENIALS else None
        if caller == "partner":
            return None if status == 403 and code in PARTNER_DENIALS else f"expected 403, got {status} {code}"
        want = {"anonymous": (401, "auth_required"), "device": (403, "user_only")}.get(caller, None)
        if want is None:       # a ward user below the role, or on a device-only route
            want = (403, "device_only") if rule == "device" else (403, "role_required")
        return None if (status, code) == want else f"expected {want}, got {status} {code}"
    location = r.headers.get("location", "")
    # LoginRequired answers 303 to /console/login?next=…; logging out also lands on the login page (no next)
    to_login = status in (302, 303, 307) and location.startswith("/console/login?next=")
    if rule == "console-public":
        return None if status != 403 or (method_of(r) == "POST" and caller in ("anonymous", "device")) \
            else f"denied ({status})"      # a POST without the login form's CSRF cookie is refused: fine
    if ok:
        if to_login or status in (401, 403):
            return f"denied ({status} {location})"
        return None
    if caller in ("anonymous", "device"):
        return None if to_login else f"expected a redirect to the login page, got {status} {location}"
    return None if status == 403 else f"expected 403, got {status} {location}"


def method_of(r: Any) -> str:
    return r.request.method if getattr(r, "request", None) is not None else ""


def route_matrix(env: Env | None = None) -> dict[str, Any]:
    own = env is None
    env = env or Env()
    try:
        routes = app_routes(env.app)
        missing = [f"{m} {p}" for m, p in routes if (m, p) not in ROUTES]
        stale = [f"{m} {p}" for m, p in ROUTES if (m, p) not in routes]
        failures = []
        calls = 0
        for method, path in routes:
            rule = ROUTES.get((method, path))
            if rule is None:
                continue
            for caller in CALLERS:
                r = _call(env, method, path, caller, rule.startswith("console"))
                calls += 1
                why = check_outcome(rule, caller, r, method, path)
                if why:
                    failures.append(f"{caller:9} {method} {path}: {why}")
        return {"routes": len(routes), "calls": calls, "missing_from_table": missing, "stale_in_table": stale,
                "failures": failures}
    finally:
        if own:
            env.close()


# --- the other checks: each returns a list of failures (empty = pass) ------------------------------

def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _push(env: Env, token: str, subs: list[dict[str, Any]]) -> Any:
    return env.client.post("/api/v1/sync/push", content=push_payload(subs),
                           headers={"Content-Type": "application/json", "Content-Encoding": "gzip", **_bearer(token)})


def cross_group(env: Env) -> list[str]:
    fails = []
    kp01, kp02 = env.device(1, "KP01"), env.device(2, "KP02")
    mine = submission(households(1, "KP01", seed=901)[0])
    theirs = submission(households(1, "KP02", seed=902)[0])
    r = _push(env, kp02, [theirs]).json()["results"][0]
    if r["status"] != "accepted":
        fails.append(f"setup: KP02 push {r['status']}")
    _push(env, kp01, [mine])
    r = env.client.get(f"/api/v1/households/{theirs['household_id']}", headers=_bearer(kp01))
    if r.status_code != 403 or r.json()["error"]["code"] != "forbidden_group":
        fails.append(f"read another group's household: {r.status_code}")
    # write: answers naming the other group
    other = submission(households(1, "KP02", seed=903)[0])
    res = _push(env, kp01, [other]).json()["results"][0]
    if res["status"] != "rejected" or res["problems"][0]["code"] != "forbidden_group":
        fails.append(f"write a household of another group: {res['status']}")
    # write: another group's existing household_id under our own group's area
    sneaky = households(1, "KP01", seed=904)[0]
    sneaky["household_id"] = theirs["household_id"]
    res = _push(env, kp01, [submission(sneaky, base=1)]).json()["results"][0]
    if res["status"] != "rejected" or not any(p["code"] == "forbidden_group" for p in res["problems"]):
        fails.append(f"overwrite another group's household by id: {res['status']}")
    # pull: nothing of the other group, ever
    cursor, seen = 0, set()
    while True:
        body = env.client.get("/api/v1/sync/pull", params={"cursor": cursor}, headers=_bearer(kp01)).json()
        seen |= {c.get("household_id") for c in body["changes"] if c.get("household_id")}
        cursor = body["cursor"]
        if not body["more"]:
            break
    if theirs["household_id"] in seen:
        fails.append("pull delivered another group's household")
    if mine["household_id"] not in seen:
        fails.append("pull did not deliver the device's own household")
    n = env.db.value("SELECT server_revision FROM households WHERE household_id = ?", (theirs["household_id"],))
    if n != 1:
        fails.append("the other group's household was changed")
    return fails


def revoked_and_expired(env: Env) -> list[str]:
    fails = []
    admin = env.session("admin")
    dev = env.device(1, "to-revoke")
    did = env.client.get("/api/v1/me", headers=_bearer(dev)).json()["device_id"]
    env.client.post(f"/api/v1/devices/{did}/revoke", headers=_bearer(admin))
    for method, path in (("GET", "/api/v1/sync/pull"), ("GET", "/api/v1/me"), ("POST", "/api/v1/sync/push")):
        r = env.client.request(method, path, headers=_bearer(dev))
        if r.status_code != 401 or r.json()["error"]["code"] != "token_revoked":
            fails.append(f"revoked device {method} {path}: {r.status_code}")
    officer = env.session("officer")
    env.client.post("/api/v1/logout", headers=_bearer(officer))
    r = env.client.get("/api/v1/groups", headers=_bearer(officer))
    if r.status_code != 401 or r.json()["error"]["code"] != "session_expired":
        fails.append(f"ended session: {r.status_code}")
    viewer = env.session("viewer")
    env.client.cookies.set("rasoat_session", viewer)
    env.clock.now += dt.timedelta(hours=12, minutes=1)
    try:
        r = env.client.get("/api/v1/groups", headers=_bearer(viewer))
        if r.status_code != 401 or r.json()["error"]["code"] != "session_expired":
            fails.append(f"expired session (API): {r.status_code}")
        r = env.client.get("/console/dashboard")
        if r.status_code != 303 or not r.headers["location"].startswith("/console/login"):
            fails.append(f"expired session (console): {r.status_code}")
    finally:
        env.clock.now -= dt.timedelta(hours=12, minutes=1)
        env.client.cookies.clear()
    return fails


def secrets_hashed(env: Env) -> list[str]:
    """No token, enrollment code or password in clear anywhere in the database file (and its WAL)."""
    from server.demo import DEMO_USERS
    fails = []
    env.device(3, "hash-check")
    env.session("admin")
    r = env.client.post("/api/v1/login", json={"username": "officer", "password": "officer-demo-2025"})
    if r.status_code == 200:
        env.secrets.append(r.json()["token"])
    else:
        fails.append(f"login failed: {r.status_code}")
    passwords = [p for *_, p in DEMO_USERS]
    env.db.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    blob = b""
    for suffix in ("", "-wal"):
        p = Path(str(env.db_path) + suffix)
        if p.exists():
            blob += p.read_bytes()
    dump = "\n".join(env.db.conn.iterdump())
    for s in env.secrets + passwords:
        for variant in {s, s.removeprefix("rsd_").removeprefix("rss_")}:
            if variant.encode() in blob or variant in dump:
                fails.append(f"plaintext secret in the database: {variant[:6]}…")
    for (h,) in env.db.all("SELECT password_hash FROM users"):
        if not str(h).startswith("$argon2id$"):
            fails.append("a password is not an argon2id hash")
    for table, col in (("devices", "token_hash"), ("sessions", "token_hash"), ("enrollment_codes", "code_hash")):
        for (h,) in env.db.all(f"SELECT {col} FROM {table}"):
            if not re.fullmatch(r"[0-9a-f]{64}", str(h)):
                fails.append(f"{table}.{col} is not a SHA-256 hex")
    return fails


def login_rate_limit(env: Env) -> list[str]:
    fails = []
    for i in range(5):
        r = env.client.post("/api/v1/login", json={"username": "viewer", "password": f"wrong-{i}"})
        if r.status_code != 401:
            fails.append(f"wrong password {i}: {r.status_code}")
    r = env.client.post("/api/v1/login", json={"username": "viewer", "password": "viewer-demo-2025"})
    if r.status_code != 429 or r.json()["error"]["code"] != "login_locked":
        fails.append(f"API login not locked after 5 failures: {r.status_code}")
    # the console: the same username stays locked; a fresh username locks after 5 failures there too
    page = env.client.get("/console/login")
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if not m:
        return fails + ["no CSRF field on the login page"]
    for i in range(5):
        env.client.post("/console/login", data={"username": "officer", "password": f"nope-{i}", "csrf_token": m.group(1)})
    r = env.client.post("/console/login", data={"username": "officer", "password": "officer-demo-2025",
                                                "csrf_token": m.group(1)})
    if r.status_code != 429:
        fails.append(f"console login not locked after 5 failures: {r.status_code}")
    r = env.client.post("/api/v1/login", json={"username": "officer", "password": "officer-demo-2025"})
    if r.status_code != 429:
        fails.append(f"API login not locked after console failures: {r.status_code}")
    env.clock.now += dt.timedelta(minutes=16)
    try:
        r = env.client.post("/api/v1/login", json={"username": "viewer", "password": "viewer-demo-2025"})
        if r.status_code != 200:
            fails.append(f"still locked after the window: {r.status_code}")
    finally:
        env.clock.now -= dt.timedelta(minutes=16)
        env.client.cookies.clear()
    return fails


def console_headers(env: Env) -> list[str]:
    fails = []
    token = env.session("admin")
    pages = [("anonymous", "/console/login"), ("anonymous", "/console/"), ("anonymous", "/console/dashboard"),
             ("anonymous", "/console/static/nope.css"), ("admin", "/console/dashboard"),
             ("admin", "/console/households"), ("admin", "/console/admin/users"), ("admin", "/console/nope")]
    for who, path in pages:
        env.client.cookies.clear()
        if who == "admin":
            env.client.cookies.set("rasoat_session", token)
        r = env.client.get(path)
        h = {k.lower(): v for k, v in r.headers.items()}
        csp = h.get("content-security-policy", "")
        problems = []
        if h.get("x-content-type-options") != "nosniff":
            problems.append("nosniff")
        if h.get("x-frame-options", "").upper() != "DENY" and "frame-ancestors 'none'" not in csp:
            problems.append("frame denial")
        if not h.get("referrer-policy"):
            problems.append("Referrer-Policy")
        if "default-src 'self'" not in csp or "frame-ancestors 'none'" not in csp:
            problems.append("CSP")
        if "://" in csp or re.search(r"(^|\s)\*(\s|;|$)", csp) or "unsafe-eval" in csp:
            problems.append("CSP allows an external source")
        if problems:
            fails.append(f"{path} ({who}, {r.status_code}): " + ", ".join(problems))
    env.client.cookies.clear()
    r = env.client.get("/api/v1/health")
    if r.headers.get("x-content-type-options") != "nosniff":
        fails.append("API without nosniff")
    return fails


XSS = ['<script>alert("rasoat")</script>', '"><img src=x onerror=alert(1)>', "</textarea><svg onload=alert(2)>"]


def console_escapes(env: Env) -> list[str]:
    fails = []
    dev = env.device(1, "xss")
    doc = households(1, "KP01", seed=905)[0]
    doc["members"][0]["full_name"] = "Nguyễn " + XSS[0] + " Văn"
    doc["address"]["street"] = XSS[1]
    doc["notes"] = XSS[2]
    res = _push(env, dev, [submission(doc)]).json()["results"][0]
    if res["status"] != "accepted":
        return [f"setup: push {res['status']} {res.get('problems')}"]
    env.client.cookies.set("rasoat_session", env.session("admin"))
    try:
        for path in ("/console/households", f"/console/households/{doc['household_id']}", "/console/review",
                     "/console/dashboard", f"/console/households?q={XSS[0]}"):
            html = env.client.get(path).text
            for payload in XSS:
                if payload in html:
                    fails.append(f"{path}: unescaped {payload[:20]}")
        html = env.client.get(f"/console/households/{doc['household_id']}").text
        if "&lt;script&gt;" not in html and "&lt;script" not in html:
            fails.append("the household page does not show the (escaped) name")
    finally:
        env.client.cookies.clear()
    return fails


def _partner_world(env: Env) -> dict[str, Any]:
    """Two KP01 households pushed by a tablet: ``listed`` poor since 2023 (on every list), ``outside`` on
    none; the office records a housing delivery (the Fatherland Front's type) and a housing need for
    ``listed``, and a health-insurance card (the health station's) for its head."""
    from server.history import status_history
    dev = env.device(1, "partner-world")
    listed, outside = households(2, "KP01", seed=907)
    for doc in (listed, outside):
        res = _push(env, dev, [submission(doc)]).json()["results"][0]
        if res["status"] != "accepted":
            raise AssertionError(f"setup: push {res['status']} {res.get('problems')}")
    with env.db.write() as conn:
        status_history.record(conn, listed["household_id"], "vn-national-2022-2025", "poor", "2023-12-20",
                              source="register", now="harness", round_=2023)
    officer = _bearer(env.session("officer"))
    day = (env.clock().date() - dt.timedelta(days=10)).isoformat()
    base = f"/api/v1/programme/households/{listed['household_id']}"
    front = env.client.post(base + "/deliveries", headers=officer, json={
        "support_type": "housing", "delivered_on": day, "quantity": 1, "amount_vnd": 20_000_000, "fund": "socialised"})
    need = env.client.post(base + "/needs", headers=officer, json={"need_type": "housing"})
    head = listed["members"][0]["member_id"]
    card = env.client.post(base + "/deliveries", headers=officer, json={
        "support_type": "health_insurance_card", "delivered_on": day, "quantity": 1, "fund": "state_budget",
        "member_id": head})
    for what, r in (("housing delivery", front), ("housing need", need), ("health card", card)):
        if r.status_code != 201:
            raise AssertionError(f"setup: {what} {r.status_code} {r.text[:300]}")
    return {"listed": listed, "outside": outside, "front_entry": front.json()["id"], "front_need": need.json()["id"],
            "card": card.json()["id"], "head": head, "day": day}


def _answer_values(doc: dict[str, Any]) -> set[str]:
    """Values of a household's answers that only the office may read (not its head, address, names)."""
    out: set[str] = set()
    for k in ("phone", "notes"):
        if doc.get(k):
            out.add(str(doc[k]))
    for m in doc.get("members") or ():
        for k in ("id_number", "national_id", "citizen_id", "cmnd", "phone"):
            if m.get(k):
                out.add(str(m[k]))
    return {v for v in out if len(v) >= 6}


def partner_scope(env: Env) -> list[str]:
    """A partner of another body, and a partner facing a household outside eligibility, on every programme
    route that takes an id (API and console): refused (403) or answered as if absent (404), never served;
    and nothing of a household's answers in anything a partner reads."""
    fails: list[str] = []
    w = _partner_world(env)
    listed, outside = w["listed"]["household_id"], w["outside"]["household_id"]
    hs = env.partner("health_station")
    hs_h = _bearer(hs)
    front_p = _bearer(env.partner("fatherland_front"))
    card = {"support_type": "health_insurance_card", "delivered_on": w["day"], "quantity": 1, "fund": "state_budget",
            "member_id": w["head"]}
    api = "/api/v1/programme"
    # the front's own delivery with its evidence photo (stored through the API)
    import io

    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (90, 10, 10)).save(buf, "JPEG")
    up = env.client.post(f"{api}/evidence", content=buf.getvalue(), headers={**front_p, "Content-Type": "image/jpeg"})
    if up.status_code != 201:
        return [f"setup: evidence upload {up.status_code} {up.text[:200]}"]
    photo = up.json()["sha256"]
    fd = env.client.post(f"{api}/households/{listed}/deliveries", headers=front_p, json={
        "support_type": "housing", "delivered_on": w["day"], "quantity": 1, "amount_vnd": 5_000_000,
        "fund": "socialised", "evidence_sha256": photo})
    if fd.status_code != 201:
        return [f"setup: the front's delivery {fd.status_code} {fd.text[:200]}"]
    # (who, method, path, body, statuses that are right)
    cases: list[tuple[str, str, str, Any, set[int]]] = [
        # the health station: a household outside every list is as if unknown; another body's entry/need too
        ("health", "GET", f"{api}/households/{outside}", None, {404}),
        ("health", "POST", f"{api}/households/{outside}/deliveries", card, {404}),
        ("health", "POST", f"{api}/households/{outside}/needs", {"need_type": "health_insurance"}, {404}),
        ("health", "GET", f"{api}/deliveries/{w['front_entry']}", None, {404}),
        ("health", "POST", f"{api}/deliveries/{w['front_entry']}/correct", {"quantity": 2, "reason": "x"}, {404}),
        ("health", "POST", f"{api}/deliveries/{w['front_entry']}/void", {"reason": "x"}, {404}),
        ("health", "POST", f"{api}/needs/{w['front_need']}/close", {"reason": "declined"}, {404}),
        # another body's type and need type for a household it does serve
        ("health", "POST", f"{api}/households/{listed}/deliveries", {**card, "support_type": "housing",
                                                                     "amount_vnd": 1_000_000, "member_id": None,
                                                                     "fund": "socialised"}, {403}),
        ("health", "POST", f"{api}/households/{listed}/needs", {"need_type": "housing"}, {403}),
        ("health", "GET", f"{api}/fund", None, {403}),
        ("health", "GET", f"{api}/report", None, {403}),
        ("health", "GET", f"{api}/report.xlsx", None, {403}),
        ("health", "POST", f"{api}/fund/campaigns", {"name": "x", "starts_on": w["day"]}, {403}),
        ("health", "GET", f"{api}/evidence/{photo}", None, {404}),           # another body's evidence photo
        ("health", "POST", f"{api}/households/{listed}/deliveries", {**card, "evidence_sha256": photo}, {404}),
        # the office's own routes with the household's answers
        ("health", "GET", f"/api/v1/households/{listed}", None, {403}),
        ("health", "GET", f"/api/v1/cycle/households/{listed}", None, {403}),
        ("health", "GET", f"/api/v1/process/households/{listed}/status-history", None, {403}),
        ("health", "GET", f"/api/v1/dedup/households/{listed}", None, {403}),
        # the Fatherland Front: the health station's card is not its to see, correct or void
        ("front", "GET", f"{api}/deliveries/{w['card']}", None, {404}),
        ("front", "POST", f"{api}/deliveries/{w['card']}/correct", {"quantity": 2, "reason": "x"}, {404}),
        ("front", "POST", f"{api}/deliveries/{w['card']}/void", {"reason": "x"}, {404}),
        ("front", "POST", f"{api}/households/{listed}/deliveries", card, {403}),
        ("front", "GET", f"{api}/households/{outside}", None, {404}),
    ]
    who_h = {"health": hs_h, "front": front_p}
    for who, method, path, body, want in cases:
        r = env.client.request(method, path, headers=who_h[who], json=body)
        if r.status_code not in want:
            fails.append(f"{who} {method} {path}: expected {sorted(want)}, got {r.status_code} {r.text[:200]}")
    # the console: the same refusals as pages
    console = [("health", "GET", f"/console/programme/households/{outside}", {404}),
               ("health", "POST", f"/console/programme/deliveries/{w['front_entry']}/void", {404}),
               ("health", "POST", f"/console/programme/deliveries/{w['front_entry']}/correct", {404}),
               ("health", "POST", f"/console/programme/needs/{w['front_need']}/close", {404}),
               ("health", "POST", f"/console/programme/households/{outside}/deliveries", {404}),
               ("health", "POST", f"/console/programme/households/{outside}/needs", {404}),
               ("health", "GET", "/console/programme/fund", {403}),
               ("health", "GET", "/console/programme/report", {403}),
               ("health", "GET", "/console/programme/report.xlsx", {403}),
               ("health", "GET", f"/console/households/{listed}", {403}),
               ("health", "GET", f"/console/programme/evidence/{photo}", {404}),
               ("front", "POST", f"/console/programme/deliveries/{w['card']}/void", {404})]
    tokens = {"health": hs, "front": front_p["Authorization"].removeprefix("Bearer ")}
    for who, method, path, want in console:
        env.client.cookies.clear()
        env.client.cookies.set("rasoat_session", tokens[who])
        data = {"csrf_token": env.csrf_for(tokens[who]), "reason": "x", "quantity": "2",
                "support_type": "health_insurance_card", "delivered_on": w["day"], "fund": "state_budget",
                "need_type": "health_insurance", "member_id": w["head"]}
        r = env.client.request(method, path, data=data if method == "POST" else None,
                               headers={"X-CSRF-Token": env.csrf_for(tokens[who])})
        if r.status_code not in want:
            fails.append(f"console {who} {method} {path}: expected {sorted(want)}, got {r.status_code}")
    env.client.cookies.clear()
    # what the health station reads: its own card, never the front's delivery, never an answer
    secret = _answer_values(w["listed"]) | _answer_values(w["outside"])
    if not secret:
        fails.append("setup: the synthetic households carry no phone or ID number to look for")
    reads = [f"{api}/households", f"{api}/households/{listed}", f"{api}/deliveries", f"{api}/needs?status=all",
             f"{api}/targets", f"{api}/fund/summary", f"{api}/catalogue"]
    seen = ""
    for path in reads:
        r = env.client.get(path, headers=hs_h)
        if r.status_code != 200:
            fails.append(f"health GET {path}: {r.status_code}")
        seen += r.text
    env.client.cookies.set("rasoat_session", hs)
    for path in ("/console/programme", "/console/programme/households", f"/console/programme/households/{listed}",
                 "/console/programme/deliveries", "/console/programme/needs?status=all", "/console/programme/targets"):
        r = env.client.get(path)
        if r.status_code != 200:
            fails.append(f"console health GET {path}: {r.status_code}")
        seen += r.text
    env.client.cookies.clear()
    for v in secret:
        if v in seen:
            fails.append(f"a partner read a value of the household's answers: {v[:4]}…")
    view = env.client.get(f"{api}/households/{listed}", headers=hs_h).json()
    if [e["id"] for e in view.get("history", [])] != [w["card"]]:
        fails.append(f"health station's history of the household: {[e['id'] for e in view.get('history', [])]}")
    if set(view.get("household", {})) - {"household_id", "group_id", "group_code", "group_name", "head_name", "address"}:
        fails.append(f"household fields shown to a partner: {sorted(view['household'])}")
    if outside in env.client.get(f"{api}/households", headers=hs_h).text:
        fails.append("the household outside every list is in the health station's list")
    return fails


CHECKS = {"cross_group": cross_group, "revoked_and_expired": revoked_and_expired, "secrets_hashed": secrets_hashed,
          "login_rate_limit": login_rate_limit, "console_headers": console_headers,
          "console_escapes": console_escapes, "partner_scope": partner_scope}


def run_all() -> dict[str, Any]:
    out: dict[str, Any] = {}
    env = Env()
    try:
        out["route_matrix"] = route_matrix(env)
    finally:
        env.close()
    for name, fn in CHECKS.items():
        env = Env()
        try:
            out[name] = fn(env)
        finally:
            env.close()
    return out
