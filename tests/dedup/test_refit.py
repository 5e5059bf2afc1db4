"""refit_model in bounded memory: the streamed pair sample and the fitted model."""
from __future__ import annotations

import json
import sqlite3
from functools import lru_cache

import pytest

from server.dedup import make_record, review
from server.dedup.compare import compare
from server.dedup.engine import candidate_pairs
from server.dedup.evalset import generate
from server.dedup.model import fit
from server.dedup.schema import apply_schema
from server.dedup.store import iter_records, load_model, sample_candidate_pairs, upsert_record

NOW = "2026-10-01T00:00:00.000+00:00"


@lru_cache(maxsize=1)
def docs():
    return generate(1500, seed=11).records


@pytest.fixture
def registry():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    apply_schema(conn)
    conn.execute("BEGIN")
    for doc in docs():
        upsert_record(conn, make_record(doc, keep_raw=True), NOW)
    conn.execute("COMMIT")
    yield conn
    conn.close()


def all_pairs(conn):
    records = list(iter_records(conn))
    return records, {(records[i].rid, records[j].rid) for i, j in candidate_pairs(records)}


def test_streamed_pairs_are_the_batch_candidate_pairs(registry):
    _, expected = all_pairs(registry)
    pairs, used, estimate = sample_candidate_pairs(registry, None)
    assert set(pairs) == expected and used == estimate == len(expected)
    assert all(a < b for a, b in pairs)
    # a cap above the number of pairs changes nothing
    assert sample_candidate_pairs(registry, len(expected) + 10)[0] == pairs


def test_a_capped_sample_is_bounded_distinct_deterministic_and_estimates_the_total(registry):
    _, expected = all_pairs(registry)
    pairs, used, estimate = sample_candidate_pairs(registry, 2000)
    assert used == len(pairs) == len(set(pairs)) == 2000
    assert set(pairs) <= expected
    assert sample_candidate_pairs(registry, 2000)[0] == pairs
    assert abs(estimate - len(expected)) / len(expected) < 0.1


def test_refit_on_a_sample_stores_a_model_close_to_the_full_fit(registry):
    records, expected = all_pairs(registry)
    by_id = {r.rid: r for r in records}
    full = fit([compare(by_id[a], by_id[b]) for a, b in sorted(expected)], records)
    registry.execute("BEGIN")
    out = review.refit_model(registry, NOW, "admin:1", max_pairs=5000)
    registry.execute("COMMIT")
    assert out["sampled"] and out["pairs_used"] == 5000 and out["records"] == len(records)
    model_id, model = load_model(registry)
    assert model_id == out["model_id"]
    assert abs(model.lam - full.lam) < 0.02
    # frequencies come from every record, not from the sample
    assert model.tf_name == pytest.approx(full.tf_name) and model.name_collision == pytest.approx(full.name_collision)
    audit = registry.execute("SELECT details FROM dedup_audit WHERE action = 'model_fitted'").fetchone()[0]
    assert json.loads(audit)["pairs_used"] == 5000


def test_refit_without_a_cap_equals_the_in_memory_fit(registry):
    records, expected = all_pairs(registry)
    by_id = {r.rid: r for r in records}
    full = fit([compare(by_id[a], by_id[b]) for a, b in sorted(expected)], records)
    registry.execute("BEGIN")
    out = review.refit_model(registry, NOW, "admin:1", max_pairs=0)
    registry.execute("COMMIT")
    assert not out["sampled"] and out["pairs"] == len(expected)
    model = load_model(registry)[1]
    assert model.lam == pytest.approx(full.lam)
    assert [w for row in model.weights for w in row] == pytest.approx([w for row in full.weights for w in row])


def test_refit_cap_from_the_environment(registry, monkeypatch):
    monkeypatch.setenv("RASOAT_DEDUP_REFIT_MAX_PAIRS", "1000")
    registry.execute("BEGIN")
    assert review.refit_model(registry, NOW, "admin:1")["pairs_used"] == 1000
    registry.execute("ROLLBACK")


def test_refit_on_an_empty_registry_is_refused():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    apply_schema(conn)
    with pytest.raises(review.DedupError) as err:
        review.refit_model(conn, NOW, "admin:1")
    assert err.value.status == 409
