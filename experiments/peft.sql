-- The PEFT table of docs/results/peft.md: deni sql --results results/peft - < experiments/peft.sql
-- macro-F1 x100 (mean, population std, worst run); cost = mean CPU-seconds per run
-- and optimizer steps, relative to full fine-tuning with the default strategy.
WITH g AS (
  SELECT dataset, tuning, strategy, count(*) AS n,
         round(100*avg(macro_f1), 2) AS mean_f1, round(100*stddev_pop(macro_f1), 2) AS std_f1,
         round(100*min(macro_f1), 2) AS min_f1, avg(cpu_seconds) AS cpu_s, avg(optimizer_steps) AS steps
  FROM runs WHERE status = 'done' GROUP BY ALL)
SELECT g.dataset, g.tuning, g.strategy, g.n, g.mean_f1, g.std_f1, g.min_f1, round(g.cpu_s) AS cpu_s,
       round(g.cpu_s / b.cpu_s, 2) AS cost_vs_full_default, round(g.steps / b.steps, 2) AS steps_vs_full_default
FROM g JOIN g AS b ON b.dataset = g.dataset AND b.tuning = 'full' AND b.strategy = 'default'
ORDER BY g.dataset DESC, list_position(['full', 'lora', 'ia3', 'unipelt'], g.tuning), g.strategy
