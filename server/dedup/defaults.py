"""Default thresholds and the default model, measured on the labelled set.

Thresholds are probabilities from the Fellegi–Sunter model, chosen on the
tuning set A only (``evalset.generate``, with and without ``REGISTER_MIX``;
docs/dedup.md has the sweep): auto-link at p ≥ 0.97 is the lowest that kept
precision 1.000 on four 8,000-household sets (0.95 let 3 false links through
on one); the review band starts at p ≥ 0.20.

``DEFAULT_PARAMS`` is what constrained EM estimated, without a prior, on the
candidate pairs of ``evalset.generate(2000, seed=7)`` and
``evalset.generate(2000, seed=8, rates=evalset.REGISTER_MIX)`` together
(``evaluate.estimate_default_params``; rounded, without name frequencies). It is also
the prior every EM fit leans on (``model.PRIOR_PAIRS``). The server scores with it until it has
households enough to refit on its own data (``review.refit_model``); a batch
smaller than ``MIN_PAIRS_FOR_EM`` candidate pairs uses it too, because EM on a
handful of pairs is unstable.
"""
from __future__ import annotations

import os

AUTO_THRESHOLD = 0.97
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
    "lam": 0.1627,
    "fields": {
        "citizen_id": {"head_equal": {"m": 0.645, "u": 0.0002376}, "member_shared": {"m": 0.2658, "u": 0.001374},
                       "head_one_edit": {"m": 0.02813, "u": 0.0001094},
                       "head_different": {"m": 0.004467, "u": 0.6748}, "all_different": {"m": 0.05657, "u": 0.3234}},
        "address": {"same_house": {"m": 0.9677, "u": 0.02308},
                    "same_base_other_suffix": {"m": 0.001021, "u": 0.008168},
                    "same_street_other_house": {"m": 0.003665, "u": 0.09171}, "different": {"m": 0.02762, "u": 0.877}},
        "phone": {"shared": {"m": 0.9891, "u": 0.005363}, "different": {"m": 0.01092, "u": 0.9946}},
        "roster": {"identical": {"m": 0.61, "u": 6.103e-05}, "most": {"m": 0.3446, "u": 3.584e-05},
                   "one_of_two": {"m": 0.01805, "u": 0.003381}, "few": {"m": 0.02655, "u": 0.0769},
                   "none": {"m": 0.0008353, "u": 0.9196}},
        "head": {"same_name_same_year": {"m": 0.8026, "u": 0.008223},
                 "same_name_near_year": {"m": 0.03394, "u": 0.01261},
                 "same_name_no_year": {"m": 0.0001198, "u": 2.323e-05},
                 "same_name_other_year": {"m": 0.0001206, "u": 0.4082},
                 "accent_conflict": {"m": 0.0002902, "u": 0.0005805},
                 "similar_name_near_year": {"m": 0.06623, "u": 0.01559},
                 "similar_name_other_year": {"m": 0.003168, "u": 0.03303},
                 "given_only_near_year": {"m": 0.001718, "u": 0.2325},
                 "other_name_near_year": {"m": 0.01687, "u": 0.04166}, "different": {"m": 0.07496, "u": 0.2476}},
        "size": {"equal": {"m": 0.8072, "u": 0.1825}, "one_apart": {"m": 0.185, "u": 0.2946},
                 "two_apart": {"m": 0.006106, "u": 0.2331}, "different": {"m": 0.001725, "u": 0.2897}},
        "head_link": {"spouse": {"m": 0.4422, "u": 0.01121}, "member": {"m": 0.2648, "u": 0.008043},
                      "couple": {"m": 0.1239, "u": 0.1753}, "heir": {"m": 0.09636, "u": 0.06556},
                      "absent": {"m": 0.07277, "u": 0.7399}},
    },
    "auto_threshold": AUTO_THRESHOLD,
    "review_threshold": REVIEW_THRESHOLD,
    "comparison": 2,
}
