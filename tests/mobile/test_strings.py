"""The tablet's one catalogue (issue 22): every text key the tablet names is in mobile/i18n.py with a
Vietnamese and an English text, and the support screen (issue 20) reads its words from it, so it
follows the language switch like the other screens."""
from __future__ import annotations

import ast
import datetime as dt
import re
import string
from pathlib import Path

from mobile.i18n import STRINGS, tr
from mobile.support import NeedError, SupportPresenter, record_need

MOBILE = Path(__file__).resolve().parents[2] / "mobile"
TR_CALL = re.compile(r"""\b(?:tr|pair)\(\s*["']([a-z_]+(?:\.[a-z0-9_]+)+)["']""")
VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.I)
# Modules whose words are all in the catalogue (the sync worker's progress and the outbox's stored
# reasons are still written in Vietnamese where they are made: mobile/sync.py, mobile/evidence.py).
CATALOGUED = ("inputs.py", "qrscan.py", "camera.py", "store.py", "support_screen.py")


def test_every_key_the_tablet_names_has_both_texts():
    used: dict[str, str] = {}
    for path in [*MOBILE.rglob("*.py"), *MOBILE.rglob("*.kv")]:
        for m in TR_CALL.finditer(path.read_text(encoding="utf-8")):
            used.setdefault(m.group(1), path.name)
    assert len(used) > 80          # 88 on 2026-12-04 (presenters also pass keys through self.t)
    assert {k: f for k, f in used.items() if k not in STRINGS} == {}
    assert [k for k, (vi, en) in STRINGS.items() if not vi.strip() or not en.strip()] == []


def test_the_catalogued_modules_write_no_text_of_their_own():
    found = []
    for name in CATALOGUED:
        tree = ast.parse((MOBILE / name).read_text(encoding="utf-8"))
        docs = {id(n.body[0].value) for n in ast.walk(tree)
                if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        found += [f"{name}:{n.lineno} {n.value[:40]!r}" for n in ast.walk(tree)
                  if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
                  and VIETNAMESE.search(n.value)]
    assert found == []


def test_the_support_screen_speaks_the_tablets_language(store):
    p = SupportPresenter(store)
    p.open("no-such-household")
    assert p.received == ["Chưa có hỗ trợ nào được ghi nhận (đồng bộ để cập nhật)."]
    assert p.needs == ["Không có nhu cầu đang chờ."]
    p.lang = "en"
    p.refresh()
    assert p.received == [tr("support.none_received", "en")] and "No support recorded yet" in p.received[0]
    assert p.needs == ["No need waiting."] and p.title.startswith("Support and needs")
    assert p.add_need("no-such-need", None, "") is False
    assert p.error == "Choose a kind of need"


def test_a_refused_need_names_its_reason_in_both_languages(store):
    try:
        record_need(store, "no-such-household", "housing", None, "", dt.date(2026, 1, 5))
    except NeedError as exc:
        assert exc.field == "household_id"
        assert exc.message_vi == "Không tìm thấy hộ trên máy" == exc.message("vi")
        assert exc.message("en") == "The household is not on this tablet"
    else:
        raise AssertionError("a need of a household not on the tablet was kept")


def test_both_languages_of_a_key_take_the_same_values():
    def fields(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}
    assert {k: p for k, p in STRINGS.items() if fields(p[0]) != fields(p[1])} == {}
