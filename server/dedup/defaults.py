"""Default thresholds and the default model, measured on the labelled set.

Thresholds are probabilities from the Fellegi–Sunter model, chosen on
``evalset.generate`` sets (docs/dedup.md has the sweep): auto-link at
p ≥ 0.99 kept precision ≥ 0.999; the review band starts at p ≥ 0.20.

``DEFAULT_PARAMS`` is what EM estimated on ``evalset.generate(2000, seed=7)``
(rounded, without name frequencies). The server scores with it until it has
households enough to refit on its own data (``review.refit_model``); a batch
smaller than ``MIN_PAIRS_FOR_EM`` candidate pairs uses it too, because EM on a
handful of pairs is unstable.
"""
from __future__ import annotations

import os

AUTO_THRESHOLD = 0.99
REVIEW_THRESHOLD = 0.20
MIN_PAIRS_FOR_EM = 300

# ``review.refit_model`` runs EM on a uniform sample of at most this many
# candidate pairs, so its memory does not grow with the registry (EM on
# 200,000 pairs already estimates m, u and λ to about ±0.002).
REFIT_MAX_PAIRS = 200_000


def refit_max_pairs() -> int:
    """``RASOAT_DEDUP_REFIT_MAX_PAIRS`` if set to an integer (≤ 0: no cap), else ``REFIT_MAX_PAIRS``."""
    try:
        return int(os.environ.get("RASOAT_DEDUP_REFIT_MAX_PAIRS", REFIT_MAX_PAIRS))
    except ValueError:
        return REFIT_MAX_PAIRS

DEFAULT_PARAMS = {
    "lam": 0.1482,
    "fields": {
        "name": {"exact": {"m": 0.5502, "u": 0.2574}, "folded_equal": {"m": 0.2885, "u": 0.1409},
                 "accent_conflict": {"m": 0.0002411, "u": 0.0117}, "reordered": {"m": 0.03111, "u": 0.02311},
                 "fuzzy": {"m": 0.04059, "u": 0.02322}, "given_only": {"m": 0.002171, "u": 0.2202},
                 "different": {"m": 0.08718, "u": 0.3235}},
        "birth_year": {"equal": {"m": 0.88, "u": 0.2525}, "off_by_one": {"m": 0.04994, "u": 0.0471},
                       "different": {"m": 0.07006, "u": 0.7004}},
        "citizen_id": {"head_equal": {"m": 0.6228, "u": 4.842e-05}, "member_shared": {"m": 0.3213, "u": 0.00166},
                       "head_one_edit": {"m": 0.02194, "u": 6.498e-05},
                       "head_different": {"m": 0.006465, "u": 0.6736},
                       "all_different": {"m": 0.02755, "u": 0.3247}},
        "address": {"same_house": {"m": 0.9558, "u": 0.02351},
                    "same_base_other_suffix": {"m": 0.001, "u": 0.008484},
                    "same_street_other_house": {"m": 0.003297, "u": 0.09459},
                    "different": {"m": 0.0263, "u": 0.8734}},
        "phone": {"shared": {"m": 0.9915, "u": 0.007382}, "different": {"m": 0.008517, "u": 0.9926}},
        "roster": {"identical": {"m": 0.4881, "u": 4.222e-05}, "most": {"m": 0.305, "u": 0.000143},
                   "one_of_two": {"m": 0.1855, "u": 0.004853}, "few": {"m": 0.01789, "u": 0.06232},
                   "none": {"m": 0.00349, "u": 0.9326}},
    },
    "auto_threshold": AUTO_THRESHOLD,
    "review_threshold": REVIEW_THRESHOLD,
}


def default_model():
    """A fresh copy of the default model (no name frequencies: no TF adjustment)."""
    from .model import Model
    return Model.from_json(DEFAULT_PARAMS)
