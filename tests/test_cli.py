"""The rasoat command line as a user runs it: exit codes, JSON out, no tracebacks."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def rasoat(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_validate_a_good_file():
    r = rasoat("validate", str(EXAMPLES / "household-poor.json"))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"valid": True, "problems": []}


def test_validate_lists_every_problem_and_exits_2():
    r = rasoat("validate", str(EXAMPLES / "household-invalid.json"))
    assert r.returncode == 2
    paths = {p["path"] for p in json.loads(r.stdout)["problems"]}
    assert paths == {"housing.floor_area_m2", "latrine", "income.wages", "members[1].citizen_id"}


def test_classify_prints_every_standard_in_force():
    r = rasoat("classify", str(EXAMPLES / "household-poor.json"))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {x["standard_id"]: x["class"] for x in out["results"]} == {
        "qn-provincial-2023-2025": "poor", "vn-national-2022-2025": "poor"}


@pytest.mark.parametrize("flag", ["--b1-table", "--score-a-table"])   # the old name is a deprecated alias
def test_classify_with_a_named_standard_and_the_synthetic_b1_table(flag):
    doc = json.loads((EXAMPLES / "household-average.json").read_text(encoding="utf-8"))
    # A loaded points table is the official method: it takes precedence over declared income.
    r = rasoat("classify", "-", "--standard", "vn-national-2022-2025",
               flag, str(EXAMPLES / "b1-table-synthetic.json"), stdin=json.dumps(doc))
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)["results"]
    assert len(res) == 1 and res[0]["income"]["method"] == "b1_table:synthetic-demo-1"
    assert res[0]["income"]["b1_score"] == 100 + 15 + 10 + 10 + 10 + 12   # walls, roof, piped, septic, 1 worker
    assert "THỬ NGHIỆM" in res[0]["explanation_vi"]


@pytest.mark.parametrize("stdin,needle", [
    ('{"household_id": ', "JSON không hợp lệ"),
    ("[1, 2]", "phải là một đối tượng JSON"),
])
def test_bad_input_is_a_message_not_a_traceback(stdin, needle):
    r = rasoat("validate", "-", stdin=stdin)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr + r.stdout
    assert needle in r.stderr + r.stdout


def test_missing_file_and_unknown_standard():
    r = rasoat("validate", "/nonexistent/x.json")
    assert r.returncode == 2 and "Không tìm thấy tệp" in r.stderr and "Traceback" not in r.stderr
    r = rasoat("classify", str(EXAMPLES / "household-poor.json"), "--standard", "nope")
    assert r.returncode == 2 and "unknown standard" in r.stderr


def test_generate_is_deterministic_and_valid(tmp_path):
    a = rasoat("generate", "--households", "5", "--seed", "3")
    b = rasoat("generate", "--households", "5", "--seed", "3")
    assert a.returncode == 0 and a.stdout == b.stdout
    lines = a.stdout.strip().splitlines()
    assert len(lines) == 5
    f = tmp_path / "h.json"
    f.write_text(lines[0], encoding="utf-8")
    assert rasoat("validate", str(f)).returncode == 0
