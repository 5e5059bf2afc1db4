"""Sync: the HTTP client of protocol v1 (docs/sync-protocol.md) and the background worker.

Three steps per run, cosmicpython style: gather (pending outbox rows, frozen
before their first attempt), call the server, apply the answers to the store.

Delivery is decided by the *receipt*, nothing else: only an HTTP 200 JSON body
speaking protocol 1, with a per-record status in ``wire.DELIVERED`` and a
receipt naming our submission (and, for accepted/duplicate, our content hash)
marks a row delivered. A captive portal answering 200 with HTML, a proxy error
page, a timeout after the server stored the row: all leave the row pending; the
retry re-sends the same id and bytes and the server answers ``duplicate`` with
the original receipt.

The worker runs in one daemon thread with its own SQLite connection and reports
progress through an injected callback (the app wraps it in Clock.schedule_once).
"""
from __future__ import annotations

import json
import logging
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urljoin

import requests

from shared import wire

from . import store as st
from .store import LocalStore, StoreError

log = logging.getLogger("rasoat.tablet.sync")

CONNECT_TIMEOUT = 6.0
READ_TIMEOUT = 45.0
BATCH_SIZE = 20
PULL_LIMIT = 500
BACKOFF_BASE = 5.0          # seconds; doubles per failed attempt
BACKOFF_CAP = 600.0         # at most 10 minutes between automatic retries
AUTO_INTERVAL = 60.0        # the worker looks again at least this often


def backoff_delay(attempts: int, rnd: Callable[[], float] = random.random) -> float:
    """Delay before automatic attempt ``attempts + 1``: 5 s, 10 s, 20 s … capped at 10 min, ±20 % jitter."""
    base = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return base * (0.8 + 0.4 * rnd())


class SyncError(Exception):
    """A failed call, with a message in plain Vietnamese for the sync screen."""

    def __init__(self, code: str, message_vi: str, message_en: str = "", *, retryable: bool = True,
                 auth: bool = False, status: int | None = None, details: list[Any] | None = None):
        super().__init__(message_en or code)
        self.code, self.message_vi, self.message_en = code, message_vi, message_en or code
        self.retryable, self.auth, self.status = retryable, auth, status
        self.details = details or []

    def detail(self, key: str, default: Any = None) -> Any:
        for d in self.details:
            if isinstance(d, dict) and key in d:
                return d[key]
        return default


def _envelope(resp: requests.Response) -> dict[str, Any] | None:
    try:
        body = resp.json()
    except ValueError:
        return None
    err = body.get("error") if isinstance(body, dict) else None
    return err if isinstance(err, dict) else None


def _is_json(resp: requests.Response) -> bool:
    return resp.headers.get("Content-Type", "").split(";")[0].strip().lower() == "application/json"


