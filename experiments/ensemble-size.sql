-- How many voters does a voting run need? (docs/results/deni-study.md, "How
-- many voters"). Every run stores each voter's logits (the main model first,
-- then the members), so the vote of its first k voters (k = 1..members) is
-- read from its runs, no training. Member seeds do not depend on how many
-- members there are, so the first k models of a 10-model ensemble are a
-- k-model ensemble's, and k = 1 is the default run with the same seeds.
--   deni sql --results results/deni-study-confirm --format csv - < experiments/ensemble-size.sql
-- One row per run, k and vote (mean_probs: the argmax of the voters' mean
-- softmax; majority: the most votes, ties to the lowest class), with its
-- macro-F1; k = members reproduces the run's own readouts (the column
-- matches_run, which must be true on every such row).
CREATE OR REPLACE TEMP VIEW ensemble_size_runs AS
WITH ens AS (
    SELECT run_id, dataset, strategy, run_index, classes::INTEGER AS classes, members::INTEGER AS members,
           majority_macro_f1, mean_probs_macro_f1
    FROM runs
    WHERE status = 'done' AND members > 1
), z AS (
    SELECT e.run_id, e.classes, e.members, p.sample, p.label, p.member_preds,
           unnest(generate_series(0, len(p.member_logits) - 1)) AS i, unnest(p.member_logits) AS logit
    FROM predictions p JOIN ens e USING (run_id)
), member AS (
    SELECT run_id, members, sample, label, i // classes AS m, i % classes AS c,
           member_preds[i // classes + 1] = i % classes AS chosen,
           exp(logit - max(logit) OVER (PARTITION BY run_id, sample, i // classes)) AS e
    FROM z
), probs AS (
    SELECT run_id, members, sample, label, m, c, chosen,
           e / sum(e) OVER (PARTITION BY run_id, sample, m) AS prob
    FROM member
), votes AS (
    SELECT run_id, sample, label, k, c, avg(prob) AS mean_prob, count(*) FILTER (WHERE chosen) AS n_votes
    FROM probs, range(1, 1 + members) AS t(k)
    WHERE m < k
    GROUP BY ALL
), preds AS (
    SELECT run_id, sample, label, k,
           first(c ORDER BY mean_prob DESC, c) AS mean_probs,
           first(c ORDER BY n_votes DESC, c) AS majority
    FROM votes GROUP BY ALL
), long AS (
    UNPIVOT preds ON mean_probs, majority INTO NAME vote VALUE pred
), per_class AS (
    SELECT l.run_id, l.k, l.vote, c,
           count(*) FILTER (WHERE l.label = c AND l.pred = c) AS tp,
           count(*) FILTER (WHERE l.label <> c AND l.pred = c) AS fp,
           count(*) FILTER (WHERE l.label = c AND l.pred <> c) AS fn
    FROM long l JOIN ens e USING (run_id), range(e.classes) AS t(c)
    GROUP BY ALL
), f1 AS (
    SELECT run_id, k, vote, avg(CASE WHEN tp + fp + fn = 0 THEN 0 ELSE 2 * tp / (2 * tp + fp + fn) END) AS macro_f1
    FROM per_class GROUP BY ALL
)
SELECT e.dataset, e.strategy, e.run_index, f.run_id, f.k, f.vote, f.macro_f1,
       CASE WHEN f.k = e.members THEN
           abs(f.macro_f1 - CASE f.vote WHEN 'majority' THEN e.majority_macro_f1 ELSE e.mean_probs_macro_f1 END) < 1e-12
       END AS matches_run
FROM f1 f JOIN ens e USING (run_id);

SELECT * FROM ensemble_size_runs ORDER BY dataset, strategy, run_index, vote, k;
