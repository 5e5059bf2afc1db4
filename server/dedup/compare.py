"""Comparison levels: how two records agree, field by field.

Household records (the default) fill the household fields: ``citizen_id``
(CCCD and old CMND numbers), ``address``, ``phone``, ``roster``, and, since
issue 19, ``head`` (the head as one person: name and birth year together),
``size`` (the member count, when one side lists no roster) and ``head_link``
(when the heads differ: is one head on the other's roster, as the spouse or
another member). Their ``name`` and ``birth_year`` are null (the head field
holds both), and their vector stops before the person fields. Two
person-register records (``Record.kind == "person"``, e.g. FEBRL) are
compared by ``compare_person``: name by its parts, full birth date, street
address and locality; the household-only fields are null.

Each field maps a pair of ``Record`` to a small integer level; level 0 means
"no information" (a value missing on either side) and contributes nothing to
the score. Levels are ordered from strongest agreement to strongest
disagreement; their weights are not set here but estimated by EM
(``model.py``). ``FIELDS`` names every field and level for reports.
"""
from __future__ import annotations

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein

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
    # household records only (issue 19): the head as one person (name and birth year together), the
    # household's size, and whether a head that differs stands on the other record's roster
    "head": ("null", "same_name_same_year", "same_name_near_year", "same_name_no_year", "same_name_other_year",
             "accent_conflict", "similar_name_near_year", "similar_name_other_year", "given_only_near_year",
             "other_name_near_year", "different"),
    "size": ("null", "equal", "one_apart", "two_apart", "different"),
    "head_link": ("null", "spouse", "member", "couple", "heir", "absent"),
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

(HEAD_SAME_YEAR, HEAD_NEAR_YEAR, HEAD_NO_YEAR, HEAD_OTHER_YEAR, HEAD_ACCENT, HEAD_SIMILAR_NEAR, HEAD_SIMILAR_OTHER,
 HEAD_GIVEN_NEAR, HEAD_OTHER_NAME_NEAR, HEAD_DIFFERENT) = range(1, 11)
SIZE_EQUAL, SIZE_ONE, SIZE_TWO, SIZE_DIFFERENT = range(1, 5)
LINK_SPOUSE, LINK_MEMBER, LINK_COUPLE, LINK_HEIR, LINK_ABSENT = range(1, 6)
COUPLE_YEARS = 10         # two heads of opposite sex born this close could be husband and wife
HEIR_YEARS = (15, 50)     # a head this much younger, with the other head's family name, could be a child
# Positions in a vector (households fill 0-8, with name and birth_year null; persons 0-11).
F_NAME, F_YEAR, F_CID, F_ADDRESS, F_PHONE, F_ROSTER, F_HEAD, F_SIZE, F_LINK = range(9)
# Head levels where the heads are one person by name (the name agrees, whatever the year says).
HEAD_SAME_NAME = frozenset({HEAD_SAME_YEAR, HEAD_NEAR_YEAR, HEAD_NO_YEAR, HEAD_OTHER_YEAR})
# Head levels where the heads differ by name: another person heads the household, or another household.
HEADS_DIFFER = frozenset({HEAD_GIVEN_NEAR, HEAD_OTHER_NAME_NEAR, HEAD_DIFFERENT})

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


def compare_citizen_id(a: Record, b: Record, heads_differ: bool = False) -> int:
    """Citizen IDs (12 digits) and old ID numbers (CMND, 9 digits) of all members; a CCCD is only
    compared with a CCCD and a CMND with a CMND (one person may hold a CMND in one record and a CCCD
    in the other: those numbers say nothing about each other).

    ``heads_differ``: the heads' names already disagree; then the heads' IDs disagreeing is the
    same evidence again (another person), not new evidence, and gives no level — only an ID the
    records share (the head's, or a member's: a head change to the spouse) counts."""
    cccd = bool(a.cids) and bool(b.cids)
    cmnd = bool(a.oids) and bool(b.oids)
    if not cccd and not cmnd:
        return NULL
    if (a.head_cid and a.head_cid == b.head_cid) or (a.head_oid and a.head_oid == b.head_oid):
        return CID_HEAD_EQUAL
    if (cccd and not a.cids.isdisjoint(b.cids)) or (cmnd and not a.oids.isdisjoint(b.oids)):
        return CID_MEMBER_SHARED
    if heads_differ:
        return NULL
    pairs = [(x, y) for x, y in ((a.head_cid, b.head_cid), (a.head_oid, b.head_oid)) if x and y]
    if pairs:
        return CID_ONE_EDIT if any(one_edit(x, y) for x, y in pairs) else CID_HEAD_DIFFERENT
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
    others = [(m.key, m.year, m.cid) for m in b.members]
    free = list(range(len(others)))
    shared = 0
    for ma in a.members:
        key, year, cid = ma.key, ma.year, ma.cid
        for pos, j in enumerate(free):
            k, y, c = others[j]
            if (cid and cid == c) or (key and key == k and (year is None or y is None or -1 <= year - y <= 1)):
                del free[pos]
                shared += 1
                break
    return shared


