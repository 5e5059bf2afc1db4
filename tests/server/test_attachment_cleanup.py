"""Abandoned partial uploads (issue 9): removed after ``attachment_partial_max_age_days`` without a
chunk (row and bytes), fresh ones kept, a cleanup never corrupts an upload it races, and a tablet
whose upload was cleaned starts again from 0 and completes with the right hash."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import threading
import time

import requests

from mobile.sync import SyncClient, upload_file
from server import cli
from server.services.attachments import clean_partial, file_path, root_dir

from .helpers import NOW

DAYS = dt.timedelta(days=7)


def blob(seed: int, n: int = 200_000) -> bytes:
    """``n`` bytes that open as a JPEG (uploads must be images): a small real one, then filler."""
    import io

    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (seed % 256, 0, 0)).save(out, "JPEG")
    head = out.getvalue()
    return head + (hashlib.sha256(str(seed).encode()).digest() * (n // 32 + 1))[:n - len(head)]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(client, token, data, offset, size):
    part = data[offset:offset + size]
    return client.put(f"/api/v1/attachments/{sha(data)}", content=part,
                      headers={"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg",
                               "Content-Range": f"bytes {offset}-{offset + len(part) - 1}/{len(data)}"})


def status(client, token, data):
    return client.get(f"/api/v1/attachments/{sha(data)}/status", headers={"Authorization": f"Bearer {token}"}).json()


def partials(root):
    d = root / "partial"
    return sorted(p.name for p in d.iterdir()) if d.is_dir() else []


def test_stale_partial_upload_is_removed_and_a_fresh_one_kept(client, device, db, settings, clock, caplog):
    root = root_dir(settings.resolved().data_dir)
    stale, fresh = blob(1), blob(2)
    assert put(client, device, stale, 0, 50_000).json()["received"] == 50_000
    clock.advance(days=6)
    assert put(client, device, fresh, 0, 70_000).json()["received"] == 70_000
    assert len(partials(root)) == 2 and db.value("SELECT COUNT(*) FROM attachment_uploads") == 2
    # A rowless partial file (a crash between writing a first chunk and its commit), old and new.
    orphan_old, orphan_new = root / "partial" / (sha(blob(3)) + ".x"), root / "partial" / (sha(blob(4)) + ".x")
    orphan_old.write_bytes(b"o" * 1000)
    orphan_new.write_bytes(b"n" * 10)
    old = (clock() - dt.timedelta(days=9)).timestamp()
    os.utime(orphan_old, (old, old))
    os.utime(orphan_new, (clock().timestamp(), clock().timestamp()))

    clock.advance(days=2)                               # stale: 8 days without a chunk; fresh: 2 days
    with caplog.at_level(logging.INFO, logger="rasoat.attachments"):
        out = clean_partial(db, root, DAYS, clock())
    assert out == {"uploads": 1, "orphan_files": 1, "bytes": 51_000}
    assert "removed 1 abandoned uploads and 1 orphan partial files (51000 bytes)" in caplog.text
    assert sorted(partials(root)) == sorted([f"{sha(fresh)}.{db.value('SELECT device_id FROM attachment_uploads')}",
                                             orphan_new.name])
    assert [r[0] for r in db.all("SELECT sha256 FROM attachment_uploads")] == [sha(fresh)]
    assert status(client, device, stale) == {"protocol": 1, "sha256": sha(stale), "size": None, "received": 0,
                                             "complete": False}
    # The fresh one is untouched and completes from where it was.
    assert status(client, device, fresh)["received"] == 70_000
    done = put(client, device, fresh, 70_000, len(fresh) - 70_000).json()
    assert done["complete"] and done["stored"]
    assert file_path(root, sha(fresh)).read_bytes() == fresh
    # Nothing left to clean: a second run removes nothing and stored files are never touched.
    assert clean_partial(db, root, dt.timedelta(0), clock() + dt.timedelta(days=365)) == \
        {"uploads": 0, "orphan_files": 1, "bytes": 10}
    assert file_path(root, sha(fresh)).exists()


def test_resumed_upload_after_cleanup_restarts_from_zero_and_completes(live, app, device, db, settings, clock):
    """The tablet asked where to resume (half), the cleanup ran, then its chunk at the half is refused
    (offset_mismatch, received 0): it starts again from 0 and the stored file has the right hash."""
    root = root_dir(settings.resolved().data_dir)
    data = blob(5, 300_000)
    chunk = 64 * 1024

    class CutAtHalf(requests.Session):
        sent = 0

        def request(self, method, url, data=None, **kw):
            if method == "PUT" and CutAtHalf.sent >= 2 * chunk:
                raise requests.exceptions.ConnectionError("link dropped (test)")
            if method == "PUT":
                CutAtHalf.sent += len(data)
            return super().request(method, url, data=data, **kw)

    try:
        upload_file(SyncClient(live.url, device, CutAtHalf()), sha(data), data, chunk_size=chunk)
    except Exception as exc:            # the cut
        assert getattr(exc, "code", None) == "offline"
    assert db.value("SELECT received FROM attachment_uploads") == 2 * chunk

    class CleanAfterStatus(requests.Session):
        puts = []

        def request(self, method, url, data=None, **kw):
            resp = super().request(method, url, data=data, **kw)
            if method == "GET" and url.endswith("/status"):
                assert resp.json()["received"] == 2 * chunk          # it will resume at the half...
                clean_partial(db, root, DAYS, clock() + dt.timedelta(days=8))   # ...but the upload is cleaned
            if method == "PUT":
                CleanAfterStatus.puts.append((kw["headers"]["Content-Range"], resp.status_code))
            return resp

    s = CleanAfterStatus()
    sent = upload_file(SyncClient(live.url, device, s), sha(data), data, chunk_size=chunk)
    assert s.puts[0] == (f"bytes {2 * chunk}-{3 * chunk - 1}/{len(data)}", 409)     # offset_mismatch
    assert s.puts[1] == (f"bytes 0-{chunk - 1}/{len(data)}", 200)                   # from 0
    assert all(code == 200 for _, code in s.puts[1:])
    assert len(s.puts) == 1 + -(-len(data) // chunk)     # the refused chunk, then the whole file again
    assert sent == len(data)                             # (upload_file does not count a refused offset)
    stored = file_path(root, sha(data))
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == sha(data)
    assert db.value("SELECT size FROM attachments WHERE sha256 = ?", (sha(data),)) == len(data)
    assert partials(root) == [] and db.value("SELECT COUNT(*) FROM attachment_uploads") == 0


def test_cleanup_racing_uploads_never_corrupts_them(client, device, db, settings, clock):
    """Cleanups that consider every upload stale run continuously while files are uploaded chunk by
    chunk: uploads may have to restart, but no chunk is ever counted without its bytes (no
    hash_mismatch) and every stored file is exactly its bytes."""
    root = root_dir(settings.resolved().data_dir)
    stop, calm = threading.Event(), threading.Event()
    removed = []

    def cleaner():
        while not stop.is_set():
            if not calm.is_set():
                removed.append(clean_partial(db, root, dt.timedelta(0), clock() + dt.timedelta(days=1))["uploads"])
            time.sleep(0.002)

    t = threading.Thread(target=cleaner)
    t.start()
    codes = []
    try:
        for seed in range(6):
            calm.clear()
            data = blob(100 + seed, 160_000)
            offset, attempts = 0, 0
            while True:
                attempts += 1
                if attempts == 40:
                    calm.set()          # let this one finish (restarting for ever is not the point)
                assert attempts < 100
                r = put(client, device, data, offset, 40_000)
                codes.append(r.status_code)
                if r.status_code == 409:
                    offset = r.json()["error"]["details"][0]["received"]
                    continue
                assert r.status_code == 200, r.text
                if r.json()["complete"]:
                    break
                offset = r.json()["received"]
            assert file_path(root, sha(data)).read_bytes() == data
    finally:
        stop.set()
        t.join()
    assert 422 not in codes                                         # never a hash_mismatch
    assert sum(removed) > 0 and 409 in codes                        # the race did happen


def test_clean_uploads_command(client, device, db, settings, capsys):
    import json
    s = settings.resolved()
    data = blob(9)
    put(client, device, data, 0, 10_000)
    # Uploaded at the fake clock's time, long before the real one.
    assert NOW < dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)
    args = ["clean-uploads", "--db", s.db_path, "--data-dir", s.data_dir]
    assert cli.main(args + ["--older-than-days", "100000"]) == 0
    assert json.loads(capsys.readouterr().out) == {"older_than_days": 100000, "uploads": 0, "orphan_files": 0,
                                                   "bytes": 0}
    assert status(client, device, data)["received"] == 10_000
    assert cli.main(args + ["--older-than-days", "1"]) == 0
    assert json.loads(capsys.readouterr().out) == {"older_than_days": 1, "uploads": 1, "orphan_files": 0,
                                                   "bytes": 10_000}
    assert status(client, device, data)["received"] == 0 and partials(root_dir(s.data_dir)) == []
    assert cli.main(args + ["--older-than-days", "-1"]) == 2


def test_serve_cleans_abandoned_uploads_at_start(client, device, db, settings, monkeypatch, capsys):
    import uvicorn
    s = settings.resolved()
    data = blob(10)
    put(client, device, data, 0, 12_345)              # at the fake clock's time: weeks before the real one
    started = []

    def run(app, **kw):                                 # instead of serving: note the app, close it
        started.append(kw)
        app.state.db.close()
    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setenv("RASOAT_SECRET", "serve-test-secret-" + "y" * 20)
    assert cli.main(["serve", "--db", s.db_path, "--data-dir", s.data_dir, "--port", "8999"]) == 0
    assert started and started[0]["port"] == 8999
    assert "removed 1 abandoned photo uploads" in capsys.readouterr().err
    assert status(client, device, data)["received"] == 0 and partials(root_dir(s.data_dir)) == []


def test_a_file_that_cannot_be_removed_is_reported_and_the_rest_cleaned(client, device, db, settings, clock,
                                                                        monkeypatch, caplog):
    from pathlib import Path

    root = root_dir(settings.resolved().data_dir)
    stuck, gone = blob(21), blob(22)
    put(client, device, stuck, 0, 30_000)
    put(client, device, gone, 0, 40_000)
    real_unlink = Path.unlink

    def unlink(self, *a, **k):
        if self.name.startswith(sha(stuck)):
            raise PermissionError(13, "Permission denied")
        return real_unlink(self, *a, **k)

    monkeypatch.setattr(Path, "unlink", unlink)
    clock.advance(days=30)
    with caplog.at_level(logging.WARNING, logger="rasoat.attachments"):
        out = clean_partial(db, root, DAYS, clock())
    assert out["uploads"] == 1 and out["errors"] == 1
    assert "cannot remove abandoned upload" in caplog.text
    assert [r[0] for r in db.all("SELECT sha256 FROM attachment_uploads")] == [sha(stuck)]   # kept, not lost track of


def test_serve_starts_even_when_the_cleanup_fails(client, device, db, settings, monkeypatch, caplog):
    import uvicorn

    from server.cli import commands
    s = settings.resolved()
    started = []

    def run(app, **kw):
        started.append(kw)
        app.state.db.close()

    def broken(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setattr(commands, "_clean_uploads", broken)
    monkeypatch.setenv("RASOAT_SECRET", "serve-test-secret-" + "y" * 20)
    with caplog.at_level(logging.WARNING, logger="rasoat.cli"):
        assert cli.main(["serve", "--db", s.db_path, "--data-dir", s.data_dir, "--port", "8998"]) == 0
    assert started and "cleaning abandoned photo uploads failed" in caplog.text
