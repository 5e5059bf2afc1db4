"""Attachments that are not photos, photos too large to decode, and photos of other groups (issue 18).

- An upload must be the image it says it is, of at most MAX_IMAGE_PIXELS (read from the header):
  a text file, a PNG declaring 400 M pixels in a few hundred bytes, a 121 M-pixel PNG are refused
  with a clear 4xx when the last chunk arrives; nothing is stored.
- A file stored before that check (put in place here directly) gives its thumbnail's 4xx once: the
  problem is noted on its row and later requests answer it without opening the file again.
- A device reads a photo it uploaded, or one attached to a household of its groups by a party that
  held it; naming another group's photo in one of its own households gives it nothing, and the check,
  status and read calls answer as if the file did not exist until it uploads the bytes itself.
"""
from __future__ import annotations

import hashlib
import io
import struct
import zlib

import pytest
from PIL import Image

from server.console.web import SESSION_COOKIE
from server.services import attachments as service
from server.services.attachments import file_path, root_dir

from .conftest import session_token  # noqa: E402
from .conftest import device_token
from .helpers import households, push, submission
from .test_attachments import auth, photo, put, sha, with_photos


def png_declaring(width: int, height: int) -> bytes:
    """A valid PNG header (IHDR) of ``width`` x ``height`` with one tiny IDAT: a few hundred bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def small_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("kind", ["text", "bomb_400m", "png_121m", "png_as_jpeg"])
def test_an_upload_that_is_not_a_photo_we_keep_is_refused(client, device, db, kind):
    data, ctype, code, status = {
        "text": (b"not an image at all " * 50, "image/jpeg", "not_an_image", 422),
        "bomb_400m": (png_declaring(20000, 20000), "image/png", "image_too_large", 413),
        "png_121m": (png_declaring(11000, 11000), "image/png", "image_too_large", 413),
        "png_as_jpeg": (small_png(), "image/jpeg", "image_type_mismatch", 422),
    }[kind]
    assert len(data) < 2000 or kind == "text"
    r = client.put(f"/api/v1/attachments/{sha(data)}", content=data,
                   headers={**auth(device), "Content-Type": ctype, "Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"})
    assert r.status_code == status, r.text
    body = r.json()["error"]
    assert body["code"] == code and body["message_vi"]
    assert db.value("SELECT COUNT(*) FROM attachments") == 0
    st = client.get(f"/api/v1/attachments/{sha(data)}/status", headers=auth(device)).json()
    assert st["complete"] is False and st["received"] == 0          # starts again from 0 if ever resent


def test_a_small_png_as_png_is_kept(client, device, db):
    data = small_png()
    r = client.put(f"/api/v1/attachments/{sha(data)}", content=data,
                   headers={**auth(device), "Content-Type": "image/png", "Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"})
    assert r.status_code == 200 and r.json()["complete"] is True and r.json()["stored"] is True


def _legacy_file(db, settings, data: bytes, ctype: str = "image/png") -> str:
    """A file stored before uploads were checked: bytes in place and a row, as an old server left them."""
    h = sha(data)
    path = file_path(root_dir(settings.resolved().data_dir), h)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    with db.write() as conn:
        conn.execute("INSERT INTO attachments (sha256, size, content_type, device_id, stored_at) "
                     "VALUES (?, ?, ?, NULL, '2025-01-01T00:00:00+00:00')", (h, len(data), ctype))
    return h


@pytest.mark.parametrize("kind,status", [("bomb_400m", 413), ("png_121m", 413), ("text", 422), ("truncated", 422)])
def test_a_stored_bad_file_gives_its_thumbnail_4xx_once_and_is_never_decoded(app, client, db, settings,
                                                                              monkeypatch, kind, status):
    data = {"bomb_400m": png_declaring(20000, 20000), "png_121m": png_declaring(11000, 11000),
            "text": b"<html>not an image</html>", "truncated": photo(3)[:3000]}[kind]
    h = _legacy_file(db, settings, data)
    decoded = []
    real_convert = Image.Image.convert
    monkeypatch.setattr(Image.Image, "convert", lambda self, *a, **k: decoded.append(self.size) or
                        real_convert(self, *a, **k))
    client.cookies.set(SESSION_COOKIE, session_token(app, "viewer"))
    opened = []
    real_check = service.check_image
    monkeypatch.setattr(service, "check_image", lambda *a, **k: opened.append(1) or real_check(*a, **k))
    first = client.get(f"/console/attachments/{h}/thumb")
    assert first.status_code == status, first.text[:300]
    assert "text/html" in first.headers["content-type"] and ("Ảnh" in first.text or "ảnh" in first.text)
    assert all(w * hh <= service.MAX_IMAGE_PIXELS for w, hh in decoded), decoded   # never a full-size decode
    assert db.value("SELECT image_problem FROM attachments WHERE sha256 = ?", (h,)) is not None
    n = len(opened)
    for _ in range(3):
        again = client.get(f"/console/attachments/{h}/thumb")
        assert again.status_code == status
    assert len(opened) == n                                    # answered from the note, the file not opened
    client.cookies.clear()


def test_a_big_jpeg_thumbnail_is_decoded_reduced(app, client, db, settings, monkeypatch):
    data = photo(4, size=(4000, 3000))                         # 12 M pixels: allowed
    h = _legacy_file(db, settings, data, "image/jpeg")
    decoded = []
    real_convert = Image.Image.convert
    monkeypatch.setattr(Image.Image, "convert", lambda self, *a, **k: decoded.append(self.size) or
                        real_convert(self, *a, **k))
    client.cookies.set(SESSION_COOKIE, session_token(app, "viewer"))
    r = client.get(f"/console/attachments/{h}/thumb")
    assert r.status_code == 200 and max(Image.open(io.BytesIO(r.content)).size) <= 240
    assert decoded and max(decoded[0]) <= 1000, decoded       # draft mode: 1/8 of 4000 x 3000
    client.cookies.clear()


def test_a_device_cannot_read_another_groups_photo_by_naming_its_hash(app, client, db, device, device2, viewer):
    data = photo(21)
    assert put(client, device, data).json()["stored"] is True
    kp01 = with_photos(households(1, group="KP01", seed=51)[0], data)
    assert push(client, device, [submission(kp01)]).json()["results"][0]["status"] == "accepted"
    # KP02's device names the hash in a household of its own group
    kp02 = with_photos(households(1, group="KP02", seed=52)[0], data)
    res = push(client, device2, [submission(kp02)]).json()["results"][0]
    assert res["status"] == "accepted"
    r = client.get(f"/api/v1/attachments/{sha(data)}", headers=auth(device2))
    nothing = client.get(f"/api/v1/attachments/{'0' * 64}", headers=auth(device2))
    assert r.status_code == nothing.status_code == 404 and r.json() == nothing.json()   # existence not revealed
    assert client.post("/api/v1/attachments/check", json={"protocol": 1, "hashes": [sha(data)]},
                       headers=auth(device2)).json()["missing"] == [sha(data)]
    st = client.get(f"/api/v1/attachments/{sha(data)}/status", headers=auth(device2)).json()
    assert st["complete"] is False and st["received"] == 0
    first = put(client, device2, data, size=1000)
    assert first.status_code == 200 and first.json()["complete"] is False        # it must send the bytes
    # a device holding the real bytes proves it: it uploads them all and may read the file from then on
    rest = put(client, device2, data, offset=1000)
    assert rest.json() == {"protocol": 1, "sha256": sha(data), "size": len(data), "received": len(data),
                           "complete": True, "stored": False}
    assert client.get(f"/api/v1/attachments/{sha(data)}", headers=auth(device2)).content == data
    assert db.value("SELECT COUNT(*) FROM attachments") == 1
    # the office reads any photo
    assert client.get(f"/api/v1/attachments/{sha(data)}", headers=auth(viewer)).status_code == 200


def test_devices_of_the_same_group_read_what_its_households_carry(app, client, db, device):
    data = photo(22)
    put(client, device, data)
    doc = with_photos(households(1, group="KP01", seed=53)[0], data)
    push(client, device, [submission(doc)])
    other = device_token(app, 1, "Tab KP01 (new tablet)")            # the same collaborator's new tablet
    assert client.get(f"/api/v1/attachments/{sha(data)}", headers=auth(other)).content == data
    assert client.post("/api/v1/attachments/check", json={"protocol": 1, "hashes": [sha(data)]},
                       headers=auth(other)).json()["missing"] == []
    assert put(client, other, data).json()["stored"] is False       # nothing to send again


def test_the_migration_keeps_uploaders_as_holders(db):
    from server.migrations import migrate
    with db.write() as conn:       # back to the schema before migration 11, with a file uploaded by 'dev-1'
        conn.execute("DROP TABLE attachment_holders")
        conn.execute("ALTER TABLE attachments DROP COLUMN image_problem")
        conn.execute("ALTER TABLE sessions DROP COLUMN kind")
        conn.execute("DELETE FROM schema_migrations WHERE version = 11")
        conn.execute("INSERT INTO attachments (sha256, size, content_type, device_id, stored_at) "
                     "VALUES (?, 10, 'image/jpeg', 'dev-1', '2025-01-01T00:00:00+00:00')", ("a" * 64,))
    assert migrate(db) == [11]
    assert [tuple(r) for r in db.all("SELECT sha256, device_id FROM attachment_holders")] == [("a" * 64, "dev-1")]
    assert db.value("SELECT image_problem FROM attachments") is None
    assert "kind" in [r[1] for r in db.conn.execute("PRAGMA table_info(sessions)")]
