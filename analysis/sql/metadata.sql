-- Experiment metadata for the report: what ran, where and with which
-- software. One row per distinct (experiment, blas, deni_version,
-- go_version) combination, so a folder mixing builds shows every build.
SELECT
    experiment,
    blas,
    deni_version,
    go_version,
    count(*)                                AS runs,
    count(*) FILTER (WHERE status = 'done') AS done,
    count(*) FILTER (WHERE status <> 'done') AS failed,
    string_agg(DISTINCT dataset, ', ' ORDER BY dataset)   AS datasets,
    string_agg(DISTINCT model, ', ' ORDER BY model)       AS models,
    string_agg(DISTINCT tuning, ', ' ORDER BY tuning)     AS tunings,
    string_agg(DISTINCT augment, ', ' ORDER BY augment)   AS augments,
    count(DISTINCT strategy)                AS strategies,
    min(started_at)::VARCHAR                AS first_started,
    max(finished_at)::VARCHAR               AS last_finished,
    sum(wall_seconds)                       AS wall_seconds,
    sum(optimizer_steps)                    AS optimizer_steps
FROM runs
GROUP BY experiment, blas, deni_version, go_version
ORDER BY experiment, blas, deni_version, go_version;
