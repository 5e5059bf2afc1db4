"""Classification: every indicator boundary, both standards, the class rules."""
from __future__ import annotations

import datetime as dt

import pytest

from shared.classify import classify, classify_all
from shared.standards import applicable_standards, load_standards, standard_from_dict
from tests.factories import household, member

STD = load_standards()
NAT = STD["vn-national-2022-2025"]
QN = STD["qn-provincial-2023-2025"]


def indicator(result: dict, key: str) -> bool | None:
    return next(i["deprived"] for i in result["indicators"] if i["key"] == key)


def run(h: dict, standard=NAT) -> dict:
    return classify(h, standard)


# --- income lines, both standards, both area types -------------------------------------------

@pytest.mark.parametrize("standard,area,line", [
    (NAT, "urban", 2_000_000), (NAT, "rural", 1_500_000),
    (QN, "urban", 2_600_000), (QN, "rural", 2_100_000),
])
@pytest.mark.parametrize("delta,below", [(-1, True), (0, True), (1, False)])
def test_income_exactly_at_the_line_counts_as_below(standard, area, line, delta, below):
    h = household([member()], income_pp_month=None, area_type=area)
    h["income"] = {"wages": (line + delta) * 12, "farming_net": 0, "business": 0}
    r = classify(h, standard)
    assert r["income"]["line"] == line
    assert r["income"]["below_line"] is below
    assert r["class"] == ("near_poor" if below else ("not_poor" if standard is QN else "average"))


@pytest.mark.parametrize("area,band", [("urban", 3_000_000), ("rural", 2_250_000)])
def test_average_band_national(area, band):
    assert run(household(income_pp_month=band, area_type=area))["class"] == "average"
    assert run(household(income_pp_month=band + 1, area_type=area))["class"] == "not_poor"


def test_quang_ninh_has_no_average_band_and_says_so():
    r = classify(household(income_pp_month=2_700_000), QN)
    assert r["class"] == "not_poor"
    assert "chưa có ngưỡng mức sống trung bình" in r["explanation_vi"]


def _deprived(n: int) -> dict:
    """A poor-income household deprived on exactly ``n`` of (water, latrine, telecom, devices)."""
    h = household(income_pp_month=1_000_000)
    changes = [("water_source", "surface"), ("latrine", "none"), ("telecom_use", False), ("info_devices", [])]
    for key, value in changes[:n]:
        h[key] = value
    return h


@pytest.mark.parametrize("n,cls", [(0, "near_poor"), (2, "near_poor"), (3, "poor"), (4, "poor")])
def test_two_versus_three_deprivations(n, cls):
    r = run(_deprived(n))
    assert r["deprivation_count"] == n
    assert r["score_b"] == 10 * n
    assert r["class"] == cls


def test_above_the_line_is_never_poor_however_deprived():
    h = _deprived(4)
    h["income"]["wages"] = 2_000_001 * 12
    r = run(h)
    assert r["deprivation_count"] == 4
    assert r["class"] == "average"


def test_quang_ninh_line_makes_a_household_near_poor_that_is_average_nationally():
    h = household(income_pp_month=2_400_000)
    assert run(h, NAT)["class"] == "average"
    assert run(h, QN)["class"] == "near_poor"


# --- indicator boundaries ---------------------------------------------------------------------

@pytest.mark.parametrize("age,deprived", [(5, False), (6, True), (7, True)])
def test_health_insurance_from_age_6(age, deprived):
    h = household([member(), member("m2", "child", age, health_insurance=False)])
    assert indicator(run(h), "health_insurance") is deprived


@pytest.mark.parametrize("age,in_school,deprived", [
    (2, False, False), (3, False, True), (15, False, True), (16, False, None), (3, True, False), (15, True, False),
])
def test_school_attendance_3_to_under_16(age, in_school, deprived):
    m = member("m2", "child", age, in_school=in_school)
    if age == 16:  # 16 is adult-education territory: qualification decides there
        m["qualification"] = "lower_secondary"
        deprived = False
    h = household([member(), m])
    assert indicator(run(h), "school_attendance") is deprived


