"""The OpenAPI document is complete (issue 18): every $ref resolves (the push body too), every API
operation documents the error envelope statuses, names of server data are enums of what it holds."""
from __future__ import annotations

from shared.standards import load_standards


def _refs(node, out):
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            if isinstance(n.get("$ref"), str):
                out.append(n["$ref"])
            stack.extend(n.values())
        elif isinstance(n, list):
            stack.extend(n)
    return out


def test_every_reference_resolves_and_no_defs_are_left_inline(client):
    spec = client.get("/openapi.json").json()
    comps = spec["components"]["schemas"]
    refs = _refs(spec, [])
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in comps, ref
    assert "$defs" not in str(spec["paths"])
    push = spec["paths"]["/api/v1/sync/push"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert push["required"] == ["protocol", "submissions"]
    assert push["properties"]["submissions"]["items"]["$ref"] == "#/components/schemas/Submission"
    check = spec["paths"]["/api/v1/attachments/check"]["post"]["requestBody"]["content"]["application/json"]
    assert check["schema"]["properties"]["hashes"]["items"]["pattern"] == "^[0-9a-f]{64}$"


def test_every_api_operation_documents_the_error_statuses(client):
    spec = client.get("/openapi.json").json()
    n = 0
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if path.startswith("/api/"):
                n += 1
                assert {"400", "401", "403", "404", "422", "507"} <= set(op["responses"]), (method, path)
    assert n >= 60
    assert "429" in spec["paths"]["/api/v1/login"]["post"]["responses"]


def test_standard_ids_are_an_enum_of_the_standards_held(client):
    spec = client.get("/openapi.json").json()
    params = spec["paths"]["/api/v1/process/recognition/preview"]["get"]["parameters"]
    std = next(p for p in params if p["name"] == "standard_id")
    assert std["schema"]["enum"] == sorted(load_standards())
    meeting = spec["components"]["schemas"]["MeetingRequest"]["properties"]
    assert meeting["standard_id"]["enum"] == sorted(load_standards())
    assert meeting["held_on"]["format"] == "date"
