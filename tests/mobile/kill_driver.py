"""Run the real app in this process and type one answer (mode "type"), or read it back (mode "check").

Used by test_durability.py, which SIGKILLs this process right after "TYPED" is printed.
    python -m tests.mobile.kill_driver DATA_DIR HOUSEHOLD_ID type|check
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")

from kivy.clock import Clock  # noqa: E402

from mobile.app import RasoatApp  # noqa: E402
from mobile.widgets import find  # noqa: E402

ANSWER = "Đường Vườn Đào, ngõ 7"


def main() -> None:
    data_dir, hid, mode = sys.argv[1:4]
    app = RasoatApp(data_dir=data_dir, auto_sync_interval=3600)

    def step1(_dt: float) -> None:
        app.open_household(hid)
        app.form_p.go_section([s["id"] for s in app.form_p.sections()].index("address"))
        Clock.schedule_once(step2, 0.3)

    def step2(_dt: float) -> None:
        box = find(app.root, "field:address.street")
        if mode == "type":
            box.focus = True
            box.insert_text(ANSWER)              # saved by the text handler before this returns
            print("TYPED", flush=True)           # the test kills us now
        else:
            print("TEXT=" + box.text, flush=True)
            app.stop()

    Clock.schedule_once(step1, 0.5)
    app.run()


if __name__ == "__main__":
    main()
