"""Low-income workers (Decree 30/2025/NĐ-CP): every boundary of the rule, pure."""
from __future__ import annotations

import datetime as dt

import pytest

from shared.classify import classify
from shared.low_income import IDENTIFIED, NOT_IDENTIFIED, UNDETERMINED, identify, load_rule
from shared.standards import load_standards
from tests.factories import household, member

NAT = load_standards()["vn-national-2022-2025"]
ON = dt.date(2026, 10, 15)


def run(income, area="urban", on=ON, **kw):
    h = household([member("m1"), member("m2", "spouse", 38, "female")], income_pp_month=income, area_type=area,
                  collected_at="2026-10-01", **kw)
    return identify(h, "m2", classify(h, NAT), on)


@pytest.mark.parametrize("area,cap", [("urban", 3_000_000), ("rural", 2_250_000)])
@pytest.mark.parametrize("delta,outcome", [(-1, IDENTIFIED), (0, IDENTIFIED), (1, NOT_IDENTIFIED)])
def test_the_income_threshold_per_area(area, cap, delta, outcome):
    r = run(cap + delta, area)
    assert r["outcome"] == outcome and r["income_max"] == cap
    assert r["income_per_person_month"] == cap + delta
    assert r["worker"]["member_id"] == "m2"


@pytest.mark.parametrize("income", [1_000_000, 1_900_000])   # poor or near-poor nationally (urban line 2.0 M)
def test_a_poor_or_near_poor_household_is_not_a_low_income_worker_household(income):
    r = run(income)
    assert r["household_class"] in ("poor", "near_poor") and r["outcome"] == NOT_IDENTIFIED
    assert "cận nghèo" in r["reasons_vi"][0]


def test_an_identified_worker_has_the_rule_its_source_and_the_policies():
    r = run(2_500_000)
    assert r["outcome"] == IDENTIFIED
    assert "30/2025/NĐ-CP" in r["legal_basis"] and r["source"]
    assert r["policies"] == ["employment_support", "vocational_training"]
    assert r["standard_id"] == "vn-national-2022-2025"


def test_without_declared_income_it_cannot_be_determined():
    h = household([member("m1")], income_pp_month=None, collected_at="2026-10-01", b1_score=200)
    assert identify(h, "m1", classify(h, NAT), ON)["outcome"] == UNDETERMINED


def test_an_unknown_member_is_named():
    h = household([member("m1")], income_pp_month=2_500_000, collected_at="2026-10-01")
    r = identify(h, "m9", classify(h, NAT), ON)
    assert r["outcome"] == UNDETERMINED and "m9" in r["reasons_vi"][0]


def test_before_the_decree_no_rule_is_known():
    r = run(2_500_000, on=dt.date(2024, 10, 1))
    assert r["outcome"] == UNDETERMINED and "Không có tiêu chí" in r["reasons_vi"][0]


def test_in_2027_the_thresholds_are_applied_and_marked_unconfirmed():
    r = run(2_500_000, on=dt.date(2027, 3, 1))
    assert r["outcome"] == IDENTIFIED
    assert any(u["value"] == "income_max" and u["mark"] == "U" for u in r["unconfirmed"])
    assert any("[U]" in x for x in r["reasons_vi"])


def test_the_rule_file_names_a_missing_field(tmp_path):
    from shared.low_income import LowIncomeRuleError
    bad = tmp_path / "rule.json"
    bad.write_text('{"id": "x", "legal_basis": "y", "criteria": {}, "policies": [], '
                   '"periods": [{"from": "2025-01-01", "to": "2025-12-31", "mark": "C"}]}', encoding="utf-8")
    with pytest.raises(LowIncomeRuleError, match=r"periods\[0\]\.income_max"):
        load_rule(str(bad))
