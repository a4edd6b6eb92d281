-- The ensemble events of Noisy Interpolation and Delayed Ensemble for one
-- dataset: at which step members are created, merged back into one model
-- (NI), or the final ensemble is created (DE). Steps are counted on the
-- main model's clock, so they line up with the loss curves. `runs` says in
-- how many runs the event happened at that step (normally all of them: the
-- schedule is deterministic).
-- Parameters: $1 dataset, $2 model, $3 tuning, $4 augment.
SELECT
    r.strategy,
    e.kind,
    e.step,
    count(DISTINCT e.run_id) AS runs
FROM events e
JOIN runs r ON r.run_id = e.run_id
WHERE e.kind IN ('members_created', 'members_merged', 'final_ensemble_created')
  AND r.status = 'done'
  AND r.dataset = $1 AND r.model = $2 AND r.tuning = $3 AND r.augment = $4
GROUP BY r.strategy, e.kind, e.step
ORDER BY r.strategy, e.step, e.kind;
