"""The console's one message catalogue (issue 22): assembled once per app from the parts create_app
names (server/app.py ``CONSOLE_PARTS``), never filled by importing a module; no key defined twice
with different text; every key the templates and the code name exists in Vietnamese and English."""
from __future__ import annotations

import ast
import re
import string
from pathlib import Path
from types import SimpleNamespace

import pytest

from server import app as app_module
from server.app import CONSOLE_PARTS
from server.console import i18n
from server.console.web import catalogue

SERVER = Path(__file__).resolve().parents[2] / "server"
KEY = re.compile(r"^[a-z]+(\.[a-z0-9_]+)+$")
# Calls whose second positional argument is a message key (or, for some, a plain text)
KEY_ARGUMENT = {"redirect", "flash", "ConsoleError", "msg", "t", "NavItem"}


@pytest.fixture(scope="module")
def messages():
    return catalogue(CONSOLE_PARTS).messages


def test_a_key_defined_twice_with_different_text_is_refused():
    same = {"vi": {"a.b": "Một"}, "en": {"a.b": "One"}}
    assert i18n.Catalogue([same, same]).t("en", "a.b") == "One"       # the same text twice: one entry
    with pytest.raises(i18n.DuplicateMessage, match="a.b"):
        i18n.Catalogue([same, {"vi": {"a.b": "Hai"}}])


def test_no_key_of_the_parts_is_defined_twice_with_different_text():
    seen: dict[tuple[str, str], str] = {}
    clashes = []
    for part in CONSOLE_PARTS:
        for table in part.messages:
            for lang, texts in table.items():
                for key, text in texts.items():
                    if seen.setdefault((lang, key), text) != text:
                        clashes.append((lang, key))
    assert clashes == []
    catalogue(CONSOLE_PARTS)                 # and the assembly itself agrees


def test_every_part_of_the_app_is_in_the_catalogue_and_it_is_read_only(messages):
    assert len(messages["vi"]) > 300
    site = app_module.install_console(SimpleNamespace(state=SimpleNamespace()), CONSOLE_PARTS)
    assert dict(site.catalogue.messages["vi"]) == dict(messages["vi"])
    with pytest.raises(TypeError):
        messages["vi"]["nav.dashboard"] = "x"          # type: ignore[index]
    assert not hasattr(i18n, "add_messages") and not hasattr(i18n, "MESSAGES")


def test_vietnamese_and_english_have_the_same_keys(messages):
    assert set(messages["vi"]) - set(messages["en"]) == set()
    assert set(messages["en"]) - set(messages["vi"]) == set()
    assert [k for k, v in messages["vi"].items() if not v.strip()] == []


def test_every_key_a_template_names_exists(messages):
    used: dict[str, str] = {}
    for path in SERVER.rglob("templates/**/*.html"):
        for m in re.finditer(r"""\bt\(\s*["']([^"']+)["']\s*[,)]""", path.read_text(encoding="utf-8")):
            used.setdefault(m.group(1), path.name)
    assert len(used) > 150
    assert {k: f for k, f in used.items() if k not in messages["vi"]} == {}


def test_every_key_the_code_names_exists(messages):
    used: dict[str, str] = {}
    for path in SERVER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            arg = node.args[1]
            if name in KEY_ARGUMENT and isinstance(arg, ast.Constant) and isinstance(arg.value, str) \
                    and KEY.match(arg.value):
                used.setdefault(arg.value, f"{path.relative_to(SERVER.parent)}:{node.lineno}")
    assert len(used) > 30
    assert {k: w for k, w in used.items() if k not in messages["vi"]} == {}


def _fields(text: str) -> set[str]:
    """The placeholders of a text, a ``_vi`` / ``_en`` pair counted as one (``{label_vi}`` ~ ``{label_en}``)."""
    return {re.sub(r"_(vi|en)$", "", f) for _, f, _, _ in string.Formatter().parse(text) if f}


def test_both_languages_of_a_key_take_the_same_values(messages):
    differ = {k: (messages["vi"][k], messages["en"][k]) for k in messages["vi"]
              if _fields(messages["vi"][k]) != _fields(messages["en"][k])}
    assert differ == {}
