"""One poison record never sinks a push (issue 18): a lone surrogate, an infinite number, nesting
too deep for the parser, an integer too long to read, a control character or a bidi override in a
name... The other records of the batch are stored; the bad one is answered ``rejected`` naming the
field; no input reaches a 500. Also: names are stored NFC, the protocol field's type is checked.

The bodies are written as raw JSON text (the standard library cannot even encode some of them)."""
from __future__ import annotations

import json
import unicodedata

import pytest

from shared import wire

from .helpers import bearer, households, submission


def _push_text(client, token, items_json: list[str]) -> dict:
    body = '{"protocol":1,"submissions":[' + ",".join(items_json) + "]}"
    r = client.post("/api/v1/sync/push", content=body.encode("utf-8"),
                    headers={"Content-Type": "application/json", **bearer(token)})
    assert r.status_code == 200, r.text[:500]
    return r.json()


def _with_raw(sub: dict, path: tuple, raw_value: str, key: str | None = None) -> str:
    """The submission as JSON text with the value at ``path`` (under answers) replaced by raw JSON text
    (or a new key ``key`` holding it)."""
    marker = "__POISON__"
    obj = json.loads(json.dumps(sub))
    target = obj["answers"]
    for p in path[:-1]:
        target = target[p]
    if key is not None:
        target[path[-1]][key] = marker
    else:
        target[path[-1]] = marker
    return json.dumps(obj, ensure_ascii=False).replace(f'"{marker}"', raw_value)


HEAD = ("members", 0, "full_name")
DEEP = "[" * 3000 + "]" * 3000          # beyond any JSON parser's depth limit (a 400 for the whole body before)
SHALLOW_DEEP = "[" * 200 + "]" * 200     # parses, but deeper than any household answer


def _head_index(sub: dict) -> int:
    return next(i for i, m in enumerate(sub["answers"]["members"]) if m["relation"] == "head")


POISONS = {
    # name: (path under answers (head member index filled in), raw JSON value, expected path, expected code)
    "lone_surrogate": (HEAD, '"Nguy\\ud800n"', "members[{h}].full_name", "invalid_text"),
    "lone_low_surrogate_key": (("address",), '"x"', "address", "invalid_text"),
    "infinity": (("income", "total_year"), "1e400", "income.total_year", "not_finite"),
    "minus_infinity": (("income", "total_year"), "-1e999", "income.total_year", "not_finite"),
    "huge_integer": (("income", "total_year"), "9" * 5000, "", "number_too_long"),
    "beyond_64_bits": (("income", "total_year"), "9" * 30, "income.total_year", "number_too_large"),
    "too_deep_for_parser": (("notes",), DEEP, "", "too_deep"),
    "too_deep": (("notes",), SHALLOW_DEEP, "notes", "too_deep"),
    "nul": (HEAD, '"Nguy\\u0000n"', "members[{h}].full_name", "control_character"),
    "bidi_override": (HEAD, '"Nguy\\u202en"', "members[{h}].full_name", "control_character"),
    "bell_in_street": (("address", "street"), '"L\\u0007\\u00ea"', "address.street", "control_character"),
}


@pytest.mark.parametrize("kind", sorted(POISONS))
def test_one_poison_record_and_the_others_are_stored(client, device, db, kind):
    path, raw, where, code = POISONS[kind]
    good = [submission(h) for h in households(3, seed=41)]
    bad = submission(households(1, seed=42)[0])
    h = _head_index(bad)
    path = tuple(h if p == 0 and path[0] == "members" else p for p in path)
    if kind == "lone_low_surrogate_key":
        text = _with_raw(bad, path, raw, key="__KEY__").replace('"__KEY__"', '"\\udc00bad"')
        where = "address.\ufffdbad"
    else:
        text = _with_raw(bad, path, raw)
    items = [json.dumps(good[0]), text, json.dumps(good[1]), json.dumps(good[2])]
    res = _push_text(client, device, items)["results"]
    assert [r["status"] for r in res] == ["accepted", "rejected", "accepted", "accepted"], res[1]
    problems = res[1]["problems"]
    assert {p["path"] for p in problems} == {where.format(h=h)}, problems
    assert {p["code"] for p in problems} == {code}, problems
    assert all(p["message_vi"] and p["severity"] == "error" for p in problems)
    if kind != "too_deep_for_parser":
        assert res[1]["submission_id"] == bad["submission_id"]
    assert res[1].get("retry") is not True                 # resending it unchanged cannot help
    stored = {r[0] for r in db.all("SELECT submission_id FROM submissions")}
    assert stored == {g["submission_id"] for g in good}
    # and the answer is stable: the same push again gives the same statuses (the good ones duplicates)
    again = _push_text(client, device, items)["results"]
    assert [r["status"] for r in again] == ["duplicate", "rejected", "duplicate", "duplicate"]


