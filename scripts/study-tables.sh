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
# lacking EXP prints, as a SQL list, the datasets of whose runs in the committed
# out/EXP-runs.csv results/EXP lacks some (a folder made again on a new machine), or nothing.
lacking() {
  local csv=$out/$1-runs.csv
  [ -f "$csv" ] || return 0
  "$deni" sql --results "results/$1" --format csv "SELECT string_agg(DISTINCT chr(39) || c.dataset || chr(39), ', ')
    FROM read_csv('$csv', all_varchar = true) c
    WHERE c.run_id NOT IN (SELECT run_id FROM runs WHERE status = 'done')" | tail -1 | tr -d '"'
}
# merge EXP NAME KEPT: out/NAME.csv is the fresh table's rows of the datasets the folder has whole,
# and the committed rows of the datasets in KEPT, each dataset's rows in their order.
merge() {
  local exp=$1 name=$2 kept=$3
  "$deni" sql --results "results/$exp" --format csv "SELECT * EXCLUDE (src, i) FROM (
      SELECT *, 0 AS src, row_number() OVER () AS i FROM read_csv('$tmp/$name.csv', all_varchar = true) WHERE dataset NOT IN ($kept)
      UNION ALL
      SELECT *, 1, row_number() OVER () FROM read_csv('$out/$name.csv', all_varchar = true) WHERE dataset IN ($kept))
    ORDER BY dataset, src, i" > "$tmp/$name.merged.csv"
  mv "$tmp/$name.merged.csv" "$tmp/$name.csv"
}
for exp in deni-study-default-screen deni-study-screen deni-study-confirm deni-study-branch literature; do
  [ -d "results/$exp/runs" ] || continue
  kept=$(lacking "$exp")
  names=("$exp" "$exp-runs")
  [ "$exp" = literature ] && names=(literature literature-overall literature-runs)
  if [ -n "$kept" ]; then
    [ "$exp" = literature ] && { echo "kept $out/literature*.csv: results/literature lacks committed runs of $kept"; continue; }
    echo "$exp: the committed rows of $kept kept (results/$exp lacks some of their runs)"
  fi
  for name in "${names[@]}"; do
    case $name in
      *-runs) sql=(experiments/deni-study-runs.sql) ;;
      literature) sql=(experiments/literature.sql) ;;
      literature-overall) sql=(experiments/literature.sql experiments/literature-overall.sql) ;;
      *) sql=(experiments/deni-study.sql) ;;
    esac
    cat "${sql[@]}" | "$deni" sql --results "results/$exp" --format csv - > "$tmp/$name.csv"
    [ -n "$kept" ] && merge "$exp" "$name" "$kept"
    mv "$tmp/$name.csv" "$out/$name.csv"
    echo "wrote $out/$name.csv ($(($(wc -l < "$out/$name.csv") - 1)) rows)"
  done
done
if [ -d results/deni-study-confirm/runs ]; then
  echo "the decision (experiments/deni-study-decision.sql):"
  cat experiments/deni-study.sql experiments/deni-study-decision.sql | "$deni" sql --results results/deni-study-confirm -
fi
