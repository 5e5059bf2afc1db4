"""Decide a scored pair: auto-link, queue for a person, or a new household.

The bands come from the model's probability thresholds (measured on labelled
data, see defaults.py). Rules then move a pair between bands where the score
alone is not to be trusted; each rule leaves its reason on the candidate so
the review queue can rank and explain it:

* ``same_base_other_suffix``   — "12/3" vs "12/3A": a split family looks like
  its parent; never linked without a person.
* ``one_edit_id_uncorroborated`` — a one-digit citizen-ID neighbour with a
  different name: neighbours occur by chance inside a ward.
* ``thin_evidence``            — a record without a usable name, address or
  any identifier: never linked without a person.
* ``id_equal_name_differs``    — the same head citizen ID under another name:
  a typo, a head change or a copied number; always shown to a person.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from .compare import ADDR_SUFFIX, CID_HEAD_EQUAL, CID_ONE_EDIT, NAME_EXACT, NAME_FOLDED, NAME_FUZZY, \
    NAME_REORDERED, ROSTER_IDENTICAL, ROSTER_MOST
from .features import Record
from .model import Model

AUTO, REVIEW, NEW = "auto", "review", "new"

# Rules that pull a pair into the review queue even below the review threshold,
# provided its probability is at least this.
RULE_FLOOR = 0.001


@dataclass(slots=True)
class Candidate:
    rid: str                   # the other record
    weight: float              # bits
    probability: float
    band: str                  # auto | review | new
    gamma: tuple[int, ...]
    reasons: tuple[str, ...] = ()
    other: Record | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"rid": self.rid, "weight": round(self.weight, 4), "probability": self.probability,
                "band": self.band, "gamma": list(self.gamma), "reasons": list(self.reasons)}


def probability(weight: float) -> float:
    if weight > 60:
        return 1.0
    if weight < -60:
        return 0.0
    x = 2.0 ** weight
    return x / (1.0 + x)


def decide(gamma: Sequence[int], a: Record, b: Record, weight: float, model: Model) -> tuple[str, tuple[str, ...]]:
    p = probability(weight)
    band = AUTO if p >= model.auto_threshold else REVIEW if p >= model.review_threshold else NEW
    reasons = []
    name, cid, address, roster = gamma[0], gamma[2], gamma[3], gamma[5]
    if address == ADDR_SUFFIX:
        reasons.append("same_base_other_suffix")
    if cid == CID_ONE_EDIT and name not in (NAME_EXACT, NAME_FOLDED, NAME_REORDERED, NAME_FUZZY) \
            and roster not in (ROSTER_IDENTICAL, ROSTER_MOST):
        reasons.append("one_edit_id_uncorroborated")
    if a.thin or b.thin:
        reasons.append("thin_evidence")
    if reasons and band == AUTO:
        band = REVIEW
    if cid == CID_HEAD_EQUAL and name not in (NAME_EXACT, NAME_FOLDED, NAME_REORDERED, NAME_FUZZY) \
            and band != AUTO:
        reasons.append("id_equal_name_differs")
        if band == NEW and p >= RULE_FLOOR:
            band = REVIEW
    return band, tuple(reasons)


def review_priority(probability_: float, reasons: Sequence[str]) -> float:
    """Lower first: rule hits, then the most uncertain pairs."""
    rule = 0.0 if "id_equal_name_differs" in reasons else 1.0 if reasons else 2.0
    return rule + abs(probability_ - 0.5)
