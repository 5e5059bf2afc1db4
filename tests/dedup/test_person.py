"""Person-register records (FEBRL and the like): phonetic code, blocking keys,
comparison levels. The FEBRL regression floor is a benchmark: bench/bench_febrl_floor.py."""
from __future__ import annotations


import pytest

from server.dedup import make_record
from server.dedup.compare import FIELD_NAMES, FIELDS, compare
from server.dedup.features import PERSON, PERSON_KEY_KINDS
from server.dedup.model import Model
from server.dedup.defaults import DEFAULT_PARAMS
from server.dedup.persons import person_document
from server.dedup.phonetic import soundex

from .helpers import FAMILY, house


@pytest.mark.parametrize("name, code", [
    ("Robert", "R163"), ("Rupert", "R163"), ("Rubin", "R150"), ("Ashcraft", "A261"), ("Ashcroft", "A261"),
    ("Tymczak", "T522"), ("Pfister", "P236"), ("Honeyman", "H555"), ("Lee", "L000"), ("Gutierrez", "G362"),
    ("Jackson", "J250"), ("O'Sullivan", "O241"), ("", ""), ("123", ""), ("Ngô", "N200"), ("Đặng", "D520"),
])
def test_soundex(name, code):
    assert soundex(name) == code


BASE = dict(family_name="green", given_name="mitchell", birth_date="19560409", house_number="7",
            street="wallaby place delmar", locality="cleveland", postcode="2119", region="sa")


def person(rid: str, **changes) -> dict:
    return person_document(rid, **{**BASE, **changes})


def shared_kinds(a: dict, b: dict) -> set[str]:
    ka, kb = make_record(a).keys, make_record(b).keys
    return {k.partition(":")[0] for k in ka & kb} & PERSON_KEY_KINDS


# (case, changes on the duplicate, a key kind that must still be shared)
KEY_CASES = [
    ("identical", {}, "pfg"),
    ("family typo after the first letter", {"family_name": "grene"}, "pfg"),
    ("names swapped", {"family_name": "mitchell", "given_name": "green"}, "pfg"),
    ("given name missing", {"given_name": None}, "pny"),
    ("family name missing, birth year typo", {"family_name": None, "birth_date": "19650409"}, "pnd"),
    ("first letters changed, birth date kept", {"family_name": "kreen", "given_name": "nitchell"}, "pdob"),
    ("names and birth date corrupted", {"family_name": "kreen", "given_name": "mitchel",
                                        "birth_date": "19560490"}, "pnp"),
    ("names, birth date and postcode corrupted", {"family_name": "kreen", "given_name": "nitchell",
                                                  "birth_date": "19650409", "postcode": "2191"}, "phs"),
    ("given replaced, dob and street corrupted", {"given_name": "sophie", "birth_date": "19560490",
                                                  "street": "walaby pl"}, "pnp"),
    ("family replaced, postcode lost", {"family_name": "white", "postcode": None}, "pnl"),
]


@pytest.mark.parametrize("case, changes, kind", KEY_CASES, ids=[c[0] for c in KEY_CASES])
def test_a_corrupted_duplicate_still_shares_a_person_key(case, changes, kind):
    assert kind in shared_kinds(person("a"), person("b", **changes)), case


def test_every_person_key_holds_two_pieces_of_evidence():
    rec = make_record(person("a"))
    assert rec.kind == PERSON
    kinds = {k.partition(":")[0] for k in rec.keys} & PERSON_KEY_KINDS
    assert kinds == PERSON_KEY_KINDS
    for key in rec.keys:
        kind, _, value = key.partition(":")
        if kind in PERSON_KEY_KINDS and kind != "pdob":
            assert "|" in value, key          # never a name (or anything) alone
        assert value not in {"green", "mitchell", "G650", "M324"}, key


def test_household_records_get_no_person_keys_and_null_person_fields():
    a, b = make_record(house("h1", FAMILY)), make_record(house("h2", FAMILY, year=2026))
    assert a.kind != PERSON
    assert not {k.partition(":")[0] for k in a.keys} & PERSON_KEY_KINDS
    gamma = compare(a, b)
    assert len(gamma) == FIELD_NAMES.index("birth_date")   # the person fields that follow are null
    assert gamma[FIELD_NAMES.index("name")] == gamma[FIELD_NAMES.index("birth_year")] == 0   # the head field holds them
    assert len(compare(make_record(person("a")), make_record(person("b")))) == len(FIELD_NAMES)


