-- Training-loss curves of the main model (model 0) for one dataset: the
-- loss at each optimizer step averaged over the scored runs of each
-- configuration. Go smooths the curve (moving average) before plotting.
-- Parameters: $1 dataset, $2 model, $3 tuning, $4 augment.
SELECT
    r.strategy,
    s.step,
    avg(s.loss)::DOUBLE AS loss,
    count(*)            AS runs
FROM steps s
JOIN runs r ON r.run_id = s.run_id
WHERE s.model = 0
  AND r.status = 'done'
  AND r.dataset = $1 AND r.model = $2 AND r.tuning = $3 AND r.augment = $4
GROUP BY r.strategy, s.step
ORDER BY r.strategy, s.step;
