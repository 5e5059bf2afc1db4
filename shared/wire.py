"""The sync wire format (protocol v1), shared by the tablet and the server.

Pure and standard-library only: no I/O, no clock, no random ids. Callers pass
``now`` in. The contract is described in docs/sync-protocol.md; this module is
its executable part:

- protocol version, statuses, change kinds, limits;
- canonical JSON and the content hash of a submission;
- field checks of the push envelope and of each submission (every problem at
  once, each with a path, a machine code and messages, Vietnamese first);
- bounded gzip decompression (a gzip bomb cannot exhaust memory).

Keep this module stable: a tablet in the field runs an older copy of it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
import zlib
from dataclasses import asdict, dataclass
from typing import Any

PROTOCOL_VERSION = 1
SUPPORTED_PROTOCOLS = frozenset({1})

# Per-record push statuses.
ACCEPTED = "accepted"
DUPLICATE = "duplicate"
CONFLICT = "conflict"
REJECTED = "rejected"
STATUSES = (ACCEPTED, DUPLICATE, CONFLICT, REJECTED)
# Statuses after which the device holds a receipt and may mark the record as delivered.
DELIVERED = frozenset({ACCEPTED, DUPLICATE, CONFLICT})

# Why a record is a conflict.
STALE_BASE = "stale_base"                 # base_revision is older than the server's revision
UNKNOWN_BASE = "unknown_base"             # base_revision names a revision the server does not have
DIFFERENT_CONTENT = "different_content"   # the submission_id was already used for another body
CONFLICT_REASONS = (STALE_BASE, UNKNOWN_BASE, DIFFERENT_CONTENT)

# Kinds of rows in a pull.
KIND_ASSIGNMENT = "assignment"
KIND_HOUSEHOLD = "household"
KIND_RETURN = "return"
KIND_MERGE = "merge"
KIND_CLASSIFICATION = "classification"
KIND_FORM = "form"
KIND_STANDARD = "standard"
KIND_ROUND = "round"          # the review round devices work in: its standards drive the preview
KIND_SUPPORT = "support"      # a household's support received and open needs (server/programme/tablet.py)
CHANGE_KINDS = (KIND_ASSIGNMENT, KIND_HOUSEHOLD, KIND_RETURN, KIND_MERGE, KIND_CLASSIFICATION,
                KIND_FORM, KIND_STANDARD, KIND_ROUND, KIND_SUPPORT)

# Limits (the server may be configured lower, never higher than a device can rely on).
MAX_SUBMISSIONS_PER_PUSH = 200
MAX_BODY_BYTES = 5 * 1024 * 1024          # decompressed request body
MAX_PULL_LIMIT = 1000
FUTURE_TOLERANCE = dt.timedelta(days=1)   # collected_at may be at most this far after server time
# A tablet whose clock runs ahead stamps collected_at in the "future". When its own device_time
# shows the same skew (at most this much), the record is accepted with a warning for the office,
# because the collaborator cannot change collected_at and the work must not be stranded.
MAX_CLOCK_SKEW = dt.timedelta(days=30)


def clock_skew(sub: dict[str, Any], now: dt.datetime) -> dt.timedelta:
    """How far ahead of the server the device's clock ran when it sent (0 when behind or unknown,
    or when the skew is beyond MAX_CLOCK_SKEW and so not trusted)."""
    device = parse_timestamp(sub.get("device_time")) if isinstance(sub, dict) else None
    if device is None:
        return dt.timedelta(0)
    skew = device - now
    return skew if dt.timedelta(0) < skew <= MAX_CLOCK_SKEW else dt.timedelta(0)
VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")   # Vietnam has no daylight saving time

SUBMISSION_FIELDS = ("submission_id", "household_id", "revision", "base_revision", "form_version",
                     "collected_at", "device_time", "answers")
HASHED_FIELDS = tuple(f for f in SUBMISSION_FIELDS if f != "device_time")


@dataclass(frozen=True)
class WireProblem:
    """One problem with a message: same shape as shared.validation.Problem."""
    path: str
    code: str
    message_vi: str
    message_en: str
    severity: str = "error"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


class WireError(ValueError):
    """The request as a whole cannot be read (bad gzip, too large, not JSON...)."""

    def __init__(self, code: str, message_en: str, message_vi: str):
        super().__init__(message_en)
        self.code, self.message_en, self.message_vi = code, message_en, message_vi


# --- canonical JSON and content hash --------------------------------------------------------

def canonical_json(obj: Any) -> str:
    """Sorted keys, no spaces, UTF-8 text kept as is. NaN and infinities are refused."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def submission_document(submission: dict[str, Any] | None) -> dict[str, Any] | None:
    """The household document a submission carries: its answers, with the envelope's
    ``household_id``, ``form_version`` and ``collected_at`` where the answers lack them."""
    if submission is None:
        return None
    doc = dict(submission.get("answers") or {})
    for key in ("household_id", "form_version", "collected_at"):
        if key in submission:
            doc.setdefault(key, submission[key])
    return doc


