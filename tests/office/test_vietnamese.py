"""Every console page, as each role, in Vietnamese — and every file the console hands over — fails
on a raw key (snake_case), a standard id, a program value (None, a dict), an ISO date or an English
phrase of the message catalogue (tests/vn_check.py).

The pages are found from the app's routes: every GET page without parameters is walked as it is;
a page with parameters is walked with the ids of the office world (the demo ward with its work
waiting and a decision). A new parametrised page must be given its ids in ``FILLERS``."""
from __future__ import annotations

import re
from typing import Any, Iterator

import pytest

from server.reports.layouts import load_layouts
from tests.readback import csv_table, xlsx_sheets
from tests.vn_check import page_text, problems

# GET routes that are not pages a person reads (files, scripts, redirects)
NOT_PAGES = {"/console/static/{name}", "/console/process/print.js", "/console/lang",
             "/console/attachments/{sha256}", "/console/attachments/{sha256}/thumb", "/console",
             "/console/reports/download/{report_id}", "/console/reports/workbook.xlsx", "/console/cycle/eligibility.xlsx",
             "/console/programme/report.xlsx", "/console/programme/evidence/{sha256}"}


def console_get_routes(app: Any) -> list[str]:
    def walk(routes: Any) -> Iterator[Any]:
        for r in routes:
            if type(r).__name__ == "_IncludedRouter":
                yield from walk(r.original_router.routes)
            elif hasattr(r, "routes") and not hasattr(r, "endpoint"):
                yield from walk(r.routes)
            else:
                yield r
    out = []
    for r in walk(app.routes):
        path = getattr(r, "path", "")
        if (path.startswith("/console") or path == "/") and "GET" in (getattr(r, "methods", None) or ()):
            out.append(path)
    return sorted(set(out))


def fillers(world: dict[str, Any]) -> dict[str, list[str]]:
    w, hh = world["work"], world["households"]
    d = world["decision_id"]
    return {
        "/console/households/{household_id}": [f"/console/households/{h}" for h in hh.values() if h],
        "/console/duplicates/{candidate_id}": [f"/console/duplicates/{world['candidate_id']}"],
        "/console/conflicts/{submission_id}": [f"/console/conflicts/{world['conflict_submission']}"],
        "/console/process/meetings/{meeting_id}": [f"/console/process/meetings/{w['meeting_id']}"],
        "/console/process/meetings/{meeting_id}/minutes": [f"/console/process/meetings/{w['meeting_id']}/minutes",
                                                           f"/console/process/meetings/{w['meeting_id']}/minutes?photos=0"],
        "/console/process/postings/{posting_id}": [f"/console/process/postings/{w['posting_id']}"],
        "/console/process/decisions/{decision_id}": [f"/console/process/decisions/{d}",
                                                     f"/console/process/decisions/{d}?list=near_poor"],
        "/console/process/decisions/{decision_id}/print": [f"/console/process/decisions/{d}/print"],
        "/console/programme/households/{household_id}": [f"/console/programme/households/{h}" for h in hh.values()
                                                         if h][:3],
        "/console/process/decisions/{decision_id}/certificates/{household_id}": [
            f"/console/process/decisions/{d}/certificates/{world['certificate_household']}"],
    }


def variants(world: dict[str, Any]) -> list[str]:
    """Query variants of the pages without parameters (other tabs, filters, standards, lists)."""
    std, other, year = world["work"]["standard_id"], world["other_standard"], world["work"]["round"]
    out = [f"/console/reports?round={year}&standard={std}&report={k}" for k in load_layouts()]
    out += [f"/console/reports?round={year}&standard={other}&report=named_lists&list={k}"
            for k in ("poor", "near_poor", "escaped_poverty", "escaped_near_poverty")]
    out += [f"/console/process?round={year}&standard={other}",
            "/console/households?status=submitted", "/console/households?status=accepted",
            "/console/households?status=returned", "/console/households?status=needs_review",
            f"/console/households?standard={std}&cls=poor", "/console/households?page=2",
            "/console/duplicates?status=decided", f"/console/cycle/targets?round={year}&standard={other}",
            "/console/cycle/eligibility?page=2"]
    return out


