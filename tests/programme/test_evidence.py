"""A delivery's evidence photo: sent with the console's delivery form, kept by content hash, shown on the
household's page to those who may see the entry (another body: 404), a bad file named in Vietnamese with
nothing written, a photo kept across a refused form, and never another body's photo named on an entry."""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image

from .helpers import bearer, delivery


def _jpeg(colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "JPEG")
    return out.getvalue()


def _csrf(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


def _form(**kw):
    f = {"support_type": "health_insurance_card", "delivered_on": "05/11/2025", "quantity": "1",
         "fund": "state_budget", "member_id": "m2", "evidence_no": "QĐ 41/QĐ-TYT"}
    f.update(kw)
    return f


def test_an_evidence_photo_with_the_delivery_form(app, client, db, ward, partners, viewer):
    hs, front = partners["health_station"], partners["fatherland_front"]
    url = f"/console/programme/households/{ward.poor}"
    client.cookies.set("rasoat_session", hs)
    csrf = _csrf(client.get(url).text)
    assert 'enctype="multipart/form-data"' in client.get(url).text
    # a file that is not an image: named, nothing written, what was typed kept
    bad = client.post(url + "/deliveries", data={**_form(), "csrf_token": csrf},
                      files={"evidence_photo": ("bien-nhan.jpg", b"not an image at all", "image/jpeg")})
    assert bad.status_code == 422 and "Ảnh chứng từ:" in bad.text and "QĐ 41/QĐ-TYT" in bad.text
    assert db.value("SELECT COUNT(*) FROM support_entries") == 0
    assert db.value("SELECT COUNT(*) FROM support_evidence") == 0
    wrong_type = client.post(url + "/deliveries", data={**_form(), "csrf_token": csrf},
                             files={"evidence_photo": ("a.pdf", b"%PDF-1.4", "application/pdf")})
    assert wrong_type.status_code == 415 and "chỉ nhận ảnh JPEG, PNG hoặc WebP" in wrong_type.text
    # a good photo with a form refused for another reason: the photo is kept for the next try
    photo = _jpeg()
    sha = hashlib.sha256(photo).hexdigest()
    refused = client.post(url + "/deliveries", data={**_form(member_id=""), "csrf_token": csrf},
                          files={"evidence_photo": ("bien-nhan.jpg", photo, "image/jpeg")})
    assert refused.status_code == 422 and f'name="evidence_sha256" value="{sha}"' in refused.text
    assert "Ảnh đã gửi lần trước được giữ" in refused.text
    ok = client.post(url + "/deliveries", data={**_form(), "evidence_sha256": sha, "csrf_token": csrf},
                     follow_redirects=False)
    assert ok.status_code == 303, ok.text[:500]
    entry = db.one("SELECT id, evidence_sha256, evidence_no FROM support_entries")
    assert (entry["evidence_sha256"], entry["evidence_no"]) == (sha, "QĐ 41/QĐ-TYT")
    stored = db.one("SELECT size, content_type, stored_by FROM support_evidence WHERE sha256 = ?", (sha,))
    assert tuple(stored) == (len(photo), "image/jpeg",
                             db.value("SELECT id FROM users WHERE username = 'p-health-station'"))
    data_dir = Path(app.state.settings.db_path).parent
    assert (data_dir / "programme-evidence" / sha[:2] / sha[2:4] / sha).read_bytes() == photo
    # the household's page links it; the photo is served to the body and the office, not to another body
    page = client.get(url).text
    assert f'href="/console/programme/evidence/{sha}"' in page and "Xem ảnh" in page
    got = client.get(f"/console/programme/evidence/{sha}")
    assert got.status_code == 200 and got.content == photo and got.headers["content-type"] == "image/jpeg"
    client.cookies.set("rasoat_session", viewer)
    assert client.get(f"/console/programme/evidence/{sha}").content == photo
    client.cookies.set("rasoat_session", front)
    assert client.get(f"/console/programme/evidence/{sha}").status_code == 404
    client.cookies.clear()
    r = client.get(f"/console/programme/evidence/{sha}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
    # the same bytes again are kept once
    client.cookies.set("rasoat_session", hs)
    again = client.post(url + "/deliveries", data={**_form(delivered_on="06/11/2025"), "csrf_token": csrf},
                        files={"evidence_photo": ("lai.jpg", photo, "image/jpeg")}, follow_redirects=False)
    assert again.status_code == 303
    assert db.value("SELECT COUNT(*) FROM support_evidence") == 1
    client.cookies.clear()
    # another body cannot name the health station's photo on its own entry (as if absent)
    r = client.post(f"/api/v1/programme/households/{ward.poor}/deliveries", headers=bearer(front), json=delivery(
        support_type="housing", member_id=None, amount_vnd=10_000_000, fund="socialised", evidence_sha256=sha))
    assert r.status_code == 404 and r.json()["error"]["code"] == "evidence_not_found"
    # ...while the health station's correction keeps it
    fix = client.post(f"/api/v1/programme/deliveries/{entry['id']}/correct", headers=bearer(hs),
                      json={"evidence_no": "QĐ 42/QĐ-TYT", "reason": "sai số"})
    assert fix.status_code == 201 and fix.json()["evidence_sha256"] == sha


def test_an_evidence_photo_through_the_api(client, db, ward, partners, viewer):
    hs, front = partners["health_station"], partners["fatherland_front"]
    photo = _jpeg((20, 90, 200))
    r = client.post("/api/v1/programme/evidence", content=photo,
                    headers={**bearer(hs), "Content-Type": "image/jpeg"})
    assert r.status_code == 201, r.text
    sha = r.json()["sha256"]
    assert sha == hashlib.sha256(photo).hexdigest() and r.json()["size"] == len(photo)
    # not an image, the wrong type, too large: refused with the error envelope, nothing kept
    for content, ctype, status in ((b"hello", "image/jpeg", 422), (photo, "text/plain", 415),
                                   (photo, "image/png", 422)):
        bad = client.post("/api/v1/programme/evidence", content=content,
                          headers={**bearer(hs), "Content-Type": ctype})
        assert bad.status_code == status, (ctype, bad.text)
        assert bad.json()["error"]["message_vi"].startswith("Ảnh chứng từ")
    assert db.value("SELECT COUNT(*) FROM support_evidence") == 1
    # named on the health station's delivery; read by the office and the body, not by another body
    d = client.post(f"/api/v1/programme/households/{ward.poor}/deliveries", headers=bearer(hs),
                    json=delivery(evidence_sha256=sha))
    assert d.status_code == 201 and d.json()["evidence_sha256"] == sha
    for token, want in ((hs, 200), (viewer, 200), (front, 404)):
        got = client.get(f"/api/v1/programme/evidence/{sha}", headers=bearer(token))
        assert got.status_code == want, got.text[:200]
        if want == 200:
            assert got.content == photo and got.headers["content-type"] == "image/jpeg"
    # the front stores its own and cannot name the health station's
    r = client.post(f"/api/v1/programme/households/{ward.poor}/deliveries", headers=bearer(front), json=delivery(
        support_type="housing", member_id=None, amount_vnd=10_000_000, fund="socialised", evidence_sha256=sha))
    assert r.status_code == 404 and r.json()["error"]["code"] == "evidence_not_found"
