"""The B1 score of Phiếu B (the income proxy of Circular 07/2021) from a points table given as data.

Circular 07/2021's forms are Phiếu A (quick identification, see ``screening``) and Phiếu B with
B1 (an income score from household characteristics: at most 140 points rural / 175 urban means
at or below the line [S]) and B2 (10 points per deprived indicator). Earlier versions of this
project called B1 "score A"; the old names stay as deprecated aliases.

The official points table (Phụ lục III/IV) was NOT available when this was
written (domain.md §2.3, [U]); none is bundled. This module provides the
mechanism only: a table is a JSON document whose items give points when an
expression over the household holds. A table marked ``"synthetic": true`` is
for tests and demos and every result computed with it says so.

Table format::

    {"id": "...", "synthetic": true, "label": {...}, "base_points": 100,
     "items": [{"when": "${housing.walls} = 'durable'", "points": 5,
                "label": "..."}],
     "per_member_items": [{"when": "${age} >= 60", "points": -2}]}
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import expr
from .dates import age_on, parse_date

_FUNCS = frozenset({"selected", "count", "coalesce", "len", "min", "max", "abs", "int"})


class B1TableError(ValueError):
    pass


ScoreATableError = B1TableError     # deprecated name


@dataclass(frozen=True)
class B1Table:
    id: str
    synthetic: bool
    base_points: float
    items: tuple[tuple[expr.Expr, float], ...]
    per_member_items: tuple[tuple[expr.Expr, float], ...]

    def score(self, doc: dict[str, Any]) -> float:
        def lookup(name: str) -> Any:
            cur: Any = doc
            for part in name.split("."):
                if not isinstance(cur, dict):
                    return None
                cur = cur.get(part)
            return cur

        total = self.base_points
        for e, pts in self.items:
            if expr.truthy(e.evaluate(lookup)):
                total += pts
        ref = parse_date(doc.get("collected_at")) or dt.date(1970, 1, 1)
        members = doc.get("members") if isinstance(doc.get("members"), list) else []
        for m in members:
            if not isinstance(m, dict):
                continue
            age = age_on(m, ref)

            def mlookup(name: str, m: dict[str, Any] = m, age: int | None = age) -> Any:
                return age if name == "age" else m.get(name, lookup(name))

            for e, pts in self.per_member_items:
                if expr.truthy(e.evaluate(mlookup)):
                    total += pts
        return total


def table_from_dict(data: dict[str, Any]) -> B1Table:
    try:
        def items(key: str) -> tuple[tuple[expr.Expr, float], ...]:
            return tuple((expr.parse(i["when"], _FUNCS), float(i["points"])) for i in data.get(key, ()))

        return B1Table(id=str(data["id"]), synthetic=bool(data.get("synthetic", False)),
                           base_points=float(data.get("base_points", 0)),
                           items=items("items"), per_member_items=items("per_member_items"))
    except (KeyError, TypeError, ValueError) as exc:
        raise B1TableError(f"B1 points table is malformed: {exc}") from exc


def load_table(path: str | Path) -> B1Table:
    return table_from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


ScoreATable = B1Table     # deprecated name
