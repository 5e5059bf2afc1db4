"""Comparison levels: how two records agree, field by field.

Household records (the default) fill the first six fields; their vector
stops there, and the last three (``birth_date``, ``street``, ``locality``)
count as null, so they carry no weight. Two person-register records (``Record.kind == "person"``,
e.g. FEBRL) are compared by ``compare_person``: name by its parts, full birth
date, street address and locality; the household-only fields (roster,
house-number suffix) are null.

Each field maps a pair of ``Record`` to a small integer level; level 0 means
"no information" (a value missing on either side) and contributes nothing to
the score. Levels are ordered from strongest agreement to strongest
disagreement; their weights are not set here but estimated by EM
(``model.py``). ``FIELDS`` names every field and level for reports.
"""
from __future__ import annotations

from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler

from .features import PERSON, Record

NULL = 0

FIELDS: dict[str, tuple[str, ...]] = {
    # level names, index = level (0 is always "null")
    "name": ("null", "exact", "folded_equal", "accent_conflict", "reordered", "fuzzy", "given_only",
             "different"),
    "birth_year": ("null", "equal", "off_by_one", "different"),
    "citizen_id": ("null", "head_equal", "member_shared", "head_one_edit", "head_different",
                   "all_different"),
    "address": ("null", "same_house", "same_base_other_suffix", "same_street_other_house", "different"),
    "phone": ("null", "shared", "different"),
    "roster": ("null", "identical", "most", "one_of_two", "few", "none"),
    # person records only
    "birth_date": ("null", "exact", "one_edit", "two_edits", "different"),
    "street": ("null", "same", "street_only", "number_only", "different"),
    "locality": ("null", "postcode_and_locality", "near_postcode_and_locality", "postcode_only", "locality_only",
                 "near_postcode_only", "different"),
}
FIELD_NAMES = tuple(FIELDS)
N_LEVELS = tuple(len(v) for v in FIELDS.values())

# Level numbers used by the rules in decide.py.
NAME_EXACT, NAME_FOLDED, NAME_ACCENT, NAME_REORDERED, NAME_FUZZY, NAME_GIVEN, NAME_DIFFERENT = range(1, 8)
CID_HEAD_EQUAL, CID_MEMBER_SHARED, CID_ONE_EDIT, CID_HEAD_DIFFERENT, CID_ALL_DIFFERENT = range(1, 6)
ADDR_SAME, ADDR_SUFFIX, ADDR_STREET, ADDR_DIFFERENT = range(1, 5)
ROSTER_IDENTICAL, ROSTER_MOST, ROSTER_ONE_OF_TWO, ROSTER_FEW, ROSTER_NONE = range(1, 6)

DOB_EXACT, DOB_ONE_EDIT, DOB_TWO_EDITS, DOB_DIFFERENT = range(1, 5)
STREET_SAME, STREET_ONLY, STREET_NUMBER_ONLY, STREET_DIFFERENT = range(1, 5)
LOC_BOTH, LOC_NEAR_BOTH, LOC_POSTCODE, LOC_LOCALITY, LOC_NEAR_POSTCODE, LOC_DIFFERENT = range(1, 7)

FUZZY_NAME_THRESHOLD = 0.92
PART_THRESHOLD = 0.88     # one name part (family or given) of a person record
TEXT_THRESHOLD = 0.90     # street, locality of a person record


def compare_name(a: Record, b: Record) -> int:
    if len(a.head_key) < 2 or len(b.head_key) < 2 or " " not in a.head_key or " " not in b.head_key:
        return NULL
    if a.head_name == b.head_name:
        return NAME_EXACT
    if a.head_key == b.head_key:
        # Equal without marks: benign when one side has none (or typing residue),
        # a conflict when both carry marks that differ (Hùng / Hưng).
        return NAME_FOLDED if (a.head_ascii or b.head_ascii) else NAME_ACCENT
    if a.head_sorted == b.head_sorted:
        return NAME_REORDERED
    if JaroWinkler.normalized_similarity(a.head_key, b.head_key) >= FUZZY_NAME_THRESHOLD:
        return NAME_FUZZY
    if a.head_given == b.head_given:
        return NAME_GIVEN
    return NAME_DIFFERENT


