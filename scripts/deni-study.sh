#!/bin/bash
# Runs the DENI study's stages one after another, then the literature
# experiment (docs/results/deni-study.md, docs/results/literature.md). Every
# stage resumes where it stopped, so after a reboot or a new sitting the
# same command goes on:
#   make build && nohup scripts/deni-study.sh > logs/study.log 2>&1 &
# DENI=path/to/deni and WORKERS=N override the binary and the parallel runs.
set -euo pipefail
cd "$(dirname "$0")/.."
deni=${DENI:-bin/deni}
workers=${WORKERS:-2}
mkdir -p logs
# The runs the committed per-run tables hold were made on another machine (results
# folders do not survive a move; scripts/study-tables.sh commits their rows): not again.
run() {
  local made
  made=$(ls docs/results/*-runs.csv 2>/dev/null | paste -sd, -)
  "$deni" run --workers "$workers" ${made:+--skip-runs-in "$made"} "$@"
}
# reuse DIR... is --reuse with those of the results folders that exist (--reuse refuses a missing one).
reuse() {
  local have=()
  for d in "$@"; do [ -d "results/$d/runs" ] && have+=("results/$d"); done
  [ ${#have[@]} -gt 0 ] && (IFS=,; echo "--reuse ${have[*]}")
  return 0
}
run -c experiments/deni-study-default-screen.yaml
# Stage 3 (post hoc) first: members that branch at half of training, the question in flight; default's
# runs are the confirmation's (the same IDs: committed, or copied from its folder).
run -c experiments/deni-study-branch.yaml $(reuse deni-study-confirm)
# Stage 4 (post hoc): a 5-model ensemble, at the rule's cost limit; default's runs are the confirmation's.
run -c experiments/deni-study-voters.yaml $(reuse deni-study-confirm deni-study-branch)
# Its fresh confirmation (another root seed: new sample, seeds and default runs), registered after
# ensemble5 passed the rule on stage 4's runs.
run -c experiments/deni-study-voters-fresh.yaml
# The confirmation's variants are fixed in its file (chosen by the screen's TREC cells), so it can run
# before the rest of the screen; each stage copies the runs another already made (same ID, same bits).
run -c experiments/deni-study-confirm.yaml $(reuse deni-study-screen deni-study-default-screen deni-study-branch)
# The rest of the screen completes the study before the literature experiment takes the machine.
run -c experiments/deni-study-screen.yaml $(reuse deni-study-confirm deni-study-default-screen literature)
run -c experiments/literature.yaml $(reuse deni-study-confirm deni-study-screen)
