"""The admin pages' forms: what each one writes (users, sessions, collaborators, groups, the audit
log) and how each refusal looks (the console's error page, nothing written)."""
from __future__ import annotations

from .conftest import client_as, csrf_of, session_for


def post(client, url, **data):
    return client.post(url, data={**data, "csrf_token": csrf_of(client)})


def uid(app, username):
    return app.state.db.value("SELECT id FROM users WHERE username = ?", (username,))


def live_sessions(app, username):
    return app.state.db.value("SELECT COUNT(*) FROM sessions WHERE user_id = ? AND revoked_at IS NULL",
                              (uid(app, username),))


def audited(app, action):
    return app.state.db.value("SELECT COUNT(*) FROM audit_log WHERE action = ?", (action,))


def test_deactivating_a_user_ends_their_sessions_and_an_admin_cannot_deactivate_themselves(app, world):
    admin = client_as(app, "admin")
    session_for(app, "viewer")
    assert live_sessions(app, "viewer") >= 1
    r = post(admin, f"/console/admin/users/{uid(app, 'viewer')}/active", active="0")
    assert r.status_code == 303 and r.headers["location"] == "/console/admin/users"
    assert app.state.db.value("SELECT active FROM users WHERE username = 'viewer'") == 0
    assert live_sessions(app, "viewer") == 0 and audited(app, "user.deactivate") == 1
    r = post(admin, f"/console/admin/users/{uid(app, 'viewer')}/active", active="1")
    assert r.status_code == 303 and audited(app, "user.activate") == 1
    assert app.state.db.value("SELECT active FROM users WHERE username = 'viewer'") == 1
    r = post(admin, f"/console/admin/users/{uid(app, 'admin')}/active", active="0")
    assert r.status_code == 409 and "<html" in r.text.lower()
    assert post(admin, "/console/admin/users/99999/active", active="0").status_code == 404
    assert audited(app, "user.deactivate") == 1


def test_a_password_reset_ends_the_users_other_sessions_but_not_the_admins_own(app, world):
    admin = client_as(app, "admin")
    session_for(app, "officer")
    before = app.state.db.value("SELECT password_hash FROM users WHERE username = 'officer'")
    r = post(admin, f"/console/admin/users/{uid(app, 'officer')}/password", password="mat-khau-moi-2026")
    assert r.status_code == 303
    assert app.state.db.value("SELECT password_hash FROM users WHERE username = 'officer'") != before
    assert live_sessions(app, "officer") == 0 and audited(app, "user.password_reset") == 1
    r = post(admin, f"/console/admin/users/{uid(app, 'admin')}/password", password="mat-khau-moi-2026")
    assert r.status_code == 303 and live_sessions(app, "admin") >= 1
    assert admin.get("/console/admin/users").status_code == 200       # still logged in
    assert post(admin, f"/console/admin/users/{uid(app, 'officer')}/password", password="ngan").status_code == 422
    assert post(admin, "/console/admin/users/99999/password", password="mat-khau-moi-2026").status_code == 404
    assert audited(app, "user.password_reset") == 2


def test_a_collaborator_is_deactivated_and_an_unknown_one_is_404(app, world):
    admin = client_as(app, "admin")
    r = post(admin, "/console/admin/collaborators/1/active", active="0")
    assert r.status_code == 303 and r.headers["location"] == "/console/admin/collaborators"
    assert app.state.db.value("SELECT active FROM collaborators WHERE id = 1") == 0
    assert audited(app, "collaborator.deactivate") == 1
    assert post(admin, "/console/admin/collaborators/99999/active", active="1").status_code == 404
    assert audited(app, "collaborator.activate") == 0


def test_groups_are_created_once_per_code_and_switched_off(app, world):
    admin = client_as(app, "admin")
    ward = app.state.db.value("SELECT id FROM wards ORDER BY id LIMIT 1")
    r = post(admin, "/console/admin/groups", ward_id=str(ward), code="KP99", name="Khu phố 99")
    assert r.status_code == 303 and r.headers["location"] == "/console/admin/groups"
    gid = app.state.db.value("SELECT id FROM area_groups WHERE code = 'KP99'")
    assert gid and audited(app, "group.create") == 1
    assert post(admin, "/console/admin/groups", ward_id=str(ward), code="KP99", name="Lần hai").status_code == 409
    assert post(admin, "/console/admin/groups", ward_id="99999", code="KP98", name="Khu phố 98").status_code == 422
    assert app.state.db.value("SELECT COUNT(*) FROM area_groups WHERE code IN ('KP98', 'KP99')") == 1
    r = post(admin, f"/console/admin/groups/{gid}/active", active="0")
    assert r.status_code == 303 and app.state.db.value("SELECT active FROM area_groups WHERE id = ?", (gid,)) == 0
    assert audited(app, "group.deactivate") == 1
    assert post(admin, "/console/admin/groups/99999/active", active="1").status_code == 404
    assert audited(app, "group.create") == 1 and audited(app, "group.activate") == 0
