-- The order of strategies in every table: the paper's order, baselines
-- first, DENI and its two ablations last. Labels not listed here (custom
-- labels such as deni_v2) come after, alphabetically.
CREATE OR REPLACE TEMP TABLE strategy_order AS
SELECT * FROM (VALUES
    ('default', 1),
    ('ensemble', 2),
    ('input_noise', 3),
    ('weight_noise', 4),
    ('prior_noise', 5),
    ('swa', 6),
    ('ema', 7),
    ('mixout', 8),
    ('best_practices', 9),
    ('delayed_ensemble', 10),
    ('noisy_interpolation', 11),
    ('deni', 12)
) AS t(strategy, strategy_rank);
