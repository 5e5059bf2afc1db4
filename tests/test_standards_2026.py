"""The law as it stands in December 2026 (domain.md §2.5, §2.7): the 2022–2025 standard in force
through 2026 (Decree 351/2025), the 2027–2030 standard and its indicator set, Quảng Ninh without a
known provincial standard after 2025, marks on every legal value, and standard files refused at
load naming the file and the field."""
from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from shared.classify import classify, classify_all
from shared.standards import StandardError, applicable_standards, coverage_notes, load_standards, standard_from_dict
from tests.factories import household, member

STD = load_standards()
NAT22 = STD["vn-national-2022-2025"]
NAT27 = STD["vn-national-2027-2030"]
QN = STD["qn-provincial-2023-2025"]
ROOT = Path(__file__).resolve().parents[1]


def doc27(**kw):
    """A form 2026.1 household (asks the 2027–2030 questions), not deprived, dated in 2027."""
    h = household(collected_at=kw.pop("collected_at", "2027-10-01"), **kw)
    h["form_version"] = "2026.1"
    h.setdefault("internet_access", True)
    h.setdefault("digital_services", True)
    h.setdefault("waste_treatment", "collected")
    return h


def ids(results):
    return [r.id if hasattr(r, "id") else r["standard_id"] for r in results]


def deprived(result, key):
    return next(i["deprived"] for i in result["indicators"] if i["key"] == key)


# --- which standard applies on which date ------------------------------------------------------

def test_a_household_of_october_2026_is_classified_under_2022_2025_by_default():
    h = household(collected_at="2026-10-01", province_code="01", income_pp_month=1_900_000)
    rs = classify_all(h)
    assert ids(rs) == ["vn-national-2022-2025"]
    assert rs[0]["class"] == "near_poor" and rs[0]["in_period"] is True


def test_a_household_of_october_2027_is_classified_under_2027_2030_by_default():
    rs = classify_all(doc27(province_code="01", income_pp_month=2_700_000))
    assert ids(rs) == ["vn-national-2027-2030"]
    assert rs[0]["class"] == "near_poor"          # 2.7 M ≤ 2.8 M urban line


@pytest.mark.parametrize("day,expected", [
    ("2025-12-31", ["vn-national-2022-2025"]), ("2026-01-01", ["vn-national-2022-2025"]),
    ("2026-12-31", ["vn-national-2022-2025"]), ("2027-01-01", ["vn-national-2027-2030"]),
    ("2030-12-31", ["vn-national-2027-2030"]), ("2031-01-01", []),
])
def test_the_period_boundaries(day, expected):
    assert ids(applicable_standards("01", dt.date.fromisoformat(day))) == expected


def test_2026_is_in_force_from_secondary_sources_and_the_result_says_so():
    r = classify(household(collected_at="2026-10-01"), NAT22)
    periods = [u for u in r["unconfirmed"] if u["value"].startswith("period")]
    assert periods and periods[0]["mark"] == "S" and "351/2025" in periods[0]["source"]
    assert "nguồn thứ cấp" in r["explanation_vi"]
    r25 = classify(household(collected_at="2025-10-01"), NAT22)
    assert not [u for u in r25["unconfirmed"] if u["value"].startswith("period")]


def test_the_legal_basis_names_the_three_decrees():
    for decree in ("07/2021/NĐ-CP", "30/2025/NĐ-CP", "351/2025/NĐ-CP"):
        assert decree in NAT22.legal_basis


# --- every income line of each period ---------------------------------------------------------

@pytest.mark.parametrize("standard,day,area,line", [
    (NAT22, "2025-10-01", "urban", 2_000_000), (NAT22, "2025-10-01", "rural", 1_500_000),
    (NAT22, "2026-10-01", "urban", 2_000_000), (NAT22, "2026-10-01", "rural", 1_500_000),
    (QN, "2025-10-01", "urban", 2_600_000), (QN, "2025-10-01", "rural", 2_100_000),
    (NAT27, "2027-10-01", "urban", 2_800_000), (NAT27, "2027-10-01", "rural", 2_200_000),
])
@pytest.mark.parametrize("delta,below", [(-1, True), (0, True), (1, False)])
def test_every_income_line(standard, day, area, line, delta, below):
    h = doc27(collected_at=day, area_type=area, income_pp_month=None)
    h["income"] = {"wages": (line + delta) * 12}
    r = classify(h, standard)
    assert r["income"]["line"] == line and r["income"]["below_line"] is below
    assert (r["class"] == "near_poor") is below