def compare_birth_year(a: Record, b: Record) -> int:
    if a.head_year is None or b.head_year is None:
        return NULL
    d = abs(a.head_year - b.head_year)
    return 1 if d == 0 else 2 if d == 1 else 3


def one_edit(x: str, y: str) -> bool:
    """One substituted digit or one swap of adjacent digits (equal lengths)."""
    if len(x) != len(y) or x == y:
        return False
    diff = [i for i in range(len(x)) if x[i] != y[i]]
    if len(diff) == 1:
        return True
    return (len(diff) == 2 and diff[1] == diff[0] + 1
            and x[diff[0]] == y[diff[1]] and x[diff[1]] == y[diff[0]])


def compare_citizen_id(a: Record, b: Record) -> int:
    if not a.cids or not b.cids:
        return NULL
    if a.head_cid and a.head_cid == b.head_cid:
        return CID_HEAD_EQUAL
    if not a.cids.isdisjoint(b.cids):
        return CID_MEMBER_SHARED
    if a.head_cid and b.head_cid:
        return CID_ONE_EDIT if one_edit(a.head_cid, b.head_cid) else CID_HEAD_DIFFERENT
    return CID_ALL_DIFFERENT


def compare_address(a: Record, b: Record) -> int:
    if not a.house or not b.house:
        if a.street and b.street and a.street != b.street:
            return ADDR_DIFFERENT
        return NULL
    if a.ward and b.ward and a.ward != b.ward:
        return ADDR_DIFFERENT
    same_street = a.street == b.street or not a.street or not b.street
    if not same_street:
        return ADDR_DIFFERENT
    if a.house == b.house:
        if not (a.street and b.street) and a.group != b.group:
            return ADDR_STREET  # no street to confirm and another group: a weaker agreement
        return ADDR_SAME
    if a.house_base == b.house_base and a.house_base:
        return ADDR_SUFFIX   # "12/3" vs "12/3A": a split-off household, evidence against
    return ADDR_STREET if (a.street and b.street) else ADDR_DIFFERENT


def compare_phone(a: Record, b: Record) -> int:
    if not a.phones or not b.phones:
        return NULL
    return 1 if not a.phones.isdisjoint(b.phones) else 2


def shared_members(a: Record, b: Record) -> int:
    """Members of ``a`` found in ``b``: same name key and birth year within one
    (or unknown), or the same citizen ID; each member of ``b`` used once."""
    if not a.members or not b.members:
        return 0
    used = [False] * len(b.members)
    shared = 0
    for ma in a.members:
        for j, mb in enumerate(b.members):
            if used[j]:
                continue
            if ma.cid and ma.cid == mb.cid:
                hit = True
            elif ma.key and ma.key == mb.key:
                hit = ma.year is None or mb.year is None or abs(ma.year - mb.year) <= 1
            else:
                hit = False
            if hit:
                used[j] = True
                shared += 1
                break
    return shared


def compare_roster(a: Record, b: Record) -> int:
    if not a.members or not b.members:
        return NULL
    s = shared_members(a, b)
    n = max(len(a.members), len(b.members))
    if s >= 2 and s == n:
        return ROSTER_IDENTICAL
    if s >= 2 and 2 * s >= n:
        return ROSTER_MOST
    if s == 1 and n <= 2:
        return ROSTER_ONE_OF_TWO
    if s >= 1:
        return ROSTER_FEW
    return ROSTER_NONE


def compare(a: Record, b: Record) -> tuple[int, ...]:
    """The comparison vector (one level per field, in ``FIELD_NAMES`` order)."""
    if a.kind == PERSON and b.kind == PERSON:
        return compare_person(a, b)
    # Households: the six household fields only; the person fields that follow
    # are null (a vector may be shorter than FIELD_NAMES: 3 ints less per pair).
    return (compare_name(a, b), compare_birth_year(a, b), compare_citizen_id(a, b),
            compare_address(a, b), compare_phone(a, b), compare_roster(a, b))


# --- person records -------------------------------------------------------------------------

