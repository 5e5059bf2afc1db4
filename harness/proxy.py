"""A small TCP proxy on loopback that can lose a push's answer after the server committed it.

``drop_push_responses(n)``: the next ``n`` connections carrying ``POST /api/v1/sync/push`` get their
request through to the server; as soon as the server's first response byte arrives (the server answers
only after the batch is committed) the proxy resets the tablet's connection (RST) and discards the answer.
"""
from __future__ import annotations

import socket
import struct
import threading
from typing import Any

from .common import LOOPBACK


class DropProxy:
    def __init__(self, upstream_port: int):
        self.upstream = (LOOPBACK, upstream_port)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://{LOOPBACK}:{self.port}"
        self._lock = threading.Lock()
        self._to_drop = 0
        self.dropped = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def drop_push_responses(self, n: int = 1) -> None:
        with self._lock:
            self._to_drop = n

    def start(self) -> "DropProxy":
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> "DropProxy":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(self.upstream, timeout=60)
        except OSError:
            client.close()
            return
        state = {"drop": False}

        def reset(s: socket.socket) -> None:
            try:   # RST instead of FIN: the tablet sees "connection reset", as when Wi-Fi drops
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.shutdown(socket.SHUT_RDWR)      # wakes the thread blocked in recv() on it
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass

        def up() -> None:        # tablet → server
            try:
                while True:
                    data = client.recv(65536)
                    if not data:
                        break
                    if data.startswith(b"POST /api/v1/sync/push"):
                        with self._lock:
                            if self._to_drop > 0:
                                self._to_drop -= 1
                                state["drop"] = True
                    server.sendall(data)
            except OSError:
                pass
            try:
                server.shutdown(socket.SHUT_WR)
            except OSError:
                pass

        t = threading.Thread(target=up, daemon=True)
        t.start()
        try:
            while True:
                data = server.recv(65536)
                if not data:
                    break
                if state["drop"]:
                    with self._lock:
                        self.dropped += 1
                    reset(client)
                    server.close()
                    return
                client.sendall(data)
        except OSError:
            pass
        for s in (client, server):
            try:
                s.close()
            except OSError:
                pass
