# Two voting cells at the same number of voters k (docs/results/deni-study.md, stage 4), from the
# committed votes of the first k voters of every run (docs/results/ensemble-size-by-run.csv):
#
#   /usr/bin/python3 scripts/ensemble-size-pairs.py ensemble,ensemble5 de_half
#
# A cell may name several strategies, comma-separated: a run's votes come from the first that has
# them (the 10-model ensemble's first 5 models are ensemble5's run of the same index, to the bit,
# so "ensemble,ensemble5" reads the ensemble on every dataset). Per dataset, vote and k that both
# cells have, over the run indexes both have: runs, mean ± population std of macro-F1 ×100 for
# each, the std ratio (first against second), Brown-Forsythe p (scipy's levene(center='median')) and Welch p.
# Needs numpy and scipy (Debian: python3-scipy).
import csv
import sys

import numpy as np
from scipy import stats

rows = list(csv.DictReader(open("docs/results/ensemble-size-by-run.csv")))


def cell(names):
    """(dataset, vote, k) -> {run_index: macro-F1 ×100}, the first named strategy that has a run."""
    out = {}
    for name in reversed(names.split(",")):
        for r in rows:
            if r["strategy"] == name:
                out.setdefault((r["dataset"], r["vote"], int(r["k"])), {})[int(r["run_index"])] = 100 * float(r["macro_f1"])
    return out


a, b = cell(sys.argv[1]), cell(sys.argv[2])
print("dataset vote k runs first second std_ratio bf_p welch_p")
for key in sorted(a.keys() & b.keys()):
    runs = sorted(a[key].keys() & b[key].keys())
    x, y = np.array([a[key][i] for i in runs]), np.array([b[key][i] for i in runs])
    print(*key, len(runs), f"{x.mean():.2f}±{x.std():.2f}", f"{y.mean():.2f}±{y.std():.2f}",
          f"{x.std() / y.std():.2f}", f"{stats.levene(x, y, center='median').pvalue:.2g}",
          f"{stats.ttest_ind(x, y, equal_var=False).pvalue:.2g}")
