-- The voters table: per dataset, voting cell, vote rule and k, the spread of
-- the first k voters' vote over the runs against k = 1 (the main model; in
-- an ensemble or a delayed ensemble the default run with the same seeds),
-- from the view of
-- experiments/ensemble-size.sql:
--   cat experiments/ensemble-size.sql experiments/ensemble-size-table.sql |
--     deni sql --results results/deni-study-confirm -
-- or from its committed per-run table:
--   (echo "CREATE VIEW ensemble_size_runs AS FROM 'docs/results/ensemble-size-by-run.csv';"
--    cat experiments/ensemble-size-table.sql) | deni sql -
-- Columns: macro-F1 ×100 (population std), worst run, k as a share of the
-- run's voters (for an ensemble, its share of the optimizer steps), std
-- ratio, Brown-Forsythe and Welch p against k = 1 over the same runs.
WITH r AS (
    SELECT dataset, strategy, vote, k::INTEGER AS k, run_index::INTEGER AS run_index, macro_f1::DOUBLE AS f1
    FROM ensemble_size_runs
), stats AS (
    SELECT dataset, strategy, vote, k, count(*) AS n, avg(f1) AS mean, stddev_pop(f1) AS std, min(f1) AS worst,
           list(f1 ORDER BY run_index) AS xs
    FROM r GROUP BY ALL
), one AS (
    SELECT dataset, strategy, vote, mean AS m1, std AS s1, xs AS x1 FROM stats WHERE k = 1
), size AS (
    SELECT dataset, strategy, max(k) AS members FROM r GROUP BY ALL
)
SELECT s.dataset, s.strategy, s.vote, s.k, s.n,
       printf('%.2f ± %.2f', 100 * s.mean, 100 * s.std) AS f1,
       round(100 * s.worst, 2) AS worst,
       round(100 * s.k / z.members) AS pct_of_voters,
       round(100 * (s.mean - o.m1), 2) AS delta_mean,
       round(s.std / nullif(o.s1, 0), 2) AS std_ratio,
       round(bf_p(s.xs, o.x1), 4) AS bf_p,
       round(welch_p(s.xs, o.x1), 4) AS welch_p
FROM stats s JOIN one o USING (dataset, strategy, vote) JOIN size z USING (dataset, strategy)
ORDER BY s.dataset, s.strategy, s.vote DESC, s.k;
