"""Kill the app (SIGKILL) right after an answer is typed; reopen it: the answer is there."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mobile.collect import Collection
from mobile.store import LocalStore

from .kill_driver import ANSWER

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.ui


@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs a display (xvfb-run -a)")
def test_sigkill_right_after_an_answer_loses_nothing(tmp_path):
    store = LocalStore.in_dir(tmp_path)
    store.set(server_url="http://127.0.0.1:9", token="t", collaborator={"name": "Demo"})
    store.upsert_group("KP01", "Khu phố 1", {"province_code": "22", "ward_code": "BAICHAY", "area_type": "urban"})
    hid = Collection(store).new_household("KP01")
    store.close()
    cmd = [sys.executable, "-m", "tests.mobile.kill_driver", str(tmp_path), hid]
    proc = subprocess.Popen(cmd + ["type"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for line in proc.stdout:
            if line.startswith("TYPED"):
                os.kill(proc.pid, signal.SIGKILL)
                break
    finally:
        proc.kill()
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    store = LocalStore.in_dir(tmp_path)
    assert store.household(hid)["doc"]["address"]["street"] == ANSWER
    store.close()
    out = subprocess.run(cmd + ["check"], cwd=ROOT, capture_output=True, text=True, timeout=60).stdout
    assert f"TEXT={ANSWER}" in out
