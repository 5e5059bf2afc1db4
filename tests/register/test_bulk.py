"""The bulk path of the register import (``services.rows.store_new_bulk``: one statement per table per batch)
writes the same database as the per-record ingest path, keeps the import all-or-nothing, and a
re-import still changes nothing."""
from __future__ import annotations

import shutil
import uuid

import openpyxl


from server.db import open_database
from server.register import importer
from server.services.preload import bulk_eligible, preload_households

from tests.cycle.helpers import normalised_rows, register_file, survey, table_rows, ward_docs
from tests.server.helpers import NOW

SURVEYED = "0d0d0d0d-0000-4000-8000-000000000001"

def _import_into(template_db, tmp_path, name, path, docs, rows, k, **kw):
    p = tmp_path / f"{name}.db"
    shutil.copyfile(template_db, p)
    db = open_database(p)
    try:
        # a household surveyed before the import: the deferred dedup pass meets register row k
        assert preload_households(db, [_fresh(survey(docs[k], SURVEYED))], NOW)["counts"]["accepted"] == 1
        rep = importer.import_file(db, path, NOW, **kw)
        assert rep["imported"] and rep["new_households"] == len(rows), rep
        first = normalised_rows(db)
        again = importer.import_file(db, path, NOW, **kw)
        assert again["imported"] and again["new_households"] == 0 and again["status_rows_added"] == 0
        assert normalised_rows(db) == first                                  # re-import: nothing changes
        return first
    finally:
        db.close()


def _fresh(doc):
    doc.pop("preloaded_from", None)
    doc.pop("confirmations", None)
    return doc


def test_bulk_and_per_record_paths_write_the_same_tables(tmp_path, template_db, monkeypatch):
    docs = ward_docs(45, seed=5)
    path, rows = register_file(tmp_path, docs)
    monkeypatch.setattr(importer, "BATCH", 7)                # several batches, the last one partial
    per_record = _import_into(template_db, tmp_path, "per-record", path, docs, rows, 3, bulk=False)
    monkeypatch.setattr(importer, "POOL_MIN_ROWS", 1)       # and the worker process, where it can fork
    bulk = _import_into(template_db, tmp_path, "bulk", path, docs, rows, 3, bulk=True)
    assert set(bulk) == set(per_record)
    for table in per_record:
        assert bulk[table] == per_record[table], table
    # the comparison covers what the import writes
    for table, n in (("submissions", 46), ("households", 46), ("submission_rounds", 46), ("dedup_records", 46),
                     ("household_status_history", 2 * 45)):
        assert len(bulk[table]) == n, table
    assert sum(1 for r in bulk["changes"] if r[1] in ("household", "classification")) == 2 * 46
    assert len(bulk["dedup_keys"]) > 46 and bulk["dedup_candidates"], "the surveyed household meets its row"
    assert sum(1 for r in bulk["audit_log"] if "submission.preload" in r) == 46


def test_bulk_rows_with_classifications_and_confirmations_match_the_per_record_path(tmp_path, template_db):
    """Full documents (classified under the standards in force, confirmations recorded) through
    ``preload_households`` with and without ``bulk_index``: the same tables."""
    from server.dedup.review import deferred_matching

    docs = [survey(d, str(uuid.uuid5(uuid.NAMESPACE_URL, f"h{i}"))) for i, d in enumerate(ward_docs(12, seed=7))]

    def run(name, bulk):
        p = tmp_path / f"{name}.db"
        shutil.copyfile(template_db, p)
        db = open_database(p)
        try:
            with db.write(), deferred_matching() as indexed:
                res = preload_households(db, docs, NOW, batch_size=5, lenient=True,
                                         bulk_index=indexed if bulk else None)
            assert res["counts"]["accepted"] == len(docs) and len(indexed) == len(docs), res
            return normalised_rows(db)
        finally:
            db.close()

    per_record, bulk = run("per-record", False), run("bulk", True)
    assert bulk["classifications"] and bulk["household_confirmations"]
    for table in per_record:
        assert bulk[table] == per_record[table], table


def test_bulk_import_rolls_back_when_a_document_is_refused_while_storing(tmp_path, db_path):
    """A problem only document validation finds (a bad phone) is found while storing: nothing is written."""
    path, rows = register_file(tmp_path, ward_docs(20))
    wb = openpyxl.load_workbook(path)
    wb.active.cell(12, 11).value = "abc!"          # row 12: phone (column K)
    wb.save(path)
    db = open_database(db_path)
    try:
        before = table_rows(db)
        checked = importer.check_file(db, path, NOW, validate_documents=False)
        assert checked.ok                           # the row checks pass
        rep = importer.import_checked(db, checked, NOW, bulk=True)
        assert not rep["imported"] and [p["row"] for p in rep["problems"]] == [12], rep["problems"]
        assert rep["problems"][0]["column"] == "Điện thoại"
        assert table_rows(db) == before
    finally:
        db.close()


def test_only_new_households_without_links_or_photos_take_the_bulk_path():
    def item(rev=1, base=None, **answers):
        return {"revision": rev, "base_revision": base, "answers": {"household_id": str(uuid.uuid4()), **answers}}

    assert bulk_eligible([item(), item(lifecycle={"event": "moved_away"})])
    assert not bulk_eligible([item(), item(rev=2, base=1)])                      # an existing household
    assert not bulk_eligible([item(lifecycle={"event": "split_from", "related_household_id": "x"})])
    assert not bulk_eligible([item(photos=[{"sha256": "a" * 64, "question": "housing"}])])
