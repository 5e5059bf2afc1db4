"""Tests for shared/identity.py: names, citizen IDs, phones, house numbers,
blocking keys. Tables first; Hypothesis for "never raises" and idempotence."""
from __future__ import annotations

import copy
import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared import identity as idn
from shared.identity import (
    CitizenId,
    NameParts,
    check_citizen_id,
    check_member_citizen_id,
    citizen_id_edit_distance,
    fold,
    household_blocking_keys,
    house_number_base,
    is_vietnamese_syllable,
    member_key,
    name_key,
    normalize_citizen_id,
    normalize_house_number,
    normalize_name,
    normalize_phone,
    normalize_street,
    parse_citizen_id,
    phone_key,
    phone_keys,
    phone_numbers,
    repair_typing_residue,
    same_base_different_suffix,
    sorted_tokens_key,
    split_name,
)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# ---------------------------------------------------------------- names

VIETNAMESE_NAMES = [
    "Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thị Thu Hương",
    "Huỳnh Ngọc Quý", "Đặng Quốc Khánh", "Bùi Thị Ánh Tuyết", "Đỗ Đức Huy",
    "Hồ Thị Yến", "Ngô Quang Trường", "Dương Thị Thùy Trang", "Vũ Khoa",
    "Võ Thị Hoa", "Phan Nguyễn Khôi Nguyên", "Lý Thị Quỳnh", "Tô Hà Mý",
    "Ksor H'Prông", "Y Moan Ênuôl", "Hoàng Thị Ngoãn", "Trịnh Xuân Thưởng",
]


@pytest.mark.parametrize("name", VIETNAMESE_NAMES)
def test_nfc_and_nfd_inputs_normalise_equal(name):
    composed = unicodedata.normalize("NFC", name)
    assert normalize_name(nfd(name)) == normalize_name(composed)
    assert fold(nfd(name)) == fold(composed)
    assert name_key(nfd(name)) == name_key(composed)


@pytest.mark.parametrize("raw, expected", [
    ("NGUYỄN  văn AN", "nguyễn văn an"),
    ("  Nguyễn\tVăn\n An  ", "nguyễn văn an"),
    ("Nguyễn\u00a0Văn\u200bAn", "nguyễn vănan"),    # NBSP is a space; ZWSP vanishes
    ("Nguyễn\u00adVăn An", "nguyễnvăn an"),          # soft hyphen vanishes
    ("TRẦN THỊ THƯ", "trần thị thư"),
    ("", ""),
    ("   ", ""),
    ("Ksor H’Prông", "ksor h'prông"),                # apostrophe look-alike unified
])
def test_normalize_name(raw, expected):
    assert normalize_name(raw) == expected


@pytest.mark.parametrize("raw", [
    "Đỗ Đức", "ĐỖ ĐỨC", "đỗ đức",
    "\u00d0ỗ \u00d0ức",          # Icelandic capital eth typed for Đ
    "\u00f0ỗ \u00f0ức",          # small eth
    "\u0189ỗ \u0189ức",          # African D
    "D\u0335ỗ D\u0335ức",        # D + combining short stroke overlay
    nfd("\u00d0ỗ \u00d0ức"),
])
def test_eth_and_d_variants_become_d_stroke(raw):
    assert normalize_name(raw) == "đỗ đức"
    assert fold(raw) == "do duc"


@pytest.mark.parametrize("a, b", [("Hùng", "Hưng"), ("Thu", "Thư"), ("Hà", "Hạ"),
                                  ("Đào", "Dao"), ("Lan", "Lân")])
def test_fold_merges_what_normalize_keeps_apart(a, b):
    assert fold(a) == fold(b)
    assert normalize_name(a) != normalize_name(b)


@pytest.mark.parametrize("raw, expected", [
    ("Nguyễn Thị Thư", "nguyen thi thu"),
    ("ĐẶNG VĂN ĐỨC", "dang van duc"),
    ("Hưng", "hung"),
    ("Hùng", "hung"),
    ("Bùi Thị Ánh Tuyết", "bui thi anh tuyet"),
    ("Ksor H'Prông", "ksor h'prong"),
    (None, ""),
    (12, "12"),
])
def test_fold(raw, expected):
    assert fold(raw) == expected