def compare_roster(a: Record, b: Record) -> int:
    """Overlap of two rosters; null unless both list more than the head (a head-only register row
    has no roster: its head is compared by the head field)."""
    if len(a.members) < 2 or len(b.members) < 2:
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


def _compatible_names(x: str, y: str) -> bool:
    """Same family and given name, the middle names compatible: one missing ("Nguyễn Lan"), or
    written as its initial ("Nguyễn T. Lan" / "Nguyễn Thị Lan"), on folded keys."""
    tx, ty = x.split(), y.split()
    if len(tx) < 2 or len(ty) < 2 or tx[0] != ty[0] or tx[-1] != ty[-1] or tx == ty:
        return False
    mx, my = tx[1:-1], ty[1:-1]
    if not mx or not my:
        return True
    if len(mx) != len(my):
        return False
    return all(p == q or (len(p) == 1 and q.startswith(p)) or (len(q) == 1 and p.startswith(q))
               for p, q in zip(mx, my))


def _similar_given(x: str, y: str) -> bool:
    """Given names that may be one name mistyped: equal, one edit apart (four letters or more), or
    Jaro–Winkler ≥ 0.9. The whole name being similar is not enough: "Trịnh Văn Dũng" and "Trịnh Văn
    Tuấn" share all but the given name — a father and his son, not a typo."""
    if x == y:
        return True
    if min(len(x), len(y)) >= 4 and Levenshtein.distance(x, y) <= 1:
        return True
    return JaroWinkler.normalized_similarity(x, y) >= 0.9


def _short_given_typo(x: str, y: str) -> bool:
    """The same family and middle names and a given name one edit apart (a letter typed wrong, left
    out, added, or two letters swapped: "quy"/"qyu", "y"/"uy", "d"/"do"), on folded keys. Short given
    names are common in Vietnamese and too short for the similarity measures; only read with birth
    years within one (a father and son share family and middle names, a generation apart)."""
    tx, ty = x.split(), y.split()
    if len(tx) < 2 or tx[:-1] != ty[:-1]:
        return False
    return OSA.distance(tx[-1], ty[-1]) <= 1


def _family_typo(x: str, y: str) -> bool:
    """A family name one edit apart (four letters or more: "nguen"/"nguyen"), the same given name and
    compatible middle names (equal, one missing, or one as its initial: "nguen v canh" / "nguyen van
    canh"), on folded keys; only read with birth years within one."""
    tx, ty = x.split(), y.split()
    if len(tx) < 2 or len(ty) < 2 or tx[0] == ty[0] or tx[-1] != ty[-1] or min(len(tx[0]), len(ty[0])) < 4 \
            or OSA.distance(tx[0], ty[0]) > 1:
        return False
    return tx[1:-1] == ty[1:-1] or _compatible_names(" ".join([tx[0], *tx[1:]]), " ".join([tx[0], *ty[1:]]))


def compare_head(a: Record, b: Record) -> int:
    """The head as one person: name and birth year together (a household whose head changed has
    both wrong at once; scored apart, the two would count the same evidence twice).

    Name agreement is read on folded keys (accents, case, NFD, Telex/VNI residue do not matter),
    except that two names both written with marks that differ (Hùng / Hưng) are an accent conflict.
    """
    if len(a.head_key) < 2 or len(b.head_key) < 2 or " " not in a.head_key or " " not in b.head_key:
        return NULL
    ya, yb = a.head_year, b.head_year
    d = None if ya is None or yb is None else abs(ya - yb)
    near = d is not None and d <= 1
    if a.head_key == b.head_key:
        if a.head_name != b.head_name and not (a.head_ascii or b.head_ascii):
            return HEAD_ACCENT if d is None or near else HEAD_DIFFERENT
        return HEAD_NO_YEAR if d is None else HEAD_SAME_YEAR if d == 0 else HEAD_NEAR_YEAR if d == 1 \
            else HEAD_OTHER_YEAR
    if a.head_sorted == b.head_sorted or _compatible_names(a.head_key, b.head_key) \
            or (JaroWinkler.normalized_similarity(a.head_key, b.head_key) >= FUZZY_NAME_THRESHOLD
                and _similar_given(a.head_given, b.head_given)):
        return HEAD_SIMILAR_NEAR if near else HEAD_SIMILAR_OTHER
    if near and (_short_given_typo(a.head_key, b.head_key) or _family_typo(a.head_key, b.head_key)):
        return HEAD_SIMILAR_NEAR
    if not near:
        return HEAD_DIFFERENT
    return HEAD_GIVEN_NEAR if a.head_given == b.head_given else HEAD_OTHER_NAME_NEAR


