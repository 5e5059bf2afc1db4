"""Attachments (issue 9): ask which exist, resumable chunked upload verified by hash, stored once,
submissions held incomplete until their photos arrive, authorisation, backup and restore."""
from __future__ import annotations

import hashlib
import io
import os
import shutil
from pathlib import Path

import pytest
import requests
from PIL import Image

from mobile.sync import SyncClient, SyncError, upload_file
from server.app import create_app
from server.backup import backup_attachments, backup_database
from server.console.web import SESSION_COOKIE
from server.services.attachments import file_path, root_dir
from server.settings import Settings

from .conftest import SECRET, session_token
from .helpers import households, push, submission

CHUNK = 64 * 1024


def photo(seed: int, size: tuple[int, int] = (900, 600)) -> bytes:
    """A real JPEG whose bytes depend on ``seed`` (noise, so it does not compress away)."""
    rnd = Image.frombytes("RGB", size, hashlib.sha256(str(seed).encode()).digest() * (size[0] * size[1] * 3 // 32 + 1))
    out = io.BytesIO()
    rnd.save(out, "JPEG", quality=80)
    return out.getvalue()


def padded_photo(n: int, seed: int = 1) -> bytes:
    """A real (small) JPEG followed by random bytes up to ``n`` bytes: opens as an image, does not compress."""
    data = photo(seed, (64, 48))
    return data + os.urandom(n - len(data))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def put(client, token, data, offset=0, size=None, total=None, chunk_sha=None, name=None, household_id=None):
    part = data[offset:offset + (size or len(data))]
    headers = {**auth(token), "Content-Type": "image/jpeg",
               "Content-Range": f"bytes {offset}-{offset + len(part) - 1}/{total or len(data)}"}
    if chunk_sha:
        headers["X-Chunk-SHA256"] = chunk_sha
    params = {"household_id": household_id} if household_id else None
    return client.put(f"/api/v1/attachments/{name or sha(data)}", content=part, headers=headers, params=params)


def with_photos(doc, *datas, question="housing.walls"):
    doc["photos"] = [{"sha256": sha(d), "question": question, "size": len(d), "content_type": "image/jpeg"}
                     for d in datas]
    return doc


class CountingSession(requests.Session):
    """Counts the photo bytes put on the wire; optionally drops the link after ``cut_after`` bytes."""

    def __init__(self, cut_after: int | None = None):
        super().__init__()
        self.sent = 0
        self.cut_after = cut_after

    def request(self, method, url, data=None, **kw):
        if method == "PUT" and data is not None:
            if self.cut_after is not None and self.sent + len(data) > self.cut_after:
                raise requests.exceptions.ConnectionError("link dropped (test)")
            self.sent += len(data)
        return super().request(method, url, data=data, **kw)


def test_upload_cut_at_half_resumes_without_resending_the_first_half(live, device, db, settings):
    data = photo(1, (1400, 1000))
    assert len(data) > 8 * CHUNK
    half = (len(data) // 2) // CHUNK * CHUNK
    first = CountingSession(cut_after=half)
    with pytest.raises(SyncError) as exc:
        upload_file(SyncClient(live.url, device, first), sha(data), data, chunk_size=CHUNK)
    assert exc.value.code == "offline" and first.sent == half
    c = SyncClient(live.url, device, requests.Session())
    assert c.attachment_status(sha(data))["received"] == half
    assert c.check_attachments([sha(data)]) == {"protocol": 1, "missing": [sha(data)], "partial": {sha(data): half}}
    second = CountingSession()
    upload_file(SyncClient(live.url, device, second), sha(data), data, chunk_size=CHUNK)
    assert second.sent == len(data) - half                      # the first half was not sent again
    stored = file_path(root_dir(settings.resolved().data_dir), sha(data))
    assert stored.read_bytes() == data
    assert c.check_attachments([sha(data)])["missing"] == []
    assert upload_file(c, sha(data), data) == 0                 # already there: nothing sent


def test_same_photo_on_two_households_is_stored_once_and_shown_on_both(client, app, device, db, settings):
    data = photo(2)
    assert put(client, device, data).json()["complete"] is True
    again = put(client, device, data)                           # a resend overwrites nothing
    assert again.status_code == 200 and again.json()["stored"] is False
    a, b = households(2)
    r = push(client, device, [submission(with_photos(a, data)), submission(with_photos(b, data, question="latrine"))])
    assert [x["status"] for x in r.json()["results"]] == ["accepted", "accepted"]
    assert all("incomplete" not in x for x in r.json()["results"])
    assert db.value("SELECT COUNT(*) FROM attachments") == 1
    files = [p for p in root_dir(settings.resolved().data_dir).rglob("*") if p.is_file() and "thumbs" not in p.parts]
    assert files == [file_path(root_dir(settings.resolved().data_dir), sha(data))]
    client.cookies.set(SESSION_COOKIE, session_token(app, "viewer"))
    for doc in (a, b):
        page = client.get(f"/console/households/{doc['household_id']}")
        assert page.status_code == 200 and f"/console/attachments/{sha(data)}/thumb" in page.text
    thumb = client.get(f"/console/attachments/{sha(data)}/thumb")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 240
    full = client.get(f"/console/attachments/{sha(data)}")
    assert full.content == data
    client.cookies.clear()


def test_submission_with_a_missing_photo_is_held_and_completes_when_it_arrives(client, device, db):
    have, lack = photo(3), photo(4)
    put(client, device, have)
    doc = with_photos(households(1)[0], have, lack)
    s = submission(doc)
    [res] = push(client, device, [s]).json()["results"]
    assert res["status"] == "accepted" and res["incomplete"] == {"missing": [sha(lack)]}
    row = db.one("SELECT * FROM incomplete_submissions WHERE submission_id = ?", (s["submission_id"],))
    assert row["completed_at"] is None
    [again] = push(client, device, [s]).json()["results"]       # a retry is told the same
    assert again["status"] == "duplicate" and again["incomplete"] == {"missing": [sha(lack)]}
    client.cookies.set(SESSION_COOKIE, session_token(client.app, "viewer"))
    assert "incomplete" in client.get(f"/console/households/{doc['household_id']}").text
    half = len(lack) // 2
    assert put(client, device, lack, 0, half, len(lack)).json()["complete"] is False
    assert db.one("SELECT completed_at FROM incomplete_submissions")["completed_at"] is None
    done = put(client, device, lack, half, len(lack) - half, len(lack)).json()
    assert done["complete"] and done["completed_submissions"] == [s["submission_id"]]
    assert db.one("SELECT completed_at FROM incomplete_submissions")["completed_at"] is not None
    assert db.value("SELECT COUNT(*) FROM audit_log WHERE action = 'submission.complete'") == 1
    assert "incomplete" not in client.get(f"/console/households/{doc['household_id']}").text
    [third] = push(client, device, [s]).json()["results"]
    assert "incomplete" not in third
    client.cookies.clear()


def test_corrupted_chunk_is_refused_and_sent_again(client, device, db):
    data = photo(5)
    half = len(data) // 2
    assert put(client, device, data, 0, half, chunk_sha=sha(data[:half])).json()["received"] == half
    bad = bytearray(data[half:])
    bad[10] ^= 0xFF
    r = client.put(f"/api/v1/attachments/{sha(data)}", content=bytes(bad),
                   headers={**auth(device), "Content-Type": "image/jpeg", "X-Chunk-SHA256": sha(data[half:]),
                            "Content-Range": f"bytes {half}-{len(data) - 1}/{len(data)}"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "chunk_corrupt"
    assert r.json()["error"]["details"] == [{"received": half}]  # the last good state is kept
    assert client.get(f"/api/v1/attachments/{sha(data)}/status", headers=auth(device)).json()["received"] == half
    # Without a chunk hash, the corruption is caught by the hash of the complete file: start again.
    r = client.put(f"/api/v1/attachments/{sha(data)}", content=bytes(bad),
                   headers={**auth(device), "Content-Type": "image/jpeg",
                            "Content-Range": f"bytes {half}-{len(data) - 1}/{len(data)}"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "hash_mismatch"
    assert db.value("SELECT COUNT(*) FROM attachments") == 0
    assert client.get(f"/api/v1/attachments/{sha(data)}/status", headers=auth(device)).json()["received"] == 0
    assert put(client, device, data).json()["complete"] is True


def test_the_uploader_resends_a_chunk_corrupted_on_the_way(live, device, settings):
    data = photo(6)

    class Corrupting(CountingSession):
        hits = 0

        def request(self, method, url, data=None, **kw):
            if method == "PUT" and data and Corrupting.hits == 0:
                Corrupting.hits += 1
                data = bytes([data[0] ^ 1]) + data[1:]
            return super().request(method, url, data=data, **kw)

    s = Corrupting()
    upload_file(SyncClient(live.url, device, s), sha(data), data, chunk_size=CHUNK)
    assert Corrupting.hits == 1 and s.sent == len(data) + CHUNK   # one chunk sent twice, nothing else
    assert file_path(root_dir(settings.resolved().data_dir), sha(data)).read_bytes() == data


def test_limits_have_a_clear_envelope(db_path, clock):
    from .conftest import device_token
    app = create_app(Settings(db_path=str(db_path), secret=SECRET, public_url="http://testserver",
                              max_attachment_bytes=50_000, max_attachment_bytes_per_device_day=60_000), clock=clock)
    from fastapi.testclient import TestClient
    client = TestClient(app, raise_server_exceptions=False)
    token = device_token(app)
    big = os.urandom(60_000)
    r = put(client, token, big)
    assert r.status_code == 413 and r.json()["error"]["code"] == "attachment_too_large"
    assert r.json()["error"]["message_vi"]
    assert put(client, token, padded_photo(40_000)).status_code == 200
    r = put(client, token, padded_photo(30_000, seed=2))
    assert r.status_code == 429 and r.json()["error"]["code"] == "daily_limit" and "ngày mai" in r.json()["error"]["message_vi"]
    r = put(client, token, b"x" * 10, name="NOT-A-HASH")
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_hash"
    app.state.db.close()


def test_another_groups_device_is_refused(client, app, device, device2, viewer):
    data = photo(7)
    doc = with_photos(households(1)[0], data)
    put(client, device, data)
    push(client, device, [submission(doc)])
    assert client.get(f"/api/v1/attachments/{sha(data)}", headers=auth(device)).content == data
    r = client.get(f"/api/v1/attachments/{sha(data)}", headers=auth(device2))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"    # as if absent (issue 18)
    other = photo(8)
    r = put(client, device2, other, household_id=doc["household_id"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_group"
    assert client.get(f"/api/v1/attachments/{sha(data)}", headers=auth(viewer)).status_code == 200
    assert client.get(f"/api/v1/attachments/{sha(data)}").status_code == 401
    assert client.get(f"/console/attachments/{sha(data)}", follow_redirects=False).status_code == 303


def test_backup_and_restore_include_the_photos(client, device, db, settings, tmp_path):
    datas = [photo(10), photo(11)]
    for d in datas:
        put(client, device, d)
    push(client, device, [submission(with_photos(households(1)[0], *datas))])
    s = settings.resolved()
    dest = tmp_path / "usb" / "rasoat-2025-12-15.db"
    backup_database(s.db_path, dest)
    out = backup_attachments(dest, root_dir(s.data_dir))
    assert out["files"] == 2 and out["verified"] == 2 and out["copied"] == 2
    assert backup_attachments(dest, root_dir(s.data_dir))["copied"] == 0     # the next evening: only new files
    # A corrupted copy in the backup is found and replaced.
    copy = file_path(Path(out["path"]), sha(datas[0]))
    copy.write_bytes(b"rot")
    again = backup_attachments(dest, root_dir(s.data_dir))
    assert again["copied"] == 1 and copy.read_bytes() == datas[0]
    # Restore as docs/operations.md says: the database file and the attachments directory.
    new_dir = tmp_path / "restored"
    new_dir.mkdir()
    shutil.copyfile(dest, new_dir / "rasoat.db")
    shutil.copytree(out["path"], new_dir / "attachments")
    restored = create_app(Settings(data_dir=str(new_dir), secret=SECRET, public_url="http://testserver"))
    from fastapi.testclient import TestClient
    rc = TestClient(restored, raise_server_exceptions=False)
    token = session_token(restored, "viewer")
    for d in datas:
        assert rc.get(f"/api/v1/attachments/{sha(d)}", headers=auth(token)).content == d
    restored.state.db.close()


def test_tablet_sync_sends_photos_first_and_the_form_is_complete(live, app, device, db, tmp_path):
    import datetime as dt

    from mobile import store as st
    from mobile.collect import Collection
    from mobile.sync import SyncWorker
    store = st.LocalStore.in_dir(tmp_path / "tab")
    store.set(server_url=live.url, token=device)
    coll = Collection(store, today=lambda: dt.date(2025, 12, 15), now=lambda: "2025-12-15T09:30:00+07:00")
    ids = []
    for doc in households(2):
        store.save_household(doc["household_id"], group_code="KP01", doc=doc, raw={}, status=st.DRAFT,
                             form_version=doc["form_version"])
        coll.attach_photo(doc["household_id"], "housing.roof", photo(20))       # the same picture on both
        coll.attach_photo(doc["household_id"], "latrine", photo(21 + len(ids)))
        coll.finalise(doc["household_id"])
        ids.append(doc["household_id"])
    p = SyncWorker(lambda: store, lambda e: None).run_once(store)
    assert p.phase == "done" and p.sent == 2 and p.photos_sent == 3
    assert db.value("SELECT COUNT(*) FROM attachments") == 3
    assert db.value("SELECT COUNT(*) FROM incomplete_submissions") == 0
    assert store.photos_to_upload() == []
    assert all(coll.household(h)["status"] == st.SYNCED for h in ids)
    store.close()


def test_default_chunk_is_512_kb_and_the_server_takes_it_within_its_limits(live, device, settings):
    """One round trip per resized photo (docs/performance.md, "Photos"): the tablet's default chunk is
    512 kB, the server accepts chunks that size, a file of several chunks goes in ceil(n / 512 kB) PUTs,
    and the per-file limit still applies."""
    from mobile.sync import CHUNK_SIZE
    s = settings.resolved()
    assert CHUNK_SIZE == 512 * 1024 <= min(s.max_body_bytes, s.max_attachment_bytes)
    data = photo(30, (1800, 1300))
    assert 2 * CHUNK_SIZE < len(data) < 3 * CHUNK_SIZE

    class Puts(CountingSession):
        sizes: list[int] = []

        def request(self, method, url, data=None, **kw):
            if method == "PUT":
                Puts.sizes.append(len(data))
            return super().request(method, url, data=data, **kw)

    sess = Puts()
    assert upload_file(SyncClient(live.url, device, sess), sha(data), data) == len(data)
    assert Puts.sizes == [CHUNK_SIZE, CHUNK_SIZE, len(data) - 2 * CHUNK_SIZE]
    assert file_path(root_dir(s.data_dir), sha(data)).read_bytes() == data
    too_big = b"\xff\xd8" + os.urandom(s.max_attachment_bytes)        # over the per-file limit: refused at once
    with pytest.raises(SyncError) as exc:
        upload_file(SyncClient(live.url, device, requests.Session()), sha(too_big), too_big)
    assert exc.value.status == 413


def test_a_resume_from_the_check_answer_skips_the_status_request(live, device, settings):
    """The sync worker passes the 'partial' of its check answer: no status round trip per photo."""
    data = photo(5, (1400, 1000))
    half = (len(data) // 2) // CHUNK * CHUNK
    with pytest.raises(SyncError):
        upload_file(SyncClient(live.url, device, CountingSession(cut_after=half)), sha(data), data, chunk_size=CHUNK)
    held = SyncClient(live.url, device, requests.Session()).check_attachments([sha(data)])["partial"][sha(data)]
    assert held == half

    class NoStatus(CountingSession):
        def request(self, method, url, data=None, **kw):
            assert not url.endswith("/status"), "a status request was sent"
            return super().request(method, url, data=data, **kw)

    second = NoStatus()
    upload_file(SyncClient(live.url, device, second), sha(data), data, chunk_size=CHUNK, received=held)
    assert second.sent == len(data) - half
    assert file_path(root_dir(settings.resolved().data_dir), sha(data)).read_bytes() == data
    # A wrong resume point (the server holds less than claimed) is corrected by the server's answer.
    other = photo(6, (1400, 1000))
    third = CountingSession()
    upload_file(SyncClient(live.url, device, third), sha(other), other, chunk_size=CHUNK, received=4 * CHUNK)
    assert file_path(root_dir(settings.resolved().data_dir), sha(other)).read_bytes() == other