@pytest.mark.parametrize("raw", [
    "Nguyá»…n VÄƒn An",        # UTF-8 read as Windows-1252
    "NGUYá»„N VÄ‚N AN",        # ... upper case
    "NguyÃ¡»…n".replace("Ã¡", "á"),  # same as the first, spelled differently
])
def test_mojibake_is_repaired(raw):
    assert fold(raw) in ("nguyen van an", "nguyen")


@pytest.mark.parametrize("name", VIETNAMESE_NAMES + ["Tô Hà Mý", "Lê Ánh", "ÂU Ý"])
def test_real_names_are_never_treated_as_mojibake(name):
    assert normalize_name(name) == unicodedata.normalize("NFC", name).casefold()


TYPING_RESIDUE = [
    ("nguyeenx", "nguyen"),     # Telex ee + x
    ("nguyeexn", "nguyen"),     # tone key typed before the final consonant
    ("nguye6n4", "nguyen"),     # VNI
    ("nguyen64", "nguyen"),
    ("ddinhf", "dinh"),
    ("d9inh2", "dinh"),
    ("thuw", "thu"),
    ("thw", "thu"),             # Telex w alone is ư
    ("tuaans", "tuan"),
    ("tuasn", "tuan"),
    ("hoangf", "hoang"),
    ("phaamj", "pham"),
    ("tranaf", "tran"),
    ("lee", "le"),
    ("ddawngj", "dang"),
    ("truwowngf", "truong"),
    ("tru7o7ng2", "truong"),
    ("nguwowif", "nguoi"),
    ("quoocs", "quoc"),
    ("thuyr", "thuy"),
    ("huwowng", "huong"),
    ("ngocj", "ngoc"),
    ("hoaf", "hoa"),
    ("khoas", "khoa"),
    ("vawn", "van"),
    ("thij", "thi"),
    ("hooongf", "hong"),
    ("tranaf", "tran"),         # Unikey accepts the circumflex key late
    ("tranw", "tran"),          # ... and the breve key
    ("duongw", "duong"),
    ("nguyene", "nguyen"),
]


@pytest.mark.parametrize("token, expected", TYPING_RESIDUE)
def test_repair_typing_residue(token, expected):
    assert repair_typing_residue(token) == expected
    assert not is_vietnamese_syllable(token)
    assert is_vietnamese_syllable(expected)


COMMON_SYLLABLES = """
nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly
an anh binh chau chi cuong dung dat duc giang ha hai hang hanh hieu hoa hoai
hong hue hung huong huy khanh khoa khoi kien lan linh loan long mai minh my
nam nga ngoc nhung oanh phuc phuong quang quoc quy quynh son tam thanh thao thi
thu thuy trang trinh trung truong tuan tung tuyet uyen van viet xuan yen
khuyen nguyet thuyen loc luong nghia giau gioi khuong tuong thuan xoan doan
ngan huyen vy dieu kieu yeu huu luu ngoan toan thuong thoa quyet quyen khue
tue chuyen nguoi khuya khuyu xoay oai ngheo gia gi que qua ung uong
""".split()


@pytest.mark.parametrize("syllable", COMMON_SYLLABLES)
def test_common_syllables_are_left_alone(syllable):
    assert is_vietnamese_syllable(syllable)
    assert repair_typing_residue(syllable) == syllable


def test_common_syllable_list_is_big_enough():
    assert len(COMMON_SYLLABLES) >= 60


@pytest.mark.parametrize("token", ["ksor", "mlo", "kpa", "hhen", "rahlan", "hprong",
                                   "2", "2025", "", "ênuôl", "x"])
def test_non_vietnamese_tokens_are_left_alone(token):
    assert repair_typing_residue(token) == token


@pytest.mark.parametrize("name", VIETNAMESE_NAMES)
def test_name_key_of_real_names_is_their_fold(name):
    expected = " ".join(fold(name).replace("'", "").split())
    assert name_key(name) == expected