@pytest.mark.parametrize("age,qualification,deprived", [
    (15, "primary", False),            # under 16: not this indicator
    (16, "primary", True), (16, "lower_secondary", False),
    (17, "lower_secondary", False), (18, "lower_secondary", True), (18, "upper_secondary", False),
    (18, "vocational", False), (30, "lower_secondary", True), (31, "primary", False),
])
def test_adult_education_bands_16_18_30(age, qualification, deprived):
    m = member("m2", "child", age, qualification=qualification)
    m["in_school"] = False
    if age <= 30:
        m["work_status"] = "self_employed"
    h = household([member(age=60), m])
    assert indicator(run(h), "adult_education") is deprived


def test_adult_education_studying_is_not_deprived():
    m = member("m2", "child", 20, qualification="lower_secondary", in_school=True)
    assert indicator(run(household([member(age=50), m])), "adult_education") is False


@pytest.mark.parametrize("age,deprived", [(15, True), (16, False)])
def test_nutrition_under_16(age, deprived):
    m = member("m2", "child", age, nutrition="stunted")
    if age >= 16:
        m.pop("nutrition")
        m["nutrition"] = "stunted"   # recorded but outside the age band: not a deprivation
    assert indicator(run(household([member(), m])), "nutrition") is deprived


@pytest.mark.parametrize("n_members,area,deprived", [(2, 15.99, True), (2, 16.0, False), (1, 8.0, False),
                                                      (1, 7.9, True)])
def test_floor_area_8_m2_per_person(n_members, area, deprived):
    ms = [member()] + [member(f"m{i}", "spouse", 38, "female") for i in range(2, n_members + 1)]
    h = household(ms)
    h["housing"]["floor_area_m2"] = area
    assert indicator(run(h), "floor_area") is deprived


@pytest.mark.parametrize("n_children,n_adults,deprived", [(1, 1, False), (2, 2, False), (3, 2, True), (2, 1, True)])
def test_dependants_more_than_half(n_children, n_adults, deprived):
    ms = [member()] + [member(f"a{i}", "spouse", 40, "female") for i in range(n_adults - 1)]
    ms += [member(f"c{i}", "child", 8) for i in range(n_children)]
    assert indicator(run(household(ms)), "dependants") is deprived


def test_dependants_count_social_allowance_recipients():
    ms = [member(), member("m2", "parent", 85, social_allowance=True), member("m3", "child", 10)]
    assert indicator(run(household(ms)), "dependants") is True   # 2 of 3


@pytest.mark.parametrize("status,deprived", [("unemployed", True), ("wage_no_contract", True),
                                             ("wage_contract", False), ("self_employed", False),
                                             ("not_working", False)])
def test_employment(status, deprived):
    assert indicator(run(household([member(work_status=status)])), "employment") is deprived


@pytest.mark.parametrize("walls,columns,roof,deprived", [
    ("durable", "durable", "durable", False), ("non_durable", "durable", "durable", False),
    ("non_durable", "non_durable", "durable", True), ("non_durable", "non_durable", "non_durable", True),
])
def test_housing_quality_two_of_three(walls, columns, roof, deprived):
    h = household()
    h["housing"].update(walls=walls, columns=columns, roof=roof)
    assert indicator(run(h), "housing_quality") is deprived


@pytest.mark.parametrize("key,value,deprived", [
    ("water_source", "piped", False), ("water_source", "rainwater", False), ("water_source", "surface", True),
    ("water_source", "unprotected_well", True), ("latrine", "double_vault", False), ("latrine", "open_pit", True),
    ("telecom_use", True, False), ("telecom_use", False, True),
    ("info_devices", ["radio"], False), ("info_devices", [], True),
])
def test_household_level_indicators(key, value, deprived):
    h = household()
    h[key] = value
    ind = {"water_source": "water", "latrine": "latrine", "telecom_use": "telecom",
           "info_devices": "information_devices"}[key]
    assert indicator(run(h), ind) is deprived


