"""``make run`` on a taken port says so before printing any URL (scripts/run-demo.sh), and the
README names the variable that changes the port."""
from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_taken_port_is_reported_before_any_url(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "RASOAT_PORT": str(port), "RASOAT_DEMO_DIR": str(tmp_path / "demo")}
        env.pop("DISPLAY", None)
        r = subprocess.run(["bash", "scripts/run-demo.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=60)
    assert r.returncode == 1
    assert "http://" not in r.stdout + r.stderr
    assert f"Cổng {port} đang được một chương trình khác dùng" in r.stderr and "RASOAT_PORT=" in r.stderr


def test_readme_names_the_port_variable_and_the_guides():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "RASOAT_PORT" in text and "8765" in text
    assert "docs/huong-dan-can-bo.md" in text and "docs/huong-dan-cong-tac-vien.md" in text


def test_the_guides_show_pictures_that_exist():
    import re
    images = ROOT / "docs" / "images"
    used = set()
    for name in ("huong-dan-can-bo.md", "huong-dan-cong-tac-vien.md"):
        text = (ROOT / "docs" / name).read_text(encoding="utf-8")
        refs = re.findall(r"\]\((images/[^)]+\.png)\)", text)
        assert len(refs) >= 5, name
        for ref in refs:
            assert (ROOT / "docs" / ref).is_file(), f"{name}: {ref} is missing"
            used.add(Path(ref).name)
    made = {p.name for p in images.glob("*.png")}
    assert made - used == set(), f"pictures no guide shows: {sorted(made - used)}"