@pytest.mark.parametrize("variant", [
    "Nguyễn Văn Đường", "NGUYỄN VĂN ĐƯỜNG", "nguyen van duong", "Nguyen Van Duong",
    "Nguyeenx Vawn DDuwowngf", "Nguye6n4 Va8n D9u7o7ng2", "Nguyễn-Văn Đường.",
])
def test_name_key_equates_spellings(variant):
    assert name_key(variant) == "nguyen van duong"
    assert name_key(nfd(variant)) == "nguyen van duong"


@pytest.mark.parametrize("full_name, parts", [
    ("Nguyễn Văn An", NameParts("nguyễn", "văn", "an")),
    ("Phạm Thị Thu Hương", NameParts("phạm", "thị thu", "hương")),
    ("Lê An", NameParts("lê", "", "an")),
    ("An", NameParts("", "", "an")),
    ("  ", NameParts("", "", "")),
    (None, NameParts("", "", "")),
    ("TRẦN  thị  BÌNH", NameParts("trần", "thị", "bình")),
])
def test_split_name(full_name, parts):
    assert split_name(full_name) == parts


def test_sorted_tokens_key_survives_reordering():
    assert sorted_tokens_key("An Nguyễn Văn") == sorted_tokens_key("Nguyễn Văn An")
    assert sorted_tokens_key("Nguyễn Văn An") == "an nguyen van"


# ---------------------------------------------------------------- citizen ID

BRIEF_CODES = ("001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 "
               "030 031 033 034 035 036 037 038 040 042 044 045 046 048 049 051 052 054 "
               "056 058 060 062 064 066 067 068 070 072 074 075 077 079 080 082 083 084 "
               "086 087 089 091 092 093 094 095 096").split()


def test_province_data_file():
    path = Path(idn.__file__).parent / "data" / "cccd_provinces.json"
    data = json.loads(path.read_text("utf-8"))
    assert data["confidence"] == "S" and data["source"]
    codes = [row["code"] for row in data["provinces"]]
    assert codes == BRIEF_CODES and len(codes) == 63
    assert idn.known_province_codes() == frozenset(BRIEF_CODES)
    assert idn.province_name("022") == "Quảng Ninh"
    assert idn.province_name("099") is None


@pytest.mark.parametrize("raw, expected", [
    ("022080001234", "022080001234"),
    (" 022 080 001 234 ", "022080001234"),
    ("022.080.001.234", "022080001234"),
    ("022-080-001234", "022080001234"),
    ("０２２０８０００１２３４", "022080001234"),   # full-width digits
    (22080001234, "022080001234"),                 # number: Excel ate the 0
    (22080001234.0, "022080001234"),
    ("22080001234.0", "22080001234"),
    ("  O22O8OOO1234 ", "O22O8OOO1234"),
    (None, ""),
    ("", ""),
])
def test_normalize_citizen_id(raw, expected):
    assert normalize_citizen_id(raw) == expected


@pytest.mark.parametrize("number, sex, year", [
    ("022080001234", "male", 1980),
    ("022180001234", "female", 1980),
    ("022218001234", "male", 2018),
    ("022318001234", "female", 2018),
    ("001405123456", "male", 2105),
    ("001505123456", "female", 2105),
    ("001600123456", "male", 2200),
    ("001700123456", "female", 2200),
    ("001899123456", "male", 2399),
    ("001999123456", "female", 2399),
])
def test_parse_citizen_id_century_and_sex(number, sex, year):
    parsed = parse_citizen_id(number)
    assert parsed == CitizenId(number[:3], sex, year, number[6:], number)


@pytest.mark.parametrize("raw", ["02208000123", "0220800012345", "O22080001234", "", None, "abc"])
def test_parse_citizen_id_rejects_malformed(raw):
    assert parse_citizen_id(raw) is None


def codes(issues):
    return [issue.code for issue in issues]


def test_check_citizen_id_valid():
    assert check_citizen_id("022080001234", sex="male", birth_year=1980) == []
    assert check_citizen_id("022 080 001 234", sex="nam", birth_year="1980") == []
    assert check_citizen_id(None) == [] and check_citizen_id("  ") == []


