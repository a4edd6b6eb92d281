-- The literature table (docs/results/literature.md): one row per dataset ×
-- strategy, ranked by spread, with the cost beside it.
-- It reads the view study_runs of experiments/runs.sql, made from a results
-- folder or from the committed per-run table:
--   cat experiments/runs.sql experiments/literature.sql | deni sql --results results/literature -
--   (echo "CREATE VIEW study_runs AS FROM 'docs/results/literature-runs.csv';"
--    cat experiments/literature.sql) | deni sql -
--
-- Cells are the strategies run, plus `X[vote]` for an ensemble that shows
-- its soup (combine: soup): the same runs' majority vote (no extra CPU).
-- Columns: F1 ×100 (population std, as the paper); worst run; runs at
-- chance (macro-F1 <= 1/classes); optimizer steps and analytic training
-- FLOPs per run, both as multiples of default's, and inference_x, the models
-- a test prediction runs as a multiple of default's (an ensemble's vote its
-- voters, a soup or an averaged model one: what serving it costs); std
-- ratio to default;
-- Brown-Forsythe and Welch p against default (bf_p, welch_p: scipy's
-- levene(center='median') and ttest_ind(equal_var=False)) and the same
-- Holm-adjusted over the dataset's cells (bf_p_holm, welch_p_holm: about 22
-- comparisons with default per dataset, so a raw p of 0.01 is no finding
-- alone; statsmodels' multipletests(method='holm')); in the view only, the
-- same two tests as signed normal scores (bf_z, welch_z: negative when
-- narrower or lower), which experiments/literature-overall.sql pools over
-- the datasets; rank by std
-- within the dataset (1 = narrowest); pareto: no other cell of the dataset
-- is at least as narrow at no more training FLOPs and better in one of the
-- two, so the cells marked true are the choices worth their cost. The view
-- literature keeps the numbers
-- unrounded for experiments/literature-overall.sql (one row per strategy).
CREATE OR REPLACE TEMP VIEW literature AS
WITH r AS (
    -- Typed here: a per-run CSV whose readouts are all empty reads as text.
    SELECT dataset, strategy, combine, run_index::INTEGER AS run_index, macro_f1::DOUBLE AS macro_f1,
           majority_macro_f1::DOUBLE AS majority_macro_f1, classes::INTEGER AS classes,
           optimizer_steps::BIGINT AS optimizer_steps, train_flops::DOUBLE AS train_flops,
           greatest(coalesce(members::INTEGER, 1), 1) AS voters
    FROM study_runs
), cells AS (
    -- models: how many models a test prediction runs (the soup is one).
    SELECT dataset, strategy AS cell, run_index, macro_f1 AS f1, classes, optimizer_steps, train_flops,
           CASE WHEN combine = 'soup' THEN 1 ELSE voters END AS models
    FROM r
    UNION ALL
    SELECT dataset, strategy || '[vote]', run_index, majority_macro_f1, classes, optimizer_steps, train_flops,
           voters
    FROM r
    WHERE combine = 'soup' AND majority_macro_f1 IS NOT NULL
), stats AS (
    SELECT dataset, cell, count(*) AS n,
           avg(f1) AS mean, stddev_pop(f1) AS std, min(f1) AS worst,
           count(*) FILTER (WHERE f1 <= 1.0 / classes) AS at_chance,
           avg(optimizer_steps) AS steps, avg(train_flops) AS flops, avg(models) AS models,
           list(f1 ORDER BY run_index) AS xs
    FROM cells GROUP BY dataset, cell
), base AS (
    SELECT dataset, mean AS d_mean, std AS d_std, xs AS d_xs, steps AS d_steps, flops AS d_flops,
           models AS d_models
    FROM stats WHERE cell = 'default'
), cells_vs_default AS (
    SELECT s.dataset, s.cell, s.n, s.mean, s.std, s.worst, s.at_chance,
           s.steps / b.d_steps AS steps_x, s.flops / b.d_flops AS flops_x,
           s.models / b.d_models AS inference_x,
           s.mean - b.d_mean AS delta_mean, s.std / nullif(b.d_std, 0) AS std_ratio,
           bf_p(s.xs, b.d_xs) AS bf_p, welch_p(s.xs, b.d_xs) AS welch_p,
           bf_z(s.xs, b.d_xs) AS bf_z, welch_z(s.xs, b.d_xs) AS welch_z
    FROM stats s LEFT JOIN base b USING (dataset)
), tests AS (
    -- Holm's step-down adjustment, per dataset and test, over every cell
    -- compared with default: the i-th smallest of m p-values becomes the
    -- running maximum of (m - i + 1) * p, capped at 1.
    SELECT dataset, cell, 'bf' AS test, bf_p AS p FROM cells_vs_default WHERE cell <> 'default' AND bf_p IS NOT NULL
    UNION ALL
    SELECT dataset, cell, 'welch', welch_p FROM cells_vs_default WHERE cell <> 'default' AND welch_p IS NOT NULL
), scaled AS (
    SELECT *, (count(*) OVER family - row_number() OVER (family ORDER BY p, cell) + 1) * p AS scaled_p
    FROM tests WINDOW family AS (PARTITION BY dataset, test)
), holm AS (
    SELECT dataset, cell,
           max(adjusted) FILTER (WHERE test = 'bf') AS bf_p_holm,
           max(adjusted) FILTER (WHERE test = 'welch') AS welch_p_holm
    FROM (SELECT dataset, cell, test,
                 least(1, max(scaled_p) OVER (PARTITION BY dataset, test ORDER BY p, cell
                                               ROWS UNBOUNDED PRECEDING)) AS adjusted
          FROM scaled)
    GROUP BY dataset, cell
)
SELECT l.*, h.bf_p_holm, h.welch_p_holm,
       NOT EXISTS (
           SELECT 1 FROM cells_vs_default o
           WHERE o.dataset = l.dataset AND o.std <= l.std AND o.flops_x <= l.flops_x
             AND (o.std < l.std OR o.flops_x < l.flops_x)
       ) AS pareto
FROM cells_vs_default l LEFT JOIN holm h USING (dataset, cell);

SELECT dataset,
       rank() OVER (PARTITION BY dataset ORDER BY std) AS std_rank,
       cell, n,
       printf('%.2f ± %.2f', 100 * mean, 100 * std) AS f1,
       round(100 * worst, 2) AS worst,
       at_chance,
       round(steps_x, 2) AS steps_x,
       round(flops_x, 2) AS flops_x,
       round(inference_x, 2) AS inference_x,
       round(100 * delta_mean, 2) AS delta_mean,
       round(std_ratio, 2) AS std_ratio,
       round(bf_p, 4) AS bf_p,
       round(bf_p_holm, 4) AS bf_p_holm,
       round(welch_p, 4) AS welch_p,
       round(welch_p_holm, 4) AS welch_p_holm,
       pareto
FROM literature
ORDER BY dataset, std_rank, cell;
