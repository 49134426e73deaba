#!/usr/bin/env bash
# Fresh machine to every check holdfast has, in one command (also what CI runs, via .ci/run): node deps
# (only when missing or out of date), the local stack (only what is not already up), typecheck, lint, and
# all tests, unit and integration, against the real servers.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! node ops/stack/deps-fresh.mjs .; then
  # npm install, not npm ci: npm 11 writes lock files that its own `npm ci` refuses (missing optional
  # platform packages of @biomejs/cli); install still honours the lock file.
  npm install --no-audit --no-fund
fi
node ops/bin/holdfast.mjs stack up
npx tsc --noEmit -p .
npx biome check .
npx vitest run
