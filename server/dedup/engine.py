"""The pipeline: normalise → block → compare → score → decide → cluster.

* ``MemoryIndex`` — the blocking keys as an in-memory inverted index, for a
  batch or a registry held in memory; ``match(doc)`` scores one new household
  against it. ``server.dedup.store.SqliteIndex`` is the same over SQLite.
* ``run_batch(docs)`` — deduplicate a whole file: every candidate pair from
  blocking, EM on their comparison vectors (unless a model is given), bands,
  clusters at the auto threshold.

Oversized blocks (more than ``max_block`` records share a key) give no pairs:
such a key is not selective (a placeholder phone, a shared house number of an
apartment block) and would cost quadratic time.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .cluster import cluster
from .compare import ADDR_DIFFERENT, ADDR_SAME, ADDR_STREET, F_ADDRESS, F_HEAD, F_SIZE, HEAD_NEAR_YEAR, HEAD_NO_YEAR, \
    HEAD_SAME_YEAR, HEAD_SIMILAR_NEAR, HEADS_DIFFER, NULL, SIZE_EQUAL, SIZE_ONE, compare
from .decide import AUTO, HEAD_AGREES, NEW, REVIEW, Candidate, decide, probability
from .features import Record, make_record
from .model import Model, fit

MAX_BLOCK = 80
SUCCESSOR_THRESHOLD = 0.5


def _score(model: Model, a: Record, b: Record, keep_new: bool) -> Candidate | None:
    gamma = compare(a, b)
    weight = model.weight(gamma, a, b)
    band, reasons = decide(gamma, a, b, weight, model)
    if band == NEW and not keep_new:
        return None
    return Candidate(b.rid, weight, probability(weight), band, gamma, reasons, b)


class MemoryIndex:
    """Blocking keys → record ids, in memory."""

    def __init__(self, model: Model, max_block: int = MAX_BLOCK):
        self.model = model
        self.max_block = max_block
        self.records: dict[str, Record] = {}
        self.blocks: dict[str, list[str]] = {}

    def __len__(self) -> int:
        return len(self.records)

    def add(self, record: Record) -> None:
        if record.rid in self.records:
            self.remove(record.rid)
        self.records[record.rid] = record
        for key in record.keys:
            self.blocks.setdefault(key, []).append(record.rid)

    def add_doc(self, doc: Any, rid: str | None = None) -> Record:
        record = make_record(doc, rid)
        self.add(record)
        return record

    def remove(self, rid: str) -> None:
        record = self.records.pop(rid, None)
        if record is None:
            return
        for key in record.keys:
            block = self.blocks.get(key)
            if block is not None:
                try:
                    block.remove(rid)
                except ValueError:
                    pass
                if not block:
                    del self.blocks[key]

    def candidate_ids(self, record: Record) -> set[str]:
        """Ids sharing a key with ``record`` (blocks that, with it, stay within the cap)."""
        out: set[str] = set()
        cap = self.max_block
        for key in record.keys:
            block = self.blocks.get(key)
            if block and len(block) + (record.rid not in block) <= cap:
                out.update(block)
        out.discard(record.rid)
        return out

    def match(self, doc: Any, rid: str | None = None, keep_new: bool = False) -> list[Candidate]:
        """Candidates for one household (a document or a Record), best first."""
        record = doc if isinstance(doc, Record) else make_record(doc, rid)
        records = self.records
        return score_against(self.model, record, (records[o] for o in self.candidate_ids(record)), keep_new)


def score_against(model: Model, record: Record, others: Iterable[Record], keep_new: bool = False) -> list[Candidate]:
    """Score ``record`` against each of ``others``; candidates best first (band "new" only if asked)."""
    out = []
    for other in others:
        cand = _score(model, record, other, keep_new)
        if cand is not None:
            out.append(cand)
    out.sort(key=lambda c: (-c.weight, c.rid))
    return out


# --------------------------------------------------------------------------------------------
# Batch
# --------------------------------------------------------------------------------------------

def candidate_pairs(records: Sequence[Record], max_block: int = MAX_BLOCK) -> list[tuple[int, int]]:
    """Index pairs (i < j) sharing at least one blocking key, blocks over the cap skipped."""
    blocks: dict[str, list[int]] = {}
    for i, r in enumerate(records):
        for key in r.keys:
            blocks.setdefault(key, []).append(i)
    n = len(records)
    seen: set[int] = set()
    for block in blocks.values():
        size = len(block)
        if size < 2 or size > max_block:
            continue
        for x in range(size):
            i = block[x]
            for y in range(x + 1, size):
                j = block[y]
                seen.add(i * n + j if i < j else j * n + i)
    return [divmod(code, n) for code in sorted(seen)]


@dataclass
class Link:
    a: str
    b: str
    weight: float
    probability: float
    band: str
    gamma: tuple[int, ...]
    reasons: tuple[str, ...] = ()
    decided: str = ""        # the band the pair's own score and rules gave, before the batch-level steps

    def __post_init__(self) -> None:
        self.decided = self.decided or self.band


@dataclass
class BatchResult:
    records: list[Record]
    model: Model
    pairs: int
    links: list[Link]                      # every pair in the auto or review band (``decided``; ``band`` after
                                           # the batch-level steps: successors promoted, settled pairs "new")
    cluster_of: dict[str, str] = field(default_factory=dict)   # rid -> cluster id (a member rid)
    accepted: set[tuple[str, str]] = field(default_factory=set)  # auto-links taken by clustering

    def review(self) -> list[Link]:
        return [l for l in self.links if l.band == REVIEW]

    def clusters(self) -> list[list[str]]:
        groups: dict[str, list[str]] = {}
        for rid, root in self.cluster_of.items():
            groups.setdefault(root, []).append(rid)
        return list(groups.values())


def run_batch(docs: Iterable[Any], model: Model | None = None, *, max_block: int = MAX_BLOCK,
              records: Sequence[Record] | None = None,
              must_link: Iterable[tuple[str, str]] = (), cannot_link: Iterable[tuple[str, str]] = (),
              auto_threshold: float | None = None, review_threshold: float | None = None) -> BatchResult:
    """Deduplicate a batch. Records without an id get "#<line index>"."""
    if records is None:
        records = []
        for i, doc in enumerate(docs):
            rec = make_record(doc)
            if not rec.rid:
                rec.rid = f"#{i}"
            records.append(rec)
    records = _unique_ids(list(records))
    ids = {r.rid for r in records}
    # A household that says it split off another is never clustered with it, not even through a third.
    cannot_link = [*cannot_link, *((r.rid, r.lineage) for r in records if r.lineage and r.lineage in ids)]
    pairs = candidate_pairs(records, max_block)
    gammas = [compare(records[i], records[j]) for i, j in pairs]
    if model is None:
        model = fit(gammas, records, auto_threshold=auto_threshold, review_threshold=review_threshold)
    else:
        if auto_threshold is not None:
            model.auto_threshold = auto_threshold
        if review_threshold is not None:
            model.review_threshold = review_threshold
    links: list[Link] = []
    for (i, j), gamma in zip(pairs, gammas):
        a, b = records[i], records[j]
        weight = model.weight(gamma, a, b)
        band, reasons = decide(gamma, a, b, weight, model)
        if band != NEW:
            links.append(Link(a.rid, b.rid, weight, probability(weight), band, gamma, reasons))
    rounds = {r.rid: r.round for r in records}
    heads_still_head(links, rounds, {r.rid: r.house for r in records})
    promote_successors(links, rounds, model, _named_elsewhere(pairs, gammas, records))
    auto = [(l.weight, l.a, l.b) for l in links if l.band == AUTO]
    changes = [(l.a, l.b) for l in links if l.band == AUTO and len(l.gamma) > F_HEAD and l.gamma[F_HEAD] in HEADS_DIFFER]
    cluster_of, accepted = cluster([r.rid for r in records], rounds, auto, must_link, cannot_link, last=changes)
    links = _settled_by_clusters(links, cluster_of, rounds)
    return BatchResult(records, model, len(pairs), links, cluster_of, {(a, b) for _, a, b in accepted})


def heads_still_head(links: list[Link], rounds: dict[str, int | None], houses: dict[str, str] | None = None) -> None:
    """A head change (heads differ) is not linked automatically when either head is found heading a
    household in the other's round (a same-head pair in the review or auto band): the old head's own
    household is still there, so the other is a split-off or a neighbour, not its successor; the
    new head's household was already there, so it is that one's successor (in place: band review,
    reason ``head_still_heads``). A same-head pair at another house counts only when it scores at
    least as high as the head change: a weaker one is more likely a namesake there (on the tuning
    set A-register, every head change held back by such a pair was true); one at the same house, or
    with an address unknown, always counts (a split child's parents) — and so does one whose two
    records carry the same house number (``houses``) where the address level says another house
    only because one record lacks the street and the groups differ (set B, tuning seed 5020: the
    parents' own record of the next round, "152" in another group, let the split child's household
    at "152" be taken for the parents' successor)."""
    heads: dict[tuple[str, int], float] = {}       # (record, other round) -> best same-head probability
    for link in links:
        ra, rb = rounds.get(link.a), rounds.get(link.b)
        if ra is None or rb is None or ra == rb or len(link.gamma) <= F_HEAD:
            continue
        if link.gamma[F_HEAD] in HEAD_AGREES:
            # at another house a namesake is as likely as the old head: that pair counts only as strong
            # as it scores; at the same house (or an address unknown) it always counts
            strength = 1.0 if _same_house_number(link, houses) \
                else link.probability if link.gamma[F_ADDRESS] in (ADDR_STREET, ADDR_DIFFERENT) else 1.0
            for key in ((link.a, rb), (link.b, ra)):
                heads[key] = max(heads.get(key, 0.0), strength)
    for link in links:
        ra, rb = rounds.get(link.a), rounds.get(link.b)
        if ra is None or rb is None or ra == rb or len(link.gamma) <= F_HEAD or link.gamma[F_HEAD] not in HEADS_DIFFER:
            continue
        # A same-head pair weaker than the head change itself is more likely a namesake elsewhere.
        if max(heads.get((link.a, rb), -1.0), heads.get((link.b, ra), -1.0)) >= link.probability:
            if link.band == AUTO:
                link.band = REVIEW
            link.reasons = tuple(r for r in link.reasons if r != "head_change_explained") + ("head_still_heads",)


def _same_house_number(link: Link, houses: dict[str, str] | None) -> bool:
    if not houses:
        return False
    ha = houses.get(link.a)
    return bool(ha) and ha == houses.get(link.b)


# A record whose head, by the same name and a birth year not far off (or unknown), is found in the other
# round at the same house or an address unknown — scored in any band.
SAME_PERSON = frozenset({HEAD_SAME_YEAR, HEAD_NEAR_YEAR, HEAD_NO_YEAR, HEAD_SIMILAR_NEAR})


def _named_elsewhere(pairs: Sequence[tuple[int, int]], gammas: Sequence[tuple[int, ...]],
                     records: Sequence[Record]) -> set[tuple[str, int]]:
    """(record, other round) for every record whose head is named, at the same house or an address
    unknown, by a record of the other round — whatever that pair scored (a pair below the review band
    too: set B, tuning seed 5020 at 45,000 households, a father without a birth year in 2025 and
    without a house number in 2026 scored "new", and his son's household at the house was taken for
    his successor)."""
    out: set[tuple[str, int]] = set()
    for (i, j), gamma in zip(pairs, gammas):
        a, b = records[i], records[j]
        if a.round is None or b.round is None or a.round == b.round or len(gamma) <= F_HEAD:
            continue
        if gamma[F_HEAD] in SAME_PERSON and gamma[F_ADDRESS] in (ADDR_SAME, NULL):
            out.add((a.rid, b.round))
            out.add((b.rid, a.round))
    return out


def promote_successors(links: list[Link], rounds: dict[str, int | None], model: Model,
                       named_elsewhere: set[tuple[str, int]] = frozenset()) -> None:
    """Auto-link (in place) a head change whose evidence explains it (``decide.head_change_explained``,
    reason ``successor``) or a pair whose heads are one person by name (reason ``only_counterpart``),
    scoring at least ``SUCCESSOR_THRESHOLD``, when it is the only pair of each record with a record
    of the other's round in the review or auto band: the household of one round has one successor in
    the next, and nothing else competes for it. A same-head pair whose address differs (the household
    moved) or is missing on one side scores in the review band on its own. A head change without the
    evidence of one (``head_change_unexplained``, queued only from p ≥ 0.80) at the very same house,
    when each record is the other's only candidate in the other round, is the house's one household
    in both rounds (reason ``only_household_at_the_house``; on the tuning set A, 6 of 6 such pairs
    were one household). The score alone puts a head-only register row whose
    head died, at the very same house, near the review threshold (the head's name, birth year and ID
    all differ); the one-to-one structure of rounds is what makes it sure."""
    # Two records of one round auto-linked to each other (a double survey) are one competitor.
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x
    for link in links:
        if link.band == AUTO and rounds.get(link.a) is not None and rounds.get(link.a) == rounds.get(link.b):
            ra_, rb_ = root(link.a), root(link.b)
            if ra_ != rb_:
                parent[ra_] = rb_
    # rivals[(record, other round)]: the other round's competitors (roots) -> how strongly each competes
    rivals: dict[tuple[str, int], dict[str, float]] = {}
    # taken[(root, round)]: the roots of that round a record is auto-linked with by its own score
    taken: dict[tuple[str, int], set[str]] = {}
    for link in links:
        ra, rb = rounds.get(link.a), rounds.get(link.b)
        if ra is None or rb is None or ra == rb:
            continue
        if "head_still_heads" in link.reasons:
            continue       # another household's record with its own head in the other round: no rival
        strength = _rival_strength(link)
        for me, other, round_ in ((link.a, link.b, rb), (link.b, link.a, ra)):
            comp = rivals.setdefault((me, round_), {})
            comp[root(other)] = max(comp.get(root(other), 0.0), strength)
        if link.band == AUTO:
            taken.setdefault((root(link.a), rb), set()).add(root(link.b))
            taken.setdefault((root(link.b), ra), set()).add(root(link.a))
    for link in links:
        if link.band != REVIEW or link.probability < SUCCESSOR_THRESHOLD:
            continue
        ra, rb = rounds.get(link.a), rounds.get(link.b)
        if ra is None or rb is None or ra == rb:
            continue
        reason = promotion_reason(link.gamma, link.reasons)
        if reason is None:
            continue
        if reason == "only_household_at_the_house" and ((link.a, rb) in named_elsewhere
                                                        or (link.b, ra) in named_elsewhere):
            continue       # the old head (or the new one) heads a record of the other round: no evidence enough
        if _only_rival(link, link.a, rb, ra, rivals, taken, root, reason) \
                and _only_rival(link, link.b, ra, rb, rivals, taken, root, reason):
            link.band = AUTO
            link.reasons = (*link.reasons, reason)


def _rival_strength(link: Link) -> float:
    """How strongly a pair competes for its records: a same-head pair at another house (or street) as
    strongly as it scores — a namesake there is as likely as the household having moved —, any
    other pair fully."""
    if len(link.gamma) > F_ADDRESS and link.gamma[F_HEAD] in HEAD_AGREES \
            and link.gamma[F_ADDRESS] in (ADDR_STREET, ADDR_DIFFERENT):
        return link.probability
    return 1.0


def _only_rival(link: Link, me: str, other_round: int, my_round: int, rivals, taken, root, reason: str) -> bool:
    """Whether ``link``'s other record is the only competitor of ``me`` in the other round. Not
    counted: a competitor already auto-linked, by its own score, with another household of my round
    (a household has one record per round: it is taken); and, for a head change (``successor``), a
    same-head pair at another house that scores lower than the head change (a namesake there, as
    ``heads_still_head`` reads it)."""
    mine = root(me)
    partner = root(link.b if me == link.a else link.a)
    for other, strength in rivals.get((me, other_round), {}).items():
        if other == partner:
            continue
        if taken.get((other, my_round), set()) - {mine}:
            continue
        if reason == "successor" and strength < link.probability:
            continue
        return False
    return True


# Rule notes that leave a same-head pair free to be promoted as the only counterpart: a record without
# a house number or identifier is still one household's record when nothing else competes for it.
_PROMOTABLE_NOTES = frozenset({"thin_evidence"})


def promotion_reason(gamma: Sequence[int], reasons: Sequence[str]) -> str | None:
    """Why a review pair of two rounds may be linked automatically when it is each record's only pair
    with the other's round (``promote_successors``; the registry's ``review._promote_successor``), or
    None: a head change whose evidence explains it (``successor``); a pair whose heads are one person
    by name that no rule holds back beyond thin evidence (``only_counterpart``; on the tuning set A,
    52 of 52 such pairs in the review band that were each record's only candidate in the other round
    were one household); an unexplained head change at the very same house
    (``only_household_at_the_house``)."""
    if "head_change_explained" in reasons:
        return "successor"
    if len(gamma) > F_HEAD and gamma[F_HEAD] in HEAD_AGREES and set(reasons) <= _PROMOTABLE_NOTES:
        return "only_counterpart"
    if tuple(reasons) == ("head_change_unexplained",) and len(gamma) > F_ADDRESS and gamma[F_ADDRESS] == ADDR_SAME \
            and (len(gamma) <= F_SIZE or gamma[F_SIZE] in (NULL, SIZE_EQUAL, SIZE_ONE)):
        return "only_household_at_the_house"
    return None


def _settled_by_clusters(links: list[Link], cluster_of: dict[str, str], rounds: dict[str, int | None]) -> list[Link]:
    """Take out of the review band (band "new", reason ``settled_by_other_records``) the pairs whose
    heads differ and whose records each already belong to a household holding a record of the
    other's round: a split family, whose parents' records are linked to each other — the pair is
    settled by those links, a person has nothing to decide."""
    by_root: dict[str, set[int]] = {}
    for rid, root in cluster_of.items():
        if rounds.get(rid) is not None:
            by_root.setdefault(root, set()).add(rounds[rid])
    for link in links:
        if link.band == REVIEW and len(link.gamma) > F_HEAD and link.gamma[F_HEAD] in HEADS_DIFFER:
            ra, rb = cluster_of[link.a], cluster_of[link.b]
            if ra != rb and (rounds.get(link.b) in by_root.get(ra, ()) and len(by_root.get(ra, ())) > 1
                             or rounds.get(link.a) in by_root.get(rb, ()) and len(by_root.get(rb, ())) > 1):
                link.band = NEW
                link.reasons = (*link.reasons, "settled_by_other_records")
    return links


def _unique_ids(records: list[Record]) -> list[Record]:
    seen: dict[str, int] = {}
    for i, r in enumerate(records):
        if r.rid in seen:
            seen[r.rid] += 1
            r.rid = f"{r.rid}#{seen[r.rid]}"
        else:
            seen[r.rid] = 0
    return records