def test_the_2027_2030_standard_has_no_average_band_and_says_so():
    r = classify(doc27(income_pp_month=2_900_000), NAT27)
    assert r["class"] == "not_poor"
    assert "chưa có ngưỡng mức sống trung bình" in r["explanation_vi"]


# --- the 2027–2030 indicator set ----------------------------------------------------------------

def test_the_2027_2030_set_drops_means_of_information_and_adds_three():
    keys = [i.key for i in NAT27.indicators]
    assert "information_devices" not in keys
    assert {"internet_access", "digital_services", "waste_treatment"} <= set(keys)
    assert [i.number for i in NAT27.indicators] == list(range(1, len(keys) + 1))
    assert all(i.mark == "U" for i in NAT27.indicators)
    assert len(NAT22.indicators) == 12


@pytest.mark.parametrize("field,bad,good", [
    ("internet_access", False, True), ("digital_services", False, True),
    ("waste_treatment", "unhygienic", "self_hygienic"),
])
def test_each_new_indicator(field, bad, good):
    key = {"internet_access": "internet_access", "digital_services": "digital_services",
           "waste_treatment": "waste_treatment"}[field]
    assert deprived(classify(doc27(**{field: good}), NAT27), key) is False
    r = classify(doc27(**{field: bad}), NAT27)
    assert deprived(r, key) is True and r["deprivation_count"] == 1 and r["b2_score"] == 10
    h = doc27()
    del h[field]
    assert deprived(classify(h, NAT27), key) is None


def test_three_new_deprivations_make_a_low_income_household_poor_in_2027():
    h = doc27(income_pp_month=2_000_000, internet_access=False, digital_services=False,
              waste_treatment="unhygienic")
    r = classify(h, NAT27)
    assert r["deprivation_count"] == 3 and r["class"] == "poor"
    assert "3/14 chỉ số" in r["explanation_vi"]
    # The same answers mean nothing under 2022–2025: none of these is one of its indicators.
    assert classify(dict(h, collected_at="2026-10-01"), NAT22)["class"] == "near_poor"


def test_owning_no_device_is_deprived_under_2022_2025():
    h = household(info_devices=["none"])
    h["form_version"] = "2026.1"
    assert deprived(classify(h, NAT22), "information_devices") is True


def test_every_2027_result_lists_its_unconfirmed_values():
    r = classify(doc27(), NAT27)
    values = {u["value"] for u in r["unconfirmed"] if u["mark"] == "U"}
    assert {"average_band_max", "b1_cutoff", "indicators"} <= values
    assert any(v.startswith("indicator ") for v in values)
    assert "chưa được xác nhận" in r["explanation_vi"]


def test_a_2025_1_document_under_2027_says_which_questions_its_form_did_not_ask():
    h = household(collected_at="2027-10-01", income_pp_month=1_000_000)
    assert h["form_version"] == "2025.1"
    r = classify(h, NAT27)
    assert set(r["not_asked"]) == {"internet_access", "digital_services", "waste_treatment"}
    assert deprived(r, "internet_access") is None
    assert r["class"] == "unknown"           # 3 unknown indicators could make it poor
    assert "2025.1 không hỏi" in r["explanation_vi"]
    assert classify(doc27(income_pp_month=1_000_000), NAT27)["not_asked"] == []


# --- Quảng Ninh after 2025 ---------------------------------------------------------------------

def test_quang_ninh_in_2026_gets_the_national_result_and_a_note_never_an_invented_standard():
    day = dt.date(2026, 10, 1)
    assert ids(applicable_standards("22", day)) == ["vn-national-2022-2025"]
    notes = coverage_notes("22", day)
    assert len(notes) == 1 and "Không có chuẩn nghèo riêng của tỉnh" in notes[0]["vi"]
    assert "31/12/2025" in notes[0]["vi"]
    assert coverage_notes("01", day) == []          # a province that never had one: nothing to say
    assert coverage_notes("22", dt.date(2025, 10, 1)) == []


