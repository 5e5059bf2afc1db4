"""Normalise a household document once into the features dedup compares.

A ``Record`` is small, immutable after construction and JSON-serialisable
(``to_json`` / ``from_json``) so the SQLite index can store it and rebuild it
without the original document. All normalisation comes from
``shared.identity``; nothing here raises on garbage input.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from shared import identity as idn

from .phonetic import soundex

# Blocking-key kinds that are local to a ward (scoped by ward code): address and
# name keys repeat across a province; phones and citizen IDs do not.
_SCOPED_KINDS = frozenset({"addr", "addrg", "hgy", "hst", "mny", "cidg"})
_HEAD_RELATIONS = frozenset({"head", "chu ho", "chuho", "chu_ho", "household head"})

# Record kinds. A household document is the default; a document with
# ``"record_kind": "person"`` is a one-person record from a person register
# (FEBRL and the like: family and given name, full birth date, street address,
# locality, postcode, region). Person records get their own blocking keys and
# comparison fields (``person_blocking_keys``, ``compare.compare_person``);
# household records never carry them, so the household pipeline is unchanged.
HOUSEHOLD, PERSON = "household", "person"
_NON_ALNUM_RE = re.compile(r"[^a-z0-9]+")


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _usable_id(value: Any) -> str:
    number = idn.normalize_citizen_id(value)
    if len(number) == 12 and number.isascii() and number.isdigit() and len(set(number)) > 1:
        return number
    return ""


def _usable_old_id(member: dict) -> str:
    """The member's old 9-digit ID (CMND): ``old_id_number``, or a 9-digit number written in the
    citizen-ID field (registers with one "CMND/CCCD" column)."""
    for value in (member.get("old_id_number"), member.get("citizen_id")):
        number = idn.normalize_old_id(value)
        if number:
            return number
    return ""


def _member(m: dict) -> Member:
    name = m.get("full_name")
    cid = idn.normalize_citizen_id(m.get("citizen_id"))
    usable = cid if len(cid) == 12 and cid.isascii() and cid.isdigit() and len(set(cid)) > 1 else ""
    old = idn.normalize_old_id(m.get("old_id_number")) if m.get("old_id_number") is not None else ""
    if not old and len(cid) == 9:
        old = idn.normalize_old_id(cid)
    return Member(idn.normalize_name(name), idn.name_key(name), idn.member_birth_year(m), usable, old,
                  _relation(m.get("relation")))


def _member_count(doc: dict, listed: int) -> int | None:
    """The household's size: ``member_count`` when it is a plausible number (not below the members
    listed), else the roster's length when more than the head is listed; None when unknown (a
    head-only record without a count says nothing about the size)."""
    value = doc.get("member_count")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and max(1, listed) <= value <= 60:
        return value
    return listed if listed >= 2 else None


def _round_of(doc: dict) -> int | None:
    text = _text(doc.get("collected_at")).strip()
    if len(text) >= 4 and text[:4].isdigit():
        year = int(text[:4])
        if 1990 <= year <= 2200:
            return year
    return None


@dataclass(slots=True)
class Member:
    name: str          # accented, normalised (normalize_name)
    key: str           # name_key (folded, residue repaired)
    year: int | None
    cid: str           # 12 usable digits or ""
    oid: str = ""      # old 9-digit ID (CMND) or ""
    rel: str = ""      # relation to the head: head, spouse, child, parent, other ("" unknown)


# Folded relation words -> the few roles dedup reads (the form's codes, and register spellings).
_RELATIONS = {"head": "head", "chu ho": "head", "chuho": "head", "chu_ho": "head", "household head": "head",
              "spouse": "spouse", "vo": "spouse", "chong": "spouse", "vo chong": "spouse", "wife": "spouse",
              "husband": "spouse", "child": "child", "con": "child", "parent": "parent", "bo": "parent",
              "me": "parent", "cha": "parent"}


def _relation(value: Any) -> str:
    text = idn.fold(value)
    return _RELATIONS.get(text, "other" if text else "")


@dataclass(slots=True)
class Record:
    """The comparable features of one household document."""
    rid: str
    round: int | None = None
    ward: str = ""
    group: str = ""
    head_name: str = ""      # accented
    head_key: str = ""       # folded
    head_sorted: str = ""
    head_given: str = ""
    head_ascii: bool = True  # the head's name carries no diacritics at all
    head_year: int | None = None
    head_sex: str | None = None
    head_cid: str = ""
    head_oid: str = ""       # the head's old 9-digit ID (CMND)
    size: int | None = None  # household size: member_count, else the roster's length (>= 2), else unknown
    lineage: str = ""        # lifecycle "split_from": the household this one split from
    event: str = ""          # lifecycle event of the document ("" none)
    house: str = ""          # normalised, suffix kept
    house_base: str = ""
    street: str = ""
    phones: frozenset[str] = frozenset()
    members: tuple[Member, ...] = ()
    cids: frozenset[str] = frozenset()
    oids: frozenset[str] = frozenset()
    keys: frozenset[str] = frozenset()
    flags: tuple[str, ...] = ()  # thin-evidence flags: no_name, no_address, ...
    raw: dict[str, Any] = field(default_factory=dict)
    # Person records only (kind == PERSON); empty on households.
    kind: str = HOUSEHOLD
    head_family: str = ""    # folded family name
    dob: str = ""            # full birth date YYYYMMDD
    locality: str = ""       # folded suburb / commune name
    postcode: str = ""
    region: str = ""         # folded state / province

    @property
    def thin(self) -> bool:
        """Too little to decide on without a person: no usable head name, or
        neither an address nor any identifier (citizen ID, old ID, phone)."""
        return "no_name" in self.flags or ("no_address" in self.flags and "no_identifier" in self.flags)

    @property
    def declared_new(self) -> bool:
        """The document says this household is new here (split off another, or moved in): it has no
        earlier record of its own to be linked to under another head."""
        return self.event in ("split_from", "moved_in")

    def to_json(self) -> dict[str, Any]:
        return {
            "rid": self.rid, "round": self.round, "ward": self.ward, "group": self.group,
            "head_name": self.head_name, "head_key": self.head_key, "head_sorted": self.head_sorted,
            "head_given": self.head_given, "head_ascii": self.head_ascii, "head_year": self.head_year,
            "head_sex": self.head_sex, "head_cid": self.head_cid, "house": self.house,
            "house_base": self.house_base, "street": self.street, "phones": sorted(self.phones),
            "members": [[m.name, m.key, m.year, m.cid, m.oid, m.rel] for m in self.members],
            "keys": sorted(self.keys), "flags": list(self.flags), "raw": self.raw,
            **({"head_oid": self.head_oid} if self.head_oid else {}),
            **({"size": self.size} if self.size is not None else {}),
            **({"lineage": self.lineage} if self.lineage else {}),
            **({"event": self.event} if self.event else {}),
            **({"kind": self.kind, "head_family": self.head_family, "dob": self.dob, "locality": self.locality,
                "postcode": self.postcode, "region": self.region} if self.kind == PERSON else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Record":
        members = tuple(Member(*m) for m in data.get("members", ()))   # 4 entries before issue 19
        return cls(
            rid=data["rid"], round=data.get("round"), ward=data.get("ward", ""), group=data.get("group", ""),
            head_name=data.get("head_name", ""), head_key=data.get("head_key", ""),
            head_sorted=data.get("head_sorted", ""), head_given=data.get("head_given", ""),
            head_ascii=data.get("head_ascii", True), head_year=data.get("head_year"),
            head_sex=data.get("head_sex"), head_cid=data.get("head_cid", ""), head_oid=data.get("head_oid", ""),
            size=data.get("size"), lineage=data.get("lineage", ""), event=data.get("event", ""),
            house=data.get("house", ""),
            house_base=data.get("house_base", ""), street=data.get("street", ""),
            phones=frozenset(data.get("phones", ())), members=members,
            cids=frozenset(m.cid for m in members if m.cid), oids=frozenset(m.oid for m in members if m.oid),
            keys=frozenset(data.get("keys", ())),
            flags=tuple(data.get("flags", ())), raw=data.get("raw", {}), kind=data.get("kind", HOUSEHOLD),
            head_family=data.get("head_family", ""), dob=data.get("dob", ""), locality=data.get("locality", ""),
            postcode=data.get("postcode", ""), region=data.get("region", ""))


def _members(doc: dict) -> list[dict]:
    members = doc.get("members")
    if not isinstance(members, (list, tuple)):
        return []
    return [m for m in members if isinstance(m, dict)]


def _pick_head(members: list[dict]) -> dict | None:
    for m in members:
        if idn.fold(m.get("relation")) in _HEAD_RELATIONS:
            return m
    for m in members:  # rosters usually list the head first
        if idn.name_key(m.get("full_name")):
            return m
    return None


# A letter typed twice ("Lụa" as "luua"): folded Vietnamese names have no doubled letters of their
# own, so the name keys of a name that has some are given a second form with each run of one letter
# read once — the mistyped name meets the name it stands for (set B, tuning seed 5019: a mother's own
# next-round record, without a house number or a phone, shared no key with her register row).
_REPEATED = re.compile(r"(.)\1+")
_NAME_KINDS = frozenset({"hgy", "mny"})


def blocking_keys(doc: dict, ward: str) -> frozenset[str]:
    """``shared.identity.household_blocking_keys`` with local kinds scoped by ward; name keys with a
    letter typed twice also in their collapsed form."""
    out = set()
    for key in idn.household_blocking_keys(doc):
        kind, _, value = key.partition(":")
        keys = [key]
        if kind in _NAME_KINDS:
            name, bar, year = value.rpartition("|")
            collapsed = _REPEATED.sub(r"\1", name)
            if bar and collapsed != name:
                keys.append(f"{kind}:{collapsed}|{year}")
        for k in keys:
            out.add(f"{ward}|{k}" if ward and kind in _SCOPED_KINDS else k)
    return frozenset(out)


def make_record(doc: Any, rid: str | None = None, keep_raw: bool = False) -> Record:
    """Features of one household document; never raises on garbage.

    ``keep_raw`` keeps a small summary of the raw values for the review queue.
    """
    if not isinstance(doc, dict):
        return Record(rid=str(rid or ""), flags=("no_name", "no_address", "no_identifier"))
    rid = str(rid if rid is not None else _text(doc.get("household_id")))
    area, address = _dict(doc.get("area")), _dict(doc.get("address"))
    ward = idn.fold(area.get("ward_code")).replace(" ", "")
    group = idn.fold(area.get("group_code")).replace(" ", "")
    raw_members = _members(doc)
    head = _pick_head(raw_members)
    if head is not None and raw_members and raw_members[0] is not head:   # the head first (compare reads it so)
        raw_members = [head, *(m for m in raw_members if m is not head)]
    members = tuple(m for m in (_member(x) for x in raw_members) if m.key or m.cid or m.oid)
    lifecycle = _dict(doc.get("lifecycle"))
    event = _text(lifecycle.get("event")).strip()[:40]
    head_name = idn.normalize_name(head.get("full_name")) if head else ""
    head_key = idn.name_key(head_name)
    phones = set(idn.phone_keys(doc.get("phone")))
    for m in raw_members:
        phones.update(idn.phone_keys(m.get("phone")))
    house, street = idn.address_parts(address)
    rec = Record(
        rid=rid, round=_round_of(doc), ward=ward, group=group,
        head_name=head_name, head_key=head_key, head_sorted=" ".join(sorted(head_key.split())),
        head_given=head_key.rpartition(" ")[2], head_ascii=head_name.isascii(),
        head_year=idn.member_birth_year(head) if head else None,
        head_sex=idn.normalize_sex(head.get("sex")) if head else None,
        head_cid=_usable_id(head.get("citizen_id")) if head else "",
        head_oid=_usable_old_id(head) if head else "",
        size=_member_count(doc, len(members)),
        lineage=_text(lifecycle.get("related_household_id")).strip()[:64] if event == "split_from" else "",
        event=event,
        house=house if any(c.isdigit() for c in house) else "",
        house_base=idn.house_number_base(house) if house else "",
        street=street, phones=frozenset(phones), members=members,
        cids=frozenset(m.cid for m in members if m.cid),
        oids=frozenset(m.oid for m in members if m.oid),
        keys=blocking_keys(doc, ward),
    )
    flags = []
    if len(head_key.split()) < 2:
        flags.append("no_name")
    if not rec.house:
        flags.append("no_address")
    if not rec.cids and not rec.oids and not rec.phones:
        flags.append("no_identifier")
    rec.flags = tuple(flags)
    if doc.get("record_kind") == PERSON:
        _make_person(rec, doc, head)
    if keep_raw:
        rec.raw = raw_summary(doc)
    return rec


def plain_key(value: Any) -> str:
    """Folded, punctuation-free, WITHOUT the Vietnamese typing-residue repair
    (which would turn "ross" into "ro"): the key of a non-Vietnamese name."""
    return " ".join(_NON_ALNUM_RE.sub(" ", idn.fold(value)).split())


def _digits(value: Any) -> str:
    return "".join(c for c in _text(value) if c.isascii() and c.isdigit())


def _full_date(member: dict) -> str:
    """YYYYMMDD from "YYYY-MM-DD", "YYYYMMDD" or "DD/MM/YYYY"; "" otherwise."""
    text = _text(member.get("birth_date")).strip()
    parts = [p for p in re.split(r"[^0-9]+", text) if p]
    if len(parts) == 1 and len(parts[0]) == 8:
        date = parts[0]
    elif len(parts) == 3 and len(parts[0]) == 4:
        date = f"{parts[0]}{int(parts[1]):02d}{int(parts[2]):02d}"
    elif len(parts) == 3 and len(parts[2]) == 4:
        date = f"{parts[2]}{int(parts[1]):02d}{int(parts[0]):02d}"
    else:
        return ""
    return date if len(date) == 8 and 1800 <= int(date[:4]) <= 2300 else ""


def _make_person(rec: Record, doc: dict, head: dict | None) -> None:
    """Person-register features: plain (not Vietnamese-repaired) name keys,
    family and given name, full birth date, locality, postcode, region, and
    the person blocking keys. Thin evidence means no name at all, or neither an
    address nor an identifier (citizen ID, phone or full birth date)."""
    head = head or {}
    address = _dict(doc.get("address"))
    family = plain_key(head.get("family_name"))
    given = plain_key(head.get("given_name"))
    full = plain_key(head.get("full_name"))
    if not (family or given) and full:
        tokens = full.split()
        family, given = (" ".join(tokens[:-1]), tokens[-1]) if len(tokens) > 1 else ("", tokens[0])
    key = " ".join(x for x in (family, given) if x)
    rec.kind = PERSON
    rec.head_key = key
    rec.head_sorted = " ".join(sorted(key.split()))
    rec.head_given, rec.head_family = given, family
    rec.head_ascii = True
    rec.dob = _full_date(head)
    if rec.head_year is None:
        year = rec.dob[:4] or _digits(head.get("birth_date") or head.get("birth_year"))
        if len(year) == 4 and 1800 <= int(year) <= 2300:
            rec.head_year = int(year)
    rec.street = plain_key(address.get("street"))
    rec.house = _digits(address.get("house_number")) and plain_key(address.get("house_number"))
    rec.house_base = rec.house
    rec.locality = plain_key(address.get("locality"))
    rec.postcode = _digits(address.get("postcode"))
    rec.region = plain_key(address.get("region"))
    flags = []
    if not key:
        flags.append("no_name")
    if not (rec.street or rec.house or rec.locality or rec.postcode):
        flags.append("no_address")
    if not (rec.cids or rec.phones or rec.dob):
        flags.append("no_identifier")
    rec.flags = tuple(flags)
    rec.keys = rec.keys | person_blocking_keys(rec)


# Kinds of the person blocking keys (``person_blocking_keys``); household keys never use them.
PERSON_KEY_KINDS = frozenset({"pfg", "p3", "pny", "pnd", "pnp", "pnl", "pdob", "pph", "phs", "pyp"})


def person_blocking_keys(rec: Record) -> frozenset[str]:
    """Blocking keys of a person record: each key needs two pieces of evidence
    so that a duplicate with several corrupted fields still shares one of
    them; none is a name alone.

    ``pfg`` Soundex of family + given name (order-free: swapped names meet);
    ``p3`` their first three letters; ``pny`` / ``pnd`` / ``pnp`` / ``pnl``
    the Soundex of either name with the birth year, the birth month+day, the
    postcode, the locality; ``pdob`` the full birth date; ``pph`` postcode +
    house number; ``phs`` house number + the street's first four letters;
    ``pyp`` birth year + postcode. Unscoped (a register has no ward); blocks
    over the cap give no pairs, as for households.
    """
    keys: set[str] = set()
    fam = soundex(rec.head_family.replace(" ", "")) if rec.head_family else ""
    giv = soundex(rec.head_given.replace(" ", "")) if rec.head_given else ""
    dob, pc, house = rec.dob, rec.postcode, rec.house
    if fam and giv:
        keys.add("pfg:" + "|".join(sorted((fam, giv))))
        keys.add("p3:" + "|".join(sorted((rec.head_family[:3], rec.head_given[:3]))))
    for code in {fam, giv} - {""}:
        if dob:
            keys.add(f"pny:{code}|{dob[:4]}")
            keys.add(f"pnd:{code}|{dob[4:]}")
        if pc:
            keys.add(f"pnp:{code}|{pc}")
        if rec.locality:
            keys.add(f"pnl:{code}|{rec.locality}")
    if dob:
        keys.add(f"pdob:{dob}")
    if pc and house:
        keys.add(f"pph:{pc}|{house}")
    if house and rec.street:
        keys.add(f"phs:{house}|{rec.street[:4]}")
    if dob and pc:
        keys.add(f"pyp:{dob[:4]}|{pc}")
    return frozenset(keys)


def raw_summary(doc: dict) -> dict[str, Any]:
    """The raw values a reviewer sees beside the normalised ones (small)."""
    def clip(value: Any, n: int = 200) -> Any:
        return value[:n] if isinstance(value, str) else value
    area, address = _dict(doc.get("area")), _dict(doc.get("address"))
    return {
        "household_id": clip(doc.get("household_id")),
        "collected_at": clip(doc.get("collected_at")),
        "area": {k: clip(area.get(k)) for k in ("province_code", "ward_code", "group_code") if k in area},
        "address": {k: clip(address.get(k)) for k in ("house_number", "street") if k in address},
        "phone": clip(doc.get("phone")),
        **({"member_count": doc["member_count"]} if isinstance(doc.get("member_count"), (int, str)) else {}),
        **({"lifecycle": {k: clip(v) for k, v in doc["lifecycle"].items() if k in ("event", "related_household_id")}}
           if isinstance(doc.get("lifecycle"), dict) else {}),
        "members": [{k: clip(m.get(k)) for k in ("full_name", "relation", "sex", "birth_date", "birth_year",
                                                   "citizen_id", "old_id_number") if k in m}
                    for m in _members(doc)[:30]],
    }
