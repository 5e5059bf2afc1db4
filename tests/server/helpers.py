"""Builders for server tests: households, submissions, pushes, tokens."""
from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

from shared import wire
from shared.synthetic import generate_ward
from shared.validation import errors, validate

from tests.factories import household as factory_household, member

NOW = dt.datetime(2025, 12, 15, 12, 0, tzinfo=wire.VN_TZ)   # after every synthetic collection date


class FakeClock:
    def __init__(self, now: dt.datetime = NOW):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)


def households(n: int, group: str = "KP01", seed: int = 7) -> list[dict[str, Any]]:
    """``n`` valid synthetic households of one group (collected in 2025)."""
    out: list[dict[str, Any]] = []
    batch = 0
    while len(out) < n:
        for h in generate_ward(n * 2, seed=seed * 1000 + batch, groups=(group,)):
            if not errors(validate(h, today=NOW.date())):
                out.append(h)
                if len(out) == n:
                    break
        batch += 1
    return out


def simple_household(group: str = "KP01", **kw: Any) -> dict[str, Any]:
    h = factory_household([member()], **kw)
    h["household_id"] = str(uuid.uuid4())
    h["area"]["group_code"] = group
    return h


def submission(doc: dict[str, Any], revision: int = 1, base: int | None = None,
               submission_id: str | None = None) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    return {"submission_id": submission_id or str(uuid.uuid4()), "household_id": doc["household_id"],
            "revision": revision, "base_revision": base, "form_version": doc["form_version"],
            "collected_at": doc["collected_at"], "device_time": "2025-12-15T11:00:00+07:00", "answers": doc}


def push_body(subs: list[dict[str, Any]], gzip: bool = True) -> tuple[bytes, dict[str, str]]:
    raw = wire.dumps({"protocol": wire.PROTOCOL_VERSION, "submissions": subs})
    headers = {"Content-Type": "application/json"}
    if gzip:
        raw = wire.gzip_bytes(raw)
        headers["Content-Encoding"] = "gzip"
    return raw, headers


def push(client: Any, token: str, subs: list[dict[str, Any]], gzip: bool = True) -> Any:
    body, headers = push_body(subs, gzip)
    return client.post("/api/v1/sync/push", content=body, headers={**headers, "Authorization": f"Bearer {token}"})


def pull_all(client: Any, token: str, cursor: int = 0, limit: int = 500) -> tuple[list[dict[str, Any]], int]:
    out = []
    while True:
        r = client.get("/api/v1/sync/pull", params={"cursor": cursor, "limit": limit},
                       headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        body = r.json()
        out.extend(body["changes"])
        cursor = body["cursor"]
        if not body["more"]:
            return out, cursor


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
