"""Phiếu A: the quick identification that screens a household out before the full review.

Circular 07/2021's Phiếu A lists household characteristics that mark a household as clearly not poor;
a household screened out by it is not reviewed further (domain.md §2.3). The official criteria are
**[U]** (not available here): this module is the mechanism only. Criteria are a JSON document whose
items hold an expression over the household's answers (``shared/expr.py``, never ``eval``); a household
is screened out when any criterion holds, and the result records which criteria did it and why. A
criteria file marked ``"synthetic": true`` is an example for tests and demos, and every result computed
with it says so.

Format::

    {"id": "...", "synthetic": true, "label": {"vi": ..., "en": ...},
     "criteria": [{"id": "...", "label": {"vi": ..., "en": ...}, "when": "${housing.floor_area_m2} >= 150"}]}
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import expr

_FUNCS = frozenset({"selected", "count", "coalesce", "len", "min", "max", "abs", "int"})


class ScreeningError(ValueError):
    """A criteria file is malformed; the message names the field."""


@dataclass(frozen=True)
class Criterion:
    id: str
    label: dict[str, str]
    when: expr.Expr


@dataclass(frozen=True)
class Criteria:
    id: str
    synthetic: bool
    label: dict[str, str]
    items: tuple[Criterion, ...]


def criteria_from_dict(data: Any, source: str = "<data>") -> Criteria:
    if not isinstance(data, dict):
        raise ScreeningError(f"{source}: criteria must be a JSON object")
    for key in ("id", "label", "criteria"):
        if key not in data:
            raise ScreeningError(f"{source}: missing field '{key}'")
    items = []
    for n, c in enumerate(data["criteria"]):
        where = f"{source}: 'criteria[{n}]"
        if not isinstance(c, dict) or not isinstance(c.get("id"), str):
            raise ScreeningError(f"{where}.id' is missing")
        if not isinstance(c.get("label"), dict) or not c["label"].get("vi"):
            raise ScreeningError(f"{where}.label' must give a Vietnamese text")
        try:
            when = expr.parse(str(c.get("when", "")), _FUNCS)
        except expr.ExprError as exc:
            raise ScreeningError(f"{where}.when': {exc}") from exc
        items.append(Criterion(c["id"], dict(c["label"]), when))
    return Criteria(str(data["id"]), bool(data.get("synthetic", False)), dict(data["label"]), tuple(items))


def load_criteria(path: str | Path) -> Criteria:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScreeningError(f"{p.name}: cannot read the criteria ({exc})") from exc
    return criteria_from_dict(data, p.name)


def screen(doc: dict[str, Any], criteria: Criteria) -> dict[str, Any]:
    """{"criteria_id", "synthetic", "screened_out": True/False/None, "reasons": [...], "unknown": [...]}.

    ``screened_out`` is None when no criterion holds but some could not be evaluated (answers missing)."""
    def lookup(name: str) -> Any:
        cur: Any = doc
        for part in name.split("."):
            if not isinstance(cur, dict):
                return None
            cur = cur.get(part)
        return cur

    reasons, unknown = [], []
    for c in criteria.items:
        try:
            v = c.when.evaluate(lookup)
        except expr.ExprError:
            v = None
        if v is True:
            reasons.append({"id": c.id, "label_vi": c.label["vi"], "label_en": c.label.get("en", c.label["vi"])})
        elif v is None:
            unknown.append(c.id)
    out = reasons and True or (None if unknown else False)
    note_vi = " (tiêu chí THỬ NGHIỆM, không phải Phiếu A chính thức)" if criteria.synthetic else ""
    if out:
        text_vi = "Loại qua Phiếu A: " + "; ".join(r["label_vi"] for r in reasons) + note_vi
    elif out is None:
        text_vi = "Chưa đủ thông tin để sàng lọc theo Phiếu A" + note_vi
    else:
        text_vi = "Không thuộc trường hợp loại qua Phiếu A; rà soát tiếp bằng Phiếu B" + note_vi
    return {"criteria_id": criteria.id, "synthetic": criteria.synthetic, "screened_out": out,
            "reasons": reasons, "unknown": unknown, "explanation_vi": text_vi}
