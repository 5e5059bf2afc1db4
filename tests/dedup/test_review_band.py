"""What leaves the review band because a person has nothing to decide (issue 19: the band ≤ 3 % of
records): two records of one round at two houses, sharing no phone or ID, are two households whose
heads share a name."""
from __future__ import annotations

from server.dedup import make_record
from server.dedup.compare import compare
from server.dedup.decide import AUTO, NEW, REVIEW, decide
from server.dedup.model import default_model
from server.dedup.engine import run_batch

from .helpers import house, person


def _row(hid, number, street, phone=None, year=2025, cid=None):
    doc = house(hid, [person("Lê Văn Thuận", "head", 1942, cid=cid)], number=number, street=street, phone=phone,
                year=year)
    doc["member_count"] = 1
    return doc


def _decide(x, y):
    a, b = make_record(x), make_record(y)
    gamma = compare(a, b)
    model = default_model()
    return decide(gamma, a, b, model.weight(gamma, a, b), model)


def test_one_round_two_houses_no_phone_or_id_shared_are_two_households():
    band, reasons = _decide(_row("a", "320/43", "Hải Lộc"), _row("b", "93", "Trần Hưng Đạo"))
    assert band == NEW and "other_house_same_round" in reasons
    band, reasons = _decide(_row("a", "320/43", "Hải Lộc"), _row("b", "41", "Hải Lộc"))
    assert band == NEW and "other_house_same_round" in reasons
    result = run_batch([_row("a", "320/43", "Hải Lộc"), _row("b", "93", "Trần Hưng Đạo")])
    assert not result.review() and result.cluster_of["a"] != result.cluster_of["b"]


def test_a_shared_phone_or_id_or_another_round_keeps_the_pair():
    for x, y in [(_row("a", "320/43", "Hải Lộc", phone="0912000111"), _row("b", "93", "Trần Hưng Đạo", "912000111")),
                 (_row("a", "320/43", "Hải Lộc", cid="022042001234"), _row("b", "93", "Trần Hưng Đạo",
                                                                           cid="022042001234")),
                 (_row("a", "320/43", "Hải Lộc"), _row("b", "93", "Trần Hưng Đạo", year=2026))]:
        band, reasons = _decide(x, y)
        assert "other_house_same_round" not in reasons
        assert band in (AUTO, REVIEW, NEW)
    band, _ = _decide(_row("a", "320/43", "Hải Lộc"), _row("b", "320/43", "Hải Lộc"))
    assert band == AUTO                     # a double survey of one house
