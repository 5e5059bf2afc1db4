"""The tablet's offline view of support: a real sync against the server pulls the support a household
received and its open needs; a need noted on the tablet is kept offline and reaches the office."""
from __future__ import annotations

import datetime as dt

import pytest

from mobile.store import LocalStore
from mobile.support import SupportPresenter, pending_needs
from mobile.sync import SyncClient, SyncWorker
from server.services import enrollment

from .helpers import bearer, delivery


@pytest.fixture
def tablet(tmp_path, app, live):
    """A tablet enrolled as the KP01 collaborator against the live server."""
    store = LocalStore.in_dir(tmp_path / "tablet")
    code = enrollment.create_code(app.state.db, 1, None, app.state.clock(), 1, live.url, with_qr=False)
    out = SyncClient(live.url).enroll(code["code"], "Tab KP01")
    store.set(server_url=live.url, token=out["token"], device_id=out["device_id"])
    yield store
    store.close()


def test_the_tablet_shows_support_and_needs_offline_and_sends_a_need(client, db, ward, officer, partners, tablet):
    hs = partners["health_station"]
    assert client.post(f"/api/v1/programme/households/{ward.poor}/deliveries", json=delivery(amount_vnd=None),
                       headers=bearer(hs)).status_code == 201
    assert client.post(f"/api/v1/programme/households/{ward.poor}/needs", json={"need_type": "housing"},
                       headers=bearer(officer)).status_code == 201
    worker = SyncWorker(lambda: tablet, lambda _p: None)
    assert worker.run_once(tablet).phase == "done"
    # from here the tablet is offline: its server address answers nothing
    from tests.live import _free_port
    online = tablet.get("server_url")
    tablet.set(server_url=f"http://127.0.0.1:{_free_port()}")
    p = SupportPresenter(tablet, today=lambda: dt.date(2025, 12, 15))
    p.open(ward.poor)
    assert p.received == ["05/11/2025 · Cấp thẻ bảo hiểm y tế · 1 thẻ · Lê Thị Hoa · Trạm Y tế phường"]
    assert p.needs == ["15/12/2025 · Nhà ở không an toàn · Ủy ban MTTQ Việt Nam và các tổ chức chính trị - xã hội phường"]
    # a household of another group never reaches this tablet
    assert tablet.conn.execute("SELECT COUNT(*) FROM support_views WHERE household_id = ?",
                               (ward.escaped_kp02,)).fetchone()[0] == 0
    # offline: a need noted at the door is kept, and shown as waiting
    assert p.add_need("job", None, "") is False and "chọn thành viên" in p.error
    assert p.add_need("job", "m1", "muốn làm bảo vệ") is True
    assert any("Cần việc làm · Trần Văn Nam · (chờ gửi)" in n for n in p.needs)
    assert len(pending_needs(tablet)) == 1
    # a sync while offline fails and keeps it; nothing reached the office
    assert worker.run_once(tablet).phase == "error"
    assert len(pending_needs(tablet)) == 1
    assert db.value("SELECT COUNT(*) FROM needs WHERE household_id = ? AND need_type = 'job'", (ward.poor,)) == 0
    p.refresh()
    assert any("Cần việc làm · Trần Văn Nam · (chờ gửi)" in n for n in p.needs)
    assert p.received == ["05/11/2025 · Cấp thẻ bảo hiểm y tế · 1 thẻ · Lê Thị Hoa · Trạm Y tế phường"]
    tablet.set(server_url=online)
    # back online: the next sync sends it; the office sees it as noted by the collaborator; the tablet shows the server's copy
    assert worker.run_once(tablet).phase == "done"
    assert pending_needs(tablet) == []
    row = db.one("SELECT need_type, member_id, source, note FROM needs WHERE household_id = ? AND need_type = 'job'",
                 (ward.poor,))
    assert tuple(row) == ("job", "m1", "collaborator", "muốn làm bảo vệ")
    p.refresh()
    assert any(n.startswith("15/12/2025 · Cần việc làm · Trần Văn Nam") and "chờ gửi" not in n for n in p.needs)
    # resending is safe: nothing doubles
    assert worker.run_once(tablet).phase == "done"
    assert db.value("SELECT COUNT(*) FROM needs WHERE household_id = ? AND need_type = 'job'", (ward.poor,)) == 1
