"""Poverty standards as data files.

A standard (``shared/data/standards/*.json``) carries its id, legal basis,
effective period, scope (country or provinces), income lines and average band
per area type, score-A cut-offs where known, the deprivation count for "poor"
and every indicator threshold. A new standard is a new file, not new code.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

STANDARDS_DIR = Path(__file__).parent / "data" / "standards"
AREA_TYPES = ("urban", "rural")
_REQUIRED = ("id", "name", "legal_basis", "status", "scope", "effective_from", "effective_to",
             "income_line", "poor_min_deprivations", "indicator_parameters")


class StandardError(ValueError):
    """A standard file is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class Standard:
    id: str
    name: dict[str, str]
    legal_basis: str
    status: str                       # "in_force" or "draft" (a draft is used only when named)
    confidence: str                   # C / S / U as in domain.md
    scope: dict[str, Any]
    effective_from: dt.date
    effective_to: dt.date
    income_line: dict[str, int]
    average_band_max: dict[str, int] | None
    score_a_cutoff: dict[str, float] | None
    poor_min_deprivations: int
    score_b_points: int
    params: dict[str, Any]
    raw: dict[str, Any] = field(compare=False, repr=False, default_factory=dict)

    def covers(self, province_code: str | None) -> bool:
        if "country" in self.scope:
            return True
        return province_code is not None and str(province_code) in self.scope.get("province_codes", ())

    def in_force_on(self, day: dt.date) -> bool:
        return self.effective_from <= day <= self.effective_to


def standard_from_dict(data: dict[str, Any], source: str = "<data>") -> Standard:
    for key in _REQUIRED:
        if key not in data:
            raise StandardError(f"{source}: missing field '{key}'")

    def per_area(key: str, optional: bool) -> dict[str, Any] | None:
        value = data.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, dict) or set(value) != set(AREA_TYPES):
            raise StandardError(f"{source}: '{key}' must give both 'urban' and 'rural'")
        for k, v in value.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
                raise StandardError(f"{source}: '{key}.{k}' must be a positive number")
        return dict(value)

    try:
        start = dt.date.fromisoformat(data["effective_from"])
        end = dt.date.fromisoformat(data["effective_to"])
    except (TypeError, ValueError) as exc:
        raise StandardError(f"{source}: effective dates must be YYYY-MM-DD ({exc})") from exc
    if end < start:
        raise StandardError(f"{source}: effective_to is before effective_from")
    if data["status"] not in ("in_force", "draft"):
        raise StandardError(f"{source}: status must be 'in_force' or 'draft'")
    k = data["poor_min_deprivations"]
    if not isinstance(k, int) or not 1 <= k <= 12:
        raise StandardError(f"{source}: 'poor_min_deprivations' must be an integer 1..12")
    return Standard(
        id=str(data["id"]), name=dict(data["name"]), legal_basis=str(data["legal_basis"]),
        status=data["status"], confidence=str(data.get("confidence", "U")), scope=dict(data["scope"]),
        effective_from=start, effective_to=end,
        income_line=per_area("income_line", False),  # type: ignore[arg-type]
        average_band_max=per_area("average_band_max", True),
        score_a_cutoff=per_area("score_a_cutoff", True),
        poor_min_deprivations=k,
        score_b_points=int(data.get("score_b_points_per_indicator", 10)),
        params=dict(data["indicator_parameters"]), raw=data,
    )


def load_standard_file(path: str | Path) -> Standard:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise StandardError(f"{p.name}: cannot read standard file ({exc})") from exc
    return standard_from_dict(data, p.name)


@lru_cache(maxsize=8)
def _load_dir(directory: str) -> dict[str, Standard]:
    out = {}
    for p in sorted(Path(directory).glob("*.json")):
        s = load_standard_file(p)
        out[s.id] = s
    return out


def load_standards(directory: str | Path | None = None) -> dict[str, Standard]:
    """Every standard in the directory (bundled ones by default), by id."""
    return dict(_load_dir(str(directory or STANDARDS_DIR)))


def applicable_standards(province_code: str | None, on: dt.date,
                         standards: Iterable[Standard] | None = None) -> list[Standard]:
    """Standards in force for an area on a date. Drafts are never picked automatically."""
    pool = standards if standards is not None else load_standards().values()
    return [s for s in pool if s.status == "in_force" and s.covers(province_code) and s.in_force_on(on)]
