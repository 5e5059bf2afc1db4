"""Every code the console can show has a Vietnamese label: the duplicate comparison's fields and
levels, the pair notes, the process states, the revision sources (a new code added elsewhere
without its label fails here, naming it)."""
from __future__ import annotations

from server.app import CONSOLE_PARTS
from server.console.web import catalogue
from server.dedup import compare, review
from server.process.results import STATE_LABELS, STATE_TODO


def test_every_comparison_field_and_level_has_a_label():
    vi = catalogue(CONSOLE_PARTS).messages["vi"]
    missing = [f"dup.f.{f}" for f in compare.FIELDS if f"dup.f.{f}" not in vi]
    missing += [f"dup.l.{lv}" for levels in compare.FIELDS.values() for lv in levels if f"dup.l.{lv}" not in vi]
    assert not missing, f"add to server/console/dedup_pages.py: {missing}"


def test_every_pair_note_and_process_state_has_words():
    import re
    codes = set(re.findall(r'reasons\.append\("([a-z_]+)"\)', open(review.__file__.replace("review.py", "decide.py"),
                                                                       encoding="utf-8").read()))
    assert codes, "the pair notes of decide.py were not found"
    assert codes <= set(review.REASON_LABELS), sorted(codes - set(review.REASON_LABELS))
    assert set(STATE_TODO) | {"settled"} == set(STATE_LABELS)
