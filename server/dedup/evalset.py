"""Labelled Vietnamese duplicates for measuring dedup, built on shared.synthetic.

``generate(households, seed)`` gives two review rounds (2025, 2026) of
household records with the truth attached. Every record has its own
``household_id`` (as if two collaborators, or two years, had each created
one); ``EvalSet.entity`` says which real household each record belongs to.

How records arise (rates in ``Rates``; all deterministic for a seed):

* round 2025: every household once; some twice (a double survey by two
  collaborators, days apart, each with its own typing habits);
* round 2026 (most households re-surveyed): ages move on (birth years stay),
  incomes change, babies are born, old members die or move away; and
  - head change: the head died (the spouse takes over) or handed over to an
    adult child (the old head stays as a parent) — same household;
  - split: an adult child leaves with a spouse (and a baby) to a new
    household at the parent's house number with a letter suffix ("12/3A"),
    sometimes at the very same number, same surname, often the same phone —
    a different household (a true non-match with both parent records);
  - moved: the whole household at a new address (sometimes a new phone);
* new households appear in 2026 only; unrelated households sometimes share
  one address (rented rooms).

Noise, per record: names without diacritics, upper case, decomposed Unicode
(NFD), Telex or VNI typing residue, reordered names (given name first),
one-letter typos; citizen IDs missing, one digit wrong, two digits swapped,
or the spouse's number copied into the head's; phones in every format
(+84, spaces, dots, Excel-eaten leading zero) or missing; house numbers
written "Số 12/3", "12-3", "12 / 3"; birth dates reduced to a year or off by
one year; members left off the roster; a few garbage records (no name, no
address, IDs of letters, mojibake).
"""
from __future__ import annotations

import copy
import datetime as dt
import random
import unicodedata
import uuid
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from shared import synthetic

WARD_SIZE = 10_000


@dataclass(frozen=True)
class Rates:
    double_survey: float = 0.06
    resurvey: float = 0.88
    head_change: float = 0.07
    split: float = 0.06
    split_same_number: float = 0.15
    split_same_phone: float = 0.6
    moved: float = 0.03
    moved_new_phone: float = 0.5
    new_households: float = 0.05
    shared_address: float = 0.03
    no_house_number: float = 0.04
    # per-record typing habits
    no_diacritics: float = 0.15
    upper_case: float = 0.08
    nfd: float = 0.10
    telex: float = 0.04
    vni: float = 0.02
    # per-name / per-member
    reorder: float = 0.02
    name_typo: float = 0.02
    cid_missing: float = 0.10
    cid_digit: float = 0.02
    cid_swap: float = 0.01
    cid_spouse: float = 0.02
    phone_missing: float = 0.10
    year_only: float = 0.10
    year_off: float = 0.02
    member_left_off: float = 0.03
    street_missing: float = 0.05
    garbage: float = 0.004
    # register-shaped records (issue 19; 0 in the default set, whose figures stay comparable):
    register_rows: float = 0.0     # round-2025 records that are register rows: the head only + member count
    member_count: float = 0.0      # other records that carry member_count
    old_id: float = 0.0            # members whose ID is written as an old 9-digit CMND instead of the CCCD


# The default set with register rows, member counts and old ID numbers (tuning set "A-register").
REGISTER_MIX = Rates(register_rows=0.5, member_count=0.7, old_id=0.12)


@dataclass
class EvalSet:
    records: list[dict[str, Any]]
    entity: dict[str, str]                     # record id -> true household
    kind: dict[str, str]                       # record id -> how it arose
    events: dict[str, set[str]] = field(default_factory=dict)  # entity -> {"head_change", "split", "moved"}
    split_pairs: set[frozenset[str]] = field(default_factory=set)  # child record x parent record

    def true_pairs(self) -> set[frozenset[str]]:
        by_entity: dict[str, list[str]] = {}
        for rid, e in self.entity.items():
            by_entity.setdefault(e, []).append(rid)
        return {frozenset(p) for ids in by_entity.values() for p in combinations(ids, 2)}

    def pairs_of_kind(self, event: str) -> set[frozenset[str]]:
        """True pairs across rounds of households that had ``event`` (e.g. "head_change")."""
        out = set()
        for pair in self.true_pairs():
            a, b = tuple(pair)
            e = self.entity[a]
            if event in self.events.get(e, ()) and _round(self.kind[a]) != _round(self.kind[b]):
                out.add(pair)
        return out


def _round(kind: str) -> str:
    return kind.split(":")[0]


# --------------------------------------------------------------------------------------------
# Typing noise
# --------------------------------------------------------------------------------------------

