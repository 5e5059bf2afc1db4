"""Each comparison level, table-driven."""
from __future__ import annotations

import pytest

from server.dedup import compare as c
from server.dedup.features import make_record

from .helpers import FAMILY, house, person


def rec(name="Nguyễn Văn Hùng", year=1968, cid="022068001234", number="12/3", street="Hạ Long",
        phone="0912345678", members=None, ward="W001", group="KP01"):
    head = person(name, "head", year, "male", cid)
    return make_record(house("x", [head] + (members or []), number=number, street=street, phone=phone,
                             ward=ward, group=group))


@pytest.mark.parametrize("a, b, level", [
    ("Nguyễn Văn Hùng", "NGUYỄN  văn hùng", c.NAME_EXACT),
    ("Nguyễn Văn Hùng", "Nguye\u0302\u0303n Văn Hùng", c.NAME_EXACT),          # NFD
    ("Nguyễn Văn Hùng", "Nguyen Van Hung", c.NAME_FOLDED),                    # no diacritics
    ("Nguyễn Văn Hùng", "Nguyeenx Vawn Hungf", c.NAME_FOLDED),                # Telex residue
    ("Nguyễn Văn Hùng", "Nguye6n4 Va8n Hu2ng", c.NAME_FOLDED),                # VNI residue
    ("Nguyễn Văn Hùng", "Nguyễn Văn Hưng", c.NAME_ACCENT),                    # Hùng vs Hưng
    ("Nguyễn Văn Hùng", "Hùng Nguyễn Văn", c.NAME_REORDERED),
    ("Nguyễn Văn Hùng", "Nguyễn Văn Hùnh", c.NAME_FUZZY),                     # typo
    ("Nguyễn Văn Hùng", "Trần Đức Hùng", c.NAME_GIVEN),
    ("Nguyễn Văn Hùng", "Lê Thị Mai", c.NAME_DIFFERENT),
    ("Nguyễn Văn Hùng", "", c.NULL),
    ("Nguyễn Văn Hùng", "Hùng", c.NULL),                                      # one token: no evidence
])
def test_name_levels(a, b, level):
    assert c.compare_name(rec(a), rec(b)) == level


@pytest.mark.parametrize("a, b, level", [(1968, 1968, 1), (1968, 1969, 2), (1968, 1975, 3), (1968, None, 0)])
def test_birth_year_levels(a, b, level):
    assert c.compare_birth_year(rec(year=a), rec(year=b)) == level


SPOUSE = person("Trần Thị Lan", "spouse", 1971, "female", "022171004321", "m2")


@pytest.mark.parametrize("a, b, members_b, level", [
    ("022068001234", "022068001234", [], c.CID_HEAD_EQUAL),
    ("022068001234", "022171004321", [SPOUSE], c.CID_MEMBER_SHARED),  # spouse's number copied
    ("022068001234", "022068001239", [], c.CID_ONE_EDIT),             # one digit
    ("022068001234", "022068002134", [], c.CID_ONE_EDIT),             # adjacent swap
    ("022068001234", "022068998877", [], c.CID_HEAD_DIFFERENT),
    ("022068001234", None, [], c.NULL),
    ("022068001234", "ABC-12", [], c.NULL),                           # garbage is no evidence
])
def test_citizen_id_levels(a, b, members_b, level):
    ra = rec(cid=a, members=[SPOUSE])
    rb = rec(cid=b, members=members_b)
    assert c.compare_citizen_id(ra, rb) == level


@pytest.mark.parametrize("a, b, level", [
    (("12/3", "Hạ Long"), ("Số 12-3", "Đường Hạ Long"), c.ADDR_SAME),
    (("12/3", "Hạ Long"), ("12/3A", "Hạ Long"), c.ADDR_SUFFIX),       # split family: evidence against
    (("15A", "Hạ Long"), ("15B", "Hạ Long"), c.ADDR_SUFFIX),
    (("12/3", "Hạ Long"), ("40", "Hạ Long"), c.ADDR_STREET),
    (("12/3", "Hạ Long"), ("12/3", "Vườn Đào"), c.ADDR_DIFFERENT),
    ((None, None), ("12/3", "Hạ Long"), c.NULL),
])
def test_address_levels(a, b, level):
    assert c.compare_address(rec(number=a[0], street=a[1]), rec(number=b[0], street=b[1])) == level


def test_address_other_ward_is_different():
    assert c.compare_address(rec(ward="W001"), rec(ward="W002")) == c.ADDR_DIFFERENT


@pytest.mark.parametrize("a, b, level", [
    ("0912345678", "+84 912 345 678", 1), ("0912345678", "912345678", 1), ("0912345678", "0983334455", 2),
    ("0912345678", None, 0), ("0912345678", "111111111", 0),
])
def test_phone_levels(a, b, level):
    assert c.compare_phone(rec(phone=a), rec(phone=b)) == level


def _family(idx):
    return make_record(house("x", [FAMILY[i] for i in idx]))


@pytest.mark.parametrize("a, b, level", [
    ((0, 1, 2, 3), (0, 1, 2, 3), c.ROSTER_IDENTICAL),
    ((0, 1, 2, 3), (1, 2, 3), c.ROSTER_MOST),        # the head died
    ((0, 1), (1, 3), c.ROSTER_ONE_OF_TWO),
    ((0, 1, 2, 3), (2, 3), c.ROSTER_MOST),
    ((0, 1, 2), (0, 3), c.ROSTER_FEW),
    ((0, 1), (2, 3), c.ROSTER_NONE),
    # a record listing only its head has no roster to compare (a register row): its head is
    # compared by the head field, not counted a second time here
    ((0, 1), (1,), c.NULL),
    ((0, 1, 2, 3), (2,), c.NULL),
])
def test_roster_levels(a, b, level):
    assert c.compare_roster(_family(a), _family(b)) == level


