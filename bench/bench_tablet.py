"""Tablet figures (docs/performance.md, "Tablet"):

1. cold start of the app to a filled household list (5,000 households in the local store);
2. filtering 5,000 households in the list (presenter scan; and the same with the RecycleView refresh);
3. syncing 30 households to the real server through a loopback proxy throttled to 3G
   (384 kbit/s up, 1.5 Mbit/s down, 150 ms one-way delay), against the same without the proxy.

    .venv/bin/python bench/bench_tablet.py            # re-runs itself under xvfb-run when there is no display
    .venv/bin/python bench/bench_tablet.py --only list   # just 1 and 2 (the window and the list)
    .venv/bin/python bench/bench_tablet.py --only sync   # just 3
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KIVY_NO_ARGS", "1")
if os.environ.get("RASOAT_BENCH_QUIET", "1") == "1":
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")

UP_BPS, DOWN_BPS, DELAY = 384_000 / 8, 1_500_000 / 8, 0.150


# --- a store with N households -----------------------------------------------------------------

def seeded_store(data_dir: Path, n: int) -> None:
    from mobile import store as st
    from mobile.collect import summary_columns
    from shared.synthetic import generate_ward

    store = st.LocalStore.in_dir(data_dir)
    store.set(server_url="http://127.0.0.1:9", token="bench", collaborator={"name": "Bench"})
    for g in ("KP01", "KP02", "KP03"):
        store.upsert_group(g, g, {"province_code": "22", "ward_code": "BAICHAY", "area_type": "urban"})
    with store.tx() as c:
        for i, doc in enumerate(generate_ward(n, seed=11, groups=("KP01", "KP02", "KP03"))):
            store.save_household(doc["household_id"], conn=c, group_code=doc["area"]["group_code"], doc=doc, raw={},
                                 status=st.STATUSES[i % 6], preloaded=1, form_version=doc["form_version"],
                                 **summary_columns(doc))
    store.close()


# --- 1 and 2: in a child process with a window --------------------------------------------------

def child_start(data_dir: str, t0: float) -> None:
    """Start the app; print JSON figures once the list shows, then quit."""
    from kivy.clock import Clock
    from kivy.core.window import Window

    from mobile.app import RasoatApp

    app = RasoatApp(data_dir=data_dir, auto_sync_interval=3600)
    out: dict[str, float] = {}

    def ready(_dt: float) -> None:
        if not app.list_p.rows or not app.sm.get_screen("households").ids.hh_list.data:
            Clock.schedule_once(ready, 0)
            return
        out["cold_start_s"] = time.time() - t0
        Clock.schedule_once(filter_ui, 0.5)

    queries = ["nguyen", "tran thi", "hung", "12/3", "le van an", ""]
    times: list[float] = []
    laid_out: list[float] = []                                 # filter → layout done, before GL drawing
    flipped: list[float] = []                                  # filter → the first frame after it is shown
    cpu: list[float] = []                                      # CPU time spent for that (less noisy when shared)
    mark: dict[str, float] = {}

    def on_draw(*_a: object) -> None:                          # bound handlers run before Kivy draws
        if "t" in mark and "layout" not in mark:
            mark["layout"] = time.perf_counter() - mark["t"]
    Window.bind(on_draw=on_draw)
    real_flip = Window.flip

    def flip() -> None:                                        # the frame is on screen when flip returns
        real_flip()
        if "layout" in mark and "flip" not in mark:
            mark["flip"] = time.perf_counter() - mark["t"]
            mark["cpu"] = time.process_time() - mark["cpu0"]     # all threads, Mesa's rasteriser included
    Window.flip = flip

    def filter_ui(_dt: float) -> None:
        q = queries[len(times) % len(queries)]
        mark.clear()
        mark["cpu0"] = time.process_time()
        t = mark["t"] = time.perf_counter()
        app.list_p.set_query(q)                               # presenter filter, then rv.data = rows

        def drawn(_dt: float) -> None:                        # two frames later the list is laid out and drawn
            times.append(time.perf_counter() - t)
            laid_out.append(mark.get("layout", times[-1]))
            flipped.append(mark.get("flip", times[-1]))
            cpu.append(mark.get("cpu", 0.0))
            if len(times) < 30:
                Clock.schedule_once(filter_ui, 0)
            else:
                out["filter_to_drawn_ms_median"] = statistics.median(times) * 1000
                out["filter_to_drawn_ms_max"] = max(times) * 1000
                out["filter_to_laid_out_ms_median"] = statistics.median(laid_out) * 1000
                out["filter_to_laid_out_ms_max"] = max(laid_out) * 1000
                out["filter_to_frame_shown_ms_median"] = statistics.median(flipped) * 1000
                out["filter_to_frame_shown_ms_max"] = max(flipped) * 1000
                out["filter_to_frame_shown_cpu_ms_median"] = statistics.median(cpu) * 1000
                print("FIGURES " + json.dumps(out), flush=True)
                app.stop()
        Clock.schedule_once(lambda _dt: Clock.schedule_once(drawn, 0), 0)

    Clock.schedule_once(ready, 0)
    app.run()


def measure_start(n: int) -> dict[str, float]:
    d = Path(tempfile.mkdtemp(prefix="bench-tablet-"))
    seeded_store(d, n)
    runs = []
    for _ in range(3):
        t0 = time.time()
        r = subprocess.run([sys.executable, __file__, "--child-start", str(d), str(t0)], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
        line = next((x for x in r.stdout.splitlines() if x.startswith("FIGURES ")), None)
        if line is None:
            raise RuntimeError(r.stderr[-2000:])
        runs.append(json.loads(line[8:]))
    shutil.rmtree(d, ignore_errors=True)
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def measure_filter(n: int) -> dict[str, float]:
    from mobile.presenters import HouseholdListPresenter
    from mobile.store import LocalStore

    d = Path(tempfile.mkdtemp(prefix="bench-tablet-"))
    seeded_store(d, n)
    store = LocalStore.in_dir(d)
    p = HouseholdListPresenter(store)
    t = time.perf_counter()
    p.reload()
    load = time.perf_counter() - t
    times = []
    for q in ["nguyen", "tran thi", "hung", "12/3", "le van an", "xyz", ""] * 5:
        t = time.perf_counter()
        p.set_query(q)
        times.append(time.perf_counter() - t)
    p.set_status("draft")
    t = time.perf_counter()
    p.set_query("thi")
    status_q = time.perf_counter() - t
    store.close()
    shutil.rmtree(d, ignore_errors=True)
    return {"load_rows_ms": load * 1000, "filter_ms_median": statistics.median(times) * 1000,
            "filter_ms_max": max(times) * 1000, "filter_with_status_ms": status_q * 1000}


# --- 3: a throttling proxy on loopback -------------------------------------------------------------

class ThrottleProxy:
    """TCP proxy: each direction delivers bytes after DELAY, at most ``rate`` bytes/s."""

    def __init__(self, target: tuple[str, int], up_bps: float, down_bps: float, delay: float):
        self.target, self.up, self.down, self.delay = target, up_bps, down_bps, delay
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.bytes_up = self.bytes_down = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            for src, dst, rate, up in ((client, server, self.up, True), (server, client, self.down, False)):
                threading.Thread(target=self._pipe, args=(src, dst, rate, up), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, rate: float, up: bool) -> None:
        import queue
        q: "queue.Queue[tuple[float, bytes]]" = queue.Queue()

        def writer() -> None:
            free_at = 0.0                       # when the link is free again (serialisation)
            while True:
                due, data = q.get()
                if not data:
                    try:
                        dst.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    return
                start = max(due, free_at)
                free_at = start + len(data) / rate
                pause = free_at - time.time()
                if pause > 0:
                    time.sleep(pause)
                try:
                    dst.sendall(data)
                except OSError:
                    return
        threading.Thread(target=writer, daemon=True).start()
        while True:
            try:
                data = src.recv(4096)
            except OSError:
                data = b""
            if up:
                self.bytes_up += len(data)
            else:
                self.bytes_down += len(data)
            q.put((time.time() + self.delay, data))
            if not data:
                return

    def close(self) -> None:
        self.sock.close()


def measure_sync(households: int = 30) -> dict[str, float]:
    from mobile import store as st
    from mobile.collect import Collection, summary_columns
    from mobile.sync import SyncClient, SyncWorker
    from shared.synthetic import generate_ward
    from tests.mobile.realserver import RealServer

    out: dict[str, float] = {}
    for label, throttled in (("loopback", False), ("3g", True)):
        srv_dir = Path(tempfile.mkdtemp(prefix="bench-srv-"))
        server = RealServer(srv_dir, households=60)
        server.start()
        proxy = ThrottleProxy(("127.0.0.1", server.port), UP_BPS, DOWN_BPS, DELAY) if throttled else None
        url = f"http://127.0.0.1:{proxy.port}" if proxy else server.url
        tab = Path(tempfile.mkdtemp(prefix="bench-tab-"))
        store = st.LocalStore.in_dir(tab)
        enrolled = SyncClient(url).enroll(server.enroll_code(), "bench")
        store.set(server_url=url, token=enrolled["token"])
        worker = SyncWorker(lambda: store, lambda e: None)
        t = time.perf_counter()
        worker.run_once(store)                           # first pull: groups, preloads, forms, standards
        out[f"{label}_first_pull_s"] = time.perf_counter() - t
        coll = Collection(store)
        queued = 0
        for doc in generate_ward(households * 2, seed=5, groups=("KP01",)):
            if queued == households:
                break
            store.save_household(doc["household_id"], group_code="KP01", doc=doc, raw={}, status=st.DRAFT,
                                 form_version=doc["form_version"], **summary_columns(doc))
            try:
                coll.finalise(doc["household_id"])
                queued += 1
            except ValueError:          # a synthetic household with a validation error: not queued
                continue
        if proxy:
            proxy.bytes_up = proxy.bytes_down = 0
        t = time.perf_counter()
        p = worker.run_once(store)
        out[f"{label}_sync_{households}_s"] = time.perf_counter() - t
        out[f"{label}_sent"] = p.sent
        if proxy:
            out["3g_bytes_up"] = proxy.bytes_up
            out["3g_bytes_down"] = proxy.bytes_down
            proxy.close()
        # this tablet's submissions (the demo ward already holds device submissions of its own)
        got = server.rows("SELECT COUNT(*) FROM submissions WHERE device_id = ?", enrolled["device_id"])[0][0]
        out[f"{label}_server_holds"] = got
        store.close()
        server.stop()
        shutil.rmtree(srv_dir, ignore_errors=True)
        shutil.rmtree(tab, ignore_errors=True)
    return out


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child-start":
        child_start(sys.argv[2], float(sys.argv[3]))
        return 0
    if not os.environ.get("DISPLAY") and shutil.which("xvfb-run") and not os.environ.get("RASOAT_BENCH_XVFB"):
        env = dict(os.environ, RASOAT_BENCH_XVFB="1")
        return subprocess.call(["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", sys.executable, __file__,
                                *sys.argv[1:]], env=env)
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv[:-1] else None
    if only not in (None, "list", "sync"):
        print("--only list|sync", file=sys.stderr)
        return 2
    figures: dict[str, object] = {"households_in_list": 5000}
    if only in (None, "list"):
        figures["filter"] = measure_filter(5000)
        if os.environ.get("DISPLAY"):
            figures["window"] = measure_start(5000)
        else:
            figures["window"] = "skipped: no display and no xvfb-run"
    if only in (None, "sync"):
        figures["sync"] = measure_sync(30)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
