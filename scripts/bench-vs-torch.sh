#!/usr/bin/env bash
# Times deni's engine against PyTorch on the CPU, in one run on one machine:
# the workloads of ../shared/bench/torch_reference.py (w2: one encoder layer;
# mini: a 2-layer BERT) and deni's real workload, full fine-tuning of
# deni-bert-mini on TREC batches (bertmini; bertmini-population: 10 models per
# batch, a DENI member phase), whose PyTorch side is scripts/torch_bertmini.py
# on the batches deni exports. 1 thread each, ours with OpenBLAS and with
# pure-Go gonum. Prints steps/s and the ratios (population: population steps,
# 10 model steps each). Installs Debian's python3-torch and libopenblas-dev
# when missing (needs root).
#
#   scripts/bench-vs-torch.sh [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-300}
ref=${TORCH_REFERENCE:-../shared/bench/torch_reference.py}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

need=()
/usr/bin/python3 -c 'import torch' 2>/dev/null || need+=(python3-torch)
dpkg -s libopenblas-dev >/dev/null 2>&1 || need+=(libopenblas-dev)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

go build -tags 'duckdb_arrow openblas' -o bin/deni ./cmd/deni
go build -tags 'duckdb_arrow' -o bin/deni-gonum ./cmd/deni
batches=$(mktemp --suffix=.json)
trap 'rm -f "$batches"' EXIT
bin/deni bench --export-batches "$batches" --export-steps 400 bertmini

field() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p"; }
declare -A ours gonum torch
workloads=(w2 mini bertmini bertmini-population)
for w in "${workloads[@]}"; do
  ours[$w]=$(bin/deni bench --json --steps "$steps" "$w" | field steps_per_s)
  gonum[$w]=$(bin/deni-gonum bench --json --steps $((steps / 5)) "$w" | field steps_per_s)
  case $w in
  bertmini) out=$(/usr/bin/python3 scripts/torch_bertmini.py "$batches" "$steps") ;;
  bertmini-population) out=$(/usr/bin/python3 scripts/torch_bertmini.py "$batches" "$steps" population) ;;
  *) out=$(/usr/bin/python3 "$ref" "$w" 1 "$steps") ;;
  esac
  torch[$w]=$(sed -n 's/.*steps\/s=\([0-9.]*\).*/\1/p' <<<"$out")
done
printf '%-20s %14s %14s %14s %12s %12s\n' workload "deni openblas" "deni gonum" "torch 1thr" "openblas/pt" "gonum/pt"
for w in "${workloads[@]}"; do
  awk -v w="$w" -v o="${ours[$w]}" -v g="${gonum[$w]}" -v t="${torch[$w]}" \
    'BEGIN { printf "%-20s %14.2f %14.2f %14.2f %11.2fx %11.2fx\n", w, o, g, t, o / t, g / t }'
done
uptime
