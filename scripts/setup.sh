#!/usr/bin/env bash
# Sets up x0tta6bl4 on Debian 12 with Node.js 20: the system packages it needs, its npm
# dependencies, and the build. Idempotent: a second run only checks and rebuilds.
set -euo pipefail
cd "$(dirname "$0")/.."

# Toolchain for native npm modules built from source (better-sqlite3 when no prebuilt binary can
# be fetched) and for the project's own native parts.
# systemd-analyze (unit check) and promtool (metrics check) for the operations tests; faketime runs
# the benchmark gate with the clock a year ahead (no figure may depend on the calendar).
SYSTEM_PACKAGES=(python3 make g++ systemd prometheus faketime)

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -ne 20 ] && [ "$node_major" -lt 22 ]; then
  echo "setup: Node.js 20 (>= 20.19) or >= 22.12 is required, found $(node --version 2>/dev/null || echo none)" >&2
  exit 1
fi

missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm dependencies: reinstalled only when the lock file changed since the last install.
stamp=node_modules/.x0tta6bl4-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing npm dependencies"
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi

# The other supported Node.js major (22 beside 20), from the npm registry's official binary
# package: the post-quantum library declares Node >= 22, and a test runs it under both.
node scripts/other-node.mjs fetch

npm run build --silent
echo "setup: ready"
