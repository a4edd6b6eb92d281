-- summary: one row per (dataset, model, tuning, strategy, augment), the
-- table behind summary.parquet, summary.csv and the printed tables.
--
-- It joins the descriptive statistics (summary_stats) with the Go-computed
-- intervals and tests (summary_tests) and compares every configuration
-- with two references of the same (dataset, model, tuning, augment):
--   d = the `default` strategy (no mitigation),
--   e = the `ensemble` strategy (the strongest and most expensive baseline).
--
--   delta_mean_f1, delta_std_f1   this minus default (fractions; negative
--                                 delta_std_f1 = more stable than default)
--   *_vs_default                  cost ratio to default (DENI: ~3.71)
--   *_vs_ensemble                 cost ratio to ensemble (DENI: ~0.37)
-- for three cost measures: optimizer steps summed over models (the paper's
-- unit), analytic training FLOPs, and wall-clock seconds.
CREATE OR REPLACE TABLE summary AS
SELECT
    s.dataset, s.model, s.tuning, s.strategy, s.augment, s.strategy_rank,
    s.runs, s.failed_status, s.n, s.failed_chance, s.classes, s.members,
    s.mean_f1, s.std_f1, s.std_f1_sample,
    s.min_f1, s.max_f1, s.median_f1, s.q1_f1, s.q3_f1, s.iqr_f1,
    t.mean_ci_low, t.mean_ci_high, t.std_ci_low, t.std_ci_high,
    s.mean_accuracy, s.std_accuracy,
    s.mean_f1 - d.mean_f1 AS delta_mean_f1,
    s.std_f1  - d.std_f1  AS delta_std_f1,
    t.welch_t, t.welch_df, t.welch_p,
    t.bf_stat, t.bf_p,
    s.optimizer_steps, s.train_flops, s.wall_seconds,
    s.optimizer_steps / nullif(d.optimizer_steps, 0) AS steps_vs_default,
    s.train_flops     / nullif(d.train_flops, 0)     AS flops_vs_default,
    s.wall_seconds    / nullif(d.wall_seconds, 0)    AS wall_vs_default,
    s.optimizer_steps / nullif(e.optimizer_steps, 0) AS steps_vs_ensemble,
    s.train_flops     / nullif(e.train_flops, 0)     AS flops_vs_ensemble,
    s.wall_seconds    / nullif(e.wall_seconds, 0)    AS wall_vs_ensemble,
    s.varying_factors,
    CASE WHEN s.varying_factors = '' THEN 0
         ELSE len(string_split(s.varying_factors, ',')) END AS n_varying_factors
FROM summary_stats s
LEFT JOIN summary_stats d
    ON  d.strategy = 'default'
    AND (d.dataset, d.model, d.tuning, d.augment) IS NOT DISTINCT FROM (s.dataset, s.model, s.tuning, s.augment)
LEFT JOIN summary_stats e
    ON  e.strategy = 'ensemble'
    AND (e.dataset, e.model, e.tuning, e.augment) IS NOT DISTINCT FROM (s.dataset, s.model, s.tuning, s.augment)
LEFT JOIN summary_tests t
    ON  t.strategy = s.strategy
    AND (t.dataset, t.model, t.tuning, t.augment) IS NOT DISTINCT FROM (s.dataset, s.model, s.tuning, s.augment)
ORDER BY s.dataset, s.model, s.tuning, s.augment, s.strategy_rank, s.strategy;
