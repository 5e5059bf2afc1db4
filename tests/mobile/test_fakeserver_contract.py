"""The tablet's tests talk to ``fakeserver.FakeServer``; this holds it to the real ward server.

The same conversation (enroll with a wrong and a right code, push accepted / duplicate / different
content / rejected / stale base, a wrong token, pull) goes to both over HTTP. For every answer the
status code, the per-record status and conflict reason, and the shape (the keys the tablet reads)
must agree; the real server may say more than the fake (extra keys), never less. A change in the
real protocol that the fake does not follow fails here, not on a tablet."""
from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from typing import Any

import pytest
import requests

from shared import wire
from harness.common import households, submission

from .fakeserver import FakeServer
from .realserver import RealServer


def shape(value: Any) -> Any:
    """The keys a reader can rely on, recursively (lists by their first element)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__ if value is not None else None


def covers(real: Any, fake: Any, path: str = "") -> list[str]:
    """Where the real answer lacks something the fake answer has (what a tablet test relies on)."""
    if isinstance(fake, dict):
        if not isinstance(real, dict):
            return [f"{path}: object expected, got {real!r}"]
        out = []
        for k, v in fake.items():
            if k not in real:
                out.append(f"{path}.{k}: missing in the real answer")
            else:
                out.extend(covers(real[k], v, f"{path}.{k}"))
        return out
    if isinstance(fake, list):
        if fake and not real:
            return []          # an empty list is a valid answer of the same shape
        return covers(real[0], fake[0], f"{path}[0]") if fake and isinstance(real, list) else []
    if fake is None or real is None:
        return []              # null and a value are both allowed where the protocol says optional
    return [] if real == fake or fake in ("int", "float") and real in ("int", "float") else \
        [f"{path}: {fake} in the fake, {real} in the real server"]


class Side:
    def __init__(self, url: str, new_code, token: str | None = None):
        self.url, self.new_code, self.token = url, new_code, token

    def post(self, path: str, body: dict[str, Any], token: str | None = None) -> requests.Response:
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        if token or self.token:
            headers["Authorization"] = f"Bearer {token or self.token}"
        return requests.post(self.url + path, data=wire.gzip_bytes(wire.dumps(body)), headers=headers, timeout=30)

    def push(self, subs: list[dict[str, Any]], token: str | None = None) -> requests.Response:
        return self.post("/api/v1/sync/push", {"protocol": wire.PROTOCOL_VERSION, "submissions": subs}, token)

    def pull(self, cursor: int = 0) -> requests.Response:
        return requests.get(f"{self.url}/api/v1/sync/pull", params={"cursor": cursor, "limit": 500},
                            headers={"Authorization": f"Bearer {self.token}"}, timeout=30)


def conversation(side: Side, doc: dict[str, Any]) -> list[tuple[str, int, Any]]:
    """Returns (step, HTTP status, body) for each step."""
    out: list[tuple[str, int, Any]] = []

    def note(step: str, r: requests.Response) -> Any:
        body = r.json()
        out.append((step, r.status_code, body))
        return body

    note("enroll with a wrong code", side.post("/api/v1/enroll", {"protocol": wire.PROTOCOL_VERSION, "code": "ZZZZ-ZZZZ-ZZZZ", "device_name": "t"}))
    enrolled = note("enroll", side.post("/api/v1/enroll", {"protocol": wire.PROTOCOL_VERSION, "code": side.new_code(),
                                                         "device_name": "Máy KP01"}))
    side.token = enrolled["token"]

    first = submission(doc)
    note("push accepted", side.push([first]))
    note("push duplicate", side.push([first]))
    other = copy.deepcopy(first)
    other["answers"]["notes"] = "khác"
    note("push different content", side.push([other]))
    bad_doc = copy.deepcopy(doc)
    bad_doc["household_id"] = str(uuid.uuid4())
    bad_doc["members"][0]["sex"] = "không rõ"
    note("push rejected", side.push([submission(bad_doc)]))
    note("push stale base", side.push([submission(doc, revision=2, base=None)]))
    note("push unknown base", side.push([submission(doc, revision=6, base=5)]))
    note("push with a wrong token", side.push([submission(doc)], token="dev_" + "0" * 32))
    note("pull", side.pull())
    return out


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    real = RealServer(tmp_path_factory.mktemp("contract"), households=0)
    real.start()
    fake = FakeServer()
    fake_url = fake.start()
    [doc] = households(1, "KP01", seed=31)
    doc["collected_at"] = dt.datetime.now(wire.VN_TZ).replace(microsecond=0).isoformat()
    try:
        yield (conversation(Side(real.url, real.enroll_code), copy.deepcopy(doc)),
               conversation(Side(fake_url, fake.new_code), copy.deepcopy(doc)))
    finally:
        real.stop()
        fake.stop()


STEPS = ["enroll with a wrong code", "enroll", "push accepted", "push duplicate", "push different content",
         "push rejected", "push stale base", "push unknown base", "push with a wrong token", "pull"]


@pytest.mark.parametrize("step", STEPS)
def test_the_fake_answers_as_the_real_server(answers, step):
    real = {s: (code, body) for s, code, body in answers[0]}
    fake = {s: (code, body) for s, code, body in answers[1]}
    (rc, rb), (fc, fb) = real[step], fake[step]
    assert rc == fc, (step, rc, fc, json.dumps(rb, ensure_ascii=False)[:400])
    if "results" in fb:
        for r, f in zip(rb["results"], fb["results"]):
            assert r["status"] == f["status"], (step, r, f)
            assert (r.get("conflict") or {}).get("reason") == (f.get("conflict") or {}).get("reason"), (step, r, f)
            if f["status"] == "rejected":
                assert {p["path"] for p in r["problems"]} >= {p["path"] for p in f["problems"]}, (r, f)
    if "error" in fb:
        assert set(rb["error"]) >= set(fb["error"]), (rb, fb)
    if step == "pull":
        kinds_real = {c["kind"]: c for c in rb["changes"]}
        for c in fb["changes"]:
            assert c["kind"] in kinds_real, (c["kind"], sorted(kinds_real))
            assert not covers(shape(kinds_real[c["kind"]]), shape(c)), covers(shape(kinds_real[c["kind"]]), shape(c))
        return
    assert not covers(shape(rb), shape(fb)), covers(shape(rb), shape(fb))
