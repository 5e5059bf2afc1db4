"""The Android build spec (buildozer.spec) stays valid for the code as it is.

The APK is not built here (docs/tablet.md, "What is not built or run here"); this checks what can
be checked without the SDK: the spec parses, packages every file the app loads, leaves the server
out, and lists a python-for-android requirement for every third-party module the tablet imports.
"""
from __future__ import annotations

import ast
import configparser
import fnmatch
import sys
from pathlib import Path

import kivy

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "buildozer.spec"

# import name -> python-for-android requirement (recipe or pip name)
P4A_NAME = {"PIL": "pillow", "sqlite_utils": "sqlite-utils", "kivy": "kivy", "requests": "requests",
            "plyer": "plyer", "pyzbar": "pyzbar"}
# Imported but not packaged, on purpose: 'android' comes with python-for-android itself; zxing-cpp has
# no recipe (the APK decodes QR codes with zbar, mobile/qrscan.py falls back to it).
NOT_PACKAGED = {"android", "zxingcpp"}


def spec() -> configparser.SectionProxy:
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(SPEC, encoding="utf-8")
    return cp["app"]


def listed(value: str) -> list[str]:
    return [x.strip() for x in value.split(",") if x.strip()]


def tablet_imports() -> set[str]:
    mods: set[str] = set()
    files = [ROOT / "main.py", *(ROOT / "mobile").glob("*.py"), *(ROOT / "shared").rglob("*.py")]
    for p in files:
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(n, ast.Import):
                mods.update(a.name.split(".")[0] for a in n.names)
            elif isinstance(n, ast.ImportFrom) and n.level == 0 and n.module:
                mods.add(n.module.split(".")[0])
    return {m for m in mods if m not in sys.stdlib_module_names and m not in ("mobile", "shared")}


def test_the_spec_parses_with_the_keys_buildozer_needs():
    app = spec()
    for key in ("title", "package.name", "package.domain", "source.dir", "version", "requirements",
                "orientation", "android.permissions", "android.api", "android.minapi", "android.archs"):
        assert app.get(key), key
    assert app["source.dir"] == "." and (ROOT / "main.py").is_file()
    assert app["orientation"] == "landscape"
    assert 24 <= int(app["android.minapi"]) <= int(app["android.api"])
    assert set(listed(app["android.permissions"])) >= {"INTERNET", "CAMERA", "ACCESS_FINE_LOCATION"}
    assert 'usesCleartextTraffic="true"' in app["android.manifest.application_attributes"]


def test_every_third_party_module_the_tablet_imports_is_a_requirement():
    reqs = {r.split("==")[0].lower() for r in listed(spec()["requirements"])}
    imports = tablet_imports()
    assert imports - NOT_PACKAGED <= set(P4A_NAME), f"new import without a known p4a name: {imports}"
    missing = {P4A_NAME[m] for m in imports - NOT_PACKAGED} - reqs
    assert not missing, f"buildozer.spec requirements lack {missing}"
    assert {"python3", "sqlite3", "libzbar"} <= reqs
    pinned = next(r for r in listed(spec()["requirements"]) if r.startswith("kivy"))
    assert pinned == f"kivy=={kivy.__version__}"          # the APK runs the Kivy the tests ran


def test_the_files_the_app_loads_are_packaged_and_the_server_is_not():
    app = spec()
    exts = set(listed(app["source.include_exts"]))
    patterns = listed(app["source.include_patterns"])
    excluded = set(listed(app["source.exclude_dirs"]))
    assert {"server", "tests", "docs", ".venv"} <= excluded
    needed = [ROOT / "main.py", *(ROOT / "mobile").glob("*.py"), *(ROOT / "mobile" / "kv").glob("*.kv"),
              *(ROOT / "shared").rglob("*.py"), *(ROOT / "shared" / "data").rglob("*.json")]
    assert len(needed) > 20
    for p in needed:
        rel = p.relative_to(ROOT).as_posix()
        assert p.suffix.lstrip(".") in exts, rel
        assert rel.split("/")[0] not in excluded, rel
        assert any(fnmatch.fnmatch(rel, pat) for pat in patterns), f"{rel} is not packaged"
