#!/usr/bin/python3
"""Golden values for analysis/power_test.go: the power of the Brown–Forsythe
test (scipy.stats.levene, center='median') and of Welch's t-test
(scipy.stats.ttest_ind, equal_var=False) for normal data, by a simulation
independent of deni's: 10,000 repetitions per point, alpha 0.05.

Brown–Forsythe points: n runs per side from N(0, 1) (default) and
N(0, ratio^2) (the other strategy). Welch points: N(0, 1) against
N(shift, 1), shift in SD units. Pooled points (a fourth element, datasets k):
an experiment is k independent such comparisons, each turned into a signed
normal score (the two-sided p as a normal quantile, negative when the other
side's spread is narrower or its mean lower), rejecting when Stouffer's
sum/sqrt(k) does at alpha two-sided (deni power --normal --datasets k).

Run with Debian's python3-scipy (apt-get install python3-scipy):

    /usr/bin/python3 analysis/testdata/power_golden.py > analysis/testdata/power_golden.json
"""
import json

import numpy as np
import scipy
from scipy import stats

REPS = 10_000
ALPHA = 0.05
SEED = 20240618

POINTS = [
    # (test, runs per side, std ratio or shift)
    ("brown_forsythe", 5, 2.0),
    ("brown_forsythe", 10, 2.0),
    ("brown_forsythe", 20, 2.0),
    ("brown_forsythe", 5, 0.5),
    ("brown_forsythe", 10, 0.5),
    ("welch", 5, 1.0),
    ("welch", 10, 1.0),
    ("welch", 20, 1.0),
    # pooled over datasets; appended so that the points above keep their draws
    ("brown_forsythe", 10, 0.5, 4),
    ("brown_forsythe", 10, 0.7, 4),
    ("welch", 5, 0.5, 4),
]


def one(rng, test, n, effect):
    """The two-sided p of one comparison and its sign (-1: other narrower or lower)."""
    base = rng.standard_normal(n)
    other = rng.standard_normal(n)
    if test == "brown_forsythe":
        other = other * effect
        p = stats.levene(other, base, center="median").pvalue
        dev = lambda x: np.mean(np.abs(x - np.median(x)))
        sign = -1 if dev(other) < dev(base) else 1
    else:
        other = other + effect
        p = stats.ttest_ind(other, base, equal_var=False).pvalue
        sign = -1 if other.mean() < base.mean() else 1
    return p, sign


def power(rng, test, n, effect, datasets=1):
    hits = 0
    for _ in range(REPS):
        if datasets == 1:
            p, _ = one(rng, test, n, effect)
        else:
            z = sum(s * stats.norm.isf(p / 2) for p, s in (one(rng, test, n, effect) for _ in range(datasets)))
            p = 2 * stats.norm.sf(abs(z) / np.sqrt(datasets))
        hits += p < ALPHA
    return hits / REPS


def main():
    rng = np.random.default_rng(SEED)
    out = []
    for test, n, effect, *pooled in POINTS:
        k = pooled[0] if pooled else 1
        row = {"test": test, "runs": n, "power": power(rng, test, n, effect, k)}
        row["std_ratio" if test == "brown_forsythe" else "shift"] = effect
        if k > 1:
            row["datasets"] = k
        out.append(row)
    doc = {"reps": REPS, "alpha": ALPHA, "seed": SEED, "scipy": scipy.__version__,
           "numpy": np.__version__, "points": out}
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