def canonical_submission(submission: dict[str, Any]) -> str:
    """Canonical JSON of the hashed fields of a submission (every field but ``device_time``).

    A missing field counts as null, so ``base_revision`` absent or null hash the same.
    """
    return canonical_json({k: submission.get(k) for k in HASHED_FIELDS})


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_hash(submission: dict[str, Any]) -> str:
    """SHA-256 hex of ``canonical_submission(submission)``: equal for a retry, different for an edit."""
    return sha256_hex(canonical_submission(submission))


# --- JSON and gzip ---------------------------------------------------------------------------

def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads(data: bytes | str) -> Any:
    """Strict JSON: UTF-8, no NaN/Infinity. Raises WireError('bad_json')."""
    try:
        text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
        return json.loads(text, parse_constant=_no_constants)
    except UnicodeDecodeError as exc:
        raise WireError("bad_json", f"Body is not UTF-8 text ({exc.reason})",
                        "Dữ liệu gửi lên không phải văn bản UTF-8") from exc
    except (ValueError, RecursionError) as exc:
        raise WireError("bad_json", f"Body is not valid JSON: {exc}",
                        "Dữ liệu gửi lên không phải JSON hợp lệ") from exc


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON bytes (what the tablet and server send)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def gzip_bytes(data: bytes, level: int = 6) -> bytes:
    """Gzip-compress (deterministic: no file name, mtime 0)."""
    co = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return co.compress(data) + co.flush()


def gunzip_bounded(data: bytes, limit: int = MAX_BODY_BYTES) -> bytes:
    """Decompress one gzip member, refusing output above ``limit`` bytes.

    Raises WireError 'body_too_large' (a gzip bomb stops after limit+1 bytes)
    or 'bad_gzip' (not gzip, truncated, corrupt, or trailing bytes).
    """
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, limit + 1)
    except zlib.error as exc:
        raise WireError("bad_gzip", f"Body is not valid gzip: {exc}",
                        "Dữ liệu nén (gzip) bị hỏng") from exc
    if len(out) > limit or d.unconsumed_tail:
        raise WireError("body_too_large", f"Decompressed body exceeds {limit} bytes",
                        f"Dữ liệu sau khi giải nén vượt quá {limit} byte")
    if not d.eof:
        raise WireError("bad_gzip", "Gzip body is truncated", "Dữ liệu nén (gzip) bị cắt cụt, chưa gửi đủ")
    if d.unused_data:
        raise WireError("bad_gzip", "Unexpected bytes after the gzip data",
                        "Có dữ liệu thừa sau phần nén gzip")
    return out


# --- field checks ----------------------------------------------------------------------------

