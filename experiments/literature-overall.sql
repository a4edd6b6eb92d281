-- The literature table in one row per strategy (docs/results/literature.md):
-- each strategy over the datasets, against default of each dataset, ranked by
-- its typical spread. Reads the view of experiments/literature.sql:
--   cat experiments/runs.sql experiments/literature.sql experiments/literature-overall.sql |
--     deni sql --results results/literature -
-- (or, from the committed runs, the prefix of experiments/runs.sql's header
-- instead of experiments/runs.sql).
--
-- Columns: datasets and the fewest runs of a cell; the geometric mean of the
-- std ratios to default (below 1: narrower) and the mean std rank within
-- the datasets (1 = narrowest); datasets where the spread is narrower or
-- wider (Brown-Forsythe p < 0.05) and where the mean is higher or lower
-- (Welch p < 0.05), each also after Holm's adjustment over the dataset's
-- cells (the _holm columns: what survives the ~22 comparisons); datasets where it is on the cost-spread frontier
-- (pareto in experiments/literature.sql); the mean shift of macro-F1 ×100;
-- the datasets pooled (Stouffer's method: the sum of each dataset's signed
-- normal score over √datasets, bf_z and welch_z of experiments/literature.sql;
-- the datasets are independent samples and runs): spread_z and mean_z
-- (negative: narrower, lower) with their two-sided p and the p Holm-adjusted
-- over the strategies (10 runs a side on each of 4 datasets come close to
-- 40 runs a side on one when all share the spread ratio); optimizer
-- steps, training FLOPs and models a prediction runs as multiples of
-- default's, averaged over the datasets.
WITH ranked AS (
    SELECT *, rank() OVER (PARTITION BY dataset ORDER BY std) AS std_rank
    FROM literature
), pooled AS (
    SELECT cell, sum(bf_z) / sqrt(count(bf_z)) AS spread_z, sum(welch_z) / sqrt(count(welch_z)) AS mean_z
    FROM literature WHERE cell <> 'default' GROUP BY cell
), tests AS (
    SELECT cell, 'spread' AS test, normal_p(spread_z) AS p FROM pooled WHERE spread_z IS NOT NULL
    UNION ALL
    SELECT cell, 'mean', normal_p(mean_z) FROM pooled WHERE mean_z IS NOT NULL
), holm AS (
    -- Holm over the strategies, per test (as experiments/literature.sql does per dataset).
    SELECT cell, test, p,
           least(1, max(scaled_p) OVER (PARTITION BY test ORDER BY p, cell ROWS UNBOUNDED PRECEDING)) AS p_holm
    FROM (SELECT *, (count(*) OVER (PARTITION BY test) - row_number() OVER (PARTITION BY test ORDER BY p, cell) + 1) * p
                    AS scaled_p
          FROM tests)
), pooled_tests AS (
    SELECT cell, any_value(spread_z) AS spread_z, any_value(mean_z) AS mean_z,
           any_value(p) FILTER (WHERE test = 'spread') AS spread_p,
           any_value(p_holm) FILTER (WHERE test = 'spread') AS spread_p_holm,
           any_value(p) FILTER (WHERE test = 'mean') AS mean_p,
           any_value(p_holm) FILTER (WHERE test = 'mean') AS mean_p_holm
    FROM pooled LEFT JOIN holm USING (cell)
    GROUP BY cell
)
SELECT cell,
       count(*) AS datasets,
       min(n) AS min_runs,
       round(exp(avg(ln(nullif(std_ratio, 0)))), 2) AS std_ratio_geomean,
       round(avg(std_rank), 1) AS mean_std_rank,
       count(*) FILTER (WHERE std_ratio < 1 AND bf_p < 0.05) AS narrower,
       count(*) FILTER (WHERE std_ratio < 1 AND bf_p_holm < 0.05) AS narrower_holm,
       count(*) FILTER (WHERE std_ratio > 1 AND bf_p < 0.05) AS wider,
       count(*) FILTER (WHERE std_ratio > 1 AND bf_p_holm < 0.05) AS wider_holm,
       count(*) FILTER (WHERE delta_mean > 0 AND welch_p < 0.05) AS higher_mean,
       count(*) FILTER (WHERE delta_mean > 0 AND welch_p_holm < 0.05) AS higher_mean_holm,
       count(*) FILTER (WHERE delta_mean < 0 AND welch_p < 0.05) AS lower_mean,
       count(*) FILTER (WHERE delta_mean < 0 AND welch_p_holm < 0.05) AS lower_mean_holm,
       count(*) FILTER (WHERE pareto) AS pareto,
       round(100 * avg(delta_mean), 2) AS delta_mean,
       round(any_value(spread_z), 2) AS spread_z,
       round(any_value(spread_p), 4) AS spread_p,
       round(any_value(spread_p_holm), 4) AS spread_p_holm,
       round(any_value(mean_z), 2) AS mean_z,
       round(any_value(mean_p), 4) AS mean_p,
       round(any_value(mean_p_holm), 4) AS mean_p_holm,
       round(avg(steps_x), 2) AS steps_x,
       round(avg(flops_x), 2) AS flops_x,
       round(avg(inference_x), 2) AS inference_x
FROM ranked LEFT JOIN pooled_tests USING (cell)
GROUP BY cell
ORDER BY std_ratio_geomean, steps_x, cell;
