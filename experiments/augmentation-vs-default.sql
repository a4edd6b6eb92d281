-- The second augmentation table of docs/results/augmentation.md:
--   deni sql --results results/augmentation - < experiments/augmentation-vs-default.sql
-- Against default without augmentation, averaged over the three datasets:
-- change of the mean (points), ratio of the std, and cost in optimizer steps.
WITH g AS (
  SELECT dataset, strategy, augment, 100*avg(macro_f1) AS mean_f1, 100*stddev_pop(macro_f1) AS std_f1,
         avg(optimizer_steps) AS steps
  FROM runs WHERE status = 'done' GROUP BY ALL)
SELECT g.strategy, g.augment, round(avg(g.mean_f1 - b.mean_f1), 2) AS delta_mean,
       round(avg(g.std_f1 / b.std_f1), 2) AS std_ratio, round(min(g.std_f1 / b.std_f1), 2) AS min_std_ratio,
       round(max(g.std_f1 / b.std_f1), 2) AS max_std_ratio, round(avg(g.steps / b.steps), 2) AS steps_vs_default_none
FROM g JOIN g AS b ON b.dataset = g.dataset AND b.strategy = 'default' AND b.augment = 'none'
GROUP BY g.strategy, g.augment
ORDER BY g.strategy, list_position(['none', 'eda_1', 'eda_2', 'typo_1', 'typo_2', 'paraphrase_file_1', 'paraphrase_file_2'], g.augment);
