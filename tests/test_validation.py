"""Validation: every rule returns a problem naming the field, in Vietnamese."""
from __future__ import annotations

import datetime as dt

import pytest

from shared.validation import errors, validate
from tests.factories import household, member

TODAY = dt.date(2025, 10, 15)


def codes(doc, today=TODAY) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for p in errors(validate(doc, today=today)):
        out.setdefault(p.path, set()).add(p.code)
    return out


def test_a_complete_household_is_valid():
    assert codes(household([member(), member("m2", "spouse", 38, "female"), member("m3", "child", 8)])) == {}


def test_every_problem_at_once_with_paths_and_vietnamese_messages():
    h = household([member(), member("m2", "child", 7, citizen_id="022080001234")])
    h["housing"]["floor_area_m2"] = 0
    h["income"]["wages"] = -5
    del h["latrine"]
    problems = errors(validate(h, today=TODAY))
    by_path = {p.path: p for p in problems}
    assert set(by_path) == {"members[1].citizen_id", "housing.floor_area_m2", "income.wages", "latrine"}
    assert "2018" in by_path["members[1].citizen_id"].message_vi
    assert by_path["housing.floor_area_m2"].message_vi.startswith("Diện tích ở (m²): phải lớn hơn 0")
    assert by_path["income.wages"].code == "range"
    assert by_path["latrine"].message_vi == "Loại nhà tiêu: bắt buộc phải trả lời"


@pytest.mark.parametrize("age,required", [(14, False), (15, True)])
def test_work_status_required_only_when_relevant(age, required):
    m = member("m2", "child", age)
    m.pop("work_status", None)
    assert ("members[1].work_status" in codes(household([member(), m]))) is required


@pytest.mark.parametrize("age,required", [(2, False), (3, True), (30, True), (31, False)])
def test_in_school_required_from_3_to_30(age, required):
    m = member("m2", "child", age)
    m.pop("in_school", None)
    assert ("members[1].in_school" in codes(household([member(age=60), m]))) is required


def test_nutrition_required_for_children_only():
    kid = member("m2", "child", 5)
    kid.pop("nutrition")
    assert codes(household([member(), kid])) == {"members[1].nutrition": {"required"}}


def test_an_answer_that_is_not_relevant_is_a_warning_not_an_error():
    adult = member(nutrition="normal")
    problems = validate(household([adult]), today=TODAY)
    assert not errors(problems)
    assert [p.code for p in problems] == ["not_relevant"]


def test_birth_year_required_only_without_birth_date():
    m = member()
    del m["birth_year"]
    assert codes(household([m])) == {"members[0].birth_year": {"required"}}
    m["birth_date"] = "1985-02-03"
    assert codes(household([m])) == {}


@pytest.mark.parametrize("value", ["1985-02-30", "03/02/1985", "1985-2-3", 1985])
def test_impossible_or_malformed_birth_dates(value):
    m = member(birth_date=value)
    assert codes(household([m]))["members[0].birth_date"] == {"type"}


def test_birth_date_after_the_review_date():
    m = member(birth_date="2025-12-01")
    assert codes(household([m]))["members[0].birth_date"] == {"constraint"}


def test_birth_year_more_than_120_years_back():
    assert codes(household([member(birth_year=1890)]))["members[0].birth_year"] == {"range"}
    assert codes(household([member(birth_year=1904)]))["members[0].birth_year"] == {"constraint"}


@pytest.mark.parametrize("value,code", [
    ("02208000123", "citizen_id_length"), ("02208000123X", "citizen_id_not_digits"),
    ("022180001234", "citizen_id_sex_mismatch"), ("022075001234", "citizen_id_birth_year_mismatch"),
])
def test_citizen_id_checks(value, code):
    h = household([member(citizen_id=value)])  # male, born 1985
    assert code in codes(h)["members[0].citizen_id"]


def test_consistent_citizen_id_passes():
    assert codes(household([member(citizen_id="022085001234")])) == {}


def test_unknown_province_code_is_only_a_warning():
    problems = validate(household([member(citizen_id="099085001234")]), today=TODAY)
    assert not errors(problems)
    assert any(p.code == "citizen_id_province" for p in problems)


def test_duplicate_citizen_ids_and_member_ids_in_one_household():
    ms = [member(citizen_id="022085001234"), member("m1", "spouse", 40, "male", citizen_id="022085001234")]
    c = codes(household(ms))
    assert c["members[1].citizen_id"] == {"duplicate"}
    assert c["members[1].member_id"] == {"duplicate"}


@pytest.mark.parametrize("heads,code", [(0, "head"), (2, "head")])
def test_exactly_one_head(heads, code):
    ms = [member(f"m{i}", "head" if i < heads else "spouse", 40) for i in range(max(heads, 1) + 1)]
    assert codes(household(ms))["members"] == {code}