def levels(a: dict, b: dict) -> dict[str, str]:
    g = compare(make_record(a), make_record(b))
    return {name: FIELDS[name][level] for name, level in zip(FIELD_NAMES, g)}


# (case, changes on b, field, expected level)
LEVEL_CASES = [
    ("same person", {}, "name", "exact"),
    ("swapped", {"family_name": "mitchell", "given_name": "green"}, "name", "reordered"),
    ("both parts typo", {"family_name": "grene", "given_name": "mitchel"}, "name", "fuzzy"),
    ("given missing", {"given_name": None}, "name", "given_only"),
    ("given replaced", {"given_name": "sophie"}, "name", "given_only"),
    ("someone else", {"family_name": "white", "given_name": "sophie"}, "name", "different"),
    ("dob equal", {}, "birth_date", "exact"),
    ("dob one digit", {"birth_date": "19560408"}, "birth_date", "one_edit"),
    ("dob day and month swapped", {"birth_date": "19560904"}, "birth_date", "one_edit"),
    ("dob adjacent digits swapped", {"birth_date": "19650409"}, "birth_date", "one_edit"),
    ("dob two digits", {"birth_date": "19580401"}, "birth_date", "two_edits"),
    ("dob other", {"birth_date": "19811123"}, "birth_date", "different"),
    ("dob missing", {"birth_date": None}, "birth_date", "null"),
    ("street equal", {}, "street", "same"),
    ("street typo", {"street": "wallaby plcae delmar"}, "street", "same"),
    ("second address line dropped", {"street": "wallaby place"}, "street", "same"),
    ("street lines reordered", {"street": "delmar wallaby place"}, "street", "same"),
    ("other house number", {"house_number": "17"}, "street", "street_only"),
    ("other street, same number", {"street": "hoseason street"}, "street", "number_only"),
    ("other address", {"house_number": "54", "street": "hoseason street"}, "street", "different"),
    ("locality and postcode", {}, "locality", "postcode_and_locality"),
    ("postcode one digit", {"postcode": "2118"}, "locality", "near_postcode_and_locality"),
    ("locality replaced", {"locality": "frankston"}, "locality", "postcode_only"),
    ("postcode replaced", {"postcode": "3000"}, "locality", "locality_only"),
    ("postcode swap, locality replaced", {"postcode": "2191", "locality": "frankston"}, "locality",
     "near_postcode_only"),
    ("elsewhere", {"postcode": "3000", "locality": "frankston"}, "locality", "different"),
    ("household-only fields are null", {}, "roster", "null"),
    ("household-only fields are null", {}, "address", "null"),
    ("birth year null when both dates are full", {}, "birth_year", "null"),
    ("birth year used when a date is only a year", {"birth_date": "1956"}, "birth_year", "equal"),
]


@pytest.mark.parametrize("case, changes, field, level", LEVEL_CASES, ids=[c[0] for c in LEVEL_CASES])
def test_person_comparison_levels(case, changes, field, level):
    assert levels(person("a"), person("b", **changes))[field] == level, case


def test_person_garbage_never_crashes():
    for doc in (person_document("x"), person("y", birth_date="31/02/xx", postcode="abc", street=None),
                {"household_id": "z", "record_kind": "person", "members": "nope", "address": 3}):
        rec = make_record(doc)
        assert rec.kind == PERSON
        compare(rec, make_record(person("a")))
    assert "no_name" in make_record(person_document("x")).flags


def test_a_model_saved_before_the_person_fields_still_loads():
    old = {**DEFAULT_PARAMS, "fields": {k: v for k, v in DEFAULT_PARAMS["fields"].items()
                                        if k not in ("birth_date", "street", "locality")}}
    model = Model.from_json(old)
    for name in ("birth_date", "street", "locality"):
        assert all(abs(w) < 1e-12 for w in model.weights[FIELD_NAMES.index(name)])
