"""API fuzzing with schemathesis against the real server's /openapi.json, as three identities (a device,
an officer, an admin) over every operation, and a partner body's account (the Fatherland Front, which
also keeps the Fund) over the programme's operations (``scoped``).

Every generated case (positive: valid by the schema; negative: violating it) is sent over loopback and
its answer run through schemathesis' own checks:

- ``not_a_server_error``: no 5xx (``server_errors``);
- ``status_code_conformance``: every status is documented for its operation (``undocumented_statuses``);
- ``positive_data_acceptance``: a request valid by the schema is not refused as malformed — 2xx, or
  401/403/404/409/429 (who is asking, what exists) — (``valid_rejected``);
- ``negative_data_rejection``: an invalid request is refused with a 4xx (``invalid_accepted``, reported,
  not a failure of the run: some invalid inputs are harmless to accept);
- and every 4xx must be the error envelope (``bad_envelopes``).

Failures are collected (not raised) so every case runs; the first few are reported with a curl line.
The push operation is generated too (its body schema resolves: server/api/openapi.py).
"""
from __future__ import annotations

import time
from collections import Counter
from typing import Any

import requests

from .common import is_envelope

SKIP = {("POST", "/api/v1/logout")}      # would end the session the rest of the run uses
CHECK_KEYS = {"ServerError": "server_errors", "UndefinedStatusCode": "undocumented_statuses",
              "RejectedPositiveData": "valid_rejected", "AcceptedNegativeData": "invalid_accepted"}
FAILING = ("server_errors", "undocumented_statuses", "valid_rejected", "bad_envelopes")


def _photo(seed: str) -> bytes:
    import hashlib
    import io

    from PIL import Image
    colour = tuple(hashlib.sha256(seed.encode()).digest()[:3])
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, "JPEG")
    return out.getvalue()


def _valid_upload(case: Any) -> None:
    """What no schema can say: an attachment's name is the SHA-256 of its bytes, and they are an image.
    A positive case of the upload becomes a real one (a small JPEG, named by its hash, sent whole);
    its other parameters stay as generated."""
    import hashlib
    data = _photo(repr(sorted((case.query or {}).items())))
    case.body = data
    case.media_type = "image/jpeg"
    case.path_parameters = {**(case.path_parameters or {}), "sha256": hashlib.sha256(data).hexdigest()}
    case.query = {k: v for k, v in (case.query or {}).items() if k == "household_id" and v is not None}
    case.query.update(offset=0, total=len(data))
    if case.headers:
        for h in ("Content-Range", "X-Chunk-SHA256", "Content-Type"):
            case.headers.pop(h, None)


REGISTER_CSV = ("STT,Họ và tên chủ hộ,Năm sinh,Giới tính,Số nhà,Đường,Khu phố,Số nhân khẩu,Phân loại,Số quyết định,"
                "Ngày quyết định\r\n1,Nguyễn Văn Fuzz,1970,Nam,12,Hạ Long,KP01,4,Hộ nghèo,123/QĐ-UBND,20/12/2024\r\n")


def _valid_register(case: Any) -> None:
    """A register file must be a readable register: a positive case sends a small real one (CSV)."""
    body = dict(case.body) if isinstance(case.body, dict) else {}
    body["file"] = ("danh-sach.csv", REGISTER_CSV.encode("utf-8"), "text/csv")
    case.body = body


def _valid_round(case: Any) -> None:
    """Rules across fields: a regular round names its month; the end is not before the start; with no
    standard named, the year must have one in force (the default) — else one is named."""
    b = case.body if isinstance(case.body, dict) else None
    if b is None:
        return
    if not b.get("standards"):
        b["standards"] = ["vn-national-2022-2025"]
    if b.get("kind") == "regular" and not b.get("month"):
        b["month"] = 1
    if b.get("starts_on") and b.get("ends_on") and b["ends_on"] < b["starts_on"]:
        b["starts_on"], b["ends_on"] = b["ends_on"], b["starts_on"]


def _valid_credit(case: Any) -> None:
    """Credit is received on or after the day it was requested."""
    b = case.body if isinstance(case.body, dict) else None
    if b and b.get("received_on") and b.get("requested_on") and b["received_on"] < b["requested_on"]:
        b["received_on"], b["requested_on"] = b["requested_on"], b["received_on"]


