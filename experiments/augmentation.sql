-- The augmentation tables of docs/results/augmentation.md:
--   deni sql --results results/augmentation - < experiments/augmentation.sql
-- One row per dataset and strategy, one column per augmentation: macro-F1 x100,
-- mean ± population std (worst run), "(n k)" when a cell has k runs, not 5.
PIVOT (
  SELECT dataset, strategy, augment,
         printf('%.2f ± %.2f (%.2f)', 100*avg(macro_f1), 100*stddev_pop(macro_f1), 100*min(macro_f1))
           || CASE WHEN count(*) <> 5 THEN printf(' (n %d)', count(*)) ELSE '' END AS cell
  FROM runs WHERE status = 'done' GROUP BY ALL)
ON augment IN ('none', 'eda_1', 'eda_2', 'typo_1', 'typo_2', 'paraphrase_file_1', 'paraphrase_file_2')
USING first(cell) GROUP BY dataset, strategy ORDER BY dataset, strategy;