def _similar(x: str, y: str, threshold: float) -> bool:
    return bool(x) and bool(y) and (x == y or JaroWinkler.normalized_similarity(x, y) >= threshold)


def compare_person_name(a: Record, b: Record) -> int:
    """exact / reordered (family and given swapped) / fuzzy (both parts similar)
    / given_only (read: one part agrees, the other differs or is missing) /
    different."""
    if not a.head_key or not b.head_key:
        return NULL
    if a.head_key == b.head_key:
        return NAME_EXACT
    if a.head_sorted == b.head_sorted:
        return NAME_REORDERED
    fa, ga, fb, gb = a.head_family, a.head_given, b.head_family, b.head_given
    t = PART_THRESHOLD
    if fa and ga and fb and gb:
        if (_similar(fa, fb, t) and _similar(ga, gb, t)) or (_similar(fa, gb, t) and _similar(ga, fb, t)) \
                or JaroWinkler.normalized_similarity(a.head_key, b.head_key) >= FUZZY_NAME_THRESHOLD:
            return NAME_FUZZY
    if _similar(fa, fb, t) or _similar(ga, gb, t) or _similar(fa, gb, t) or _similar(ga, fb, t):
        return NAME_GIVEN
    return NAME_DIFFERENT


def _date_edits(x: str, y: str) -> int:
    """Differing digits of two YYYYMMDD dates; a day/month swap or one swap of
    adjacent digits counts as one."""
    if x[:4] == y[:4] and x[4:6] == y[6:] and x[6:] == y[4:6]:
        return 1
    diff = [i for i in range(8) if x[i] != y[i]]
    if len(diff) == 2 and diff[1] == diff[0] + 1 and x[diff[0]] == y[diff[1]] and x[diff[1]] == y[diff[0]]:
        return 1
    return len(diff)


def compare_birth_date(a: Record, b: Record) -> int:
    if not a.dob or not b.dob:
        return NULL
    if a.dob == b.dob:
        return DOB_EXACT
    edits = _date_edits(a.dob, b.dob)
    return DOB_ONE_EDIT if edits == 1 else DOB_TWO_EDITS if edits == 2 else DOB_DIFFERENT


def _similar_address(x: str, y: str) -> bool:
    """Jaro–Winkler on the whole text, or token-set similarity (so that a
    missing or reordered second address line still agrees)."""
    return _similar(x, y, TEXT_THRESHOLD) or fuzz.token_set_ratio(x, y) >= 100 * TEXT_THRESHOLD


def compare_street(a: Record, b: Record) -> int:
    street = _similar_address(a.street, b.street) if a.street and b.street else None
    number = (a.house == b.house) if a.house and b.house else None
    if street is None and number is None:
        return NULL
    if street and number:
        return STREET_SAME
    if street:
        return STREET_ONLY
    if number:
        return STREET_NUMBER_ONLY
    return STREET_DIFFERENT


def compare_locality(a: Record, b: Record) -> int:
    """Postcode (equal / one digit or one adjacent swap apart — "near" /
    different) and locality name (similar / different)."""
    if a.postcode and b.postcode:
        postcode = 2 if a.postcode == b.postcode else 1 if one_edit(a.postcode, b.postcode) else 0
    else:
        postcode = None
    locality = _similar(a.locality, b.locality, TEXT_THRESHOLD) if a.locality and b.locality else None
    if postcode is None and locality is None:
        return NULL
    if locality:
        return LOC_BOTH if postcode == 2 else LOC_NEAR_BOTH if postcode == 1 else LOC_LOCALITY
    return LOC_POSTCODE if postcode == 2 else LOC_NEAR_POSTCODE if postcode == 1 else LOC_DIFFERENT


def compare_person(a: Record, b: Record) -> tuple[int, ...]:
    """Two person records: birth year only where a full date is missing,
    no household address / roster levels (the street and locality fields
    replace them)."""
    year = NULL if (a.dob and b.dob) else compare_birth_year(a, b)
    return (compare_person_name(a, b), year, compare_citizen_id(a, b), NULL, compare_phone(a, b), NULL,
            compare_birth_date(a, b), compare_street(a, b), compare_locality(a, b))