def _valid_outcome(case: Any) -> None:
    """A complaint whose outcome is 'changed' says what changed."""
    b = case.body if isinstance(case.body, dict) else None
    if b and b.get("outcome") == "changed" and not str(b.get("note") or "").strip():
        b["note"] = "Đã phúc tra, sửa phân loại"


def _valid_votes(case: Any) -> None:
    """A household is voted on once per meeting."""
    b = case.body if isinstance(case.body, dict) else None
    if b and isinstance(b.get("votes"), list):
        seen: set[Any] = set()
        b["votes"] = [v for v in b["votes"] if not (isinstance(v, dict) and (v.get("household_id") in seen
                                                                              or seen.add(v.get("household_id"))))]


def _valid_decision(case: Any) -> None:
    """A decision issued over households not settled says why, in at least 10 characters."""
    b = case.body if isinstance(case.body, dict) else None
    if b and b.get("allow_unsettled") is True and len(str(b.get("override_reason") or "").strip()) < 10:
        b["override_reason"] = "Các hộ còn lại được rà soát bổ sung"


def _clamp_day(b: dict[str, Any], name: str) -> None:
    """A date of the programme is a past day since 2000 (the schema says only "a date")."""
    import datetime as dt
    v = b.get(name)
    if isinstance(v, str):
        try:
            day = dt.date.fromisoformat(v)
        except ValueError:
            return
        b[name] = min(max(day, dt.date(2000, 1, 1)), dt.date.today() - dt.timedelta(days=1)).isoformat()


def _valid_campaign(case: Any) -> None:
    """A campaign ends on or after it starts, and starts in 2000-2100 (its year)."""
    b = case.body if isinstance(case.body, dict) else None
    if b is None:
        return
    for k in ("starts_on", "ends_on"):
        _clamp_day(b, k)
    if b.get("starts_on") and b.get("ends_on") and b["ends_on"] < b["starts_on"]:
        b["starts_on"], b["ends_on"] = b["ends_on"], b["starts_on"]


def _valid_contribution(case: Any) -> None:
    """Money is received on a past day."""
    b = case.body if isinstance(case.body, dict) else None
    if b is not None:
        _clamp_day(b, "received_on")


def _valid_evidence(case: Any) -> None:
    """An evidence photo is an image of the type it is sent as: a positive case sends a small real JPEG."""
    case.body = _photo(repr(sorted((case.query or {}).items())) + "evidence")
    case.media_type = "image/jpeg"
    if case.headers:
        case.headers.pop("Content-Type", None)


def _valid_partner(case: Any) -> None:
    """A residential group's account names its group; other bodies' accounts name none."""
    b = case.body if isinstance(case.body, dict) else None
    if b is not None:
        b["group_code"] = "KP01" if b.get("body_id") == "residential_groups" else None


# Rules that no JSON Schema can state (a name that is the hash of the bytes, dates in order, one field
# required by the value of another): a positive case is made to follow them before it is sent, so
# "valid requests rejected" counts only what the document itself promises.
FIXUPS = {("PUT", "/api/v1/attachments/{sha256}"): _valid_upload,
          ("POST", "/api/v1/cycle/register/import"): _valid_register,
          ("POST", "/api/v1/cycle/rounds"): _valid_round,
          ("POST", "/api/v1/cycle/credit"): _valid_credit,
          ("POST", "/api/v1/process/complaints/{complaint_id}/outcome"): _valid_outcome,
          ("POST", "/api/v1/process/meetings/{meeting_id}/votes"): _valid_votes,
          ("POST", "/api/v1/process/decisions"): _valid_decision,
          ("POST", "/api/v1/programme/fund/campaigns"): _valid_campaign,
          ("POST", "/api/v1/programme/fund/contributions"): _valid_contribution,
          ("POST", "/api/v1/programme/partners"): _valid_partner,
          ("POST", "/api/v1/programme/evidence"): _valid_evidence}


PARTNER_SCOPE = "/api/v1/programme/"      # what a partner identity is fuzzed on (the rest is a 403: security)


