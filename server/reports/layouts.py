"""Report layouts as data: ``server/reports/layouts/*.json``.

A layout gives the report's title and its sheet name in a workbook (vi/en), which builder computes it (and its params), and the
columns in order — each with its column code (the lettered/numbered codes of Vietnamese
templates), a bilingual label, the metric key it shows and a type (int, percent, text). Every
layout carries an ``unconfirmed`` note: official titles and column codes are [U] (domain.md §5)
and can be corrected in these files without code changes; a wrong metric key is refused at load.

A layout with ``indicator_columns`` has a column pair (count, rate) per indicator **of the report's
standard** (``for_standard``): 12 for 2022–2025, 14 for 2027–2030, whatever a new standard file lists.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from .builders import METRICS

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
    spec = data.get("indicator_columns")
    if spec is not None:
        for kind in ("count", "rate"):
            s = spec.get(kind) if isinstance(spec, dict) else None
            if not isinstance(s, dict) or s.get("type") not in TYPES or not isinstance(s.get("label"), dict):
                raise LayoutError(f"{source}: indicator_columns.{kind} needs a 'type' and a 'label'")
    return data


def for_standard(layout: dict[str, Any], standard: Any) -> dict[str, Any]:
    """The layout with its per-indicator columns for ``standard``'s indicator set (others unchanged)."""
    spec = layout.get("indicator_columns")
    if not spec:
        return layout
    cols = list(layout["columns"])
    last = cols[-1]["code"] if cols else "0"
    code = int(last) + 1 if str(last).isdigit() else 1
    for ind in standard.indicators:
        for kind, metric in (("count", f"ind_{ind.number}"), ("rate", f"ind_{ind.number}_rate")):
            s = spec[kind]
            label = {lang: text.format(n=ind.number, label=ind.label.get(lang) or ind.label["vi"])
                     for lang, text in s["label"].items()}
            cols.append({"code": str(code), "metric": metric, "label": label, "type": s["type"]})
            code += 1
    return {**layout, "columns": cols}


@lru_cache(maxsize=4)
def _load(directory: str) -> tuple[tuple[str, dict[str, Any]], ...]:
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
