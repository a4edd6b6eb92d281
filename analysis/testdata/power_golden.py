#!/usr/bin/python3
"""Golden values for analysis/power_test.go: the power of the Brown–Forsythe
test (scipy.stats.levene, center='median') and of Welch's t-test
(scipy.stats.ttest_ind, equal_var=False) for normal data, by a simulation
independent of deni's: 10,000 repetitions per point, alpha 0.05.

Brown–Forsythe points: n runs per side from N(0, 1) (default) and
N(0, ratio^2) (the other strategy). Welch points: N(0, 1) against
N(shift, 1), shift in SD units.

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
]


def power(rng, test, n, effect):
    hits = 0
    for _ in range(REPS):
        base = rng.standard_normal(n)
        other = rng.standard_normal(n)
        if test == "brown_forsythe":
            p = stats.levene(other * effect, base, center="median").pvalue
        else:
            p = stats.ttest_ind(other + effect, base, equal_var=False).pvalue
        hits += p < ALPHA
    return hits / REPS


def main():
    rng = np.random.default_rng(SEED)
    out = []
    for test, n, effect in POINTS:
        row = {"test": test, "runs": n, "power": power(rng, test, n, effect)}
        row["std_ratio" if test == "brown_forsythe" else "shift"] = effect
        out.append(row)
    doc = {"reps": REPS, "alpha": ALPHA, "seed": SEED, "scipy": scipy.__version__,
           "numpy": np.__version__, "points": out}
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
