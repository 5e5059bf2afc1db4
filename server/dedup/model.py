"""Fellegi–Sunter scoring with m/u probabilities estimated by EM.

* ``fit(pairs_gamma, records)`` estimates the match share λ and, for every
  field and level, m = P(level | same household) and u = P(level | different
  households) by expectation–maximisation on the comparison vectors of the
  candidate pairs (pattern-compressed, so a million pairs cost milliseconds).
  Pseudo-counts keep every m and u above zero: a level EM would drive to
  m = 0 (it never appears among matches in this data) keeps a small
  probability instead of an infinite negative weight.
* Term-frequency adjustment: agreeing on a common name (Nguyễn Văn An) says
  less than agreeing on a rare one. For the name levels that mean "same
  name", the weight moves by log2(Σp² / p(name)), clipped, where p is the
  share of records whose head has that name and Σp² the chance two random
  records share a name.
* ``score(gamma, a, b)`` returns the total weight (bits), the probability
  and the contribution of every field.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .compare import F_HEAD, FIELD_NAMES, FIELDS, HEAD_ACCENT, HEAD_GIVEN_NEAR, HEAD_SAME_NAME, N_LEVELS, \
    NAME_ACCENT, NAME_EXACT, NAME_FOLDED, NAME_GIVEN, NAME_REORDERED
from .defaults import AUTO_THRESHOLD, DEFAULT_PARAMS, MIN_PAIRS_FOR_EM, REVIEW_THRESHOLD
from .features import PERSON, Record

TF_CLIP = (-5.0, 5.0)
PSEUDO_COUNT = 0.5
MIN_PROB = 1e-6
# The comparison a model was fitted on. A stored model of another comparison (the household name
# and birth year fields before issue 19) is not used: its weights would fall on levels that no
# longer occur (store.load_model falls back to the default model until the next refit).
COMPARISON_VERSION = 2
# Prior strength: the default model counts as this many pairs of each class in EM (a MAP estimate).
# A batch with thousands of matches barely moves from its own fit; a small or skewed batch (a few
# dozen matches, or matches the large majority) leans on the default instead of fitting noise.
PRIOR_PAIRS = 60.0
_HEAD_TF_LEVELS = HEAD_SAME_NAME | {HEAD_ACCENT}


@dataclass
class Model:
    lam: float
    m: list[list[float]]   # [field][level], level 0 unused
    u: list[list[float]]
    tf_name: dict[str, float] = field(default_factory=dict)
    tf_given: dict[str, float] = field(default_factory=dict)
    tf_floor: float = 1e-5
    name_collision: float = 1e-3   # Σp² over head names
    given_collision: float = 3e-2  # Σp² over given names
    auto_threshold: float = 0.99   # probability: link without a person at or above
    review_threshold: float = 0.20  # probability: queue for a person at or above
    iterations: int = 0
    fitted_on_pairs: int = 0

    # --- weights ------------------------------------------------------------------------------
    def __post_init__(self) -> None:
        self._refresh()

    def _refresh(self) -> None:
        self.prior = math.log2(self.lam / (1.0 - self.lam))
        self.weights = [[0.0] + [math.log2(self.m[f][l] / self.u[f][l]) for l in range(1, N_LEVELS[f])]
                        for f in range(len(FIELD_NAMES))]

    @staticmethod
    def threshold_weight(probability: float) -> float:
        p = min(max(probability, 1e-12), 1 - 1e-12)
        return math.log2(p / (1 - p))

    def tf_adjustment(self, gamma: Sequence[int], a: Record, b: Record) -> float:
        if not self.tf_name:
            return 0.0  # no frequencies known (the default model): no adjustment
        if len(gamma) > F_HEAD and gamma[F_HEAD]:      # households: the head field
            head = gamma[F_HEAD]
            if head in _HEAD_TF_LEVELS:
                p = max(self.tf_name.get(a.head_sorted, 0.0), self.tf_name.get(b.head_sorted, 0.0), self.tf_floor)
                adj = math.log2(self.name_collision / p)
            elif head == HEAD_GIVEN_NEAR:
                p = max(self.tf_given.get(a.head_given, 0.0), self.tf_floor)
                adj = math.log2(self.given_collision / p)
            else:
                return 0.0
            return min(max(adj, TF_CLIP[0]), TF_CLIP[1])
        level = gamma[0]
        if level in (NAME_EXACT, NAME_FOLDED, NAME_ACCENT, NAME_REORDERED):
            p = max(self.tf_name.get(a.head_sorted, 0.0), self.tf_name.get(b.head_sorted, 0.0), self.tf_floor)
            adj = math.log2(self.name_collision / p)
        elif level == NAME_GIVEN:
            if a.kind == PERSON:
                return 0.0  # "one part agrees": which part is not known here
            p = max(self.tf_given.get(a.head_given, 0.0), self.tf_floor)
            adj = math.log2(self.given_collision / p)
        else:
            return 0.0
        return min(max(adj, TF_CLIP[0]), TF_CLIP[1])

    def weight(self, gamma: Sequence[int], a: Record, b: Record) -> float:
        w = self.prior
        weights = self.weights
        for f, level in enumerate(gamma):
            if level:
                w += weights[f][level]
        return w + self.tf_adjustment(gamma, a, b)

    def contributions(self, gamma: Sequence[int], a: Record, b: Record) -> list[dict[str, Any]]:
        """Per-field weight in bits (the name field includes its frequency adjustment)."""
        out = []
        tf = self.tf_adjustment(gamma, a, b)
        tf_field = F_HEAD if len(gamma) > F_HEAD and gamma[F_HEAD] else 0
        for f, level in enumerate(gamma):
            name = FIELD_NAMES[f]
            w = self.weights[f][level] if level else 0.0
            item = {"field": name, "level": FIELDS[name][level], "weight": round(w, 3)}
            if f == tf_field and tf:
                item["frequency_adjustment"] = round(tf, 3)
                item["weight"] = round(w + tf, 3)
            out.append(item)
        return out

    # --- persistence --------------------------------------------------------------------------
    def to_json(self, with_tf: bool = True) -> dict[str, Any]:
        data = {"lam": self.lam, "fields": {}, "tf_floor": self.tf_floor,
                "name_collision": self.name_collision, "given_collision": self.given_collision,
                "auto_threshold": self.auto_threshold, "review_threshold": self.review_threshold,
                "iterations": self.iterations, "fitted_on_pairs": self.fitted_on_pairs,
                "comparison": COMPARISON_VERSION}
        for f, name in enumerate(FIELD_NAMES):
            data["fields"][name] = {FIELDS[name][l]: {"m": self.m[f][l], "u": self.u[f][l]}
                                    for l in range(1, N_LEVELS[f])}
        if with_tf:
            data["tf_name"], data["tf_given"] = self.tf_name, self.tf_given
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Model":
        m, u = [], []
        for name in FIELD_NAMES:
            levels = data["fields"].get(name)
            if levels is None:
                # A field added after this model was fitted (the person-record
                # fields): m = u, i.e. no weight until the next fit.
                flat = 1.0 / (len(FIELDS[name]) - 1)
                levels = {lv: {"m": flat, "u": flat} for lv in FIELDS[name][1:]}
            flat = 1.0 / (len(FIELDS[name]) - 1)
            m.append([0.0] + [levels.get(lv, {"m": flat})["m"] for lv in FIELDS[name][1:]])
            u.append([0.0] + [levels.get(lv, {"u": flat})["u"] for lv in FIELDS[name][1:]])
        return cls(lam=data["lam"], m=m, u=u, tf_name=dict(data.get("tf_name", {})),
                   tf_given=dict(data.get("tf_given", {})), tf_floor=data.get("tf_floor", 1e-5),
                   name_collision=data.get("name_collision", 1e-3),
                   given_collision=data.get("given_collision", 3e-2),
                   auto_threshold=data.get("auto_threshold", 0.99),
                   review_threshold=data.get("review_threshold", 0.2),
                   iterations=data.get("iterations", 0), fitted_on_pairs=data.get("fitted_on_pairs", 0))


# --------------------------------------------------------------------------------------------
# Estimation
# --------------------------------------------------------------------------------------------

def term_frequencies(records: Iterable[Record]) -> tuple[dict[str, float], dict[str, float], float, float, float]:
    return name_frequencies((r.head_sorted, r.head_given) for r in records)


def name_frequencies(names_of: Iterable[tuple[str, str]]) -> tuple[dict[str, float], dict[str, float], float, float,
                                                                 float]:
    """Term frequencies from (head sorted-token key, head given name) per record."""
    names: Counter[str] = Counter()
    givens: Counter[str] = Counter()
    n = 0
    for head_sorted, head_given in names_of:
        n += 1
        if " " in head_sorted:
            names[head_sorted] += 1
            givens[head_given] += 1
    if not n:
        return {}, {}, 1e-5, 1e-3, 3e-2
    tf_name = {k: c / n for k, c in names.items()}
    tf_given = {k: c / n for k, c in givens.items()}
    name_collision = max(sum(p * p for p in tf_name.values()), 1e-9)
    given_collision = max(sum(p * p for p in tf_given.values()), 1e-9)
    return tf_name, tf_given, 1.0 / n, name_collision, given_collision


def _initial(patterns: Counter) -> tuple[float, list[list[float]], list[list[float]]]:
    m, u = [], []
    for f, n_levels in enumerate(N_LEVELS):
        counts = [0.0] * n_levels
        for g, c in patterns.items():
            counts[g[f] if f < len(g) else 0] += c   # a shorter vector: trailing fields null
        total = sum(counts[1:]) + PSEUDO_COUNT * (n_levels - 1)
        u.append([0.0] + [(counts[l] + PSEUDO_COUNT) / total for l in range(1, n_levels)])
        geo = [0.0] + [0.5 ** (l - 1) for l in range(1, n_levels)]
        s = sum(geo)
        m.append([x / s for x in geo])
    return 0.05, m, u


# Levels that mean agreement never count against a match (weight >= 0), levels that mean
# disagreement never count for one (weight <= 0), whatever EM estimates: on a batch where most true
# pairs lost their diacritics, EM once made an exact accented name count against a match (m 0.34 <
# u 0.46, issue 19). Constraining keeps the sign; EM still estimates the size.
AGREEMENT = {
    "name": ("exact", "folded_equal", "reordered", "fuzzy"),
    "birth_year": ("equal",),
    "citizen_id": ("head_equal", "member_shared"),
    "address": ("same_house",),
    "phone": ("shared",),
    "roster": ("identical", "most"),
    "head": ("same_name_same_year", "same_name_near_year", "same_name_no_year", "similar_name_near_year"),
    "size": ("equal",),
    "head_link": ("spouse",),
    "birth_date": ("exact",),
    "street": ("same",),
    "locality": ("postcode_and_locality",),
}
DISAGREEMENT = {
    "name": ("different",),
    "birth_year": ("different",),
    "citizen_id": ("head_different",),
    "address": ("different", "same_base_other_suffix"),
    "phone": ("different",),
    "roster": ("none",),
    "head": ("different",),
    "size": ("different",),
    "head_link": ("absent",),
    "birth_date": ("different",),
    "street": ("different",),
    "locality": ("different",),
}
# (better, worse): the better level never weighs less than the worse one.
ORDER = {
    "head": (("same_name_same_year", "same_name_near_year"), ("same_name_near_year", "same_name_other_year"),
             ("similar_name_near_year", "similar_name_other_year"), ("same_name_same_year", "similar_name_near_year")),
    "name": (("exact", "folded_equal"),),
    "roster": (("identical", "most"), ("most", "one_of_two")),
}


def _levels(table: dict[str, tuple[str, ...]]) -> list[tuple[int, list[int]]]:
    return [(FIELD_NAMES.index(f), [FIELDS[f].index(lv) for lv in lvs]) for f, lvs in table.items()]


_AGREE, _DISAGREE = _levels(AGREEMENT), _levels(DISAGREEMENT)
_ORDER = [(FIELD_NAMES.index(f), [(FIELDS[f].index(x), FIELDS[f].index(y)) for x, y in pairs])
          for f, pairs in ORDER.items()]


def _project(row_m: list[float], row_u: list[float], floor: dict[int, float], ceil: dict[int, float]) -> None:
    """Move m of the constrained levels onto their bound (m = u * 2**w) and rescale the free levels
    so that m still sums to one; a few rounds settle it (the rescaling can push a level over)."""
    for _ in range(6):
        fixed: dict[int, float] = {}
        for lv, lo in floor.items():
            if row_m[lv] < lo * row_u[lv]:
                fixed[lv] = lo * row_u[lv]
        for lv, hi in ceil.items():
            if row_m[lv] > hi * row_u[lv]:
                fixed[lv] = hi * row_u[lv]
        if not fixed:
            return
        free = [lv for lv in range(1, len(row_m)) if lv not in fixed]
        mass_fixed = sum(fixed.values())
        mass_free = sum(row_m[lv] for lv in free)
        if mass_fixed >= 1.0 or mass_free <= 0.0:
            return
        scale = (1.0 - mass_fixed) / mass_free
        for lv in free:
            row_m[lv] *= scale
        for lv, v in fixed.items():
            row_m[lv] = v


def _flat(m_row: list[float], u_row: list[float]) -> bool:
    return all(abs(x - y) < 1e-12 for x, y in zip(m_row[1:], u_row[1:]))


def constrain(m: list[list[float]], u: list[list[float]]) -> None:
    """Apply the sign, order and cap constraints to m in place. A field with no information
    (m = u: never observed in the batch, e.g. the person fields of households) stays as it is."""
    flat = {f for f in range(len(m)) if _flat(m[f], u[f])}
    for f, lvs in _AGREE:
        if f not in flat:
            _project(m[f], u[f], {lv: 1.0 for lv in lvs}, {})
    for f, lvs in _DISAGREE:
        if f not in flat:
            _project(m[f], u[f], {}, {lv: 1.0 for lv in lvs})
    for f, pairs in _ORDER:
        if f in flat:
            continue
        for better, worse in pairs:
            wb = m[f][better] / u[f][better]
            ww = m[f][worse] / u[f][worse]
            if wb < ww:   # pull the worse level down to the better one's ratio
                _project(m[f], u[f], {}, {worse: wb})
    apply_constraints(m, u, skip=flat)


def em(patterns: Counter, max_iter: int = 200, tol: float = 1e-7,
       fixed_u: list[list[float]] | None = None, prior: "Model | None" = None,
       prior_pairs: float = PRIOR_PAIRS) -> tuple[float, list[list[float]], list[list[float]], int]:
    """EM over compressed comparison patterns {gamma: count}, constrained (``constrain``) at every
    step; with ``prior`` (a model), a MAP estimate: its m, u and λ count as ``prior_pairs`` pairs
    of each class."""
    lam, m, u = _initial(patterns)
    lam = 0.2
    # Fields the prior knows (its m differs from its u); a field it does not know (flat: the person
    # fields in the household default) gets no prior and starts from the geometric guess.
    known = [prior is not None and any(abs(x - y) > 1e-9 for x, y in zip(prior.m[f][1:], prior.u[f][1:]))
             for f in range(len(N_LEVELS))]
    if prior is not None:
        m = [list(prior.m[f]) if known[f] else m[f] for f in range(len(N_LEVELS))]
        lam = prior.lam
    if fixed_u is not None:
        u = [list(x) for x in fixed_u]
    items = list(patterns.items())
    total = float(sum(patterns.values()))
    alpha = prior_pairs if prior is not None else 0.0
    it = 0
    for it in range(1, max_iter + 1):
        log_lam, log_nlam = math.log(lam), math.log(1 - lam)
        lm = [[math.log(x) if x > 0 else 0.0 for x in row] for row in m]
        lu = [[math.log(x) if x > 0 else 0.0 for x in row] for row in u]
        m_num = [[0.0] * n for n in N_LEVELS]
        u_num = [[0.0] * n for n in N_LEVELS]
        matched = 0.0
        for g, c in items:
            a, b = log_lam, log_nlam
            for f, level in enumerate(g):
                if level:
                    a += lm[f][level]
                    b += lu[f][level]
            d = b - a
            post = 1.0 / (1.0 + math.exp(d)) if d < 700 else 0.0
            pm, pu = c * post, c * (1.0 - post)
            matched += pm
            for f, level in enumerate(g):
                m_num[f][level] += pm
                u_num[f][level] += pu
        if prior is not None:
            new_lam = (matched + alpha * prior.lam) / (total + alpha)
        else:
            new_lam = matched / total
        new_lam = min(max(new_lam, 1e-9), 1 - 1e-9)
        new_m, new_u = [], []
        for f, n_levels in enumerate(N_LEVELS):
            pm_ = [0.0] * n_levels
            pu_ = [0.0] * n_levels
            if known[f]:
                pm_ = [alpha * x for x in prior.m[f]]
                pu_ = [alpha * x for x in prior.u[f]]
            sm = sum(m_num[f][1:]) + sum(pm_[1:]) + PSEUDO_COUNT * (n_levels - 1)
            su = sum(u_num[f][1:]) + sum(pu_[1:]) + PSEUDO_COUNT * (n_levels - 1)
            new_m.append([0.0] + [max((m_num[f][l] + pm_[l] + PSEUDO_COUNT) / sm, MIN_PROB)
                                  for l in range(1, n_levels)])
            new_u.append([0.0] + [max((u_num[f][l] + pu_[l] + PSEUDO_COUNT) / su, MIN_PROB)
                                  for l in range(1, n_levels)])
        if fixed_u is not None:
            new_u = u
        # EM's two classes are unlabelled: the "match" class is the one that agrees more on the
        # strongest level of the fields (label switching when matches are the majority of the
        # candidate pairs, as in FEBRL); checked before the constraints, which assume it.
        if sum(new_m[f][1] - new_u[f][1] for f in range(len(N_LEVELS))) < 0:
            new_lam, new_m, new_u = 1 - new_lam, new_u, new_m
        constrain(new_m, new_u)
        delta = abs(new_lam - lam) + max(abs(x - y) for rm, rn in zip(m, new_m) for x, y in zip(rm, rn))
        lam, m, u = new_lam, new_m, new_u
        if delta < tol:
            break
    return lam, m, u, it


# Domain constraints EM cannot learn: its "match" class also gathers related
# households (a split family shares roster, phone and house-number base with
# its parent), so it can make "same base, different suffix" look like
# agreement. That level is evidence against: its weight is capped here.
MAX_WEIGHT = {("address", "same_base_other_suffix"): -3.0,
              ("name", "accent_conflict"): -1.0,
              ("head", "accent_conflict"): -1.0}


def apply_constraints(m: list[list[float]], u: list[list[float]], skip: set[int] | frozenset[int] = frozenset()) -> None:
    for (fname, lname), cap in MAX_WEIGHT.items():
        f = FIELD_NAMES.index(fname)
        if f in skip:
            continue
        level = FIELDS[fname].index(lname)
        limit = u[f][level] * 2.0 ** cap
        if m[f][level] > limit:
            m[f][level] = limit
            rest = sum(m[f][1:])
            m[f][1:] = [x / rest for x in m[f][1:]]


def fit(gammas: Iterable[Sequence[int]], records: Iterable[Record] | None, *, auto_threshold: float | None = None,
        review_threshold: float | None = None, tf: tuple | None = None, prior: bool = True) -> Model:
    """Estimate a model from the comparison vectors of the candidate pairs
    (or a {gamma: count} Counter of them); name frequencies from ``records``,
    or given as ``tf`` (``name_frequencies``). ``prior``: EM leans on the
    default model (``PRIOR_PAIRS``); off to re-estimate the default itself."""
    patterns: Counter = gammas if isinstance(gammas, Counter) else Counter(tuple(g) for g in gammas)
    n_pairs = sum(patterns.values())
    base = default_model()
    if n_pairs < MIN_PAIRS_FOR_EM:
        lam, m, u, iterations = base.lam, [list(r) for r in base.m], [list(r) for r in base.u], 0
    else:
        lam, m, u, iterations = em(patterns, prior=base if prior else None)
    constrain(m, u)
    tf_name, tf_given, floor, name_c, given_c = tf if tf is not None else term_frequencies(records or ())
    model = Model(lam=lam, m=m, u=u, tf_name=tf_name, tf_given=tf_given, tf_floor=floor,
                  name_collision=name_c, given_collision=given_c, iterations=iterations,
                  fitted_on_pairs=n_pairs)
    model.auto_threshold = AUTO_THRESHOLD if auto_threshold is None else auto_threshold
    model.review_threshold = REVIEW_THRESHOLD if review_threshold is None else review_threshold
    return model


def default_model() -> Model:
    """A fresh copy of the default model (``defaults.DEFAULT_PARAMS``; no name frequencies: no TF
    adjustment)."""
    return Model.from_json(DEFAULT_PARAMS)