def pages(app: Any, world: dict[str, Any]) -> list[str]:
    fill = fillers(world)
    out, missing = [], []
    for path in console_get_routes(app):
        if path in NOT_PAGES:
            continue
        if "{" in path:
            if path not in fill:
                missing.append(path)
            out += fill.get(path, [])
        else:
            out.append(path)
    assert not missing, f"console pages with parameters the walk does not know: {missing} (add them to FILLERS)"
    return out + variants(world)


@pytest.mark.parametrize("role", ["officer", "viewer", "admin"])
def test_every_console_page_reads_as_vietnamese(office, as_role, role):
    app, world = office
    client = as_role[role]
    found: list[str] = []
    walked = 0
    for url in pages(app, world):
        r = client.get(url)
        if r.status_code in (301, 302, 303, 307):
            continue                                      # e.g. / → the console; login → dashboard
        if r.status_code == 403 and role != "admin":
            continue                                      # admin pages for other roles
        assert r.status_code == 200, (role, url, r.status_code, r.text[:300])
        if not r.headers.get("content-type", "").startswith("text/html"):
            continue
        walked += 1
        found += problems(page_text(r.text), f"{role} {url}")
    assert walked >= 30
    assert not found, f"{len(found)} problem(s):\n" + "\n".join(found[:80])


def _file_cells(path_or_bytes: Any, kind: str) -> Iterator[tuple[str, str]]:
    if kind == "xlsx":
        for sheet, rows in xlsx_sheets(path_or_bytes).items():
            yield "sheet name", sheet
            for i, row in enumerate(rows):
                for j, v in enumerate(row):
                    if isinstance(v, str):
                        yield f"{sheet}!R{i + 1}C{j + 1}", v
    else:
        for i, row in enumerate(csv_table(path_or_bytes)):
            for j, v in enumerate(row):
                yield f"R{i + 1}C{j + 1}", v


def downloads(world: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for std in {world["work"]["standard_id"], world["other_standard"]}:
        q = f"round={world['work']['round']}&standard_id={std}"
        out.append((f"/console/reports/workbook.xlsx?{q}", "xlsx"))
        for k in load_layouts():
            out.append((f"/console/reports/download/{k}?{q}&format=xlsx", "xlsx"))
            out.append((f"/console/reports/download/{k}?{q}&format=csv", "csv"))
    out += [(f"/console/cycle/eligibility.xlsx?policy={p}", "xlsx") for p in ("health_insurance", "policy_credit")]
    out += [("/console/programme/report.xlsx", "xlsx")]
    return out


def test_every_exported_file_reads_as_vietnamese(office, as_role, tmp_path):
    app, world = office
    client = as_role["viewer"]
    found: list[str] = []
    for url, kind in downloads(world):
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
        name = re.sub(r"[^\w.-]+", "-", url)[:80] + "." + kind
        data: Any = r.content
        if kind == "xlsx":
            (tmp_path / name).write_bytes(r.content)
            data = tmp_path / name
        for where, text in _file_cells(data, kind):
            found += problems(text, f"{url} {where}")
    assert not found, f"{len(found)} problem(s):\n" + "\n".join(found[:80])


@pytest.mark.parametrize("role", ["officer"])
def test_the_english_pages_show_no_raw_keys_ids_or_iso_dates(office, as_role, role):
    """With the English switch on, labels are English (or Vietnamese where a page has no English
    yet) — never a raw key, a standard id, a program value or an ISO date."""
    app, world = office
    client = as_role[role]
    client.cookies.set("rasoat_lang", "en")
    found: list[str] = []
    for url in pages(app, world):
        r = client.get(url)
        if r.status_code in (301, 302, 303, 307, 403) or not r.headers.get("content-type", "").startswith("text/html"):
            continue
        assert r.status_code == 200, (url, r.status_code)
        found += problems(page_text(r.text), f"en {url}", lang="en")
    assert not found, f"{len(found)} problem(s):\n" + "\n".join(found[:80])
    # the office's main pages speak English there
    for url, phrase in (("/console/process", "3. Recognition decision"), ("/console/reports", "Download every report"),
                        ("/console/cycle/targets", "History of the aims"), ("/console/review", "Accept the selected forms"),
                        ("/console/dashboard", "Work waiting")):
        assert phrase in client.get(url).text, url