def is_uuid(value: Any) -> bool:
    """A UUID in canonical lowercase hyphenated form (36 characters)."""
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def parse_timestamp(value: Any) -> dt.datetime | None:
    """An ISO 8601 date or datetime. A date alone is midnight; a naive time is taken as UTC+7."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        if len(value) == 10:
            d = dt.date.fromisoformat(value)
            return dt.datetime(d.year, d.month, d.day, tzinfo=VN_TZ)
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=VN_TZ)



def check_protocol(body: Any) -> None:
    """The request body is an object naming a protocol this module speaks; else WireError.
    ``protocol`` of any other type (an object, a list, text, true) is an unsupported protocol."""
    if not isinstance(body, dict):
        raise WireError("bad_request", "The body must be a JSON object", "Dữ liệu gửi lên phải là một đối tượng JSON")
    proto = body.get("protocol")
    if not isinstance(proto, (int, float)) or isinstance(proto, bool) or proto not in SUPPORTED_PROTOCOLS:
        shown = repr(proto) if isinstance(proto, (int, float)) or proto is None else type(proto).__name__
        raise WireError("unsupported_protocol",
                        f"Unsupported protocol version {shown[:40]}; this server speaks {sorted(SUPPORTED_PROTOCOLS)}",
                        f"Phiên bản giao thức {shown[:40]} không được hỗ trợ; cần cập nhật ứng dụng")


# --- values no record may hold -----------------------------------------------------------------

MAX_JSON_DEPTH = 32              # a household document nests 4 levels; anything deeper is not one
MAX_VALUE_PROBLEMS = 20
_INT64 = 2 ** 63


def shown_path(path: str) -> str:
    """A path safe to echo in an answer (a lone surrogate in a key becomes U+FFFD)."""
    return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in path)


def json_value_problems(obj: Any, prefix: str = "", max_depth: int = MAX_JSON_DEPTH) -> list[WireProblem]:
    """Values that JSON can carry but no record may hold, each with its path: text with a lone
    surrogate (not UTF-8; code 'invalid_text'), a number that is infinite (``1e400``; 'not_finite'),
    an integer beyond 64 bits ('number_too_large'), nesting deeper than ``max_depth`` ('too_deep').
    Iterative (a deep value cannot exhaust the stack); at most MAX_VALUE_PROBLEMS problems."""
    out: list[WireProblem] = []
    # (path, value, depth, the path at depth 1: what a too-deep value is reported under)
    stack: list[tuple[str, Any, int, str]] = [(prefix, obj, 0, prefix)]
    while stack and len(out) < MAX_VALUE_PROBLEMS:
        path, v, depth, field = stack.pop()
        if isinstance(v, str):
            if not _is_utf8(v):
                out.append(_p(shown_path(path), "invalid_text", "Có ký tự không hợp lệ (không phải văn bản UTF-8)",
                              "Text holds an invalid character (a lone surrogate, not UTF-8)"))
        elif isinstance(v, float):
            if v != v or v in (float("inf"), float("-inf")):
                out.append(_p(shown_path(path), "not_finite", "Số quá lớn hoặc không hợp lệ",
                              "The number is infinite or not a number"))
        elif isinstance(v, int) and not isinstance(v, bool):
            if not -_INT64 <= v < _INT64:
                out.append(_p(shown_path(path), "number_too_large", "Số quá lớn", "The integer is beyond 64 bits"))
        elif isinstance(v, (dict, list)):
            if depth >= max_depth:
                out.append(_p(shown_path(field), "too_deep", "Dữ liệu lồng nhau quá sâu, không phải câu trả lời",
                              f"Nested more than {max_depth} levels: not an answer"))
                continue
            if isinstance(v, dict):
                items = list(v.items())
                for k, child in reversed(items):
                    key = k if isinstance(k, str) else str(k)
                    kpath = f"{path}.{key}" if path else key
                    if not _is_utf8(key):
                        out.append(_p(shown_path(kpath), "invalid_text",
                                      "Tên trường có ký tự không hợp lệ (không phải văn bản UTF-8)",
                                      "A field name holds an invalid character (not UTF-8)"))
                        continue
                    stack.append((kpath, child, depth + 1, kpath if depth == 0 else field))
            else:
                for i in range(len(v) - 1, -1, -1):
                    stack.append((f"{path}[{i}]", v[i], depth + 1, f"{path}[{i}]" if depth == 0 else field))
    return out


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def push_submissions(body: Any, max_submissions: int = MAX_SUBMISSIONS_PER_PUSH) -> list[Any]:
    """The submissions of a push body (items not yet checked); WireError for a bad batch."""
    check_protocol(body)
    subs = body.get("submissions")
    if not isinstance(subs, list):
        raise WireError("bad_request", "'submissions' must be a list", "Thiếu danh sách 'submissions'")
    if len(subs) > max_submissions:
        raise WireError("batch_too_large", f"{len(subs)} submissions in one push; at most {max_submissions}",
                        f"Một lần gửi có {len(subs)} phiếu; tối đa {max_submissions} phiếu")
    return subs


def _p(path: str, code: str, vi: str, en: str) -> WireProblem:
    return WireProblem(path, code, vi, en)


def check_submission(sub: Any, now: dt.datetime) -> list[WireProblem]:
    """Every envelope problem of one submission (the answers themselves are checked by validation).

    ``now`` is the server's (aware) time; ``collected_at`` more than
    FUTURE_TOLERANCE after it is refused with code 'future'.
    """
    if not isinstance(sub, dict):
        return [_p("", "type", "Phiếu gửi lên phải là một đối tượng JSON", "A submission must be a JSON object")]
    out: list[WireProblem] = []
    for key in sub:
        if key not in SUBMISSION_FIELDS:
            out.append(_p(str(key), "unknown_field", f"Trường '{key}' không thuộc giao thức đồng bộ",
                          f"Unknown submission field '{key}'"))
    for key in ("submission_id", "household_id"):
        v = sub.get(key)
        if v is None:
            out.append(_p(key, "required", f"Thiếu {key}", f"{key} is required"))
        elif not is_uuid(v):
            out.append(_p(key, "invalid_uuid", f"{key} phải là UUID dạng chữ thường (36 ký tự)",
                          f"{key} must be a lowercase UUID (36 characters)"))
    rev = sub.get("revision")
    if not _is_int(rev) or not 1 <= rev <= 1_000_000:
        out.append(_p("revision", "type", "revision phải là số nguyên từ 1", "revision must be an integer >= 1"))
    base = sub.get("base_revision")
    if base is not None and (not _is_int(base) or not 1 <= base <= 1_000_000_000):
        out.append(_p("base_revision", "type", "base_revision phải là null hoặc số nguyên từ 1",
                      "base_revision must be null or an integer >= 1"))
    if not isinstance(sub.get("form_version"), str) or not sub["form_version"]:
        out.append(_p("form_version", "required", "Thiếu phiên bản phiếu (form_version)", "form_version is required"))
    collected = parse_timestamp(sub.get("collected_at"))
    if collected is None:
        out.append(_p("collected_at", "type", "Ngày rà soát phải là ngày giờ ISO (NNNN-TT-NNTgg:pp:ss+07:00)",
                      "collected_at must be an ISO date or datetime"))
    elif collected > now + FUTURE_TOLERANCE + clock_skew(sub, now):
        out.append(_p("collected_at", "future", f"Ngày rà soát {sub['collected_at']} ở tương lai; kiểm tra đồng hồ máy tính bảng",
                      f"collected_at {sub['collected_at']} is in the future; check the tablet's clock"))
    elif collected > now + FUTURE_TOLERANCE:
        skew = clock_skew(sub, now)
        out.append(WireProblem("device_time", "device_clock_ahead",
                               f"Đồng hồ máy tính bảng chạy nhanh khoảng {skew.days} ngày {skew.seconds // 3600} giờ; "
                               "ngày rà soát được giữ như máy ghi, cán bộ phường cần kiểm tra",
                               f"The tablet's clock ran about {skew} ahead; collected_at is kept as recorded, "
                               "the office should check it", "warning"))
    if sub.get("device_time") is not None and parse_timestamp(sub["device_time"]) is None:
        out.append(_p("device_time", "type", "device_time phải là ngày giờ ISO", "device_time must be an ISO datetime"))
    answers = sub.get("answers")
    if not isinstance(answers, dict):
        out.append(_p("answers", "type", "Thiếu nội dung phiếu (answers)", "answers must be a JSON object"))
        return out
    for key in ("household_id", "form_version", "collected_at"):
        if key in answers and answers[key] != sub.get(key):
            out.append(_p(f"answers.{key}", "mismatch", f"answers.{key} khác với {key} của phiếu gửi",
                          f"answers.{key} differs from the submission's {key}"))
    return out


def answers_with_envelope(sub: dict[str, Any]) -> dict[str, Any]:
    """The household document to validate and classify: answers, completed from the envelope."""
    doc = dict(sub["answers"])
    for key in ("household_id", "form_version", "collected_at"):
        doc.setdefault(key, sub[key])
    return doc


def check_enroll_request(body: Any) -> list[WireProblem]:
    check_protocol(body)
    out = []
    code = body.get("code")
    if not isinstance(code, str) or not 4 <= len(code) <= 64:
        out.append(_p("code", "required", "Thiếu mã đăng ký thiết bị", "The enrollment code is required"))
    name = body.get("device_name")
    if name is not None and (not isinstance(name, str) or len(name) > 80):
        out.append(_p("device_name", "type", "Tên thiết bị tối đa 80 ký tự", "device_name must be text of at most 80 characters"))
    return out


def normalize_enrollment_code(code: str) -> str:
    """Codes are typed by people: ignore case, spaces and dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def format_enrollment_code(raw: str) -> str:
    """'ABCDEFGH' -> 'ABCD-EFGH' (groups of four)."""
    raw = normalize_enrollment_code(raw)
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def enroll_uri(server_url: str, code: str) -> str:
    """The text of the enrollment QR code."""
    from urllib.parse import urlencode
    return "rasoat://enroll?" + urlencode({"server": server_url, "code": code})


def parse_enroll_uri(text: str) -> tuple[str, str] | None:
    """(server_url, code) from a scanned QR text, or None."""
    from urllib.parse import parse_qs, urlsplit
    parts = urlsplit(text.strip())
    if parts.scheme != "rasoat" or parts.netloc != "enroll":
        return None
    q = parse_qs(parts.query)
    server, code = q.get("server", [""])[0], q.get("code", [""])[0]
    return (server, code) if server and code else None
