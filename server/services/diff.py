"""Field-by-field and member-by-member differences between household documents (pure).

A document is cut into *units*: every scalar or list at the top level, every key of a nested
object (``housing.walls``), and every member as a whole (``members[<member_id>]``). Diffs list
changed units; a member's unit also lists its changed fields. ``merge`` builds a document from
the server version with chosen units taken from the device version.
"""
from __future__ import annotations

import copy
from typing import Any

META = ("household_id",)


def _member_key(m: Any, i: int) -> str:
    if isinstance(m, dict) and m.get("member_id"):
        return str(m["member_id"])
    return f"#{i + 1}"


def units(doc: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in (doc or {}).items():
        if k in META:
            continue
        if k == "members" and isinstance(v, list):
            for i, m in enumerate(v):
                out[f"members[{_member_key(m, i)}]"] = m
        elif isinstance(v, dict) and k != "gps":
            for kk, vv in v.items():
                out[f"{k}.{kk}"] = vv
        else:
            out[k] = v
    return out


def _order(doc_units: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for u in doc_units:
        for k in u:
            seen.setdefault(k, None)
    return list(seen)


def member_changes(a: dict[str, Any] | None, b: dict[str, Any] | None) -> list[tuple[str, Any, Any]]:
    a, b = a or {}, b or {}
    keys = list(dict.fromkeys([*a.keys(), *b.keys()]))
    return [(k, a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)]


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list]:
    """{"fields": [(path, before, after)], "members": [{"unit","member_id","name","kind","fields"}]}"""
    ua, ub = units(before), units(after)
    fields, members = [], []
    for unit in _order([ua, ub]):
        va, vb = ua.get(unit), ub.get(unit)
        if va == vb:
            continue
        if unit.startswith("members["):
            kind = "added" if va is None else "removed" if vb is None else "changed"
            m = vb if vb is not None else va
            members.append({"unit": unit, "member_id": unit[8:-1], "name": (m or {}).get("full_name"),
                            "kind": kind, "fields": member_changes(va, vb)})
        else:
            fields.append((unit, va, vb))
    return {"fields": fields, "members": members}


def three_way(base: dict[str, Any] | None, device: dict[str, Any] | None,
              server: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Every unit where device and server differ, with the base value and who changed it."""
    ub, ud, us = units(base), units(device), units(server)
    rows = []
    for unit in _order([us, ud, ub]):
        d, s = ud.get(unit), us.get(unit)
        if d == s:
            continue
        b = ub.get(unit)
        rows.append({"unit": unit, "base": b, "device": d, "server": s,
                     "device_changed": base is not None and d != b, "server_changed": base is not None and s != b,
                     "member": unit.startswith("members[")})
    return rows


def merge(server: dict[str, Any], device: dict[str, Any], take_device: set[str]) -> dict[str, Any]:
    """The server document with the units in ``take_device`` replaced by the device's (or removed)."""
    out = copy.deepcopy(server)
    ud = units(device)
    members = {_member_key(m, i): m for i, m in enumerate(out.get("members") or [])}
    order = list(members)
    for unit in take_device:
        present = unit in ud
        val = copy.deepcopy(ud.get(unit))
        if unit.startswith("members["):
            mid = unit[8:-1]
            if present:
                if mid not in members:
                    order.append(mid)
                members[mid] = val
            else:
                members.pop(mid, None)
        elif "." in unit:
            top, key = unit.split(".", 1)
            obj = out.setdefault(top, {})
            if not isinstance(obj, dict):
                obj = out[top] = {}
            if present:
                obj[key] = val
            else:
                obj.pop(key, None)
        elif present:
            out[unit] = val
        else:
            out.pop(unit, None)
    if "members" in out or members:
        out["members"] = [members[k] for k in order if k in members]
    return out
