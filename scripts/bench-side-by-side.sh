#!/usr/bin/env bash
# Runs benchmark suites (--quick) on another commit and on this checkout, alternated ROUNDS times on
# the same machine, and prints per figure the median over rounds of each side's median and p99:
# a change's cost measured side by side, not against figures from another day.
#   bash scripts/bench-side-by-side.sh BASE_REF [ROUNDS] [SUITE...]   (default: 3 rounds, restart bus)
# Each side runs its OWN suite code: the comparison means something only while the suites did not
# change between the refs (scripts/runtime-side-by-side.mjs runs the same measurement on both builds).
# Both sides must be built: this checkout with `npm run build`; the base is checked out and built
# in a temporary worktree (sharing node_modules), removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
base_ref=${1:?usage: bench-side-by-side.sh BASE_REF [ROUNDS] [SUITE...]}
rounds=${2:-3}
shift $(( $# >= 2 ? 2 : 1 ))
suites=("$@"); [ ${#suites[@]} -gt 0 ] || suites=(restart bus)
work=$(mktemp -d)
base="$work/base"
trap 'git worktree remove --force "$base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach -q "$base" "$base_ref"
ln -s "$PWD/node_modules" "$base/node_modules"
(cd "$base" && npx tsc -p tsconfig.json >/dev/null)
for round in $(seq 1 "$rounds"); do
  for side in base head; do
    dir=$PWD; [ "$side" = base ] && dir=$base
    for suite in "${suites[@]}"; do
      (cd "$dir" && node dist/perf/run.js "$suite" --quick --no-save 2>/dev/null) | sed "s/^{/{\"side\":\"$side\",/" >> "$work/figures.jsonl"
    done
  done
  echo "round $round of $rounds done" >&2
done
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const key = (f) => `${f.suite}/${f.name}`;
for (const name of [...new Set(lines.map(key))]) {
  const of = (side) => lines.filter((f) => key(f) === name && f.side === side);
  const [b, h] = [of("base"), of("head")];
  if (!b.length || !h.length) continue;
  console.log(JSON.stringify({ figure: name, unit: b[0].unit, rounds: b.length, base_median: median(b.map((f) => f.median)), head_median: median(h.map((f) => f.median)), base_p99: median(b.map((f) => f.p99)), head_p99: median(h.map((f) => f.p99)) }));
}' "$work/figures.jsonl"