_TELEX_TONES = {"\u0300": "f", "\u0301": "s", "\u0309": "r", "\u0303": "x", "\u0323": "j"}
_VNI_TONES = {"\u0300": "2", "\u0301": "1", "\u0309": "3", "\u0303": "4", "\u0323": "5"}
_TELEX_MODS = {"\u0302": lambda c: c + c, "\u0306": lambda c: c + "w", "\u031b": lambda c: c + "w"}
_VNI_MODS = {"\u0302": "6", "\u0306": "8", "\u031b": "7"}


def _typed(word: str, scheme: str) -> str:
    """How a word looks when typed in Telex/VNI without the input method on."""
    out, tone = [], ""
    for ch in unicodedata.normalize("NFD", word):
        if ch in _TELEX_TONES:
            tone = _TELEX_TONES[ch] if scheme == "telex" else _VNI_TONES[ch]
        elif ch in _TELEX_MODS:
            if out:
                out[-1] = _TELEX_MODS[ch](out[-1]) if scheme == "telex" else out[-1] + _VNI_MODS[ch]
        elif ch in "đĐ":
            out.append(("dd" if ch == "đ" else "DD") if scheme == "telex" else ("d9" if ch == "đ" else "D9"))
        else:
            out.append(ch)
    return "".join(out) + tone


