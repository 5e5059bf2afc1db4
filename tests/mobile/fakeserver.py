"""A small in-process server speaking sync protocol v1 (docs/sync-protocol.md), for client tests.

It follows the documented contract, not the real server's code: per-record
results, duplicate = same id + same content hash (original receipt), conflict =
same id + other content or a stale base, rejected = validation errors. Failure
modes are switched by setting ``mode``: "ok", "html" (captive portal: 200 +
HTML), "500", "drop" (close the connection), "slow" (sleep before answering),
"lost_answer" (store the batch, then fail the connection: the receipt is lost).
"""
from __future__ import annotations

import datetime as dt
import gzip
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from shared import wire
from shared.validation import errors, validate


class FakeServer:
    def __init__(self) -> None:
        self.codes: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, str] = {}            # token -> device id
        self.revoked: set[str] = set()
        self.submissions: dict[str, dict[str, Any]] = {}   # submission_id -> stored
        self.households: dict[str, dict[str, Any]] = {}    # household_id -> {server_revision, answers, ...}
        self.changes: list[dict[str, Any]] = []
        self.mode = "ok"
        self.slow_seconds = 1.0
        self.push_calls = 0
        self.pushed_ids: list[str] = []
        self.raw_bodies: list[bytes] = []
        self.lock = threading.RLock()
        self.groups = [{"code": "KP01", "name": "Khu phố 1", "province_code": "22", "ward_code": "BAICHAY",
                        "area_type": "urban"}]
        self.httpd: ThreadingHTTPServer | None = None

    # --- office-side helpers --------------------------------------------------------------------

    def new_code(self, collaborator: str = "Nguyễn Văn Demo") -> str:
        code = "ABCD-EFGH-" + uuid.uuid4().hex[:4].upper()
        self.codes[wire.normalize_enrollment_code(code)] = {"name": collaborator, "used": False}
        return code

    def add_change(self, kind: str, **payload: Any) -> None:
        with self.lock:
            self.changes.append({"seq": len(self.changes) + 1, "kind": kind, **payload})

    def preload(self, doc: dict[str, Any], revision: int = 1) -> None:
        hid = doc["household_id"]
        self.households[hid] = {"server_revision": revision, "answers": doc, "status": "preloaded"}
        self.add_change("household", household_id=hid, submission_id=str(uuid.uuid4()), server_revision=revision,
                        group_code=doc["area"]["group_code"], status="preloaded", answers=doc)

    def return_household(self, hid: str, reason: str) -> None:
        h = self.households[hid]
        h["status"] = "returned"
        self.add_change("return", return_id=len(self.changes) + 1, household_id=hid,
                        server_revision=h["server_revision"], reason=reason, returned_by="Cán bộ phường",
                        returned_at="2025-10-03T08:00:00+07:00")

    # --- protocol -------------------------------------------------------------------------------

    def enroll(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        key = wire.normalize_enrollment_code(body.get("code") or "")
        c = self.codes.get(key)
        if c is None or c["used"]:
            return 401, {"error": {"code": "enrollment_code_unknown", "message": "Unknown enrollment code",
                                   "message_vi": "Mã đăng ký không đúng", "details": []}}
        c["used"] = True
        token, device = "dev_" + uuid.uuid4().hex, str(uuid.uuid4())
        self.tokens[token] = device
        for g in self.groups:
            self.add_change("assignment", group_code=g["code"], group_name=g["name"], active=True,
                            province_code=g["province_code"], ward_code=g["ward_code"], area_type=g["area_type"])
        return 201, {"protocol": 1, "device_id": device, "token": token,
                     "collaborator": {"id": 1, "name": c["name"]},
                     "groups": [{"code": g["code"], "name": g["name"]} for g in self.groups],
                     "server_time": "2025-10-02T08:00:00+07:00"}

    def push_one(self, sub: dict[str, Any]) -> dict[str, Any]:
        sid = sub["submission_id"]
        h = wire.content_hash(sub)
        if sid in self.submissions:
            stored = self.submissions[sid]
            if stored["content_hash"] == h:
                return {"submission_id": sid, "status": "duplicate", "receipt": stored["receipt"]}
            return {"submission_id": sid, "status": "conflict", "receipt": stored["receipt"],
                    "conflict": {"reason": "different_content"}}
        probs = errors(validate(wire.answers_with_envelope(sub), today=dt.date.today()))
        if probs:
            return {"submission_id": sid, "status": "rejected", "problems": [p.to_dict() for p in probs]}
        hid = sub["household_id"]
        cur = self.households.get(hid)
        status, reason = "accepted", None
        base = sub.get("base_revision")
        if cur is None and base is not None or cur is not None and base is not None and base > cur["server_revision"]:
            status, reason = "conflict", "unknown_base"
        elif cur is not None and (base or 0) < cur["server_revision"]:
            status, reason = "conflict", "stale_base"
        rev = (cur["server_revision"] if cur else 0) + (1 if status == "accepted" else 0)
        receipt = {"receipt_id": str(uuid.uuid4()), "submission_id": sid, "household_id": hid,
                   "server_revision": rev if status == "accepted" else None, "content_hash": h,
                   "received_at": "2025-10-02T10:00:00+07:00"}
        self.submissions[sid] = {"content_hash": h, "receipt": receipt, "body": sub}
        if status == "accepted":
            self.households[hid] = {"server_revision": rev, "answers": sub["answers"], "status": "submitted"}
            self.add_change("household", household_id=hid, submission_id=sid, server_revision=rev,
                            group_code=sub["answers"]["area"]["group_code"], status="submitted",
                            answers=sub["answers"])
            return {"submission_id": sid, "status": "accepted", "receipt": receipt, "problems": [],
                    "classifications": [{"standard_id": "vn-national-2022-2025", "class": "poor"}]}
        return {"submission_id": sid, "status": "conflict", "receipt": receipt, "conflict": {"reason": reason}}

    # --- HTTP -----------------------------------------------------------------------------------

    def start(self) -> str:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: Any) -> None:
                pass

            def _send(self, code: int, obj: Any, ctype: str = "application/json") -> None:
                data = obj if isinstance(obj, bytes) else json.dumps(obj, ensure_ascii=False).encode()
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _auth(self) -> bool:
                tok = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                if tok not in server.tokens or tok in server.revoked:
                    self._send(401, {"error": {"code": "token_revoked", "message": "Device token was revoked",
                                               "message_vi": "Thiết bị đã bị thu hồi quyền đồng bộ",
                                               "details": []}})
                    return False
                return True

            def _mode(self) -> bool:
                m = server.mode
                if m == "slow":
                    time.sleep(server.slow_seconds)
                if m == "html":
                    self._send(200, b"<html><body>Login to WiFi</body></html>", "text/html")
                    return False
                if m == "500":
                    self._send(500, b"Internal Server Error", "text/plain")
                    return False
                if m == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return False
                return True

            def _body(self) -> dict[str, Any]:
                data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.raw_bodies.append(data)
                if self.headers.get("Content-Encoding") == "gzip":
                    data = gzip.decompress(data)
                return json.loads(data)

            def do_POST(self) -> None:
                if not self._mode():
                    return
                path = urlsplit(self.path).path
                if path == "/api/v1/enroll":
                    code, out = server.enroll(self._body())
                    self._send(code, out)
                elif path == "/api/v1/sync/push":
                    if not self._auth():
                        return
                    body = self._body()
                    with server.lock:
                        server.push_calls += 1
                        results = []
                        for sub in body["submissions"]:
                            server.pushed_ids.append(sub["submission_id"])
                            results.append(server.push_one(sub))
                    if server.mode == "lost_answer":
                        self.close_connection = True
                        self.connection.close()
                        return
                    self._send(200, {"protocol": 1, "server_time": "2025-10-02T10:00:00+07:00", "results": results})
                else:
                    self._send(404, {"error": {"code": "not_found", "message": "no", "message_vi": "Không có",
                                               "details": []}})

            def do_GET(self) -> None:
                if not self._mode():
                    return
                u = urlsplit(self.path)
                if u.path != "/api/v1/sync/pull":
                    self._send(404, {"error": {"code": "not_found", "message": "no", "message_vi": "Không có",
                                               "details": []}})
                    return
                if not self._auth():
                    return
                q = parse_qs(u.query)
                cursor, limit = int(q.get("cursor", ["0"])[0]), int(q.get("limit", ["500"])[0])
                with server.lock:
                    rows = [c for c in server.changes if c["seq"] > cursor]
                    page, more = rows[:limit], len(rows) > limit
                    nxt = page[-1]["seq"] if page else cursor
                self._send(200, {"protocol": 1, "cursor": nxt, "more": more, "changes": page})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
