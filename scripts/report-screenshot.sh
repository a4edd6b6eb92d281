#!/usr/bin/env bash
# Render an experiment's report.html with headless Chromium and check that the
# screenshot is not blank: the visual check of `deni report` (not part of
# `make test`).
#
#   scripts/report-screenshot.sh [RESULTS_DIR] [OUT.png]
#
# RESULTS_DIR defaults to results/quickstart (run `make run` first); OUT.png
# defaults to RESULTS_DIR/report.png. The
# report is (re)generated with `deni report` when report.html is missing.
# Installs Debian's chromium when it is missing (needs root or sudo).
set -euo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-go}
DENI=${DENI:-bin/deni}
results=${1:-results/quickstart}
out=${2:-}

if [ ! -x "$DENI" ]; then
  echo "building $DENI"
  $GO build -tags duckdb_arrow -o "$DENI" ./cmd/deni
fi

if [ ! -d "$results/runs" ]; then
  echo "no results in $results: run an experiment first (make run)" >&2
  exit 1
elif [ ! -f "$results/report.html" ]; then
  "$DENI" report --results "$results"
fi
out=${out:-$results/report.png}

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "installing chromium (Debian)"
  sudo_=""
  [ "$(id -u)" -ne 0 ] && sudo_=sudo
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
  browser=$(command -v chromium)
fi

html=$(cd "$results" && pwd)/report.html
rm -f "$out"
# A tall window so that the summary and the first plots are in the picture.
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --window-size=1280,3000 --screenshot="$out" "file://$html" 2>/dev/null || true

if [ ! -s "$out" ]; then
  echo "report-screenshot: chromium wrote no screenshot" >&2
  exit 1
fi
magic=$(head -c 8 "$out" | od -An -tx1 | tr -d ' \n')
if [ "$magic" != "89504e470d0a1a0a" ]; then
  echo "report-screenshot: $out is not a PNG" >&2
  exit 1
fi
# A blank 1280x3000 page compresses to a few KB; tables and plots make it far larger.
size=$(stat -c %s "$out")
if [ "$size" -lt 100000 ]; then
  echo "report-screenshot: $out is only $size bytes: the page looks blank" >&2
  exit 1
fi
echo "report-screenshot: $out ($size bytes) from $html"
