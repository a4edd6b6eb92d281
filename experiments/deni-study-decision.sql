-- The DENI study's decision rule (docs/results/deni-study.md, fixed before
-- the data), applied to every cell of the study's table (the view deni_study
-- of experiments/deni-study.sql, so the files run as one):
--   cat experiments/runs.sql experiments/deni-study.sql experiments/deni-study-decision.sql |
--     deni sql --results results/deni-study-confirm -
-- or over the committed runs:
--   (echo "CREATE VIEW study_runs AS FROM 'docs/results/deni-study-confirm-runs.csv';"
--    cat experiments/deni-study.sql experiments/deni-study-decision.sql) | deni sql -
--
-- A variant works if its std is below default's (Brown-Forsythe p < 0.05) on
-- at least two of the four datasets, its mean is not lower (no dataset where
-- Welch p < 0.05 with a lower mean), and it costs at most 50% of a 10-model
-- ensemble's optimizer steps on every dataset. A cell seen on fewer than four
-- datasets is not decided. Columns count datasets; wider and higher_mean are
-- the other sides of the same tests.
WITH counts AS (
    SELECT cell,
           count(*) AS datasets,
           min(n) AS min_runs,
           count(*) FILTER (WHERE std < d_std AND bf_p < 0.05) AS narrower,
           count(*) FILTER (WHERE std > d_std AND bf_p < 0.05) AS wider,
           count(*) FILTER (WHERE mean > d_mean AND welch_p < 0.05) AS higher_mean,
           count(*) FILTER (WHERE mean < d_mean AND welch_p < 0.05) AS lower_mean,
           max(share) AS share
    FROM deni_study
    WHERE cell <> 'default'
    GROUP BY cell
)
SELECT cell, datasets, min_runs, narrower, wider, higher_mean, lower_mean,
       round(100 * share, 1) AS max_pct_of_ensemble,
       CASE
           WHEN datasets < 4 THEN 'not decided: ' || datasets || ' of 4 datasets'
           WHEN narrower >= 2 AND lower_mean = 0 AND share <= 0.5 THEN 'works'
           ELSE 'does not work: ' || concat_ws(', ',
               CASE WHEN narrower < 2 THEN 'narrower on ' || narrower || ' of 2 needed' END,
               CASE WHEN lower_mean > 0 THEN 'lower mean on ' || lower_mean END,
               CASE WHEN share > 0.5 THEN 'costs over 50% of the ensemble' END)
       END AS verdict
FROM counts
ORDER BY datasets DESC, verdict = 'works' DESC, narrower DESC, share, cell;