def _strip_marks(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


@dataclass
class _Style:
    no_marks: bool = False
    upper: bool = False
    nfd: bool = False
    scheme: str = ""


def _style(rng: random.Random, r: Rates) -> _Style:
    s = _Style()
    x = rng.random()
    if x < r.telex:
        s.scheme = "telex"
    elif x < r.telex + r.vni:
        s.scheme = "vni"
    elif rng.random() < r.no_diacritics:
        s.no_marks = True
    s.upper = rng.random() < r.upper_case
    s.nfd = rng.random() < r.nfd
    return s


def _typo(rng: random.Random, name: str) -> str:
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    if len(letters) < 4:
        return name
    i = rng.choice(letters[1:])
    op = rng.random()
    if op < 0.4:
        return name[:i] + name[i + 1:]                       # dropped letter
    if op < 0.7:
        return name[:i] + rng.choice("aeinhotgu") + name[i + 1:]  # wrong letter
    return name[:i] + name[i] + name[i:]                      # doubled letter


def _write_name(rng: random.Random, name: str, s: _Style, r: Rates) -> str:
    words = name.split()
    if len(words) >= 3 and rng.random() < r.reorder:
        words = [words[-1]] + words[:-1]       # "An Nguyễn Văn"
    if s.scheme:
        words = [_typed(w, s.scheme) for w in words]
    elif s.no_marks:
        words = [_strip_marks(w) for w in words]
    text = " ".join(words)
    if rng.random() < r.name_typo:
        text = _typo(rng, text)
    if s.upper:
        text = text.upper()
    if s.nfd:
        text = unicodedata.normalize("NFD", text)
    return text


def _phone_format(rng: random.Random, phone: str) -> str:
    digits = phone
    pick = rng.random()
    if pick < 0.45:
        return digits
    if pick < 0.6:
        return "+84 " + digits[1:4] + " " + digits[4:7] + " " + digits[7:]
    if pick < 0.72:
        return digits[:4] + "." + digits[4:7] + "." + digits[7:]
    if pick < 0.84:
        return digits[:4] + " " + digits[4:7] + " " + digits[7:]
    if pick < 0.93:
        return digits[1:]                      # Excel ate the 0
    return "84" + digits[1:]


def _house_format(rng: random.Random, house: str, s: _Style) -> str:
    pick = rng.random()
    if pick < 0.6:
        out = house
    elif pick < 0.75:
        out = ("So " if s.no_marks else "Số ") + house
    elif pick < 0.88:
        out = house.replace("/", "-")
    else:
        out = house.replace("/", " / ")
    return out


def _digit_typo(rng: random.Random, cid: str) -> str:
    i = rng.randrange(6, 12)   # the random part: prefix typos are caught by validation
    return cid[:i] + str((int(cid[i]) + rng.randint(1, 9)) % 10) + cid[i + 1:]


def _digit_swap(rng: random.Random, cid: str) -> str:
    for _ in range(5):
        i = rng.randrange(6, 11)
        if cid[i] != cid[i + 1]:
            return cid[:i] + cid[i + 1] + cid[i] + cid[i + 2:]
    return cid


def _noisy(rng: random.Random, doc: dict[str, Any], r: Rates) -> dict[str, Any]:
    """A record of ``doc`` as one collaborator typed it, with a fresh household_id."""
    h = copy.deepcopy(doc)
    h["household_id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    s = _style(rng, r)
    members = h["members"]
    if len(members) > 1:
        members[:] = [m for m in members if m["relation"] == "head" or rng.random() >= r.member_left_off]
    spouse_cid = next((m.get("citizen_id") for m in members if m["relation"] == "spouse"), None)
    for m in members:
        m["full_name"] = _write_name(rng, m["full_name"], s, r)
        if "birth_date" in m and rng.random() < r.year_only:
            m["birth_year"] = int(m.pop("birth_date")[:4])
        if rng.random() < r.year_off:
            year = int(m.pop("birth_date")[:4]) if "birth_date" in m else m.pop("birth_year")
            m["birth_year"] = year + rng.choice((-1, 1))
        cid = m.get("citizen_id")
        if cid:
            x = rng.random()
            if x < r.cid_missing:
                del m["citizen_id"]
            elif x < r.cid_missing + r.cid_digit:
                m["citizen_id"] = _digit_typo(rng, cid)
            elif x < r.cid_missing + r.cid_digit + r.cid_swap:
                m["citizen_id"] = _digit_swap(rng, cid)
            elif m["relation"] == "head" and spouse_cid and x < r.cid_missing + r.cid_digit + r.cid_swap + r.cid_spouse:
                m["citizen_id"] = spouse_cid
    if h.get("phone"):
        if rng.random() < r.phone_missing:
            del h["phone"]
        else:
            h["phone"] = _phone_format(rng, h["phone"])
    address = h.get("address") or {}
    if address.get("house_number"):
        address["house_number"] = _house_format(rng, address["house_number"], s)
    if address.get("street"):
        if rng.random() < r.street_missing:
            del address["street"]
        elif s.no_marks or s.scheme:
            address["street"] = _strip_marks(address["street"])
    if rng.random() < r.garbage:
        _garble(rng, h)
    n_members = len(doc["members"])
    if r.register_rows and h["collected_at"][:4] == "2025" and rng.random() < r.register_rows:
        h["members"] = h["members"][:1]                     # a register row: the head and the count
        h["member_count"] = n_members
    elif r.member_count and rng.random() < r.member_count:
        h["member_count"] = n_members
    if r.old_id:
        for m in h["members"]:
            if m.get("citizen_id") and rng.random() < r.old_id:
                m["old_id_number"] = _old_id(m["citizen_id"])
                del m["citizen_id"]
    return h


def _old_id(cid: str) -> str:
    """A person's old 9-digit ID, derived from the CCCD so that it is the same in every record of them."""
    digits = "".join(c for c in cid if c.isdigit()).rjust(12, "0")
    return str(int(digits[3:]) * 7919 % 10 ** 9).zfill(9)


def _garble(rng: random.Random, h: dict[str, Any]) -> None:
    pick = rng.randrange(4)
    head = h["members"][0]
    if pick == 0:
        head["full_name"] = ""
    elif pick == 1:
        h["address"] = {}
    elif pick == 2:
        for m in h["members"]:
            if "citizen_id" in m:
                m["citizen_id"] = "ABC-" + m["citizen_id"][:5] + "xx"
    else:  # UTF-8 read as Windows-1252 (mojibake)
        head["full_name"] = head["full_name"].encode("utf-8").decode("cp1252", errors="replace")


# --------------------------------------------------------------------------------------------
# A year later
# --------------------------------------------------------------------------------------------

def _year(m: dict[str, Any]) -> int:
    return int(m["birth_date"][:4]) if "birth_date" in m else int(m["birth_year"])


def _shift_date(text: str, years: int, rng: random.Random) -> str:
    d = dt.date.fromisoformat(text[:10]) + dt.timedelta(days=365 * years + rng.randint(-20, 20))
    return d.isoformat() + text[10:]


def _baby(rng: random.Random, family: str, ref_year: int, member_id: str, relation: str) -> dict[str, Any]:
    sex = rng.choice(("male", "female"))
    return {"member_id": member_id, "full_name": synthetic.person_name(rng, sex, family), "relation": relation,
            "sex": sex, "birth_year": ref_year, "health_insurance": True, "nutrition": "normal",
            "disability": False, "social_allowance": False, "ethnic_minority": False, "person_of_merit": False}


def _adult(rng: random.Random, sex: str, age: int, ref_year: int, member_id: str, relation: str) -> dict[str, Any]:
    year = ref_year - age
    m = {"member_id": member_id, "full_name": synthetic.person_name(rng, sex), "relation": relation, "sex": sex,
         "birth_year": year, "health_insurance": True, "work_status": "self_employed",
         "qualification": "upper_secondary", "disability": False, "social_allowance": False,
         "ethnic_minority": False, "person_of_merit": False}
    if rng.random() < 0.85:
        m["citizen_id"] = synthetic.citizen_id(rng, sex, year)
    return m


def _next_id(members: list[dict[str, Any]]) -> str:
    return f"m{max((int(m['member_id'][1:]) for m in members if m['member_id'][1:].isdigit()), default=0) + 1}"


def _family_of(h: dict[str, Any]) -> str:
    return h["members"][0]["full_name"].split()[0]


def _next_year(rng: random.Random, h: dict[str, Any]) -> dict[str, Any]:
    n = copy.deepcopy(h)
    n["collected_at"] = _shift_date(n["collected_at"], 1, rng)
    ref_year = int(n["collected_at"][:4])
    members = n["members"]
    survivors = [members[0]] + [m for m in members[1:]
                                if not (ref_year - _year(m) >= 75 and rng.random() < 0.06)
                                and not (m["relation"] == "child" and 18 <= ref_year - _year(m) and rng.random() < 0.03)]
    members[:] = survivors
    if rng.random() < 0.08:
        members.append(_baby(rng, _family_of(n), ref_year, _next_id(members), "child"))
    income = n.get("income") or {}
    for k, v in list(income.items()):
        if isinstance(v, int) and v:
            income[k] = int(round(v * rng.uniform(0.8, 1.25), -3))
    return n


def _head_change(rng: random.Random, h: dict[str, Any]) -> bool:
    members = h["members"]
    head = members[0]
    spouse = next((m for m in members if m["relation"] == "spouse"), None)
    ref_year = int(h["collected_at"][:4])
    adult_children = [m for m in members if m["relation"] == "child" and ref_year - _year(m) >= 20]
    if spouse is not None and (rng.random() < 0.6 or not adult_children):
        members.remove(head)                       # the head died
        members.remove(spouse)
        spouse["relation"] = "head"
        members.insert(0, spouse)
        return True
    if adult_children:
        heir = max(adult_children, key=_year) if rng.random() < 0.3 else min(adult_children, key=_year)
        members.remove(heir)
        heir["relation"] = "head"
        head["relation"] = "parent"
        if spouse is not None:
            spouse["relation"] = "parent"
        members.insert(0, heir)
        return True
    return False


def _ensure_adult_child(rng: random.Random, h: dict[str, Any]) -> dict[str, Any] | None:
    ref_year = int(h["collected_at"][:4])
    kids = [m for m in h["members"] if m["relation"] == "child" and ref_year - _year(m) >= 20]
    if kids:
        return rng.choice(kids)
    head_age = ref_year - _year(h["members"][0])
    if head_age < 42:
        return None
    sex = rng.choice(("male", "female"))
    age = rng.randint(20, min(head_age - 20, 45))
    child = _adult(rng, sex, age, ref_year, _next_id(h["members"]), "child")
    child["full_name"] = synthetic.person_name(rng, sex, _family_of(h))
    h["members"].append(child)
    return child


def _split_child(rng: random.Random, parent_next: dict[str, Any], child: dict[str, Any], r: Rates,
                 uid: str) -> dict[str, Any]:
    """The household the child founds, next to the parent's."""
    ref_year = int(parent_next["collected_at"][:4])
    c = copy.deepcopy(parent_next)
    c["household_id"] = uid
    head = copy.deepcopy(child)
    head["relation"], head["member_id"] = "head", "m1"
    members = [head]
    if rng.random() < 0.7:
        sex = "female" if head["sex"] == "male" else "male"
        members.append(_adult(rng, sex, max(19, ref_year - _year(head) + rng.randint(-4, 3)), ref_year, "m2",
                              "spouse"))
        if rng.random() < 0.4:
            members.append(_baby(rng, head["full_name"].split()[0], ref_year, "m3", "child"))
    c["members"] = members
    house = parent_next["address"].get("house_number") or ""
    if house and rng.random() >= r.split_same_number:
        c["address"] = dict(parent_next["address"], house_number=house + rng.choice("ABC"))
    if c.get("phone") and rng.random() >= r.split_same_phone:
        c["phone"] = _new_phone(rng)
    return c


def _new_phone(rng: random.Random) -> str:
    return "0" + rng.choice("9837") + "".join(str(rng.randrange(10)) for _ in range(8))


# --------------------------------------------------------------------------------------------
# Addresses: unique per household in a ward, except rented rooms sharing one
# --------------------------------------------------------------------------------------------

def _addresses(rng: random.Random, n: int, r: Rates) -> list[dict[str, str] | None]:
    pool: set[tuple[str, str]] = set()
    out: list[dict[str, str] | None] = []
    streets = synthetic.STREETS
    while len(out) < n:
        if out and rng.random() < r.shared_address:
            prev = rng.choice(out[-50:])
            out.append(dict(prev) if prev else None)
            continue
        if rng.random() < r.no_house_number:
            out.append(None)
            continue
        street = rng.choice(streets)
        number = str(rng.randint(1, 600))
        if rng.random() < 0.35:
            number += f"/{rng.randint(1, 60)}"
        if (street, number) in pool:
            continue
        pool.add((street, number))
        out.append({"house_number": number, "street": street})
    return out


# --------------------------------------------------------------------------------------------
# The set
# --------------------------------------------------------------------------------------------

def generate(households: int = 2000, seed: int = 1, rates: Rates | None = None) -> EvalSet:
    """Two rounds of records for ``households`` households (~2.0 records each)."""
    r = rates or Rates()
    rng = random.Random(f"evalset:{seed}")
    records: list[dict[str, Any]] = []
    entity: dict[str, str] = {}
    kind: dict[str, str] = {}
    events: dict[str, set[str]] = {}
    split_pairs: set[frozenset[str]] = set()
    n_wards = max(1, -(-households // WARD_SIZE))

    def emit(doc: dict[str, Any], ent: str, how: str) -> str:
        rec = _noisy(rng, doc, r)
        records.append(rec)
        entity[rec["household_id"]] = ent
        kind[rec["household_id"]] = how
        return rec["household_id"]

    for w in range(n_wards):
        size = min(WARD_SIZE, households - w * WARD_SIZE)
        ward_code = f"W{w + 1:03d}"
        n_new = int(size * r.new_households)
        base = synthetic.generate_ward(size + n_new, seed=seed * 1000 + w, ward_code=ward_code)
        addresses = _addresses(rng, size + n_new, r)
        for h, addr in zip(base, addresses):
            if addr is None:
                h["address"] = {"street": h["address"]["street"]} if rng.random() < 0.5 else {}
            else:
                h["address"] = dict(addr)
        old, new = base[:size], base[size:]
        for h in old:
            ent = h["household_id"]
            ev: set[str] = set()
            resurveyed = rng.random() < r.resurvey
            pick = rng.random()
            split_child = None
            child_rid = ""
            if resurveyed and pick < r.split:
                split_child = _ensure_adult_child(rng, h)   # before 2025: the child is on the roster
            first = [emit(h, ent, "2025:original")]
            if rng.random() < r.double_survey:
                again = copy.deepcopy(h)
                again["collected_at"] = _shift_date(again["collected_at"], 0, rng)
                first.append(emit(again, ent, "2025:double_survey"))
            if not resurveyed:
                continue
            nxt = _next_year(rng, h)
            if split_child is not None and any(m["member_id"] == split_child["member_id"] for m in nxt["members"]):
                child = next(m for m in nxt["members"] if m["member_id"] == split_child["member_id"])
                nxt["members"].remove(child)
                child_doc = _split_child(rng, nxt, child, r, ent + "-split")
                child_ent = child_doc["household_id"]
                child_rid = emit(child_doc, child_ent, "2026:split_child")
                ev.add("split")
                events[child_ent] = {"split_child"}
                for p in first:
                    split_pairs.add(frozenset((child_rid, p)))
            elif pick < r.split + r.head_change:
                if _head_change(rng, nxt):
                    ev.add("head_change")
            elif pick < r.split + r.head_change + r.moved:
                nxt["address"] = _addresses(rng, 1, Rates(shared_address=0, no_house_number=0))[0]
                if nxt.get("phone") and rng.random() < r.moved_new_phone:
                    nxt["phone"] = _new_phone(rng)
                ev.add("moved")
            rid = emit(nxt, ent, "2026:resurvey")
            if ev:
                events[ent] = ev
            if child_rid:
                split_pairs.add(frozenset((child_rid, rid)))
            if rng.random() < r.double_survey / 2:
                again = copy.deepcopy(nxt)
                again["collected_at"] = _shift_date(again["collected_at"], 0, rng)
                emit(again, ent, "2026:double_survey")
        for h in new:
            nxt = copy.deepcopy(h)
            nxt["collected_at"] = _shift_date(nxt["collected_at"], 1, rng)
            emit(nxt, h["household_id"], "2026:new")
    return EvalSet(records, entity, kind, events, split_pairs)
