-- summary_tests: the statistics that Go computes from the values of
-- group_values.sql and appends here, one row per configuration:
--
--   mean_ci_low/high, std_ci_low/high
--       95% percentile bootstrap intervals of the mean and of the
--       population std: 2,000 resamples (with replacement, n of n) from a
--       PCG stream seeded by a fixed seed and the configuration's key, so
--       the intervals are reproducible and independent of the other groups.
--   welch_t, welch_df, welch_p
--       Welch's unequal-variance t-test of the mean against the `default`
--       strategy of the same (dataset, model, tuning, augment); two-sided
--       p-value from Student's t with the Welch-Satterthwaite df (as
--       scipy.stats.ttest_ind(equal_var=False)).
--   bf_stat, bf_p
--       Brown-Forsythe test (Levene's test with medians, as
--       scipy.stats.levene(center='median')) of equal variance against
--       `default`; p-value from F(1, n1 + n2 - 2).
--
-- The tests are NULL for `default` itself and when either group has fewer
-- than 2 runs or no spread at all.
CREATE OR REPLACE TEMP TABLE summary_tests (
    dataset VARCHAR, model VARCHAR, tuning VARCHAR, strategy VARCHAR, augment VARCHAR,
    mean_ci_low DOUBLE, mean_ci_high DOUBLE,
    std_ci_low DOUBLE, std_ci_high DOUBLE,
    welch_t DOUBLE, welch_df DOUBLE, welch_p DOUBLE,
    bf_stat DOUBLE, bf_p DOUBLE
);
