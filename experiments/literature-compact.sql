-- The per-dataset tables of docs/results/literature.md: the literature
-- table's columns a reader compares, p-values with their Holm-adjusted
-- value in brackets. Reads the view of experiments/literature.sql:
--   (echo "CREATE VIEW study_runs AS FROM 'docs/results/literature-runs.csv';"
--    cat experiments/literature.sql experiments/literature-compact.sql) | deni sql --format markdown -
CREATE OR REPLACE TEMP MACRO p2(p) AS
    CASE WHEN p IS NULL THEN '' WHEN p < 0.0001 THEN '< 0.0001'
         WHEN p >= 0.1 THEN printf('%.2f', p) ELSE printf('%.2g', p) END;
SELECT dataset,
       CASE WHEN cell = 'default' THEN '**`default`**' ELSE '`' || cell || '`' END AS cell,
       printf('%.2f ± %.2f', 100 * mean, 100 * std) AS "F1",
       printf('%.2f', 100 * worst) AS worst,
       round(flops_x, 2) AS "training FLOPs ×",
       round(inference_x, 2) AS "models at test",
       printf('%.2f', std_ratio) AS "std ×",
       CASE WHEN cell = 'default' THEN '' ELSE p2(bf_p) || ' (' || p2(bf_p_holm) || ')' END AS "BF p (Holm)",
       CASE WHEN cell = 'default' THEN '' ELSE p2(welch_p) || ' (' || p2(welch_p_holm) || ')' END AS "Welch p (Holm)"
FROM literature
ORDER BY dataset, std, cell;
