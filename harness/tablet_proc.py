"""The tablet's real sync (mobile/sync.py SyncWorker + mobile/store.py outbox) in a process of its own,
no window: ``python -m harness.tablet_proc DATA_DIR``. Prints ``START`` when about to sync, then
``DONE <phase> <sent> <seconds>``. The harness SIGKILLs it somewhere in between and starts it again."""
from __future__ import annotations

import sys
import time


def main() -> None:
    from mobile.store import LocalStore
    from mobile.sync import SyncWorker

    store = LocalStore.in_dir(sys.argv[1])
    worker = SyncWorker(lambda: store, lambda _p: None, auto_interval=3600)
    print("START", flush=True)
    t0 = time.monotonic()
    p = worker.run_once(store, manual=True)
    print(f"DONE {p.phase} {p.sent} {time.monotonic() - t0:.3f}", flush=True)
    store.close()


if __name__ == "__main__":
    main()
