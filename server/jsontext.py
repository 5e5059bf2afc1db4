"""Compact JSON for what the server stores and answers, with orjson (several times faster than the
standard library on the push path: classification results, device changes, dedup features, responses).

Output is compact UTF-8 with the text kept as is, as ``json.dumps(..., separators=(",", ":"),
ensure_ascii=False)`` writes it; non-string keys become strings, NaN and infinities become null
(request bodies refuse them, see ``server/api/body.py``). Canonical JSON that is hashed stays in
``shared.wire`` (standard library, the same code on the tablet). What orjson cannot write (an integer
beyond 64 bits) falls back to the standard library.
"""
from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps_bytes(obj: Any) -> bytes:
    """Compact UTF-8 JSON bytes."""
    try:
        return orjson.dumps(obj, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def dumps(obj: Any) -> str:
    """Compact JSON text (what is stored in TEXT columns)."""
    return dumps_bytes(obj).decode("utf-8")
