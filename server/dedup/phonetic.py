"""Phonetic codes for person-register names (blocking keys only).

``soundex`` is the standard American Soundex (Knuth; the US National
Archives rule): the first letter, then digits for the consonant groups,
adjacent equal codes collapsed — also across "h" and "w" — vowels breaking
a run, padded or cut to four characters. Diacritics are dropped (Ngô →
N200); other non-letters are ignored; a name without a letter gives "".
"""
from __future__ import annotations

import unicodedata

_CODES = {**dict.fromkeys("bfpv", "1"), **dict.fromkeys("cgjkqsxz", "2"), **dict.fromkeys("dt", "3"),
          "l": "4", **dict.fromkeys("mn", "5"), "r": "6"}


def soundex(name: str) -> str:
    folded = unicodedata.normalize("NFD", name.lower()).replace("đ", "d")
    letters = [c for c in folded if "a" <= c <= "z"]
    if not letters:
        return ""
    first = letters[0]
    out = [first]
    last = _CODES.get(first, "")
    for c in letters[1:]:
        code = _CODES.get(c)
        if code is None:
            if c not in "hw":  # a vowel (or y) breaks a run; h and w do not
                last = ""
            continue
        if code != last:
            out.append(code)
            if len(out) == 4:
                break
        last = code
    return "".join(out).upper().ljust(4, "0")
