"""The pure parts: the catalogue is consistent with the plan and policies.json, inputs as officers type
them, needs read from answers, which needs a delivery closes."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from server.programme import rules
from shared.eligibility import StatusChange, eligibility, load_policies
from shared.programme import check, eligibility_table, load_catalogue, suggest_needs
from tests.factories import household, member

PLAN = (Path(__file__).parents[2] / "docs" / "sources" / "ward-plan-2024.txt").read_text(encoding="utf-8")


def test_the_catalogue_is_consistent_and_follows_the_plan():
    cat = load_catalogue()
    check(cat.data, [p["id"] for p in load_policies()["policies"]])
    # every body of the plan's §IV, in its order, and each plan section named exists in the plan's text
    assert [b["plan_section"] for b in cat.data["bodies"]] == [f"IV.{i}" for i in range(1, 10)]
    for sec in cat.sections.values():
        if sec["id"].startswith("II."):
            number = sec["id"][3:]
            assert re.search(rf"^{re.escape(number)}\.\s", PLAN, re.M), sec["id"]
    # every legal text a type cites as its basis is cited by the plan itself (nothing invented)
    refs = [(t["id"], ref) for t in cat.types.values()
            for ref in re.findall(r"(\d+/\d{4}/[A-ZĐ-]+)", t.get("basis", ""))]
    assert len(refs) > 10
    for tid, ref in refs:
        assert "/".join(ref.split("/")[:2]) in PLAN, (tid, ref)
    # every body that delivers has support types; every need type is answered by some type or a reason
    for b in cat.delivering_bodies():
        assert cat.types_of(b["id"]), b["id"]
    closes = {n for t in cat.types.values() for n in t["closes"]}
    assert closes <= set(cat.need_types)


def test_a_type_without_its_own_rule_follows_policies_json_and_the_window_settings():
    cat = load_catalogue()
    table = eligibility_table(cat, load_policies(windows={"programme_support": 12}))
    hist = [StatusChange("poor", dt.date(2022, 12, 20)), StatusChange("escaped_poverty", dt.date(2024, 12, 20))]
    got = {e.policy_id: e for e in eligibility(hist, dt.date(2025, 12, 19), table)}
    assert got["health_insurance_card"].eligible and got["health_insurance_card"].window_end == dt.date(2025, 12, 19)
    assert not got["tuition"].eligible                        # policies.json: tuition has no escaped window
    assert got["job_referral"].eligible                       # its own rule: programme window
    late = {e.policy_id: e for e in eligibility(hist, dt.date(2025, 12, 20), table)}
    assert not late["health_insurance_card"].eligible and not late["job_referral"].eligible


@pytest.mark.parametrize("text, day", [("2025-03-05", dt.date(2025, 3, 5)), ("05/03/2025", dt.date(2025, 3, 5)),
                                       ("5/3/2025", dt.date(2025, 3, 5)), ("31/02/2025", None), ("hôm qua", None),
                                       ("", None), (None, None)])
def test_parse_day(text, day):
    assert rules.parse_day(text) == day


@pytest.mark.parametrize("text, amount", [("1.500.000", 1_500_000), ("1 500 000 đ", 1_500_000), (2000, 2000),
                                          ("", None), (None, None)])
def test_parse_amount(text, amount):
    assert rules.parse_amount(text) == amount


@pytest.mark.parametrize("text", ["-5", "12,5", "abc", 1.5, True])
def test_parse_amount_refuses(text):
    with pytest.raises(ValueError):
        rules.parse_amount(text)


def test_needs_read_from_answers():
    doc = household([member("m1", age=40, work_status="unemployed"),
                     member("m2", "spouse", 38, "female", health_insurance=False),
                     member("m3", "child", 12, in_school=False), member("m4", "child", 17, in_school=False)])
    got = [(s.need_type, s.member_id) for s in suggest_needs(doc, deprived=["housing_quality", "telecom"])]
    assert got == [("job", "m1"), ("health_insurance", "m2"), ("schooling", "m3"), ("housing", None),
                   ("information", None)]
    assert suggest_needs(household([member()])) == []


def test_which_needs_a_delivery_closes():
    needs = [{"id": 1, "need_type": "health_insurance", "member_id": "m2"},
             {"id": 2, "need_type": "health_insurance", "member_id": "m3"},
             {"id": 3, "need_type": "housing", "member_id": None}, {"id": 4, "need_type": "job", "member_id": "m2"}]
    assert rules.close_matches({"member_id": "m2"}, ["health_insurance"], needs) == [1]
    assert rules.close_matches({"member_id": None}, ["housing"], needs) == [3]
    assert rules.close_matches({"member_id": "m2"}, [], needs) == []
    assert rules.fund_balance([10, 5], [3]) == {"contributions": 15, "disbursements": 3, "balance": 12}
