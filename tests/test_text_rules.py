"""Text answers refuse control and bidi characters with a message naming the field (issue 18);
shared.wire finds values no record may hold, iteratively; the push splitter reads records one by one."""
from __future__ import annotations

import json

import pytest

from shared import wire
from shared.validation import bad_character, validate

from tests.factories import household, member


@pytest.mark.parametrize("ch", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u202e", "\u202a", "\u2066", "\u2069",
                                "\u200f", "\u061c", "\u2028", "\t", "\n", "\r"])
def test_a_name_with_a_control_or_bidi_character_is_refused_naming_the_field(ch):
    h = household([member(full_name=f"Nguyễn{ch}Văn An")])
    probs = [p for p in validate(h, today=None) if p.code == "control_character"]
    assert [p.path for p in probs] == ["members[0].full_name"], probs
    assert probs[0].severity == "error"
    assert probs[0].message_vi.startswith("Họ và tên") and f"U+{ord(ch):04X}" in probs[0].message_vi
    assert "vị trí 7" in probs[0].message_vi


def test_notes_may_hold_line_breaks_and_tabs_but_not_other_controls():
    h = household([member()])
    h["notes"] = "Dòng một\r\nDòng hai\tcột"
    assert not [p for p in validate(h, today=None) if p.code == "control_character"]
    h["notes"] = "Dòng một\x00"
    assert [p.path for p in validate(h, today=None) if p.code == "control_character"] == ["notes"]


def test_ordinary_vietnamese_text_passes():
    for text in ("Nguyễn Thị Ánh", "Đặng Văn Ơn", "12/3A", "Hạ Long – Bãi Cháy", "O'Neil", "Nguyễn\u00a0Văn"):
        assert bad_character(text) is None, text


def test_json_value_problems_are_found_iteratively_with_paths():
    deep: object = "x"
    for _ in range(5000):                    # far deeper than the recursion limit: no RecursionError
        deep = [deep]
    obj = {"a": [1, float("inf"), {"b\udc80": 1}], "c": "ok\ud800", "d": 2 ** 70, "e": deep, "f": -1e308}
    got = {(p.path, p.code) for p in wire.json_value_problems(obj)}
    assert got == {("a[1]", "not_finite"), ("a[2].b\ufffd", "invalid_text"), ("c", "invalid_text"),
                   ("d", "number_too_large"), ("e", "too_deep")}
    assert wire.json_value_problems({"ok": [1, 2.5, "Nguyễn", None, True, {"x": []}]}) == []
    json.dumps([p.to_dict() for p in wire.json_value_problems(obj)]).encode("utf-8")     # safe to answer


def test_split_push_reads_each_record_on_its_own():
    from server.api.body import split_push
    from server.services.ingest import Unreadable
    sid = "0d0d0d0d-0000-4000-8000-00000000000a"
    deep = "[" * 3000 + "]" * 3000
    text = ('{"protocol": 1, "x": {"submissions": [9]}, "submissions": [ {"a": "]},\\"[", "n": 1},'
            f'{{"answers": {{"notes": {deep}}}, "submission_id": "{sid}"}}, {{"n": {"7" * 5000}}}, [2] ]}}')
    out = split_push(text.encode())
    assert out["protocol"] == 1 and out["x"] == {"submissions": [9]}
    subs = out["submissions"]
    assert subs[0] == {"a": ']},"[', "n": 1} and subs[3] == [2]      # brackets inside text are text
    assert isinstance(subs[1], Unreadable) and subs[1].submission_id == sid and subs[1].problem.code == "too_deep"
    assert isinstance(subs[2], Unreadable) and subs[2].submission_id is None
    assert subs[2].problem.code == "number_too_long"
    for bad in (b"[1]", b'{"protocol":1}', b'{"protocol":1,"submissions":[1]} x', b'{"submissions":{"a":1}}',
                b"\xff"):
        assert split_push(bad) is None, bad
    assert split_push(b'{"protocol":1,"submissions":[]}') == {"protocol": 1, "submissions": []}
