#!/usr/bin/env bash
# Fresh machine to every check holdfast has, in one command (also what CI runs, via .ci/run): node deps
# (only when missing or out of date), the local stack (only what is not already up), typecheck, lint, and
# all tests, unit and integration, against the real servers.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! node ops/stack/deps-fresh.mjs .; then
  # npm ci: installs exactly what package-lock.json pins (the lock file is complete, optional platform
  # packages included) and never rewrites it.
  npm ci --no-audit --no-fund
fi
node ops/bin/holdfast.mjs stack up
npx tsc --noEmit -p .
npx biome check .
npx vitest run
