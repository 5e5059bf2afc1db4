"""API fuzzing with schemathesis against the real server's /openapi.json, as a device and as an officer.

Every generated case (positive: valid by the schema; negative: violating it) is sent over loopback;
a 5xx is a failure, and so is any 4xx whose body is not the error envelope. Failures are collected
(not raised) so every case runs; the first few are reported with the request that caused them.
"""
from __future__ import annotations

import time
from typing import Any

import requests

from .common import is_envelope

SKIP = {("POST", "/api/v1/logout")}      # would end the session the rest of the run uses


def fuzz(url: str, tokens: dict[str, str], max_examples: int = 8, negative: bool = True,
         seed: int = 1) -> dict[str, Any]:
    import hypothesis
    import hypothesis.errors
    import schemathesis
    from hypothesis import HealthCheck, Phase, settings

    schema = schemathesis.openapi.from_url(url + "/openapi.json")
    ops = []
    for result in schema.get_all_operations():
        op = result.ok()
        if (op.method.upper(), op.path) not in SKIP:
            ops.append(op)
    modes = [schemathesis.GenerationMode.POSITIVE] + ([schemathesis.GenerationMode.NEGATIVE] if negative else [])
    stats = {"operations": len(ops), "cases": 0, "by_status": {}, "server_errors": 0, "bad_envelopes": 0,
             "not_sent": 0}
    failures: list[str] = []
    http = requests.Session()
    http.trust_env = False
    t0 = time.monotonic()
    for who, token in tokens.items():
        for op in ops:
            for mode in modes:
                strategy = op.as_strategy(generation_mode=mode)

                @settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
                          phases=[Phase.generate], suppress_health_check=list(HealthCheck))
                @hypothesis.given(case=strategy)
                def run(case: Any) -> None:
                    headers = dict(case.headers or {})
                    headers["Authorization"] = f"Bearer {token}"     # the generated one is random
                    try:
                        r = case.call(base_url=url, session=http, headers=headers, timeout=30)
                    except Exception:     # e.g. a negative case with a header requests refuses to send
                        stats["not_sent"] += 1
                        return
                    stats["cases"] += 1
                    key = str(r.status_code)
                    stats["by_status"][key] = stats["by_status"].get(key, 0) + 1
                    label = f"{who} {op.method.upper()} {op.path} [{mode.value}]"
                    if r.status_code >= 500:
                        stats["server_errors"] += 1
                        if len(failures) < 20:
                            failures.append(f"{label}: {r.status_code} {r.text[:200]} <- {case.as_curl_command()[:300]}")
                    elif r.status_code >= 400:
                        try:
                            body = r.json()
                        except ValueError:
                            body = None
                        if not is_envelope(body):
                            stats["bad_envelopes"] += 1
                            if len(failures) < 20:
                                failures.append(f"{label}: {r.status_code} not the envelope: {r.text[:200]}")

                try:
                    run()
                except hypothesis.errors.Unsatisfiable:     # e.g. no way to make this operation's input invalid
                    stats["unsatisfiable"] = stats.get("unsatisfiable", 0) + 1
    stats["seconds"] = round(time.monotonic() - t0, 1)
    stats["failures"] = failures
    return stats
