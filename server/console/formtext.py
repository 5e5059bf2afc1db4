"""Labels and display values for household-document paths, from the form definition (data)."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from shared.forms import load_form

from .i18n import pick, t

_INDEX = re.compile(r"\[[^\]]*\]")


@lru_cache(maxsize=4)
def _form(version: str):
    try:
        return load_form(version)
    except KeyError:   # an unknown (e.g. newer) form version: show labels from the current form
        return load_form()


def _field(path: str, version: str):
    form = _form(version)
    name = _INDEX.sub("", path)
    repeat = None
    if name.startswith("members."):
        repeat, name = "members", name[len("members."):]
    try:
        return form.field(name, repeat)
    except KeyError:
        return None


def label(path: str, lang: str, version: str = "2025.1") -> str:
    f = _field(path, version)
    if f is not None:
        return pick(lang, f.label) or path
    form = _form(version)
    for s in form.sections:        # a section name such as "members"
        if s.id == path or s.repeat == path:
            return pick(lang, s.label)
    return path


def value(path: str, v: Any, lang: str, version: str = "2025.1") -> str:
    if v is None or v == "":
        return "—"
    if isinstance(v, bool):
        return t(lang, "common.yes") if v else t(lang, "common.no")
    f = _field(path, version)
    choices = {c.value: pick(lang, c.label) for c in f.choices} if f is not None and f.choices else {}
    if isinstance(v, list):
        if not v:
            return "[]"
        if all(isinstance(x, str) for x in v):
            return ", ".join(choices.get(x, x) for x in v)
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, dict):
        return ", ".join(f"{k}: {value(path + '.' + k, x, lang, version)}" for k, x in v.items())
    if isinstance(v, str) and v in choices:
        return choices[v]
    if isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) >= 10000:
        return f"{v:,.0f}".replace(",", ".")
    return str(v)


@lru_cache(maxsize=1)
def return_reasons() -> list[dict[str, str]]:
    data = json.loads((Path(__file__).parent / "data" / "return_reasons.json").read_text(encoding="utf-8"))
    return data["reasons"]
