-- Settings of every analysis connection (run once per connection, before
-- anything else). The analysis must work offline: DuckDB would otherwise try
-- to download and load extensions on demand (for example httpfs for an
-- http:// path). Only the built-in extensions (parquet, json, icu,
-- core_functions) are used. The extension directory is set by Go to a
-- private folder right after these statements.
SET autoinstall_known_extensions = false;
SET autoload_known_extensions = false;
-- Deterministic output order of queries without ORDER BY over one file.
SET preserve_insertion_order = true;
-- One thread: DuckDB's parallel aggregates add floating-point numbers in
-- whatever order the threads finish, so a mean could differ in its last bit
-- between two runs (and 85.025 print once as 85.02, once as 85.03). With one
-- thread the files are read in name order and every number is reproducible.
-- Result folders are small (one row per run); an ad-hoc query over large
-- tables may start with `SET threads = 2;` to trade this for speed.
SET threads = 1;
