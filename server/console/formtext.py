"""Labels and display values for household-document paths, from the form definition (data)."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from shared.forms import load_form

from .. import vnformat
from .i18n import CORE, pick

_INDEX = re.compile(r"\[[^\]]*\]")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")

# Parts of a household document that are not questions of the form: their labels.
META_LABELS = {
    "collected_at": ("Ngày thu thập", "Collected on"), "form_version": ("Phiên bản phiếu", "Form version"),
    "household_id": ("Mã hộ", "Household id"), "preloaded_from": ("Nạp sẵn từ", "Preloaded from"),
    "confirmations": ("Xác nhận theo phần", "Section confirmations"), "gps": ("Vị trí GPS", "GPS position"),
    "photos": ("Ảnh", "Photos"), "notes": ("Ghi chú", "Notes"), "lifecycle": ("Biến động hộ", "Household change"),
    "area": ("Địa bàn", "Area"), "address": ("Địa chỉ", "Address"), "income": ("Thu nhập", "Income"),
    "housing": ("Nhà ở", "Housing"), "members": ("Thành viên", "Members"),
    "gps.lat": ("Vĩ độ", "Latitude"), "gps.lon": ("Kinh độ", "Longitude"),
    "gps.accuracy_m": ("Độ chính xác (m)", "Accuracy (m)"), "gps.captured_at": ("Lấy vị trí lúc", "Captured at"),
    "members.member_id": ("Mã thành viên", "Member id"),
}


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
    """A document path by its label: the form's question, a section, a known part of the document —
    never the raw path (an unknown one reads "Trường khác: …" with its last part in words)."""
    f = _field(path, version)
    if f is not None:
        return pick(lang, f.label) or path
    form = _form(version)
    name = _INDEX.sub("", path)
    for s in form.sections:        # a section name such as "members"
        if s.id == name or s.repeat == name:
            return pick(lang, s.label)
    if name in META_LABELS:
        return META_LABELS[name][0 if lang == "vi" else 1]
    if name.startswith("confirmations."):
        section = name.split(".", 1)[1]
        for s in form.sections:
            if s.id == section:
                return ("Xác nhận: " if lang == "vi" else "Confirmed: ") + pick(lang, s.label)
        return ("Xác nhận: " if lang == "vi" else "Confirmed: ") + vnformat.label(vnformat.SECTION_LABELS, section, lang)
    head = name.split(".", 1)[0]
    if head in META_LABELS and head != name:
        return META_LABELS[head][0 if lang == "vi" else 1]
    return "Trường khác của phiếu" if lang == "vi" else "Other field of the form"


def value(path: str, v: Any, lang: str, version: str = "2025.1") -> str:
    """An answer as a person reads it: choices by their labels, dates dd/mm/yyyy, numbers with a
    thousands dot and a decimal comma; for a multi-select whose "none" choice is exclusive, an empty
    list is "not answered" and the none choice reads "Không có"."""

    if v is None or v == "":
        return "—"
    if isinstance(v, bool):
        return CORE.t(lang, "common.yes") if v else CORE.t(lang, "common.no")
    f = _field(path, version)
    choices = {c.value: pick(lang, c.label) for c in f.choices} if f is not None and f.choices else {}
    name = _INDEX.sub("", path)
    if isinstance(v, list):
        if not v:
            if f is not None and f.exclusive_values:
                return "chưa trả lời" if lang == "vi" else "not answered"
            return "không có" if lang == "vi" else "none"
        if all(isinstance(x, str) for x in v):
            return ", ".join(choices.get(x, "lựa chọn khác" if lang == "vi" else "other choice") for x in v)
        if name == "photos":
            return (f"{len(v)} ảnh" if lang == "vi" else f"{len(v)} photo(s)")
        return (f"{len(v)} mục" if lang == "vi" else f"{len(v)} item(s)")
    if isinstance(v, dict):
        return "; ".join(f"{label(path + '.' + k, lang, version)}: {value(path + '.' + k, x, lang, version)}"
                         for k, x in v.items())
    if isinstance(v, str) and v in choices:
        return choices[v]
    if name.startswith("confirmations."):
        return vnformat.label(vnformat.CONFIRMATION_LABELS, v, lang)
    if name == "preloaded_from":
        return vnformat.source(v, lang)
    if isinstance(v, str) and _ISO_DATE.match(v):
        return vnformat.date(v)
    if isinstance(v, str) and _ISO_TIME.match(v):
        return vnformat.datetime(v)
    if isinstance(v, float):
        return vnformat.decimal(v, lang)
    if isinstance(v, int) and abs(v) >= 10000:      # money; years and counts stay plain
        return vnformat.number(v, 0, lang)
    return str(v)


@lru_cache(maxsize=1)
def return_reasons() -> list[dict[str, str]]:
    data = json.loads((Path(__file__).parent / "data" / "return_reasons.json").read_text(encoding="utf-8"))
    return data["reasons"]


def _get(doc: dict[str, Any], path: str) -> Any:
    cur: Any = doc
    for part in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


# Sections the household page shows elsewhere (members table, GPS and photos, the status card)
_SHOWN_ELSEWHERE = {"members", "evidence", "status", "area"}


def answer_sections(doc: dict[str, Any], lang: str, version: str = "2025.1") -> list[dict[str, Any]]:
    """The household's answers section by section, as the form asks them: [{label, rows: [(label,
    value)]}], every value in words (choices by label, "Không có" for the explicit none)."""
    form = _form(version)
    out = []
    for sec in form.sections:
        if sec.repeat or sec.id in _SHOWN_ELSEWHERE:
            continue
        rows = []
        for f in sec.fields:
            v = _get(doc, f.name)
            if v is None and not f.required:
                continue
            rows.append((pick(lang, f.label) or label(f.name, lang, version), value(f.name, v, lang, version)))
        if rows:
            out.append({"id": sec.id, "label": pick(lang, sec.label), "rows": rows})
    return out
