#!/usr/bin/env bash
# Learning-rate sweep of one model: runs experiments/lr-sweep.yaml.tmpl once
# per tuning method and rate, all into results/lr-sweep-<model>/ (run IDs
# hold the rate, so the rates' runs sit side by side and a rerun resumes),
# then prints macro-F1 per dataset, tuning method and rate.
#
#   scripts/lr-sweep.sh [MODEL [TUNING=RATE,RATE,... ...]]
#   scripts/lr-sweep.sh deni-bert-mini lora=3e-4,1e-3,3e-3 ia3=3e-2,1e-1
#
# Default: deni-bert-mini over the grid below (24 settings x 2 datasets x 2
# runs). DENI is the deni binary (bin/deni), DENI_RUN_FLAGS extra flags of
# `deni run` (e.g. --workers 1). Each `deni run` also prints the folder's
# summary, which warns that its rows mix learning rates: for a sweep that
# is the point; the table at the end separates them.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-deni-bert-mini}
if [ $# -gt 0 ]; then shift; fi
grid=("$@")
if [ ${#grid[@]} -eq 0 ]; then
	grid=(full=1e-4,3e-4,1e-3 lora=3e-4,1e-3,3e-3 ia3=1e-2,3e-2,1e-1 unipelt=3e-4,1e-3,3e-3)
fi
deni=${DENI:-bin/deni}
name=$(basename "$model")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for entry in "${grid[@]}"; do
	tuning=${entry%%=*}
	rates=${entry#*=}
	if [ "$tuning" = "$entry" ] || [ -z "$rates" ]; then
		echo "lr-sweep: $entry is not TUNING=RATE,RATE,..." >&2
		exit 2
	fi
	for lr in ${rates//,/ }; do
		sed -e "s|{{name}}|$name|g" -e "s|{{model}}|$model|g" -e "s|{{tuning}}|$tuning|g" -e "s|{{lr}}|$lr|g" \
			experiments/lr-sweep.yaml.tmpl >"$tmp/lr-sweep.yaml"
		echo "== $model $tuning lr $lr" >&2
		# shellcheck disable=SC2086
		"$deni" run -c "$tmp/lr-sweep.yaml" ${DENI_RUN_FLAGS:-} >"$tmp/run.log" 2>&1 || { cat "$tmp/run.log" >&2; exit 1; }
	done
done
"$deni" sql --results "results/lr-sweep-$name" "SELECT dataset, tuning, lr, count(*) AS runs,
  round(100*avg(macro_f1), 1) AS mean_f1, round(100*stddev_pop(macro_f1), 1) AS std_f1,
  round(100*min(macro_f1), 1) AS min_f1 FROM runs WHERE status = 'done' GROUP BY ALL ORDER BY tuning, dataset, lr"
