"""Pydantic models: office request bodies, and the documentation (OpenAPI at /docs) of the
sync messages, which are parsed by shared.wire rather than by these models."""
from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

from shared import wire
from shared.validation import bad_character


class ErrorBody(BaseModel):
    code: str = Field(examples=["token_revoked"])
    message: str
    message_vi: str
    details: list[Any] = []


class ErrorEnvelope(BaseModel):
    error: ErrorBody


ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorEnvelope, "description": d} for s, d in (
        (400, "Bad request (bad gzip, bad JSON, unsupported protocol)"), (401, "Not authenticated"),
        (403, "Not allowed"), (404, "Not found"), (409, "Conflict"), (413, "Body or batch too large"),
        (415, "Wrong content type or encoding"), (422, "Invalid request fields"), (500, "Server error"),
        (507, "The server's disk is full (disk_full): nothing of the request was stored"))}


# --- sync messages (documentation) ----------------------------------------------------------

class Submission(BaseModel):
    submission_id: str = Field(description="Client-generated UUID, unique forever; a retry re-sends it unchanged")
    household_id: str = Field(description="UUID of the household")
    revision: int = Field(ge=1, description="The device's edit counter for the household")
    base_revision: int | None = Field(None, description="Server revision the edit is based on; null for a new household")
    form_version: str = Field(examples=["2025.1"])
    collected_at: str = Field(examples=["2025-10-02T09:30:00+07:00"])
    device_time: str | None = Field(None, description="Device clock when sent; not part of the content hash")
    answers: dict[str, Any] = Field(description="The household document (form household-2025.1)")


class PushRequest(BaseModel):
    protocol: Literal[1]
    submissions: list[Submission] = Field(max_length=wire.MAX_SUBMISSIONS_PER_PUSH,
                                          description="Each is answered on its own (results, in the same order)")


class Problem(BaseModel):
    path: str
    code: str
    message_vi: str
    message_en: str
    severity: Literal["error", "warning"]


class Receipt(BaseModel):
    receipt_id: str
    submission_id: str
    household_id: str
    status: Literal["accepted", "conflict"] = Field(description="What the server did when it first stored the body")
    server_revision: int | None
    content_hash: str
    received_at: str


class PushResult(BaseModel):
    submission_id: str | None
    status: Literal["accepted", "duplicate", "conflict", "rejected"]
    receipt: Receipt | None = None
    problems: list[Problem] = []
    classifications: list[dict[str, Any]] | None = None
    conflict: dict[str, Any] | None = Field(None, description='{"reason": "stale_base" | "unknown_base" | "different_content"}')
    retry: bool | None = Field(None, description="true when a server error refused the record: resend it later")


class PushResponse(BaseModel):
    protocol: int
    server_time: str
    results: list[PushResult]


class Change(BaseModel):
    seq: int
    kind: Literal["assignment", "household", "return", "merge", "classification", "form", "standard"]
    model_config = {"extra": "allow"}


class PullResponse(BaseModel):
    protocol: int
    server_time: str
    cursor: int
    more: bool
    changes: list[Change]


class EnrollRequest(BaseModel):
    protocol: Literal[1]
    code: str = Field(min_length=4, max_length=64, examples=["ABCD-EFGH-JKLM"])
    device_name: str | None = Field(None, max_length=80)


class EnrollResponse(BaseModel):
    protocol: int
    device_id: str
    token: str = Field(description="Shown once; send as 'Authorization: Bearer <token>'")
    collaborator: dict[str, Any]
    groups: list[dict[str, Any]]
    server_time: str


SHA256_PATTERN = r"^[0-9a-f]{64}$"


class AttachmentCheckRequest(BaseModel):
    protocol: Literal[1]
    hashes: list[str] = Field(max_length=1000, description="SHA-256 hex of each file",
                              json_schema_extra={"items": {"type": "string", "pattern": SHA256_PATTERN}})


def body_doc(model: type[BaseModel]) -> dict[str, Any]:
    """openapi_extra documenting a body that the route reads itself (gzip allowed)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")   # $defs: server/api/openapi.py
    return {"requestBody": {"required": True, "description": "JSON, optionally Content-Encoding: gzip",
                            "content": {"application/json": {"schema": schema}}}}


# --- office requests ------------------------------------------------------------------------

def _clean_text(value: str) -> str:
    """NFC, and no control, bidi or lone-surrogate character (shared.validation.bad_character)."""
    value = value if value.isascii() else unicodedata.normalize("NFC", value)
    bad = bad_character(value, multiline=True)
    if bad is not None:
        raise ValueError(f"holds a control or text-direction character that is not allowed ({bad[1]}, position "
                         f"{bad[0]}) / có ký tự điều khiển hoặc ký tự đảo chiều văn bản không được phép")
    return value


# The same rule as a JSON-Schema pattern, so the document says which text is valid (issue 18).
CLEAN_TEXT_PATTERN = (r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                      r"\u2028\u2029]*$")
CleanText = Annotated[str, AfterValidator(_clean_text), Field(json_schema_extra={"pattern": CLEAN_TEXT_PATTERN})]

class LoginRequest(BaseModel):
    username: CleanText = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


class LoginResponse(BaseModel):
    token: str
    expires_at: str
    user: dict[str, Any]


class CreateUserRequest(BaseModel):
    username: str = Field(min_length=2, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$")
    full_name: CleanText = Field(min_length=1, max_length=120)
    role: Literal["admin", "officer", "viewer"]
    password: str = Field(min_length=8, max_length=200)


class CreateCollaboratorRequest(BaseModel):
    full_name: CleanText = Field(min_length=2, max_length=120)
    phone: CleanText | None = Field(None, max_length=20)
    groups: list[CleanText] = Field(default_factory=list, description="Group codes: 'KP01' or 'BAICHAY/KP01'")


class AssignRequest(BaseModel):
    groups: list[CleanText]


class ReturnRequest(BaseModel):
    reason: CleanText = Field(min_length=3, max_length=2000, description="Shown to the collaborator on the tablet; "
                              "at least 3 characters besides spaces at its ends",
                              json_schema_extra={"allOf": [{"pattern": r"\S[\s\S]*\S[\s\S]*\S"}]})
    submission_id: CleanText | None = Field(None, description="The revision the officer looked at (409 if no longer current)")
