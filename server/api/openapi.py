"""The OpenAPI document at /openapi.json, made complete enough for a fuzzer to be held to it (issue 18).

FastAPI builds the document from the routes; ``install(app)`` finishes it in one place:

1. Bodies that routes read themselves (the sync messages, parsed by ``shared.wire``) are documented by
   ``schemas.body_doc``; the models they refer to (``Submission``...) are moved into
   ``components/schemas`` so every ``$ref`` resolves (before, the push body's reference did not, and no
   fuzzer ever generated a push).
2. Every API operation documents the statuses the platform answers with the error envelope
   (``schemas.ERRORS``: bad JSON, auth, not found, conflict, limits, validation, disk full), added
   where a router did not list them itself.
3. Values that must name something the server holds are listed as enums from the running app's data:
   ``standard_id`` (the standards published), ``policy`` (the policy table), a report id, a named
   list, a residential group code (``group``, ``groups``; read from the database, the document is
   rebuilt when they change). A request naming another is refused (404/422), so the document says
   which are valid.
4. Every integer is bounded to 64 bits (SQLite's integers; a larger id is 422 ``out_of_range``), and
   the query parameter ``on`` is a date.

``harness/fuzz.py`` runs schemathesis against this document and fails on any 5xx, any status not
documented, and any request valid by the document that the server refuses as malformed.
"""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from shared.eligibility import load_policies
from shared.standards import load_standards

from ..process.results import LISTS
from ..reports.layouts import load_layouts
from .schemas import ERRORS, ErrorEnvelope

ENVELOPE_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ENVELOPE_REF}}}


def _hoist_defs(node: Any, components: dict[str, Any]) -> None:
    """Move every ``$defs`` found under ``node`` into ``components`` (refs already point there)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            defs = n.pop("$defs", None)
            if isinstance(defs, dict):
                for name, schema in defs.items():
                    components.setdefault(name, schema)
                    stack.append(schema)
            stack.extend(n.values())
        elif isinstance(n, list):
            stack.extend(n)


def _enum_values(app: FastAPI) -> dict[str, list[str]]:
    """Names whose valid values are data of this server."""
    out: dict[str, list[str]] = {}
    try:
        rows = app.state.db.all("SELECT code FROM area_groups WHERE active = 1 ORDER BY code")
        codes = sorted({r[0] for r in rows})
        if codes:
            out["group"] = out["groups"] = codes
    except Exception:
        pass
    try:
        out["standard_id"] = out["standards"] = sorted(load_standards())
    except Exception:       # the document must still be served
        pass
    try:
        out["policy"] = [p["id"] for p in load_policies()["policies"]]
    except Exception:
        pass
    try:
        layouts = load_layouts()
        out["report_id"] = list(layouts)
        # GET /api/v1/reports/{report_id} answers the tables; the named lists are paged elsewhere (.../rows)
        out["table_report_id"] = [k for k, v in layouts.items() if v.get("builder") != "named_lists"]
    except Exception:
        pass
    try:
        out["list"] = list(LISTS)
    except Exception:
        pass
    return out


def _set_enum(schema: dict[str, Any], values: list[str]) -> None:
    """Restrict a string schema (or a list of strings; maybe in ``anyOf`` with null) to ``values``."""
    for alt in schema.get("anyOf", [schema]):
        if alt.get("type") == "string":
            alt["enum"] = values
            alt.pop("pattern", None)
        elif alt.get("type") == "array" and isinstance(alt.get("items"), dict):
            alt["items"] = {"type": "string", "enum": values}
            alt.setdefault("minItems", 1)


def _enums_in_body(schema: Any, components: dict[str, Any], enums: dict[str, list[str]], seen: set[str]) -> None:
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[1]
        if name not in seen and name in components:
            seen.add(name)
            _enums_in_body(components[name], components, enums, seen)
        return
    for key, prop in (schema.get("properties") or {}).items():
        if key in enums and isinstance(prop, dict):
            _set_enum(prop, enums[key])
    for sub in ("items", "anyOf", "allOf", "oneOf"):
        v = schema.get(sub)
        for s in (v if isinstance(v, list) else [v] if v else []):
            _enums_in_body(s, components, enums, seen)


INT64 = (-(2 ** 63), 2 ** 63 - 1)


def _bound_integers(node: Any) -> None:
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            if n.get("type") == "integer":
                n.setdefault("minimum", INT64[0])
                n.setdefault("maximum", INT64[1])
            stack.extend(n.values())
        elif isinstance(n, list):
            stack.extend(n)


def complete(spec: dict[str, Any], enums: dict[str, list[str]]) -> dict[str, Any]:
    """Steps 1-4 of the module docstring, on a document FastAPI generated."""
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    _hoist_defs(spec.get("paths", {}), components)
    if "ErrorEnvelope" not in components:
        components["ErrorEnvelope"] = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    _hoist_defs(components, components)
    for path, item in spec.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, op in item.items():
            if not isinstance(op, dict) or method not in ("get", "post", "put", "delete", "patch"):
                continue
            responses = op.setdefault("responses", {})
            for status, doc in ERRORS.items():
                responses.setdefault(str(status), _error_response(doc["description"]))
            for param in op.get("parameters", []):
                name = param.get("name")
                if name == "report_id" and path == "/api/v1/reports/{report_id}" and "table_report_id" in enums:
                    name = "table_report_id"
                if name in enums and isinstance(param.get("schema"), dict):
                    _set_enum(param["schema"], enums[name])
                if name == "on" and param.get("in") == "query" and isinstance(param.get("schema"), dict):
                    for alt in param["schema"].get("anyOf", [param["schema"]]):
                        if alt.get("type") == "string":
                            alt["format"] = "date"
            body = op.get("requestBody", {}).get("content", {})
            for media in body.values():
                _enums_in_body(media.get("schema"), components, enums, set())
    _bound_integers(spec)
    return spec


def install(app: FastAPI) -> None:
    """Serve the completed document (built once per app, on first request)."""
    built: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        enums = _enum_values(app)
        if app.openapi_schema is None or built.get("enums") != enums:
            spec = get_openapi(title=app.title, version=app.version, description=app.description,
                               routes=app.routes)
            app.openapi_schema = complete(spec, enums)
            built["enums"] = enums
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

