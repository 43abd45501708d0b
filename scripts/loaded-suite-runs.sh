#!/usr/bin/env bash
# Runs CI's command N times in a row on a fresh clone of this repository's HEAD, with two
# CPU-burning processes alongside (this machine kind has 2 cores): a flaky test shows here first.
#   bash scripts/loaded-suite-runs.sh [N]      (default 5; logs and a summary in a temporary folder)
# ../shared is copied beside the clone, read-only, as CI has it.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
work=$(mktemp -d /tmp/x0tta6bl4-loaded-XXXX)
git clone -q . "$work/main" && cp -r ../shared "$work/" && chmod -R a-w "$work/shared"
node -e 'for(;;){}' & burner1=$!
node -e 'for(;;){}' & burner2=$!
trap 'kill "$burner1" "$burner2" 2>/dev/null' EXIT
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  (cd "$work/main" && CI=true bash .ci/run) > "$work/run-$i.log" 2>&1
  code=$?
  echo "run $i: exit $code in $(( $(date +%s) - start )) s" | tee -a "$work/summary.txt"
done
echo "logs: $work"
