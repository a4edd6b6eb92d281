-- The DENI study's table (docs/results/deni-study.md): one row per dataset ×
-- cell, against `default` of the same dataset. It reads the view study_runs
-- of experiments/runs.sql, made from a results folder or from a committed
-- per-run table:
--   cat experiments/runs.sql experiments/deni-study.sql | deni sql --results results/deni-study-confirm -
--   (echo "CREATE VIEW study_runs AS FROM 'docs/results/deni-study-confirm-runs.csv';"
--    cat experiments/deni-study.sql) | deni sql -
--
-- Cells are the strategies run, plus readouts of the same runs (every run
-- records them; no extra CPU):
--   noisy_interpolation  deni's main model (main_macro_f1): DE never touches
--                        it, so it is NI's run bit for bit (tested, and checked
--                        on real runs by experiments/deni-study-ni-check.yaml);
--                        cost: deni's optimizer steps without the DE members'.
--   X[main]              the same for another DENI variant X.
--   X[mean_probs]        X's voters under the other vote rule (X[majority] for
--                        a variant that votes by mean_probs); cost as X.
-- The view deni_study keeps the numbers unrounded for other queries
-- (experiments/deni-study-decision.sql applies the decision rule to it).
-- Columns: F1 ×100 (population std, as the paper); worst run; runs at
-- chance (macro-F1 <= 1/classes); optimizer steps per run and their share of
-- a 10-model ensemble's (10 × the main model's steps); std ratio to default;
-- Brown-Forsythe and Welch p against default (two-sided, SQL functions
-- bf_p and welch_p: scipy's levene(center='median') and ttest_ind(equal_var=False)).
CREATE OR REPLACE TEMP VIEW deni_study AS
WITH r AS (
    -- Typed here: a per-run CSV whose readouts are all empty reads as text.
    SELECT dataset, strategy, method, coalesce(vote, 'majority') AS vote, run_index::INTEGER AS run_index,
           macro_f1::DOUBLE AS macro_f1, main_macro_f1::DOUBLE AS main_macro_f1,
           majority_macro_f1::DOUBLE AS majority_macro_f1, mean_probs_macro_f1::DOUBLE AS mean_probs_macro_f1,
           classes::INTEGER AS classes, members::INTEGER AS members, steps::BIGINT AS steps,
           optimizer_steps::BIGINT AS optimizer_steps, main_optimizer_steps::BIGINT AS main_optimizer_steps
    FROM study_runs
), cells AS (
    SELECT dataset, strategy AS cell, run_index, macro_f1 AS f1, classes,
           optimizer_steps AS cost, steps
    FROM r
    UNION ALL
    SELECT dataset, CASE WHEN strategy = 'deni' THEN 'noisy_interpolation' ELSE strategy || '[main]' END,
           run_index, main_macro_f1, classes, main_optimizer_steps, steps
    FROM r
    WHERE members > 1 AND main_optimizer_steps IS NOT NULL AND main_macro_f1 IS NOT NULL
      AND method = 'deni'
    UNION ALL
    SELECT dataset, strategy || CASE WHEN vote = 'mean_probs' THEN '[majority]' ELSE '[mean_probs]' END,
           run_index, CASE WHEN vote = 'mean_probs' THEN majority_macro_f1 ELSE mean_probs_macro_f1 END,
           classes, optimizer_steps, steps
    FROM r
    WHERE members > 1 AND mean_probs_macro_f1 IS NOT NULL
), stats AS (
    SELECT dataset, cell, count(*) AS n,
           avg(f1) AS mean, stddev_pop(f1) AS std, min(f1) AS worst,
           count(*) FILTER (WHERE f1 <= 1.0 / classes) AS at_chance,
           avg(cost) AS cost, avg(cost) / (10 * avg(steps)) AS share,
           list(f1 ORDER BY run_index) AS xs
    FROM cells GROUP BY dataset, cell
), base AS (
    SELECT dataset, mean AS d_mean, std AS d_std, xs AS d_xs FROM stats WHERE cell = 'default'
)
SELECT s.dataset, s.cell, s.n, s.mean, s.std, s.worst, s.at_chance, s.cost, s.share,
       b.d_mean, b.d_std, bf_p(s.xs, b.d_xs) AS bf_p, welch_p(s.xs, b.d_xs) AS welch_p
FROM stats s LEFT JOIN base b USING (dataset);

SELECT dataset, cell, n,
       printf('%.2f ± %.2f', 100 * mean, 100 * std) AS f1,
       round(100 * worst, 2) AS worst,
       at_chance,
       round(cost)::BIGINT AS optimizer_steps,
       round(100 * share, 1) AS pct_of_ensemble,
       round(100 * (mean - d_mean), 2) AS delta_mean,
       round(std / nullif(d_std, 0), 2) AS std_ratio,
       round(bf_p, 4) AS bf_p,
       round(welch_p, 4) AS welch_p
FROM deni_study
ORDER BY dataset, cell = 'default' DESC, share, cell;