class SyncClient:
    """Protocol v1 over ``requests``: gzip bodies, timeouts, strict reading of answers."""

    def __init__(self, server_url: str, token: str | None = None, session: requests.Session | None = None,
                 timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT)):
        self.server_url = normalize_server_url(server_url)
        self.token = token
        self.session = session or requests.Session()
        self.session.trust_env = False      # a device talks to its ward server, not through env proxies
        self.timeout = timeout

    def _url(self, path: str) -> str:
        return urljoin(self.server_url + "/", path.lstrip("/"))

    def _headers(self, gz: bool) -> dict[str, str]:
        h = {"Accept": "application/json", "Accept-Encoding": "gzip", "User-Agent": "rasoat-tablet/1"}
        if gz:
            h.update({"Content-Type": "application/json", "Content-Encoding": "gzip"})
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        return h

    def _call(self, method: str, path: str, body: bytes | None = None, params: dict[str, Any] | None = None,
              ok: tuple[int, ...] = (200,), raw: bytes | None = None,
              headers: dict[str, str] | None = None) -> dict[str, Any]:
        """``body``: JSON bytes, sent gzip; ``raw``: bytes sent as they are (photo chunks) with ``headers``."""
        data = wire.gzip_bytes(body) if body is not None else raw
        h = self._headers(body is not None)
        h.update(headers or {})
        try:
            resp = self.session.request(method, self._url(path), data=data, params=params,
                                        headers=h, timeout=self.timeout)
        except requests.exceptions.Timeout as exc:
            raise SyncError("timeout", "Mạng quá chậm hoặc máy chủ không trả lời kịp (hết thời gian chờ). "
                            "Phiếu vẫn được giữ trên máy và sẽ được gửi lại.", str(exc)) from exc
        except requests.exceptions.SSLError as exc:
            raise SyncError("tls", "Không kết nối an toàn được với máy chủ (lỗi chứng chỉ). "
                            "Kiểm tra lại địa chỉ máy chủ với cán bộ phường.", str(exc)) from exc
        except (requests.exceptions.ConnectionError, requests.exceptions.InvalidURL,
                requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema) as exc:
            raise SyncError("offline", f"Không kết nối được máy chủ {self.server_url}. Kiểm tra Wi-Fi/3G và "
                            "địa chỉ máy chủ. Phiếu vẫn được giữ trên máy và sẽ được gửi lại.", str(exc)) from exc
        except requests.exceptions.RequestException as exc:
            raise SyncError("network", f"Lỗi mạng: {exc}. Phiếu vẫn được giữ trên máy.", str(exc)) from exc
        return self._read(resp, ok)

    def _read(self, resp: requests.Response, ok: tuple[int, ...]) -> dict[str, Any]:
        code = resp.status_code
        if code in ok:
            if not _is_json(resp):
                raise SyncError("not_json", "Máy chủ trả lời không đúng định dạng (có thể mạng Wi-Fi đang đòi đăng "
                                "nhập trước khi dùng). Phiếu chưa được gửi và vẫn được giữ trên máy.",
                                f"HTTP {code} answer is not JSON (captive portal?)", status=code)
            try:
                body = wire.loads(resp.content)
            except wire.WireError as exc:
                raise SyncError("bad_json", "Máy chủ trả lời bị hỏng hoặc không đầy đủ. Phiếu vẫn được giữ "
                                "trên máy và sẽ được gửi lại.", str(exc), status=code) from exc
            if not isinstance(body, dict) or body.get("protocol") != wire.PROTOCOL_VERSION:
                raise SyncError("bad_protocol", "Máy chủ không nói cùng phiên bản giao thức đồng bộ "
                                "(cần cập nhật ứng dụng hoặc máy chủ). Phiếu vẫn được giữ trên máy.",
                                f"unexpected protocol {body.get('protocol') if isinstance(body, dict) else None!r}",
                                status=code)
            return body
        env = _envelope(resp) if _is_json(resp) else None
        msg_vi = (env or {}).get("message_vi")
        msg_en = (env or {}).get("message") or f"HTTP {code}"
        err_code = (env or {}).get("code") or f"http_{code}"
        details = (env or {}).get("details") if isinstance((env or {}).get("details"), list) else []
        if code == 403 and err_code == "forbidden_group":
            raise SyncError(err_code, msg_vi or msg_en, msg_en, retryable=False, status=code, details=details)
        if code == 401 and err_code.startswith("enrollment_code"):
            # A wrong, used or expired code while enrolling: say so plainly (no device to re-enroll yet).
            raise SyncError(err_code, msg_vi or "Mã đăng ký không đúng", msg_en, retryable=False, status=code)
        if code in (401, 403):
            raise SyncError(err_code, (msg_vi or "Thiết bị chưa được cấp quyền hoặc quyền đã bị thu hồi/hết hạn")
                            + ". Liên hệ cán bộ phường để đăng ký lại thiết bị. Phiếu vẫn được giữ trên máy.",
                            msg_en, retryable=False, auth=True, status=code)
        if code >= 500 or code in (408, 429):
            raise SyncError(err_code, (msg_vi if code == 429 and msg_vi else
                                       f"Máy chủ đang bận hoặc gặp lỗi (mã {code}). Phiếu vẫn được giữ trên máy "
                                       "và sẽ được gửi lại."), msg_en, status=code, details=details)
        if env is None:
            raise SyncError(f"http_{code}", f"Máy chủ trả lời lỗi {code} không rõ nguyên nhân (sai địa chỉ máy "
                            "chủ?). Phiếu vẫn được giữ trên máy.", msg_en, status=code)
        raise SyncError(err_code, msg_vi or msg_en, msg_en, retryable=code in (409, 413), status=code,
                        details=details)

    # --- the three calls -----------------------------------------------------------------------

    def enroll(self, code: str, device_name: str) -> dict[str, Any]:
        body = wire.dumps({"protocol": wire.PROTOCOL_VERSION, "code": wire.format_enrollment_code(code),
                           "device_name": device_name[:80]})
        out = self._call("POST", "/api/v1/enroll", body, ok=(200, 201))
        if not isinstance(out.get("token"), str) or not out.get("device_id"):
            raise SyncError("bad_enroll", "Máy chủ không cấp mã thiết bị hợp lệ. Thử lại hoặc hỏi cán bộ phường.",
                            retryable=False)
        return out

    def push_bodies(self, bodies: list[str]) -> dict[str, Any]:
        """Push frozen submission bodies exactly as stored (canonical JSON text)."""
        text = '{"protocol":%d,"submissions":[%s]}' % (wire.PROTOCOL_VERSION, ",".join(bodies))
        out = self._call("POST", "/api/v1/sync/push", text.encode("utf-8"))
        if not isinstance(out.get("results"), list):
            raise SyncError("bad_results", "Máy chủ không trả lời kết quả cho từng phiếu. Phiếu vẫn được giữ "
                            "trên máy và sẽ được gửi lại.", "push answer without results")
        return out

    # --- attachments (docs/sync-protocol.md, "Attachments") -----------------------------------

    def check_attachments(self, hashes: list[str]) -> dict[str, Any]:
        """Which of ``hashes`` the server lacks (``missing``) and bytes it already has of those (``partial``)."""
        out = self._call("POST", "/api/v1/attachments/check",
                         wire.dumps({"protocol": wire.PROTOCOL_VERSION, "hashes": hashes}))
        if not isinstance(out.get("missing"), list):
            raise SyncError("bad_check", "Máy chủ trả lời không hợp lệ khi hỏi về ảnh.", "check answer malformed")
        return out

    def attachment_status(self, sha256: str) -> dict[str, Any]:
        return self._call("GET", f"/api/v1/attachments/{sha256}/status")

    def put_chunk(self, sha256: str, offset: int, total: int, data: bytes, household_id: str | None = None,
                  content_type: str = "image/jpeg") -> dict[str, Any]:
        import hashlib
        headers = {"Content-Type": content_type, "Content-Range": f"bytes {offset}-{offset + len(data) - 1}/{total}",
                   "X-Chunk-SHA256": hashlib.sha256(data).hexdigest()}
        params = {"household_id": household_id} if household_id else None
        return self._call("PUT", f"/api/v1/attachments/{sha256}", raw=data, headers=headers, params=params)

    def pull(self, cursor: int, limit: int = PULL_LIMIT) -> dict[str, Any]:
        out = self._call("GET", "/api/v1/sync/pull", params={"cursor": cursor, "limit": limit})
        if not isinstance(out.get("changes"), list) or not isinstance(out.get("cursor"), int):
            raise SyncError("bad_pull", "Máy chủ trả lời thay đổi không hợp lệ.", "pull answer malformed")
        return out


