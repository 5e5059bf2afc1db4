"""Settings, backup/restore, the CLI commands, the decision table, docs kept in step."""
from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path

import pytest

from server import cli
from server.app import create_app
from server.backup import backup_database
from server.services.ingest import decide
from server.settings import DEMO_SECRET, SETTINGS, Settings, SettingsError, setting_names

from .helpers import households, push, submission

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_in_the_table_and_documented():
    assert [s.name for s in SETTINGS] == setting_names()
    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for s in SETTINGS:
        assert f"`{s.name}`" in doc and f"RASOAT_{s.name.upper()}" in doc, s.name


@pytest.mark.parametrize("kw, fragment", [
    ({"secret": ""}, "secret is empty"),
    ({"secret": DEMO_SECRET}, "demo secret is refused"),
    ({"secret": "short"}, "at least 16"),
    ({"port": 0}, "port"),
    ({"max_push_submissions": 1000}, "max_push_submissions"),
])
def test_unfit_settings_refuse_to_start(tmp_path, kw, fragment):
    settings = Settings(**{"db_path": str(tmp_path / "x.db"), "secret": "s" * 20, **kw})
    with pytest.raises(SettingsError, match=fragment):
        create_app(settings)


def test_demo_mode_allows_the_demo_secret(tmp_path):
    app = create_app(Settings(db_path=str(tmp_path / "x.db"), demo=True))
    assert app.state.settings.secret == DEMO_SECRET
    app.state.db.close()


def test_settings_from_environment(tmp_path):
    s = Settings.load({"port": "9000"}, {"RASOAT_DATA_DIR": str(tmp_path), "RASOAT_DEMO": "yes",
                                         "RASOAT_PORT": "8001"}).resolved()
    assert (s.port, s.demo, s.db_path) == (9000, True, str(tmp_path / "rasoat.db"))
    with pytest.raises(SettingsError):
        Settings.load({}, {"RASOAT_PORT": "eighty"})


def test_two_apps_do_not_share_state(tmp_path):
    a = create_app(Settings(db_path=str(tmp_path / "a.db"), secret="s" * 20))
    b = create_app(Settings(db_path=str(tmp_path / "b.db"), secret="s" * 20))
    assert a.state.db is not b.state.db and a.state.db.path != b.state.db.path
    a.state.db.close(), b.state.db.close()


@pytest.mark.parametrize("current, base, outcome", [
    (None, None, ("accepted", 1, None)),
    (None, 3, ("conflict", None, "unknown_base")),
    (2, 2, ("accepted", 3, None)),
    (2, 1, ("conflict", None, "stale_base")),
    (2, None, ("conflict", None, "stale_base")),
    (2, 5, ("conflict", None, "unknown_base")),
])
def test_decision_table(current, base, outcome):
    d = decide(current, base)
    assert (d.status, d.server_revision, d.conflict_reason) == outcome


def test_backup_while_devices_push_then_restore(client, app, device, db, db_path, tmp_path):
    batches = [[submission(d) for d in households(10, seed=900 + i)] for i in range(6)]
    push(client, device, batches[0])
    stop = threading.Event()

    def writer():
        for b in batches[1:]:
            push(client, device, b)
        stop.set()

    t = threading.Thread(target=writer)
    t.start()
    copies = []
    while not stop.is_set():
        copies.append(backup_database(db_path, tmp_path / f"b{len(copies)}.db"))
    t.join()
    copies.append(backup_database(db_path, tmp_path / "final.db"))
    for c in copies:
        conn = sqlite3.connect(c["path"])
        # consistent: every household points at a stored submission, counts in step
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        orphans = conn.execute("SELECT COUNT(*) FROM households h LEFT JOIN submissions s "
                               "ON s.submission_id = h.submission_id WHERE s.seq IS NULL").fetchone()[0]
        assert orphans == 0
        assert conn.execute("SELECT COUNT(*) FROM households").fetchone()[0] % 10 == 0
        conn.close()
    assert copies[-1]["counts"]["households"] == 60
    # restore: the backup file becomes the database of a new server
    restored = tmp_path / "restored" / "rasoat.db"
    restored.parent.mkdir()
    restored.write_bytes(Path(copies[-1]["path"]).read_bytes())
    app2 = create_app(Settings(db_path=str(restored), secret="s" * 20))
    assert app2.state.db.value("SELECT COUNT(*) FROM submissions") == 60
    app2.state.db.close()


def test_cli_seed_demo_enroll_code_backup(tmp_path, capsys):
    db = str(tmp_path / "d.db")
    assert cli.main(["seed-demo", "--db", db, "--households", "12"]) == 0
    out = capsys.readouterr()
    assert "admin-demo-2025" in out.err and '"accepted": 12' in out.out
    assert cli.main(["seed-demo", "--db", db]) == 0            # second time: nothing happens
    qr = tmp_path / "qr.png"
    assert cli.main(["enroll-code", "1", "--db", db, "--qr", str(qr), "--public-url", "http://10.0.0.2:8000"]) == 0
    out = capsys.readouterr().out
    assert re.search(r'"code": "[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}"', out) and qr.read_bytes()[:4] == b"\x89PNG"
    assert "rasoat://enroll?server=http%3A%2F%2F10.0.0.2%3A8000&code=" in out
    assert cli.main(["enroll-code", "99", "--db", db]) == 2
    assert cli.main(["backup", "--db", db, str(tmp_path / "bk.db")]) == 0
    count = "SELECT COUNT(*) FROM households"
    seeded = sqlite3.connect(db).execute(count).fetchone()[0]
    assert seeded >= 12                        # the 12 asked for, plus the demo's own walk-in work
    assert sqlite3.connect(tmp_path / "bk.db").execute(count).fetchone()[0] == seeded
    assert cli.main(["backup", "--db", str(tmp_path / "missing.db"), str(tmp_path / "x.db")]) == 1


def test_cli_serve_refuses_the_demo_secret_outside_demo(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RASOAT_SECRET", DEMO_SECRET)
    assert cli.main(["serve", "--db", str(tmp_path / "x.db")]) == 2
    assert "demo secret" in capsys.readouterr().err
