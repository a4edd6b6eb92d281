-- Every run of an experiment, one row each: the committed per-run tables
-- (docs/results/*-runs.csv) and what the study tables are computed from
-- (experiments/deni-study.sql and experiments/literature.sql read the view
-- study_runs). Over a results folder:
--   deni sql --results results/deni-study-confirm --format csv - < experiments/runs.sql
--   cat experiments/runs.sql experiments/deni-study.sql | deni sql --results results/deni-study-confirm -
-- Over a committed per-run table instead, no results folder needed (the
-- tables of docs/results/ come from these, so runs made on different
-- machines add up):
--   (echo "CREATE VIEW study_runs AS FROM 'docs/results/deni-study-confirm-runs.csv';"
--    cat experiments/deni-study.sql) | deni sql -
-- Columns beyond the runs table's: method (the strategy a label names),
-- vote and combine (its options, NULL when unset), main_optimizer_steps
-- (the main model's own steps when members branch from it: optimizer steps
-- less the members' after the final ensemble is created).
CREATE OR REPLACE TEMP VIEW study_runs AS
WITH final AS (
    SELECT run_id, min(step) AS final_step
    FROM events WHERE kind = 'final_ensemble_created' GROUP BY run_id
)
SELECT run_id, dataset, strategy,
       json_extract_string(config, '$.strategy.name') AS method,
       json_extract_string(config, '$.strategy.vote') AS vote,
       json_extract_string(config, '$.strategy.combine') AS combine,
       run_index, macro_f1, main_macro_f1, majority_macro_f1, mean_probs_macro_f1,
       accuracy, classes, members, lr, steps, optimizer_steps,
       CASE WHEN members > 1 AND final_step IS NOT NULL
            THEN optimizer_steps - (members - 1) * (steps - final_step + 1) END AS main_optimizer_steps,
       train_flops, round(wall_seconds, 1) AS wall_seconds, blas, deni_version
FROM runs LEFT JOIN final USING (run_id)
WHERE status = 'done';

SELECT * FROM study_runs ORDER BY dataset, strategy, run_index;