def test_poison_in_the_envelope_fields(client, device, db):
    good = submission(households(1, seed=43)[0])
    bad = submission(households(1, seed=44)[0])
    text = json.dumps(bad).replace(f'"{bad["form_version"]}"', '"2025.\\udfff"', 1)
    text2 = json.dumps(submission(households(1, seed=45)[0])).replace('"revision": 1', '"revision": 1e400')
    res = _push_text(client, device, [text, json.dumps(good), text2])["results"]
    assert [r["status"] for r in res] == ["rejected", "accepted", "rejected"]
    assert res[0]["problems"][0]["path"] == "form_version" and res[0]["problems"][0]["code"] == "invalid_text"
    assert res[2]["problems"][0]["path"] == "revision" and res[2]["problems"][0]["code"] == "not_finite"


def test_a_poison_at_the_top_of_the_body_is_a_clean_4xx(client, device):
    # an unknown member of the body is ignored (a newer tablet may send more), whatever it holds
    r = client.post("/api/v1/sync/push", content=b'{"protocol":1,"submissions":[],"\\ud800":1e400}',
                    headers={"Content-Type": "application/json", **bearer(device)})
    assert r.status_code == 200 and r.json()["results"] == []
    for body in ('{"protocol":1e400,"submissions":[]}', '{"protocol":1,"submissions":{"a":' + DEEP + "}}", "[" * 5000, '{"protocol":' + "9" * 6000 + "}"):
        r = client.post("/api/v1/sync/push", content=body.encode(), headers={"Content-Type": "application/json",
                                                                            **bearer(device)})
        assert 400 <= r.status_code < 500 and r.json()["error"]["code"], (body[:60], r.status_code, r.text[:200])


@pytest.mark.parametrize("proto", ["{}", "[]", "[1]", '"1"', "true", "null", "1.5", "2", '{"a":1}'])
def test_protocol_of_the_wrong_type_is_a_400_not_a_500(client, device, proto):
    for url, extra, auth in (("/api/v1/enroll", '"code":"ABCD-EFGH"', {}),
                             ("/api/v1/sync/push", '"submissions":[]', bearer(device)),
                             ("/api/v1/attachments/check", '"hashes":[]', bearer(device))):
        r = client.post(url, content=("{\"protocol\":" + proto + "," + extra + "}").encode(),
                        headers={"Content-Type": "application/json", **auth})
        assert r.status_code == 400, (url, proto, r.status_code, r.text[:200])
        assert r.json()["error"]["code"] == "unsupported_protocol"


def test_names_are_stored_nfc(client, device, db):
    sub = submission(households(1, seed=46)[0])
    h = _head_index(sub)
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Ánh")
    sub["answers"]["members"][h]["full_name"] = nfd
    sub["answers"]["address"]["street"] = unicodedata.normalize("NFD", "Hạ Long")
    assert nfd != unicodedata.normalize("NFC", nfd)
    res = _push_text(client, device, [json.dumps(sub, ensure_ascii=False)])["results"][0]
    assert res["status"] == "accepted", res
    # the receipt's hash is the hash of what the tablet sent (the tablet checks it) ...
    assert res["receipt"]["content_hash"] == wire.content_hash(sub)
    body = json.loads(db.value("SELECT body FROM submissions WHERE submission_id = ?", (sub["submission_id"],)))
    # ... and what is stored is NFC
    assert body["answers"]["members"][h]["full_name"] == "Nguyễn Thị Ánh"
    assert body["answers"]["address"]["street"] == "Hạ Long"
    assert db.value("SELECT head_name FROM households WHERE household_id = ?", (sub["household_id"],)) == \
        "Nguyễn Thị Ánh"
    again = _push_text(client, device, [json.dumps(sub, ensure_ascii=False)])["results"][0]
    assert again["status"] == "duplicate" and again["receipt"] == res["receipt"]


def test_office_requests_refuse_bad_text_and_never_answer_500(client, admin, officer):
    h = {"Content-Type": "application/json"}
    for body in ('{"username":"\\ud800","password":"x"}', '{"username":"officer","password":"\\udfff"}',
                 '{"username":"a\\u202eb","password":"x"}'):
        r = client.post("/api/v1/login", content=body.encode(), headers=h)
        assert r.status_code == 422 and r.json()["error"]["code"] in ("invalid_request", "invalid_text"), r.text
    r = client.post("/api/v1/collaborators", content='{"full_name":"Lê\\u0000Văn","groups":["KP01"]}'.encode(),
                    headers={**h, **bearer(admin)})
    assert r.status_code == 422, r.text
    assert "full_name" in r.text and "U+0000" in r.text
    nfd = unicodedata.normalize("NFD", "Lê Thị Ánh")
    r = client.post("/api/v1/collaborators", json={"full_name": nfd, "groups": ["KP01"]}, headers=bearer(admin))
    assert r.status_code in (200, 201), r.text
    assert unicodedata.normalize("NFC", nfd) in r.text
