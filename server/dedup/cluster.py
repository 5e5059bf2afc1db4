"""Clustering of auto-links into households, best link first, with constraints.

Connected components at a low threshold chain split families (A~B~C); here
only links in the auto band are used, strongest first, and a link is taken
only if it keeps every cluster a plausible household:

* one record per household per review round — except that two surveys of the
  same round (a double survey) may merge when the link itself joins them;
* across rounds one-to-one: a cluster that already holds a record of round R
  does not take another record of round R through a cross-round link;
* human decisions win: must-link pairs are merged first, cannot-link pairs
  never end up in one cluster.
"""
from __future__ import annotations

from typing import Hashable, Iterable, Sequence


class Clusters:
    def __init__(self, items: Iterable[Hashable], rounds: dict[Hashable, int | None]):
        self.parent: dict[Hashable, Hashable] = {x: x for x in items}
        self.members: dict[Hashable, list[Hashable]] = {x: [x] for x in self.parent}
        self.rounds = rounds
        self.cannot: dict[Hashable, set[Hashable]] = {}

    def find(self, x: Hashable) -> Hashable:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def add_cannot(self, a: Hashable, b: Hashable) -> None:
        self.cannot.setdefault(a, set()).add(b)
        self.cannot.setdefault(b, set()).add(a)

    def _blocked(self, ra: Hashable, rb: Hashable) -> bool:
        small, big = (ra, rb) if len(self.members[ra]) <= len(self.members[rb]) else (rb, ra)
        for x in self.members[small]:
            for y in self.cannot.get(x, ()):
                if self.find(y) == big:
                    return True
        return False

    def _rounds_ok(self, a: Hashable, b: Hashable, ra: Hashable, rb: Hashable) -> bool:
        rounds_a = {self.rounds.get(x) for x in self.members[ra]} - {None}
        rounds_b = {self.rounds.get(x) for x in self.members[rb]} - {None}
        common = rounds_a & rounds_b
        if not common:
            return True
        same_round = self.rounds.get(a)
        return same_round is not None and same_round == self.rounds.get(b) and common == {same_round}

    def union(self, a: Hashable, b: Hashable, *, force: bool = False) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if self._blocked(ra, rb):
            return False
        if not force and not self._rounds_ok(a, b, ra, rb):
            return False
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra].extend(self.members.pop(rb))
        return True

    def groups(self) -> list[list[Hashable]]:
        return [list(v) for v in self.members.values()]


def cluster(items: Sequence[Hashable], rounds: dict[Hashable, int | None],
            links: Iterable[tuple[float, Hashable, Hashable]],
            must_link: Iterable[tuple[Hashable, Hashable]] = (),
            cannot_link: Iterable[tuple[Hashable, Hashable]] = (),
            last: Iterable[tuple[Hashable, Hashable]] = ()) -> tuple[dict[Hashable, Hashable], list]:
    """Cluster ``items``; returns ({item: cluster root}, accepted links).

    ``links`` are (weight, a, b) auto-links; they are taken strongest first, except the pairs in
    ``last`` (head changes: the heads differ), which come after every other link — a household's
    record under its own head is its successor before any record under another head, however
    strong the shared phone and IDs make the head change look.
    """
    last_pairs = {frozenset(p) for p in last}
    c = Clusters(items, rounds)
    for a, b in cannot_link:
        if a in c.parent and b in c.parent:
            c.add_cannot(a, b)
    for a, b in must_link:
        if a in c.parent and b in c.parent:
            c.union(a, b, force=True)
    accepted = []
    for w, a, b in sorted(links, key=lambda t: (frozenset((t[1], t[2])) in last_pairs, -t[0])):
        if c.find(a) == c.find(b):
            continue
        if c.union(a, b):
            accepted.append((w, a, b))
    return {x: c.find(x) for x in c.parent}, accepted
