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
run() { "$deni" run --workers "$workers" "$@"; }
run -c experiments/deni-study-default-screen.yaml
run -c experiments/deni-study-screen.yaml
# The confirmation copies the runs the earlier stages already made.
run -c experiments/deni-study-confirm.yaml --reuse results/deni-study-screen,results/deni-study-default-screen
# The literature experiment copies default, ensemble and deni from the confirmation.
run -c experiments/literature.yaml --reuse results/deni-study-confirm
