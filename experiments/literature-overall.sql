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
-- (pareto in experiments/literature.sql); the mean shift of macro-F1 ×100; optimizer steps,
-- training FLOPs and models a prediction runs as multiples of default's,
-- averaged over the datasets.
WITH ranked AS (
    SELECT *, rank() OVER (PARTITION BY dataset ORDER BY std) AS std_rank
    FROM literature
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
       round(avg(steps_x), 2) AS steps_x,
       round(avg(flops_x), 2) AS flops_x,
       round(avg(inference_x), 2) AS inference_x
FROM ranked
GROUP BY cell
ORDER BY std_ratio_geomean, steps_x, cell;