def test_child_born_2018_with_a_parents_id():
    issues = check_citizen_id("022080001234", sex="male", birth_year=2018)
    assert codes(issues) == ["birth_year_mismatch"]
    issue = issues[0]
    assert issue.severity == "error"
    assert issue.message_vi.startswith(
        "Số CCCD 022080001234 cho năm sinh 1980 nhưng thành viên sinh năm 2018")
    assert "1980" in issue.message_en and "2018" in issue.message_en


def test_children_born_in_the_2000s_use_digits_2_and_3():
    assert check_citizen_id("022218001234", "male", 2018) == []
    assert check_citizen_id("022318001234", "female", 2018) == []
    # Right two year digits, wrong century digit.
    assert codes(check_citizen_id("022018001234", "male", 2018)) == ["birth_year_mismatch"]


@pytest.mark.parametrize("value, expected", [
    ("02208000123", ["length"]),
    ("0220800012345", ["length"]),
    ("O22080001234", ["not_digits"]),
    ("abc", ["not_digits", "length"]),
])
def test_check_citizen_id_shape_errors(value, expected):
    issues = check_citizen_id(value, "male", 1980)
    assert codes(issues) == expected
    assert all(i.severity == "error" and i.message_vi and i.message_en for i in issues)


def test_nine_digits_mentions_old_cmnd():
    (issue,) = check_citizen_id("123456789")
    assert issue.code == "length"
    assert "CMND" in issue.message_vi and "CMND" in issue.message_en


def test_eleven_digits_hints_at_lost_leading_zero():
    (issue,) = check_citizen_id("22080001234")
    assert issue.code == "length" and "0" in issue.message_en and "Excel" in issue.message_vi


def test_unknown_province_is_a_warning():
    issues = check_citizen_id("099080001234", "male", 1980)
    assert codes(issues) == ["province"]
    assert issues[0].severity == "warning"


def test_sex_mismatch():
    issues = check_citizen_id("022080001234", sex="female", birth_year=1980)
    assert codes(issues) == ["sex_mismatch"]
    assert issues[0].severity == "error" and "nữ" in issues[0].message_vi


def test_every_consistency_issue_at_once():
    issues = check_citizen_id("099080001234", sex="Nữ", birth_year=2018)
    assert codes(issues) == ["province", "sex_mismatch", "birth_year_mismatch"]


@pytest.mark.parametrize("sex, year", [(None, None), ("unknown", "??"), (3, 19.5)])
def test_unknown_sex_or_year_are_not_checked(sex, year):
    assert check_citizen_id("022080001234", sex, year) == []


def test_check_member_citizen_id_prefers_birth_date():
    member = {"citizen_id": "022080001234", "sex": "male",
              "birth_date": "2018-03-04", "birth_year": 1980}
    assert codes(check_member_citizen_id(member)) == ["birth_year_mismatch"]
    assert check_member_citizen_id({"citizen_id": "022080001234", "birth_date": "01/05/1980"}) == []
    assert check_member_citizen_id("not a member") == []


@pytest.mark.parametrize("a, b, distance", [
    ("022080001234", "022080001234", 0),
    ("022080001234", "022080001235", 1),
    ("022080001234", "022080002134", 2),     # transposition = 2 substitutions
    ("022 080 001 234", "022080001234", 0),
    ("02208000123", "022080001234", 1),      # one digit dropped
    ("", "123", 3),
    (None, None, 0),
])
def test_citizen_id_edit_distance(a, b, distance):
    assert citizen_id_edit_distance(a, b) == distance


# ---------------------------------------------------------------- phones

@pytest.mark.parametrize("raw, expected", [
    ("0912 345 678", "0912345678"),
    ("0912.345.678", "0912345678"),
    ("+84 912 345 678", "0912345678"),
    ("+84912345678", "0912345678"),
    ("+84 (0) 912 345 678", "0912345678"),
    ("84912345678", "0912345678"),
    ("0084 912 345 678", "0912345678"),
    ("912345678", "0912345678"),          # Excel dropped the 0
    (912345678, "0912345678"),
    ("912345678.0", "0912345678"),
    ("0843456789", "0843456789"),         # 084 is a mobile prefix, not a country code
    ("01629 123 456", "0329123456"),      # pre-2018 11-digit Viettel number
    ("0120 123 4567", "0701234567"),
    ("0203 3846 123", "02033846123"),     # landline
    ("", ""),
    (None, ""),
    ("không có", ""),
])
def test_normalize_phone(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("0912 345 678", "912345678"),
    ("+84 912 345 678", "912345678"),
    ("84912345678", "912345678"),
    ("01669 123 456", "369123456"),
    ("0912 345", None),
    ("0000000000", None),
    ("0123456789", None),
    (None, None),
])
def test_phone_key(raw, expected):
    assert phone_key(raw) == expected


