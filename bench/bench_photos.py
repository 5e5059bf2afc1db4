"""Photo figures (docs/performance.md, "Photos"): bytes and time to sync 30 households with 3 dwelling
photos each (resized on the tablet to 1280 px, JPEG q80) to the real server (`rasoat serve --demo`)
through the 3G-throttled loopback proxy of bench_tablet.py (384 kbit/s up, 1.5 Mbit/s down, 150 ms
one-way delay); then the same sync cut in the middle of the photos and resumed.

    .venv/bin/python bench/bench_photos.py
"""
from __future__ import annotations

import io
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_tablet import DELAY, DOWN_BPS, UP_BPS, ThrottleProxy  # noqa: E402

QUESTIONS = ("housing.walls", "housing.roof", "latrine")


def camera_picture(seed: int) -> bytes:
    """A 4000x3000 'camera' JPEG with texture (so the resized photo weighs what real ones do)."""
    from PIL import Image, ImageFilter
    r = random.Random(seed)
    noise = Image.effect_noise((2000, 1500), 70).convert("RGB")
    base = Image.new("RGB", noise.size, (r.randrange(256), r.randrange(256), r.randrange(256)))
    img = Image.blend(base, noise, 0.4).filter(ImageFilter.GaussianBlur(0.8)).resize((4000, 3000))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=92)
    return out.getvalue()


def prepare(tab: Path, url: str, token: str, households: int) -> tuple[object, object, int, float]:
    from mobile import store as st
    from mobile.collect import Collection, summary_columns
    from shared.synthetic import generate_ward
    store = st.LocalStore.in_dir(tab)
    store.set(server_url=url, token=token)
    coll = Collection(store)
    queued, photo_bytes, resize_s = 0, 0, 0.0
    for doc in generate_ward(households * 2, seed=5, groups=("KP01",)):
        if queued == households:
            break
        store.save_household(doc["household_id"], group_code="KP01", doc=doc, raw={}, status=st.DRAFT,
                             form_version=doc["form_version"], **summary_columns(doc))
        if coll.problems(doc["household_id"]) and any(p.severity == "error" for p in coll.problems(doc["household_id"])):
            continue
        for i, q in enumerate(QUESTIONS):
            t = time.perf_counter()
            rec = coll.attach_photo(doc["household_id"], q, camera_picture(queued * 10 + i))
            resize_s += time.perf_counter() - t
            photo_bytes += rec["size"]
        coll.finalise(doc["household_id"])
        queued += 1
    return store, coll, photo_bytes, resize_s / (queued * len(QUESTIONS))


def measure(households: int = 30) -> dict[str, object]:
    import requests

    from mobile.sync import CHUNK_SIZE, SyncClient, SyncWorker
    from tests.mobile.realserver import RealServer

    out: dict[str, object] = {"households": households, "photos": households * len(QUESTIONS)}
    srv_dir = Path(tempfile.mkdtemp(prefix="bench-photos-srv-"))
    server = RealServer(srv_dir, households=60)
    server.start()
    tabs = []
    try:
        for label in ("3g", "3g_cut_and_resumed"):
            proxy = ThrottleProxy(("127.0.0.1", server.port), UP_BPS, DOWN_BPS, DELAY)
            url = f"http://127.0.0.1:{proxy.port}"
            tab = Path(tempfile.mkdtemp(prefix="bench-photos-tab-"))
            tabs.append(tab)
            token = SyncClient(url).enroll(server.enroll_code(), f"bench {label}")["token"]
            store, coll, photo_bytes, resize_each = prepare(tab, url, token, households)
            out["photo_bytes_total"] = photo_bytes
            out["photo_kb_each"] = round(photo_bytes / households / len(QUESTIONS) / 1024, 1)
            out["resize_ms_each_4000x3000"] = round(resize_each * 1000)
            proxy.bytes_up = proxy.bytes_down = 0
            elapsed = 0.0
            if label == "3g_cut_and_resumed":
                # Drop the link once a third of the photo bytes are sent; the next run resumes.
                class Cut(requests.Session):
                    sent = 0

                    def request(self, method, u, data=None, **kw):
                        if method == "PUT" and data is not None:
                            if Cut.sent + len(data) > photo_bytes // 3:
                                raise requests.exceptions.ConnectionError("cut (bench)")
                            Cut.sent += len(data)
                        return super().request(method, u, data=data, **kw)
                w = SyncWorker(lambda: store, lambda e: None, session_factory=Cut)
                t = time.perf_counter()
                p = w.run_once(store)
                elapsed += time.perf_counter() - t
                out["cut_run_error"] = p.error_code
                out["cut_after_bytes"] = Cut.sent
            class Counting(requests.Session):
                puts = requests_total = 0

                def request(self, method, u, data=None, **kw):
                    Counting.requests_total += 1
                    Counting.puts += method == "PUT"
                    return super().request(method, u, data=data, **kw)
            w = SyncWorker(lambda: store, lambda e: None, session_factory=Counting)
            t = time.perf_counter()
            p = w.run_once(store)
            elapsed += time.perf_counter() - t
            out[f"{label}_seconds"] = round(elapsed, 1)
            out[f"{label}_bytes_up"] = proxy.bytes_up
            out[f"{label}_bytes_down"] = proxy.bytes_down
            out[f"{label}_sent_forms"] = p.sent
            out[f"{label}_chunk_puts"] = Counting.puts          # of the (last) run
            out[f"{label}_requests"] = Counting.requests_total
            out[f"{label}_overhead_up_pct"] = round(100 * (proxy.bytes_up - photo_bytes) / photo_bytes, 1)
            store.close()
            proxy.close()
        out["server_files"] = server.rows("SELECT COUNT(*) FROM attachments")[0][0]
        out["server_incomplete_open"] = server.rows(
            "SELECT COUNT(*) FROM incomplete_submissions WHERE completed_at IS NULL")[0][0]
        out["chunk_kb"] = CHUNK_SIZE // 1024
        out["link"] = {"up_kbit_s": UP_BPS * 8 / 1000, "down_kbit_s": DOWN_BPS * 8 / 1000, "delay_ms": DELAY * 1000}
    finally:
        server.stop()
        shutil.rmtree(srv_dir, ignore_errors=True)
        for t in tabs:
            shutil.rmtree(t, ignore_errors=True)
    return out


def main() -> int:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 30), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