def test_roster_tolerates_birth_year_off_by_one_and_unaccented_names():
    b = [dict(m, full_name=m["full_name"].upper(), birth_year=m["birth_year"] + 1) for m in FAMILY]
    assert c.compare_roster(_family((0, 1, 2, 3)), make_record(house("y", b))) == c.ROSTER_IDENTICAL


def test_one_edit():
    assert c.one_edit("123456", "123457") and c.one_edit("123456", "123465")
    assert not c.one_edit("123456", "123456") and not c.one_edit("123456", "124465")


# --- issue 19: old ID numbers, member counts, the head as one person -------------------------

def _one(name="Nguyễn Văn Hùng", year=1968, **member):
    return person(name, "head", year, "male", member.pop("cid", None), "m1") | member


@pytest.mark.parametrize("a, b, level", [
    ({"old_id_number": "100234567"}, {"old_id_number": "100234567"}, c.CID_HEAD_EQUAL),
    ({"old_id_number": "100234567"}, {"citizen_id": "100 234 567"}, c.CID_HEAD_EQUAL),   # CMND in the CCCD field
    ({"old_id_number": "100234567"}, {"old_id_number": "100234568"}, c.CID_ONE_EDIT),
    ({"old_id_number": "100234567"}, {"old_id_number": "311112222"}, c.CID_HEAD_DIFFERENT),
    # a CMND and a CCCD are different numbers of one person: nothing to compare
    ({"old_id_number": "100234567"}, {"citizen_id": "022068001234"}, c.NULL),
])
def test_old_id_levels(a, b, level):
    ra = make_record(house("a", [_one(**a)]))
    rb = make_record(house("b", [_one(**b)]))
    assert c.compare_citizen_id(ra, rb) == level


def test_an_old_id_number_is_a_blocking_key_in_either_field():
    ra = make_record(house("a", [_one(old_id_number="100234567")]))
    rb = make_record(house("b", [_one(citizen_id="100234567")]))
    assert "cid:100234567" in ra.keys & rb.keys


@pytest.mark.parametrize("a, b, level", [
    (4, 4, c.SIZE_EQUAL), (4, 5, c.SIZE_ONE), (4, 2, c.SIZE_TWO), (6, 2, c.SIZE_DIFFERENT), (None, 3, c.NULL)])
def test_member_count_levels(a, b, level):
    def doc(hid, n):
        d = house(hid, [_one()])
        if n is not None:
            d["member_count"] = n
        return d
    assert c.compare_size(make_record(doc("a", a)), make_record(doc("b", b))) == level


def test_the_roster_gives_the_size_when_no_count_is_written():
    assert make_record(house("a", FAMILY)).size == 4
    assert make_record(house("a", FAMILY[:1])).size is None          # a head alone says nothing
    assert make_record(dict(house("a", FAMILY), member_count=2)).size == 4   # below the roster: not plausible


@pytest.mark.parametrize("a, b, level", [
    (("Nguyễn Văn Hùng", 1968), ("NGUYEN VAN HUNG", 1968), c.HEAD_SAME_YEAR),
    (("Lê Văn Dũng", 1975), ("LÊ VĂN DŨNG", 1975), c.HEAD_SAME_YEAR),
    (("Nguyễn Văn Hùng", 1968), ("Nguyễn Văn Hùng", 1969), c.HEAD_NEAR_YEAR),
    (("Nguyễn Văn Hùng", 1968), ("Nguyễn Văn Hưng", 1968), c.HEAD_ACCENT),
    (("Nguyễn Thị Lan", 1968), ("Nguyễn T. Lan", 1968), c.HEAD_SIMILAR_NEAR),
    (("Nguyễn Thị Lan", 1968), ("Nguyễn Lan", 1969), c.HEAD_SIMILAR_NEAR),
    (("Nguyễn Văn Hùng", 1968), ("Trần Thị Lan", 1971), c.HEAD_DIFFERENT),
    (("Nguyễn Văn Hùng", 1968), ("Trần Văn Hùng", 1968), c.HEAD_GIVEN_NEAR),
    (("Nguyễn Văn Hùng", 1968), ("Trần Thị Lan", 1968), c.HEAD_OTHER_NAME_NEAR),
])
def test_head_levels(a, b, level):
    ra = make_record(house("a", [_one(*a)]))
    rb = make_record(house("b", [_one(*b)]))
    assert c.compare_head(ra, rb) == level


def test_head_ids_that_differ_are_not_counted_again_when_the_names_differ():
    old = make_record(house("a", FAMILY))
    new = make_record(house("b", [dict(FAMILY[1], relation="head"), *FAMILY[2:]], year=2026))
    gamma = c.compare(old, new)
    assert gamma[c.F_HEAD] in c.HEADS_DIFFER
    assert gamma[c.F_CID] == c.CID_MEMBER_SHARED       # the spouse's ID, now the head's
    assert gamma[c.F_LINK] == c.LINK_SPOUSE
    other = make_record(house("c", [person("Phạm Văn Tú", "head", 1980, "male", "022080009999", "m1")]))
    assert c.compare(make_record(house("d", FAMILY[:1])), other)[c.F_CID] == c.NULL
