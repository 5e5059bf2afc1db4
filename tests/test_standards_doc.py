"""docs/standards.md lists every legal value with its mark and source, as the data files have them."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_docs_standards_md_is_what_the_data_says():
    spec = importlib.util.spec_from_file_location("standards_doc", ROOT / "scripts" / "standards_doc.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    committed = (ROOT / "docs" / "standards.md").read_text(encoding="utf-8")
    assert committed == mod.render(), "docs/standards.md is stale: run python scripts/standards_doc.py"
