"""shared.wire: canonical JSON, content hash, envelope checks, bounded gzip."""
from __future__ import annotations

import datetime as dt
import gzip
import zlib

import pytest
from hypothesis import given, strategies as st

from shared import wire

from .helpers import NOW, simple_household, submission

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20)


@given(json_values)
def test_canonical_json_round_trips(value):
    assert wire.loads(wire.canonical_json(value)) == value


@given(st.dictionaries(st.text(max_size=8), st.integers(), max_size=6))
def test_canonical_json_ignores_key_order(d):
    assert wire.canonical_json(d) == wire.canonical_json(dict(reversed(list(d.items()))))


def test_content_hash_ignores_device_time_and_unknown_fields():
    s = submission(simple_household())
    h = wire.content_hash(s)
    assert wire.content_hash({**s, "device_time": "2030-01-01T00:00:00+07:00"}) == h
    assert wire.content_hash({**s, "local_note": 1}) == h
    assert wire.content_hash({**s, "revision": 2}) != h
    assert len(h) == 64


def test_a_valid_submission_has_no_problems():
    assert wire.check_submission(submission(simple_household()), NOW) == []


@pytest.mark.parametrize("change, path, code", [
    ({"submission_id": "not-a-uuid"}, "submission_id", "invalid_uuid"),
    ({"submission_id": "7F1C1D2E-0000-4000-8000-000000000001"}, "submission_id", "invalid_uuid"),
    ({"household_id": 12}, "household_id", "invalid_uuid"),
    ({"revision": 0}, "revision", "type"),
    ({"revision": True}, "revision", "type"),
    ({"base_revision": "1"}, "base_revision", "type"),
    ({"collected_at": "yesterday"}, "collected_at", "type"),
    ({"collected_at": "2025-12-17T12:00:01+07:00"}, "collected_at", "future"),
    ({"device_time": "soon"}, "device_time", "type"),
    ({"answers": []}, "answers", "type"),
    ({"extra": 1}, "extra", "unknown_field"),
])
def test_envelope_problems_name_the_field(change, path, code):
    s = {**submission(simple_household()), **change}
    problems = wire.check_submission(s, NOW)
    assert (path, code) in [(p.path, p.code) for p in problems]
    assert all(p.message_vi and p.message_en for p in problems)


def test_collected_at_within_a_day_ahead_is_accepted():
    s = submission(simple_household())
    s["collected_at"] = s["answers"]["collected_at"] = (NOW + dt.timedelta(hours=23)).isoformat()
    assert wire.check_submission(s, NOW) == []


def test_answers_must_agree_with_the_envelope():
    s = submission(simple_household())
    s["answers"]["household_id"] = "7f1c1d2e-0000-4000-8000-000000000099"
    assert [(p.path, p.code) for p in wire.check_submission(s, NOW)] == [("answers.household_id", "mismatch")]


def test_gunzip_round_trip():
    data = b'{"a": 1}' * 100
    assert wire.gunzip_bounded(wire.gzip_bytes(data)) == data
    assert wire.gunzip_bounded(gzip.compress(data)) == data


def test_gzip_bomb_stops_at_the_limit():
    bomb = wire.gzip_bytes(b"\0" * (50 * 1024 * 1024))     # 50 MB of zeros in ~50 KB
    assert len(bomb) < 100_000
    with pytest.raises(wire.WireError) as e:
        wire.gunzip_bounded(bomb, limit=1024 * 1024)
    assert e.value.code == "body_too_large"


@pytest.mark.parametrize("data", [
    wire.gzip_bytes(b"x" * 1000)[:-10],            # truncated
    b"not gzip at all",
    wire.gzip_bytes(b"{}") + b"trailing",
    zlib.compress(b"{}"),                          # zlib, not gzip
])
def test_bad_gzip_is_refused(data):
    with pytest.raises(wire.WireError) as e:
        wire.gunzip_bounded(data)
    assert e.value.code == "bad_gzip"


@pytest.mark.parametrize("text", [b"{", b"NaN", b'{"a": Infinity}', b"\xff\xfe"])
def test_strict_json(text):
    with pytest.raises(wire.WireError) as e:
        wire.loads(text)
    assert e.value.code == "bad_json"


@pytest.mark.parametrize("body, code", [
    ([], "bad_request"), ({"submissions": []}, "unsupported_protocol"),
    ({"protocol": 2, "submissions": []}, "unsupported_protocol"), ({"protocol": True}, "unsupported_protocol"),
    ({"protocol": 1, "submissions": {}}, "bad_request"),
    ({"protocol": 1, "submissions": [{}] * 201}, "batch_too_large"),
])
def test_push_batch_errors(body, code):
    with pytest.raises(wire.WireError) as e:
        wire.push_submissions(body)
    assert e.value.code == code


def test_enrollment_codes_and_uri():
    assert wire.normalize_enrollment_code("abcd-efgh jklm") == "ABCDEFGHJKLM"
    assert wire.format_enrollment_code("abcdefghjklm") == "ABCD-EFGH-JKLM"
    uri = wire.enroll_uri("http://192.168.1.10:8000", "ABCD-EFGH-JKLM")
    assert uri.startswith("rasoat://enroll?server=")
    assert wire.parse_enroll_uri(uri) == ("http://192.168.1.10:8000", "ABCD-EFGH-JKLM")
    assert wire.parse_enroll_uri("https://example.com") is None