# One chunk per resized photo (~220 kB; 1280 px, q80) in one round trip: ~11 s at most on a 384 kbit/s
# uplink, well inside READ_TIMEOUT; a cut costs at most that chunk. The server takes chunks up to
# min(max_body_bytes, max_attachment_bytes) = 5 MB; the per-file and per-device-day limits are unchanged.
CHUNK_SIZE = 512 * 1024


def upload_file(client: SyncClient, sha256: str, data: bytes, household_id: str | None = None,
                chunk_size: int = CHUNK_SIZE, on_chunk: Callable[[int, int], None] | None = None,
                received: int | None = None) -> int:
    """Upload one content-addressed file, resuming from what the server already holds.

    ``received``: the bytes the server holds, when a ``check`` just said so (no status round trip;
    on 3G each one costs ~0.3 s per photo); otherwise the server is asked first.
    Returns the bytes sent now. A refused chunk (``chunk_corrupt``) is sent again; an offset
    disagreement resumes where the server says; a complete file with a wrong hash (``hash_mismatch``)
    starts again from 0 — each at most a few times, then the SyncError is raised.
    """
    total = len(data)
    if received is not None:
        offset = received if 0 <= received < total else 0
    else:
        st_ = client.attachment_status(sha256)
        if st_.get("complete"):
            return 0
        offset = int(st_.get("received") or 0) if st_.get("size") in (None, total) else 0
    sent, retries = 0, 0
    while offset < total:
        chunk = data[offset:offset + chunk_size]
        try:
            out = client.put_chunk(sha256, offset, total, chunk, household_id)
        except SyncError as exc:
            if exc.code in ("chunk_corrupt", "offset_mismatch", "hash_mismatch") and retries < 5:
                retries += 1
                sent += len(chunk) if exc.code != "offset_mismatch" else 0
                offset = int(exc.detail("received", 0 if exc.code == "hash_mismatch" else offset) or 0)
                continue
            raise
        sent += len(chunk)
        if on_chunk:
            on_chunk(len(chunk), offset + len(chunk))
        if out.get("complete"):
            return sent
        offset = int(out.get("received") or offset + len(chunk))
    return sent


def normalize_server_url(url: str) -> str:
    url = (url or "").strip().rstrip("/")
    if url and "://" not in url:
        url = "http://" + url
    return url


# --- applying the server's answers -------------------------------------------------------------

def receipt_problem(entry: dict[str, Any], result: dict[str, Any]) -> str | None:
    """Why a delivered-looking result is not a receipt for ``entry`` (None when it is one)."""
    receipt = result.get("receipt")
    if not isinstance(receipt, dict):
        return "no receipt"
    if receipt.get("submission_id") != entry["submission_id"]:
        return "receipt names another submission"
    if result["status"] in (wire.ACCEPTED, wire.DUPLICATE) and receipt.get("content_hash") != entry["content_hash"]:
        return "receipt content hash differs from what was sent"
    return None