def test_no_members():
    assert codes(household([]))["members"] == {"required"}


@pytest.mark.parametrize("path,value,code", [
    ("water_source", "river", "choice"), ("telecom_use", "yes", "type"), ("info_devices", "tv", "type"),
    ("info_devices", ["tv", "tv"], "choice"), ("phone", "09x1", "pattern"), ("score_a", "120", "type"),
    ("area", "KP01", "type"),
])
def test_wrong_types_and_choices(path, value, code):
    h = household()
    h[path] = value
    assert code in codes(h)[path]


def test_letters_in_a_numeric_field():
    h = household()
    h["housing"]["floor_area_m2"] = "ba mươi"
    assert codes(h) == {"housing.floor_area_m2": {"type"}}
    assert errors(validate(h, today=TODAY))[0].message_vi == "Diện tích ở (m²): phải là số"


def test_unknown_fields_are_named():
    h = household(color="blue")
    h["housing"]["garden"] = 3
    h["members"][0]["nickname"] = "Tí"
    c = codes(h)
    assert c == {"color": {"unknown_field"}, "housing.garden": {"unknown_field"},
                 "members[0].nickname": {"unknown_field"}}


def test_income_not_required_when_score_a_given():
    h = household(income_pp_month=None, score_a=150)
    assert codes(h) == {}
    del h["score_a"]
    assert set(codes(h)) == {"income.wages", "income.farming_net", "income.business"}


def test_future_collection_date_and_missing_date():
    assert codes(household(collected_at="2025-12-01"))["collected_at"] == {"future"}
    h = household()
    del h["collected_at"]
    assert codes(h, today=None)["collected_at"] == {"required"}
    assert codes(h, today=TODAY) == {}


def test_gps_and_photos_are_checked():
    h = household(gps={"lat": 95, "lon": 107.0}, photos=[{"sha256": "abc", "question": "housing.walls"}])
    c = codes(h)
    assert c["gps.lat"] == {"range"}
    assert c["photos[0].sha256"] == {"pattern"}
    ok = household(gps={"lat": 20.95, "lon": 107.04, "accuracy_m": 8},
                   photos=[{"sha256": "a" * 64, "question": "housing.walls"}])
    assert codes(ok) == {}


def test_not_an_object_and_unknown_form_version():
    assert codes([1, 2]) == {"": {"type"}}
    assert codes(household(form_version="1999.9")) == {"form_version": {"choice"}}


def test_validation_never_raises_on_garbage_members():
    h = household()
    h["members"] = [None, "x", {"relation": 5, "birth_year": "nineteen", "citizen_id": 12}]
    c = codes(h)
    assert c["members[0]"] == {"type"} and c["members[2].birth_year"] == {"type"}


# --- preloaded households and lifecycle events (annual cycle) ---------------------------------

CONFIRM = ["address", "members", "housing", "water_sanitation", "information", "income"]


def test_a_preloaded_household_must_confirm_or_change_every_section():
    h = household(preloaded_from="register:2024")
    c = codes(h)
    assert c == {f"confirmations.{s}": {"confirmation_required"} for s in CONFIRM}
    h["confirmations"] = {s: "unchanged" for s in CONFIRM[:-1]} | {"income": "changed"}
    assert codes(h) == {}
    msg = errors(validate(household(preloaded_from="x"), today=TODAY))[0].message_vi
    assert "Không thay đổi" in msg


@pytest.mark.parametrize("value,code", [("maybe", "choice"), (None, None)])
def test_confirmation_values_are_checked(value, code):
    h = household(confirmations={"housing": value} if value else {"nowhere": "unchanged"})
    expected = {"confirmations.housing": {code}} if code else {"confirmations.nowhere": {"unknown_field"}}
    assert codes(h) == expected


@pytest.mark.parametrize("event", ["moved_away", "dissolved", "merged"])
def test_a_household_that_is_gone_needs_no_other_answers(event):
    h = {"household_id": "7f1c1d2e-0000-4000-8000-000000000009", "form_version": "2025.1",
         "collected_at": "2025-10-01", "preloaded_from": "register:2024",
         "area": {"province_code": "22", "ward_code": "BAICHAY", "group_code": "KP01", "area_type": "urban"},
         "lifecycle": {"event": event, "related_household_id": "7f1c1d2e-0000-4000-8000-000000000001"}}
    assert codes(h) == {}
    del h["area"]["group_code"]
    assert codes(h) == {"area.group_code": {"required"}}


def test_merged_and_split_from_name_the_related_household():
    h = household(lifecycle={"event": "split_from"})
    assert codes(h) == {"lifecycle.related_household_id": {"required"}}
    h["lifecycle"]["related_household_id"] = "7f1c1d2e-0000-4000-8000-000000000002"
    assert codes(h) == {}
    assert codes(household(lifecycle={"event": "left"})) == {"lifecycle.event": {"choice"}}
