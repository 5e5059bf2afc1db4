"""Validation messages about old 9-digit ID numbers (CMND) name a field that exists in the form
of the document (issue 19): form 2026.1 has one, form 2025.1 has none."""
from __future__ import annotations

from shared.forms import load_form
from shared.validation import errors, validate
from tests.factories import household


def _citizen_id_problem(doc, form):
    (p,) = [p for p in errors(validate(doc, form=form)) if p.path == "members[0].citizen_id"]
    return p


def test_a_cmnd_in_the_citizen_id_field_names_the_old_id_field_of_form_2026_1():
    d = household()
    d["form_version"] = "2026.1"
    d["members"][0]["citizen_id"] = "123456789"
    p = _citizen_id_problem(d, load_form("2026.1"))
    assert "Số CMND cũ (9 số, nếu có)" in p.message_vi
    assert "Old ID number (CMND, 9 digits, if any)" in p.message_en


def test_form_2025_1_says_it_has_no_field_for_it():
    d = household()
    d["members"][0]["citizen_id"] = "123456789"
    p = _citizen_id_problem(d, load_form("2025.1"))
    assert "không có ô" in p.message_vi and "no field" in p.message_en
    assert "CMND" in p.message_vi