def fuzz(url: str, tokens: dict[str, str], max_examples: int = 8, negative: bool = True,
         seed: int = 1, only: set[tuple[str, str]] | None = None,
         scoped: dict[str, str] | None = None) -> dict[str, Any]:
    """Run every operation (``only``: just these (METHOD, path)) as each identity in ``tokens``;
    ``scoped`` names identities run only on the operations under a path prefix."""
    import hypothesis
    import hypothesis.errors
    import schemathesis
    from hypothesis import HealthCheck, Phase, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.core.failures import FailureGroup
    from schemathesis.specs.openapi.checks import (negative_data_rejection, positive_data_acceptance,
                                                   status_code_conformance)

    checks = [not_a_server_error, status_code_conformance, positive_data_acceptance, negative_data_rejection]
    schema = schemathesis.openapi.from_url(url + "/openapi.json")
    ops = []
    for result in schema.get_all_operations():
        op = result.ok()
        key = (op.method.upper(), op.path)
        if key not in SKIP and (only is None or key in only):
            ops.append(op)
    modes = [schemathesis.GenerationMode.POSITIVE] + ([schemathesis.GenerationMode.NEGATIVE] if negative else [])
    stats: dict[str, Any] = {"operations": len(ops), "identities": sorted(tokens), "cases": 0, "by_status": {},
                             "by_identity": {}, "server_errors": 0, "undocumented_statuses": 0, "valid_rejected": 0,
                             "invalid_accepted": 0, "bad_envelopes": 0, "not_sent": 0, "push_cases": 0}
    failures: list[str] = []
    by_kind: Counter = Counter()
    http = requests.Session()
    http.trust_env = False
    t0 = time.monotonic()
    for who, token in tokens.items():
        for op in ops:
            if scoped and who in scoped and not op.path.startswith(scoped[who]):
                continue
            for mode in modes:
                strategy = op.as_strategy(generation_mode=mode)

                @settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
                          phases=[Phase.generate], suppress_health_check=list(HealthCheck))
                @hypothesis.given(case=strategy)
                def run(case: Any) -> None:
                    if mode == schemathesis.GenerationMode.POSITIVE and (op.method.upper(), op.path) in FIXUPS:
                        FIXUPS[(op.method.upper(), op.path)](case)
                    headers = dict(case.headers or {})
                    headers["Authorization"] = f"Bearer {token}"     # the generated one is random
                    try:
                        r = case.call(base_url=url, session=http, headers=headers, timeout=60)
                    except Exception:     # e.g. a negative case with a header requests refuses to send
                        stats["not_sent"] += 1
                        return
                    stats["cases"] += 1
                    stats["by_identity"][who] = stats["by_identity"].get(who, 0) + 1
                    if op.path == "/api/v1/sync/push":
                        stats["push_cases"] += 1
                    key = str(r.status_code)
                    stats["by_status"][key] = stats["by_status"].get(key, 0) + 1
                    label = f"{who} {op.method.upper()} {op.path} [{mode.value}]"
                    try:
                        case.validate_response(r, checks=checks, headers=headers)
                    except FailureGroup as group:
                        for f in group.exceptions:
                            k = CHECK_KEYS.get(type(f).__name__, type(f).__name__)
                            stats[k] = stats.get(k, 0) + 1
                            by_kind[(k, op.method.upper(), op.path, r.status_code)] += 1
                            if k in FAILING and len(failures) < 30:
                                failures.append(f"{label}: {k} {r.status_code} {r.text[:200]} <- "
                                                f"{case.as_curl_command()[:400]}")
                    if 400 <= r.status_code < 500:
                        try:
                            body = r.json()
                        except ValueError:
                            body = None
                        if not is_envelope(body):
                            stats["bad_envelopes"] += 1
                            if len(failures) < 30:
                                failures.append(f"{label}: {r.status_code} not the envelope: {r.text[:200]}")

                try:
                    run()
                except hypothesis.errors.Unsatisfiable:     # e.g. no way to make this operation's input invalid
                    stats["unsatisfiable"] = stats.get("unsatisfiable", 0) + 1
    stats["seconds"] = round(time.monotonic() - t0, 1)
    stats["failures"] = failures
    stats["failure_kinds"] = [f"{k} {m} {p} {s}: {n}" for (k, m, p, s), n in by_kind.most_common(40)]
    return stats


def failed(stats: dict[str, Any]) -> list[str]:
    """The counts that must be 0."""
    return [k for k in FAILING if stats.get(k)]
