# The DENI study's secondary numbers (docs/results/deni-study.md, "What 20 runs show"), from the
# committed per-run CSV, so a reader can check them without rerunning anything:
#
#   /usr/bin/python3 scripts/deni-study-mechanism.py docs/results/deni-study-confirm-runs.csv
#   /usr/bin/python3 scripts/deni-study-mechanism.py docs/results/deni-study-confirm-runs.csv docs/results/deni-study-branch-runs.csv
#
# Several per-run tables are read as one (a run ID in two of them is one run: stage 3's default runs
# are the confirmation's).
#
# Per dataset and cell against default's 20 runs: the std ratio with a bootstrap 95% interval
# (20,000 resamples of each side, seeded), Brown-Forsythe p (scipy's levene(center='median')),
# the shift of the mean and of the worst run (points). For the cells whose runs vote over members
# branched from a main model (DENI and its variants): the Pearson r between each run's final
# macro-F1 and its own main model's (main_macro_f1), with its p, and the spread of what the vote
# adds (final - main) beside the main model's own spread. Then, per cell, a post-hoc pooled test
# over the datasets (not the decision rule): each run's absolute deviation from its cell's median,
# scaled by the dataset's mean deviation, cell against default by Student's t-test, and the
# geometric mean of the per-dataset std ratios, and the Pearson r of final and main macro-F1 over
# all datasets' runs, each standardised within its dataset. Last, every pair of cells run on a
# dataset (not readouts): Brown-Forsythe p, Welch p, std ratio and mean shift of the second against
# the first. Needs numpy and scipy (Debian: python3-scipy).
import csv
import sys

import numpy as np
from scipy import stats

rows = list({r["run_id"]: r for f in sys.argv[1:] for r in csv.DictReader(open(f))}.values())


def values(dataset, strategy, col="macro_f1"):
    return np.array([float(r[col]) for r in rows if r["dataset"] == dataset and r["strategy"] == strategy])


datasets = sorted({r["dataset"] for r in rows})
cells = sorted({r["strategy"] for r in rows} - {"default"})
# Cells whose members branch from a main model (DENI, its variants, delayed_ensemble): their main
# model alone is a readout of the same runs.
branching = {r["strategy"] for r in rows if r.get("method", "deni" if r["strategy"].startswith("deni") else "")
             in ("deni", "delayed_ensemble") and int(r["members"]) > 1}
cells = [(c, "macro_f1") for c in cells] + [(c + "[main]", "main_macro_f1") for c in cells if c in branching]
pooled = {}
print("dataset  cell                 n  std_ratio  boot95      bf_p   d_mean  d_worst  r_final_main  r_p     gain_std  main_std")
for d in datasets:
    a = values(d, "default")
    for cell, col in cells:
        b = values(d, cell.removesuffix("[main]"), col)
        if len(b) < 5 or len(a) < 5:  # a cell still running
            continue
        rng = np.random.default_rng(1)
        ratios = [np.std(rng.choice(b, len(b))) / np.std(rng.choice(a, len(a))) for _ in range(20000)]
        lo, hi = np.percentile(ratios, [2.5, 97.5])
        line = "%-8s %-20s %2d  %9.2f  %.2f-%.2f  %5.3f  %+6.2f  %+7.2f" % (
            d, cell, len(b), np.std(b) / np.std(a), lo, hi, stats.levene(a, b, center="median").pvalue,
            100 * (b.mean() - a.mean()), 100 * (b.min() - a.min()))
        # A DENI cell's own runs: its final result beside its main model's.
        main = values(d, cell, "main_macro_f1") if cell in branching and col == "macro_f1" else []
        voting = len(main) == len(b)
        if voting:
            r, p = stats.pearsonr(b, main)
            line += "  %12.2f  %5.3f  %8.2f  %8.2f" % (r, p, 100 * np.std(b - main), 100 * np.std(main))
        print(line)
        da, db = np.abs(a - np.median(a)), np.abs(b - np.median(b))
        scale = np.mean(np.concatenate([da, db]))
        za, zb, logs, fs, ms = pooled.setdefault(cell, ([], [], [], [], []))
        if voting:
            fs += list((b - b.mean()) / b.std())
            ms += list((main - main.mean()) / main.std())
        za += list(da / scale)
        zb += list(db / scale)
        logs.append(np.log(np.std(b) / np.std(a)))
print()
print("pooled over datasets (post hoc): cell, datasets, deviation ratio, t-test p, geometric mean of std ratios,"
      " within-dataset r of final and main with its p")
for cell, (za, zb, logs, fs, ms) in pooled.items():
    line = "%-20s %d  %.2f  %.3f  %.2f" % (cell, len(logs), np.mean(zb) / np.mean(za),
                                          stats.ttest_ind(zb, za).pvalue, np.exp(np.mean(logs)))
    if len(fs) > 2:
        r, p = stats.pearsonr(fs, ms)
        line += "  r %.2f  p %.1g (%d runs)" % (r, p, len(fs))
    print(line)

print()
print("pairs of cells (second against first): dataset, cells, runs, std ratio, Brown-Forsythe p, mean shift, Welch p")
for d in datasets:
    run = [c for c, col in cells if col == "macro_f1" and len(values(d, c)) >= 5]
    for i, c1 in enumerate(run):
        for c2 in run[i + 1:]:
            a, b = values(d, c1), values(d, c2)
            print("%-8s %-14s %-14s %2d/%2d  %5.2f  %5.3f  %+6.2f  %.3g" % (
                d, c1, c2, len(a), len(b), np.std(b) / np.std(a), stats.levene(a, b, center="median").pvalue,
                100 * (b.mean() - a.mean()), stats.ttest_ind(b, a, equal_var=False).pvalue))
