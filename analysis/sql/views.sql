-- One view per result table over the per-run Parquet files of one
-- experiment folder (DIR/<table>/<run_id>.parquet). Go fills in {{table}}
-- and {{source}} (a glob 'DIR/runs/*.parquet', or a list of files when
-- the folder name contains glob characters).
--
-- union_by_name = true: files written by older deni versions may lack
-- newer columns; those read as NULL instead of failing the whole query.
-- {{missing}} adds, as NULL, the contract's columns that no file has yet.
--
-- A table folder without any file gets an empty table of the same schema
-- instead (created by Go from the Parquet row structs in internal/results),
-- so that every query runs and simply returns no rows.
CREATE OR REPLACE VIEW {{table}} AS
SELECT *{{missing}} FROM read_parquet({{source}}, union_by_name = true);
