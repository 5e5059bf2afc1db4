"""Report layouts as data: ``server/reports/layouts/*.json``.

A layout gives the report's title and its sheet name in a workbook (vi/en), which builder computes it (and its params), and the
columns in order — each with its column code (the lettered/numbered codes of Vietnamese
templates), a bilingual label, the metric key it shows and a type (int, percent, text). Every
layout carries an ``unconfirmed`` note: official titles and column codes are [U] (domain.md §5)
and can be corrected in these files without code changes; a wrong metric key is refused at load.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

LAYOUT_DIR = Path(__file__).parent / "layouts"
TYPES = ("int", "percent", "text")


class LayoutError(ValueError):
    """A layout file is malformed; the message names the file and the field."""


def _check(data: dict[str, Any], source: str, metrics: dict[str, frozenset[str]]) -> dict[str, Any]:
    for key in ("id", "title", "sheet", "builder", "columns", "unconfirmed"):
        if key not in data:
            raise LayoutError(f"{source}: missing '{key}'")
    for key in ("title", "sheet", "unconfirmed"):
        if not isinstance(data[key], dict) or not data[key].get("vi") or not data[key].get("en"):
            raise LayoutError(f"{source}: '{key}' must give 'vi' and 'en'")
    if len(data["sheet"]["vi"]) > 31 or any(ch in data["sheet"]["vi"] for ch in '[]:*?/\\'):
        raise LayoutError(f"{source}: 'sheet.vi' must be a valid sheet name (31 characters, no []:*?/\\)")
    if data["builder"] not in metrics:
        raise LayoutError(f"{source}: unknown builder '{data['builder']}' (known: {sorted(metrics)})")
    known = metrics[data["builder"]]
    codes = set()
    for i, c in enumerate(data["columns"]):
        where = f"{source}: columns[{i}]"
        for key in ("code", "metric", "label", "type"):
            if key not in c:
                raise LayoutError(f"{where}: missing '{key}'")
        if c["metric"] not in known:
            raise LayoutError(f"{where}: unknown metric '{c['metric']}' for builder '{data['builder']}'")
        if c["type"] not in TYPES:
            raise LayoutError(f"{where}: type must be one of {TYPES}")
        if c["code"] in codes:
            raise LayoutError(f"{where}: column code '{c['code']}' used twice")
        codes.add(c["code"])
    return data


@lru_cache(maxsize=4)
def _load(directory: str) -> tuple[tuple[str, dict[str, Any]], ...]:
    from .builders import METRICS
    out = []
    for p in sorted(Path(directory).glob("*.json")):
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise LayoutError(f"{p.name}: cannot read ({exc})") from exc
        out.append((data.get("id", p.stem), _check(data, p.name, METRICS)))
    return tuple(out)


ORDER = ("overall", "movement_poor", "movement_near_poor", "indicators_poor", "indicators_near_poor",
         "groups_poor", "groups_near_poor", "named_lists")


def load_layouts(directory: str | Path | None = None) -> dict[str, dict[str, Any]]:
    items = dict(_load(str(directory or LAYOUT_DIR)))
    ordered = {k: items[k] for k in ORDER if k in items}
    ordered.update({k: v for k, v in items.items() if k not in ordered})
    return ordered


def get_layout(report_id: str, directory: str | Path | None = None) -> dict[str, Any] | None:
    return load_layouts(directory).get(report_id)
