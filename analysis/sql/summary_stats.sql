-- summary_stats: the descriptive statistics of one configuration, that is,
-- one (dataset, model, tuning, strategy, augment) group of runs.
--
-- Which runs count:
--   * every run file counts in `runs`;
--   * runs with status 'failed' (the run crashed: they have an error and no
--     metrics) are counted in `failed_status` and left out of every
--     statistic;
--   * the statistics use the runs with status 'done' and a macro-F1 value.
--
-- macro_f1 and accuracy are fractions (0..1), as in the runs table; the
-- paper's tables show them x100.
CREATE OR REPLACE TEMP TABLE summary_stats AS
WITH scored AS (
    SELECT
        r.*,
        coalesce(o.strategy_rank, 1000) AS strategy_rank,
        r.status = 'done' AND r.macro_f1 IS NOT NULL AND NOT isnan(r.macro_f1) AS ok
    FROM runs r
    LEFT JOIN strategy_order o ON o.strategy = r.strategy
)
SELECT
    dataset, model, tuning, strategy, augment, strategy_rank,

    -- Run counts.
    count(*)                                    AS runs,
    count(*) FILTER (WHERE status <> 'done')    AS failed_status,
    count(*) FILTER (WHERE ok)                  AS n,
    -- Runs that finished but score at or below chance (macro-F1 <= 1/classes):
    -- the reference code's "failed" counter, which it computes but never
    -- reports. They stay in the statistics, as in the reference.
    count(*) FILTER (WHERE ok AND classes > 0 AND macro_f1 <= 1.0 / classes)
                                                AS failed_chance,
    max(classes)                                AS classes,
    max(members)                                AS members,

    -- Centre and spread of macro-F1.
    avg(macro_f1)         FILTER (WHERE ok)     AS mean_f1,
    -- Population std (ddof = 0, numpy's np.std): what the paper reports.
    stddev_pop(macro_f1)  FILTER (WHERE ok)     AS std_f1,
    -- Sample std (ddof = 1, the unbiased variance estimate); NULL for n = 1.
    stddev_samp(macro_f1) FILTER (WHERE ok)     AS std_f1_sample,
    min(macro_f1)         FILTER (WHERE ok)     AS min_f1,
    max(macro_f1)         FILTER (WHERE ok)     AS max_f1,
    -- Quantiles interpolate linearly between order statistics, as numpy's
    -- default (np.percentile, method 'linear'); IQR = q3 - q1.
    quantile_cont(macro_f1, 0.5)  FILTER (WHERE ok) AS median_f1,
    quantile_cont(macro_f1, 0.25) FILTER (WHERE ok) AS q1_f1,
    quantile_cont(macro_f1, 0.75) FILTER (WHERE ok) AS q3_f1,
    quantile_cont(macro_f1, 0.75) FILTER (WHERE ok)
      - quantile_cont(macro_f1, 0.25) FILTER (WHERE ok) AS iqr_f1,

    avg(accuracy)        FILTER (WHERE ok)      AS mean_accuracy,
    stddev_pop(accuracy) FILTER (WHERE ok)      AS std_accuracy,

    -- Cost per run (means over the scored runs). optimizer_steps is summed
    -- over all models of a run: the paper's cost unit (DENI = 3.71x Default
    -- = 37% of a 10-model Ensemble).
    avg(optimizer_steps)         FILTER (WHERE ok) AS optimizer_steps,
    avg(train_flops)              FILTER (WHERE ok) AS train_flops,
    avg(wall_seconds)             FILTER (WHERE ok) AS wall_seconds,

    -- Which randomness factors vary across the scored runs of the group: a
    -- factor varies when its seed takes more than one value. When exactly
    -- one varies (a one-factor-at-a-time study as Dodge et al. 2020), the
    -- spread of the group is attributable to that factor.
    concat_ws(',',
        CASE WHEN count(DISTINCT seed_data_split)       FILTER (WHERE ok) > 1 THEN 'data_split' END,
        CASE WHEN count(DISTINCT seed_label_choice)     FILTER (WHERE ok) > 1 THEN 'label_choice' END,
        CASE WHEN count(DISTINCT seed_sample_order)     FILTER (WHERE ok) > 1 THEN 'sample_order' END,
        CASE WHEN count(DISTINCT seed_model_init)       FILTER (WHERE ok) > 1 THEN 'model_init' END,
        CASE WHEN count(DISTINCT seed_model_randomness) FILTER (WHERE ok) > 1 THEN 'model_randomness' END,
        CASE WHEN count(DISTINCT seed_noise)            FILTER (WHERE ok) > 1 THEN 'noise' END,
        CASE WHEN count(DISTINCT seed_augmentation)     FILTER (WHERE ok) > 1 THEN 'augmentation' END
    ) AS varying_factors
FROM scored
GROUP BY dataset, model, tuning, strategy, augment, strategy_rank;