def test_several_phones_in_one_field():
    assert phone_numbers("0912 345 678 / 0987.654.321") == ["0912345678", "0987654321"]
    assert phone_keys("0912345678; +84 986 554 321 hoặc 0912345678") == ["912345678", "986554321"]
    assert phone_keys("0912345678 hoặc 0987654321") == ["912345678"]  # a placeholder


# ---------------------------------------------------------------- house numbers

@pytest.mark.parametrize("raw, normalised, base", [
    ("12/3A", "12/3a", "12/3"),
    ("12 / 3A", "12/3a", "12/3"),
    ("Số 12/3A", "12/3a", "12/3"),
    ("số nhà 12/3A", "12/3a", "12/3"),
    ("SN 12/3A", "12/3a", "12/3"),
    ("12-3a", "12/3a", "12/3"),
    ("12\\3a", "12/3a", "12/3"),
    ("12/3-A", "12/3a", "12/3"),
    ("15B", "15b", "15"),
    ("15", "15", "15"),
    ("12/3", "12/3", "12/3"),
    ("K12/3/1", "12/3/1", "12/3/1"),          # K = kiệt, an alley (central Vietnam): "Kiệt 12/3/1"
    ("Ngõ 12/3", "12/3", "12/3"), ("12 ngõ 3", "12/3", "12/3"), ("hẻm 12/3A", "12/3a", "12/3"),
    ("12 ngõ 3 ngách 5", "12/3/5", "12/3/5"), ("Số số nhà 7", "7", "7"), ("Khu 5", "khu5", "khu5"),
    ("", "", ""),
    (None, "", ""),
    (12, "12", "12"),
])
def test_house_numbers(raw, normalised, base):
    assert normalize_house_number(raw) == normalised
    assert house_number_base(raw) == base


@pytest.mark.parametrize("a, b, expected", [
    ("12/3", "12/3A", True),
    ("12/3a", "Số 12/3B", True),
    ("15A", "15", True),
    ("12/3A", "12/3 a", False),     # the same number
    ("12/3", "12/4", False),
    ("12", "12/3", False),
    ("", "12", False),
    (None, None, False),
])
def test_same_base_different_suffix(a, b, expected):
    assert same_base_different_suffix(a, b) is expected


@pytest.mark.parametrize("raw, expected", [
    ("Hạ Long", "ha long"),
    ("Đường Hạ Long", "ha long"),
    ("đ. Hạ Long", "ha long"),
    ("Phố Huế", "hue"),
    ("Đường số 5", "so 5"),
    ("Đường", "duong"),
])
def test_normalize_street(raw, expected):
    assert normalize_street(raw) == expected


# ---------------------------------------------------------------- blocking keys

def household(**changes):
    record = {
        "household_id": "3f1c1c1e-0000-4000-8000-000000000001",
        "collected_at": "2025-10-02",
        "area": {"province_code": "22", "ward_code": "BAICHAY", "group_code": "KP01",
                 "area_type": "urban"},
        "address": {"house_number": "12/3A", "street": "Hạ Long"},
        "phone": "0912 345 678",
        "members": [
            {"member_id": "m1", "full_name": "Nguyễn Văn An", "relation": "head",
             "sex": "male", "birth_date": "1980-05-01", "birth_year": 1980,
             "citizen_id": "022080001234"},
            {"member_id": "m2", "full_name": "Trần Thị Bình", "relation": "spouse",
             "sex": "female", "birth_year": 1982},
            {"member_id": "m3", "full_name": "Nguyễn Thị Thư", "relation": "child",
             "sex": "female", "birth_year": 2018, "citizen_id": "022318004321"},
        ],
    }
    record.update(changes)
    return record


