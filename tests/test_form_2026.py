"""Form 2026.1: the exclusive "none" choice, the member count, the old ID number (CMND) and the
questions of the 2027–2030 standard. Old documents (2025.1) stay valid as they were."""
from __future__ import annotations

import pytest

from shared.forms import load_form
from shared.validation import errors, validate
from tests.factories import household, member


def doc_2026(**over):
    d = household(**over)
    d["form_version"] = "2026.1"
    d.setdefault("internet_access", True)
    d.setdefault("digital_services", True)
    d.setdefault("waste_treatment", "collected")
    return d


def codes(d, path):
    return [p.code for p in errors(validate(d, form=load_form(d["form_version"]))) if p.path == path]


def test_a_complete_2026_household_is_valid():
    assert errors(validate(doc_2026(), form=load_form("2026.1"))) == []


def test_none_is_an_answer_and_an_empty_selection_is_not():
    assert codes(doc_2026(info_devices=["none"]), "info_devices") == []
    assert codes(doc_2026(info_devices=[]), "info_devices") == ["required"]


def test_none_cannot_be_chosen_with_a_device():
    d = doc_2026(info_devices=["none", "tv"])
    probs = [p for p in validate(d, form=load_form("2026.1")) if p.path == "info_devices"]
    assert [p.code for p in probs] == ["exclusive_choice"]
    assert "Không có" in probs[0].message_vi


def test_an_old_draft_keeps_its_meaning():
    # 2025.1 has no "none" choice: an empty list stays the answer "owns none", as it always was.
    d = household(info_devices=[])
    assert d["form_version"] == "2025.1"
    assert codes(d, "info_devices") == []
    assert codes(household(info_devices=["none"]), "info_devices") == ["choice"]


@pytest.mark.parametrize("field", ["internet_access", "digital_services", "waste_treatment"])
def test_the_2027_2030_questions_are_required_in_2026_1(field):
    d = doc_2026()
    del d[field]
    assert codes(d, field) == ["required"]


def test_member_count_cannot_be_below_the_listed_members():
    d = doc_2026(members=[member("m1"), member("m2", "spouse", 38, "female"), member("m3", "child", 10)])
    assert codes(dict(d, member_count=3), "member_count") == []
    assert codes(dict(d, member_count=6), "member_count") == []
    assert codes(dict(d, member_count=2), "member_count") == ["constraint"]
    assert codes(dict(d, member_count=0), "member_count") == ["range"]


@pytest.mark.parametrize("value,ok", [("123456789", True), ("12345678", False), ("0123456789", False),
                                      ("12345678a", False)])
def test_old_id_number_is_nine_digits(value, ok):
    d = doc_2026()
    d["members"][0]["old_id_number"] = value
    assert (codes(d, "members[0].old_id_number") == []) is ok
