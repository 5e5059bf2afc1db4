"""Every export is safe in Excel: names, streets and group names starting with =, +, -, @, tab or CR
come out as the text that was typed, never as a formula (issue 18).

The households are pushed like any tablet's work; the tab and CR values are written into the stored
rows directly (validation now refuses them in names, so only data stored before that rule holds them).
Every file is read back the way a person receives it: the XLSX with openpyxl (no cell is a formula,
the exact text is there), the CSV with the csv module (every such field neutralised with a leading
apostrophe, the rest of the text kept).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import openpyxl
import pytest

from shared.classify import classify_all

from server import exportsafe
from server.reports import service
from server.reports.layouts import load_layouts
from server.process.results import LISTS
from server.process.eligibility import write_xlsx

from tests.process.helpers import QN, at, load, run_round, valid_docs
from tests.server.conftest import session_token
from tests.server.helpers import bearer

NOW = at(2025, 12, 15)
PAYLOADS = ('=HYPERLINK("http://e.vn","Bấm")', "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+2 Tab", "\r=1+2 CR")
TYPED = PAYLOADS[:4]            # what a tablet can still push; the last two are written into stored rows
POLICIES = ("health_insurance", "policy_credit", "vocational_training", "tuition", "electricity", "housing",
            "legal_aid")


def test_cell_neutralises_formula_starts_and_keeps_the_rest():
    for p in PAYLOADS:
        assert exportsafe.cell(p) == "'" + p
    for v in ("Nguyễn Văn A", "12/3A", "", "a=b", " =x"):
        assert exportsafe.cell(v) == v
    for v in (-3, 2.5, None, "-1.50", "+5", "-7"):          # numbers, and text that is only a number
        assert exportsafe.cell(v) == v
    assert exportsafe.cell("-1.5e3") == "'-1.5e3" and exportsafe.cell("=1") == "'=1"


@pytest.fixture
def hostile_ward(db):
    docs = valid_docs(100, seed=23)
    # The households that reach the named lists (poor or near-poor under QN) carry the payloads.
    listed = [h for h in docs if any(r["standard_id"] == QN and r["class"] in ("poor", "near_poor")
                                     for r in classify_all(h))]
    assert len(listed) >= 2 * len(PAYLOADS), len(listed)
    for i, h in enumerate(listed):
        head = next(m for m in h["members"] if m["relation"] == "head")
        head["full_name"] = TYPED[i % len(TYPED)] + f" {i}"
        h.setdefault("address", {})["house_number"] = TYPED[(i + 1) % len(TYPED)]
    load(db, docs, NOW)
    # Values stored before control characters were refused: tab and CR at the start of a name.
    for n, p in enumerate(PAYLOADS[4:]):
        for h in listed[n::2][:2]:
            idx = next(i for i, m in enumerate(h["members"]) if m["relation"] == "head")
            db.conn.execute("UPDATE submissions SET body = json_set(json_set(body, ?, ?), '$.answers.address.house_number', ?)"
                            " WHERE household_id = ?", (f"$.answers.members[{idx}].full_name", p + " x", p,
                                                        h["household_id"]))
            db.conn.execute("UPDATE households SET head_name = ? WHERE household_id = ?", (p + " x", h["household_id"]))
    db.conn.execute("UPDATE area_groups SET name = ? WHERE code = 'KP01'", ("=HYPERLINK(\"http://x/\",\"KP\")",))
    db.conn.execute("UPDATE area_groups SET name = ? WHERE code = 'KP02'", ("\t@KP2",))
    run_round(db, 2025, QN, dt.date(2025, 12, 10), NOW)
    return db


def _check_xlsx(data: bytes | Path) -> list[str]:
    """Every string cell of every sheet; fails on any formula cell."""
    wb = openpyxl.load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data)
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", f"{ws.title}!{c.coordinate} is a formula: {c.value!r}"
                if isinstance(c.value, str):
                    # xlsxwriter stores CR as the OOXML escape _x000D_, which Excel shows as CR and
                    # openpyxl leaves escaped
                    texts.append(c.value.replace("_x000D_", "\r"))
    # openpyxl reads a formula cell as type 'f'; double-check by the raw XML: no <f> element at all
    import zipfile
    with zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    return texts


def _check_csv(text: str) -> list[str]:
    """Every field; fails on a field Excel would evaluate."""
    fields = [f for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for f in row]
    for f in fields:
        if f.startswith(exportsafe.FORMULA_PREFIXES):
            assert exportsafe._PLAIN_NUMBER.fullmatch(f), f"CSV field would be evaluated: {f!r}"
    return fields


def _has_all(texts: list[str], wanted: tuple[str, ...], prefix: str = "") -> None:
    for p in wanted:
        assert any(t.startswith(prefix + p) for t in texts), (p, prefix)


def test_workbook_and_every_report_xlsx(hostile_ward, client, viewer, tmp_path):
    db = hostile_ward
    path, _, _ = service.xlsx_file(db, 2025, QN, directory=str(tmp_path))
    texts = _check_xlsx(Path(path))
    _has_all(texts, PAYLOADS)                         # names and streets kept exactly as typed
    assert '=HYPERLINK("http://x/","KP")' in texts and "\t@KP2" in texts      # group names too
    h = bearer(viewer)
    r = client.get("/api/v1/reports/workbook.xlsx", params={"standard_id": QN, "round": 2025}, headers=h)
    assert r.status_code == 200
    _has_all(_check_xlsx(r.content), PAYLOADS)
    for report_id in load_layouts():
        r = client.get(f"/api/v1/reports/{report_id}/download", params={"standard_id": QN, "round": 2025,
                                                                         "format": "xlsx"}, headers=h)
        assert r.status_code == 200, (report_id, r.text[:300])
        _check_xlsx(r.content)


def test_every_report_and_list_csv(hostile_ward, client, viewer):
    h = bearer(viewer)
    seen: list[str] = []
    for report_id, layout in load_layouts().items():
        lists = (None, *LISTS) if layout["builder"] == "named_lists" else (None,)
        for lst in lists:
            params = {"standard_id": QN, "round": 2025, "format": "csv"}
            if lst:
                params["list"] = lst
            r = client.get(f"/api/v1/reports/{report_id}/download", params=params, headers=h)
            assert r.status_code == 200, (report_id, lst, r.text[:300])
            seen += _check_csv(r.text)
    _has_all(seen, PAYLOADS, prefix="'")             # neutralised, the typed text after the apostrophe
    assert "'=HYPERLINK(\"http://x/\",\"KP\")" in seen


def test_console_downloads(hostile_ward, app, client):
    client.cookies.set("rasoat_session", session_token(app, "viewer"))
    r = client.get("/console/reports/workbook.xlsx", params={"standard_id": QN, "round": 2025})
    assert r.status_code == 200, r.text[:300]
    _has_all(_check_xlsx(r.content), PAYLOADS)
    r = client.get("/console/reports/download/named_lists", params={"standard_id": QN, "round": 2025,
                                                                   "format": "csv"})
    assert r.status_code == 200
    _has_all(_check_csv(r.text), PAYLOADS, prefix="'")
    seen: list[str] = []
    for policy in POLICIES:
        r = client.get("/console/cycle/eligibility.xlsx", params={"policy": policy, "standard": QN})
        assert r.status_code == 200, (policy, r.text[:300])
        seen += _check_xlsx(r.content)
    _has_all(seen, PAYLOADS)


def test_eligibility_xlsx_api(hostile_ward, client, officer):
    seen: list[str] = []
    for policy in POLICIES:
        r = client.get("/api/v1/cycle/eligibility.xlsx", params={"policy": policy, "standard_id": QN,
                                                                  "on": "2025-12-20"}, headers=bearer(officer))
        assert r.status_code == 200, (policy, r.text[:300])
        seen += _check_xlsx(r.content)
    _has_all(seen, PAYLOADS)


def test_dedup_links_csv(tmp_path):
    """``rasoat dedup`` writes household ids and reasons from the input file: the same neutraliser."""
    from server.cli import main
    docs = valid_docs(6, seed=3)
    for i, h in enumerate(docs):
        h["household_id"] = PAYLOADS[i % len(PAYLOADS)] + f"-{i}"
    docs.append(json.loads(json.dumps(docs[0])))
    docs[-1]["household_id"] = "=copy-of-0"
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in docs), encoding="utf-8")
    out, clusters = tmp_path / "links.csv", tmp_path / "clusters.csv"
    assert main(["dedup", "--input", str(src), "--output", str(out), "--clusters", str(clusters)]) == 0
    def read(p: Path) -> str:
        with open(p, encoding="utf-8", newline="") as fh:      # keep a CR inside a field
            return fh.read()
    _has_all(_check_csv(read(clusters)), PAYLOADS, prefix="'")
    _has_all(_check_csv(read(out)), PAYLOADS[:1], prefix="'")


def test_every_writer_goes_through_exportsafe():
    """A new CSV/XLSX writer must use server/exportsafe.py (this fails on a bare csv.writer/xlsxwriter)."""
    root = Path(__file__).resolve().parents[2] / "server"
    bad = []
    for path in root.rglob("*.py"):
        if path.name == "exportsafe.py":
            continue
        text = path.read_text(encoding="utf-8")
        for needle in ("csv.writer(", "csv.DictWriter(", "xlsxwriter.Workbook(", "openpyxl.Workbook("):
            if needle in text:
                bad.append(f"{path.relative_to(root)}: {needle}")
    assert not bad, bad