ROUND_CLOSED = "round_closed"


def incomplete_note(n: int) -> str:
    return (f"Máy chủ đã nhận phiếu nhưng còn thiếu {n} ảnh; phiếu được giữ ở trạng thái chưa đủ và sẽ tự hoàn tất "
            "khi ảnh được gửi lên ở lần đồng bộ sau.")


def apply_result(store: LocalStore, entry: dict[str, Any], result: dict[str, Any], now: float,
                 conn: Any) -> str:
    """Record one per-record answer; returns the outbox state it leaves the row in."""
    status = result.get("status")
    hid = entry["household_id"]
    h = conn.execute("SELECT status, server_revision FROM households WHERE household_id = ?", (hid,)).fetchone()
    later = conn.execute("SELECT COUNT(*) FROM outbox WHERE household_id = ? AND seq > ? AND state IN (?, ?)",
                         (hid, entry["seq"], *st.PENDING_STATES)).fetchone()[0]
    latest = later == 0
    if status in wire.DELIVERED and receipt_problem(entry, result) is None:
        receipt = result["receipt"]
        store.move_entry(entry["seq"], "deliver", conn=conn, result_status=status, receipt=receipt,
                         problems=result.get("problems") or [], delivered_at=st.now_iso(now),
                         last_error_code=None, last_error_vi=None)
        fields: dict[str, Any] = {}
        srv = receipt.get("server_revision")
        if isinstance(srv, int) and (h is None or (h[1] or 0) < srv):
            fields["server_revision"] = srv
        missing = (result.get("incomplete") or {}).get("missing") if isinstance(result.get("incomplete"), dict) else None
        if status == wire.CONFLICT:
            fields["server_note"] = ("Phiếu đã đến máy chủ nhưng khác với bản đang lưu ở phường; "
                                     "đang chờ cán bộ phường xem xét.")
        elif missing:
            fields["server_note"] = incomplete_note(len(missing))
            # The server lacks them (e.g. restored from a backup): send them again at the next sync.
            conn.execute(f"UPDATE photos SET uploaded_at = NULL WHERE sha256 IN ({','.join('?' * len(missing))})",
                         [str(x) for x in missing])
        else:
            fields["server_note"] = None
        if result.get("classifications"):
            fields["server_classes"] = result["classifications"]
        if h is not None and latest and h[0] == st.WAITING:
            fields.update(status=st.SYNCED, return_reason=None, server_problems=None)
        if h is not None and fields:
            store.save_household(hid, conn=conn, **fields)
        return st.OB_DELIVERED
    if status == wire.REJECTED:
        problems = result.get("problems") or []
        closed = next((p for p in problems if isinstance(p, dict) and p.get("code") == ROUND_CLOSED), None)
        if closed is not None:
            # The review round is closed: the server's own Vietnamese message, nothing to fix on the form.
            msg = str(closed.get("message_vi") or "Kỳ rà soát đã đóng: máy chủ không nhận phiếu mới.")
            store.move_entry(entry["seq"], "reject", conn=conn, result_status=status,
                             problems=problems, last_error_code=ROUND_CLOSED, last_error_vi=msg)
            if h is not None and latest and h[0] == st.WAITING:
                store.save_household(hid, conn=conn, status=st.DRAFT, server_note=msg)
            return st.OB_REJECTED
        store.move_entry(entry["seq"], "reject", conn=conn, result_status=status, problems=problems,
                         last_error_code="rejected",
                         last_error_vi="Máy chủ chưa nhận phiếu: " + "; ".join(
                             str(p.get("message_vi") or p.get("path")) for p in problems[:3] if isinstance(p, dict)))
        if h is not None and latest and h[0] == st.WAITING:
            store.save_household(hid, conn=conn, status=st.DRAFT, server_problems=problems,
                                 server_note="Máy chủ trả lại: phiếu còn lỗi, xin sửa rồi gửi lại.")
        return st.OB_REJECTED
    why = receipt_problem(entry, result) if status in wire.DELIVERED else f"unknown status {status!r}"
    attempts = entry["attempts"]
    store.move_entry(entry["seq"], "fail", conn=conn, last_error_code="bad_receipt",
                     last_error_vi=f"Máy chủ trả lời không hợp lệ cho phiếu này ({why}); sẽ gửi lại.",
                     next_attempt_at=now + backoff_delay(attempts))
    return st.OB_FAILED