def test_blocking_keys_of_a_household():
    assert household_blocking_keys(household()) == {
        "addr:ha long|12/3", "addrg:kp01|12/3",          # the group key too: the other record may lack the street
        "phone:912345678",
        "cid:022080001234", "cid6:001234", "cidg:022080|an",
        "cid:022318004321", "cid6:004321", "cidg:022318|thu",
        "hgy:an|1980", "hst:an nguyen van",
        "mny:nguyen van an|1980", "mny:tran thi binh|1982", "mny:nguyen thi thu|2018",
    }


def test_scope_prefixes_every_key():
    keys = household_blocking_keys(household(), scope="BAICHAY")
    assert keys and all(k.startswith("BAICHAY|") for k in keys)
    assert "BAICHAY|phone:912345678" in keys


FAMILY_NAMES = {"nguyen", "tran", "le", "pham", "hoang", "huynh", "vu", "vo", "dang", "bui"}


def test_never_a_key_on_the_family_name_alone():
    records = [
        household(),
        household(members=[{"full_name": "Nguyễn", "relation": "head", "birth_year": 1980}]),
        household(members=[{"full_name": "Nguyễn Văn", "relation": "head", "birth_year": 1980}]),
        household(members=[{"full_name": "Trần", "birth_year": 1990, "citizen_id": "022090001111"}]),
    ]
    for record in records:
        for key in household_blocking_keys(record):
            value = key.split(":", 1)[1]
            for field in value.split("|"):
                assert field not in FAMILY_NAMES, key


def test_one_token_names_give_no_name_keys():
    record = household(members=[{"full_name": "Nguyễn", "relation": "head", "birth_year": 1980}])
    keys = household_blocking_keys(record)
    assert not any(k.startswith(("hgy:", "hst:", "mny:", "cidg:")) for k in keys)


def test_missing_fields_contribute_no_key():
    assert household_blocking_keys({}) == set()
    assert household_blocking_keys({"members": []}) == set()
    record = household(phone=None, address={}, members=[
        {"full_name": "Lê Văn Cường", "relation": "head"}])  # no year, no ID
    assert household_blocking_keys(record) == {"hst:cuong le van"}


def test_address_needs_a_house_number_with_a_digit():
    assert not any(k.startswith("addr") for k in household_blocking_keys(
        household(address={"house_number": "không", "street": "Hạ Long"})))
    assert not any(k.startswith("addr") for k in household_blocking_keys(
        household(address={"street": "Hạ Long"})))


def test_group_replaces_a_missing_street():
    keys = household_blocking_keys(household(address={"house_number": "Số 7"}))
    assert "addrg:kp01|7" in keys


def test_head_fallback_is_the_first_named_member():
    record = household()
    for member in record["members"]:
        member.pop("relation")
    keys = household_blocking_keys(record)
    assert "hgy:an|1980" in keys and "hst:an nguyen van" in keys


def transformed(record, transform):
    record = copy.deepcopy(record)
    for member in record["members"]:
        member["full_name"] = transform(member["full_name"])
    record["address"]["street"] = transform(record["address"]["street"])
    return record


def strip_marks(text):
    return fold(text).title()


@pytest.mark.parametrize("transform", [
    strip_marks, nfd, str.upper,
    lambda s: {"Nguyễn Văn An": "Nguyeenx Vawn An", "Trần Thị Bình": "Traafn Thij Binhf",
               "Nguyễn Thị Thư": "Nguye6n4 Thi5 Thu7", "Hạ Long": "Haj Long"}[s],
])
def test_spelling_variants_share_keys(transform):
    original = household()
    variant = transformed(original, transform)
    variant["phone"] = None
    for member in variant["members"]:
        member.pop("citizen_id", None)
    shared = household_blocking_keys(original) & household_blocking_keys(variant)
    assert {"addr:ha long|12/3", "hgy:an|1980", "mny:tran thi binh|1982"} <= shared


