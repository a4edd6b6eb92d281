-- Every run of a DENI-study stage, one row each (docs/results/deni-study-*-runs.csv):
-- the evidence the tables are computed from, kept beside them in the repository.
--   deni sql --results results/deni-study-screen --format csv - < experiments/deni-study-runs.sql
SELECT run_id, dataset, strategy, run_index, macro_f1, main_macro_f1, majority_macro_f1, mean_probs_macro_f1,
       accuracy, classes, members, lr, steps, optimizer_steps, train_flops, round(wall_seconds, 1) AS wall_seconds,
       blas, deni_version
FROM runs
WHERE status = 'done'
ORDER BY dataset, strategy, run_index;
