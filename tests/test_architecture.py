"""The dependency rule mobile → shared ← server, checked in fresh interpreters."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = r"""
import sys
before = set(sys.modules)
import shared, shared.classify, shared.validation, shared.identity, shared.expr, shared.synthetic
import pkgutil, importlib
for m in pkgutil.walk_packages(shared.__path__, 'shared.'):
    importlib.import_module(m.name)
new = set(sys.modules) - before
stdlib = sys.stdlib_module_names
outside = sorted(n for n in new if n.split('.')[0] not in stdlib and n.split('.')[0] != 'shared')
print('\n'.join(outside))
"""


def test_shared_imports_only_the_standard_library():
    r = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "", f"shared/ pulled in: {r.stdout}"


def _imports(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_shared_never_imports_server_or_mobile():
    assert not _imports("shared") & {"server", "mobile", "kivy", "fastapi", "sqlite_utils", "requests"}


def test_server_and_mobile_never_import_each_other():
    assert "mobile" not in _imports("server")
    if (ROOT / "mobile").exists():
        assert "server" not in _imports("mobile")
