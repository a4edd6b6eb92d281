#!/bin/bash
# Writes the committed summaries of the DENI study and the literature
# experiment (docs/results/*.csv) from whichever of their results folders
# exist, so that partial progress can be committed between sittings:
#   scripts/study-tables.sh            # then git add docs/results/*.csv
# Every CSV is one `deni sql` over results/<experiment>; the queries are the
# files the docs name. DENI=path/to/deni overrides the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
deni=${DENI:-bin/deni}
out=docs/results
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# table NAME SQL... writes out/NAME.csv from the concatenated SQL files over results/EXPERIMENT,
# replacing the file only once the query succeeded (no half-written CSV).
table() {
  local exp=$1 name=$2
  shift 2
  cat "$@" | "$deni" sql --results "results/$exp" --format csv - > "$tmp/$name.csv"
  mv "$tmp/$name.csv" "$out/$name.csv"
  echo "wrote $out/$name.csv ($(($(wc -l < "$out/$name.csv") - 1)) rows)"
}
# complete EXP: results/EXP exists and holds every run its committed -runs.csv lists (a folder
# made again on a new machine may lack some: the committed CSVs are kept then, and say so).
complete() {
  local exp=$1 csv=$out/$1-runs.csv missing
  [ -d "results/$exp/runs" ] || return 1
  [ -f "$csv" ] || return 0
  missing=$("$deni" sql --results "results/$exp" --format csv \
    "SELECT count(*) FROM read_csv('$csv') c WHERE c.run_id NOT IN (SELECT run_id FROM runs WHERE status = 'done')" | tail -1)
  if [ "$missing" != 0 ]; then
    echo "kept $out/$exp*.csv: results/$exp lacks $missing of the runs $csv lists"
    return 1
  fi
}
for exp in deni-study-default-screen deni-study-screen deni-study-confirm literature; do
  complete "$exp" || continue
  if [ "$exp" = literature ]; then
    table literature literature experiments/literature.sql
    table literature literature-overall experiments/literature.sql experiments/literature-overall.sql
  else
    table "$exp" "$exp" experiments/deni-study.sql
  fi
  table "$exp" "$exp-runs" experiments/deni-study-runs.sql
done
if [ -d results/deni-study-confirm/runs ]; then
  echo "the decision (experiments/deni-study-decision.sql):"
  cat experiments/deni-study.sql experiments/deni-study-decision.sql | "$deni" sql --results results/deni-study-confirm -
fi
