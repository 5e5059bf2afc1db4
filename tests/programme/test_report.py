"""Targets from data and the year-end report: a partner's delivery moves the targets and the report; the
XLSX read back cell by cell equals the printable page."""
from __future__ import annotations

import copy
import io
import json
from html.parser import HTMLParser

import openpyxl

from server.programme import report
from tests.server.helpers import push_body, submission

from .helpers import bearer, delivery


def _survey_all(client, db, device, ward, poor_head=None):
    """The 2025 round: the collaborator re-sends the three KP01 households as they are."""
    docs = []
    for hid in (ward.poor, ward.escaped, ward.other):
        body = db.value("SELECT s.body FROM households h JOIN submissions s ON s.submission_id = h.submission_id "
                        "WHERE h.household_id = ?", (hid,))
        doc = copy.deepcopy(json.loads(body)["answers"])
        doc.pop("preloaded_from", None)
        if poor_head and hid == ward.poor:
            doc["members"][0]["full_name"] = poor_head
        docs.append(doc)
    content, h = push_body([submission(d, revision=2, base=1) for d in docs])
    r = client.post("/api/v1/sync/push", content=content, headers={**h, **bearer(device)})
    assert {x["status"] for x in r.json()["results"]} == {"accepted"}, r.text


def _target(data, tid):
    return next(t for t in data["targets"] if t["id"] == tid)


def test_a_partner_delivery_reaches_the_targets_and_the_year_end_report(client, db, ward, partners, officer, device):
    _survey_all(client, db, device, ward)
    t0 = client.get("/api/v1/programme/targets", params={"year": 2025}, headers=bearer(officer)).json()
    hi = _target(t0, "health_insurance")
    # members of poor and escaped households (KP01: 5, 4 insured; KP02's escaped household, not yet re-surveyed,
    # counts with its register answers: 1, insured): the poor household's spouse has no card
    assert (hi["part"], hi["whole"], hi["met"]) == (5, 6, False)
    assert [(b["household_id"], b["person_name"]) for b in hi["blocking"]] == [(ward.poor, "Lê Thị Hoa")]
    kp01 = next(g for g in hi["per_group"] if g["group_code"] == "KP01")
    assert (kp01["part"], kp01["whole"], kp01["value"]) == (4, 5, 80.0)
    housing = _target(t0, "safe_housing")
    assert (housing["part"], housing["whole"]) == (1, 2) and [b["household_id"] for b in housing["blocking"]] == [ward.escaped]
    work = _target(t0, "stable_work")
    assert work["blocking"][0]["person_name"] == "Phạm Văn Đức" and work["blocking"][0]["reason_vi"] == "Chưa có việc làm"
    income = _target(t0, "income")
    assert income["measured"] is False and "lương tối thiểu vùng" in income["note_vi"]
    # the health station delivers the card; the front repairs the house
    assert client.post(f"/api/v1/programme/households/{ward.poor}/deliveries", json=delivery(),
                       headers=bearer(partners["health_station"])).status_code == 201
    assert client.post(f"/api/v1/programme/households/{ward.escaped}/deliveries", headers=bearer(partners["fatherland_front"]),
                       json=delivery(support_type="housing", member_id=None, amount_vnd=30_000_000,
                                     fund="socialised")).status_code == 201
    t1 = client.get("/api/v1/programme/targets", params={"year": 2025}, headers=bearer(officer)).json()
    assert (_target(t1, "health_insurance")["part"], _target(t1, "health_insurance")["met"]) == (6, True)
    assert _target(t1, "safe_housing")["met"] is True
    # the officer enters the year's goals and income line: the income target is now measured
    put = client.put("/api/v1/programme/targets/2025", json={"values": {"health_insurance": 95, "income_line_vnd": 4_960_000},
                                                             "note": "văn bản của tỉnh"}, headers=bearer(officer))
    assert put.status_code == 200, put.text
    t2 = client.get("/api/v1/programme/targets", params={"year": 2025}, headers=bearer(officer)).json()
    assert _target(t2, "health_insurance")["goal"] == 95 and _target(t2, "income")["measured"] is True
    # one goal, two pages: the cycle's targets page reads the same entry (its plan_targets table)
    from server.cycle import plan_targets
    assert plan_targets.current(db.conn, 2025, "vn-national-2022-2025")["health_insurance"]["value"] == 95
    bad = client.put("/api/v1/programme/targets/2025", json={"values": {"health_insurance": 130, "nonsense": 1}},
                     headers=bearer(officer))
    assert bad.status_code == 422 and {d["path"] for d in bad.json()["error"]["details"]} == {
        "body.values.health_insurance", "body.values.nonsense"}
    # a partner sees the figures but not who blocks them
    tp = client.get("/api/v1/programme/targets", params={"year": 2025}, headers=bearer(partners["health_station"])).json()
    assert all(t["blocking"] == [] for t in tp["targets"])
    # the year-end report: by section and by body
    rep = client.get("/api/v1/programme/report", params={"year": 2025}, headers=bearer(officer)).json()
    tables = {t["id"]: t for t in rep["tables"]}
    body_rows = {r[1]: r for r in tables["by_body"]["rows"]}
    assert body_rows["Trạm Y tế phường"][2:6] == [1, 1, 1, 0]
    assert body_rows["Ủy ban MTTQ Việt Nam và các tổ chức chính trị - xã hội phường"][2:6] == [1, 1, 0, 30_000_000]
    sec = {r[1]: r for r in tables["by_section"]["rows"]}
    assert sec["Cấp thẻ bảo hiểm y tế"][3:6] == [1, 1, 1]
    assert tables["by_section"]["total"][3:7] == [2, 2, 1, 30_000_000]
    assert client.get("/api/v1/programme/report", params={"year": 2025},
                      headers=bearer(partners["health_station"])).status_code == 403


