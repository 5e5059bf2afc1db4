"""Phiếu A: a mechanism whose criteria are data, recording why a household was screened out."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.screening import ScreeningError, criteria_from_dict, load_criteria, screen
from tests.factories import household

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "phieu-a-criteria-synthetic.json"
CRIT = load_criteria(EXAMPLE)


def test_a_household_meeting_a_criterion_is_screened_out_with_the_reason():
    h = household(income_pp_month=None)
    h["housing"]["floor_area_m2"] = 160
    h["income"] = {"wages": 100_000_000}
    r = screen(h, CRIT)
    assert r["screened_out"] is True and [x["id"] for x in r["reasons"]] == ["large_durable_house"]
    assert "Loại qua Phiếu A" in r["explanation_vi"] and "THỬ NGHIỆM" in r["explanation_vi"]


def test_a_household_meeting_none_goes_on_to_phieu_b():
    h = household(income_pp_month=1_000_000)
    r = screen(h, CRIT)
    assert r["screened_out"] is False and r["reasons"] == []


def test_missing_answers_leave_it_undetermined():
    h = household(income_pp_month=None)
    h["housing"] = {}
    r = screen(h, CRIT)
    assert r["screened_out"] is None and set(r["unknown"]) == {"large_durable_house", "high_declared_wages"}


def test_the_example_is_labelled_synthetic():
    assert CRIT.synthetic is True and "THỬ NGHIỆM" in CRIT.label["vi"]


@pytest.mark.parametrize("data,field", [
    ({"label": {"vi": "x"}, "criteria": []}, "'id'"),
    ({"id": "x", "label": {"vi": "x"}, "criteria": [{"id": "a", "label": {}, "when": "1"}]}, "criteria[0].label"),
    ({"id": "x", "label": {"vi": "x"}, "criteria": [{"id": "a", "label": {"vi": "a"}, "when": "${x} >="}]},
     "criteria[0].when"),
])
def test_a_malformed_criteria_file_names_the_field(data, field):
    with pytest.raises(ScreeningError, match=field.replace("[", r"\[").replace("]", r"\]")):
        criteria_from_dict(json.loads(json.dumps(data)), "a.json")


def test_the_cli_records_the_screening_beside_the_classification():
    import subprocess
    import sys
    root = EXAMPLE.parents[1]
    h = household(income_pp_month=None)
    h["income"] = {"wages": 700_000_000, "farming_net": 0, "business": 0}
    r = subprocess.run([sys.executable, "-m", "server.cli", "classify", "-", "--phieu-a", str(EXAMPLE)],
                       input=json.dumps(h), capture_output=True, text=True, cwd=root, check=False)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["phieu_a"]["screened_out"] is True and out["phieu_a"]["reasons"][0]["id"] == "high_declared_wages"