def test_head_change_still_shares_roster_keys():
    before = household()
    after = household()
    after["members"] = [m for m in after["members"] if m["member_id"] != "m1"]
    after["members"][0]["relation"] = "head"       # the widow becomes head
    after["phone"] = None
    after["address"] = {}
    shared = household_blocking_keys(before) & household_blocking_keys(after)
    assert "mny:tran thi binh|1982" in shared


def test_split_family_is_put_in_the_same_block():
    parent = household(address={"house_number": "12/3", "street": "Hạ Long"})
    child = household(address={"house_number": "12/3A", "street": "Hạ Long"})
    assert "addr:ha long|12/3" in household_blocking_keys(parent) & household_blocking_keys(child)
    assert same_base_different_suffix("12/3", "12/3A")


def test_placeholder_ids_and_phones_give_no_keys():
    record = household(phone="0000000000", members=[
        {"full_name": "Lê Văn Cường", "citizen_id": "000000000000", "birth_year": 1970}])
    keys = household_blocking_keys(record)
    assert not any(k.startswith(("phone:", "cid")) for k in keys)


def test_old_nine_digit_numbers_block_exactly_only():
    record = household(members=[{"full_name": "Lê Văn Cường", "citizen_id": "100123456",
                                 "birth_year": 1970}])
    keys = household_blocking_keys(record)
    assert "cid:100123456" in keys
    assert not any(k.startswith(("cid6:", "cidg:")) for k in keys)


@pytest.mark.parametrize("garbage", [
    None, 42, "household", [], {"members": None}, {"members": "Nguyễn Văn An"},
    {"members": [None, 3, "x", {"full_name": None}]},
    {"members": [{"full_name": 123, "birth_year": "19x0", "citizen_id": 22080001234.5}]},
    {"members": [{"full_name": b"Nguy\xe1\xbb\x85n V\xc4\x83n An", "birth_year": 1980.0,
                  "relation": ["head"], "birth_date": 19800501}]},
    {"members": [{"full_name": b"\xff\xfe broken", "birth_year": True}]},
    {"address": "12 Hạ Long", "area": 7, "phone": 912345678},
    {"address": {"house_number": 12, "street": 3.5}, "phone": ["0912345678"]},
    {"phone": float("nan"), "members": [{"full_name": "An", "birth_year": float("inf")}]},
])
def test_garbage_never_raises(garbage):
    keys = household_blocking_keys(garbage, scope=garbage if isinstance(garbage, str) else None)
    assert isinstance(keys, set)


def test_bytes_names_are_decoded():
    record = {"members": [{"full_name": "Nguyễn Văn An".encode(), "relation": "head",
                           "birth_year": 1980}]}
    assert "hgy:an|1980" in household_blocking_keys(record)


@pytest.mark.parametrize("member, key", [
    ({"full_name": "Nguyễn Văn An", "birth_year": 1980}, ("nguyen van an", 1980)),
    ({"full_name": "NGUYEENX VAWN AN", "birth_date": "1980-05-01"}, ("nguyen van an", 1980)),
    ({"full_name": "An", "birth_year": "1980"}, ("an", 1980)),
    ({}, ("", None)),
    (None, ("", None)),
])
def test_member_key(member, key):
    assert member_key(member) == key


# ---------------------------------------------------------------- properties

@settings(max_examples=300, deadline=None)
@given(st.text())
def test_text_functions_never_raise_and_fold_is_idempotent(text):
    normalised = normalize_name(text)
    folded = fold(text)
    assert fold(folded) == folded
    assert normalize_name(normalised) == normalised
    assert normalize_name(nfd(text)) == normalize_name(unicodedata.normalize("NFC", text))
    assert " " + " " not in folded and folded == folded.strip()
    key = name_key(text)
    assert name_key(key) == key
    split_name(text)
    sorted_tokens_key(text)
    normalize_house_number(text)
    house_number_base(text)
    phone_key(text)
    check_citizen_id(text, text, text)
    citizen_id_edit_distance(text, text[::-1])
    for token in folded.split():
        repair_typing_residue(token)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[a-z0-9]{1,12}", fullmatch=True))