def apply_change(store: LocalStore, ch: dict[str, Any], conn: Any) -> None:
    """Apply one pulled change inside the caller's transaction. Unknown kinds are ignored."""
    kind = ch.get("kind")
    if kind == wire.KIND_ASSIGNMENT:
        code = ch.get("group_code")
        if code:
            info = {k: ch.get(k) for k in ("province_code", "ward_code", "area_type") if ch.get(k)}
            store.upsert_group(code, ch.get("group_name") or code, info, bool(ch.get("active", True)), conn=conn)
    elif kind == wire.KIND_HOUSEHOLD:
        _apply_household(store, ch, conn)
    elif kind == wire.KIND_RETURN:
        _apply_return(store, ch, conn)
    elif kind == wire.KIND_CLASSIFICATION:
        hid = ch.get("household_id")
        row = conn.execute("SELECT server_revision FROM households WHERE household_id = ?", (hid,)).fetchone()
        if row is not None and row[0] == ch.get("server_revision"):
            store.save_household(hid, conn=conn, server_classes=ch.get("results") or [])
    elif kind == wire.KIND_MERGE:
        hid = ch.get("household_id")
        if hid and conn.execute("SELECT 1 FROM households WHERE household_id = ?", (hid,)).fetchone():
            into = ch.get("into") or ch.get("merged_into") or ch.get("target_household_id") or ""
            store.save_household(hid, conn=conn, server_note=f"Văn phòng đã gộp hộ này với hộ khác {into}".strip())
    elif kind == wire.KIND_FORM:
        if ch.get("version") and isinstance(ch.get("definition"), dict):
            store.save_form(str(ch["version"]), ch["definition"], conn=conn)
    elif kind == wire.KIND_SUPPORT:            # support received and open needs (mobile/support.py)
        from . import support
        support.apply_change(conn, ch)
    elif kind == wire.KIND_STANDARD:
        sid = ch.get("standard_id")
        if sid and isinstance(ch.get("definition"), dict):
            conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                         (f"standard:{sid}", json.dumps(ch["definition"], ensure_ascii=False)))
    elif kind == wire.KIND_ROUND:
        # The round the office works in: its standards drive the preview (shared/rounds.py).
        conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                     ("round:current", json.dumps({k: v for k, v in ch.items() if k not in ("seq", "kind")},
                                                  ensure_ascii=False)))


def _apply_household(store: LocalStore, ch: dict[str, Any], conn: Any) -> None:
    from .collect import summary_columns
    hid, answers, srv = ch.get("household_id"), ch.get("answers"), ch.get("server_revision")
    if not hid or not isinstance(answers, dict):
        return
    row = conn.execute("SELECT status, server_revision, preloaded FROM households WHERE household_id = ?",
                       (hid,)).fetchone()
    pending = conn.execute("SELECT COUNT(*) FROM outbox WHERE household_id = ? AND state IN (?, ?)",
                           (hid, *st.PENDING_STATES)).fetchone()[0]
    group = ch.get("group_code") or (answers.get("area") or {}).get("group_code") or ""
    preload = ch.get("status") == "preloaded"
    if row is None:
        store.save_household(hid, conn=conn, group_code=group, doc=answers, raw={},
                             status=st.NOT_STARTED if preload else st.SYNCED, preloaded=int(preload),
                             server_revision=srv, revision=0, form_version=answers.get("form_version"),
                             **summary_columns(answers))
        return
    status, local_srv, was_preloaded = row
    if status == st.RETURNED and isinstance(srv, int) and (local_srv or 0) < srv:
        # Someone (the office) saved a newer revision after the return: take it, keep the reason.
        if pending == 0:
            store.save_household(hid, conn=conn, doc=answers, raw={}, server_revision=srv, **summary_columns(answers))
        return
    untouched = status == st.NOT_STARTED or (status == st.SYNCED and pending == 0)
    if untouched and isinstance(srv, int) and (local_srv or 0) < srv:
        # A revision reviewed since the preload (another tablet, the office: e.g. marked moved away) is no
        # longer a household to start: show it as synced, with that revision's answers.
        reviewed = {"status": st.SYNCED, "preloaded": 0} if status == st.NOT_STARTED and not preload else {}
        store.save_household(hid, conn=conn, doc=answers, raw={}, server_revision=srv, group_code=group,
                             form_version=answers.get("form_version"), **reviewed, **summary_columns(answers))


