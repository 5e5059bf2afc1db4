"""Report numbers against direct SQL on the database (an independent path: JSON functions over the
stored bodies and classification results), the movement identity on a two-year ward, and the
XLSX / CSV exports read back."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid

import openpyxl
import pytest

from server.process.results import reader
from server.store import facts
from server.reports import service
from server.reports.builders import Scope, iter_named
from server.reports.layouts import LayoutError, _check, load_layouts
from server.reports.builders import METRICS

from tests.process.helpers import GROUPS, QN, NATIONAL, at, load, run_round, two_year_ward, valid_docs
from tests.server.helpers import bearer

NOW = at(2025, 12, 15)
CLS = "json_extract(h.classes, '$.\"{std}\"')"


@pytest.fixture
def ward(db):
    load(db, valid_docs(300, seed=11), NOW)
    return db


def sql_overall(db, std, group=None):
    """Per group from the raw tables: households, persons, poor, near-poor, average farm households."""
    cls = CLS.format(std=std)
    rows = db.all(f"""SELECT g.code, COUNT(*) AS households,
        SUM(json_array_length(s.body, '$.answers.members')) AS persons,
        SUM({cls} = 'poor') AS poor, SUM({cls} = 'near_poor') AS near_poor,
        SUM({cls} = 'average' AND json_extract(s.body, '$.answers.livelihood') IN
            ('agriculture', 'forestry', 'fishery', 'salt')) AS average_farm
        FROM households h JOIN area_groups g ON g.id = h.group_id
        JOIN submissions s ON s.submission_id = h.submission_id GROUP BY g.code ORDER BY g.code""")
    return {r["code"]: dict(r) for r in rows}


@pytest.mark.parametrize("std", [QN, NATIONAL])
def test_overall_matches_sql(ward, std):
    db = ward
    rep = service.report_json(db, "overall", 2025, std)
    want = sql_overall(db, std)
    for row in rep["rows"]:
        if row["group_code"] not in want:          # a group of the ward without households (e.g. KP07)
            assert row["households"] == 0 and row["poor"] == 0, row
            continue
        w = want[row["group_code"]]
        for k in ("households", "persons", "poor", "near_poor", "average_farm"):
            assert row[k] == w[k], (row["group_code"], k)
        assert row["poor_rate"] == round(100 * w["poor"] / w["households"], 2)
    assert rep["total"]["households"] == 300
    assert rep["total"]["poor"] == sum(w["poor"] for w in want.values())
    one = service.report_json(db, "overall", 2025, std, group="KP03")
    assert [r["group_code"] for r in one["rows"]] == ["KP03"] and one["total"]["poor"] == want["KP03"]["poor"]


def test_indicators_and_groups_match_sql(ward):
    db = ward
    rep = service.report_json(db, "indicators_poor", 2025, QN)
    for n in range(1, 13):
        want = db.value("""SELECT COUNT(*) FROM households h JOIN classifications c ON c.submission_id = h.submission_id
            AND c.standard_id = ? AND c.class = 'poor', json_each(c.result, '$.indicators') i
            WHERE json_extract(i.value, '$.number') = ? AND json_extract(i.value, '$.deprived') = 1""", (QN, n))
        assert rep["total"][f"ind_{n}"] == want, n
    assert rep["total"]["base"] == sum(r["poor"] for r in sql_overall(db, QN).values())
    g = service.report_json(db, "groups_near_poor", 2025, QN)["total"]
    members = """FROM households h JOIN submissions s ON s.submission_id = h.submission_id,
        json_each(s.body, '$.answers.members') m WHERE json_extract(h.classes, '$."{std}"') = 'near_poor'"""
    eth = db.value(f"SELECT COUNT(DISTINCT h.household_id) {members.format(std=QN)} "
                   "AND json_extract(m.value, '$.ethnic_minority') = 1")
    merit = db.value(f"SELECT COUNT(DISTINCT h.household_id) {members.format(std=QN)} "
                     "AND json_extract(m.value, '$.person_of_merit') = 1")
    assert (g["ethnic_minority"], g["person_of_merit"]) == (eth, merit)
    assert g["other"] <= g["base"] and g["no_labour"] <= g["base"]


def test_movement_identity_on_a_two_year_ward(db):
    two_year_ward(db, 240)
    before = {k: service.report_json(db, f"movement_{k}", 2025, QN) for k in ("poor", "near_poor")}
    assert before["poor"]["meta"]["basis"] == "classification"
    d = run_round(db, 2025, QN, dt.date(2025, 12, 10), NOW)
    for k in ("poor", "near_poor"):
        rep = service.report_json(db, f"movement_{k}", 2025, QN)
        assert rep["meta"]["basis"] == "decision"
        for r in (*rep["rows"], rep["total"]):
            assert r["end"] == r["start"] - r["decreases"] + r["increases"]
        t = rep["total"]
        start = db.value("SELECT COUNT(*) FROM household_status_history WHERE round = 2024 AND status = ?", (k,))
        end = db.value("SELECT COUNT(*) FROM decision_households WHERE decision_id = ? AND list = ?", (d["id"], k))
        escaped = db.value("SELECT COUNT(*) FROM decision_households WHERE decision_id = ? AND list = ?",
                           (d["id"], "escaped_poverty" if k == "poor" else "escaped_near_poverty"))
        assert (t["start"], t["end"], t["escaped"]) == (start, end, escaped)
        assert t["start"] > 0 and t["decreases"] > 0 and t["increases"] > 0
        # everyone agreed at the meetings: the preview before the decision said the same
        assert before[k]["total"] == t


def _sheet_table(ws):
    """The column codes and the data rows (the total row included; the signature block below the
    table, whose first cell is empty, left out)."""
    rows = list(ws.iter_rows(values_only=True))
    codes = rows[4]
    data = []
    for r in rows[5:]:
        if r[0] in (None, ""):
            break
        data.append(r)
    return codes, data


def test_xlsx_and_csv_match_the_database(ward, tmp_path):
    db = ward
    run_round(db, 2025, QN, dt.date(2025, 12, 10), NOW)
    path, name, totals = service.xlsx_file(db, 2025, QN, directory=str(tmp_path))
    assert name.endswith(".xlsx")
    wb = openpyxl.load_workbook(path, read_only=True)
    layouts = load_layouts()
    assert wb.sheetnames[:7] == [lay["sheet"]["vi"] for lay in list(layouts.values())[:7]]
    codes, rows = _sheet_table(wb["Tổng hợp"])
    assert list(codes) == [c["code"] for c in layouts["overall"]["columns"]]
    want = sql_overall(db, QN)
    by_name = {r[0]: r for r in rows}
    col = {c["metric"]: i for i, c in enumerate(layouts["overall"]["columns"])}
    names = {r["code"]: r["name"] for r in db.all("SELECT code, name FROM area_groups")}
    for code, w in want.items():
        r = by_name[names[code]]
        assert (r[col["households"]], r[col["persons"]], r[col["poor"]], r[col["near_poor"]]) == \
               (w["households"], w["persons"], w["poor"], w["near_poor"])
    assert rows[-1][col["poor"]] == sum(w["poor"] for w in want.values())
    # named lists: one sheet per list, each row one household of the decision
    n_poor = db.value("SELECT COUNT(*) FROM decision_households WHERE list = 'poor'")
    _, poor_rows = _sheet_table(wb["Hộ nghèo"])
    assert len(poor_rows) == n_poor and [r[0] for r in poor_rows] == list(range(1, n_poor + 1))
    ids = {r[-1] for r in poor_rows}
    assert ids == {r[0] for r in db.all("SELECT household_id FROM decision_households WHERE list = 'poor'")}
    wb.close()
    # CSV of the same report, and of the named lists
    chunks, _ = service.csv_stream(db, "overall", 2025, QN)
    text = "".join(chunks)
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert table[1] == [c["code"] for c in layouts["overall"]["columns"]]
    assert int(table[-1][col["poor"]]) == sum(w["poor"] for w in want.values())
    chunks, _ = service.csv_stream(db, "named_lists", 2025, QN, list_name="near_poor")
    near = list(csv.reader(io.StringIO("".join(chunks).lstrip("\ufeff"))))[2:]
    assert len(near) == db.value("SELECT COUNT(*) FROM decision_households WHERE list = 'near_poor'")


def test_named_lists_follow_results_before_the_decision(ward):
    db = ward
    facts.refresh(db)
    ward_id = db.value("SELECT id FROM wards")
    with reader(db) as conn:
        assert list(iter_named(conn, Scope(2025, QN, ward_id))) == []      # nothing met yet: nothing settled
    m_rows = service.named_rows(db, 2025, QN, limit=5)
    assert m_rows["rows"] == [] and m_rows["next"] is None


def test_facts_refresh_is_incremental(ward):
    db = ward
    assert facts.refresh(db) == 300
    assert facts.refresh(db) == 0
    db.conn.execute("UPDATE households SET group_id = (SELECT id FROM area_groups WHERE code = 'KP02') "
                    "WHERE household_id = (SELECT household_id FROM households LIMIT 1)")
    assert facts.refresh(db) == 1


def test_layouts_are_data_and_checked():
    layouts = load_layouts()
    assert set(layouts) >= {"overall", "movement_poor", "indicators_poor", "groups_poor", "named_lists"}
    for lay in layouts.values():
        assert "[U]" in lay["unconfirmed"]["vi"] and "[U]" in lay["unconfirmed"]["en"]
        assert len(lay["sheet"]["vi"]) <= 31
    bad = json.loads(json.dumps(layouts["overall"]))
    bad["columns"][1]["metric"] = "nope"
    with pytest.raises(LayoutError, match="unknown metric 'nope'"):
        _check(bad, "overall.json", METRICS)


def test_api_json_and_downloads(client, officer, viewer, ward):
    h = bearer(viewer)
    r = client.get("/api/v1/reports", headers=h)
    assert r.status_code == 200 and len(r.json()["reports"]) == len(load_layouts())
    r = client.get("/api/v1/reports/overall", params={"standard_id": QN, "round": 2025}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["total"]["households"] == 300
    r = client.get("/api/v1/reports/overall/download", params={"standard_id": QN, "round": 2025, "format": "xlsx"},
                   headers=h)
    assert r.status_code == 200 and r.content[:2] == b"PK"
    r = client.get("/api/v1/reports/groups_poor/download", params={"standard_id": QN, "round": 2025, "format": "csv"},
                   headers=h)
    assert r.status_code == 200 and "text/csv" in r.headers["content-type"]
    assert client.get("/api/v1/reports/nope", params={"standard_id": QN}, headers=h).json()["error"]["code"] == \
        "unknown_report"
    assert client.get("/api/v1/reports/overall", params={"standard_id": QN}).status_code == 401
    # process API: viewers read, officers write
    r = client.get("/api/v1/process/candidates", params={"standard_id": QN, "group": "KP01", "round": 2025}, headers=h)
    assert r.status_code == 200 and r.json()["households"]
    body = {"round": 2025, "standard_id": QN, "group": "KP01", "held_on": "2025-11-20"}
    assert client.post("/api/v1/process/meetings", json=body, headers=h).status_code == 403
    r = client.post("/api/v1/process/meetings", json=body, headers=bearer(officer))
    assert r.status_code == 201, r.text
    m = r.json()
    votes = [{"household_id": it["household_id"], "agree": 5} for it in m["items"]]
    r = client.post(f"/api/v1/process/meetings/{m['id']}/votes", json={"attendees": 11, "votes": votes},
                    headers=bearer(officer))
    assert r.status_code == 200 and {x["outcome"] for x in r.json()["results"]} == {"re_review"}
    hid = votes[0]["household_id"]
    r = client.get(f"/api/v1/process/households/{hid}/status-history", headers=h)
    assert r.json()["meetings"][0]["outcome"] == "re_review"


# --- duplicates count once -------------------------------------------------------------------------

def _totals(db):
    return (service.report_json(db, "overall", 2025, QN)["total"],
            service.report_json(db, "movement_poor", 2025, QN)["total"])


def test_auto_linked_duplicates_count_once_until_the_link_is_undone(ward):
    from server.dedup import review
    from server.reports.duplicates import merged_away
    db = ward
    overall0, move0 = _totals(db)
    docs = {d["household_id"]: d for d in valid_docs(300, seed=11)}     # the fixture's households
    poor = db.value(f"SELECT household_id FROM households h WHERE {CLS.format(std=QN)} = 'poor' "
                    "ORDER BY household_id LIMIT 1")
    dup = json.loads(json.dumps(docs[poor]))
    dup["household_id"] = str(uuid.uuid4())          # the same household surveyed again under a new id
    dup["collected_at"] = "2025-12-14"
    load(db, [dup], NOW)
    link = db.one("SELECT id, source FROM dedup_links WHERE undone_at IS NULL AND ? IN (a, b)", (dup["household_id"],))
    assert link is not None and link["source"] == "auto"
    assert db.value("SELECT COUNT(*) FROM households") == 301
    with reader(db) as conn:
        assert merged_away(conn) == {poor: dup["household_id"]}        # the most recent record survives

    overall1, move1 = _totals(db)
    assert overall1 == overall0                                        # counted once, not twice
    assert move1 == move0 and move1["new"] > 0
    assert service.report_json(db, "overall", 2025, QN)["meta"]["merged_away"] == 1
    for k in ("indicators_poor", "groups_poor"):
        assert service.report_json(db, k, 2025, QN)["total"]["base"] == overall0["poor"]

    with db.write() as conn:
        review.undo_link(conn, link["id"], "user:2", "2025-12-15T05:00:00.000+00:00", "hai hộ khác nhau")
    overall2, move2 = _totals(db)
    assert overall2["households"] == overall0["households"] + 1        # two households again
    assert overall2["poor"] == overall0["poor"] + 1
    assert move2["end"] == move0["end"] + 1 and move2["new"] == move0["new"] + 1
    assert service.report_json(db, "overall", 2025, QN)["meta"]["merged_away"] == 0


def test_an_officer_merge_counts_once_and_keeps_the_most_recent_record(ward):
    from server.dedup import review
    db = ward
    overall0, move0 = _totals(db)
    a, b = [r[0] for r in db.all(f"SELECT household_id FROM households h WHERE {CLS.format(std=QN)} = 'poor' "
                                 "ORDER BY household_id LIMIT 2")]
    with db.write() as conn:   # an officer decides two different-looking records are one household
        review._add_link(conn, a, b, "human", "user:2", "2025-12-15T05:00:00.000+00:00")
    overall1, move1 = _totals(db)
    assert overall1["households"] == overall0["households"] - 1 and overall1["poor"] == overall0["poor"] - 1
    assert move1["end"] == move0["end"] - 1
    newer = db.value("SELECT h.household_id FROM households h JOIN submissions s ON s.submission_id = h.submission_id "
                     "WHERE h.household_id IN (?, ?) ORDER BY s.collected_at DESC, h.updated_at DESC, "
                     "h.household_id DESC LIMIT 1", (a, b))
    with reader(db) as conn:
        from server.reports.duplicates import merged_away
        assert merged_away(conn) == {({a, b} - {newer}).pop(): newer}
    path, _, totals = service.xlsx_file(db, 2025, QN)
    try:
        assert totals["overall"]["households"] == overall1["households"]
        assert totals["movement_poor"]["end"] == move1["end"]
    finally:
        import os
        os.unlink(path)


def test_a_household_declared_split_off_is_not_a_duplicate_of_its_parent(ward):
    db = ward
    overall0, _ = _totals(db)
    docs = {d["household_id"]: d for d in valid_docs(300, seed=11)}
    parent = db.value(f"SELECT household_id FROM households h WHERE {CLS.format(std=QN)} = 'poor' "
                      "ORDER BY household_id LIMIT 1")
    child = json.loads(json.dumps(docs[parent]))
    child["household_id"] = str(uuid.uuid4())
    child["lifecycle"] = {"event": "split_from", "related_household_id": parent}
    load(db, [child], NOW)
    # dedup never links a household with the one it declared it split off (issue 19) ...
    assert not db.one("SELECT 1 FROM dedup_links WHERE undone_at IS NULL AND ? IN (a, b)", (parent,))
    # ... and should a link exist between them anyway (a person linked them), the report still counts two
    from server.dedup import review as dedup_review
    with db.write() as conn:
        dedup_review._add_link(conn, parent, child["household_id"], "human", "user:1", "2025-12-15T00:00:00Z")
    assert db.one("SELECT 1 FROM dedup_links WHERE undone_at IS NULL AND ? IN (a, b)", (parent,))  # linked...
    overall1, _ = _totals(db)
    assert overall1["households"] == overall0["households"] + 1          # ...yet two households
    assert service.report_json(db, "overall", 2025, QN)["meta"]["merged_away"] == 0