def compare_size(a: Record, b: Record) -> int:
    if a.size is None or b.size is None:
        return NULL
    d = abs(a.size - b.size)
    return SIZE_EQUAL if d == 0 else SIZE_ONE if d == 1 else SIZE_TWO if d == 2 else SIZE_DIFFERENT


def _on_roster(head: Record, other: Record) -> str:
    """The role under which ``head``'s head stands on ``other``'s roster (not as its head): by
    citizen ID or old ID, else by name key and birth year within one; "" when not found."""
    if len(other.members) < 2 or not head.head_key:
        return ""
    hkey, hcid, hoid, hyear = head.head_key, head.head_cid, head.head_oid, head.head_year
    for m in other.members[1:]:            # features.make_record lists the head first
        if (hcid and m.cid == hcid) or (hoid and m.oid == hoid):
            return m.rel or "other"
        if m.key == hkey and (hyear is None or m.year is None or abs(hyear - m.year) <= 1):
            return m.rel or "other"
    return ""


def _couple(a: Record, b: Record) -> bool | None:
    """Could the two heads be husband and wife: opposite sex, born within ``COUPLE_YEARS``; a birth
    year unknown, opposite sex and two family names (a Vietnamese wife keeps her own, a child takes
    the father's)? None when a sex is unknown, or a year and that is all that can be told."""
    if not a.head_sex or not b.head_sex:
        return None
    if a.head_year is None or b.head_year is None:
        # a birth year unknown: opposite sex and two family names (a Vietnamese wife keeps her own; a
        # child takes the father's) is as far as the records tell
        fa, fb = a.head_key.partition(" ")[0], b.head_key.partition(" ")[0]
        return True if a.head_sex != b.head_sex and fa and fb and fa != fb else None
    return a.head_sex != b.head_sex and abs(a.head_year - b.head_year) <= COUPLE_YEARS


def compare_head_link(a: Record, b: Record) -> int:
    """How the two heads (who differ) are related, as far as the records tell: the head of one is
    the spouse on the other's roster (the usual head change: the head died or left); another member
    of it (a child took over — or split off: the rest of the evidence decides); not on the roster
    but possibly the couple (opposite sex, close in age: a spouse taking over where the old record
    lists only its head, as register rows do), or possibly parent and child (same family name, a
    generation apart); or none of these. Null when nothing can be told (no roster, and a sex, a
    birth year or a family name unknown)."""
    roles = {_on_roster(a, b), _on_roster(b, a)} - {""}
    if "spouse" in roles:
        return LINK_SPOUSE
    if roles:
        return LINK_MEMBER
    couple = _couple(a, b)
    if couple:
        return LINK_COUPLE
    heir = _heir(a, b)
    if heir:
        return LINK_HEIR
    if couple is None and heir is None and len(a.members) < 2 and len(b.members) < 2:
        return NULL
    return LINK_ABSENT


def _heir(a: Record, b: Record) -> bool | None:
    """Could one head be a child of the other: the same family name (a Vietnamese child takes the
    father's), born 15 to 50 years later — across rounds, the later round's head being the child?
    None when a year or a family name is unknown."""
    fa, fb = a.head_key.partition(" ")[0], b.head_key.partition(" ")[0]
    if a.head_year is None or b.head_year is None or not fa or not fb:
        return None
    gap = b.head_year - a.head_year           # how much younger b's head is
    if a.round is not None and b.round is not None and a.round != b.round:
        if a.round > b.round:
            gap = -gap
        # two rounds: the later one's head is the child (a parent does not take over from a child)
        return fa == fb and HEIR_YEARS[0] <= gap <= HEIR_YEARS[1]
    return fa == fb and HEIR_YEARS[0] <= abs(gap) <= HEIR_YEARS[1]


def compare(a: Record, b: Record) -> tuple[int, ...]:
    """The comparison vector (one level per field, in ``FIELD_NAMES`` order)."""
    if a.kind == PERSON and b.kind == PERSON:
        return compare_person(a, b)
    # Households: name and birth year are null (the head field holds both), then the household
    # fields; the person fields that follow are null (the vector stops before them).
    head = compare_head(a, b)
    differ = head in HEADS_DIFFER
    roster = compare_roster(a, b)
    return (NULL, NULL, compare_citizen_id(a, b, differ), compare_address(a, b), compare_phone(a, b), roster,
            head, compare_size(a, b) if roster == NULL else NULL, compare_head_link(a, b) if differ else NULL)


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
            NULL, NULL, NULL, compare_birth_date(a, b), compare_street(a, b), compare_locality(a, b))
