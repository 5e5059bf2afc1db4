"""The review-queue JSON API (on a minimal app) and the `rasoat dedup` command."""
from __future__ import annotations

import csv
import datetime as dt
import json

import pytest

from .helpers import FAMILY, house

fastapi = pytest.importorskip("fastapi")


@pytest.fixture
def client(tmp_path):
    from fastapi.testclient import TestClient

    from server import auth
    from server.api import deps
    from server.db import Database
    from server.dedup import review
    from server.dedup.api import router
    from server.dedup.schema import apply_schema
    from server.errors import install_error_handlers

    db = Database(tmp_path / "d.db")
    with db.write() as conn:
        apply_schema(conn)
        now = "2026-10-01T00:00:00.000+00:00"
        review.on_ingest(conn, "p25", house("p25", FAMILY, year=2025), now)
        review.on_ingest(conn, "p26", house("p26", FAMILY[:2], year=2026), now)
        review.on_ingest(conn, "c26", house("c26", [dict(FAMILY[2], relation="head")], year=2026), now)
    app = fastapi.FastAPI()
    app.state.db = db
    app.state.clock = lambda: dt.datetime(2026, 10, 2, tzinfo=dt.timezone.utc)
    install_error_handlers(app)
    app.include_router(router)
    app.dependency_overrides[deps.get_principal] = lambda: auth.UserPrincipal(7, "can.bo", "Cán bộ", "officer")
    with TestClient(app) as c:
        yield c
    db.close()


def test_queue_detail_decision_and_undo(client):
    q = client.get("/api/v1/dedup/queue").json()["items"]
    assert q
    detail = client.get(f"/api/v1/dedup/candidates/{q[0]['id']}").json()
    assert {"a", "b", "fields", "citizen_id_checks", "reasons"} <= set(detail)
    r = client.post(f"/api/v1/dedup/candidates/{q[0]['id']}/decision", json={"decision": "split"})
    assert r.status_code == 200 and r.json()["decision"] == "split"
    bad = client.post(f"/api/v1/dedup/candidates/{q[0]['id']}/decision", json={"decision": "maybe"})
    assert bad.status_code == 422 and "error" in bad.json()
    hh = client.get("/api/v1/dedup/households/p25").json()
    link = next(l for l in hh["links"] if l["undone_at"] is None)
    assert client.post(f"/api/v1/dedup/links/{link['id']}/undo", json={"reason": "nhầm"}).status_code == 200
    again = client.post(f"/api/v1/dedup/links/{link['id']}/undo", json={})
    assert again.status_code == 409 and again.json()["error"]["message_vi"]
    assert client.get("/api/v1/dedup/candidates/999999").status_code == 404
    assert client.get("/api/v1/dedup/households/p26/candidates").json()["candidates"]
    assert client.post("/api/v1/dedup/rerun").status_code == 403          # officers do not rerun


def test_cli_dedup_writes_links_and_clusters(tmp_path):
    from server.cli import main
    from server.dedup.evalset import generate

    es = generate(300, seed=4)
    src = tmp_path / "h.jsonl"
    src.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in es.records) + "\nnot json\n",
                   encoding="utf-8")
    out, clusters = tmp_path / "links.csv", tmp_path / "clusters.csv"
    assert main(["dedup", "--input", str(src), "--output", str(out), "--clusters", str(clusters)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows and {"a", "b", "band", "probability", "roster"} <= set(rows[0])
    linked = [r for r in rows if r["linked"] == "1"]
    truth = es.true_pairs()
    assert sum(frozenset((r["a"], r["b"])) in truth for r in linked) >= 0.97 * len(linked)
    assert len(list(csv.DictReader(clusters.open(encoding="utf-8")))) == len(es.records)
    assert main(["dedup", "--input", str(tmp_path / "missing.jsonl"), "--output", str(out)]) == 2