def _apply_return(store: LocalStore, ch: dict[str, Any], conn: Any) -> None:
    hid = ch.get("household_id")
    row = conn.execute("SELECT server_revision FROM households WHERE household_id = ?", (hid,)).fetchone()
    if row is None:
        return
    srv = ch.get("server_revision")
    rid = str(ch.get("return_id") or f"{hid}:{srv}")
    conn.execute("INSERT OR REPLACE INTO returns (return_id, household_id, reason, returned_by, returned_at, "
                 "server_revision) VALUES (?, ?, ?, ?, ?, ?)",
                 (rid, hid, ch.get("reason") or "", ch.get("returned_by") or "", ch.get("returned_at") or "", srv))
    if isinstance(srv, int) and (row[0] or 0) > srv:
        return      # already resent: a newer revision than the returned one holds a receipt
    fields: dict[str, Any] = {"status": st.RETURNED, "return_reason": ch.get("reason") or ""}
    if isinstance(srv, int):
        fields["server_revision"] = srv
    store.save_household(hid, conn=conn, **fields)


# --- the worker --------------------------------------------------------------------------------

@dataclass
class Progress:
    """What the sync screen shows; sent to the UI after every step."""
    phase: str = "idle"                 # idle / push / pull / done / error
    total: int = 0
    done: int = 0
    sent: int = 0
    failed: int = 0
    rejected: int = 0
    message_vi: str = ""
    error_code: str | None = None
    photos_total: int = 0
    photos_sent: int = 0
    photo_bytes: int = 0
    photo_bytes_total: int = 0          # bytes of the photos this run sends (sizes on the tablet)
    photo_errors: int = 0
    started_at: float = 0.0             # epoch of the run's start (the screen shows the time taken)
    finished_at: float = 0.0
    cancelled: bool = False
    results: list[dict[str, Any]] = field(default_factory=list)    # per record: household, status, message

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__, results=list(self.results))