class _Tables(HTMLParser):
    """Every <table id="t-…"> of the page as rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._id = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and (a.get("id") or "").startswith("t-"):
            self._id = a["id"][2:]
            self.tables[self._id] = []
        elif self._id and tag == "tr":
            self._row = []
        elif self._id and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._id = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._id:
            self.tables[self._id].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_the_xlsx_read_back_equals_the_printable_page(app, client, db, ward, partners, officer, device):
    _survey_all(client, db, device, ward, poor_head="=SUM(1,2) Trần Văn Nam")      # a name typed as a formula
    for kw in (delivery(), delivery(support_type="health_care", member_id="m1", fund="no_cost", amount_vnd=250000)):
        assert client.post(f"/api/v1/programme/households/{ward.poor}/deliveries", json=kw,
                           headers=bearer(partners["health_station"])).status_code == 201
    camp = client.post("/api/v1/programme/fund/campaigns", json={"name": "=HYPERLINK(\"x\")", "starts_on": "2025-10-01"},
                       headers=bearer(officer)).json()["id"]
    client.post("/api/v1/programme/fund/contributions", json={"campaign_id": camp, "donor_name": "+cmd|' /C calc'!A0",
                                                              "amount_vnd": 2_000_000, "received_on": "2025-10-02"},
                headers=bearer(officer))
    client.post(f"/api/v1/programme/households/{ward.escaped}/deliveries", headers=bearer(partners["fatherland_front"]),
                json=delivery(support_type="essentials", member_id=None, amount_vnd=1_234_567, fund="fund_for_poor"))
    client.cookies.set("rasoat_session", officer)
    page = client.get("/console/programme/report", params={"year": 2025})
    assert page.status_code == 200
    parsed = _Tables()
    parsed.feed(page.text)
    x = client.get("/console/programme/report.xlsx", params={"year": 2025})
    assert x.status_code == 200 and x.content[:2] == b"PK"
    wb = openpyxl.load_workbook(io.BytesIO(x.content))
    data = report.build(app.state.db, 2025, app.state.clock().date())
    compared = assert_xlsx_matches_page(page.text, x.content, report.tables(data), 2025)
    assert compared > 40
    names = [c.value for c in wb["Hộ chưa đạt"]["C"]]
    assert "=SUM(1,2) Trần Văn Nam" in names                # kept as the text it is
    # figures a person checks: the health station's two deliveries to two persons, 250.000 đồng
    body = next(r for r in parsed.tables["by_body"] if r[1] == "Trạm Y tế phường")
    assert body[2:6] == ["2", "1", "2", "250.000"]
    fund = {r[0]: r[1] for r in parsed.tables["fund"][1:]}
    assert fund["Vận động được trong năm"] == "2.000.000" and fund["Số dư Quỹ"] == "765.433"


def _shown(c) -> str:
    """How a sheet cell reads on the page: a percentage is a number with one decimal (format 0.0), a count
    or amount a whole number with thousands dots, text as it is."""
    if isinstance(c.value, str):
        return c.value
    return report.cell_text(float(c.value) if c.number_format == "0.0" else int(c.value))


def assert_xlsx_matches_page(page_html: str, xlsx: bytes, tables: list, year: int) -> int:
    """Every sheet of the XLSX, in the page's order, against the printable page: on each every row and every
    cell (the page shows the first PAGE_ROWS rows of a table and says how many more the file holds), its
    notes below it, nothing else, no formula. Returns the rows compared."""
    import html

    from server.programme.web import PAGE_ROWS
    page_text = html.unescape(page_html)
    parsed = _Tables()
    parsed.feed(page_html)
    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert set(parsed.tables) == {t["id"] for t in tables}             # no table only in one of them
    assert [ws.cell(2, 1).value for ws in wb.worksheets] == [t["title"] for t in tables]
    compared = 0
    for ws, tbl in zip(wb.worksheets, tables):
        page_rows = parsed.tables[tbl["id"]]
        assert ws.cell(1, 1).value == report.TITLE.format(year=year) and ws.cell(3, 1).value == report.NOTE
        total = [tbl["total"]] if tbl["total"] else []
        width = len(tbl["columns"])
        n_sheet = 1 + len(tbl["rows"]) + len(total)                     # heading, rows, total
        sheet = [[_shown(c) for c in row[:width]] for row in ws.iter_rows(min_row=4, max_row=3 + n_sheet)]
        assert all(c.value is None for row in ws.iter_rows(min_row=4, max_row=3 + n_sheet) for c in row[width:])
        if len(tbl["rows"]) <= PAGE_ROWS:
            assert sheet == page_rows, tbl["id"]
        else:                                                           # the page: the first rows and the total
            assert page_rows == sheet[:1 + PAGE_ROWS] + sheet[n_sheet - len(total):], tbl["id"]
            more = f"{len(tbl['rows']) - PAGE_ROWS:,}".replace(",", ".")
            assert f"… và {more} dòng nữa trong tệp Excel." in page_text, tbl["id"]
        # below the table: its notes only (a blank row before each), the same as the page's
        below = [[c.value for c in row] for row in ws.iter_rows(min_row=4 + n_sheet)]
        notes = [r[0] for r in below if r and r[0] is not None]
        assert notes == tbl["notes"] and all(n in page_text for n in notes), tbl["id"]
        assert all(all(v is None for v in r[1:]) for r in below)
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)      # nothing is a formula
        compared += len(page_rows)
    return compared
