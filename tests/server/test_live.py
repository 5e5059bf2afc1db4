"""Against a real uvicorn on loopback: the same API over real sockets, and concurrency."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from shared import wire

from .conftest import device_token
from .helpers import households, push_body, submission

GROUP_OF = {1: "KP01", 2: "KP02", 3: "KP03", 4: "KP04", 5: "KP05"}


def _push(http: httpx.Client, token: str, subs):
    body, headers = push_body(subs)
    r = http.post("/api/v1/sync/push", content=body, headers={**headers, "Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return r.json()["results"]


def test_enroll_push_pull_over_loopback(live, app, admin):
    with httpx.Client(base_url=live.url, timeout=30) as http:
        assert http.get("/api/v1/health").json()["status"] == "ok"
        code = http.post("/api/v1/collaborators/1/enrollment-codes",
                         headers={"Authorization": f"Bearer {admin}"}).json()["code"]
        token = http.post("/api/v1/enroll", json={"protocol": 1, "code": code}).json()["token"]
        subs = [submission(d) for d in households(5)]
        assert [r["status"] for r in _push(http, token, subs)] == ["accepted"] * 5
        r = http.get("/api/v1/sync/pull", headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"})
        assert r.headers["content-encoding"] == "gzip"
        got = {c["household_id"] for c in r.json()["changes"] if c["kind"] == "household"}
        assert got == {s["household_id"] for s in subs}
        r = http.post("/api/v1/sync/push", content=b"\x1f\x8b\x08garbage",
                      headers={"Content-Type": "application/json", "Content-Encoding": "gzip",
                               "Authorization": f"Bearer {token}"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_gzip"


def test_fifty_devices_pushing_at_once(live, app, db):
    n_devices, per_device = 50, 30
    tokens = [device_token(app, 1 + i % 5, f"tab{i}") for i in range(n_devices)]
    work = {}
    for i, token in enumerate(tokens):
        docs = households(per_device, group=GROUP_OF[1 + i % 5], seed=100 + i)
        work[token] = [submission(d) for d in docs]
    errors: list[str] = []
    results: dict[str, list] = {}
    start = threading.Barrier(n_devices)

    def device_run(token: str) -> None:
        try:
            with httpx.Client(base_url=live.url, timeout=60) as http:
                subs = work[token]
                start.wait()
                out = []
                for i in range(0, per_device, 10):
                    out += _push(http, token, subs[i:i + 10])
                # the last response was "lost": the tablet retries the last batch
                retry = _push(http, token, subs[-10:])
                assert [r["status"] for r in retry] == ["duplicate"] * 10
                assert [r["receipt"] for r in retry] == [r["receipt"] for r in out[-10:]]
                results[token] = out
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))

    with ThreadPoolExecutor(n_devices) as pool:
        list(pool.map(device_run, tokens))
    assert errors == []
    statuses = [r["status"] for out in results.values() for r in out]
    assert statuses == ["accepted"] * (n_devices * per_device)
    expected = {s["household_id"] for subs in work.values() for s in subs}
    assert db.value("SELECT COUNT(*) FROM submissions") == len(expected) == n_devices * per_device
    assert {r[0] for r in db.all("SELECT household_id FROM households")} == expected
    assert db.value("SELECT COUNT(DISTINCT submission_id) FROM submissions") == n_devices * per_device


def test_concurrent_pushes_of_the_same_records_insert_once(live, app, db):
    token = device_token(app, 1)
    subs = [submission(d) for d in households(10, seed=55)]
    barrier = threading.Barrier(12)

    def run(_: int):
        with httpx.Client(base_url=live.url, timeout=60) as http:
            barrier.wait()
            return _push(http, token, subs)

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(run, range(12)))
    for i in range(10):
        statuses = sorted(a[i]["status"] for a in answers)
        assert statuses == ["accepted"] + ["duplicate"] * 11
        assert len({wire.canonical_json(a[i]["receipt"]) for a in answers}) == 1
    assert db.value("SELECT COUNT(*) FROM submissions") == 10