def test_a_standard_named_for_a_date_outside_its_period_classifies_and_says_so():
    r = classify(household(collected_at="2026-10-01"), QN)
    assert r["class"] != "unknown" and r["in_period"] is False
    assert "nằm ngoài thời gian hiệu lực" in r["explanation_vi"]
    assert classify(household(collected_at="2025-10-01"), QN)["in_period"] is True


def test_the_cli_classifies_a_household_of_2026_and_shows_the_provincial_note(tmp_path):
    doc = json.loads((ROOT / "examples" / "household-poor.json").read_text(encoding="utf-8"))
    doc["collected_at"] = "2026-10-01"
    r = subprocess.run([sys.executable, "-m", "server.cli", "classify", "-"], input=json.dumps(doc),
                       capture_output=True, text=True, cwd=ROOT, check=False)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [x["standard_id"] for x in out["results"]] == ["vn-national-2022-2025"]
    assert out["results"][0]["class"] in ("poor", "near_poor")
    if doc["area"].get("province_code") == "22":
        assert any("tỉnh" in n["vi"] for n in out["notes"])


# --- a malformed standard is refused at load, naming the file and the field ---------------------

def _mutate(path, value):
    data = copy.deepcopy(NAT22.raw)
    cur = data
    for p in path[:-1]:
        cur = cur[p]
    if value is KeyError:
        del cur[path[-1]]
    else:
        cur[path[-1]] = value
    return data


@pytest.mark.parametrize("path,value,named", [
    (("income_line",), KeyError, "'income_line'"),
    (("income_line", "urban"), -5, "income_line.urban"),
    (("income_line",), {"urban": 1}, "income_line"),
    (("marks",), KeyError, "'marks'"),
    (("marks", "income_line"), KeyError, "marks.income_line"),
    (("marks", "income_line", "mark"), "X", "marks.income_line.mark"),
    (("periods", 0, "from"), "2022-13-01", "periods[0].from"),
    (("periods", 1, "from"), "2026-02-01", "periods[1].from"),
    (("periods", 0, "mark"), None, "periods[0].mark"),
    (("indicators", 3, "number"), 9, "indicators[3].number"),
    (("indicators", 3, "key"), "employment", "indicators[3].key"),
    (("indicators", 3, "rule"), "magic", "indicators[3].rule"),
    (("indicators", 3, "dimension"), "space", "indicators[3].dimension"),
    (("indicators", 0, "params", "min_age"), "15", "indicators[0].params.min_age"),
    (("indicators", 8, "params", "ok"), [], "indicators[8].params.ok"),
    (("indicators", 8, "params", "deprived_reason"), {"en": "x"}, "indicators[8].params.deprived_reason"),
    (("indicators", 2, "mark"), "maybe", "indicators[2].mark"),
    (("poor_min_deprivations",), 13, "poor_min_deprivations"),
    (("dimensions",), [], "dimensions"),
])
def test_a_malformed_value_is_refused_naming_file_and_field(path, value, named):
    with pytest.raises(StandardError) as exc:
        standard_from_dict(_mutate(path, value), "broken-standard.json")
    assert "broken-standard.json" in str(exc.value) and named in str(exc.value)


def test_a_broken_file_in_a_directory_is_refused_by_name(tmp_path):
    (tmp_path / "ok.json").write_text(json.dumps(NAT22.raw), encoding="utf-8")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(StandardError, match="bad.json"):
        load_standards(tmp_path)


def test_a_new_standard_is_a_data_file_without_code():
    data = copy.deepcopy(NAT27.raw)
    data.update(id="xx-provincial-2027-2030", scope={"province_codes": ["99"]},
                income_line={"rural": 2_500_000, "urban": 3_100_000})
    data["indicators"] = data["indicators"][:4]
    data["poor_min_deprivations"] = 2
    s = standard_from_dict(data, "xx.json")
    h = doc27(province_code="99", income_pp_month=3_000_000,
              members=[member(health_insurance=False, work_status="unemployed")])
    r = classify(h, s)
    assert r["indicator_total"] == 4 and r["deprivation_count"] == 2 and r["class"] == "poor"