class SyncWorker:
    """Runs sync in a background thread; ``request()`` wakes it (manual runs ignore back-off)."""

    def __init__(self, open_store: Callable[[], LocalStore], on_progress: Callable[[dict[str, Any]], None],
                 session_factory: Callable[[], requests.Session] = requests.Session,
                 clock: Callable[[], float] = time.time, auto_interval: float = AUTO_INTERVAL,
                 timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT), batch_size: int = BATCH_SIZE):
        self.open_store = open_store
        self.on_progress = on_progress
        self.session_factory = session_factory
        self.clock = clock
        self.auto_interval = auto_interval
        self.timeout = timeout
        self.batch_size = batch_size
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._manual = False
        self._thread: threading.Thread | None = None
        self._tried: set[int] = set()
        self._cancel = threading.Event()
        self.running = False

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="rasoat-sync", daemon=True)
            self._thread.start()

    def stop(self, wait: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(wait)

    def request(self, manual: bool = True) -> None:
        self._manual = self._manual or manual
        self._wake.set()

    def cancel(self) -> None:
        """Stop the run after the step in flight (a batch whose answer is awaited gets its receipts);
        everything not sent stays queued, unchanged, for the next run."""
        if self.running:
            self._cancel.set()

    def _loop(self) -> None:
        store = self.open_store()
        try:
            first = True
            while not self._stop.is_set():
                if not first:
                    self._wake.wait(self.auto_interval)
                first = False
                if self._stop.is_set():
                    break
                manual, self._manual = self._manual, False
                self._wake.clear()
                has_work = bool(store.pending()) or bool(store.photos_to_upload())
                if manual or has_work:
                    try:
                        self.run_once(store, manual=manual)
                    except Exception as exc:   # never let the thread die; show the error
                        self._report(Progress(phase="error", message_vi=f"Lỗi khi đồng bộ: {exc}",
                                              error_code="internal"))
        finally:
            store.close()

    def _report(self, p: Progress) -> None:
        try:
            self.on_progress(p.as_dict())
        except Exception:   # a broken progress display must not stop delivering records
            log.exception("progress callback failed")

    def run_once(self, store: LocalStore, manual: bool = True) -> Progress:
        """One sync: push what is due, then pull. Returns the final progress (also reported)."""
        self.running = True
        try:
            return self._run(store, manual)
        finally:
            self.running = False

    def _run(self, store: LocalStore, manual: bool) -> Progress:
        self._tried = set()
        self._cancel.clear()
        url, token = store.get("server_url"), store.get("token")
        p = Progress(phase="push", started_at=self.clock())
        if not url or not token:
            p.phase, p.error_code = "error", "not_enrolled"
            p.message_vi = "Máy chưa được đăng ký với máy chủ phường."
            self._report(p)
            return p
        client = SyncClient(url, token, self.session_factory(), self.timeout)
        now = self.clock()
        due = [e for e in store.pending() if manual or (e["next_attempt_at"] or 0) <= now]
        p.total = len(due)
        p.message_vi = f"Đang gửi {p.total} phiếu…" if p.total else "Không có phiếu nào cần gửi."
        self._report(p)
        store.set(last_sync_attempt_at=st.now_iso(now))
        error: SyncError | None = None
        try:
            error = self._upload_photos(store, client, p)      # attachments go before the submissions
        except StoreError as exc:
            error = SyncError(exc.code, exc.message_vi, exc.message_en, retryable=False)
        pushing = error is None                 # a failed photo upload (network) stops the run here
        while pushing:
            if self._cancel.is_set():
                break
            batch = self._next_batch(store, manual)
            if not batch:
                break
            try:
                error = self._push_batch(store, client, batch, p)
            except StoreError as exc:
                error = SyncError(exc.code, exc.message_vi, exc.message_en, retryable=False)
            if error is not None and (error.auth or not error.retryable or error.code in
                                      ("offline", "timeout", "tls", "not_json")):
                break
            self._report(p)
        if error is None and self._cancel.is_set():
            p.phase, p.cancelled, p.finished_at = "cancelled", True, self.clock()
            left = len(store.pending())
            p.message_vi = (f"Đã dừng đồng bộ: đã gửi {p.sent} phiếu; {left} phiếu vẫn giữ trên máy, "
                            "chờ gửi ở lần đồng bộ sau.")
            self._report(p)
            return p
        if error is None:
            try:                                 # needs noted at the door (mobile/support.py)
                from . import support
                support.push_needs(store, client)
            except SyncError as exc:
                error = exc
            except StoreError as exc:
                error = SyncError(exc.code, exc.message_vi, exc.message_en, retryable=False)
        if error is None:
            p.phase = "pull"
            p.message_vi = "Đang nhận thay đổi từ máy chủ…"
            self._report(p)
            try:
                self._pull(store, client)
            except SyncError as exc:
                error = exc
            except StoreError as exc:
                error = SyncError(exc.code, exc.message_vi, exc.message_en, retryable=False)
        if error is not None:
            p.phase, p.error_code, p.message_vi = "error", error.code, error.message_vi
            store.set(last_sync_error={"code": error.code, "message_vi": error.message_vi, "at": st.now_iso()})
            if error.auth:
                store.set(auth_error=error.message_vi)
        else:
            p.phase = "done"
            p.message_vi = (f"Đồng bộ xong: đã gửi {p.sent} phiếu" + (f", {p.rejected} phiếu bị trả về cần sửa"
                                                                      if p.rejected else "") + ".")
            store.set(last_sync_ok_at=st.now_iso(), last_sync_error=None, auth_error=None)
        p.finished_at = self.clock()
        self._report(p)
        return p

    def _upload_photos(self, store: LocalStore, client: SyncClient, p: Progress) -> SyncError | None:
        """Send the photos the server lacks (asked by hash first), each resumable.

        A network failure stops the run (the submissions would not go either). A refusal of one
        file (too large, daily limit, another group's household) is noted on it; the submissions
        still go and the server holds them as incomplete until the file arrives.
        """
        todo = store.photos_to_upload()
        if not todo:
            return None
        data_dir = store.path.parent
        try:
            answer = client.check_attachments([ph["sha256"] for ph in todo])
        except SyncError as exc:
            return exc
        missing = set(answer["missing"])
        partial = answer.get("partial") or {}
        for ph in todo:
            if ph["sha256"] not in missing:
                store.mark_photo(ph["sha256"], True)
        todo = [ph for ph in todo if ph["sha256"] in missing]
        p.photos_total = len(todo)
        p.photo_bytes_total = sum(int(ph.get("size") or 0) for ph in todo)
        for i, ph in enumerate(todo):
            if self._cancel.is_set():
                return None
            p.message_vi = f"Đang gửi ảnh {i + 1}/{len(todo)}…"
            self._report(p)
            path = Path(ph["path"]) if ph.get("path") else None
            if path is None or not path.exists():
                from .evidence import photo_path
                path = photo_path(data_dir, ph["sha256"])
            try:
                data = path.read_bytes()
            except OSError:
                store.mark_photo(ph["sha256"], False, "Không tìm thấy tệp ảnh trên máy; hãy chụp lại ảnh này.")
                continue
            try:
                held = partial.get(ph["sha256"], 0)
                before = p.photo_bytes

                def chunk_sent(n: int, _offset: int) -> None:
                    p.photo_bytes += n
                    self._report(p)
                sent = upload_file(client, ph["sha256"], data, ph.get("household_id"),
                                   received=held if isinstance(held, int) else None, on_chunk=chunk_sent)
                p.photo_bytes = before
            except SyncError as exc:
                if exc.code in ("offline", "timeout", "tls", "not_json", "network") or exc.auth:
                    return exc
                store.mark_photo(ph["sha256"], False, exc.message_vi)
                p.photo_errors += 1
                continue
            p.photo_bytes += sent
            p.photos_sent += 1
            store.mark_photo(ph["sha256"], True)
            p.message_vi = f"Đã gửi ảnh {p.photos_sent}/{len(todo)}; đang gửi phiếu…"
            self._report(p)
        return None

    def _next_batch(self, store: LocalStore, manual: bool) -> list[dict[str, Any]]:
        """Due rows, at most one per household (its oldest: later edits wait for that receipt)."""
        now = self.clock()
        seen: set[str] = set()
        out = []
        for e in store.pending():
            if e["household_id"] in seen:
                continue
            seen.add(e["household_id"])
            if e["seq"] in self._tried:      # failed earlier in this run: wait for the next run
                continue
            if not manual and (e["next_attempt_at"] or 0) > now:
                continue
            out.append(e)
            if len(out) >= self.batch_size:
                break
        return out

    def _push_batch(self, store: LocalStore, client: SyncClient, batch: list[dict[str, Any]],
                    p: Progress) -> SyncError | None:
        now = self.clock()
        bodies = []
        for e in list(batch):
            self._tried.add(e["seq"])
            if not e["frozen"]:
                h = store.household(e["household_id"]) or {}
                if store.freeze(e["seq"], h.get("server_revision"), st.now_iso(now)) is None:
                    batch.remove(e)
                    continue
            e.update(store.outbox_entry(e["submission_id"]))
            bodies.append(e["body"])
        if not batch:
            return None
        try:
            answer = client.push_bodies(bodies)
        except SyncError as exc:
            with store.tx() as c:
                for e in batch:
                    attempts = (e["attempts"] or 0) + 1
                    store.move_entry(e["seq"], "fail", conn=c, attempts=attempts,
                                     last_error_code=exc.code, last_error_vi=exc.message_vi,
                                     next_attempt_at=now + backoff_delay(attempts))
            p.failed += len(batch)
            p.done += len(batch)
            for e in batch:
                p.results.append(self._row(store, e, "failed", exc.message_vi))
            return exc
        by_id = {r.get("submission_id"): r for r in answer["results"] if isinstance(r, dict)}
        with store.tx() as c:
            for e in batch:
                e["attempts"] = (e["attempts"] or 0) + 1
                store.update_entry(e["seq"], conn=c, attempts=e["attempts"])
                result = by_id.get(e["submission_id"])
                if result is None:
                    state = st.OB_FAILED
                    store.move_entry(e["seq"], "fail", conn=c, last_error_code="missing_result",
                                     last_error_vi="Máy chủ không trả lời cho phiếu này; sẽ gửi lại.",
                                     next_attempt_at=now + backoff_delay(e["attempts"]))
                else:
                    state = apply_result(store, e, result, now, c)
                if state == st.OB_DELIVERED:
                    p.sent += 1
                    msg = ("Đã gửi, máy chủ đã nhận" if result["status"] != wire.CONFLICT
                           else "Đã đến máy chủ; chờ cán bộ phường xem xét")
                    inc = result.get("incomplete") if isinstance(result.get("incomplete"), dict) else None
                    if inc and inc.get("missing"):
                        msg = incomplete_note(len(inc["missing"]))
                elif state == st.OB_REJECTED and store.outbox_entry(e["submission_id"]).get(
                        "last_error_code") == ROUND_CLOSED:
                    p.rejected += 1
                    msg = store.outbox_entry(e["submission_id"])["last_error_vi"]
                elif state == st.OB_REJECTED:
                    p.rejected += 1
                    msg = "Máy chủ trả lại: " + "; ".join(str(x.get("message_vi")) for x in
                                                          (result.get("problems") or [])[:3] if isinstance(x, dict))
                else:
                    p.failed += 1
                    msg = "Chưa gửi được; sẽ gửi lại"
                p.done += 1
                p.results.append(self._row(store, e, state, msg))
        return None

    @staticmethod
    def _row(store: LocalStore, e: dict[str, Any], state: str, msg: str) -> dict[str, Any]:
        h = store.household(e["household_id"]) or {}
        return {"household_id": e["household_id"], "head_name": h.get("head_name") or "",
                "address": h.get("address") or "", "state": state, "message_vi": msg,
                "submission_id": e["submission_id"]}

    def _pull(self, store: LocalStore, client: SyncClient) -> None:
        cursor = int(store.get("cursor", 0) or 0)
        for _ in range(1000):
            try:
                page = client.pull(cursor)
            except SyncError as exc:
                if exc.code == "cursor_ahead" and cursor:
                    cursor = 0          # the server was restored from a backup: start again
                    continue
                raise
            with store.tx() as c:
                for ch in page["changes"]:
                    if isinstance(ch, dict):
                        apply_change(store, ch, c)
                c.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('cursor', ?)",
                          (json.dumps(page["cursor"]),))
            cursor = page["cursor"]
            if not page.get("more"):
                break

