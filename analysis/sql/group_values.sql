-- The scored macro-F1 values of every configuration, for the statistics
-- computed in Go (bootstrap intervals, Welch and Brown-Forsythe tests).
-- Ordered by run index so that the bootstrap is deterministic.
SELECT
    dataset, model, tuning, strategy, augment,
    list(macro_f1 ORDER BY run_index, run_id) AS f1
FROM runs
WHERE status = 'done' AND macro_f1 IS NOT NULL AND NOT isnan(macro_f1)
GROUP BY dataset, model, tuning, strategy, augment
ORDER BY dataset, model, tuning, augment, strategy;