def test_repair_is_idempotent_on_folded_tokens(token):
    repaired = repair_typing_residue(token)
    assert repair_typing_residue(repaired) == repaired


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
member_like = st.fixed_dictionaries({}, optional={
    "full_name": st.text() | json_values, "relation": st.sampled_from(["head", "child"]) | st.text(),
    "birth_year": st.integers() | json_values, "birth_date": st.text() | json_values,
    "citizen_id": st.from_regex(r"[0-9 .-]{0,14}", fullmatch=True) | json_values,
    "sex": st.text() | json_values, "phone": st.text() | json_values,
})
household_like = st.fixed_dictionaries({}, optional={
    "area": st.fixed_dictionaries({}, optional={"group_code": st.text() | json_values}) | json_values,
    "address": st.fixed_dictionaries({}, optional={
        "house_number": st.text() | json_values, "street": st.text() | json_values}) | json_values,
    "phone": st.text() | json_values,
    "members": st.lists(member_like | json_values, max_size=4) | json_values,
})


@settings(max_examples=300, deadline=None)
@given(household_like | json_values, st.none() | st.text() | json_values)
def test_blocking_keys_never_raise(record, scope):
    keys = household_blocking_keys(record, scope)
    assert isinstance(keys, set) and all(isinstance(k, str) for k in keys)


VIETNAMESE_LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=VIETNAMESE_LETTERS, min_size=1, max_size=7), min_size=2, max_size=4),
       st.integers(1900, 2025))
def test_nfd_and_upper_case_households_share_keys(tokens, year):
    name = " ".join(tokens)
    record = {"members": [{"full_name": name, "relation": "head", "birth_year": year}]}
    for variant in (nfd(name), name.upper(), fold(name)):
        other = {"members": [{"full_name": variant, "relation": "head", "birth_year": year}]}
        assert household_blocking_keys(record) & household_blocking_keys(other)


@pytest.mark.parametrize("value, expected", [
    ("100234567", "100234567"), ("100 234 567", "100234567"), ("100.234.567", "100234567"),
    (31234567, "031234567"), (100234567.0, "100234567"), ("022068001234", ""), ("12345", ""),
    ("111111111", ""), (None, ""), ("abcdefghi", ""), (True, "")])
def test_normalize_old_id(value, expected):
    from shared.identity import normalize_old_id
    assert normalize_old_id(value) == expected


def test_nine_digits_name_the_old_id_field_when_the_form_has_one():
    (issue,) = check_citizen_id("123456789", old_id_field=("Số CMND cũ (9 số, nếu có)", "Old ID number (CMND)"))
    assert "Số CMND cũ (9 số, nếu có)" in issue.message_vi and "Old ID number (CMND)" in issue.message_en
    (issue,) = check_citizen_id("123456789")
    assert "không có ô" in issue.message_vi and "no field" in issue.message_en
    assert "trường CMND riêng" not in issue.message_vi        # a field that does not exist


@pytest.mark.parametrize("address, expected", [
    ({"house_number": "12/3", "street": "Đường Hạ Long"}, ("12/3", "ha long")),
    ({"street": "Số 404/57 Mạc Đăng Dung"}, ("404/57", "mac dang dung")),
    ({"house_number": "", "street": "SO NHA SO 385 TRAN PHU"}, ("385", "tran phu")),
    ({"street": "45 ngõ 12 Hạ Long"}, ("45/12", "ha long")),
    ({"street": "Đường 3/2"}, ("", "3 2")),                  # a street named by a date: no number in it
    ({"street": "Phố Tuần Châu"}, ("", "tuan chau")),
    ("garbage", ("", "")), ({"house_number": 12, "street": None}, ("12", "")),
])
def test_address_parts_take_a_number_out_of_the_street(address, expected):
    assert idn.address_parts(address) == expected


def test_a_number_in_the_street_field_blocks_with_the_same_number_written_apart():
    a = {"address": {"street": "Số 404/57 Mạc Đăng Dung"}, "members": []}
    b = {"address": {"house_number": "Ngõ 404/57", "street": "Mac Dang Dung"}, "members": []}
    assert {k for k in idn.household_blocking_keys(a) if k.startswith("addr:")} == \
        {k for k in idn.household_blocking_keys(b) if k.startswith("addr:")} == {"addr:mac dang dung|404/57"}