def test_exact_birth_date_decides_the_birthday():
    # Turns 6 on 2025-10-02: on the reference date 2025-10-01 the child is still 5.
    kid = member("m2", "child", 6, health_insurance=False)
    kid.pop("birth_year")
    kid["birth_date"] = "2019-10-02"
    assert indicator(run(household([member(), kid])), "health_insurance") is False
    kid["birth_date"] = "2019-10-01"
    assert indicator(run(household([member(), kid])), "health_insurance") is True


# --- unknowns, methods, explanations ----------------------------------------------------------

def test_missing_income_gives_unknown_with_the_missing_input():
    r = run(household(income_pp_month=None))
    assert r["class"] == "unknown"
    assert "income" in r["missing"]


def test_unknown_indicators_that_could_make_it_poor_keep_it_unknown():
    h = _deprived(2)
    del h["housing"]["walls"], h["housing"]["roof"]
    r = run(h)
    assert r["class"] == "unknown"
    assert "housing.walls" in r["missing"]


def test_poor_stands_even_with_unknown_indicators():
    h = _deprived(3)
    del h["latrine"]
    h["housing"]["walls"] = h["housing"]["roof"] = "non_durable"
    r = run(h)
    assert r["class"] == "poor"


@pytest.mark.parametrize("field", ["b1_score", "score_a"])   # score_a: the name before form 2026.1
def test_b1_score_given_on_the_paper_form_decides_income_nationally(field):
    h = household(income_pp_month=None, **{field: 175})
    r = run(h)
    assert r["income"]["method"] == "b1_score" and r["income"]["below_line"] is True
    assert r["income"]["b1_score"] == r["income"]["score_a"] == 175      # deprecated alias kept
    assert "điểm B1 175 ≤ ngưỡng 175" in r["explanation_vi"]
    h[field] = 175.5
    assert run(h)["income"]["below_line"] is False
    assert "điểm B1 175,5 > ngưỡng 175" in run(h)["explanation_vi"]


def test_b1_score_cannot_decide_under_quang_ninh_without_cutoffs():
    r = classify(household(income_pp_month=None, b1_score=120), QN)
    assert r["class"] == "unknown"
    assert "income" in r["missing"]


def test_farm_household_average_band_excludes_social_assistance():
    h = household(income_pp_month=None, livelihood="agriculture")
    h["income"] = {"wages": 0, "farming_net": 2_900_000 * 12, "business": 0, "social_assistance": 200_000 * 12}
    r = run(h)
    assert r["income"]["per_person_month"] == 3_100_000
    assert r["class"] == "average"


def test_explanation_is_vietnamese_and_names_the_deprivations():
    r = run(_deprived(3))
    assert r["explanation_vi"].startswith("Hộ nghèo theo Chuẩn nghèo đa chiều quốc gia")
    assert "Nguồn nước sinh hoạt" in r["explanation_vi"]
    assert "1.000.000 đ" in r["explanation_vi"]


def test_every_result_lists_all_12_indicators_with_reasons():
    r = run(household())
    assert [i["number"] for i in r["indicators"]] == list(range(1, 13))
    assert all(i["reason_vi"] for i in r["indicators"])


def test_classify_all_applies_every_standard_in_force_for_the_area():
    ids = lambda h: [r["standard_id"] for r in classify_all(h)]  # noqa: E731
    assert ids(household()) == ["qn-provincial-2023-2025", "vn-national-2022-2025"]
    assert ids(household(province_code="01")) == ["vn-national-2022-2025"]
    assert ids(household(collected_at="2021-06-01")) == []


def test_draft_standard_is_never_picked_automatically_but_can_be_named():
    data = dict(NAT.raw, id="test-draft", status="draft")
    draft = standard_from_dict(data, "test-draft.json")
    h = household(collected_at="2026-10-01")
    assert [r["standard_id"] for r in classify_all(h, None)] == ["vn-national-2022-2025"]
    assert "test-draft" not in [s.id for s in applicable_standards("22", dt.date(2026, 10, 1), [NAT, draft])]
    r = classify_all(h, [draft])[0]
    assert r["standard_status"] == "draft" and "[DỰ THẢO]" in r["explanation_vi"]


def test_reference_date_can_be_given():
    r = classify(household(), NAT, dt.date(2025, 1, 1))
    assert r["reference_date"] == "2025-01-01"
