"""The review round decides the standards, on the tablet exactly as on the server.

A round (periodic, 1 September – 14 December, or regular, monthly) names the standards it applies;
the server stores it and sends it to devices by sync as a plain dict (``RoundDef.to_wire``; in a pull it
is a change of kind ``round``, so the round's own kind travels as ``round_kind``). Both
sides then call ``round_standards`` with their pool of standard definitions (the bundled ones,
replaced by what the server published) so the tablet's preview and the office's result are the same
for the same document. With no round (a server where none was ever defined, or a tablet that has
not synced yet) the date rule applies: the standards in force for the household's area on its
collection date.

A form version *fits* a round when it asks every question its standards' indicators read; a
document of a form version that does not fit is refused, naming the version and the round.
Pure: no I/O, no clock.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from .classify import asked_questions
from .dates import parse_date
from .standards import Standard, applicable_standards

PERIODIC, REGULAR = "periodic", "regular"


@dataclass(frozen=True)
class RoundDef:
    id: int | None
    kind: str
    year: int
    month: int | None
    starts_on: dt.date | None
    ends_on: dt.date | None
    status: str                         # open / closed
    standard_ids: tuple[str, ...]

    @property
    def label_vi(self) -> str:
        if self.kind == PERIODIC:
            return f"rà soát định kỳ năm {self.year}"
        return f"rà soát thường xuyên tháng {self.month}/{self.year}"

    @property
    def label_en(self) -> str:
        if self.kind == PERIODIC:
            return f"periodic review {self.year}"
        return f"regular review {self.month}/{self.year}"

    def to_wire(self) -> dict[str, Any]:
        return {"round_id": self.id, "round_kind": self.kind, "year": self.year, "month": self.month,
                "starts_on": self.starts_on.isoformat() if self.starts_on else None,
                "ends_on": self.ends_on.isoformat() if self.ends_on else None,
                "status": self.status, "standards": list(self.standard_ids),
                "label_vi": self.label_vi, "label_en": self.label_en}


def round_from_wire(data: Mapping[str, Any] | None) -> RoundDef | None:
    """A round as the server sent it; None for anything malformed (the date rule then applies)."""
    if not isinstance(data, Mapping):
        return None
    ids = data.get("standards")
    year = data.get("year")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or not isinstance(year, int):
        return None
    month = data.get("month")
    return RoundDef(id=data.get("round_id") if isinstance(data.get("round_id"), int) else None,
                    kind=str(data.get("round_kind") or PERIODIC), year=year,
                    month=month if isinstance(month, int) else None,
                    starts_on=parse_date(data.get("starts_on")), ends_on=parse_date(data.get("ends_on")),
                    status=str(data.get("status") or "open"), standard_ids=tuple(ids))


def _province(doc: Mapping[str, Any]) -> str | None:
    area = doc.get("area") if isinstance(doc.get("area"), Mapping) else {}
    code = area.get("province_code")
    return str(code) if code is not None else None


def round_standards(rnd: RoundDef | None, doc: Mapping[str, Any], pool: Mapping[str, Standard],
                    ref: dt.date | None = None) -> list[Standard]:
    """The standards a household is classified under: its round's (those covering its province), or
    without a round the ones in force for its area on its collection date."""
    if rnd is None:
        day = ref or parse_date(doc.get("collected_at"))
        return applicable_standards(_province(doc), day, pool.values()) if day else []
    return [pool[i] for i in rnd.standard_ids if i in pool and pool[i].covers(_province(doc))]


def needed_questions(standards: Iterable[Standard]) -> frozenset[str]:
    """Every answer the standards' indicators read (``members[].x`` for roster fields)."""
    return frozenset(f for s in standards for i in s.indicators for f in i.fields
                     if not f.endswith(".birth_year"))


def missing_questions(form: Any, standards: Iterable[Standard]) -> list[str]:
    """The questions the standards need that the form version does not ask (empty: it fits)."""
    asked = asked_questions(form)
    if asked is None:
        return []
    return sorted(needed_questions(standards) - asked)


def form_fits(form: Any, standards: Iterable[Standard]) -> bool:
    return not missing_questions(form, standards)


def misfit_message(version: str, rnd: RoundDef, missing: list[str], better: str | None) -> tuple[str, str]:
    """Why a document of ``version`` is refused in ``rnd`` (Vietnamese, English)."""
    more = f" Hãy chuyển phiếu sang phiên bản {better}." if better else ""
    more_en = f" Move the form to version {better}." if better else ""
    return (f"Phiếu phiên bản {version} không dùng được cho đợt {rnd.label_vi}: phiếu này không hỏi "
            f"{', '.join(missing)} mà chuẩn nghèo của đợt cần.{more}",
            f"Form version {version} does not fit the {rnd.label_en}: it does not ask {', '.join(missing)}, "
            f"which the round's standards need.{more_en}")
