"""Suite-wide markers. ``slow`` marks what `make test-fast` leaves out: real windows (``ui``), real
browsers (``browser``), the fault/fuzz/load harness and the tests that start whole processes. The
whole suite (`make test`, CI) runs everything; `make test-fast` is the quick loop while working."""
from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

# Modules (relative to tests/) that are slow as a whole: they start servers, kill processes,
# or run the harness.
SLOW_MODULES = {
    "reliability/test_faults.py",
    "reliability/test_fuzz_load_backup.py",
    "reliability/test_security.py",
    "mobile/test_durability.py",
    "office/test_run_script.py",
}


def is_slow(item: pytest.Item) -> bool:
    if item.get_closest_marker("ui") or item.get_closest_marker("browser"):
        return True
    try:
        rel = Path(str(item.fspath)).resolve().relative_to(HERE).as_posix()
    except ValueError:
        return False
    return rel in SLOW_MODULES


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if is_slow(item) and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
