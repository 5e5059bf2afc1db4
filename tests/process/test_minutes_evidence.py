"""The community-meeting minutes (print view) with the dwelling photos and GPS of the households under
discussion (issue 9): thumbnails labelled with the question each documents, coordinates, no block for a
household without photos, the same roles as the minutes."""
from __future__ import annotations

import hashlib
import io
import re

import pytest
from PIL import Image

from server.console.web import SESSION_COOKIE
from server.process import review, service
from tests.server.conftest import session_token
from tests.server.helpers import push, submission

from .helpers import OFFICER, QN, at, load, valid_docs

NOW = at(2025, 12, 15)
GPS = {"lat": 21.0287, "lon": 105.8524, "accuracy_m": 8.5, "captured_at": "2025-11-02T08:15:00+07:00"}


def jpeg(seed: int) -> bytes:
    noise = hashlib.sha256(str(seed).encode()).digest() * (320 * 240 * 3 // 32 + 1)
    out = io.BytesIO()
    Image.frombytes("RGB", (320, 240), noise).save(out, "JPEG", quality=80)
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def upload(client, token: str, data: bytes) -> None:
    r = client.put(f"/api/v1/attachments/{sha(data)}", content=data,
                   headers={"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg",
                            "Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"})
    assert r.status_code == 200 and r.json()["complete"], r.text


@pytest.fixture
def meeting(client, db, device):
    """A KP01 meeting: household ``with`` re-sent by the tablet with two photos on the server, one
    not yet uploaded and a GPS fix; household ``without`` has neither."""
    docs = valid_docs(120, seed=3)
    load(db, docs, NOW)
    cands = service.candidates(db, 2025, QN, "KP01")
    assert len(cands) >= 2
    with_id, without_id = cands[0]["household_id"], cands[1]["household_id"]
    walls, latrine, lost = jpeg(1), jpeg(2), jpeg(3)
    upload(client, device, walls)
    upload(client, device, latrine)
    doc = dict(next(d for d in docs if d["household_id"] == with_id))
    doc["gps"] = GPS
    doc["photos"] = [{"sha256": sha(walls), "question": "housing.walls", "taken_at": "2025-11-02T08:16:00+07:00"},
                     {"sha256": sha(latrine), "question": "latrine"},
                     {"sha256": sha(lost), "question": "housing.roof"}]
    rev = db.value("SELECT server_revision FROM households WHERE household_id = ?", (with_id,))
    [res] = push(client, device, [submission(doc, revision=2, base=rev)]).json()["results"]
    assert res["status"] == "accepted" and res["incomplete"] == {"missing": [sha(lost)]}, res
    assert [o.accepted for o in review.accept_many(db, OFFICER, [(with_id, res["submission_id"])], NOW)] == [True]
    m = service.create_meeting(db, OFFICER, 2025, QN, "KP01", "2025-11-20", NOW, chair_name="Trưởng KP")
    ids = [it["household_id"] for it in m["items"]]
    assert with_id in ids and without_id in ids
    return {"id": m["id"], "with": with_id, "without": without_id, "walls": sha(walls), "latrine": sha(latrine),
            "lost": sha(lost)}


def _block(html: str, household_id: str) -> str | None:
    m = re.search(r'<div class="ev-hh" data-household="%s">(.*?)</div>\s*(?=<div class="ev-hh"|</section>)'
                  % re.escape(household_id), html, re.S)
    return m.group(1) if m else None


def test_minutes_print_photos_labels_and_gps_of_households_with_photos(client, app, meeting):
    client.cookies.set(SESSION_COOKIE, session_token(app, "viewer"))
    r = client.get(f"/console/process/meetings/{meeting['id']}/minutes")
    assert r.status_code == 200
    html = r.text
    assert 'id="evidence"' in html and "PHỤ LỤC" in html
    block = _block(html, meeting["with"])
    assert block is not None
    for h in (meeting["walls"], meeting["latrine"]):
        assert f'src="/console/attachments/{h}/thumb"' in block
    assert meeting["lost"] not in html                                 # not on the server: counted, no image
    assert "1 ảnh chưa gửi lên máy chủ" in block
    assert "<figcaption>Tường<br><small>02/11/2025 08:16</small>" in block   # the question it documents
    assert "<figcaption>Loại nhà tiêu</figcaption>" in block
    assert "21.0287, 105.8524" in block and "± 8,5 m" in block and "02/11/2025 08:15" in block
    assert f'data-household="{meeting["without"]}"' not in html        # no photos: no block
    assert html.count('class="ev-hh"') == 1
    # print-friendly: small images, a block is never split across pages, the appendix on its own page
    assert "page-break-inside: avoid" in html and "@media print" in html and "max-height: 150px" in html
    # the thumbnail the page points at is served to the same viewer
    thumb = client.get(f"/console/attachments/{meeting['walls']}/thumb")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 240
    client.cookies.clear()


def test_minutes_without_photos_when_asked_or_when_none(client, app, db, meeting):
    client.cookies.set(SESSION_COOKIE, session_token(app, "officer"))
    r = client.get(f"/console/process/meetings/{meeting['id']}/minutes?photos=0")
    assert r.status_code == 200
    assert 'id="evidence"' not in r.text and "/thumb" not in r.text
    assert f'href="/console/process/meetings/{meeting["id"]}/minutes" id="with-photos"' in r.text
    assert "(1 hộ)" in r.text
    # the minutes of a meeting none of whose households has photos: no appendix, no link to it
    service.record_votes(db, OFFICER, meeting["id"], 10,
                         {hid: 10 for hid in (r["household_id"] for r in service.get_meeting(db, meeting["id"])["items"])},
                         NOW)
    other = service.create_meeting(db, OFFICER, 2025, QN, "KP02", "2025-11-21", NOW)
    assert other["items"]
    plain = client.get(f"/console/process/meetings/{other['id']}/minutes")
    assert plain.status_code == 200 and "BIÊN BẢN" in plain.text
    assert 'id="evidence"' not in plain.text and "without-photos" not in plain.text
    assert 'class="ev-hh"' not in plain.text and "/thumb" not in plain.text
    client.cookies.clear()


def test_minutes_roles_are_unchanged(client, app, meeting):
    url = f"/console/process/meetings/{meeting['id']}/minutes"
    r = client.get(url, follow_redirects=False)                       # not logged in: to the login page
    assert r.status_code == 303 and "/console/login" in r.headers["location"]
    assert client.get(f"/console/attachments/{meeting['walls']}/thumb", follow_redirects=False).status_code == 303
    for role in ("viewer", "officer", "admin"):
        client.cookies.set(SESSION_COOKIE, session_token(app, role))
        r = client.get(url)
        assert r.status_code == 200 and f"/console/attachments/{meeting['walls']}/thumb" in r.text, role
        client.cookies.clear()
