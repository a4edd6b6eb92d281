#!/bin/bash
# Writes the committed tables of the DENI study and the literature experiment
# (docs/results/*.csv), so that progress can be committed between sittings:
#   scripts/study-tables.sh            # then git add docs/results/*.csv
#
# An experiment's per-run table, docs/results/EXP-runs.csv (experiments/runs.sql),
# holds every run the experiment plans (deni plan) that was made anywhere: in
# results/EXP, or in any committed per-run table (a run ID fixes the run's
# bits, so another stage's run with the same ID is this run). Results folders
# do not survive a move to another machine; the committed tables do, so the
# runs of several machines add up. Every table is computed from the per-run
# table, with the command its doc names. DENI=path/to/deni overrides the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
deni=${DENI:-bin/deni}
out=docs/results
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sql() { "$deni" sql --format csv "$@"; }
# from CSV FILE...: the SQL files over the per-run table CSV.
from() {
  local csv=$1
  shift
  (echo "CREATE VIEW study_runs AS FROM read_csv('$csv');"; cat "$@") | sql -
}
for exp in deni-study-default-screen deni-study-screen deni-study-confirm deni-study-branch deni-study-voters deni-study-voters-fresh literature; do
  csv=$out/$exp-runs.csv
  "$deni" plan -c "experiments/$exp.yaml" --json > "$tmp/plan.json"
  made="SELECT *, 1 AS src FROM read_csv('$out/*-runs.csv', all_varchar = true, union_by_name = true)"
  if [ -d "results/$exp/runs" ]; then
    sql --results "results/$exp" - < experiments/runs.sql > "$tmp/folder.csv"
    changed=$(sql "SELECT count(*) FROM read_csv('$tmp/folder.csv', all_varchar = true) f
      JOIN ($made) c USING (run_id) WHERE f.macro_f1 <> c.macro_f1" | tail -1)
    [ "$changed" = 0 ] || echo "warning: $changed runs of results/$exp differ from their committed rows (kept the folder's)"
    made="SELECT *, 0 AS src FROM read_csv('$tmp/folder.csv', all_varchar = true) UNION ALL BY NAME $made"
  fi
  sql "SELECT r.* EXCLUDE (src) REPLACE (p.strategy AS strategy)
    FROM read_json('$tmp/plan.json', columns = {id: 'VARCHAR', strategy: 'VARCHAR'}) p
    JOIN ($made) r ON r.run_id = p.id
    QUALIFY row_number() OVER (PARTITION BY r.run_id ORDER BY r.src) = 1
    ORDER BY r.dataset, p.strategy, r.run_index::INTEGER" > "$tmp/runs.csv"
  n=$(($(wc -l < "$tmp/runs.csv") - 1))
  planned=$(sql "SELECT count(*) FROM read_json('$tmp/plan.json', columns = {id: 'VARCHAR'})" | tail -1)
  [ "$n" -gt 0 ] || { echo "$exp: none of its $planned runs made yet"; continue; }
  mv "$tmp/runs.csv" "$csv"
  echo "wrote $csv ($n of $planned runs)"
  if [ "$exp" = literature ]; then
    from "$csv" experiments/literature.sql > "$tmp/t.csv" && mv "$tmp/t.csv" "$out/literature.csv"
    from "$csv" experiments/literature.sql experiments/literature-overall.sql > "$tmp/t.csv" && mv "$tmp/t.csv" "$out/literature-overall.csv"
    echo "wrote $out/literature.csv, $out/literature-overall.csv"
  else
    from "$csv" experiments/deni-study.sql > "$tmp/t.csv" && mv "$tmp/t.csv" "$out/$exp.csv"
    echo "wrote $out/$exp.csv ($(($(wc -l < "$out/$exp.csv") - 1)) rows)"
  fi
done
# The votes of the first k voters (experiments/ensemble-size.sql) need the voters' logits, which only a
# results folder holds: each folder's rows join the committed ones (a run ID fixes its rows).
# Not named *-runs.csv: those are per-run tables of runs, which made= and deni-study.sh read.
# Root 27's runs only: the table groups by strategy label, and deni-study-voters-fresh's ensemble5 runs
# (root 28: another labelled sample) are not comparable with root 27's default runs.
es=$out/ensemble-size-by-run.csv
parts=()
for exp in deni-study-confirm deni-study-branch deni-study-voters literature; do
  [ -d "results/$exp/predictions" ] || continue
  sql --results "results/$exp" - < experiments/ensemble-size.sql > "$tmp/es-$exp.csv"
  parts+=("SELECT *, 0 AS src FROM read_csv('$tmp/es-$exp.csv', all_varchar = true)")
done
[ -f "$es" ] && parts+=("SELECT *, 1 AS src FROM read_csv('$es', all_varchar = true)")
if [ ${#parts[@]} -gt 0 ]; then
  union=$(printf ' UNION ALL BY NAME %s' "${parts[@]}")
  sql "SELECT * EXCLUDE (src) FROM (${union# UNION ALL BY NAME })
    QUALIFY row_number() OVER (PARTITION BY run_id, k, vote ORDER BY src) = 1
    ORDER BY dataset, strategy, run_index::INTEGER, vote, k::INTEGER" > "$tmp/es.csv"
  bad=$(sql "SELECT count(*) FROM read_csv('$tmp/es.csv', all_varchar = true) WHERE matches_run = 'false'" | tail -1)
  [ "$bad" = 0 ] || echo "warning: $bad full-size votes of $es differ from their runs' readouts"
  mv "$tmp/es.csv" "$es"
  (echo "CREATE VIEW ensemble_size_runs AS FROM read_csv('$es');"; cat experiments/ensemble-size-table.sql) |
    sql - > "$tmp/t.csv" && mv "$tmp/t.csv" "$out/ensemble-size.csv"
  echo "wrote $es ($(($(wc -l < "$es") - 1)) rows), $out/ensemble-size.csv"
fi
for exp in deni-study-confirm deni-study-branch deni-study-voters deni-study-voters-fresh; do
  [ -f "$out/$exp-runs.csv" ] || continue
  echo "the decision over $exp (experiments/deni-study-decision.sql):"
  (echo "CREATE VIEW study_runs AS FROM read_csv('$out/$exp-runs.csv');"
   cat experiments/deni-study.sql experiments/deni-study-decision.sql) | "$deni" sql -
done
