"""Calibration that cannot invert (issue 19): agreement never counts against a match, whatever
the batch; small or skewed batches lean on the default model."""
from __future__ import annotations

from collections import Counter

import pytest

from server.dedup import AUTO, run_batch
from server.dedup.compare import FIELD_NAMES, FIELDS, NULL
from server.dedup.defaults import MIN_PAIRS_FOR_EM
from server.dedup.model import default_model
from server.dedup.evalset import Rates, generate
from server.dedup.model import AGREEMENT, DISAGREEMENT, constrain, fit

from .helpers import house, person

F = {name: i for i, name in enumerate(FIELD_NAMES)}


def lv(field: str, level: str) -> int:
    return FIELDS[field].index(level)


def vector(**levels: str) -> tuple[int, ...]:
    g = [NULL] * F["head_link"]
    for field, level in levels.items():
        g[F[field]] = lv(field, level)
    return tuple(g + [NULL])


def inverting_batch() -> tuple[Counter, dict]:
    """Matches mostly written without marks (their heads agree at "similar"), non-matches often
    the same common name and year: counted with the truth, "same name, same year" is rarer among
    matches than among non-matches — the inversion of issue 19."""
    match_a = vector(citizen_id="head_equal", address="same_house", phone="shared", head="similar_name_near_year")
    match_b = vector(citizen_id="head_equal", address="same_house", phone="shared", head="same_name_same_year")
    other_a = vector(citizen_id="head_different", address="different", phone="different", head="same_name_same_year")
    other_b = vector(citizen_id="head_different", address="different", phone="different", head="different")
    patterns = Counter({match_a: 700, match_b: 300, other_a: 4000, other_b: 4000})
    truth = {"m": 300 / 1000, "u": 4000 / 8000}
    return patterns, truth


def test_an_agreement_level_never_weighs_against_a_match():
    patterns, truth = inverting_batch()
    assert truth["m"] < truth["u"]                   # counted with the truth, the level inverts
    model = fit(patterns, None)
    w = model.weights[F["head"]][lv("head", "same_name_same_year")]
    assert w >= 0.0


def test_every_constrained_level_keeps_its_sign_after_any_fit():
    for es in (generate(600, seed=2, rates=Rates(no_diacritics=0.9, upper_case=0.5)), generate(600, seed=3)):
        model = run_batch(es.records).model
        for field, levels in AGREEMENT.items():
            for level in levels:
                assert model.weights[F[field]][lv(field, level)] >= -1e-9, (field, level)
        for field, levels in DISAGREEMENT.items():
            for level in levels:
                assert model.weights[F[field]][lv(field, level)] <= 1e-9, (field, level)


def test_constrain_keeps_probabilities_summing_to_one():
    model = default_model()
    m = [list(r) for r in model.m]
    m[F["head"]][lv("head", "same_name_same_year")] = 1e-6       # invert on purpose
    total = sum(m[F["head"]][1:])
    m[F["head"]][1:] = [x / total for x in m[F["head"]][1:]]
    constrain(m, model.u)
    assert sum(m[F["head"]][1:]) == pytest.approx(1.0)
    assert m[F["head"]][lv("head", "same_name_same_year")] >= model.u[F["head"]][lv("head", "same_name_same_year")]


def test_an_accented_name_equal_in_capitals_is_linked_in_a_batch_of_unaccented_duplicates():
    """"Lê Văn Dũng" / "LÊ VĂN DŨNG", same birth year, same house: scored 0.98 (review) by EM on a
    batch where most duplicates lost their diacritics. Now an automatic link."""
    es = generate(1500, seed=11, rates=Rates(no_diacritics=0.85, upper_case=0.3))
    a = house("dung25", [person("Lê Văn Dũng", "head", 1975, "male")], number="88", street="Cột Đồng Hồ",
              phone=None, year=2025)
    b = house("dung26", [person("LÊ VĂN DŨNG", "head", 1975, "male")], number="88", street="Cột Đồng Hồ",
              phone=None, year=2026)
    result = run_batch([*es.records, a, b])
    (link,) = [x for x in result.links if {x.a, x.b} == {"dung25", "dung26"}]
    assert link.band == AUTO, link
    assert result.cluster_of["dung25"] == result.cluster_of["dung26"]


def test_a_small_batch_uses_the_default_model():
    es = generate(20, seed=1)
    result = run_batch(es.records)
    assert result.pairs < MIN_PAIRS_FOR_EM
    assert result.model.m == default_model().m


def test_a_batch_of_only_duplicates_still_counts_ids_that_differ_against():
    """Skewed one way: the same 200 households twice and nothing else (matches are the large
    majority of the candidate pairs, the label-switching case)."""
    base = generate(300, seed=4)
    firsts = [d for d in base.records if base.kind[d["household_id"]] == "2025:original"][:200]
    twice = [*firsts, *[dict(d, household_id=d["household_id"] + "-again") for d in firsts]]
    model = run_batch(twice).model
    assert model.weights[F["citizen_id"]][lv("citizen_id", "head_different")] < -2.0
    assert model.weights[F["head"]][lv("head", "same_name_same_year")] > 2.0


def test_a_batch_without_duplicates_links_nothing():
    """Skewed the other way: one round's register, no household twice (a first import)."""
    es = generate(2000, seed=4, rates=Rates(double_survey=0.0, resurvey=0.0))
    result = run_batch(es.records)
    assert result.pairs > MIN_PAIRS_FOR_EM
    assert result.model.lam < 0.01
    assert not [x for x in result.links if x.band == AUTO]


def test_a_model_stored_before_the_head_field_is_not_used():
    import json
    import sqlite3

    from server.dedup.schema import apply_schema
    from server.dedup.store import load_model, save_model

    conn = sqlite3.connect(":memory:")
    apply_schema(conn)
    old = default_model().to_json()
    old.pop("comparison")
    conn.execute("INSERT INTO dedup_models (params, fitted_at) VALUES (?, '2025-01-01')", (json.dumps(old),))
    model_id, model = load_model(conn)
    assert model_id is None and model.m == default_model().m
    new_id = save_model(conn, default_model(), "2026-01-01", "test", 10, 10)
    assert load_model(conn)[0] == new_id
